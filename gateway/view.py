"""The GraphQL endpoint: strawberry's ASGI view with our context and encoding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from clients import Upstreams
from gateway.context import Context
from gateway.resolvers.cached import CacheStats, FieldReads
from gateway.resolvers.loaders import Loaders
from gateway.search.service import PackageSearch


class GraphQLView(GraphQL[Context, None]):
    """``/graphql`` over GET, POST and WebSocket, with fresh dataloaders per operation."""

    def __init__(
        self,
        schema: Any,
        upstreams: Callable[[], Upstreams],
        reads: Callable[[], FieldReads | None] = lambda: None,
        search: Callable[[], PackageSearch | None] = lambda: None,
        *,
        ide_page: Callable[[], str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide_page else None, **options)
        self._upstreams = upstreams
        self._reads = reads
        self._search = search
        self._ide_page = ide_page

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        stats = CacheStats()
        return Context(
            loaders=Loaders.of(self._upstreams(), self._reads(), stats),
            cache=stats,
            request=request,
            response=response if isinstance(response, Response) else None,
            search=self._search(),
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        assert self._ide_page is not None
        return HTMLResponse(self._ide_page())

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
