"""Kept answers are replayed only while every field-cache entry they were made of holds."""

from __future__ import annotations

import pytest

from gateway.invalidation.memory import MemoryFieldCache
from gateway.resolvers.cached import CacheStats
from gateway.responses import ResponseCache

QUERY = "query($n: String!) { package(name: $n) { name } }"


async def _read(store: MemoryFieldCache, *keys: str) -> CacheStats:
    """What an operation reading ``keys`` through the cached loaders would have counted."""
    stats = CacheStats()
    for key, entry in zip(keys, await store.get_many(keys), strict=True):
        assert entry is not None
        assert not entry.stale
        stats.hit(key, entry)
    return stats


async def _filled(store: MemoryFieldCache, key: str, tag: str, value: bytes = b"v") -> None:
    assert await store.put(key, value, [tag], await store.snapshot())


@pytest.fixture
async def store() -> MemoryFieldCache:
    store = MemoryFieldCache()
    await _filled(store, "package:bash", "pkg:bash")
    await _filled(store, "builds:bash", "pkg:bash")
    await _filled(store, "bugs:bash", "component:bash")
    return store


async def test_an_answer_is_replayed_while_its_entries_hold(store: MemoryFieldCache) -> None:
    responses = ResponseCache(store, max_bytes=1 << 20)
    key = responses.key(QUERY, {"n": "bash"}, None)
    data = {"package": {"name": "bash"}}
    assert responses.keep(key, data, await _read(store, "package:bash", "bugs:bash"))

    stats = CacheStats()
    kept = await responses.replay(key, stats)
    assert kept is not None
    assert kept.data == data
    assert (stats.hits, stats.misses, stats.stale) == (2, 0, 0)
    assert set(stats.entries) == {"package:bash", "bugs:bash"}
    assert responses.replays == 1


async def test_variables_and_operation_names_are_part_of_the_key(store: MemoryFieldCache) -> None:
    responses = ResponseCache(store, max_bytes=1 << 20)
    assert responses.keep(
        responses.key(QUERY, {"n": "bash"}, None), {"x": 1}, await _read(store, "package:bash")
    )
    assert await responses.replay(responses.key(QUERY, {"n": "zsh"}, None), CacheStats()) is None
    assert await responses.replay(responses.key(QUERY, {"n": "bash"}, "Op"), CacheStats()) is None
    same = responses.key(QUERY + " ", {"n": "bash"}, None)
    assert await responses.replay(same, CacheStats()) is None
    # the order of variables does not matter
    two = responses.key(QUERY, {"a": 1, "b": 2}, None)
    assert two == responses.key(QUERY, {"b": 2, "a": 1}, None)


async def test_an_invalidation_ends_the_replay(store: MemoryFieldCache) -> None:
    responses = ResponseCache(store, max_bytes=1 << 20)
    key = responses.key(QUERY, {"n": "bash"}, None)
    responses.keep(key, {"x": 1}, await _read(store, "package:bash", "bugs:bash"))
    await store.invalidate(["component:bash"])

    assert await responses.replay(key, CacheStats()) is None
    assert responses.refusals == 1
    assert len(responses) == 0  # forgotten: the next execution keeps the new answer


async def test_a_refill_ends_the_replay_even_with_the_same_value(store: MemoryFieldCache) -> None:
    responses = ResponseCache(store, max_bytes=1 << 20)
    key = responses.key(QUERY, {"n": "bash"}, None)
    responses.keep(key, {"x": 1}, await _read(store, "builds:bash"))
    await store.invalidate(["pkg:bash"])
    await _filled(store, "builds:bash", "pkg:bash")  # refilled: fresh again, by another fill

    assert await responses.replay(key, CacheStats()) is None


async def test_an_evicted_entry_ends_the_replay(store: MemoryFieldCache) -> None:
    responses = ResponseCache(store, max_bytes=1 << 20)
    key = responses.key(QUERY, {"n": "bash"}, None)
    responses.keep(key, {"x": 1}, await _read(store, "builds:bash"))
    await store.delete(["builds:bash"])

    assert await responses.replay(key, CacheStats()) is None


async def test_a_replay_records_its_entries_as_read(store: MemoryFieldCache) -> None:
    responses = ResponseCache(store, max_bytes=1 << 20)
    key = responses.key(QUERY, {"n": "bash"}, None)
    responses.keep(key, {"x": 1}, await _read(store, "builds:bash"))
    await store.forget_reads(before=float("inf"))
    assert await store.live_keys(since=0) == []

    assert await responses.replay(key, CacheStats()) is not None
    assert await store.live_keys(since=0) == ["builds:bash"]  # the worker keeps refilling it


@pytest.mark.parametrize("spoil", ["miss", "stale", "outside"])
async def test_an_answer_not_made_of_fresh_entries_alone_is_not_kept(
    store: MemoryFieldCache, spoil: str
) -> None:
    responses = ResponseCache(store, max_bytes=1 << 20)
    stats = await _read(store, "package:bash")
    if spoil == "miss":
        stats.misses += 1
    elif spoil == "stale":
        stats.stale += 1
    else:
        stats.outside()
    assert not responses.keep(responses.key(QUERY, {}, None), {"x": 1}, stats)
    assert len(responses) == 0


async def test_the_budget_drops_the_least_recently_replayed(store: MemoryFieldCache) -> None:
    stats = await _read(store, "package:bash")
    responses = ResponseCache(store, max_bytes=1500)
    keys = [responses.key(QUERY, {"n": str(i)}, None) for i in range(3)]
    for key in keys[:2]:
        assert responses.keep(key, {"blob": "x" * 300}, stats)
    assert await responses.replay(keys[0], CacheStats()) is not None  # now the most recent
    assert responses.keep(keys[2], {"blob": "x" * 300}, stats)

    assert responses.bytes <= 1500
    assert await responses.replay(keys[1], CacheStats()) is None
    assert await responses.replay(keys[0], CacheStats()) is not None
    assert await responses.replay(keys[2], CacheStats()) is not None
    assert not responses.keep(keys[1], {"blob": "x" * 5000}, stats)  # larger than the budget
