"""The field cache in front of the upstream dataloaders.

A cached loader answers a batch of keys from the cache first. Fresh entries are hits.
The rest are filled together, so a cold level of a query still costs each upstream one
batched request:

1. keys another request of this process is already filling are awaited (single flight);
2. the others take their lease in the store (one fill per key across replicas); a key
   whose lease another replica holds is waited for, up to a deadline, and then served
   stale if a stale value exists, or fetched here;
3. a snapshot of the invalidation clock is taken, every remaining key is fetched in one
   batch, and each value is written conditionally: a fetch that raced with an event
   does not land (the caller still gets the value, as fresh as it gets).

An upstream that fails while a stale value exists is answered with that value, marked
stale: an outage never turns into an error or an empty list where something was known.
Each read is counted in the operation's :class:`CacheStats`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader

from clients import UpstreamError
from gateway.invalidation.store import Entry, FieldCache, Lease
from gateway.resolvers.kinds import Kind

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class CacheStats:
    """Field-cache reads of one operation: ``extensions.cache`` of its response.

    It also remembers which entries the operation's answer was made of (each key with the
    clock of the fill that wrote the entry it read), so the whole answer can be kept and
    replayed while every one of those entries is unchanged
    (:class:`gateway.responses.ResponseCache`). An answer made of anything else — a value
    another request's fill handed over, the search index — is not :attr:`replayable`.
    """

    hits: int = 0
    misses: int = 0
    stale: int = 0
    #: The fresh entries read: key -> the clock they were filled under.
    entries: dict[str, int] = field(default_factory=dict)
    #: Whether every value read came from one of :attr:`entries`.
    only_entries: bool = True

    def hit(self, key: str, entry: Entry) -> None:
        """A fresh entry was read."""
        self.hits += 1
        self.entries[key] = entry.clock

    def outside(self) -> None:
        """A value was read from somewhere other than a field-cache entry."""
        self.only_entries = False

    @property
    def replayable(self) -> bool:
        """Whether the operation's answer follows from :attr:`entries` alone."""
        return self.only_entries and not self.misses and not self.stale

    def as_dict(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "stale": self.stale}


@dataclass
class FieldReads:
    """The process-wide side of cached reads: the store, and the fills in flight."""

    cache: FieldCache
    #: How long a fill may hold a key's lease (longer than the slowest upstream answer).
    lease_s: float = 15.0
    #: How long a reader waits for another replica's fill before serving stale.
    wait_s: float = 1.0
    poll_s: float = 0.02
    _flights: dict[str, asyncio.Future[bytes | None]] = field(default_factory=dict)

    def loader(
        self, kind: Kind[K, V], upstream: DataLoader[K, V], stats: CacheStats
    ) -> DataLoader[K, V]:
        return DataLoader(_Batch(self, kind, upstream, stats).load)

    @property
    def in_flight(self) -> int:
        return len(self._flights)


@dataclass
class _Round(Generic[K, V]):
    """The keys of one batch that were not fresh, what the cache had of them, and answers."""

    keys: list[K]
    names: list[str]
    entries: list[Entry | None]
    results: dict[int, V | BaseException] = field(default_factory=dict)


class _Batch(Generic[K, V]):
    def __init__(
        self, reads: FieldReads, kind: Kind[K, V], upstream: DataLoader[K, V], stats: CacheStats
    ) -> None:
        self.reads = reads
        self.cache = reads.cache
        self.kind = kind
        self.upstream = upstream
        self.stats = stats

    async def load(self, keys: Sequence[K]) -> list[V | BaseException]:
        names = [self.kind.recipe(key).key for key in keys]
        try:
            entries = await self.cache.get_many(names)
        except Exception:  # a cache that cannot be read must not fail the request
            log.warning("the field cache cannot be read; asking the upstreams", exc_info=True)
            entries = [None] * len(keys)
        out: list[V | BaseException | None] = [None] * len(keys)
        todo: list[int] = []
        for index, entry in enumerate(entries):
            if entry is not None and not entry.stale:
                out[index] = self.kind.decode(entry.value)
                self.stats.hit(names[index], entry)
            else:
                todo.append(index)
        if todo:
            filled = await self._fill(
                _Round(
                    [keys[i] for i in todo], [names[i] for i in todo], [entries[i] for i in todo]
                )
            )
            for index, result in zip(todo, filled, strict=True):
                out[index] = result
        return out  # type: ignore[return-value]

    async def _fill(self, batch: _Round[K, V]) -> list[V | BaseException]:
        names, results = batch.names, batch.results
        flights = self.reads._flights
        loop = asyncio.get_running_loop()
        shared: dict[int, asyncio.Future[bytes | None]] = {}
        mine: list[int] = []
        for index, name in enumerate(names):
            if name in flights:
                shared[index] = flights[name]
            else:
                flights[name] = loop.create_future()
                mine.append(index)
        try:
            await self._fill_mine(batch, mine)
        finally:
            for index in mine:
                future = flights.pop(names[index])
                if not future.done():
                    future.set_result(self._shareable(results, index))
        for index, future in shared.items():
            data = await asyncio.shield(future)
            if data is not None:
                results[index] = self.kind.decode(data)
                self.stats.hits += 1
                self.stats.outside()  # another request's fill: no entry to check it against
            else:  # the other fill failed: try on our own
                await self._fill_mine(batch, [index])
        return [results[index] for index in range(len(batch.keys))]

    def _shareable(self, results: dict[int, V | BaseException], index: int) -> bytes | None:
        """What a fill hands the readers that waited on it: its value, or ``None`` (failed)."""
        if index not in results:
            return None
        answer = results[index]
        return None if isinstance(answer, BaseException) else self.kind.encode(answer)

    async def _fill_mine(self, batch: _Round[K, V], indexes: list[int]) -> None:
        if not indexes:
            return
        leases = await asyncio.gather(*(self._lease(batch.names[i]) for i in indexes))
        held = {i: lease for i, lease in zip(indexes, leases, strict=True) if lease is not None}
        waiting = [i for i in indexes if i not in held]
        try:
            fetch = list(held)
            if waiting:
                fetch += await self._wait_for_others(batch, waiting)
            await self._fetch(batch, fetch)
        finally:
            await asyncio.gather(*(self._release(lease) for lease in held.values()))

    async def _wait_for_others(self, batch: _Round[K, V], indexes: list[int]) -> list[int]:
        """Wait for other replicas' fills; returns the indexes this reader must fetch."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reads.wait_s
        pending = list(indexes)
        while pending and loop.time() < deadline:
            await asyncio.sleep(self.reads.poll_s)
            looked = await self.cache.get_many([batch.names[i] for i in pending], record=False)
            still = []
            for index, entry in zip(pending, looked, strict=True):
                if entry is not None and not entry.stale:
                    batch.results[index] = self.kind.decode(entry.value)
                    self.stats.hit(batch.names[index], entry)
                else:
                    still.append(index)
            pending = still
        return [index for index in pending if not self._serve_stale(batch, index)]

    def _serve_stale(self, batch: _Round[K, V], index: int) -> bool:
        """Answer with the value the cache had, counted stale; ``False`` when it had none."""
        old = batch.entries[index]
        if old is None:
            return False
        batch.results[index] = self.kind.decode(old.value)
        self.stats.stale += 1
        return True

    async def _fetch(self, batch: _Round[K, V], indexes: list[int]) -> None:
        if not indexes:
            return
        keys, names, results = batch.keys, batch.names, batch.results
        snapshot = await self.cache.snapshot()
        answers: list[Any] = await asyncio.gather(
            *(self.upstream.load(keys[i]) for i in indexes), return_exceptions=True
        )
        writes = []
        for index, answer in zip(indexes, answers, strict=True):
            if isinstance(answer, UpstreamError) and self._serve_stale(batch, index):
                continue  # an outage: the last known value, marked stale
            results[index] = answer
            if isinstance(answer, BaseException):
                continue
            self.stats.misses += 1
            tags = self.kind.tags(keys[index], answer)
            writes.append(self.cache.put(names[index], self.kind.encode(answer), tags, snapshot))
        outcomes = await asyncio.gather(*writes, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                log.warning("could not write to the field cache: %r", outcome)

    async def _lease(self, name: str) -> Lease | bool | None:
        try:
            return await self.cache.lease(name, ttl=self.reads.lease_s)
        except Exception:
            log.warning("the field cache cannot lease %s; filling without", name, exc_info=True)
            return True  # fill anyway: leases only spare duplicate work

    async def _release(self, lease: Lease | bool) -> None:
        if isinstance(lease, Lease):
            try:
                await self.cache.release(lease)
            except Exception:
                log.warning("could not release the lease on %s", lease.key, exc_info=True)
