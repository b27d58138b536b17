"""Assemble package seeds into one consistent world by living through its history.

The history is replayed as a discrete-event simulation in time order, so every id
koji, bodhi and Bugzilla hand out (build ids, task ids, tag events, update ids, bug
ids) grows with time as in the real services. The calendar's mass rebuilds and
branchings happen to every package; each package's own history entries become
rawhide builds with automatic updates, and some become builds for branched
releases that travel through bodhi: pending, testing, stable (or obsolete), moving
between koji tags exactly as bodhi moves them.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from simulator.catalog import calendar
from simulator.catalog.model import (
    Bug,
    Build,
    BuildState,
    Comment,
    Package,
    Update,
    UpdateStatus,
)
from simulator.catalog.seed import BugSeed, Change, HistoryEntry, PackageSeed
from simulator.world import World

_HOUR = 3600.0
_DAY = 24 * _HOUR

BUG_STATUSES_OPEN = ("NEW", "NEW", "NEW", "ASSIGNED", "ASSIGNED", "POST", "MODIFIED", "ON_QA")
BUG_RESOLUTIONS = (
    ("ERRATA", 0.35),
    ("CURRENTRELEASE", 0.12),
    ("NOTABUG", 0.1),
    ("DUPLICATE", 0.1),
    ("EOL", 0.12),
    ("WONTFIX", 0.06),
    ("RAWHIDE", 0.08),
    ("INSUFFICIENT_DATA", 0.04),
    ("UPSTREAM", 0.03),
)
BUG_SUMMARIES = (
    "{p}: FTBFS in Fedora rawhide/f{v}",
    "{p} fails to install in Fedora rawhide",
    "{p}-{ver} is available",
    "CVE-{y}-{n} {p}: denial of service via crafted input [fedora-all]",
    "{p} crashes on startup",
    "{p}: segfault in {fn}()",
    "Please branch and build {p} in epel10",
    "{p}: Python 3.14 compatibility",
    "Review Request: {p} - {s}",
    "[abrt] {p}: {fn}(): killed by SIGSEGV",
    "{p} depends on deprecated package",
    "{p} has a broken dependency on {d}",
)


@dataclass(slots=True)
class _Line:
    """What the assembler tracks about one package while it replays history."""

    package: Package
    seed: PackageSeed
    version: str
    release: int = 1
    branched: dict[int, Update] = field(default_factory=dict)  # release version -> live update
    open_bugs: list[Bug] = field(default_factory=list)

    def people(self) -> list[str]:
        people = [self.package.owner, *self.package.admins, *self.package.committers]
        return [p for p in people if p != "orphan"]


Action = Callable[[], None]


class Assembler:
    def __init__(self, seeds: Iterable[PackageSeed], *, seed: int, now: float) -> None:
        self.rng = random.Random(seed * 7919 + 1)
        self.now = now
        self.start = now - calendar.HISTORY_YEARS * 365 * _DAY
        self.world = World(seed=seed, now=now, releases=calendar.releases(now))
        self.seeds = list(seeds)
        self._queue: list[tuple[float, int, Action]] = []
        self._planned: list[tuple[float, int, Action]] = []
        self._order = itertools.count()
        self._lines: list[_Line] = []
        self._packagers: list[str] = []
        self._current = self.start

    # -- the event loop -------------------------------------------------------------------

    def at(self, when: float, action: Action) -> None:
        """Run ``action`` at ``when`` (dropped when that is after the world's now)."""
        if when <= self.now:
            heapq.heappush(self._queue, (when, next(self._order), action))

    def plan(self, when: float, action: Action) -> None:
        """Like :meth:`at`, for actions known before the loop starts (sorted once, not heaped)."""
        if when <= self.now:
            self._planned.append((when, next(self._order), action))

    def run(self) -> World:
        world = self.world
        for name in ("releng", "bodhi", "autopen", "packagerbot"):
            world.user(name)
        for s in self.seeds:
            package = world.add_package(
                Package(
                    id=next(world.counters.package),
                    name=s.name,
                    summary=s.summary,
                    license=s.license,
                    url=s.url,
                    owner=s.owner,
                    admins=list(s.admins),
                    committers=list(s.committers),
                    groups=list(s.groups),
                    subpackages=list(s.subpackages),
                    created=s.created,
                    description=s.description,
                    retired=s.retired and s.retired_at is None,
                    arch=s.arch,
                )
            )
            line = _Line(package, s, s.version)
            self._lines.append(line)
            self.plan(self._baseline_time(line), partial(self._baseline, line))
            for entry in s.history:
                self.plan(entry.at, partial(self._rawhide_build, line, entry))
            self._plan_bugs(line)
            if s.retired and s.retired_at is not None:
                self.plan(s.retired_at, partial(_retire, package))
        self._packagers = sorted({p for line in self._lines for p in line.people()})
        for cycle in calendar.CYCLES:
            if self.start < cycle.mass_rebuild:
                self.plan(cycle.mass_rebuild, partial(self._mass_rebuild, cycle))
            if self.start < cycle.branched:
                self.plan(cycle.branched, partial(self._branch, cycle))
        self._planned.sort(key=_first_two)
        planned, queue = self._planned, self._queue
        index, count = 0, len(planned)
        while index < count or queue:
            if queue and (index == count or queue[0] < planned[index]):
                self._current, _, action = heapq.heappop(queue)
            else:
                self._current, _, action = planned[index]
                index += 1
            action()
        return world

    # -- koji --------------------------------------------------------------------------

    def _new_build(
        self,
        line: _Line,
        *,
        version: str,
        release: str,
        at: float,
        owner: str,
        target: str,
        changelog: str,
        state: BuildState = BuildState.COMPLETE,
    ) -> Build:
        world = self.world
        duration = self.rng.uniform(4 * 60, 50 * 60) * max(1.0, line.seed.popularity**0.5)
        build = Build(
            id=next(world.counters.build),
            package_id=line.package.id,
            name=line.package.name,
            version=version,
            release=release,
            epoch=line.seed.epoch,
            state=state,
            owner=owner,
            task_id=next(world.counters.task),
            created=at,
            completed=at + duration if state is not BuildState.BUILDING else None,
            creation_event=world.next_event(),
            target=target,
            changelog=changelog,
        )
        world.add_build(build)
        return build

    def _baseline_time(self, line: _Line) -> float:
        if line.seed.created >= self.start:
            return line.seed.created
        return max(line.seed.created, self.start - self.rng.uniform(30, 400) * _DAY)

    def _baseline(self, line: _Line) -> None:
        """The build each package had before the history starts, cloned into rawhide."""
        at = self._clock()
        version = calendar.rawhide_version(at)
        build = self._new_build(
            line,
            version=line.version,
            release=f"1.fc{version}",
            at=at,
            owner=self._owner(line),
            target="rawhide",
            changelog=f"Update to {line.version}",
        )
        when = (build.completed or at) + 600
        self.world.tag_build(build, f"f{version}", user="bodhi", at=when)
        for later in range(version + 1, calendar.rawhide_version(self.start) + 1):
            self.world.tag_build(
                build, f"f{later}", user="releng", at=calendar.cycle(later - 1).branched
            )

    def _owner(self, line: _Line, entry: HistoryEntry | None = None) -> str:
        people = line.people()
        if entry is not None and entry.author and (entry.author in people or not people):
            return entry.author
        if people:
            return self.rng.choice(people)
        return self.rng.choice(self._packagers) if self._packagers else "releng"

    def _rawhide_build(self, line: _Line, entry: HistoryEntry) -> None:
        if line.package.retired:
            return
        if entry.change is Change.VERSION and entry.version != line.version:
            line.version, line.release = entry.version, 1
        else:
            line.release += 1
        at = entry.at
        dist = calendar.rawhide_version(at)
        release = f"{line.release}.fc{dist}"
        owner = self._owner(line, entry)
        if self.rng.random() < 0.05:  # a failed attempt first, fixed an hour later
            self._new_build(
                line,
                version=line.version,
                release=release,
                at=at,
                owner=owner,
                target="rawhide",
                changelog=entry.changelog,
                state=BuildState.FAILED,
            )
            at += _HOUR
        build = self._new_build(
            line,
            version=line.version,
            release=release,
            at=at,
            owner=owner,
            target="rawhide",
            changelog=entry.changelog,
        )
        done = build.completed or at
        gated = done + self.rng.uniform(2, 30) * 60
        if gated < self.now - _DAY:  # long settled: no need to live through the gating
            self._rawhide_update(line, build, at=gated)
        else:
            self.world.tag_build(build, f"f{dist}-updates-candidate", user=owner, at=done)
            self.at(gated, lambda: self._rawhide_update(line, build))
        if entry.change is Change.VERSION or "CVE" in entry.changelog:
            for version in calendar.branched_versions(at):
                chance = 0.45 if version == max(calendar.branched_versions(at)) else 0.25
                if "CVE" in entry.changelog:
                    chance = 0.8
                if self.rng.random() < chance:
                    delay = self.rng.uniform(0.2, 3) * _DAY
                    self.at(at + delay, partial(self._branched_build, line, version, entry))

    def _rawhide_update(self, line: _Line, build: Build, at: float | None = None) -> None:
        """Bodhi's automatic rawhide update: gated, then stable, then into the dist tag."""
        world = self.world
        dist = int(build.release.rsplit(".fc", 1)[1])
        at = self._clock() if at is None else at
        release = world.releases.get(f"F{dist}")
        world.untag_build(build, f"f{dist}-updates-candidate")
        world.tag_build(build, f"f{dist}", user="bodhi", at=at)
        if release is None:  # a release older than bodhi's list
            return
        update = self._new_update(
            line,
            [build],
            release.name,
            at,
            submitter=build.owner,
            notes=f"Automatic update for {build.nvr}.\n\n##### **Changelog**\n\n"
            f"```\n* {build.changelog}\n```",
            kind="unspecified",
        )
        update.status, update.request = UpdateStatus.STABLE, None
        update.date_testing = update.date_stable = at + 60
        update.stable_karma, update.autokarma = 0, False
        self._close_bugs(line, update, at + 120)

    def _branched_build(self, line: _Line, version: int, entry: HistoryEntry) -> None:
        if version not in calendar.branched_versions(self._clock()):
            return
        owner = self._owner(line, entry)
        now = self._clock()
        number = line.release
        while (
            f"{line.package.name}-{line.version}-{number}.fc{version}" in self.world.builds_by_nvr
        ):
            number += 1  # the branch already built this release: the packager bumps it
        build = self._new_build(
            line,
            version=line.version,
            release=f"{number}.fc{version}",
            at=now,
            owner=owner,
            target=f"f{version}-candidate",
            changelog=entry.changelog,
        )
        done = build.completed or now
        self.world.tag_build(build, f"f{version}-updates-candidate", user=owner, at=done)
        self.at(
            done + self.rng.uniform(10, 120) * 60, lambda: self._submit(line, build, version, entry)
        )

    def _submit(self, line: _Line, build: Build, version: int, entry: HistoryEntry) -> None:
        at = self._clock()
        release = self.world.releases[f"F{version}"]
        previous = line.branched.get(version)
        kind = (
            "security"
            if "CVE" in entry.changelog
            else self.rng.choice(("bugfix", "bugfix", "bugfix", "enhancement", "enhancement"))
        )
        notes = entry.changelog if self.rng.random() < 0.6 else f"Update to {build.version}"
        update = self._new_update(
            line, [build], release.name, at, submitter=build.owner, notes=notes, kind=kind
        )
        update.request = "testing"
        if previous is not None and previous.status in (UpdateStatus.PENDING, UpdateStatus.TESTING):
            self._obsolete(previous, at)
        line.branched[version] = update
        for bug in list(line.open_bugs)[:2]:
            if self.rng.random() < 0.35:
                update.bug_ids.append(bug.id)
        self.at(at + self.rng.uniform(2, 30) * _HOUR, lambda: self._to_testing(line, update))

    def _to_testing(self, line: _Line, update: Update) -> None:
        if update.status is not UpdateStatus.PENDING:
            return
        at = self._clock()
        release = self.world.releases[update.release]
        for build in self.world.update_builds(update):
            self.world.untag_build(build, release.candidate_tag)
            self.world.tag_build(build, release.testing_tag, user="bodhi", at=at)
        update.status, update.request, update.date_testing, update.modified = (
            UpdateStatus.TESTING,
            None,
            at,
            at,
        )
        self._karma(update, at)
        wait = (3 if update.karma >= update.stable_karma else 7) * _DAY
        self.at(
            at + wait + self.rng.uniform(0, 2) * _DAY, lambda: self._request_stable(line, update)
        )

    def _request_stable(self, line: _Line, update: Update) -> None:
        if update.status is not UpdateStatus.TESTING:
            return
        if self.rng.random() < 0.03:
            at = self._clock()
            update.status, update.request, update.modified = UpdateStatus.UNPUSHED, None, at
            for build in self.world.update_builds(update):
                self.world.untag_build(build, self.world.releases[update.release].testing_tag)
            return
        update.request = "stable"
        self.at(
            self._clock() + self.rng.uniform(2, 20) * _HOUR, lambda: self._to_stable(line, update)
        )

    def _to_stable(self, line: _Line, update: Update) -> None:
        if update.status is not UpdateStatus.TESTING:
            return
        at = self._clock()
        release = self.world.releases[update.release]
        for build in self.world.update_builds(update):
            self.world.untag_build(build, release.testing_tag)
            self.world.tag_build(build, release.stable_tag, user="bodhi", at=at)
        update.status, update.request, update.date_stable, update.modified = (
            UpdateStatus.STABLE,
            None,
            at,
            at,
        )
        self._close_bugs(line, update, at)

    def _obsolete(self, update: Update, at: float) -> None:
        release = self.world.releases[update.release]
        for build in self.world.update_builds(update):
            self.world.untag_build(build, release.testing_tag)
            self.world.untag_build(build, release.candidate_tag)
        update.status, update.request, update.modified = UpdateStatus.OBSOLETE, None, at

    def _karma(self, update: Update, at: float) -> None:
        for _ in range(self.rng.choices((0, 1, 2, 3, 4), (35, 25, 20, 15, 5))[0]):
            user = self.rng.choice(self._packagers)
            karma = self.rng.choices((1, 0, -1), (75, 20, 5))[0]
            at += self.rng.uniform(1, 48) * _HOUR
            update.comments.append(
                Comment(
                    id=next(self.world.counters.comment),
                    user=user,
                    karma=karma,
                    at=at,
                    text=(
                        "Works for me."
                        if karma > 0
                        else "Breaks my workflow, see the linked bug."
                        if karma < 0
                        else "Installed fine."
                    ),
                )
            )

    def _new_update(
        self,
        line: _Line,
        builds: list[Build],
        release: str,
        at: float,
        *,
        submitter: str,
        notes: str,
        kind: str,
    ) -> Update:
        world = self.world
        number = next(world.counters.update)
        year = _year(at)
        update = Update(
            id=number,
            alias=f"FEDORA-{year}-{_alias_hash(world.seed, number)}",
            release=release,
            build_ids=[b.id for b in builds],
            status=UpdateStatus.PENDING,
            request=None,
            type=kind,
            severity="unspecified"
            if kind != "security"
            else self.rng.choice(("low", "medium", "high", "urgent")),
            submitter=submitter,
            submitted=at,
            modified=None,
            notes=notes,
            critpath=line.seed.popularity >= 4,
        )
        return world.add_update(update)

    # -- calendar events ---------------------------------------------------------------

    def _mass_rebuild(self, cycle: calendar.Cycle) -> None:
        """Every live package rebuilt by releng over four days, in a random order."""
        note = f"Rebuilt for https://fedoraproject.org/wiki/Fedora_{cycle.version}_Mass_Rebuild"
        lines = [line for line in self._lines if not line.package.retired]
        self.rng.shuffle(lines)
        step = 4 * _DAY / max(1, len(lines))
        start = self._clock()
        for index, line in enumerate(lines):
            self._current = start + index * step
            self._mass_build(line, cycle.version, note)

    def _mass_build(self, line: _Line, version: int, note: str) -> None:
        line.release += 1
        at = self._clock()
        failed = self.rng.random() < 0.03
        build = self._new_build(
            line,
            version=line.version,
            release=f"{line.release}.fc{version}",
            at=at,
            owner="releng",
            target=f"f{version}-rebuild",
            changelog=note,
            state=BuildState.FAILED if failed else BuildState.COMPLETE,
        )
        if not failed:
            self.world.tag_build(build, f"f{version}", user="releng", at=build.completed or at)

    def _branch(self, cycle: calendar.Cycle) -> None:
        """Branching: rawhide moves on, the new rawhide tag starts as a clone of the old one."""
        at = self._clock()
        old, new = f"f{cycle.version}", f"f{cycle.version + 1}"
        for line in self._lines:
            latest = self.world.latest_tagged(old, line.package.id)
            if latest is not None:
                self.world.tag_build(latest, new, user="releng", at=at)

    # -- bugs --------------------------------------------------------------------------

    def _plan_bugs(self, line: _Line) -> None:
        seeds = line.seed.bugs
        if seeds is None:
            seeds = self._invent_bugs(line)
        for bug_seed in sorted(seeds, key=lambda b: b.created):
            self.plan(
                max(bug_seed.created, self.start - 400 * _DAY)
                if bug_seed.created < self.start
                else bug_seed.created,
                partial(self._file_bug, line, bug_seed),
            )

    def _invent_bugs(self, line: _Line) -> list[BugSeed]:
        rng = self.rng
        pop = line.seed.popularity
        count = int((rng.paretovariate(2.2) - 0.85) * pop * 1.2)
        if pop >= 20:
            count = int(pop * rng.uniform(5, 8))
        out: list[BugSeed] = []
        for _ in range(max(0, count)):
            created = rng.uniform(self.start - 200 * _DAY, self.now - _HOUR)
            age = self.now - created
            closed = rng.random() < min(0.92, age / (250 * _DAY))
            changed = min(self.now - 60, created + rng.uniform(0.01, 1.0) * age)
            template = rng.choice(BUG_SUMMARIES)
            summary = template.format(
                p=line.package.name,
                v=calendar.rawhide_version(created),
                ver=_bump(line.version),
                y=_year(created),
                n=rng.randint(1000, 59999),
                fn=rng.choice(("main", "parse", "init", "g_free", "free")),
                s=line.package.summary,
                d=rng.choice(("libfoo", "python3-six", "openssl1.1")),
            )
            keywords = (
                ["FTBFS"]
                if "FTBFS" in summary
                else (["Security", "SecurityTracking"] if "CVE" in summary else [])
            )
            resolution = _weighted(rng, BUG_RESOLUTIONS) if closed else ""
            status = "CLOSED" if closed else rng.choice(BUG_STATUSES_OPEN)
            out.append(BugSeed(summary, status, resolution, created, changed, keywords))
        return out

    def _file_bug(self, line: _Line, seed: BugSeed) -> None:
        world = self.world
        assignee = line.package.owner if line.package.owner != "orphan" else "extras-orphan"
        version = calendar.rawhide_version(seed.created)
        bug = Bug(
            id=seed.bug_id if seed.bug_id is not None else next(world.counters.bug),
            component=line.package.name,
            summary=seed.summary,
            status=seed.status,
            resolution=seed.resolution,
            severity=self.rng.choice(
                ("unspecified", "unspecified", "low", "medium", "high", "urgent")
            ),
            priority="unspecified",
            version="rawhide" if self.rng.random() < 0.4 else str(version - 1),
            created=seed.created,
            changed=seed.changed,
            assignee=f"{assignee}@fedoraproject.org",
            creator=f"{self._reporter()}@fedoraproject.org",
            keywords=list(seed.keywords),
        )
        world.add_bug(bug)
        if bug.is_open:
            line.open_bugs.append(bug)

    def _reporter(self) -> str:
        return self.rng.choice(self._packagers) if self._packagers else "reporter"

    def _close_bugs(self, line: _Line, update: Update, at: float) -> None:
        for bug_id in update.bug_ids:
            bug = self.world.bugs[bug_id]
            if bug.is_open:
                bug.status, bug.resolution, bug.changed = "CLOSED", "ERRATA", at
                if bug in line.open_bugs:
                    line.open_bugs.remove(bug)

    def _clock(self) -> float:
        """The time of the action being run."""
        return self._current


def assemble(
    seeds: Iterable[PackageSeed], *, seed: int, now: float = calendar.DEFAULT_NOW
) -> World:
    """Build the world from package seeds by replaying their history up to ``now``."""
    return Assembler(seeds, seed=seed, now=now).run()


def _retire(package: Package) -> None:
    package.retired = True


def _first_two(item: tuple[float, int, Action]) -> tuple[float, int]:
    return item[0], item[1]


def _alias_hash(seed: int, number: int) -> str:
    """Ten hex digits that look random and never repeat (an odd multiplier mod 2**40)."""
    return f"{((number + seed) * 0x9E3779B97F4A7C15) % (1 << 40):010x}"


def _year(at: float) -> int:
    return 1970 + int(at // (365.2425 * _DAY))


def _bump(version: str) -> str:
    head, _, last = version.rpartition(".")
    return f"{head}.{int(last) + 1}" if last.isdigit() and head else version + ".1"


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c[0] for c in choices], [c[1] for c in choices])[0]
