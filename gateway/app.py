"""The gateway as an ASGI app: ``/graphql`` (GET, POST, WebSocket), health, GraphiQL.

``create_app(settings)`` composes; resources live in the lifespan: the upstream
clients and their connection pools are opened once per process and shared by all
requests, and so is the hub of live operations, fed by the change feed.
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
from gateway.backends import field_cache, redis_client, search_index
from gateway.context import Context, Live
from gateway.dashboard import dashboard_routes
from gateway.graphiql import find_assets, graphiql_page, graphiql_routes
from gateway.http_cache import HTTPCacheMiddleware
from gateway.invalidation.feed import ChangeFeed, RedisFeed
from gateway.invalidation.store import FieldCache
from gateway.limits import BodyLimit, DocumentLimits, LimitStores, open_stores
from gateway.observability.collectors import GatewayCollector
from gateway.observability.metrics import Metrics, metrics_endpoint
from gateway.observability.readiness import readiness_endpoint
from gateway.observability.requests import REQUEST_ID_HEADER, GraphQLRecorder, RequestLog
from gateway.resolvers.cached import CacheStats, FieldReads
from gateway.resolvers.loaders import Loaders
from gateway.responses import ResponseCache
from gateway.schema.schema import build_schema
from gateway.search.port import SearchIndex
from gateway.search.service import PackageSearch
from gateway.settings import Settings
from gateway.subscriptions.connection import Limits, websocket_endpoint
from gateway.subscriptions.hub import Hub
from gateway.view import GraphQLView


class _State:
    upstreams: Upstreams | None = None
    cache: FieldCache | None = None
    feed: ChangeFeed | None = None
    reads: FieldReads | None = None
    responses: ResponseCache | None = None
    hub: Hub | None = None
    search: PackageSearch | None = None
    limits: LimitStores | None = None

    def require(self) -> Upstreams:
        if self.upstreams is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self.upstreams

    def field_reads(self) -> FieldReads | None:
        return self.reads

    def package_search(self) -> PackageSearch | None:
        return self.search

    def response_cache(self) -> ResponseCache | None:
        return self.responses

    def limit_stores(self) -> LimitStores | None:
        return self.limits

    def live_hub(self) -> Hub:
        if self.hub is None:
            raise RuntimeError("the gateway's lifespan has not started")
        return self.hub


def create_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    cache: FieldCache | None = None,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
    feed: ChangeFeed | None = None,
    search: SearchIndex | None = None,
) -> Starlette:
    """The gateway.

    ``transport`` replaces the network to the upstreams (tests); ``cache`` is the field
    cache to share with an in-process worker (by default one is made from the settings,
    or none when ``field_cache`` is off); ``lifespan`` runs inside the gateway's own,
    with the upstreams open (an embedded worker); ``feed`` is the change feed the
    subscriptions follow, shared with that worker (by default the Redis feed when
    ``GATEWAY_REDIS_URL`` is set; without either, subscriptions are refused); ``search``
    is the package index, shared with that worker (by default one made from the settings).
    """
    state = _State()
    schema = build_schema(DocumentLimits.from_settings(settings))
    metrics = Metrics()
    metrics.registry.register(GatewayCollector(state))

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            state.upstreams = await stack.enter_async_context(
                Upstreams.from_settings(settings, transport=transport)
            )
            metrics.watch_upstreams(state.upstreams)
            state.limits = await stack.enter_async_context(open_stores(settings))
            store = cache
            if store is None and settings.field_cache:
                store = field_cache(settings)
                stack.push_async_callback(store.close)
            if store is not None:
                state.reads = FieldReads(store, wait_s=settings.stale_wait_s)
                if settings.response_cache_bytes:
                    state.responses = ResponseCache(store, max_bytes=settings.response_cache_bytes)
            state.search = PackageSearch(search or search_index(settings))
            await state.search.start(state.upstreams, build_if_empty=settings.search_build_on_start)
            stack.push_async_callback(state.search.close)
            changes = feed
            if changes is None and settings.redis_url:
                client = redis_client(settings.redis_url)
                stack.push_async_callback(client.aclose)
                changes = RedisFeed(client)
                stack.push_async_callback(changes.close)
            if changes is not None:
                await changes.start()
            state.cache, state.feed = store, changes
            # A live operation runs right after its change's refill; if the next message of a
            # burst has already leased the same entries, waiting for that refill would delay
            # this change by the whole burst. It reads the value its own change left instead
            # (counted stale), and the next change brings the newer one.
            live_reads = FieldReads(store, wait_s=0.0) if store is not None else None

            def live_loaders(stats: CacheStats) -> Loaders:
                return Loaders.of(state.require(), live_reads, stats)

            live = Live(changes, live_loaders) if changes is not None else None

            def context() -> Context:
                return Context(make_loaders=live_loaders, live=live, search=state.search)

            state.hub = Hub(schema, context)
            stack.push_async_callback(state.hub.close)
            app.state.upstreams = state.upstreams
            app.state.field_cache = store
            app.state.feed = changes
            app.state.hub = state.hub
            app.state.search = state.search
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app))
            yield
        state.upstreams = state.reads = state.responses = state.hub = state.search = None
        state.cache = state.feed = None
        state.limits = None

    ide_page = None
    routes: list[BaseRoute] = []
    if settings.graphiql:
        assets = find_assets()
        routes.extend(graphiql_routes(assets))

        def ide_page() -> str:
            return graphiql_page("/graphql", assets)

    view = GraphQLView(
        schema,
        state.require,
        state.field_reads,
        state.package_search,
        state.response_cache,
        limits=state.limit_stores,
        max_batch=settings.max_batch,
        timeout_s=settings.execution_timeout_s,
        max_cost=settings.max_cost,
        ide_page=ide_page,
    )
    limits = Limits(
        init_timeout_s=settings.ws_init_timeout_s,
        max_subscriptions=settings.ws_max_subscriptions,
        outbox=settings.ws_outbox,
        max_message_bytes=settings.ws_max_message_bytes,
    )

    async def healthz(request: Request) -> Response:
        hub = state.hub
        live = None
        if hub is not None:
            live = {
                "connections": hub.connections,
                "subscriptions": hub.subscribers,
                "operations": len(hub.streams),
                "results": hub.results,
                "dropped": hub.dropped,
            }
        responses = state.responses
        replayed = None
        if responses is not None:
            replayed = {
                "kept": len(responses),
                "bytes": responses.bytes,
                "replays": responses.replays,
                "refusals": responses.refusals,
            }
        return JSONResponse({"status": "ok", "live": live, "responses": replayed})

    routes += [
        Route("/graphql", view),  # the view answers 405 to other methods itself
        WebSocketRoute("/graphql", websocket_endpoint(state.live_hub, limits)),
        Route("/healthz", healthz),
        Route("/readyz", readiness_endpoint(state, timeout_s=settings.readiness_timeout_s)),
        Route("/metrics", metrics_endpoint(metrics.registry)),
    ]
    routes += dashboard_routes()
    middleware = [
        Middleware(RequestLog, metrics=metrics),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "if-none-match", "authorization", REQUEST_ID_HEADER],
            expose_headers=["etag", REQUEST_ID_HEADER],
            max_age=86_400,
        ),
        Middleware(GZipMiddleware, minimum_size=1024),
        Middleware(HTTPCacheMiddleware),
        Middleware(GraphQLRecorder),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=run)
    app.state.metrics = metrics
    return app
