"""Bodhi's side of a mutation: updates, their comments, and the steps that move them.

The steps are the ones bodhi takes for a branched release: a packager submits a build
(obsoleting the live update it supersedes), the composer pushes it to testing, people
comment with karma, stable is requested and the composer pushes it to stable. Bodhi
moves the update's bugs along as it goes (ON_QA at testing, CLOSED ERRATA at stable).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from simulator import messages
from simulator.catalog.model import Build, Comment, Release, Update, UpdateStatus
from simulator.messages import Message
from simulator.mutations.bugs import Bugs
from simulator.mutations.builds import Builds, pending_testing
from simulator.mutations.context import MutationContext
from simulator.mutations.result import MutationResult

__all__ = ["BODHI_BUGZILLA", "Updates"]

#: The Bugzilla account bodhi comments and closes bugs with.
BODHI_BUGZILLA = "updates@fedoraproject.org"

_BODHI_URL = "https://bodhi.fedoraproject.org"


class Updates:
    """Updates in bodhi: created, commented on, pushed to testing and to stable."""

    def __init__(self, context: MutationContext, builds: Builds, bugs: Bugs) -> None:
        self.context = context
        self.world = context.world
        self.builds = builds
        self.bugs = bugs

    def new_update(
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
        now = self.context.now()
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
        return self.context.rng.choice(("low", "medium", "high", "urgent"))

    def comment(self, update: Update, user: str, text: str, karma: int = 0) -> Comment:
        comment = Comment(
            id=next(self.world.counters.comment),
            user=user,
            text=text,
            karma=karma,
            at=self.context.now(),
        )
        update.comments.append(comment)
        update.modified = comment.at
        return comment

    # -- the steps ----------------------------------------------------------------------------

    def submit(
        self, build: Build, release: Release, previous: Update | None, result: MutationResult
    ) -> list[Message]:
        """The packager submits the build as an update, with request testing."""
        kind = (
            "security"
            if "CVE" in (build.changelog or "")
            else self.context.rng.choice(
                ("bugfix", "bugfix", "bugfix", "enhancement", "enhancement")
            )
        )
        notes = build.changelog or f"Update to {build.version}"
        update = self.new_update(
            build, release, submitter=build.owner, notes=notes, kind=kind, request="testing"
        )
        self._attach_bugs(update)
        batch = [messages.update_request(self.world, update, "testing", agent=update.submitter)]
        comment = self.comment(
            update, "bodhi", f"This update has been submitted for testing by {build.owner}. "
        )
        batch.append(messages.update_comment(self.world, update, comment))
        batch.append(messages.update_ready_for_testing(self.world, update))
        batch += self.builds.tag(build, f"{release.dist_tag}-signing-pending", "bodhi")
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
            if self.context.rng.random() < 0.35:
                update.bug_ids.append(bug.id)

    def _obsolete(
        self, update: Update, release: Release, *, newer: Build, alias: str
    ) -> list[Message]:
        batch: list[Message] = []
        for build in self.world.update_builds(update):
            for tag in (
                release.testing_tag,
                pending_testing(release),
                f"{release.dist_tag}-signing-pending",
                release.candidate_tag,
            ):
                batch += self.builds.untag(build, tag, "bodhi")
        update.status, update.request = UpdateStatus.OBSOLETE, None
        text = f"This update has been obsoleted by [{newer.nvr}]({_BODHI_URL}/updates/{alias})."
        comment = self.comment(update, "bodhi", text)
        batch.append(messages.update_comment(self.world, update, comment))
        return batch

    def push_testing(
        self, update: Update, release: Release, result: MutationResult
    ) -> list[Message]:
        """The composer pushed the update to testing."""
        batch: list[Message] = []
        for build in self.world.update_builds(update):
            for tag in (
                pending_testing(release),
                f"{release.dist_tag}-signing-pending",
                release.candidate_tag,
            ):
                batch += self.builds.untag(build, tag, "bodhi")
            batch += self.builds.tag(build, release.testing_tag, "bodhi")
        now = self.context.now()
        update.status, update.request, update.date_testing = UpdateStatus.TESTING, None, now
        comment = self.comment(update, "bodhi", "This update has been pushed to testing.")
        batch.append(messages.update_comment(self.world, update, comment))
        batch.append(messages.update_complete(self.world, update))
        batch += self._bugs_to(update, "ON_QA", "")
        result.changed.update(step="testing", status=update.status.value, request=None)
        return batch

    def commenter(self, update: Update) -> str | None:
        """A packager who has not commented on (nor submitted) the update yet, if any."""
        done = {c.user for c in update.comments} | {update.submitter}
        choices = [p for p in self.context.packagers() if p not in done]
        if not choices:
            return None
        return choices[(update.id * 31 + len(update.comments)) % len(choices)]

    def karma_comment(self, update: Update, result: MutationResult) -> list[Message]:
        user = self.commenter(update) or "packagerbot"
        before = update.karma
        comment = self.comment(update, user, "Works for me.", karma=1)
        batch = [messages.update_comment(self.world, update, comment)]
        if update.autokarma and before < update.stable_karma <= update.karma:
            batch.append(messages.update_karma_threshold(self.world, update, "stable"))
        result.changed.update(
            step="karma", comment_id=comment.id, karma=update.karma, status=update.status.value
        )
        return batch

    def request_stable(self, update: Update, result: MutationResult) -> list[Message]:
        by_karma = update.autokarma and update.karma >= update.stable_karma
        agent = "bodhi" if by_karma else update.submitter
        update.request = "stable"
        comment = self.comment(
            update, "bodhi", f"This update has been submitted for stable by {agent}. "
        )
        batch = [
            messages.update_request(self.world, update, "stable", agent=agent),
            messages.update_comment(self.world, update, comment),
        ]
        result.changed.update(step="stable_requested", status=update.status.value, request="stable")
        return batch

    def push_stable(
        self, update: Update, release: Release, result: MutationResult
    ) -> list[Message]:
        """The composer pushed the update to stable."""
        batch: list[Message] = []
        for build in self.world.update_builds(update):
            batch += self.builds.move(build, release.testing_tag, release.stable_tag, "bodhi")
        now = self.context.now()
        update.status, update.request, update.date_stable = UpdateStatus.STABLE, None, now
        comment = self.comment(update, "bodhi", "This update has been pushed to stable.")
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
                changes = self.bugs.set_status(bug, status, resolution)
                batch.append(messages.bug_update(self.world, bug, changes, who=BODHI_BUGZILLA))
        return batch


def _alias(seed: int, number: int, at: float) -> str:
    digest = hashlib.sha1(f"{seed}:{number}".encode(), usedforsecurity=False).hexdigest()[:10]
    return f"FEDORA-{datetime.fromtimestamp(at, UTC).year}-{digest}"
