"""Single flight within one process: concurrent calls for one key share one run.

The first caller for a key starts the work as a task of its own; callers that arrive while
it runs await the same task. The work is shielded from its callers: one caller giving up
(a request cancelled by its client) neither cancels the others nor the work itself, whose
result then still lands in the cache. A failure reaches every caller of that run, and the
next call for the key starts afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """At most one run of the work per key at a time; latecomers share its outcome."""

    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Task[V]] = {}
        #: How many runs were started, for tests and metrics.
        self.started = 0

    def __len__(self) -> int:
        return len(self._flights)

    def __contains__(self, key: object) -> bool:
        return key in self._flights

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.create_task(_call(work))
            self.started += 1
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._land(key, done))
        return await asyncio.shield(flight)

    def _land(self, key: K, flight: asyncio.Task[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            # Retrieved here so that a failure nobody awaited any more is not reported as
            # "never retrieved"; the callers still awaiting it receive it all the same.
            flight.exception()


async def _call(work: Callable[[], Awaitable[V]]) -> V:
    return await work()
