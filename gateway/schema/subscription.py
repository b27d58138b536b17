"""The root ``Subscription``: what changed, pushed as the bus reports it.

Each resolver reads the change feed through ``info.context.changes`` and picks the changes
its arguments ask for; what it yields is resolved against the freshly refilled cache, so a
client receives the new data, not only the news that there is some. A change reaches a
subscription after the worker has refilled the cache, so the fields it asks for are read
from the cache, not from the upstreams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator

import strawberry

from gateway.context import Info
from gateway.errors import BadInputError
from gateway.invalidation.feed import Change, Resync
from gateway.schema.types.bug import Bug
from gateway.schema.types.build import Build, BuildState
from gateway.schema.types.package import Package
from gateway.schema.types.update import Update

#: The koji topic of a build changing state: the only one ``buildStateChanged`` follows.
BUILD_STATE_TOPIC = "buildsys.build.state.change"


@strawberry.type(description="Something about a package changed.")
class PackageChange:
    package: Package
    reasons: list[str] = strawberry.field(
        description="What changed: build, tag, update, comment, override, bug, owner, commit, "
        "repo; or resync after changes may have been missed (re-read everything)."
    )
    topic: str = strawberry.field(description="The bus topic that reported it.")
    at: dt.datetime


@strawberry.type(description="A koji build changed state.")
class BuildEvent:
    previous_state: BuildState | None = strawberry.field(
        description="The state it left; null for a new build."
    )
    state: BuildState | None = strawberry.field(
        description="The state it entered (the build may have moved on since: see build.state)."
    )
    at: dt.datetime
    build_ref: strawberry.Private[int | str]

    @strawberry.field(description="The build, as it is now.")
    async def build(self, info: Info) -> Build:
        build = await info.context.loaders.build.load(self.build_ref)
        if build is None:
            raise BadInputError(f"koji does not know the build {self.build_ref}")
        return Build.from_koji(build)


@strawberry.type(description="A bodhi update was created, edited, commented or moved.")
class UpdateEvent:
    topic: str
    at: dt.datetime
    alias: strawberry.Private[str]

    @strawberry.field(description="The update, as it is now.")
    async def update(self, info: Info) -> Update:
        update = await info.context.loaders.update.load(self.alias)
        if update is None:
            raise BadInputError(f"bodhi does not know the update {self.alias}")
        return Update.from_bodhi(update)


@strawberry.type(description="A bug was filed or changed in Red Hat Bugzilla.")
class BugEvent:
    new: bool = strawberry.field(description="The bug was just filed.")
    topic: str
    at: dt.datetime
    bug_id: strawberry.Private[int]

    @strawberry.field(description="The bug, as it is now.")
    async def bug(self, info: Info) -> Bug:
        bug = await info.context.loaders.bug.load(self.bug_id)
        if bug is None:
            raise BadInputError(f"Bugzilla does not know the bug {self.bug_id}")
        return Bug.from_bugzilla(bug)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Every change to one package.")
    async def package_changed(self, info: Info, name: str) -> AsyncGenerator[PackageChange, None]:
        async for item in info.context.changes(lambda change: name in change.packages, resync=True):
            if isinstance(item, Resync):
                yield PackageChange(
                    package=Package(name=name), reasons=["resync"], topic="resync", at=item.until
                )
            else:
                yield PackageChange(
                    package=Package(name=name),
                    reasons=list(item.reasons),
                    topic=item.topic,
                    at=item.at,
                )

    @strawberry.subscription(description="Builds changing state: of one package, or of all.")
    async def build_state_changed(
        self, info: Info, package: str | None = None
    ) -> AsyncGenerator[BuildEvent, None]:
        def wanted(change: Change) -> bool:
            subject = change.subject
            return (
                change.topic == BUILD_STATE_TOPIC
                and (subject.build is not None or subject.nvr is not None)
                and (package is None or package in change.packages)
            )

        async for change in info.context.changes(wanted):
            assert isinstance(change, Change)
            subject = change.subject
            yield BuildEvent(
                previous_state=BuildState.__members__.get(subject.previous_state or ""),
                state=BuildState.__members__.get(subject.state or ""),
                at=change.at,
                build_ref=subject.build if subject.build is not None else str(subject.nvr),
            )

    @strawberry.subscription(
        description="Updates created, edited, commented or moved: of one package, of one "
        "release (its name, as F45, or its branch, as f45), or of all."
    )
    async def update_changed(
        self, info: Info, package: str | None = None, release: str | None = None
    ) -> AsyncGenerator[UpdateEvent, None]:
        wanted_release = release.casefold() if release else None

        def wanted(change: Change) -> bool:
            subject = change.subject
            return (
                subject.update is not None
                and (package is None or package in change.packages)
                and (wanted_release is None or (subject.release or "").casefold() == wanted_release)
            )

        async for change in info.context.changes(wanted):
            assert isinstance(change, Change)
            yield UpdateEvent(topic=change.topic, at=change.at, alias=str(change.subject.update))

    @strawberry.subscription(description="Bugs filed or changed: against one component, or all.")
    async def bug_changed(
        self, info: Info, component: str | None = None
    ) -> AsyncGenerator[BugEvent, None]:
        def wanted(change: Change) -> bool:
            return change.subject.bug is not None and (
                component is None or component in change.packages
            )

        async for change in info.context.changes(wanted):
            assert isinstance(change, Change)
            subject = change.subject
            bug_id = subject.bug if subject.bug is not None else 0
            yield BugEvent(new=subject.new, topic=change.topic, at=change.at, bug_id=bug_id)
