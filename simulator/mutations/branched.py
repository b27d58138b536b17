"""The ``update`` mutation: one step of a package's bodhi life on a branched release.

The step is chosen from the state of the package's live update on the newest
branched release: without one (or when rawhide moved to a newer upstream version than
it carries) a new build is submitted as an update; a pending update is pushed to
testing; one with a stable request is pushed stable; otherwise it gets a karma
comment, or its stable request once nobody is left to comment.
"""

from __future__ import annotations

from simulator.catalog.model import BuildState, Package, Release, Update, UpdateStatus
from simulator.messages import Message
from simulator.mutations.builds import Builds, check_live, check_open
from simulator.mutations.context import MutationContext
from simulator.mutations.result import MutationError, MutationResult, Stage, record_build
from simulator.mutations.updates import Updates

__all__ = ["BranchedUpdates"]


class BranchedUpdates:
    """Moves a package's update on the newest branched release one step along."""

    def __init__(self, context: MutationContext, builds: Builds, updates: Updates) -> None:
        self.context = context
        self.world = context.world
        self.builds = builds
        self.updates = updates

    def update(self, package: Package, result: MutationResult) -> list[Stage]:
        """One step of the package's bodhi life on the newest branched release."""
        check_live(package)
        release = self._branched_release()
        check_open(self.world, package, release)
        live = self._live_update(package, release)
        result.changed["release"] = release.name
        if live is None or self._superseded(package, live):
            return self._submit_stages(package, release, live, result)
        build = self.world.update_builds(live)[0]
        result.changed.update(alias=live.alias, build_id=build.id, nvr=build.nvr)
        return [self._next_step(live, release, result)]

    def _next_step(self, update: Update, release: Release, result: MutationResult) -> Stage:
        """What moves a live update along: push, karma, or a request, from its state."""
        updates = self.updates
        if update.status is UpdateStatus.PENDING:
            return lambda: updates.push_testing(update, release, result)
        if update.request == "stable":
            return lambda: updates.push_stable(update, release, result)
        if update.karma < update.stable_karma and updates.commenter(update) is not None:
            return lambda: updates.karma_comment(update, result)
        return lambda: updates.request_stable(update, result)

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
        builds = self.builds
        base = self.world.latest_tagged(self.world.rawhide.dist_tag, package.id)
        build = builds.new_build(
            package,
            release,
            target=f"{release.dist_tag}-candidate",
            changelog=base.changelog if base else None,
            base=base,
        )
        record_build(result, build)

        def submit() -> list[Message]:
            return self.updates.submit(build, release, previous, result)

        return [
            lambda: builds.started(build),
            lambda: builds.finish(build, BuildState.COMPLETE),
            lambda: builds.tag(build, release.candidate_tag, build.owner),
            submit,
            lambda: builds.signed(build, release),
        ]
