"""The ``repo`` mutation: mdapi refreshed a repository and announces the package changed.

The repository is rawhide's, unless a branched update of the package moved more
recently than its rawhide build; the message lists the binary RPMs mdapi serves for
the package (:func:`simulator.catalog.detail.binaries`), as mdapi lists the names
whose rows changed.
"""

from __future__ import annotations

from simulator import messages
from simulator.catalog.detail import binaries
from simulator.catalog.model import Package, Release
from simulator.messages import Message
from simulator.mutations.context import MutationContext
from simulator.mutations.result import MutationResult, Stage

__all__ = ["RepoRefreshes"]


class RepoRefreshes:
    """mdapi's repository refreshes, one package at a time."""

    def __init__(self, context: MutationContext) -> None:
        self.context = context
        self.world = context.world

    def repo(self, package: Package, result: MutationResult) -> list[Stage]:
        """The ``repo`` mutation."""
        return [lambda: self._repo_update(package, result)]

    def _repo_update(self, package: Package, result: MutationResult) -> list[Message]:
        release = self._repo_release(package)
        branch = "rawhide" if release.is_rawhide else release.branch
        names = [spec.name for spec in binaries(package)]
        self.context.now()
        result.changed.update(branch=branch, packages=names)
        return [messages.repo_update(branch, names, rawhide=release.is_rawhide)]

    def _repo_release(self, package: Package) -> Release:
        """Rawhide, unless a branched update of the package moved more recently."""
        rawhide = self.world.rawhide
        latest = self.world.latest_tagged(rawhide.dist_tag, package.id)
        since = latest.created if latest else 0.0
        for update in reversed(self.world.updates_by_package.get(package.name, [])):
            release = self.world.releases.get(update.release)
            moved = update.pushed or 0.0
            if release is not None and not release.is_rawhide and moved > since:
                return release
        return rawhide
