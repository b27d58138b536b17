"""Freshness in the production shape: separate processes on real Redis and RabbitMQ.

The simulated world publishes its events to RabbitMQ; ``fedora-gateway worker`` consumes
them, invalidates and refills the Redis field cache and publishes each change on the
Redis change feed; ``fedora-gateway serve`` answers from that cache. After each kind of
event, the same query answers the new data from the cache, with no miss and no upstream
call at request time, and equal to what the upstreams say.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractRobustConnection
from redis.asyncio import Redis

from gateway.invalidation.feed import Change, RedisFeed, Subscription
from gateway.invalidation.messages import TOPICS
from tests.conftest import AMQP_URL, IN_CI, free_port, upstream_env
from tests.gateway.test_freshness import PAGE

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379")
#: A database of its own, flushed by this module only.
DATABASE = 11


@dataclass
class System:
    gateway: str
    truth: str
    simulator: str
    feed: RedisFeed
    processes: list[subprocess.Popen[bytes]]


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "--log-level", "WARNING", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if process.stderr is not None:
        process.stderr.close()


async def _up(url: str, processes: list[subprocess.Popen[bytes]], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            for process in processes:
                if process.poll() is not None:
                    errors = process.stderr.read().decode() if process.stderr else ""
                    raise AssertionError(f"{process.args} exited: {errors[-2000:]}")
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{url} did not come up"
            await asyncio.sleep(0.1)


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def amqp() -> AsyncIterator[AbstractRobustConnection]:
    try:
        connection = await asyncio.wait_for(aio_pika.connect_robust(AMQP_URL), 10)
    except (OSError, TimeoutError, aio_pika.exceptions.AMQPError) as error:
        if IN_CI:
            pytest.fail(f"RabbitMQ at {AMQP_URL} is unreachable under CI=true: {error!r}")
        pytest.skip(f"RabbitMQ at {AMQP_URL} is unreachable")
    async with connection:
        yield connection


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def redis_url() -> AsyncIterator[str]:
    url = f"{REDIS_URL.rstrip('/')}/{DATABASE}"
    client: Redis = Redis.from_url(url)
    try:
        await client.ping()
    except OSError as error:
        await client.aclose()
        if IN_CI:
            pytest.fail(f"Redis at {url} is unreachable under CI=true: {error!r}")
        pytest.skip(f"Redis at {url} is unreachable")
    await client.flushdb()
    yield url
    await client.flushdb()
    await client.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(amqp: AbstractRobustConnection, redis_url: str) -> AsyncIterator[System]:
    sim_port, gateway_port, truth_port = free_port(), free_port(), free_port()
    simulator = f"http://127.0.0.1:{sim_port}"
    queue = f"fedora-gateway-test-{uuid.uuid4().hex[:12]}"
    upstreams = upstream_env(simulator)
    processes = [
        _start(
            ["simulate", "--port", str(sim_port), "--size", "300", "--events-per-minute", "0"],
            {"GATEWAY_AMQP_URL": AMQP_URL},
        ),
        _start(
            ["worker"],
            {
                **upstreams,
                "GATEWAY_REDIS_URL": redis_url,
                "GATEWAY_AMQP_URL": AMQP_URL,
                "GATEWAY_WORKER_QUEUE": queue,
            },
        ),
        _start(
            ["serve", "--port", str(gateway_port)], {**upstreams, "GATEWAY_REDIS_URL": redis_url}
        ),
        _start(["serve", "--port", str(truth_port)], {**upstreams, "GATEWAY_FIELD_CACHE": "false"}),
    ]
    client: Redis = Redis.from_url(redis_url)
    feed = RedisFeed(client)
    try:
        await _up(f"{simulator}/_sim/world", processes)
        await _up(f"http://127.0.0.1:{gateway_port}/healthz", processes)
        await _up(f"http://127.0.0.1:{truth_port}/healthz", processes)
        await _queue_ready(amqp, queue, processes)
        await feed.start()
        yield System(
            f"http://127.0.0.1:{gateway_port}",
            f"http://127.0.0.1:{truth_port}",
            simulator,
            feed,
            processes,
        )
    finally:
        await feed.close()
        await client.aclose()
        for process in processes:
            _stop(process)
        channel = await amqp.channel()
        await channel.queue_delete(queue)
        await channel.close()


async def _queue_ready(
    broker: AbstractRobustConnection, queue: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    deadline = time.monotonic() + 30
    while True:
        channel = await broker.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
            if declared.declaration_result.consumer_count:
                return
        except Exception:  # not declared yet: the worker is still starting
            pass
        finally:
            if not channel.is_closed:
                await channel.close()
        assert time.monotonic() < deadline, "the worker did not start consuming"
        assert all(p.poll() is None for p in processes)
        await asyncio.sleep(0.2)


async def _query(http: httpx.AsyncClient, url: str, name: str) -> dict[str, Any]:
    response = await http.post(
        f"{url}/graphql", json={"query": PAGE, "variables": {"name": name, "after": None}}
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body


@pytest.mark.parametrize("kind", ["build", "build_failed", "update", "bug", "owner", "repo"])
async def test_an_event_through_rabbitmq_refreshes_the_redis_cache(
    system: System, kind: str
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        owners = (
            await http.get(f"{system.simulator}/pagure/extras/pagure_owner_alias.json")
        ).json()
        name = "kernel" if "kernel" in owners["rpms"] else next(iter(owners["rpms"]))
        await _query(http, system.gateway, name)  # fills the cache: the variants become live
        warm = await _query(http, system.gateway, name)
        assert warm["extensions"]["cache"]["misses"] == 0

        subscription = system.feed.subscribe(maxsize=1000)  # before the event: miss nothing
        try:
            event = (
                await http.post(
                    f"{system.simulator}/_sim/events", json={"type": kind, "package": name}
                )
            ).json()
            handled = {
                message_id
                for message_id, topic in zip(event["message_ids"], event["topics"], strict=True)
                if topic in TOPICS
            }
            assert handled
            await _changes(subscription, handled)
        finally:
            subscription.close()
        assert (await http.delete(f"{system.simulator}/_sim/stats")).status_code == 204

        fresh = await _query(http, system.gateway, name)
        cache = fresh["extensions"]["cache"]
        assert (cache["misses"], cache["stale"]) == (0, 0), cache
        stats = (await http.get(f"{system.simulator}/_sim/stats")).json()
        assert stats == {}, "the answer needed the upstreams at request time"
        truth = await _query(http, system.truth, name)
        assert fresh["data"] == truth["data"]


async def _changes(subscription: Subscription, ids: set[str]) -> None:
    """Wait until the worker published the change of every message in ``ids``."""
    async with asyncio.timeout(30):
        async for item in subscription:
            if isinstance(item, Change) and item.message_id in ids:
                ids.discard(item.message_id)
                if not ids:
                    return
