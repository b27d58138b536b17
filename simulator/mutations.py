"""Mutations of the simulated world, each followed by the bus messages Fedora publishes.

A mutation lives through the steps the real services take, in order. Each step
changes the world first (through :class:`~simulator.world.World` primitives, so
its indexes stay consistent) and then publishes that step's messages, after an
optional ``lag`` as in Fedora; ``step_delay`` separates the steps. Both default to
zero, so :meth:`Mutator.apply` returns when the whole life is over.

Kinds (:data:`KINDS`):

- ``build``: a rawhide build starts and completes in koji, is tagged into the
  candidate tag, becomes bodhi's automatic update, is signed and moves through
  the testing tags into the dist tag, the update ending stable — as
  :mod:`simulator.catalog.assemble` leaves every settled rawhide build.
- ``build_failed``: a rawhide build starts and fails.
- ``update``: one step of the package's bodhi life on the newest branched release,
  chosen from the state: submit a new build as an update (obsoleting a live update
  it supersedes), push to testing, a karma comment, request stable, push stable.
- ``bug``: file a bug against the package, or move an open one along its workflow.
- ``owner``: hand the dist-git project to a new main admin.
- ``repo``: mdapi refreshed a repository and announces the package changed.

:meth:`Mutator.mass_rebuild` rebuilds many packages as releng does, fast.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulator import messages
from simulator.bus import Publisher
from simulator.catalog.assemble import BUG_RESOLUTIONS, BUG_SUMMARIES
from simulator.catalog.model import (
    Bug,
    Build,
    BuildState,
    Comment,
    Package,
    Release,
    Update,
    UpdateStatus,
)
from simulator.messages import BugChange, Message
from simulator.world import World

log = logging.getLogger(__name__)

KINDS = ("build", "build_failed", "update", "bug", "owner", "repo")

#: Accounts of Fedora's services, never chosen as packagers or commenters.
SERVICE_ACCOUNTS = frozenset({"releng", "bodhi", "autopen", "packagerbot", "orphan"})
#: The Bugzilla account bodhi comments and closes bugs with.
BODHI_BUGZILLA = "updates@fedoraproject.org"

_BUMP_FIXES = (
    "Fix FTBFS with GCC 15",
    "Backport upstream fix",
    "Fix build with Python 3.14",
    "Drop obsolete BuildRequires",
    "Enable test suite",
    "Add patch for CVE fix",
)
_BUG_FLOW = {
    "NEW": "ASSIGNED",
    "ASSIGNED": "POST",
    "POST": "MODIFIED",
    "MODIFIED": "ON_QA",
    "ON_QA": "CLOSED",
}
_BODHI_URL = "https://bodhi.fedoraproject.org"

#: One step of a mutation: change the world, return the messages that announce it.
Stage = Callable[[], list[Message]]
#: A mutation kind: the steps it takes for a package (planning may already change the world).
Life = Callable[[Package, "MutationResult"], list[Stage]]


class UnknownPackageError(ValueError):
    """No source package of that name exists in the world."""


class MutationError(ValueError):
    """The mutation cannot happen to this package (e.g. it is retired)."""


@dataclass
class MutationResult:
    """What one mutation changed, and the messages it published."""

    kind: str
    package: str
    changed: dict[str, Any] = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "package": self.package,
            "changed": self.changed,
            "message_ids": self.message_ids,
            "topics": self.topics,
        }


@dataclass
class MassRebuildResult:
    """A mass rebuild: how many builds and messages, and how long publishing took."""

    builds: int = 0
    messages: int = 0
    seconds: float = 0.0
    build_ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "mass_rebuild",
            "builds": self.builds,
            "messages": self.messages,
            "seconds": round(self.seconds, 3),
        }


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
        self._packagers: list[str] | None = None
        self._lives: dict[str, Life] = {
            "build": self._build,
            "build_failed": self._build_failed,
            "update": self._update,
            "bug": self._bug,
            "owner": self._owner,
            "repo": self._repo,
        }

    # -- the entry points ------------------------------------------------------------------

    async def apply(self, kind: str, package: str) -> MutationResult:
        """Perform one mutation of ``kind`` on ``package`` and publish its messages."""
        life = self._lives.get(kind)
        if life is None:
            raise ValueError(f"unknown mutation {kind!r}; expected one of {', '.join(KINDS)}")
        record = self.world.packages.get(package)
        if record is None:
            raise UnknownPackageError(package)
        result = MutationResult(kind, package)
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
        targets = self._rebuild_targets(count, packages)
        gate = asyncio.Semaphore(max(1, concurrency))
        result = MassRebuildResult()
        started = time.perf_counter()

        async def rebuild(package: Package) -> None:
            batch = self._rebuild_one(package)
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

    def _now(self) -> float:
        """Wall-clock time for new records; the world's clock never goes back."""
        self.world.now = max(self.world.now, time.time())
        return self.world.now

    # -- people ---------------------------------------------------------------------------

    def packagers(self) -> list[str]:
        if self._packagers is None:
            self._packagers = sorted(set(self.world.users) - SERVICE_ACCOUNTS)
        return self._packagers

    def _maintainers(self, package: Package) -> list[str]:
        people = [package.owner, *package.admins, *package.committers]
        return [p for p in dict.fromkeys(people) if p not in SERVICE_ACCOUNTS]

    def _packager_for(self, package: Package) -> str:
        people = self._maintainers(package) or self.packagers() or ["releng"]
        return self.rng.choice(people)

    # -- koji -----------------------------------------------------------------------------

    def _new_build(
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
        latest = base or self._latest_build(package)
        version = latest.version if latest else "1.0"
        number = self._release_number(package, version) if base is None else _number(base)
        if bump_version:
            version, number = _bump(version), 0
        elif base is None:
            number += 1
        release_text = self._free_release(package.name, version, number, release.version)
        now = self._now()
        build = Build(
            id=next(world.counters.build),
            package_id=package.id,
            name=package.name,
            version=version,
            release=release_text,
            epoch=latest.epoch if latest else None,
            state=BuildState.BUILDING,
            owner=owner or self._packager_for(package),
            task_id=next(world.counters.task),
            created=now,
            completed=None,
            creation_event=world.next_event(),
            target=target,
            changelog=changelog
            or (f"Update to {version}" if bump_version else self.rng.choice(_BUMP_FIXES)),
        )
        return world.add_build(build)

    def _latest_build(self, package: Package) -> Build | None:
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

    def _finish(self, build: Build, state: BuildState) -> list[Message]:
        build.state, build.completed = state, self._now()
        return [messages.build_state_change(self.world, build, old=BuildState.BUILDING)]

    def _started(self, build: Build) -> list[Message]:
        return [messages.build_state_change(self.world, build, old=None)]

    def _tag(self, build: Build, tag: str, user: str) -> list[Message]:
        if build.has_tag(tag):
            return []
        self.world.tag_build(build, tag, user=user, at=self._now())
        return [messages.tag(self.world, build, tag, user=user)]

    def _untag(self, build: Build, tag: str, user: str) -> list[Message]:
        if not self.world.untag_build(build, tag):
            return []
        return [messages.untag(self.world, build, tag, user=user)]

    def _move(self, build: Build, source: str, target: str, user: str) -> list[Message]:
        return self._untag(build, source, user) + self._tag(build, target, user)

    # -- build and build_failed -----------------------------------------------------------

    def _build(self, package: Package, result: MutationResult) -> list[Stage]:
        rawhide = self.world.rawhide
        self._check_live(package)
        build = self._new_build(
            package, rawhide, target="rawhide", bump_version=self.rng.random() < 0.35
        )
        _record_build(result, build)

        def automatic_update() -> list[Message]:
            update = self._automatic_update(build, rawhide)
            result.changed["update"] = update.alias
            return self._created_update_messages(update, build, rawhide)

        def settled() -> list[Message]:
            batch = self._rawhide_stable(build, rawhide)
            result.changed.update(state=build.state.name, tags=build.active_tags())
            return batch

        return [
            lambda: self._started(build),
            lambda: self._finish(build, BuildState.COMPLETE),
            lambda: self._tag(build, rawhide.candidate_tag, build.owner),
            automatic_update,
            lambda: self._signed(build, rawhide),
            lambda: self._rawhide_testing(build, rawhide),
            settled,
        ]

    def _build_failed(self, package: Package, result: MutationResult) -> list[Stage]:
        self._check_live(package)
        build = self._new_build(package, self.world.rawhide, target="rawhide")
        _record_build(result, build)

        def failed() -> list[Message]:
            batch = self._finish(build, BuildState.FAILED)
            result.changed["state"] = build.state.name
            return batch

        return [lambda: self._started(build), failed]

    def _check_live(self, package: Package) -> None:
        if package.retired:
            raise MutationError(f"{package.name} is retired")

    def _automatic_update(self, build: Build, release: Release) -> Update:
        """Bodhi's automatic update for a rawhide build in the candidate tag."""
        notes = (
            f"Automatic update for {build.nvr}.\n\n##### **Changelog**\n\n"
            f"```\n* {build.changelog}\n```"
        )
        update = self._new_update(
            build, release, submitter=build.owner, notes=notes, kind="unspecified", request=None
        )
        update.stable_karma, update.autokarma = 0, False
        return update

    def _created_update_messages(
        self, update: Update, build: Build, release: Release
    ) -> list[Message]:
        comment = self._comment(update, "bodhi", "This update was automatically created")
        return [
            messages.update_comment(self.world, update, comment),
            messages.update_ready_for_testing(self.world, update),
            *self._tag(build, f"{release.dist_tag}-signing-pending", "bodhi"),
        ]

    def _signed(self, build: Build, release: Release) -> list[Message]:
        """robosignatory signed the build: signing-pending to testing-pending."""
        return self._move(
            build, f"{release.dist_tag}-signing-pending", _pending_testing(release), "autopen"
        )

    def _rawhide_testing(self, build: Build, release: Release) -> list[Message]:
        """Bodhi's signed handler: every build signed, so the update is in testing."""
        update = self.world.update_by_build[build.id]
        batch = self._move(build, _pending_testing(release), release.testing_tag, "bodhi")
        now = self._now()
        update.status, update.request, update.date_testing, update.modified = (
            UpdateStatus.TESTING,
            None,
            now,
            now,
        )
        return batch

    def _rawhide_stable(self, build: Build, release: Release) -> list[Message]:
        """Gating passed: bodhi pushes the update stable into the dist tag."""
        update = self.world.update_by_build[build.id]
        batch = [messages.update_requirements_met(self.world, update)]
        batch += self._tag(build, release.stable_tag, "bodhi")
        now = self._now()
        update.status, update.request, update.date_stable, update.modified = (
            UpdateStatus.STABLE,
            None,
            now,
            now,
        )
        comment = self._comment(
            update, "bodhi", "This update has been submitted for stable by bodhi"
        )
        batch.append(messages.update_comment(self.world, update, comment))
        batch += self._untag(build, release.testing_tag, "bodhi")
        batch += self._untag(build, release.candidate_tag, "bodhi")
        return batch

    # -- bodhi ----------------------------------------------------------------------------

    def _new_update(
        self,
        build: Build,
        release: Release,
        *,
        submitter: str,
        notes: str,
        kind: str,
        request: str | None,
    ) -> Update:
        world = self.world
        number = next(world.counters.update)
        now = self._now()
        critpath = any(u.critpath for u in world.updates_by_package.get(build.name, []))
        update = Update(
            id=number,
            alias=_alias(world.seed, number, now),
            release=release.name,
            build_ids=[build.id],
            status=UpdateStatus.PENDING,
            request=request,
            type=kind,
            severity=self._severity(kind),
            submitter=submitter,
            submitted=now,
            modified=None,
            notes=notes,
            critpath=critpath,
        )
        return world.add_update(update)

    def _severity(self, kind: str) -> str:
        if kind != "security":
            return "unspecified"
        return self.rng.choice(("low", "medium", "high", "urgent"))

    def _comment(self, update: Update, user: str, text: str, karma: int = 0) -> Comment:
        comment = Comment(
            id=next(self.world.counters.comment), user=user, text=text, karma=karma, at=self._now()
        )
        update.comments.append(comment)
        update.modified = comment.at
        return comment

    def _update(self, package: Package, result: MutationResult) -> list[Stage]:
        """One step of the package's bodhi life on the newest branched release."""
        self._check_live(package)
        release = self._branched_release()
        live = self._live_update(package, release)
        result.changed["release"] = release.name
        if live is None or self._superseded(package, live):
            return self._submit_stages(package, release, live, result)
        build = self.world.update_builds(live)[0]
        result.changed.update(alias=live.alias, build_id=build.id, nvr=build.nvr)
        return [self._next_step(live, release, result)]

    def _next_step(self, update: Update, release: Release, result: MutationResult) -> Stage:
        """What moves a live update along: push, karma, or a request, from its state."""
        if update.status is UpdateStatus.PENDING:
            return lambda: self._push_testing(update, release, result)
        if update.request == "stable":
            return lambda: self._push_stable(update, release, result)
        if update.karma < update.stable_karma and self._commenter(update) is not None:
            return lambda: self._karma_comment(update, result)
        return lambda: self._request_stable(update, result)

    def _branched_release(self) -> Release:
        branched = [r for r in self.world.active_releases() if not r.is_rawhide]
        if not branched:
            branched = [
                r
                for r in self.world.releases.values()
                if not r.is_rawhide and r.state != "archived"
            ]
        if not branched:
            raise MutationError("no branched release is open for updates")
        return max(branched, key=lambda r: r.version)

    def _live_update(self, package: Package, release: Release) -> Update | None:
        for update in reversed(self.world.updates_by_package.get(package.name, [])):
            if update.release == release.name and update.status in (
                UpdateStatus.PENDING,
                UpdateStatus.TESTING,
            ):
                return update
        return None

    def _superseded(self, package: Package, update: Update) -> bool:
        """Rawhide moved to a newer upstream version than the live update carries."""
        rawhide = self.world.latest_tagged(self.world.rawhide.dist_tag, package.id)
        builds = self.world.update_builds(update)
        return rawhide is not None and all(b.version != rawhide.version for b in builds)

    def _submit_stages(
        self, package: Package, release: Release, previous: Update | None, result: MutationResult
    ) -> list[Stage]:
        base = self.world.latest_tagged(self.world.rawhide.dist_tag, package.id)
        build = self._new_build(
            package,
            release,
            target=f"{release.dist_tag}-candidate",
            changelog=base.changelog if base else None,
            base=base,
        )
        _record_build(result, build)

        def submit() -> list[Message]:
            return self._submit(build, release, previous, result)

        return [
            lambda: self._started(build),
            lambda: self._finish(build, BuildState.COMPLETE),
            lambda: self._tag(build, release.candidate_tag, build.owner),
            submit,
            lambda: self._signed(build, release),
        ]

    def _submit(
        self, build: Build, release: Release, previous: Update | None, result: MutationResult
    ) -> list[Message]:
        """The packager submits the build as an update, with request testing."""
        kind = (
            "security"
            if "CVE" in (build.changelog or "")
            else self.rng.choice(("bugfix", "bugfix", "bugfix", "enhancement", "enhancement"))
        )
        notes = build.changelog or f"Update to {build.version}"
        update = self._new_update(
            build, release, submitter=build.owner, notes=notes, kind=kind, request="testing"
        )
        self._attach_bugs(update)
        batch = [messages.update_request(self.world, update, "testing", agent=update.submitter)]
        comment = self._comment(
            update, "bodhi", f"This update has been submitted for testing by {build.owner}. "
        )
        batch.append(messages.update_comment(self.world, update, comment))
        batch.append(messages.update_ready_for_testing(self.world, update))
        batch += self._tag(build, f"{release.dist_tag}-signing-pending", "bodhi")
        if previous is not None:
            batch += self._obsolete(previous, release, newer=build, alias=update.alias)
            result.changed["obsoleted"] = previous.alias
        result.changed.update(
            step="submitted", alias=update.alias, status=update.status.value, request=update.request
        )
        return batch

    def _attach_bugs(self, update: Update) -> None:
        name = self.world.builds[update.build_ids[0]].name
        open_bugs = [b for b in self.world.bugs_by_component.get(name, []) if b.is_open]
        for bug in open_bugs[-2:]:
            if self.rng.random() < 0.35:
                update.bug_ids.append(bug.id)

    def _obsolete(
        self, update: Update, release: Release, *, newer: Build, alias: str
    ) -> list[Message]:
        batch: list[Message] = []
        for build in self.world.update_builds(update):
            for tag in (
                release.testing_tag,
                _pending_testing(release),
                f"{release.dist_tag}-signing-pending",
                release.candidate_tag,
            ):
                batch += self._untag(build, tag, "bodhi")
        update.status, update.request = UpdateStatus.OBSOLETE, None
        text = f"This update has been obsoleted by [{newer.nvr}]({_BODHI_URL}/updates/{alias})."
        comment = self._comment(update, "bodhi", text)
        batch.append(messages.update_comment(self.world, update, comment))
        return batch

    def _push_testing(
        self, update: Update, release: Release, result: MutationResult
    ) -> list[Message]:
        """The composer pushed the update to testing."""
        batch: list[Message] = []
        for build in self.world.update_builds(update):
            for tag in (
                _pending_testing(release),
                f"{release.dist_tag}-signing-pending",
                release.candidate_tag,
            ):
                batch += self._untag(build, tag, "bodhi")
            batch += self._tag(build, release.testing_tag, "bodhi")
        now = self._now()
        update.status, update.request, update.date_testing = UpdateStatus.TESTING, None, now
        comment = self._comment(update, "bodhi", "This update has been pushed to testing.")
        batch.append(messages.update_comment(self.world, update, comment))
        batch.append(messages.update_complete(self.world, update))
        batch += self._bugs_to(update, "ON_QA", "")
        result.changed.update(step="testing", status=update.status.value, request=None)
        return batch

    def _commenter(self, update: Update) -> str | None:
        done = {c.user for c in update.comments} | {update.submitter}
        choices = [p for p in self.packagers() if p not in done]
        if not choices:
            return None
        return choices[(update.id * 31 + len(update.comments)) % len(choices)]

    def _karma_comment(self, update: Update, result: MutationResult) -> list[Message]:
        user = self._commenter(update) or "packagerbot"
        before = update.karma
        comment = self._comment(update, user, "Works for me.", karma=1)
        batch = [messages.update_comment(self.world, update, comment)]
        if update.autokarma and before < update.stable_karma <= update.karma:
            batch.append(messages.update_karma_threshold(self.world, update, "stable"))
        result.changed.update(
            step="karma", comment_id=comment.id, karma=update.karma, status=update.status.value
        )
        return batch

    def _request_stable(self, update: Update, result: MutationResult) -> list[Message]:
        by_karma = update.autokarma and update.karma >= update.stable_karma
        agent = "bodhi" if by_karma else update.submitter
        update.request = "stable"
        comment = self._comment(
            update, "bodhi", f"This update has been submitted for stable by {agent}. "
        )
        batch = [
            messages.update_request(self.world, update, "stable", agent=agent),
            messages.update_comment(self.world, update, comment),
        ]
        result.changed.update(step="stable_requested", status=update.status.value, request="stable")
        return batch

    def _push_stable(
        self, update: Update, release: Release, result: MutationResult
    ) -> list[Message]:
        """The composer pushed the update to stable."""
        batch: list[Message] = []
        for build in self.world.update_builds(update):
            batch += self._move(build, release.testing_tag, release.stable_tag, "bodhi")
        now = self._now()
        update.status, update.request, update.date_stable = UpdateStatus.STABLE, None, now
        comment = self._comment(update, "bodhi", "This update has been pushed to stable.")
        batch.append(messages.update_comment(self.world, update, comment))
        batch.append(messages.update_complete(self.world, update))
        batch += self._bugs_to(update, "CLOSED", "ERRATA")
        result.changed.update(step="stable", status=update.status.value, request=None)
        return batch

    def _bugs_to(self, update: Update, status: str, resolution: str) -> list[Message]:
        """Bodhi moves the update's open bugs along (ON_QA at testing, closed at stable)."""
        batch = []
        for bug_id in update.bug_ids:
            bug = self.world.bugs.get(bug_id)
            if bug is not None and bug.is_open and bug.status != status:
                changes = self._set_status(bug, status, resolution)
                batch.append(messages.bug_update(self.world, bug, changes, who=BODHI_BUGZILLA))
        return batch

    # -- bugzilla -------------------------------------------------------------------------

    def _bug(self, package: Package, result: MutationResult) -> list[Stage]:
        open_bugs = [b for b in self.world.bugs_by_component.get(package.name, []) if b.is_open]
        if open_bugs and self.rng.random() < 0.5:
            bug = max(open_bugs, key=lambda b: (b.changed, b.id))
            return [lambda: self._advance_bug(bug, package, result)]
        return [lambda: self._file_bug(package, result)]

    def _file_bug(self, package: Package, result: MutationResult) -> list[Message]:
        now = self._now()
        rawhide = self.world.rawhide
        reporter = self.rng.choice(self.packagers() or ["reporter"])
        summary = self._bug_summary(package, rawhide.version, now)
        keywords = (
            ["FTBFS"]
            if "FTBFS" in summary
            else ["Security", "SecurityTracking"]
            if "CVE" in summary
            else []
        )
        owner = package.owner if package.owner != "orphan" else "extras-orphan"
        bug = self.world.add_bug(
            Bug(
                id=next(self.world.counters.bug),
                component=package.name,
                summary=summary,
                status="NEW",
                resolution="",
                severity=self.rng.choice(
                    ("unspecified", "unspecified", "low", "medium", "high", "urgent")
                ),
                priority="unspecified",
                version="rawhide",
                created=now,
                changed=now,
                assignee=f"{owner}@fedoraproject.org",
                creator=f"{reporter}@fedoraproject.org",
                keywords=keywords,
            )
        )
        result.changed.update(bug_id=bug.id, action="new", status=bug.status)
        return [messages.bug_new(self.world, bug)]

    def _bug_summary(self, package: Package, version: int, now: float) -> str:
        latest = self._latest_build(package)
        template = self.rng.choice(BUG_SUMMARIES)
        return template.format(
            p=package.name,
            v=version,
            ver=_bump(latest.version if latest else "1.0"),
            y=datetime.fromtimestamp(now, UTC).year,
            n=self.rng.randint(1000, 59999),
            fn=self.rng.choice(("main", "parse", "init", "g_free", "free")),
            s=package.summary,
            d=self.rng.choice(("libfoo", "python3-six", "openssl1.1")),
        )

    def _advance_bug(self, bug: Bug, package: Package, result: MutationResult) -> list[Message]:
        status = _BUG_FLOW.get(bug.status, "CLOSED")
        resolution = ""
        if status == "CLOSED":
            resolution = self.rng.choices(
                [r for r, _ in BUG_RESOLUTIONS], [w for _, w in BUG_RESOLUTIONS]
            )[0]
        changes = self._set_status(bug, status, resolution)
        who = bug.assignee if package.owner != "orphan" else bug.creator
        result.changed.update(
            bug_id=bug.id,
            action="update",
            status=bug.status,
            changes=[c.to_json() for c in changes],
        )
        return [messages.bug_update(self.world, bug, changes, who=who)]

    def _set_status(self, bug: Bug, status: str, resolution: str) -> list[BugChange]:
        changes = [BugChange("status", "Status", bug.status, status)]
        if resolution != bug.resolution:
            changes.append(BugChange("resolution", "Resolution", bug.resolution, resolution))
        bug.status, bug.resolution, bug.changed = status, resolution, self._now()
        return changes

    # -- dist-git ownership ---------------------------------------------------------------

    def _owner(self, package: Package, result: MutationResult) -> list[Stage]:
        return [lambda: self._transfer(package, result)]

    def _transfer(self, package: Package, result: MutationResult) -> list[Message]:
        """The main admin gives the project away (or a packager adopts an orphan)."""
        old = package.owner
        new = self._new_owner(package)
        self.world.user(new)
        package.admins = [a for a in package.admins if a != new]
        package.committers = [c for c in package.committers if c != new]
        package.owner = new
        agent = old if old != "orphan" else new
        batch = [messages.project_edit(self.world, package, agent=agent, fields=["user"])]
        if old != "orphan" and old not in package.admins:
            package.admins.insert(0, old)
            batch.append(
                messages.project_user_added(
                    self.world, package, agent=agent, user=old, access="admin"
                )
            )
        result.changed.update(owner=new, previous_owner=old, admins=list(package.admins))
        batch += self._maybe_add_committer(package, agent, result)
        return batch

    def _new_owner(self, package: Package) -> str:
        candidates = [
            p
            for p in (*package.admins, *package.committers)
            if p != package.owner and p not in SERVICE_ACCOUNTS
        ]
        if candidates:
            return self.rng.choice(candidates)
        outsiders = [p for p in self.packagers() if p != package.owner]
        if not outsiders:
            raise MutationError("no packager can take the package")
        return self.rng.choice(outsiders)

    def _maybe_add_committer(
        self, package: Package, agent: str, result: MutationResult
    ) -> list[Message]:
        if package.committers or self.rng.random() >= 0.3:
            return []
        people = set(self._maintainers(package))
        choices = [p for p in self.packagers() if p not in people]
        if not choices:
            return []
        user = self.rng.choice(choices)
        package.committers.append(user)
        result.changed["added"] = [user]
        return [
            messages.project_user_added(
                self.world, package, agent=agent, user=user, access="commit"
            )
        ]

    # -- mdapi ----------------------------------------------------------------------------

    def _repo(self, package: Package, result: MutationResult) -> list[Stage]:
        return [lambda: self._repo_update(package, result)]

    def _repo_update(self, package: Package, result: MutationResult) -> list[Message]:
        release = self._repo_release(package)
        branch = "rawhide" if release.is_rawhide else release.branch
        names = list(dict.fromkeys([package.name, *(s.name for s in package.subpackages)]))
        self._now()
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

    # -- mass rebuild ---------------------------------------------------------------------

    def _rebuild_targets(self, count: int | None, names: Iterable[str] | None) -> list[Package]:
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

    def _rebuild_one(self, package: Package) -> _Batch:
        rawhide = self.world.rawhide
        note = f"Rebuilt for https://fedoraproject.org/wiki/Fedora_{rawhide.version}_Mass_Rebuild"
        build = self._new_build(
            package, rawhide, target=f"{rawhide.dist_tag}-rebuild", owner="releng", changelog=note
        )
        batch = self._started(build)
        batch += self._finish(build, BuildState.COMPLETE)
        batch += self._tag(build, rawhide.dist_tag, "releng")
        return _Batch(build, batch)


@dataclass(slots=True)
class _Batch:
    build: Build
    messages: list[Message]


def _record_build(result: MutationResult, build: Build) -> None:
    result.changed.update(
        build_id=build.id, nvr=build.nvr, task_id=build.task_id, target=build.target
    )


def _pending_testing(release: Release) -> str:
    return f"{release.testing_tag}-pending"


_LEADING_NUMBER = re.compile(r"^(\d+)")


def _number(build: Build) -> int:
    match = _LEADING_NUMBER.match(build.release)
    return int(match.group(1)) if match else 0


def _bump(version: str) -> str:
    head, _, last = version.rpartition(".")
    return f"{head}.{int(last) + 1}" if last.isdigit() and head else version + ".1"


def _alias(seed: int, number: int, at: float) -> str:
    digest = hashlib.sha1(f"{seed}:{number}".encode(), usedforsecurity=False).hexdigest()[:10]
    return f"FEDORA-{datetime.fromtimestamp(at, UTC).year}-{digest}"
