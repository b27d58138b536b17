"""The simulated Fedora world: records, their indexes, and primitive state changes.

:class:`World` is the single source of truth every simulated upstream reads. It
keeps the records of :mod:`simulator.catalog.model` plus the indexes the upstream
queries need (builds per package, tag listings, updates per package, bugs per
component, koji's explicit package-list rows), and offers primitive changes (add a
build, tag it, list or block a package in a tag, file a bug) that keep those indexes
consistent. Life-cycle changes that publish bus messages live
in :mod:`simulator.mutations`; they are built from these primitives.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from simulator.catalog.model import (
    Bug,
    Build,
    Override,
    Package,
    Release,
    Tag,
    TagEntry,
    Update,
    User,
)


@dataclass(slots=True)
class Counters:
    """Monotonic id sources, as the upstream databases have."""

    build: itertools.count[int] = field(default_factory=lambda: itertools.count(2_100_000))
    task: itertools.count[int] = field(default_factory=lambda: itertools.count(120_000_000))
    event: itertools.count[int] = field(default_factory=lambda: itertools.count(110_000_000))
    update: itertools.count[int] = field(default_factory=lambda: itertools.count(200_000))
    comment: itertools.count[int] = field(default_factory=lambda: itertools.count(3_000_000))
    bug: itertools.count[int] = field(default_factory=lambda: itertools.count(2_300_000))
    package: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    user: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    override: itertools.count[int] = field(default_factory=lambda: itertools.count(50_000))


class World:
    """Every record of the simulated world, with the indexes upstream queries use."""

    def __init__(self, *, seed: int, now: float, releases: Iterable[Release]) -> None:
        self.seed = seed
        self.now = now
        self.releases: dict[str, Release] = {r.name: r for r in releases}
        self.counters = Counters()
        self.tags: dict[str, Tag] = {}
        self.users: dict[str, User] = {}
        self.users_by_id: dict[int, User] = {}
        self.packages: dict[str, Package] = {}
        self.packages_by_id: dict[int, Package] = {}
        self.builds: dict[int, Build] = {}
        self.builds_by_nvr: dict[str, Build] = {}
        self.builds_by_package: dict[int, list[Build]] = defaultdict(list)
        self.updates: dict[str, Update] = {}
        self.updates_by_package: dict[str, list[Update]] = defaultdict(list)
        self.update_by_build: dict[int, Update] = {}
        self.bugs: dict[int, Bug] = {}
        self.bugs_by_component: dict[str, list[Bug]] = defaultdict(list)
        self.overrides: dict[int, Override] = {}
        # tag name -> package id -> builds in tagging order (oldest first)
        self._tagged: dict[str, dict[int, list[Build]]] = defaultdict(lambda: defaultdict(list))
        # koji package-list rows made explicitly (packageListAdd/Block), not by a tagging:
        # base tag name -> package id -> blocked
        self.package_lists: dict[str, dict[int, bool]] = {}
        for release in self.releases.values():
            self._add_release_tags(release)

    # -- releases and tags -------------------------------------------------------------

    @property
    def rawhide(self) -> Release:
        return next(r for r in self.releases.values() if r.is_rawhide)

    def active_releases(self) -> list[Release]:
        """Current and pending releases, newest first (rawhide leads)."""
        active = [r for r in self.releases.values() if r.state in ("current", "pending")]
        return sorted(active, key=lambda r: r.version, reverse=True)

    def release_for_tag(self, tag: str) -> Release | None:
        for release in self.releases.values():
            if tag == release.dist_tag or tag.startswith(release.dist_tag + "-"):
                return release
        return self.rawhide if tag == "rawhide" else None

    def _add_release_tags(self, release: Release) -> None:
        base = release.dist_tag
        self.add_tag(base)
        if release.is_rawhide:
            self.add_tag("rawhide", parent=base)
            self.add_tag(release.candidate_tag, parent=base)
            self.add_tag(f"{base}-signing-pending", parent=base)
            # bodhi gates rawhide updates through testing tags of their own
            self.add_tag(f"{base}-updates-testing", parent=base)
            self.add_tag(f"{base}-updates-testing-pending", parent=f"{base}-updates-testing")
            return
        self.add_tag(f"{base}-updates", parent=base)
        self.add_tag(f"{base}-updates-testing", parent=f"{base}-updates")
        self.add_tag(f"{base}-updates-candidate", parent=f"{base}-updates")
        self.add_tag(f"{base}-updates-testing-pending", parent=f"{base}-updates-testing")
        self.add_tag(f"{base}-signing-pending", parent=f"{base}-updates")
        self.add_tag(f"{base}-override", parent=f"{base}-updates")

    def add_tag(self, name: str, parent: str | None = None) -> Tag:
        tag = self.tags.get(name)
        if tag is None:
            tag = Tag(id=len(self.tags) + 1, name=name, parent=parent, arches=None)
            self.tags[name] = tag
        return tag

    def tag_chain(self, name: str) -> list[str]:
        """The tag followed by its inheritance parents, nearest first."""
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in chain:
            chain.append(current)
            current = self.tags[current].parent
        return chain

    # -- users and packages ------------------------------------------------------------

    def user(self, name: str, fullname: str | None = None) -> User:
        """The user called ``name``, created on first mention."""
        existing = self.users.get(name)
        if existing is not None:
            return existing
        user = User(id=next(self.counters.user), name=name, fullname=fullname or name)
        self.users[name] = user
        self.users_by_id[user.id] = user
        return user

    def add_package(self, package: Package) -> Package:
        self.packages[package.name] = package
        self.packages_by_id[package.id] = package
        for name in (package.owner, *package.admins, *package.committers):
            self.user(name)  # koji has an "orphan" user too: the owner of orphaned packages
        return package

    def package_by_id(self, package_id: int) -> Package | None:
        return self.packages_by_id.get(package_id)

    # -- builds and tags ---------------------------------------------------------------

    def add_build(self, build: Build) -> Build:
        self.builds[build.id] = build
        self.builds_by_nvr[build.nvr] = build
        self.builds_by_package[build.package_id].append(build)
        return build

    def next_event(self) -> int:
        return next(self.counters.event)

    def tag_build(self, build: Build, tag: str, *, user: str, at: float) -> TagEntry:
        if build.has_tag(tag):
            return next(e for e in build.tags if e.active and e.tag == tag)
        entry = TagEntry(tag=tag, event=self.next_event(), user=user, at=at)
        build.tags.append(entry)
        self._tagged[tag][build.package_id].append(build)
        return entry

    def untag_build(self, build: Build, tag: str) -> bool:
        found = False
        for entry in build.tags:
            if entry.active and entry.tag == tag:
                entry.active = False
                entry.revoked = self.next_event()
                found = True
        if found:
            listing = self._tagged[tag][build.package_id]
            listing.remove(build)
        return found

    def tagged(self, tag: str, package_id: int | None = None) -> Iterator[Build]:
        """Builds tagged directly into ``tag`` (no inheritance), most recently tagged first."""
        per_package = self._tagged.get(tag, {})
        if package_id is not None:
            yield from reversed(per_package.get(package_id, []))
            return
        rows = [b for builds in per_package.values() for b in builds]
        rows.sort(key=lambda b: (_tag_event(b, tag), b.id), reverse=True)
        yield from rows

    def latest_tagged(self, tag: str, package_id: int) -> Build | None:
        """koji's ``getLatestBuilds(tag, package=...)``: newest tagging along the inheritance."""
        for name in self.tag_chain(tag):
            listing = self._tagged.get(name, {}).get(package_id)
            if listing:
                return listing[-1]
        return None

    def latest_in_tag(self, tag: str) -> list[Build]:
        """``getLatestBuilds(tag)`` for every package: first hit along the inheritance chain."""
        seen: dict[int, Build] = {}
        for name in self.tag_chain(tag):
            for package_id, listing in self._tagged.get(name, {}).items():
                if listing and package_id not in seen:
                    seen[package_id] = listing[-1]
        return sorted(seen.values(), key=lambda b: b.name)

    def list_package(self, tag: str, package_id: int, *, blocked: bool = False) -> None:
        """koji's ``packageListAdd`` on ``tag`` (``packageListBlock`` with ``blocked``)."""
        self.package_lists.setdefault(tag, {})[package_id] = blocked

    def package_list(self, tag: str) -> dict[int, bool]:
        """The explicit package-list rows ``tag`` sees along its inheritance, nearest first."""
        rows: dict[int, bool] = {}
        if not self.package_lists:
            return rows
        for name in reversed(self.tag_chain(tag)):
            rows.update(self.package_lists.get(name, {}))
        return rows

    def blocked(self, tag: str, package_id: int) -> bool:
        """Whether ``tag``'s package list (with inheritance) blocks the package: retired there."""
        if not self.package_lists:
            return False
        for name in self.tag_chain(tag):
            row = self.package_lists.get(name, {}).get(package_id)
            if row is not None:
                return row
        return False

    def packages_in_tag(self, tag: str) -> list[int]:
        ids: set[int] = set()
        for name in self.tag_chain(tag):
            ids.update(pid for pid, listing in self._tagged.get(name, {}).items() if listing)
        return sorted(ids)

    # -- updates, bugs, overrides --------------------------------------------------------

    def add_update(self, update: Update) -> Update:
        self.updates[update.alias] = update
        names: list[str] = []
        for build_id in update.build_ids:
            self.update_by_build[build_id] = update
            name = self.builds[build_id].name
            if name not in names:
                names.append(name)
        for name in names:
            listing = self.updates_by_package[name]
            if not listing or _submission_order(listing[-1]) <= _submission_order(update):
                listing.append(update)  # the usual case: updates arrive in time order
            else:
                bisect.insort(listing, update, key=_submission_order)
        return update

    def update_builds(self, update: Update) -> list[Build]:
        return [self.builds[build_id] for build_id in update.build_ids]

    def add_bug(self, bug: Bug) -> Bug:
        self.bugs[bug.id] = bug
        self.bugs_by_component[bug.component].append(bug)
        return bug

    def add_override(self, override: Override) -> Override:
        self.overrides[override.id] = override
        return override

    # -- sizes ---------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        return {
            "packages": len(self.packages),
            "builds": len(self.builds),
            "updates": len(self.updates),
            "bugs": len(self.bugs),
            "users": len(self.users),
            "tags": len(self.tags),
            "overrides": len(self.overrides),
        }


def _tag_event(build: Build, tag: str) -> int:
    return max((e.event for e in build.tags if e.active and e.tag == tag), default=0)


def _submission_order(update: Update) -> tuple[float, int]:
    return (update.submitted, update.id)
