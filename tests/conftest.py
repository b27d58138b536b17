"""Fixtures shared by the whole suite: a small simulated world served over real HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import aio_pika
import pytest
import uvicorn
from aio_pika.abc import AbstractRobustConnection

from simulator.app import Simulation, create_app
from simulator.catalog.loader import generated_world
from simulator.world import World

SHARED = Path(os.environ.get("GATEWAY_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
IN_CI = os.environ.get("CI", "").lower() == "true"

AMQP_URL = os.environ.get("GATEWAY_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

#: The size of the world most tests use: every code path, built in a fraction of a second.
TEST_WORLD_SIZE = 600


def require_shared(*parts: str) -> Path:
    """A path under ../shared; skips locally when absent, fails under CI=true."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing, and CI=true forbids skipping")
        pytest.skip(f"{path} is not present")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class LiveServer:
    """A uvicorn server in a background thread, for clients that need real HTTP."""

    def __init__(self, app: object, port: int, *, also: Sequence[int] = ()) -> None:
        config = uvicorn.Config(
            app,  # type: ignore[arg-type]
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.url = f"http://127.0.0.1:{port}"
        self._sockets = [_listening(p) for p in (port, *also)] if also else []
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": self._sockets or None}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        for sock in self._sockets:
            sock.close()


@pytest.fixture(scope="session")
def world() -> World:
    """A small generated world, shared read-only by tests that do not mutate it."""
    return generated_world(size=TEST_WORLD_SIZE)


@pytest.fixture
def fresh_world() -> World:
    """A small generated world of the test's own, for tests that mutate it."""
    return generated_world(size=TEST_WORLD_SIZE)


@pytest.fixture(scope="session")
def simulation(world: World) -> Simulation:
    return Simulation(world)


@pytest.fixture(scope="session")
def sim_server(simulation: Simulation) -> Iterator[LiveServer]:
    """The simulated upstreams of the session world on a real port."""
    with LiveServer(create_app(simulation), free_port()) as server:
        yield server


@pytest.fixture
async def broker() -> AsyncIterator[AbstractRobustConnection]:
    """A connection to the test RabbitMQ; fails under CI=true when it is unreachable."""
    try:
        connection = await asyncio.wait_for(aio_pika.connect_robust(AMQP_URL), 10)
    except (OSError, TimeoutError, aio_pika.exceptions.AMQPError) as exc:
        if IN_CI:
            pytest.fail(f"RabbitMQ at {AMQP_URL} is unreachable under CI=true: {exc!r}")
        pytest.skip(f"RabbitMQ at {AMQP_URL} is unreachable: {exc!r}")
    async with connection:
        yield connection


def upstream_env(simulator: str) -> dict[str, str]:
    """``GATEWAY_*_URL`` variables pointing a gateway process at the simulator at ``simulator``."""
    return {
        "GATEWAY_KOJI_URL": f"{simulator}/kojihub",
        "GATEWAY_MDAPI_URL": f"{simulator}/mdapi",
        "GATEWAY_BODHI_URL": f"{simulator}/bodhi",
        "GATEWAY_BUGZILLA_URL": f"{simulator}/bugzilla",
        "GATEWAY_PAGURE_URL": f"{simulator}/pagure",
    }
