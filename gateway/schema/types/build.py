"""``Build``: one koji build of a package, and the lists of them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from clients import koji
from gateway.context import Info
from gateway.resolvers.pages import Page
from gateway.schema.types.connection import PageInfo
from gateway.schema.types.user import User

if TYPE_CHECKING:
    from gateway.schema.types.package import Package
    from gateway.schema.types.release import Release
    from gateway.schema.types.update import Update


@strawberry.enum(description="koji's build states.")
class BuildState(enum.Enum):
    BUILDING = "BUILDING"
    COMPLETE = "COMPLETE"
    DELETED = "DELETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"

    def to_koji(self) -> koji.BuildState:
        return koji.BuildState[self.value]

    @classmethod
    def of(cls, state: koji.BuildState) -> BuildState:
        return cls[state.name]


@strawberry.type(description="A koji build: one name-version-release of a package.")
class Build:
    id: int
    nvr: str
    name: str
    version: str
    release: str
    epoch: int | None
    state: BuildState
    task_id: int | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    owner_name: strawberry.Private[str | None]

    @strawberry.field(description="Who built it.")
    def owner(self) -> User | None:
        return User(name=self.owner_name) if self.owner_name else None

    @strawberry.field(description="The build's page in koji's web UI.")
    def url(self) -> str:
        return f"https://koji.fedoraproject.org/koji/buildinfo?buildID={self.id}"

    @strawberry.field(description="The koji tags the build is in now.")
    async def tags(self, info: Info) -> list[str] | None:
        return await info.context.loaders.tags.load(self.id)

    @strawberry.field(description="The source package it was built from.")
    def package(self) -> Annotated[Package, strawberry.lazy("gateway.schema.types.package")]:
        from gateway.schema.types.package import Package

        return Package(name=self.name)

    @strawberry.field(description="The bodhi update that carries it, if any.")
    async def update(
        self, info: Info
    ) -> Annotated[Update, strawberry.lazy("gateway.schema.types.update")] | None:
        from gateway.schema.types.update import Update

        update = await info.context.loaders.update_of_build.load(self.nvr)
        return Update.from_bodhi(update) if update else None

    @classmethod
    def from_koji(cls, build: koji.Build) -> Build:
        return cls(
            id=build.id,
            nvr=build.nvr,
            name=build.name,
            version=build.version,
            release=build.release,
            epoch=build.epoch,
            state=BuildState.of(build.state),
            task_id=build.task_id,
            started_at=build.start_time or build.creation_time,
            completed_at=build.completion_time,
            owner_name=build.owner_name,
        )


@strawberry.type(description="A page of builds, newest first.")
class BuildConnection:
    nodes: list[Build]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page[koji.Build]) -> BuildConnection:
        return cls(
            nodes=[Build.from_koji(build) for build in page.items],
            page_info=PageInfo.of(page),
            total_count=page.total,
        )


@strawberry.type(description="The newest build of a package in one koji tag of a release.")
class TaggedBuild:
    tag: str
    build: Build
    release: Annotated[Release, strawberry.lazy("gateway.schema.types.release")] | None
    channel: str = strawberry.field(description="stable or testing")
