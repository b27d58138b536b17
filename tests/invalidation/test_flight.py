"""Single flight: one fill per key within a process, and one across replicas (leases)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import pytest

from gateway.invalidation import keys
from gateway.invalidation.flight import SingleFlight
from gateway.invalidation.gate import Fetched, FillGate
from gateway.invalidation.keys import Recipe, Tag
from gateway.invalidation.memory import MemoryFieldCache
from gateway.invalidation.store import Entry, FieldCache, Snapshot
from tests.invalidation.conftest import Backend

pytestmark = pytest.mark.timeout(30)

BASH = keys.package("bash", "koji")
BUILDS = Recipe.of("Package", "bash", "builds", first=10, after=None, state=None).key


class Upstream:
    """A source of truth that counts its fetches and can be held open."""

    def __init__(self, value: bytes = b"v1") -> None:
        self.value = value
        self.fetches = 0
        self.gate: asyncio.Event | None = None
        self.asked = asyncio.Event()
        self.failure: Exception | None = None

    def hold(self) -> asyncio.Event:
        self.gate = asyncio.Event()
        return self.gate

    async def fetch(self) -> Fetched:
        self.fetches += 1
        answer = self.value
        self.asked.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return Fetched(answer, [BASH])


# -- within a process ----------------------------------------------------------------------


async def test_concurrent_runs_of_a_key_share_one() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()
    runs = 0

    async def work() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return 42

    callers = [asyncio.create_task(flight.run("k", work)) for _ in range(100)]
    await asyncio.sleep(0)
    assert "k" in flight
    release.set()
    assert await asyncio.gather(*callers) == [42] * 100
    assert (runs, flight.started, len(flight)) == (1, 1, 0)
    assert await flight.run("k", work) == 42  # the next call runs again
    assert runs == 2


async def test_other_keys_fly_separately() -> None:
    flight: SingleFlight[str, str] = SingleFlight()

    def echo(text: str) -> Callable[[], Awaitable[str]]:
        async def work() -> str:
            await asyncio.sleep(0)
            return text

        return work

    results = await asyncio.gather(*(flight.run(k, echo(k)) for k in "abcab"))
    assert results == list("abcab")
    assert flight.started == 3


async def test_a_failure_reaches_every_caller_of_the_run() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()

    async def work() -> int:
        await release.wait()
        raise LookupError("upstream down")

    callers = [asyncio.create_task(flight.run("k", work)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(outcome, LookupError) for outcome in outcomes)
    assert len(flight) == 0


async def test_a_caller_giving_up_cancels_neither_the_run_nor_the_others() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()
    finished = asyncio.Event()

    async def work() -> int:
        await release.wait()
        finished.set()
        return 7

    impatient = asyncio.create_task(flight.run("k", work))
    patient = asyncio.create_task(flight.run("k", work))
    await asyncio.sleep(0)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    release.set()
    assert await patient == 7
    assert finished.is_set()


async def test_a_run_everyone_gave_up_on_still_finishes() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    release, finished = asyncio.Event(), asyncio.Event()

    async def work() -> int:
        await release.wait()
        finished.set()
        raise LookupError("nobody is listening")

    caller = asyncio.create_task(flight.run("k", work))
    await asyncio.sleep(0)
    caller.cancel()
    release.set()
    await asyncio.wait_for(finished.wait(), 1)
    await asyncio.sleep(0)
    assert len(flight) == 0


# -- the fill gate -------------------------------------------------------------------------


async def test_a_hundred_readers_of_a_missing_key_cause_one_fetch(cache: FieldCache) -> None:
    upstream = Upstream()
    release = upstream.hold()
    gate = FillGate(cache)
    readers = [asyncio.create_task(gate.fill(BUILDS, upstream.fetch)) for _ in range(100)]
    await upstream.asked.wait()
    release.set()
    served = await asyncio.gather(*readers)
    assert upstream.fetches == 1
    assert {(entry.value, entry.stale) for entry in served} == {(b"v1", False)}
    entry = (await cache.get_many([BUILDS]))[0]
    assert entry is not None
    assert (entry.value, entry.stale) == (b"v1", False)


async def test_a_hundred_readers_across_three_replicas_cause_one_fetch(backend: Backend) -> None:
    upstream = Upstream()
    release = upstream.hold()
    gates = [FillGate(await backend.open(), poll=0.005) for _ in range(3)]
    readers = [
        asyncio.create_task(gates[number % 3].fill(BUILDS, upstream.fetch)) for number in range(100)
    ]
    await upstream.asked.wait()
    await asyncio.sleep(0.05)  # the other replicas are waiting on the lease by now
    release.set()
    served = await asyncio.gather(*readers)
    assert upstream.fetches == 1
    assert {(entry.value, entry.stale) for entry in served} == {(b"v1", False)}


async def test_a_fresh_entry_is_not_fetched_again(cache: FieldCache) -> None:
    upstream = Upstream()
    await cache.put(BUILDS, b"there", [BASH], await cache.snapshot())
    served = await FillGate(cache).fill(BUILDS, upstream.fetch)
    assert (served.value, served.stale, upstream.fetches) == (b"there", False, 0)


async def test_the_gate_does_not_make_keys_live(cache: FieldCache) -> None:
    await FillGate(cache).fill(BUILDS, Upstream().fetch)
    assert await cache.live_keys(0) == []


async def test_a_replica_waits_past_a_hung_holder_then_serves_stale(backend: Backend) -> None:
    upstream = Upstream()
    holder_cache = await backend.open()
    holder = FillGate(holder_cache)
    waiter = FillGate(await backend.open(), wait=0.1, poll=0.01)
    await holder.fill(BUILDS, upstream.fetch)
    await holder_cache.invalidate([BASH])  # the event; the holder's refill then hangs
    release = upstream.hold()
    upstream.value = b"v2"
    upstream.asked.clear()
    hung = asyncio.create_task(holder.fill(BUILDS, upstream.fetch))
    await upstream.asked.wait()
    started = time.monotonic()
    served = await waiter.fill(BUILDS, upstream.fetch)
    assert (served.value, served.stale) == (b"v1", True)
    assert time.monotonic() - started >= 0.1
    assert upstream.fetches == 2  # the first fill and the hung refill: the waiter did not fetch
    release.set()
    assert (await hung).value == b"v2"


async def test_a_replica_waits_past_a_hung_holder_then_fetches(backend: Backend) -> None:
    upstream = Upstream()
    release = upstream.hold()
    holder = FillGate(await backend.open())
    waiter = FillGate(await backend.open(), wait=0.1, poll=0.01)
    hung = asyncio.create_task(holder.fill(BUILDS, upstream.fetch))
    await upstream.asked.wait()
    upstream.gate = None  # the waiter's own fetch answers at once
    served = await waiter.fill(BUILDS, upstream.fetch)
    assert (served.value, served.stale) == (b"v1", False)
    assert upstream.fetches == 2
    release.set()
    await hung


async def test_the_lease_of_a_dead_holder_expires(backend: Backend) -> None:
    cache = await backend.open()
    dead = await cache.lease(BUILDS, ttl=0.1)  # a replica took it and died
    assert dead is not None
    upstream = Upstream()
    started = time.monotonic()
    served = await FillGate(cache, wait=5, poll=0.01).fill(BUILDS, upstream.fetch)
    assert (served.value, served.stale, upstream.fetches) == (b"v1", False, 1)
    assert 0.1 <= time.monotonic() - started < 2


async def test_a_waiter_takes_over_when_the_holders_fill_is_refused(backend: Backend) -> None:
    """The holder's fetch began before an event; its write is refused and it gives the
    lease back; the waiting replica then fills with the new value instead of giving up."""
    upstream = Upstream()
    release = upstream.hold()
    holder = FillGate(await backend.open())
    waiter_cache = await backend.open()
    waiter = FillGate(waiter_cache, wait=5, poll=0.01)
    early = asyncio.create_task(holder.fill(BUILDS, upstream.fetch))
    await upstream.asked.wait()
    waiting = asyncio.create_task(waiter.fill(BUILDS, upstream.fetch))
    await asyncio.sleep(0.03)
    upstream.value = b"v2"
    await waiter_cache.invalidate([BASH])
    upstream.gate = None
    release.set()
    assert ((await early).value, (await early).stale) == (b"v1", True)
    served = await waiting
    assert (served.value, served.stale) == (b"v2", False)
    assert upstream.fetches == 2


async def test_a_failed_fetch_reaches_every_reader_and_frees_the_lease(cache: FieldCache) -> None:
    upstream = Upstream()
    release = upstream.hold()
    upstream.failure = ConnectionError("koji is down")
    gate = FillGate(cache, wait=5)
    readers = [asyncio.create_task(gate.fill(BUILDS, upstream.fetch)) for _ in range(10)]
    await upstream.asked.wait()
    release.set()
    outcomes = await asyncio.gather(*readers, return_exceptions=True)
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert upstream.fetches == 1
    upstream.failure, upstream.gate = None, None
    started = time.monotonic()
    served = await gate.fill(BUILDS, upstream.fetch)
    assert (served.value, served.stale) == (b"v1", False)
    assert time.monotonic() - started < 1  # no lease left behind to wait for


class WritesFail(MemoryFieldCache):
    """A cache that cannot take writes, as Redis out of memory under noeviction."""

    async def put(self, key: str, value: bytes, tags: Sequence[Tag], snapshot: Snapshot) -> bool:
        raise MemoryError("OOM command not allowed when used memory > 'maxmemory'")


async def test_a_cache_that_cannot_write_does_not_fail_the_read() -> None:
    served = await FillGate(WritesFail()).fill(BUILDS, Upstream().fetch)
    assert served == Entry(b"v1", False, (BASH,), 0)


async def test_a_fetch_without_tags_is_a_bug_not_a_cache_failure(cache: FieldCache) -> None:
    async def untagged() -> Fetched:
        return Fetched(b"x", [])

    with pytest.raises(ValueError, match="never be invalidated"):
        await FillGate(cache).fill(BUILDS, untagged)
