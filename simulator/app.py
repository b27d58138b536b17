"""The simulated Fedora upstreams on one ASGI app.

``/kojihub``, ``/mdapi``, ``/bodhi``, ``/bugzilla`` and ``/pagure`` mirror the real
services under a prefix (``GATEWAY_KOJI_URL=http://127.0.0.1:8100/kojihub``), each
behind its :class:`~simulator.gate.UpstreamGate`; ``/_sim/`` is the control API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from simulator import control
from simulator.bus import InProcessBus, Publisher
from simulator.faults import Faults
from simulator.gate import UpstreamGate
from simulator.mutations import Mutator
from simulator.stats import Stats
from simulator.upstreams import bodhi, bugzilla, koji, mdapi, pagure
from simulator.world import World

UPSTREAM_APPS: dict[str, Callable[[World], ASGIApp]] = {
    "kojihub": koji.create_app,
    "mdapi": mdapi.create_app,
    "bodhi": bodhi.create_app,
    "bugzilla": bugzilla.create_app,
    "pagure": pagure.create_app,
}
_STATS_NAMES = {"kojihub": "koji"}


@dataclass
class Simulation:
    """One running simulated world: its state, counters, faults and bus."""

    world: World
    bus: Publisher = field(default_factory=InProcessBus)
    stats: Stats = field(default_factory=Stats)
    faults: Faults = field(default_factory=Faults)
    mutator: Mutator = field(init=False)

    def __post_init__(self) -> None:
        self.mutator = Mutator(self.world, self.bus)


class _Prefixes:
    """Dispatch by path prefix, presenting ``/kojihub`` to the koji app as ``/kojihub/``."""

    def __init__(self, app: ASGIApp, *, routes: Mapping[str, ASGIApp]) -> None:
        self.routes = {f"/{prefix}": upstream for prefix, upstream in routes.items()}
        self.fallback = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            for prefix, app in self.routes.items():
                if path == prefix or path.startswith(prefix + "/"):
                    root = scope.get("root_path", "") + prefix
                    inner = dict(
                        scope, root_path=root, path=path if path != prefix else prefix + "/"
                    )
                    await app(inner, receive, send)
                    return
        await self.fallback(scope, receive, send)


def create_app(
    simulation: Simulation,
    *,
    lifespan: Callable[[Starlette], AsyncIterator[None]] | None = None,
) -> Starlette:
    """The whole simulated Fedora: upstreams behind their gates, and the control API."""
    gated = {
        prefix: UpstreamGate(
            factory(simulation.world),
            upstream=_STATS_NAMES.get(prefix, prefix),
            stats=simulation.stats,
            faults=simulation.faults,
        )
        for prefix, factory in UPSTREAM_APPS.items()
    }
    return Starlette(
        routes=control.routes(simulation),
        middleware=[Middleware(_Prefixes, routes=gated)],
        lifespan=asynccontextmanager(lifespan) if lifespan is not None else None,
    )
