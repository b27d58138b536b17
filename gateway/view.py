"""The GraphQL endpoint: strawberry's ASGI view with our context and encoding."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from clients import Upstreams
from gateway.context import Context
from gateway.resolvers.cached import CacheStats, FieldReads
from gateway.resolvers.loaders import Loaders
from gateway.responses import ResponseCache
from gateway.search.service import PackageSearch

if TYPE_CHECKING:
    from cross_web import AsyncHTTPRequestAdapter


class GraphQLView(GraphQL[Context, None]):
    """``/graphql`` over GET, POST and WebSocket, with fresh dataloaders per operation.

    With a :class:`~gateway.responses.ResponseCache`, an operation whose kept answer still
    holds is answered without executing it.
    """

    def __init__(
        self,
        schema: Any,
        upstreams: Callable[[], Upstreams],
        reads: Callable[[], FieldReads | None] = lambda: None,
        search: Callable[[], PackageSearch | None] = lambda: None,
        responses: Callable[[], ResponseCache | None] = lambda: None,
        *,
        ide_page: Callable[[], str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide_page else None, **options)
        self._upstreams = upstreams
        self._reads = reads
        self._search = search
        self._responses = responses
        self._ide_page = ide_page

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        upstreams, reads = self._upstreams(), self._reads()

        def loaders(stats: CacheStats) -> Loaders:
            return Loaders.of(upstreams, reads, stats)

        return Context(
            make_loaders=loaders,
            request=request,
            response=response if isinstance(response, Response) else None,
            search=self._search(),
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        responses = self._responses()
        if responses is None:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        key = responses.key(request_data.query, request_data.variables, request_data.operation_name)
        kept = await responses.replay(key, context.cache)
        if kept is not None:
            return ExecutionResult(data=kept.data, errors=None, extensions=_replayed(context))
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        if not result.errors and result.data is not None:
            responses.keep(key, result.data, context.cache)
        return result

    async def render_graphql_ide(self, request: Request) -> Response:
        assert self._ide_page is not None
        return HTMLResponse(self._ide_page())

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def _replayed(context: Context) -> dict[str, object]:
    return {"cache": {**context.cache.as_dict(), "replayed": True}}
