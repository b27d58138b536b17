"""The worker's metrics: messages by topic and outcome, their lag, refills; its listener."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from gateway.app import create_app
from gateway.backends import field_cache
from gateway.demo import embedded_worker
from gateway.invalidation.delivery import Delivery, Drop, Retry
from gateway.invalidation.feed import MemoryFeed
from gateway.observability.bus import BusMetrics, serve_metrics
from gateway.observability.metrics import Metrics
from simulator.app import Simulation
from simulator.app import create_app as create_simulator
from simulator.bus import InProcessBus
from simulator.world import World
from tests.conftest import free_port
from tests.gateway.conftest import settings_for
from tests.observability.conftest import running, sample, scrape

PAGE = '{ package(name: "bash") { builds(first: 5) { totalCount nodes { nvr state } } } }'


def _delivery(topic: str, *, sent_at: datetime | None = None) -> Delivery:
    headers: dict[str, object] = {}
    if sent_at is not None:
        headers["sent-at"] = sent_at.isoformat()
    return Delivery(
        routing_key=f"org.fedoraproject.prod.{topic}",
        headers=headers,
        body=b"{}",
        message_id="m",
        redelivered=False,
        timestamp=datetime.now(UTC),
    )


async def test_deliveries_are_counted_by_topic_outcome_and_lag() -> None:
    registry = CollectorRegistry()
    bus = BusMetrics(registry)
    fates: list[BaseException | None] = [None, Drop("bad"), Retry("later"), RuntimeError("bug")]

    async def handler(delivery: Delivery) -> None:
        fate = fates.pop(0)
        if fate is not None:
            raise fate

    observed = bus.observe(handler)
    ago = datetime.now(UTC) - timedelta(seconds=30)
    await observed(_delivery("buildsys.tag", sent_at=ago))
    for outcome in (Drop, Retry, RuntimeError):
        with pytest.raises(outcome):
            await observed(_delivery("some.topic.nobody.reads"))

    text = generate_latest(registry).decode()
    messages = "fedora_gateway_bus_messages_total"
    assert sample(text, messages, topic="buildsys.tag", outcome="handled") == 1
    assert sample(text, messages, topic="other", outcome="dropped") == 1
    assert sample(text, messages, topic="other", outcome="retried") == 1
    assert sample(text, messages, topic="other", outcome="failed") == 1
    assert sample(text, "fedora_gateway_bus_lag_seconds_count") == 1  # only it had sent-at
    assert 30 <= sample(text, "fedora_gateway_bus_lag_seconds_sum") < 60
    assert sample(text, "fedora_gateway_bus_handle_duration_seconds_count") == 4


async def test_the_embedded_worker_counts_messages_and_refills(fresh_world: World) -> None:
    bus = InProcessBus()
    simulator = create_simulator(Simulation(fresh_world, bus=bus))
    to_simulator = httpx.ASGITransport(app=simulator)
    settings = settings_for("http://simulator.test")
    feed = MemoryFeed()
    app = create_app(
        settings,
        transport=to_simulator,
        cache=field_cache(settings),
        lifespan=embedded_worker(bus, feed, settings),
        feed=feed,
    )
    async with (
        running(app) as client,
        httpx.AsyncClient(transport=to_simulator, base_url="http://simulator.test") as control,
    ):
        assert "errors" not in (await client.post("/graphql", json={"query": PAGE})).json()
        event = await control.post("/_sim/events", json={"type": "build", "package": "bash"})
        assert event.status_code == 200, event.text
        consumer = app.state.consumer
        for _ in range(1000):  # 20 s
            if consumer.received >= bus.published and consumer._idle.is_set():
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the worker did not catch up")
        text = await scrape(client)

    handled = sample(text, "fedora_gateway_bus_messages_total", outcome="handled")
    assert handled == bus.published > 0
    assert sample(text, "fedora_gateway_bus_lag_seconds_count") == handled  # all have sent-at
    assert sample(text, "fedora_gateway_bus_events_total", result="handled") >= 1
    assert sample(text, "fedora_gateway_refilled_entries_total") >= 1
    assert sample(text, "fedora_gateway_bus_connected") == 1
    assert sample(text, "fedora_gateway_bus_deliveries_total") == bus.published
    assert sample(text, "fedora_gateway_change_feed_connected") == 1


def test_the_worker_serves_its_metrics_over_http(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics(process=False)
    port = free_port()
    server = serve_metrics(metrics.registry, "127.0.0.1", port)
    assert server is not None
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert response.status_code == 200
        assert "# TYPE fedora_gateway_bus_messages_total counter" in response.text
        assert "# TYPE fedora_gateway_upstream_request_duration_seconds histogram" in response.text
        with caplog.at_level(logging.ERROR, logger="gateway.observability.bus"):
            assert serve_metrics(metrics.registry, "127.0.0.1", port) is None  # taken: logged
        assert "cannot serve the worker's metrics" in caplog.text
    finally:
        server.shutdown()
        server.server_close()
    assert serve_metrics(metrics.registry, "127.0.0.1", 0) is None  # 0: no listener
