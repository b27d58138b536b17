"""The :class:`Mutator`: applies a mutation kind to a package and publishes its messages.

It dispatches a kind (:data:`ALL_KINDS`) to the class that plans it, runs the planned
steps in order under a per-package lock, with ``step_delay`` between steps and
``lag`` before each step's messages, and drives releng's mass rebuild.

:data:`KINDS` are the events that happen to a live package (any of them applies to
any live package, which the event stream and the tests rely on);
:data:`LIFECYCLE_KINDS` make a package (``package``, whose name must be new), end
one (``retire``) or describe it anew (``describe``), and read the request's options.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from simulator.bus import Publisher
from simulator.catalog.model import Package
from simulator.messages import Message
from simulator.mutations.branched import BranchedUpdates
from simulator.mutations.bugs import Bugs
from simulator.mutations.builds import Builds
from simulator.mutations.context import MutationContext
from simulator.mutations.lifecycle import Lifecycle
from simulator.mutations.ownership import Ownership
from simulator.mutations.rawhide import RawhideBuilds
from simulator.mutations.rebuild import MassRebuild
from simulator.mutations.repos import RepoRefreshes
from simulator.mutations.result import (
    Life,
    MassRebuildResult,
    MutationResult,
    Plan,
    Stage,
    UnknownPackageError,
)
from simulator.mutations.updates import Updates
from simulator.world import World

__all__ = ["ALL_KINDS", "KINDS", "LIFECYCLE_KINDS", "Mutator"]

log = logging.getLogger(__name__)

#: The events that happen to a live package.
KINDS = ("build", "build_failed", "update", "bug", "owner", "repo")
#: A package enters Fedora (``package``), leaves it (``retire``) or gets a new text
#: (``describe``).
LIFECYCLE_KINDS = ("package", "retire", "describe")
#: Every kind :meth:`Mutator.apply` performs.
ALL_KINDS = KINDS + LIFECYCLE_KINDS


class Mutator:
    """Applies mutations to ``world`` and publishes their messages to ``bus``."""

    def __init__(
        self,
        world: World,
        bus: Publisher,
        *,
        step_delay: float = 0.0,
        lag: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.world = world
        self.bus = bus
        self.step_delay = step_delay
        self.lag = lag
        self.rng = random.Random(world.seed * 7907 + 11 if seed is None else seed)
        self._locks: dict[str, asyncio.Lock] = {}
        self._context = MutationContext(world, self.rng)
        builds = Builds(self._context)
        bugs = Bugs(self._context, builds)
        updates = Updates(self._context, builds, bugs)
        rawhide = RawhideBuilds(self._context, builds, updates)
        self._rebuild = MassRebuild(self._context, builds)
        self._lives: dict[str, Life] = {
            "build": rawhide.build,
            "build_failed": rawhide.build_failed,
            "update": BranchedUpdates(self._context, builds, updates).update,
            "bug": bugs.bug,
            "owner": Ownership(self._context).owner,
            "repo": RepoRefreshes(self._context).repo,
        }
        lifecycle = Lifecycle(self._context, builds, rawhide)
        self._plans: dict[str, Plan] = {
            "package": lifecycle.package,
            "retire": lifecycle.retire,
            "describe": lifecycle.describe,
        }

    # -- the entry points ------------------------------------------------------------------

    async def apply(
        self, kind: str, package: str, options: Mapping[str, Any] | None = None
    ) -> MutationResult:
        """Perform one mutation of ``kind`` on ``package`` and publish its messages.

        ``options`` are the request's other fields; only :data:`LIFECYCLE_KINDS` read
        them (and refuse unknown ones), the other kinds ignore them.
        """
        result = MutationResult(kind, package)
        plan = self._plans.get(kind)
        if plan is not None:
            async with self._lock(package):
                await self._run(result, plan(package, options or {}, result))
            log.debug("%s %s: %d messages", kind, package, len(result.message_ids))
            return result
        life = self._lives.get(kind)
        if life is None:
            raise ValueError(f"unknown mutation {kind!r}; expected one of {', '.join(ALL_KINDS)}")
        record = self.world.packages.get(package)
        if record is None:
            raise UnknownPackageError(package)
        async with self._lock(package):
            await self._run(result, life(record, result))
        log.debug("%s %s: %d messages", kind, package, len(result.message_ids))
        return result

    async def mass_rebuild(
        self,
        count: int | None = None,
        packages: Iterable[str] | None = None,
        *,
        concurrency: int = 64,
    ) -> MassRebuildResult:
        """Rebuild ``packages`` (default: every live one) in rawhide as releng, ``count`` builds.

        Each build publishes BUILDING, COMPLETE and its tagging into the dist tag;
        builds are published concurrently, the messages of one build in order.
        """
        targets = self._rebuild.targets(count, packages)
        gate = asyncio.Semaphore(max(1, concurrency))
        result = MassRebuildResult()
        started = time.perf_counter()

        async def rebuild(package: Package) -> None:
            batch = self._rebuild.rebuild(package)
            result.build_ids.append(batch.build.id)
            async with gate:
                await self._lag()
                for message in batch.messages:
                    await self.bus.publish(message)
            result.messages += len(batch.messages)

        await asyncio.gather(*(rebuild(p) for p in targets))
        result.builds = len(targets)
        result.seconds = time.perf_counter() - started
        log.info(
            "mass rebuild: %d builds, %d messages in %.2fs",
            result.builds,
            result.messages,
            result.seconds,
        )
        return result

    def packagers(self) -> list[str]:
        """Every account that may act as a packager (no service accounts)."""
        return self._context.packagers()

    # -- running steps ----------------------------------------------------------------------

    def _lock(self, package: str) -> asyncio.Lock:
        lock = self._locks.get(package)
        if lock is None:
            lock = self._locks[package] = asyncio.Lock()
        return lock

    async def _run(self, result: MutationResult, stages: Sequence[Stage]) -> None:
        for index, stage in enumerate(stages):
            if index and self.step_delay > 0:
                await asyncio.sleep(self.step_delay)
            await self._emit(result, stage())

    async def _emit(self, result: MutationResult, batch: list[Message]) -> None:
        if not batch:
            return
        await self._lag()
        for message in batch:
            await self.bus.publish(message)
            result.message_ids.append(message.id)
            result.topics.append(message.topic)

    async def _lag(self) -> None:
        if self.lag > 0:
            await asyncio.sleep(self.lag)
