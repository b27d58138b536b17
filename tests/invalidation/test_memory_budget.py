"""The in-memory field cache keeps its entries under a byte budget, evicting the least
recently used ones with their tag memberships, and never forgets a generation."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.invalidation import keys
from gateway.invalidation.keys import Recipe, Tag
from gateway.invalidation.memory import ENTRY_OVERHEAD, MemoryFieldCache

BASH = keys.package("bash", "koji")


def key(number: int) -> str:
    return Recipe.of("Build", number, "tags").key


def cost(number: int, value: bytes, *tags: Tag) -> int:
    return len(key(number)) + len(value) + sum(map(len, tags)) + ENTRY_OVERHEAD


async def fill(cache: MemoryFieldCache, number: int, value: bytes, *tags: Tag) -> bool:
    return await cache.put(
        key(number), value, tags or (keys.build(number),), await cache.snapshot()
    )


async def present(cache: MemoryFieldCache, *numbers: int) -> list[int]:
    found = await cache.get_many([key(n) for n in numbers], record=False)
    return [n for n, entry in zip(numbers, found, strict=True) if entry is not None]


def budget_for(entries: int, value_size: int = 100) -> int:
    """Room for exactly ``entries`` entries of one-digit numbers and ``value_size`` values."""
    return entries * cost(1, b"x" * value_size, keys.build(1))


async def test_an_entry_costs_its_key_value_tags_and_the_overhead() -> None:
    cache = MemoryFieldCache(max_bytes=10_000)
    await fill(cache, 1, b"x" * 100, BASH, keys.build(1))
    assert cache.used_bytes == cost(1, b"x" * 100, BASH, keys.build(1))
    await fill(cache, 1, b"x" * 10, BASH)
    assert cache.used_bytes == cost(1, b"x" * 10, BASH)
    await cache.delete([key(1)])
    assert cache.used_bytes == 0


async def test_the_least_recently_used_entry_goes_first() -> None:
    cache = MemoryFieldCache(max_bytes=budget_for(3))
    for number in (1, 2, 3):
        assert await fill(cache, number, b"x" * 100)
    await cache.get_many([key(1)])  # 2 is now the least recently used
    assert await fill(cache, 4, b"x" * 100)
    assert await present(cache, 1, 2, 3, 4) == [1, 3, 4]
    assert cache.evictions == 1
    assert cache.used_bytes <= cache.max_bytes


async def test_a_write_counts_as_a_use() -> None:
    cache = MemoryFieldCache(max_bytes=budget_for(3))
    for number in (1, 2, 3):
        await fill(cache, number, b"x" * 100)
    await fill(cache, 1, b"y" * 100)
    await fill(cache, 4, b"x" * 100)
    assert await present(cache, 1, 2, 3, 4) == [1, 3, 4]


async def test_a_look_that_is_not_recorded_is_not_a_use_either() -> None:
    cache = MemoryFieldCache(max_bytes=budget_for(2))
    await fill(cache, 1, b"x" * 100)
    await fill(cache, 2, b"x" * 100)
    await cache.get_many([key(1)], record=False)
    await fill(cache, 3, b"x" * 100)
    assert await present(cache, 1, 2, 3) == [2, 3]


async def test_a_big_entry_evicts_as_many_as_it_needs() -> None:
    cache = MemoryFieldCache(max_bytes=budget_for(4))
    for number in (1, 2, 3, 4):
        await fill(cache, number, b"x" * 100)
    big = b"x" * (cost(1, b"x" * 100, keys.build(1)) * 2 + 10)
    assert await fill(cache, 5, big)
    assert await present(cache, 1, 2, 3, 4, 5) == [4, 5]
    assert cache.evictions == 3


async def test_an_entry_larger_than_the_budget_is_not_kept() -> None:
    cache = MemoryFieldCache(max_bytes=budget_for(2))
    await fill(cache, 1, b"x" * 100)
    await fill(cache, 2, b"x" * 100)
    assert not await fill(cache, 2, b"x" * budget_for(3))
    assert await present(cache, 1, 2) == [1]  # the older value of 2 is gone too
    assert cache.evictions == 0
    assert cache.used_bytes == cost(1, b"x" * 100, keys.build(1))


async def test_eviction_takes_the_tag_memberships_along() -> None:
    cache = MemoryFieldCache(max_bytes=budget_for(2, value_size=50))
    await fill(cache, 1, b"x" * 10, BASH)
    await fill(cache, 2, b"x" * 10, BASH)
    await cache.get_many([key(1), key(2)], now=100)
    await fill(cache, 3, b"x" * 100)
    await fill(cache, 4, b"x" * 100)
    assert await present(cache, 1, 2) == []
    assert await cache.live([BASH], since=0) == []
    assert await cache.invalidate([BASH]) == []
    assert await cache.live_keys(0) == sorted([key(1), key(2)])  # still read: a miss refills


async def test_generations_outlive_the_entries() -> None:
    """A fill that began before an invalidation is refused even if every entry of the tag was
    evicted meanwhile: the budget never forgets a generation."""
    cache = MemoryFieldCache(max_bytes=budget_for(2))
    await fill(cache, 1, b"x" * 100, BASH)
    snapshot = await cache.snapshot()
    await cache.invalidate([BASH])
    for number in range(2, 10):
        await fill(cache, number, b"x" * 100)
    assert await present(cache, 1) == []
    assert not await cache.put(key(1), b"late", [BASH], snapshot)


def test_the_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        MemoryFieldCache(max_bytes=0)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 9), st.integers(0, 400)),
        st.tuples(st.just("get"), st.integers(0, 9), st.just(0)),
        st.tuples(st.just("delete"), st.integers(0, 9), st.just(0)),
        st.tuples(st.just("invalidate"), st.integers(0, 9), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operations=operations, entries=st.integers(1, 6))
def test_the_cache_evicts_exactly_like_an_lru_model(
    operations: list[tuple[str, int, int]], entries: int
) -> None:
    asyncio.run(_against_the_model(operations, budget_for(entries)))


async def _against_the_model(operations: list[tuple[str, int, int]], max_bytes: int) -> None:
    cache = MemoryFieldCache(max_bytes=max_bytes)
    model: OrderedDict[int, int] = OrderedDict()  # number -> cost, least recently used first
    evictions = 0
    for operation, number, size in operations:
        if operation == "put":
            value = b"v" * size
            fits = cost(number, value, BASH) <= max_bytes
            assert await fill(cache, number, value, BASH) == fits
            model.pop(number, None)
            if fits:
                model[number] = cost(number, value, BASH)
                while sum(model.values()) > max_bytes:
                    model.popitem(last=False)
                    evictions += 1
        elif operation == "get":
            await cache.get_many([key(number)])
            if number in model:
                model.move_to_end(number)
        elif operation == "delete":
            await cache.delete([key(number)])
            model.pop(number, None)
        else:
            await cache.invalidate([keys.build(number)])  # marks, never evicts
        assert cache.used_bytes == sum(model.values()) <= max_bytes
        assert cache.evictions == evictions
        assert len(cache) == len(model)
    assert sorted(await present(cache, *range(10))) == sorted(model)
    assert await cache.invalidate([BASH]) == sorted(key(n) for n in model)
