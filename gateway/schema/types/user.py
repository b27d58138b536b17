"""``User``: a Fedora account, as koji, bodhi and dist-git name it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.context import Info
from gateway.resolvers.pages import Window
from gateway.resolvers.queries import BuildsQuery

if TYPE_CHECKING:
    from gateway.schema.types.build import BuildConnection, BuildState


@strawberry.type(description="A Fedora account.")
class User:
    name: str

    @strawberry.field(description="The account's page in Fedora Accounts.")
    def url(self) -> str:
        return f"https://accounts.fedoraproject.org/user/{self.name}"

    @strawberry.field(description="The builds this user owns in koji, newest first.")
    async def builds(
        self,
        info: Info,
        first: int | None = 10,
        after: str | None = None,
        state: Annotated[BuildState, strawberry.lazy("gateway.schema.types.build")] | None = None,
    ) -> Annotated[BuildConnection, strawberry.lazy("gateway.schema.types.build")] | None:
        from gateway.schema.types.build import BuildConnection

        query = BuildsQuery(
            None, Window.of(first, after), state=state.to_koji() if state else None, owner=self.name
        )
        return BuildConnection.of(await info.context.loaders.builds.load(query))
