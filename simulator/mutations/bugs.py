"""The ``bug`` mutation, and Bugzilla's side of the others: filing and moving bugs along.

A ``bug`` mutation either files a new bug against the package's component or, half
the time when one is open, moves the most recently changed open bug one step along
Fedora's workflow (NEW, ASSIGNED, POST, MODIFIED, ON_QA, CLOSED).
"""

from __future__ import annotations

from datetime import UTC, datetime

from simulator import messages
from simulator.catalog.assemble import BUG_RESOLUTIONS, BUG_SUMMARIES
from simulator.catalog.model import Bug, Package
from simulator.messages import BugChange, Message
from simulator.mutations.builds import Builds, bump
from simulator.mutations.context import MutationContext
from simulator.mutations.result import MutationResult, Stage

__all__ = ["Bugs"]

_BUG_FLOW = {
    "NEW": "ASSIGNED",
    "ASSIGNED": "POST",
    "POST": "MODIFIED",
    "MODIFIED": "ON_QA",
    "ON_QA": "CLOSED",
}


class Bugs:
    """Bugs in Bugzilla: filed, advanced along the workflow, closed."""

    def __init__(self, context: MutationContext, builds: Builds) -> None:
        self.context = context
        self.world = context.world
        self.builds = builds

    def bug(self, package: Package, result: MutationResult) -> list[Stage]:
        """The ``bug`` mutation: file a bug, or move an open one along."""
        open_bugs = [b for b in self.world.bugs_by_component.get(package.name, []) if b.is_open]
        if open_bugs and self.context.rng.random() < 0.5:
            bug = max(open_bugs, key=lambda b: (b.changed, b.id))
            return [lambda: self._advance_bug(bug, package, result)]
        return [lambda: self._file_bug(package, result)]

    def _file_bug(self, package: Package, result: MutationResult) -> list[Message]:
        rng = self.context.rng
        now = self.context.now()
        rawhide = self.world.rawhide
        reporter = rng.choice(self.context.packagers() or ["reporter"])
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
                severity=rng.choice(
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
        rng = self.context.rng
        latest = self.builds.latest_build(package)
        template = rng.choice(BUG_SUMMARIES)
        return template.format(
            p=package.name,
            v=version,
            ver=bump(latest.version if latest else "1.0"),
            y=datetime.fromtimestamp(now, UTC).year,
            n=rng.randint(1000, 59999),
            fn=rng.choice(("main", "parse", "init", "g_free", "free")),
            s=package.summary,
            d=rng.choice(("libfoo", "python3-six", "openssl1.1")),
        )

    def _advance_bug(self, bug: Bug, package: Package, result: MutationResult) -> list[Message]:
        status = _BUG_FLOW.get(bug.status, "CLOSED")
        resolution = ""
        if status == "CLOSED":
            resolution = self.context.rng.choices(
                [r for r, _ in BUG_RESOLUTIONS], [w for _, w in BUG_RESOLUTIONS]
            )[0]
        changes = self.set_status(bug, status, resolution)
        who = bug.assignee if package.owner != "orphan" else bug.creator
        result.changed.update(
            bug_id=bug.id,
            action="update",
            status=bug.status,
            changes=[c.to_json() for c in changes],
        )
        return [messages.bug_update(self.world, bug, changes, who=who)]

    def set_status(self, bug: Bug, status: str, resolution: str) -> list[BugChange]:
        """Move ``bug`` to ``status`` (and ``resolution``); the changes Bugzilla reports."""
        changes = [BugChange("status", "Status", bug.status, status)]
        if resolution != bug.resolution:
            changes.append(BugChange("resolution", "Resolution", bug.resolution, resolution))
        bug.status, bug.resolution, bug.changed = status, resolution, self.context.now()
        return changes
