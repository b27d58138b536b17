"""A live system for subscription tests: the gateway with its worker and feed, the world."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.backends import field_cache
from gateway.demo import combined, embedded_worker
from gateway.invalidation.feed import MemoryFeed
from gateway.subscriptions.hub import Hub
from simulator.app import Simulation
from simulator.app import create_app as create_simulator
from simulator.bus import InProcessBus
from simulator.catalog.loader import generated_world
from simulator.world import World
from tests.conftest import LiveServer, free_port
from tests.gateway.conftest import settings_for


class LiveSystem:
    """The demo's composition: gateway, embedded worker, in-process feed, simulated world."""

    def __init__(self, world: World, **overrides: Any) -> None:
        self.world = world
        self.bus = InProcessBus()
        self.feed = MemoryFeed()
        port, sim_port = free_port(), free_port()
        settings = settings_for(f"http://127.0.0.1:{sim_port}", **overrides)
        worker = embedded_worker(self.bus, self.feed, settings)
        self.loop: asyncio.AbstractEventLoop | None = None

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            self.loop = asyncio.get_running_loop()
            async with worker(app):
                yield

        self.gateway: Starlette = create_app(
            settings, cache=field_cache(settings), lifespan=lifespan, feed=self.feed
        )
        app = combined(
            self.gateway,
            create_simulator(Simulation(world, bus=self.bus)),
            port=port,
            simulator_port=sim_port,
        )
        self.server = LiveServer(app, port, also=[sim_port])
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/graphql"
        self.sim = httpx.Client(base_url=f"http://127.0.0.1:{sim_port}", timeout=30)

    @property
    def hub(self) -> Hub:
        hub: Hub = self.gateway.state.hub
        return hub

    def tasks(self) -> int:
        """The tasks alive in the server's event loop."""
        assert self.loop is not None

        async def count() -> int:
            return len(asyncio.all_tasks())

        return asyncio.run_coroutine_threadsafe(count(), self.loop).result(timeout=10)

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Make the simulated world do something; what it did."""
        response = self.sim.post("/_sim/events", json={"type": kind, **fields})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_for(self, condition: Any, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.01)


@pytest.fixture(scope="module")
def live() -> Iterator[LiveSystem]:
    system = LiveSystem(generated_world(size=300), ws_init_timeout_s=1.0, ws_max_subscriptions=5)
    with system.server:
        yield system
    system.sim.close()
