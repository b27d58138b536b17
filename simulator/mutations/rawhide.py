"""The ``build`` and ``build_failed`` mutations: a rawhide build, through gating or not.

``build`` lives a rawhide build the way Fedora does: koji builds it and tags it into
the candidate tag, bodhi makes its automatic update, robosignatory signs it, and once
gating passes the update goes stable into the dist tag, as
:mod:`simulator.catalog.assemble` leaves every settled rawhide build.
``build_failed`` starts a rawhide build that fails.
"""

from __future__ import annotations

from simulator import messages
from simulator.catalog.model import Build, BuildState, Package, Release, Update, UpdateStatus
from simulator.messages import Message
from simulator.mutations.builds import Builds, check_open, pending_testing
from simulator.mutations.context import MutationContext
from simulator.mutations.result import MutationResult, Stage, record_build
from simulator.mutations.updates import Updates

__all__ = ["RawhideBuilds"]


class RawhideBuilds:
    """Rawhide builds: koji's build, bodhi's automatic update and its gating."""

    def __init__(self, context: MutationContext, builds: Builds, updates: Updates) -> None:
        self.context = context
        self.world = context.world
        self.builds = builds
        self.updates = updates

    def build(self, package: Package, result: MutationResult) -> list[Stage]:
        """The ``build`` mutation: a rawhide build that completes and goes stable."""
        builds = self.builds
        rawhide = self.world.rawhide
        check_open(self.world, package, rawhide)
        build = builds.new_build(
            package, rawhide, target="rawhide", bump_version=self.context.rng.random() < 0.35
        )
        record_build(result, build)
        return self.gated(build, result)

    def gated(self, build: Build, result: MutationResult) -> list[Stage]:
        """The life of a new rawhide ``build``: koji, bodhi's automatic update, gating."""
        builds = self.builds
        rawhide = self.world.rawhide

        def automatic_update() -> list[Message]:
            update = self._automatic_update(build, rawhide)
            result.changed["update"] = update.alias
            return self._created_update_messages(update, build, rawhide)

        def settled() -> list[Message]:
            batch = self._rawhide_stable(build, rawhide)
            result.changed.update(state=build.state.name, tags=build.active_tags())
            return batch

        return [
            lambda: builds.started(build),
            lambda: builds.finish(build, BuildState.COMPLETE),
            lambda: builds.tag(build, rawhide.candidate_tag, build.owner),
            automatic_update,
            lambda: builds.signed(build, rawhide),
            lambda: self._rawhide_testing(build, rawhide),
            settled,
        ]

    def build_failed(self, package: Package, result: MutationResult) -> list[Stage]:
        """The ``build_failed`` mutation: a rawhide build starts and fails."""
        builds = self.builds
        check_open(self.world, package, self.world.rawhide)
        build = builds.new_build(package, self.world.rawhide, target="rawhide")
        record_build(result, build)

        def failed() -> list[Message]:
            batch = builds.finish(build, BuildState.FAILED)
            result.changed["state"] = build.state.name
            return batch

        return [lambda: builds.started(build), failed]

    # -- bodhi's automatic update and gating ------------------------------------------------

    def _automatic_update(self, build: Build, release: Release) -> Update:
        """Bodhi's automatic update for a rawhide build in the candidate tag."""
        notes = (
            f"Automatic update for {build.nvr}.\n\n##### **Changelog**\n\n"
            f"```\n* {build.changelog}\n```"
        )
        update = self.updates.new_update(
            build, release, submitter=build.owner, notes=notes, kind="unspecified", request=None
        )
        update.stable_karma, update.autokarma = 0, False
        return update

    def _created_update_messages(
        self, update: Update, build: Build, release: Release
    ) -> list[Message]:
        comment = self.updates.comment(update, "bodhi", "This update was automatically created")
        return [
            messages.update_comment(self.world, update, comment),
            messages.update_ready_for_testing(self.world, update),
            *self.builds.tag(build, f"{release.dist_tag}-signing-pending", "bodhi"),
        ]

    def _rawhide_testing(self, build: Build, release: Release) -> list[Message]:
        """Bodhi's signed handler: every build signed, so the update is in testing."""
        update = self.world.update_by_build[build.id]
        batch = self.builds.move(build, pending_testing(release), release.testing_tag, "bodhi")
        now = self.context.now()
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
        batch += self.builds.tag(build, release.stable_tag, "bodhi")
        now = self.context.now()
        update.status, update.request, update.date_stable, update.modified = (
            UpdateStatus.STABLE,
            None,
            now,
            now,
        )
        comment = self.updates.comment(
            update, "bodhi", "This update has been submitted for stable by bodhi"
        )
        batch.append(messages.update_comment(self.world, update, comment))
        batch += self.builds.untag(build, release.testing_tag, "bodhi")
        batch += self.builds.untag(build, release.candidate_tag, "bodhi")
        return batch
