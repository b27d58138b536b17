"""One fill per key, across the requests of a process and across replicas.

Readers that miss (or find a stale entry) and the worker refilling after an event all go
through :meth:`FillGate.fill`. Within a process, concurrent fills of a key share one run
(:class:`~gateway.invalidation.flight.SingleFlight`). Across processes, the run first takes
the key's lease from the store: the holder fetches and writes; the others poll until a fresh
value lands, the lease comes free (they take it), or their deadline passes. At the deadline
they return the stale entry if there is one, and otherwise fetch for themselves, so a
holder that hangs or dies costs latency, never an answer.

Whoever fetches takes a snapshot first and writes conditionally, so a fill that raced with
an invalidation does not land; its caller still gets the value, marked stale.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from gateway.invalidation.flight import SingleFlight
from gateway.invalidation.keys import Tag
from gateway.invalidation.store import Entry, FieldCache, check_tags

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a fill got from the upstream: the value and the tags it depends on."""

    value: bytes
    tags: Sequence[Tag]


Fetch = Callable[[], Awaitable[Fetched]]


class FillGate:
    """Fills entries through a cache, at most one fetch per key at a time.

    ``lease`` must exceed the slowest fetch (seconds); ``wait`` is how long a caller waits
    for another replica's fill before serving stale or fetching itself; ``poll`` how often
    it looks meanwhile.
    """

    def __init__(
        self,
        cache: FieldCache,
        *,
        lease: float = 15.0,
        wait: float = 2.0,
        poll: float = 0.02,
    ) -> None:
        self._cache = cache
        self._lease = lease
        self._wait = wait
        self._poll = poll
        self._flight: SingleFlight[str, Entry] = SingleFlight()

    @property
    def in_flight(self) -> int:
        return len(self._flight)

    async def fill(self, key: str, fetch: Fetch) -> Entry:
        """A fresh entry for ``key``: filled by this call, by a concurrent one, or by another
        replica. Stale when only a stale value could be had in time, or when the fetched
        value could not land because an invalidation raced with the fetch."""
        return await self._flight.run(key, lambda: self._fill(key, fetch))

    async def _fill(self, key: str, fetch: Fetch) -> Entry:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        seen: Entry | None = None
        while True:
            lease = await self._cache.lease(key, ttl=self._lease)
            if lease is not None:
                try:
                    current = await self._peek(key)
                    if current is not None and not current.stale:
                        return current
                    return await self._fetch(key, fetch)
                finally:
                    await self._cache.release(lease)
            await asyncio.sleep(self._poll)
            current = await self._peek(key)
            if current is not None:
                if not current.stale:
                    return current
                seen = current
            if loop.time() >= deadline:
                return seen if seen is not None else await self._fetch(key, fetch)

    async def _peek(self, key: str) -> Entry | None:
        return (await self._cache.get_many([key], record=False))[0]

    async def _fetch(self, key: str, fetch: Fetch) -> Entry:
        snapshot = await self._cache.snapshot()
        fetched = await fetch()
        tags = check_tags(fetched.tags)
        try:
            stale = not await self._cache.put(key, fetched.value, tags, snapshot)
        except Exception:
            # A cache that cannot take writes (Redis out of memory) must not fail the read:
            # the value is as fresh as it gets, only not cached.
            log.warning("could not write %s to the field cache", key, exc_info=True)
            stale = False
        return Entry(fetched.value, stale, tags, snapshot.clock)
