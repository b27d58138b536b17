"""Run the simulated Fedora upstreams as a server (``fedora-gateway simulate``)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette

from simulator.app import Simulation, create_app
from simulator.bus import AmqpPublisher, InProcessBus, Publisher, TeePublisher
from simulator.catalog.loader import load_world
from simulator.stream import EventStream

log = logging.getLogger(__name__)


def build_simulation(
    *,
    catalog: str = "generated",
    seed: int | None = None,
    size: int | None = None,
    profile: str = "none",
    amqp: AmqpPublisher | None = None,
) -> Simulation:
    """A simulation of the catalog, publishing in process and, when given, to RabbitMQ."""
    started = time.perf_counter()
    world = load_world(catalog, seed=seed, size=size)
    log.info(
        "world of the %s catalog ready in %.1f s: %s",
        catalog,
        time.perf_counter() - started,
        ", ".join(f"{count} {name}" for name, count in world.stats().items()),
    )
    local = InProcessBus()
    bus: Publisher = TeePublisher(local, amqp) if amqp is not None else local
    simulation = Simulation(world, bus=bus)
    simulation.faults.use_profile(profile)
    return simulation


def serve_simulation(
    *,
    host: str,
    port: int,
    catalog: str,
    seed: int | None,
    size: int | None,
    events_per_minute: float,
    profile: str,
    amqp_url: str | None,
) -> None:
    amqp = AmqpPublisher(amqp_url) if amqp_url else None
    simulation = build_simulation(catalog=catalog, seed=seed, size=size, profile=profile, amqp=amqp)

    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if amqp is not None:
            await amqp.connect()
        stream = None
        if events_per_minute > 0:
            stream = EventStream(simulation.mutator, events_per_minute, seed=seed or 0)
            stream.start()
        try:
            yield
        finally:
            if stream is not None:
                await stream.stop()
            if amqp is not None:
                await amqp.close()

    log.info("simulated Fedora on http://%s:%d (control API under /_sim/)", host, port)
    uvicorn.run(
        create_app(simulation, lifespan=lifespan), host=host, port=port, log_level="warning"
    )
