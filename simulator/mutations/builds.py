"""Koji's side of a mutation: new builds, their state changes and their tag moves.

Each step changes the world through its primitives and returns the ``buildsys``
messages koji (or robosignatory, for :meth:`Builds.signed`) publishes for it; a tag
that is already there, or already gone, publishes nothing.
"""

from __future__ import annotations

import re

from simulator import messages
from simulator.catalog.model import Build, BuildState, Package, Release
from simulator.messages import Message
from simulator.mutations.context import MutationContext
from simulator.mutations.result import MutationError
from simulator.world import World

__all__ = ["Builds", "bump", "check_live", "check_open", "pending_testing"]

_BUMP_FIXES = (
    "Fix FTBFS with GCC 15",
    "Backport upstream fix",
    "Fix build with Python 3.14",
    "Drop obsolete BuildRequires",
    "Enable test suite",
    "Add patch for CVE fix",
)
_LEADING_NUMBER = re.compile(r"^(\d+)")


class Builds:
    """Builds in koji: created BUILDING, finished, tagged, untagged and signed."""

    def __init__(self, context: MutationContext) -> None:
        self.context = context
        self.world = context.world

    def new_build(
        self,
        package: Package,
        release: Release,
        *,
        target: str,
        owner: str | None = None,
        changelog: str | None = None,
        bump_version: bool = False,
        base: Build | None = None,
    ) -> Build:
        """A new BUILDING build of ``package`` for ``release``, added to the world."""
        world = self.world
        latest = base or self.latest_build(package)
        version = latest.version if latest else "1.0"
        number = self._release_number(package, version) if base is None else _number(base)
        if bump_version:
            version, number = bump(version), 0
        elif base is None:
            number += 1
        release_text = self._free_release(package.name, version, number, release.version)
        now = self.context.now()
        build = Build(
            id=next(world.counters.build),
            package_id=package.id,
            name=package.name,
            version=version,
            release=release_text,
            epoch=latest.epoch if latest else None,
            state=BuildState.BUILDING,
            owner=owner or self.context.packager_for(package),
            task_id=next(world.counters.task),
            created=now,
            completed=None,
            creation_event=world.next_event(),
            target=target,
            changelog=changelog
            or (f"Update to {version}" if bump_version else self.context.rng.choice(_BUMP_FIXES)),
        )
        return world.add_build(build)

    def latest_build(self, package: Package) -> Build | None:
        rawhide = self.world.latest_tagged(self.world.rawhide.dist_tag, package.id)
        if rawhide is not None:
            return rawhide
        builds = [
            b for b in self.world.builds_by_package[package.id] if b.state is BuildState.COMPLETE
        ]
        return max(builds, key=lambda b: b.id, default=None)

    def _release_number(self, package: Package, version: str) -> int:
        numbers = [
            _number(b)
            for b in self.world.builds_by_package[package.id]
            if b.version == version and b.state is not BuildState.FAILED
        ]
        return max(numbers, default=0)

    def _free_release(self, name: str, version: str, number: int, dist: int) -> str:
        """``<number>.fc<dist>``, bumped past NVRs koji already has (failed ones may be reused)."""
        number = max(1, number)
        while True:
            release = f"{number}.fc{dist}"
            taken = self.world.builds_by_nvr.get(f"{name}-{version}-{release}")
            if taken is None or taken.state in (BuildState.FAILED, BuildState.CANCELED):
                return release
            number += 1

    # -- state changes and tags -------------------------------------------------------------

    def finish(self, build: Build, state: BuildState) -> list[Message]:
        build.state, build.completed = state, self.context.now()
        return [messages.build_state_change(self.world, build, old=BuildState.BUILDING)]

    def started(self, build: Build) -> list[Message]:
        return [messages.build_state_change(self.world, build, old=None)]

    def tag(self, build: Build, tag: str, user: str) -> list[Message]:
        if build.has_tag(tag):
            return []
        self.world.tag_build(build, tag, user=user, at=self.context.now())
        return [messages.tag(self.world, build, tag, user=user)]

    def untag(self, build: Build, tag: str, user: str) -> list[Message]:
        if not self.world.untag_build(build, tag):
            return []
        return [messages.untag(self.world, build, tag, user=user)]

    def move(self, build: Build, source: str, target: str, user: str) -> list[Message]:
        return self.untag(build, source, user) + self.tag(build, target, user)

    def signed(self, build: Build, release: Release) -> list[Message]:
        """robosignatory signed the build: signing-pending to testing-pending."""
        return self.move(
            build, f"{release.dist_tag}-signing-pending", pending_testing(release), "autopen"
        )


def check_live(package: Package) -> None:
    """Refuse to build a retired package."""
    if package.retired:
        raise MutationError(f"{package.name} is retired")


def check_open(world: World, package: Package, release: Release) -> None:
    """Refuse to build a package that is retired, or blocked in ``release``'s tag."""
    check_live(package)
    if world.blocked(release.dist_tag, package.id):
        raise MutationError(f"{package.name} is retired in {release.branch}")


def pending_testing(release: Release) -> str:
    """The tag a signed build waits in before bodhi pushes it to testing."""
    return f"{release.testing_tag}-pending"


def _number(build: Build) -> int:
    match = _LEADING_NUMBER.match(build.release)
    return int(match.group(1)) if match else 0


def bump(version: str) -> str:
    """The next upstream version: the last numeric component plus one (or ``.1``)."""
    head, _, last = version.rpartition(".")
    return f"{head}.{int(last) + 1}" if last.isdigit() and head else version + ".1"
