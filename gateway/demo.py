"""``fedora-gateway demo``: the whole system in one process, on embedded defaults.

One uvicorn server listens on two ports: the gateway on ``port`` and the simulated
Fedora upstreams (with their control API) on ``port + 100``. The gateway reaches
the simulator over real HTTP on loopback, as it would reach Fedora; a steady
stream of world events keeps the data moving. This is the only module of the
gateway that imports the simulator.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.app import create_app
from gateway.backends import field_cache
from gateway.invalidation.delivery import Delivery
from gateway.invalidation.feed import ChangeFeed, MemoryFeed
from gateway.invalidation.local import LocalConsumer
from gateway.invalidation.worker import Invalidator
from gateway.observability.logs import use_log_format
from gateway.observability.metrics import Metrics
from gateway.search.updater import SearchUpdater
from gateway.server import server_options
from gateway.settings import Settings
from simulator.app import create_app as create_simulator
from simulator.bus import InProcessBus, Overflow
from simulator.messages import Message
from simulator.server import build_simulation
from simulator.stream import EventStream

log = logging.getLogger(__name__)

SIMULATOR_OFFSET = 100


class _ByPort:
    """Route each connection to the app that owns the port it arrived on."""

    def __init__(self, app: ASGIApp, *, apps: Mapping[int, ASGIApp]) -> None:
        self.app = app
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        target = self.apps.get(server[1]) if server else None
        await (target or self.app)(scope, receive, send)


def demo_settings(host: str, simulator_port: int) -> Settings:
    """Settings that point the gateway at the simulator, every other backend embedded."""
    base = f"http://{host}:{simulator_port}"
    return Settings(
        koji_url=f"{base}/kojihub",
        mdapi_url=f"{base}/mdapi",
        bodhi_url=f"{base}/bodhi",
        bugzilla_url=f"{base}/bugzilla",
        pagure_url=f"{base}/pagure",
    )


def combined(
    gateway: Starlette, simulator: Starlette, *, port: int, simulator_port: int
) -> Starlette:
    """One app for two ports: the gateway on ``port``, the simulator on ``simulator_port``."""

    @asynccontextmanager
    async def both(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for part in (simulator, gateway):
                await stack.enter_async_context(part.router.lifespan_context(part))
            yield

    return Starlette(
        lifespan=both,
        middleware=[Middleware(_ByPort, apps={port: gateway, simulator_port: simulator})],
    )


def delivery_of(message: Message) -> Delivery:
    """A simulator message as the worker receives it from a broker."""
    return Delivery(
        routing_key=message.routing_key,
        headers=dict(message.headers),
        body=message.encoded_body(),
        message_id=message.id,
        redelivered=False,
        timestamp=datetime.now(UTC),
    )


async def deliveries(bus: InProcessBus) -> AsyncIterator[Delivery]:
    """Every message the simulated world publishes, none dropped (the world waits)."""
    subscription = bus.subscribe(maxsize=10_000, overflow=Overflow.BLOCK)
    try:
        async for message in subscription:
            yield delivery_of(message)
    finally:
        subscription.close()


def embedded_worker(
    bus: InProcessBus, feed: ChangeFeed, settings: Settings
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The invalidation worker inside the gateway's process, fed by the in-process bus."""

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        invalidator = Invalidator(
            app.state.field_cache,
            app.state.upstreams,
            feed,
            live_window_s=settings.live_window_s,
            search=SearchUpdater(app.state.search.index, app.state.upstreams),
        )
        metrics: Metrics = app.state.metrics
        handler = metrics.bus.observe(invalidator.handle, prefix=settings.topic_prefix)
        consumer = LocalConsumer(deliveries(bus), handler)
        metrics.bus.watch(invalidator, consumer)
        app.state.invalidator, app.state.consumer = invalidator, consumer
        await feed.start()
        consumer.start()
        try:
            yield
        finally:
            await consumer.stop()
            await invalidator.close()
            await feed.close()

    return run


def run_demo(*, host: str, port: int, catalog: str, events_per_minute: float, profile: str) -> None:
    simulator_port = port + SIMULATOR_OFFSET
    settings = demo_settings(host, simulator_port)
    use_log_format(settings.log_format)
    simulation = build_simulation(catalog=catalog, profile=profile)
    if not isinstance(simulation.bus, InProcessBus):
        raise TypeError("the demo runs on the in-process bus")
    feed = MemoryFeed()
    gateway = create_app(
        settings,
        cache=field_cache(settings),
        lifespan=embedded_worker(simulation.bus, feed, settings),
        feed=feed,
    )

    async def stream_events(app: Starlette) -> AsyncIterator[None]:
        stream = EventStream(simulation.mutator, events_per_minute) if events_per_minute else None
        if stream is not None:
            stream.start()
        try:
            yield
        finally:
            if stream is not None:
                await stream.stop()

    simulator = create_simulator(simulation, lifespan=stream_events)

    app = combined(gateway, simulator, port=port, simulator_port=simulator_port)
    log.info("GraphiQL and the API: http://%s:%d/graphql", host, port)
    log.info("simulated Fedora: http://%s:%d (control API under /_sim/)", host, simulator_port)
    sockets = [listening_socket(host, port), listening_socket(host, simulator_port)]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", **server_options(settings)))
    asyncio.run(server.serve(sockets=sockets))


def listening_socket(host: str, port: int, *, backlog: int = 1024) -> socket.socket:
    """A bound, listening socket that uvicorn can serve on (one server, several ports)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock
