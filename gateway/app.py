"""The gateway as an ASGI app: ``/graphql`` (GET, POST, WebSocket), health, GraphiQL.

``create_app(settings)`` composes; resources live in the lifespan: the upstream
clients and their connection pools are opened once per process and shared by all
requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from clients import Upstreams
from gateway.backends import field_cache
from gateway.graphiql import find_assets, graphiql_page, graphiql_routes
from gateway.http_cache import HTTPCacheMiddleware
from gateway.invalidation.store import FieldCache
from gateway.resolvers.cached import FieldReads
from gateway.schema.schema import build_schema
from gateway.settings import Settings
from gateway.view import GraphQLView


class _State:
    upstreams: Upstreams | None = None
    reads: FieldReads | None = None

    def require(self) -> Upstreams:
        if self.upstreams is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self.upstreams

    def field_reads(self) -> FieldReads | None:
        return self.reads


def create_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    cache: FieldCache | None = None,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    """The gateway.

    ``transport`` replaces the network to the upstreams (tests); ``cache`` is the field
    cache to share with an in-process worker (by default one is made from the settings,
    or none when ``field_cache`` is off); ``lifespan`` runs inside the gateway's own,
    with the upstreams open (an embedded worker).
    """
    state = _State()

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            state.upstreams = await stack.enter_async_context(
                Upstreams.from_settings(settings, transport=transport)
            )
            store = cache
            if store is None and settings.field_cache:
                store = field_cache(settings)
                stack.push_async_callback(store.close)
            if store is not None:
                state.reads = FieldReads(store, wait_s=settings.stale_wait_s)
            app.state.upstreams = state.upstreams
            app.state.field_cache = store
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app))
            yield
        state.upstreams = state.reads = None

    ide_page = None
    routes: list[BaseRoute] = []
    if settings.graphiql:
        assets = find_assets()
        routes.extend(graphiql_routes(assets))

        def ide_page() -> str:
            return graphiql_page("/graphql", assets)

    view = GraphQLView(build_schema(), state.require, state.field_reads, ide_page=ide_page)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes += [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "if-none-match", "authorization"],
            expose_headers=["etag"],
            max_age=86_400,
        ),
        Middleware(GZipMiddleware, minimum_size=1024),
        Middleware(HTTPCacheMiddleware),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=run)
