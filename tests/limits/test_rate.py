"""Rate limiting by cost: token buckets per client, in memory and in Redis, over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from gateway.limits.rate import Buckets, MemoryBuckets, RedisBuckets
from simulator.world import World
from tests.conftest import LiveServer
from tests.gateway.conftest import settings_for
from tests.limits.conftest import offline, serving


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_bucket_pays_what_it_holds_and_refills_at_its_rate() -> None:
    clock = Clock()
    buckets = MemoryBuckets(rate=10, capacity=100, clock=clock)
    first = await buckets.take("a", 60)
    assert (first.allowed, first.remaining) == (True, 40)
    refused = await buckets.take("a", 50)
    assert (refused.allowed, refused.remaining) == (False, 40)
    assert refused.retry_after_s == pytest.approx(1.0)
    assert (await buckets.take("b", 100)).allowed  # every client its own bucket
    clock.now += 1.0
    assert (await buckets.take("a", 50)).remaining == 0
    clock.now += 1000
    assert (await buckets.take("a", 1)).remaining == 99  # never more than its capacity


async def test_a_cost_over_the_capacity_takes_the_whole_bucket() -> None:
    buckets = MemoryBuckets(rate=1, capacity=10, clock=Clock())
    assert (await buckets.take("a", 1000)).allowed
    assert not (await buckets.take("a", 1)).allowed


async def test_memory_buckets_forget_the_least_recently_seen_clients() -> None:
    clock = Clock()
    buckets = MemoryBuckets(rate=1, capacity=10, max_clients=2, clock=clock)
    await buckets.take("a", 10)
    await buckets.take("b", 10)
    await buckets.take("c", 10)
    assert len(buckets) == 2
    assert (await buckets.take("a", 10)).allowed  # forgotten: a full bucket again
    assert not (await buckets.take("c", 10)).allowed


@pytest.mark.redis
async def test_redis_buckets_charge_atomically(redis: Redis) -> None:
    buckets: Buckets = RedisBuckets(redis, rate=0.001, capacity=10)
    results = await asyncio.gather(*(buckets.take("client", 1) for _ in range(25)))
    assert sum(result.allowed for result in results) == 10
    refused = [result for result in results if not result.allowed]
    assert all(result.remaining == 0 for result in refused)
    assert all(result.retry_after_s > 900 for result in refused)  # 1 point at 0.001/s
    ttl = await redis.pttl("fedora-gateway:rate:client")
    assert 0 < ttl <= 10_000_000 + 1000


@pytest.mark.redis
async def test_redis_buckets_refill_on_redis_clock(redis: Redis) -> None:
    buckets = RedisBuckets(redis, rate=100, capacity=5)
    assert (await buckets.take("c", 5)).remaining == 0
    assert not (await buckets.take("c", 3)).allowed
    await asyncio.sleep(0.05)  # 5 points at 100/s
    again = await buckets.take("c", 3)
    assert again.allowed
    assert again.remaining is not None
    assert again.remaining >= 1


async def test_an_unreachable_redis_lets_operations_through() -> None:
    client: Redis = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    buckets = RedisBuckets(client, rate=1, capacity=1)
    for _ in range(3):
        throttle = await buckets.take("c", 1)
        assert (throttle.allowed, throttle.remaining) == (True, None)
    await client.aclose()


async def test_over_http_a_spent_bucket_is_429_with_retry_after() -> None:
    settings = offline(rate_limit_points_per_s=0.5, rate_limit_burst=3)
    async with serving(settings) as http:
        remaining = []
        for _ in range(3):
            response = await http.post("/graphql", json={"query": "{ __typename }"})
            assert response.status_code == 200
            remaining.append(response.json()["extensions"]["cost"]["remaining"])
        assert remaining == [2, 1, 0]
        refused = await http.post("/graphql", json={"query": "{ __typename }"})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "2"  # one point at half a point a second
        body = refused.json()
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 2}
        assert body["extensions"]["cost"] == {"requested": 1, "limit": 25_000, "remaining": 0}
    async with serving(settings, client=("198.51.100.1", 1)) as http:  # another client
        assert (await http.post("/graphql", json={"query": "{ __typename }"})).status_code == 200


async def test_an_operation_refused_before_it_runs_is_not_charged() -> None:
    async with serving(offline(rate_limit_points_per_s=0.001, rate_limit_burst=2)) as http:
        for _ in range(5):
            response = await http.post("/graphql", json={"query": "{ nope }"})
            assert response.status_code == 200
        ok = await http.post("/graphql", json={"query": "{ __typename }"})
        assert ok.json()["extensions"]["cost"]["remaining"] == 1


async def test_a_batch_is_charged_per_operation() -> None:
    async with serving(offline(rate_limit_points_per_s=0.001, rate_limit_burst=3)) as http:
        response = await http.post("/graphql", json=[{"query": "{ __typename }"}] * 4)
        assert response.status_code == 429
        answers = response.json()
        assert sum("data" in a and a["data"] is not None for a in answers) == 3
        assert sum(bool(a.get("errors")) for a in answers) == 1


async def test_a_replayed_answer_is_charged_like_an_executed_one(
    sim_server: LiveServer, world: World
) -> None:
    name = sorted(world.packages)[5]
    query = {"query": f'{{ package(name: "{name}") {{ name }} }}'}
    settings = settings_for(sim_server.url, rate_limit_points_per_s=0.001, rate_limit_burst=3)
    async with serving(settings) as http:
        executed = [(await http.post("/graphql", json=query)).json() for _ in range(2)]
        assert [answer["extensions"]["cost"]["remaining"] for answer in executed] == [2, 1]
        replayed = (await http.post("/graphql", json=query)).json()
        assert replayed["extensions"]["cache"]["replayed"] is True
        assert replayed["extensions"]["cost"] == {"requested": 1, "limit": 25_000, "remaining": 0}
        refused = await http.post("/graphql", json=query)
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


@pytest.mark.redis
async def test_replicas_share_a_clients_bucket_through_redis(redis_url: str) -> None:
    settings = offline(redis_url=redis_url, rate_limit_points_per_s=0.001, rate_limit_burst=2)
    async with serving(settings) as one, serving(settings) as other:
        assert (await one.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
        assert (await other.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
        assert (await one.post("/graphql", json={"query": "{ __typename }"})).status_code == 429
