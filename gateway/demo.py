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
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.app import create_app
from gateway.settings import Settings
from simulator.app import create_app as create_simulator
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


def run_demo(*, host: str, port: int, catalog: str, events_per_minute: float, profile: str) -> None:
    simulator_port = port + SIMULATOR_OFFSET
    simulation = build_simulation(catalog=catalog, profile=profile)
    gateway = create_app(demo_settings(host, simulator_port))

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

    @asynccontextmanager
    async def both(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for part in (simulator, gateway):
                await stack.enter_async_context(part.router.lifespan_context(part))
            log.info("GraphiQL and the API: http://%s:%d/graphql", host, port)
            log.info(
                "simulated Fedora: http://%s:%d (control API under /_sim/)", host, simulator_port
            )
            yield

    app = Starlette(
        lifespan=both,
        middleware=[Middleware(_ByPort, apps={port: gateway, simulator_port: simulator})],
    )
    sockets = [_listen(host, port), _listen(host, simulator_port)]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    asyncio.run(server.serve(sockets=sockets))


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock
