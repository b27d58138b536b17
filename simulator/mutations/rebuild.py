"""Releng's mass rebuild: which packages, and the messages of one rebuild.

Each rebuild is a rawhide build by ``releng`` for the ``<dist>-rebuild`` target that
completes and is tagged straight into the dist tag; the mutator publishes the
batches concurrently, the messages of one build in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simulator.catalog.model import Build, BuildState, Package
from simulator.messages import Message
from simulator.mutations.builds import Builds
from simulator.mutations.context import MutationContext
from simulator.mutations.result import UnknownPackageError

__all__ = ["MassRebuild", "RebuildBatch"]


@dataclass(slots=True)
class RebuildBatch:
    """One rebuilt package: its new build and the messages that announce it."""

    build: Build
    messages: list[Message]


class MassRebuild:
    """Plans a mass rebuild and rebuilds one package of it at a time."""

    def __init__(self, context: MutationContext, builds: Builds) -> None:
        self.world = context.world
        self.builds = builds

    def targets(self, count: int | None, names: Iterable[str] | None) -> list[Package]:
        """``count`` packages from ``names`` (default: every live one), cycling as needed."""
        if names is None:
            pool = [p for p in self.world.packages.values() if not p.retired]
        else:
            pool = []
            for name in names:
                package = self.world.packages.get(name)
                if package is None:
                    raise UnknownPackageError(name)
                pool.append(package)
        if not pool:
            return []
        total = len(pool) if count is None else max(0, count)
        return [pool[i % len(pool)] for i in range(total)]

    def rebuild(self, package: Package) -> RebuildBatch:
        """Rebuild ``package`` now; its messages are returned, not yet published."""
        builds = self.builds
        rawhide = self.world.rawhide
        note = f"Rebuilt for https://fedoraproject.org/wiki/Fedora_{rawhide.version}_Mass_Rebuild"
        build = builds.new_build(
            package, rawhide, target=f"{rawhide.dist_tag}-rebuild", owner="releng", changelog=note
        )
        batch = builds.started(build)
        batch += builds.finish(build, BuildState.COMPLETE)
        batch += builds.tag(build, rawhide.dist_tag, "releng")
        return RebuildBatch(build, batch)
