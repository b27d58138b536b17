"""The hub's build index: builds by task and by owner, following a world that grows."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from typing import Protocol

from simulator.catalog.model import Build
from simulator.world import World

__all__ = ["BuildIndex", "BuildTable"]


class BuildTable(Protocol):
    """Builds in ascending id order that can be walked from either end."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Build]: ...
    def __reversed__(self) -> Iterator[Build]: ...


class BuildIndex:
    """Builds by task id and by owner, kept up to date as the world adds builds.

    ``World.builds`` only grows, in insertion order, so each refresh indexes just
    the builds added since the last one, reading the table from its end. It also
    notes whether ids grew with every insertion, which lets ``listBuilds`` walk
    the tables instead of sorting them when ordered by build id.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.by_task: dict[int, Build] = {}
        self.by_owner: dict[str, list[Build]] = defaultdict(list)
        self.ascending = True
        self._indexed = 0
        self._last_id: int | None = None

    def refresh(self) -> None:
        builds = self.world.builds
        if len(builds) < self._indexed:  # not a world that only grows: start over
            self.by_task.clear()
            self.by_owner.clear()
            self.ascending, self._indexed, self._last_id = True, 0, None
        added = len(builds) - self._indexed
        if added == 0:
            return
        fresh = list(itertools.islice(reversed(builds.values()), added))
        for build in reversed(fresh):
            if build.task_id is not None:
                self.by_task[build.task_id] = build
            self.by_owner[build.owner].append(build)
            if self._last_id is not None and build.id <= self._last_id:
                self.ascending = False
            self._last_id = build.id
        self._indexed = len(builds)
