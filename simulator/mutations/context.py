"""What every mutation shares: the world, one random generator, the clock and the people.

All kinds draw from the same generator, in the order their steps run, so a seeded
:class:`~simulator.mutations.mutator.Mutator` replays the same mutations.
"""

from __future__ import annotations

import random
import time

from simulator.catalog.model import Package
from simulator.world import World

__all__ = ["SERVICE_ACCOUNTS", "MutationContext"]

#: Accounts of Fedora's services, never chosen as packagers or commenters.
SERVICE_ACCOUNTS = frozenset({"releng", "bodhi", "autopen", "packagerbot", "orphan"})


class MutationContext:
    """The world being mutated, the generator choices come from, and who may act."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self._packagers: list[str] | None = None

    def now(self) -> float:
        """Wall-clock time for new records; the world's clock never goes back."""
        self.world.now = max(self.world.now, time.time())
        return self.world.now

    def packagers(self) -> list[str]:
        if self._packagers is None:
            self._packagers = sorted(set(self.world.users) - SERVICE_ACCOUNTS)
        return self._packagers

    def maintainers(self, package: Package) -> list[str]:
        people = [package.owner, *package.admins, *package.committers]
        return [p for p in dict.fromkeys(people) if p not in SERVICE_ACCOUNTS]

    def packager_for(self, package: Package) -> str:
        people = self.maintainers(package) or self.packagers() or ["releng"]
        return self.rng.choice(people)
