"""One contract for the field cache, run against the memory and the Redis adapters.

The orderings of snapshot, invalidate and put below are the deterministic interleavings of a
fill and an event; tests/invalidation/test_races.py runs them concurrently and at random.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import redis.exceptions
from redis.asyncio import Redis

from gateway.invalidation import keys
from gateway.invalidation.keys import Recipe
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.invalidation.store import Entry, FieldCache
from tests.conftest import IN_CI, free_port
from tests.invalidation.conftest import Backend

BASH = keys.package("bash", "koji")
ZSH = keys.package("zsh", "koji")
BUILD = keys.build(123)
F45 = keys.release("f45")

BUILDS = Recipe.of("Package", "bash", "builds", first=10, after=None, state=None).key
PAGE_2 = Recipe.of("Package", "bash", "builds", first=10, after="b10", state=None).key
LATEST = Recipe.of("Package", "bash", "latestBuilds").key
ZSH_BUILDS = Recipe.of("Package", "zsh", "builds", first=10, after=None, state=None).key


async def fill(cache: FieldCache, key: str, value: bytes, *tags: keys.Tag) -> bool:
    return await cache.put(key, value, tags, await cache.snapshot())


async def read(cache: FieldCache, key: str) -> Entry | None:
    return (await cache.get_many([key]))[0]


# -- entries -----------------------------------------------------------------------------


async def test_a_missing_key_reads_as_none(cache: FieldCache) -> None:
    assert await cache.get_many([BUILDS, LATEST]) == [None, None]
    assert await cache.get_many([]) == []


async def test_a_filled_entry_reads_back_fresh_with_its_tags(cache: FieldCache) -> None:
    snapshot = await cache.snapshot()
    assert await cache.put(BUILDS, b'{"nodes": []}', [BASH, F45], snapshot)
    entry = await read(cache, BUILDS)
    assert entry == Entry(b'{"nodes": []}', False, (BASH, F45), snapshot.clock)


async def test_values_are_opaque_bytes(cache: FieldCache) -> None:
    odd = bytes(range(256)) + b"\n\r\x00 \xff\xfe"
    assert await fill(cache, BUILDS, odd, BASH)
    assert await fill(cache, LATEST, b"", BASH)
    found = await cache.get_many([BUILDS, LATEST])
    assert [entry.value if entry else None for entry in found] == [odd, b""]


async def test_reads_keep_the_order_of_the_keys_asked(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"builds", BASH)
    await fill(cache, ZSH_BUILDS, b"zsh", ZSH)
    found = await cache.get_many([ZSH_BUILDS, LATEST, BUILDS, ZSH_BUILDS])
    assert [entry.value if entry else None for entry in found] == [b"zsh", None, b"builds", b"zsh"]


async def test_an_entry_needs_well_formed_tags(cache: FieldCache) -> None:
    snapshot = await cache.snapshot()
    with pytest.raises(ValueError, match="never be invalidated"):
        await cache.put(BUILDS, b"x", [], snapshot)
    with pytest.raises(ValueError, match="malformed tag"):
        await cache.put(BUILDS, b"x", [keys.Tag("pkg:a\nb")], snapshot)
    assert await read(cache, BUILDS) is None


async def test_duplicate_tags_are_kept_once(cache: FieldCache) -> None:
    assert await fill(cache, BUILDS, b"x", BASH, F45, BASH)
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert entry.tags == (BASH, F45)


# -- conditional writes: the interleavings of a fill and an invalidation -----------------


async def test_a_fill_that_began_before_an_invalidation_does_not_land(cache: FieldCache) -> None:
    snapshot = await cache.snapshot()  # the fill begins, then asks the upstream ...
    assert await cache.invalidate([BASH]) == []  # ... an event arrives meanwhile ...
    assert not await cache.put(BUILDS, b"old", [BASH], snapshot)  # ... and the answer is late
    assert await read(cache, BUILDS) is None


async def test_a_late_fill_leaves_the_previous_value_stale(cache: FieldCache) -> None:
    assert await fill(cache, BUILDS, b"v1", BASH)
    snapshot = await cache.snapshot()
    assert await cache.invalidate([BASH]) == [BUILDS]
    assert not await cache.put(BUILDS, b"v1-again", [BASH], snapshot)
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert (entry.value, entry.stale) == (b"v1", True)


async def test_a_fill_that_began_after_an_invalidation_lands(cache: FieldCache) -> None:
    await cache.invalidate([BASH])
    snapshot = await cache.snapshot()
    assert await cache.put(BUILDS, b"new", [BASH], snapshot)
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert (entry.value, entry.stale) == (b"new", False)


async def test_invalidating_other_tags_does_not_refuse_a_fill(cache: FieldCache) -> None:
    snapshot = await cache.snapshot()
    await cache.invalidate([ZSH, keys.build(999)])
    assert await cache.put(BUILDS, b"x", [BASH, F45], snapshot)


async def test_a_tag_learned_from_the_answer_is_covered_too(cache: FieldCache) -> None:
    """The snapshot need not name the tags: the fill learns build:123 from the upstream."""
    snapshot = await cache.snapshot()
    await cache.invalidate([BUILD])
    assert not await cache.put(LATEST, b"[123]", [BASH, BUILD], snapshot)


async def test_of_two_fills_racing_an_invalidation_neither_lands(cache: FieldCache) -> None:
    first = await cache.snapshot()
    second = await cache.snapshot()
    await cache.invalidate([BASH])
    assert not await cache.put(BUILDS, b"second", [BASH], second)
    assert not await cache.put(BUILDS, b"first", [BASH], first)
    assert await read(cache, BUILDS) is None


async def test_of_two_fills_around_an_invalidation_only_the_later_lands(cache: FieldCache) -> None:
    early = await cache.snapshot()
    await cache.invalidate([BASH])
    late = await cache.snapshot()
    assert await cache.put(BUILDS, b"late", [BASH], late)
    assert not await cache.put(BUILDS, b"early", [BASH], early)
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert (entry.value, entry.stale) == (b"late", False)


async def test_an_older_fill_never_overwrites_a_newer_one(cache: FieldCache) -> None:
    older = await cache.snapshot()
    await cache.invalidate([ZSH])  # unrelated: the older fill is not refused for it
    newer = await cache.snapshot()
    assert await cache.put(BUILDS, b"newer", [BASH], newer)
    assert not await cache.put(BUILDS, b"older", [BASH], older)
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert entry.value == b"newer"


async def test_fills_under_one_snapshot_both_land(cache: FieldCache) -> None:
    snapshot = await cache.snapshot()
    assert await cache.put(BUILDS, b"one", [BASH], snapshot)
    assert await cache.put(BUILDS, b"two", [BASH], snapshot)
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert entry.value == b"two"


async def test_a_snapshot_of_another_store_is_refused(backend: Backend) -> None:
    cache = await backend.open()
    other = Backend(backend.name)
    try:
        foreign = await (await other.open()).snapshot()
    finally:
        await other.close()
    assert not await cache.put(BUILDS, b"x", [BASH], foreign)


# -- invalidation and staleness ----------------------------------------------------------


async def test_invalidation_marks_entries_stale_and_keeps_them(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"builds", BASH, F45)
    await fill(cache, LATEST, b"latest", BASH, BUILD)
    await fill(cache, ZSH_BUILDS, b"zsh", ZSH, F45)
    assert await cache.invalidate([BUILD]) == [LATEST]
    found = await cache.get_many([BUILDS, LATEST, ZSH_BUILDS])
    assert [(e.value, e.stale) if e else None for e in found] == [
        (b"builds", False),
        (b"latest", True),
        (b"zsh", False),
    ]
    assert await cache.invalidate([F45]) == [BUILDS, ZSH_BUILDS]
    found = await cache.get_many([BUILDS, LATEST, ZSH_BUILDS])
    assert [e.stale if e else None for e in found] == [True, True, True]


async def test_invalidation_returns_each_affected_key_once(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"x", BASH, F45)
    await fill(cache, PAGE_2, b"y", BASH, F45)
    assert await cache.invalidate([BASH, F45, BASH]) == sorted([BUILDS, PAGE_2])


async def test_invalidation_is_idempotent(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"x", BASH)
    assert await cache.invalidate([BASH]) == [BUILDS]
    assert await cache.invalidate([BASH]) == [BUILDS]
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert (entry.value, entry.stale) == (b"x", True)
    assert await cache.invalidate([]) == []
    assert await cache.invalidate([keys.bug(1)]) == []


async def test_a_landing_fill_clears_the_stale_mark(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"v1", BASH)
    await cache.invalidate([BASH])
    assert await fill(cache, BUILDS, b"v2", BASH)
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert (entry.value, entry.stale) == (b"v2", False)
    await cache.invalidate([BASH])
    entry = await read(cache, BUILDS)
    assert entry is not None
    assert entry.stale


async def test_a_refill_with_other_tags_moves_the_memberships(cache: FieldCache) -> None:
    old, new = keys.build(1), keys.build(2)
    await fill(cache, LATEST, b"[1]", BASH, old)
    await cache.get_many([LATEST], now=100)
    assert await fill(cache, LATEST, b"[2]", BASH, new)
    assert await cache.live([old], since=0) == []
    assert await cache.invalidate([old]) == []
    entry = await read(cache, LATEST)
    assert entry is not None
    assert (entry.value, entry.stale, entry.tags) == (b"[2]", False, (BASH, new))
    assert await cache.live([new], since=0) == [LATEST]
    assert await cache.invalidate([new]) == [LATEST]


# -- reads and live keys -----------------------------------------------------------------


async def test_reads_are_recorded_hits_and_misses(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"x", BASH)
    await cache.get_many([BUILDS, LATEST], now=100.0)
    assert await cache.live_keys(100.0) == [BUILDS, LATEST]
    assert await cache.live_keys(100.5) == []
    await cache.get_many([BUILDS], now=200.25)
    assert await cache.live_keys(150) == [BUILDS]


async def test_a_look_that_is_not_recorded_keeps_a_key_dead(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"x", BASH)
    entry = (await cache.get_many([BUILDS], now=100, record=False))[0]
    assert entry is not None
    assert await cache.live_keys(0) == []


async def test_live_keys_of_tags_read_since(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"a", BASH)
    await fill(cache, PAGE_2, b"b", BASH, F45)
    await fill(cache, ZSH_BUILDS, b"c", ZSH, F45)
    await fill(cache, LATEST, b"d", BASH)  # never read
    await cache.get_many([BUILDS], now=100)
    await cache.get_many([PAGE_2, ZSH_BUILDS], now=200)
    assert await cache.live([BASH], since=150) == [PAGE_2]
    assert await cache.live([BASH], since=0) == sorted([BUILDS, PAGE_2])
    assert await cache.live([BASH, ZSH], since=200) == [PAGE_2, ZSH_BUILDS]
    assert await cache.live([F45, BASH], since=0) == sorted([BUILDS, PAGE_2, ZSH_BUILDS])
    assert await cache.live([keys.bug(7)], since=0) == []
    assert await cache.live([], since=0) == []


async def test_live_keys_survive_their_invalidation(cache: FieldCache) -> None:
    """What the worker does: invalidate, then refill what readers still look at."""
    await fill(cache, BUILDS, b"a", BASH)
    await fill(cache, PAGE_2, b"b", BASH)
    await cache.get_many([BUILDS], now=100)
    assert await cache.invalidate([BASH]) == sorted([BUILDS, PAGE_2])
    assert await cache.live([BASH], since=50) == [BUILDS]


async def test_forgetting_old_reads(cache: FieldCache) -> None:
    await cache.get_many([BUILDS], now=100)
    await cache.get_many([LATEST, PAGE_2], now=200)
    assert await cache.forget_reads(200) == 1
    assert await cache.live_keys(0) == sorted([LATEST, PAGE_2])
    assert await cache.forget_reads(200) == 0
    assert await cache.forget_reads(200.5) == 2
    assert await cache.live_keys(0) == []


async def test_times_may_be_unbounded(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"a", BASH)
    await cache.get_many([BUILDS, LATEST], now=100)
    everything = float("-inf")
    assert await cache.live([BASH], since=everything) == [BUILDS]
    assert await cache.live_keys(everything) == [BUILDS, LATEST]
    assert await cache.live_keys(float("inf")) == []
    assert await cache.forget_reads(float("inf")) == 2


# -- delete -------------------------------------------------------------------------------


async def test_delete_removes_entries_and_their_memberships(cache: FieldCache) -> None:
    await fill(cache, BUILDS, b"a", BASH, F45)
    await fill(cache, PAGE_2, b"b", BASH)
    await cache.get_many([BUILDS, PAGE_2], now=100)
    assert await cache.delete([BUILDS, LATEST, BUILDS]) == 1
    assert await cache.get_many([BUILDS, PAGE_2], record=False) == [
        None,
        Entry(b"b", False, (BASH,), (await cache.snapshot()).clock),
    ]
    assert await cache.live([BASH, F45], since=0) == [PAGE_2]
    assert await cache.invalidate([BASH, F45]) == [PAGE_2]
    assert await cache.delete([]) == 0


# -- leases -------------------------------------------------------------------------------


async def test_one_lease_per_key_at_a_time(cache: FieldCache) -> None:
    lease = await cache.lease(BUILDS, ttl=10)
    assert lease is not None
    assert await cache.lease(BUILDS, ttl=10) is None
    other = await cache.lease(LATEST, ttl=10)
    assert other is not None
    assert await cache.release(lease)
    assert not await cache.release(lease)
    again = await cache.lease(BUILDS, ttl=10)
    assert again is not None
    assert again.token != lease.token
    assert await cache.release(again)
    assert await cache.release(other)


async def test_only_the_holder_releases_a_lease(cache: FieldCache) -> None:
    lease = await cache.lease(BUILDS, ttl=10)
    assert lease is not None
    assert not await cache.release(type(lease)(BUILDS, "not-the-token"))
    assert await cache.lease(BUILDS, ttl=10) is None
    assert await cache.release(lease)


async def test_a_lease_expires_by_itself(cache: FieldCache) -> None:
    lease = await cache.lease(BUILDS, ttl=0.05)
    assert lease is not None
    await asyncio.sleep(0.12)
    successor = await cache.lease(BUILDS, ttl=10)
    assert successor is not None
    assert not await cache.release(lease)
    assert await cache.release(successor)


# -- what only the Redis adapter has -----------------------------------------------------


@pytest.mark.redis
async def test_nothing_but_leases_expires_on_redis(redis_backend: Backend) -> None:
    cache = await redis_backend.open()
    await fill(cache, BUILDS, b"x", BASH)
    await cache.get_many([BUILDS])
    await cache.invalidate([BASH])
    lease = await cache.lease(LATEST, ttl=30)
    assert lease is not None
    stored = [
        key async for key in redis_backend.redis.scan_iter(match=f"{redis_backend.namespace}*")
    ]
    assert {redis_backend.key(k).encode() for k in _layout()} <= set(stored)
    for key in stored:
        ttl = await redis_backend.redis.pttl(key)
        if key == redis_backend.key(keys.lease_key(LATEST)).encode():
            assert 0 < ttl <= 30_000
        else:
            assert ttl == -1, key


def _layout() -> Iterator[str]:
    yield BUILDS
    yield keys.clock_key()
    yield keys.generation_key(BASH)
    yield keys.members_key(BASH)
    yield keys.reads_key()
    yield keys.lease_key(LATEST)


@pytest.mark.redis
async def test_a_redis_that_lost_its_memory_refuses_older_fills(redis_backend: Backend) -> None:
    cache = await redis_backend.open()
    await fill(cache, BUILDS, b"x", BASH)
    snapshot = await cache.snapshot()
    await cache.invalidate([BASH])
    # A restart without persistence: every key is gone, the counters start again from zero.
    await redis_backend.close()
    cache = await redis_backend.open()
    assert not await cache.put(BUILDS, b"fetched before the restart", [BASH], snapshot)
    assert await read(cache, BUILDS) is None
    assert await fill(cache, BUILDS, b"fetched after", BASH)


@pytest.mark.redis
async def test_an_invalidation_and_refill_between_the_two_reads(redis_backend: Backend) -> None:
    """A read takes two round trips; what happens in between only makes it conservative."""
    writer = await redis_backend.open()
    await fill(writer, BUILDS, b"v1", BASH)

    async def between(step: str) -> None:
        assert step == "get_many:entries-read"
        await writer.invalidate([BASH])
        assert await fill(writer, BUILDS, b"v2", BASH)

    reader = await redis_backend.open(hook=between)
    entry = await read(reader, BUILDS)
    assert entry is not None
    assert (entry.value, entry.stale) == (b"v1", True)
    entry = await read(writer, BUILDS)
    assert entry is not None
    assert (entry.value, entry.stale) == (b"v2", False)


@pytest.mark.redis
async def test_a_store_emptied_between_the_two_reads(redis_backend: Backend) -> None:
    writer = await redis_backend.open()
    await fill(writer, BUILDS, b"v1", BASH)
    await writer.invalidate([ZSH])

    async def between(step: str) -> None:
        await redis_backend.redis.delete(redis_backend.key(keys.clock_key()))

    reader = await redis_backend.open(hook=between)
    entry = await read(reader, BUILDS)
    assert entry is not None
    assert entry.stale


@pytest.mark.redis
async def test_a_delete_racing_a_refill_with_other_tags(redis_backend: Backend) -> None:
    writer = await redis_backend.open()
    await fill(writer, LATEST, b"[1]", BASH, keys.build(1))
    moved = False

    async def between(step: str) -> None:
        nonlocal moved
        if step == "delete:script" and not moved:
            moved = True
            assert await fill(writer, LATEST, b"[2]", BASH, keys.build(2))

    deleter = await redis_backend.open(hook=between)
    assert await deleter.delete([LATEST]) == 1
    assert moved
    assert await read(writer, LATEST) is None
    for tag in (BASH, keys.build(1), keys.build(2)):
        assert await redis_backend.redis.scard(redis_backend.key(keys.members_key(tag))) == 0


@pytest.mark.redis
async def test_a_client_that_decodes_responses_is_refused() -> None:
    client = Redis(decode_responses=True)
    try:
        with pytest.raises(ValueError, match="decode_responses"):
            RedisFieldCache(client)
    finally:
        await client.aclose()


@pytest.fixture
def full_redis() -> Iterator[str]:
    """A private Redis of 2 MB under noeviction, to be filled to the brim."""
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("redis-server is not installed, and CI=true forbids skipping")
        pytest.skip("redis-server is not installed")
    port = free_port()
    options = {"port": str(port), "bind": "127.0.0.1", "save": "", "appendonly": "no"}
    options |= {"maxmemory": "2mb", "maxmemory-policy": "noeviction"}
    arguments = [part for name, value in options.items() for part in (f"--{name}", value)]
    server = subprocess.Popen([binary, *arguments], stdout=subprocess.DEVNULL)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.redis
async def test_a_full_redis_still_reads_and_invalidates(full_redis: str) -> None:
    cache = RedisFieldCache.from_url(full_redis)
    try:
        for _ in range(100):
            try:
                await cache.snapshot()
                break
            except redis.exceptions.ConnectionError:
                await asyncio.sleep(0.05)
        assert await fill(cache, BUILDS, b"x", BASH)
        await cache.get_many([BUILDS], now=1)
        with pytest.raises(redis.exceptions.OutOfMemoryError):  # noqa: PT012
            for number in range(10_000):
                await fill(cache, f"{LATEST}{number}", b"y" * 1000, BASH)
        # Reads work (recording them may fail, quietly), invalidations land, fills fail.
        assert await cache.get_many([BUILDS, PAGE_2], now=2) == [
            Entry(b"x", False, (BASH,), 0),
            None,
        ]
        assert BUILDS in await cache.invalidate([BASH])
        entry = await read(cache, BUILDS)
        assert entry is not None
        assert entry.stale
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            await fill(cache, BUILDS, b"z", BASH)
    finally:
        await cache.close()
