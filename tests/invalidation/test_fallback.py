"""The gateway's field cache while Redis is away: skipped at once once known down, an
in-process fallback whose entries go stale after its TTL, Redis used again within the
probe interval, writes that never cross stores, and kept answers that never replay
against another store. On a private ``redis-server`` this module kills and pauses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.exceptions

from gateway.backends import redis_client
from gateway.invalidation import keys
from gateway.invalidation.fallback import FallbackFieldCache
from gateway.invalidation.keys import Tag
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.resolvers.cached import CacheStats
from gateway.responses import ResponseCache
from tests.conftest import free_port
from tests.faults.processes import PrivateRedis

TIMEOUT_S = 0.3
PROBE_S = 0.1
TAGS = [keys.package("bash", "koji")]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wrapper(url: str, *, ttl_s: float = 5.0, clock: Clock | None = None) -> FallbackFieldCache:
    primary = RedisFieldCache(redis_client(url, timeout_s=TIMEOUT_S), owns_client=True)
    return FallbackFieldCache(
        primary,
        fallback_bytes=2**20,
        fallback_ttl_s=ttl_s,
        probe_interval_s=PROBE_S,
        **({"clock": clock} if clock is not None else {}),
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(Path(tmp_path_factory.mktemp("redis")))
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
async def cache(server: PrivateRedis) -> AsyncIterator[FallbackFieldCache]:
    if server.process is None or server.process.poll() is not None:
        server.start()
    server.resume()
    store = wrapper(server.url)
    await store.primary._client.flushdb()
    try:
        yield store
    finally:
        server.resume()
        await store.close()


async def fill(store: FallbackFieldCache, key: str, value: bytes) -> bool:
    return await store.put(key, value, TAGS, await store.snapshot())


async def until_up(store: FallbackFieldCache, limit_s: float = 5.0) -> float:
    started = time.monotonic()
    while store.degraded:
        assert time.monotonic() - started < limit_s, "Redis was not used again"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def test_a_redis_that_refuses_is_skipped_and_the_fallback_answers() -> None:
    clock = Clock()
    store = wrapper(f"redis://127.0.0.1:{free_port()}/0", ttl_s=5.0, clock=clock)
    try:
        assert await store.get_many(["k"]) == [None]  # refused: the fallback answers
        assert store.degraded
        assert await fill(store, "k", b"v")
        (entry,) = await store.get_many(["k"])
        assert entry is not None
        assert (entry.value, entry.stale, entry.tags) == (b"v", False, tuple(TAGS))
        assert entry.clock < 0  # the fallback's clocks are its own
        clock.now += 5.0  # the stretch it was written in is over
        (entry,) = await store.get_many(["k"])
        assert entry is not None
        assert entry.stale
        assert entry.value == b"v"
        assert store.fallback_entries == 1
        with pytest.raises(redis.exceptions.ConnectionError):
            await store.ping()
    finally:
        await store.close()


async def test_a_killed_redis_is_skipped_and_used_again_once_restarted(
    server: PrivateRedis, cache: FallbackFieldCache
) -> None:
    assert await fill(cache, "k", b"before")
    server.kill()
    started = time.monotonic()
    assert await cache.get_many(["k"]) == [None]
    assert time.monotonic() - started < TIMEOUT_S  # refused at once
    assert cache.degraded
    assert await fill(cache, "k", b"during")
    server.start()
    took = await until_up(cache)
    assert took < PROBE_S + TIMEOUT_S + 0.5
    assert cache.fallback_entries == 0  # dropped
    assert await cache.get_many(["k"]) == [None]  # Redis restarted empty
    assert await fill(cache, "k", b"after")


async def test_a_paused_redis_costs_one_timeout_then_nothing(
    server: PrivateRedis, cache: FallbackFieldCache
) -> None:
    assert await fill(cache, "k", b"kept")
    (before,) = await cache.get_many(["k"])
    assert before is not None
    server.pause()
    started = time.monotonic()
    assert await cache.get_many(["k"]) == [None]
    first = time.monotonic() - started
    assert TIMEOUT_S * 0.9 <= first < TIMEOUT_S + 0.5
    started = time.monotonic()
    for _ in range(20):
        assert await cache.get_many(["k"]) == [None]
    assert time.monotonic() - started < 0.1  # Redis is not asked again
    server.resume()
    await until_up(cache, limit_s=PROBE_S + TIMEOUT_S + 1.0)
    (after,) = await cache.get_many(["k"])
    assert after is not None
    assert after.value == b"kept"
    assert not after.stale
    assert after.clock == before.clock + 2**64  # the same entry, of another life of Redis


async def test_writes_never_cross_stores(server: PrivateRedis, cache: FallbackFieldCache) -> None:
    of_redis = await cache.snapshot()
    server.pause()
    # sent, unanswered: False, though Redis may still run it once resumed, which is safe
    # (a conditional write under a snapshot of its own clock, like one on a slow network)
    assert not await cache.put("k", b"v", TAGS, of_redis)
    of_fallback = await cache.snapshot()
    assert not await cache.put("j", b"v", TAGS, of_redis)  # the fallback refuses Redis's
    assert await cache.get_many(["j"]) == [None]
    server.resume()
    await until_up(cache)
    assert not await cache.put("j", b"v", TAGS, of_fallback)  # Redis refuses the fallback's
    assert await cache.get_many(["j"]) == [None]
    assert await cache.put("j", b"v", TAGS, await cache.snapshot())


async def test_kept_answers_never_replay_against_another_store(
    server: PrivateRedis, cache: FallbackFieldCache
) -> None:
    responses = ResponseCache(cache, max_bytes=2**20)

    async def keep(data: str) -> None:
        stats = CacheStats()
        for entry, key in zip(await cache.get_many(["k"]), ["k"], strict=True):
            assert entry is not None
            assert not entry.stale
            stats.hit(key, entry)
        assert responses.keep(("q", b"{}", None), data, stats)

    async def replayed() -> str | None:
        kept = await responses.replay(("q", b"{}", None), CacheStats())
        return None if kept is None else str(kept.data)

    assert await fill(cache, "k", b"redis")
    await keep("made of Redis")
    assert await replayed() == "made of Redis"
    server.pause()
    assert await replayed() is None  # the fallback has no such entry
    assert await fill(cache, "k", b"fallback")
    await keep("made of the fallback")
    assert await replayed() == "made of the fallback"
    server.resume()
    await until_up(cache)
    # Redis still holds "k" of the fill before the pause, with the clock the first answer
    # was kept with: neither answer may replay against it
    assert await replayed() is None
    await keep("made of Redis again")
    assert await replayed() == "made of Redis again"


def test_the_period_tag_is_built_where_tags_are() -> None:
    assert keys.period(7) == Tag("period:7")
