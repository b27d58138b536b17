"""The simulated world's steady stream of events.

:class:`EventStream` performs mutations at random, at a Poisson rate of
``rate_per_minute``, choosing kinds in realistic proportions (builds and bugs are
common, ownership changes rare) and packages weighted by their activity (a busy
package with many builds, updates and bugs changes more often, as in Fedora). It
runs as an asyncio task; :meth:`EventStream.burst` performs many events at once,
a mass rebuild for builds.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Mapping

from simulator.mutations import KINDS, MassRebuildResult, MutationResult, Mutator

log = logging.getLogger(__name__)

#: How often each kind happens relative to the others.
KIND_WEIGHTS: Mapping[str, float] = {
    "build": 30.0,
    "update": 25.0,
    "bug": 22.0,
    "repo": 12.0,
    "build_failed": 6.0,
    "owner": 5.0,
}


class EventStream:
    """Mutations at a steady random rate, until stopped."""

    def __init__(
        self,
        mutator: Mutator,
        rate_per_minute: float = 30.0,
        seed: int = 0,
        *,
        kinds: Mapping[str, float] | None = None,
        max_in_flight: int = 32,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive")
        weights = dict(kinds or KIND_WEIGHTS)
        unknown = set(weights) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds: {', '.join(sorted(unknown))}")
        self.mutator = mutator
        self.rate_per_minute = rate_per_minute
        self.rng = random.Random(seed)
        self._kinds = list(weights)
        self._kind_cum = list(itertools.accumulate(weights.values()))
        self._names: list[str] = []
        self._name_cum: list[float] = []
        self._max_in_flight = max(1, max_in_flight)
        self._in_flight: set[asyncio.Task[MutationResult | None]] = set()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.counts: Counter[str] = Counter()
        self.failed = 0

    @property
    def emitted(self) -> int:
        """Mutations completed so far."""
        return sum(self.counts.values())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Run the stream as a task of the running loop (idempotent)."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self.run(), name="event-stream")
        return self._task

    async def run(self) -> None:
        """Perform events until :meth:`stop`; each event runs as its own task."""
        stopping = self._stopping
        if self._task is None:
            self._task = asyncio.current_task()
        self._refresh_weights()
        interval = 60.0 / self.rate_per_minute
        deadline = time.monotonic()
        log.info("event stream: %.1f events per minute", self.rate_per_minute)
        while not stopping.is_set():
            deadline += self.rng.expovariate(1.0 / interval)
            delay = deadline - time.monotonic()
            if delay > 0 and await _wait(stopping, delay):
                break
            self._launch()
        await self._drain()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop producing events; wait for those in flight, cancelled after ``grace`` s."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None or task is asyncio.current_task():
            return
        try:
            await asyncio.wait_for(task, grace)
        except TimeoutError:
            log.warning("event stream did not stop within %.1fs; cancelled", grace)

    # -- events ------------------------------------------------------------------------

    async def step(self) -> MutationResult | None:
        """Perform one random event now; a failed event is logged, not raised."""
        kind = self.choose_kind()
        package = self.choose_package()
        try:
            result = await self.mutator.apply(kind, package)
        except Exception:
            self.failed += 1
            log.exception("event %s on %s failed", kind, package)
            return None
        self.counts[kind] += 1
        return result

    async def burst(
        self, kind: str = "build", count: int = 100
    ) -> MassRebuildResult | list[MutationResult]:
        """``count`` events of ``kind`` at once: a mass rebuild when ``kind`` is build."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if kind == "build":
            result = await self.mutator.mass_rebuild(count=count)
            self.counts["mass_rebuild"] += result.builds
            return result
        results = []
        for _ in range(count):
            results.append(await self.mutator.apply(kind, self.choose_package()))
            self.counts[kind] += 1
        return results

    def choose_kind(self) -> str:
        point = self.rng.random() * self._kind_cum[-1]
        return self._kinds[bisect.bisect_right(self._kind_cum, point)]

    def choose_package(self) -> str:
        """A live package, weighted by how active it has been."""
        if not self._names:
            self._refresh_weights()
        point = self.rng.random() * self._name_cum[-1]
        return self._names[bisect.bisect_right(self._name_cum, point)]

    def _refresh_weights(self) -> None:
        world = self.mutator.world
        names, weights = [], []
        for package in world.packages.values():
            if package.retired:
                continue
            activity = (
                len(world.builds_by_package.get(package.id, ()))
                + 2 * len(world.updates_by_package.get(package.name, ()))
                + len(world.bugs_by_component.get(package.name, ()))
            )
            names.append(package.name)
            weights.append(1.0 + activity)
        if not names:
            raise RuntimeError("the world has no live package to mutate")
        self._names, self._name_cum = names, list(itertools.accumulate(weights))

    def _launch(self) -> None:
        if len(self._in_flight) >= self._max_in_flight:
            log.warning("event stream falling behind: %d events in flight", len(self._in_flight))
            return
        task = asyncio.get_running_loop().create_task(self.step())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _drain(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Wait for ``event`` at most ``seconds``; True when it was set."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True
