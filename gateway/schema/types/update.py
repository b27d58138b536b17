"""``Update``: a bodhi update pushing builds to a release."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum

import strawberry

from clients import bodhi
from gateway.context import Info
from gateway.resolvers.pages import Page
from gateway.schema.types.bug import Bug
from gateway.schema.types.build import Build
from gateway.schema.types.connection import PageInfo
from gateway.schema.types.release import Release
from gateway.schema.types.user import User


@strawberry.enum(description="Where an update stands in bodhi.")
class UpdateStatus(enum.Enum):
    PENDING = "pending"
    TESTING = "testing"
    STABLE = "stable"
    UNPUSHED = "unpushed"
    OBSOLETE = "obsolete"
    SIDE_TAG_ACTIVE = "side_tag_active"
    SIDE_TAG_EXPIRED = "side_tag_expired"

    def to_bodhi(self) -> bodhi.UpdateStatus:
        return bodhi.UpdateStatus(self.value)


@strawberry.type(description="A bodhi update: builds pushed together to one release.")
class Update:
    alias: str
    title: str | None
    status: UpdateStatus
    request: str | None
    type: str | None
    severity: str | None
    karma: int | None
    stable_karma: int | None
    submitted_at: dt.datetime | None
    pushed_at: dt.datetime | None
    notes: str | None
    url: str
    release_name: strawberry.Private[str]
    nvrs: strawberry.Private[tuple[str, ...]]
    bug_ids: strawberry.Private[tuple[int, ...]]
    submitter_name: strawberry.Private[str | None]

    @strawberry.field(description="The release the update goes to.")
    async def release(self, info: Info) -> Release | None:
        releases = await info.context.loaders.releases.load("all")
        for release in releases:
            if release.name == self.release_name:
                return Release.from_bodhi(release)
        return None

    @strawberry.field(description="The builds the update pushes.")
    async def builds(self, info: Info) -> list[Build] | None:
        loaded = await asyncio.gather(*(info.context.loaders.build.load(n) for n in self.nvrs))
        return [Build.from_koji(build) for build in loaded if build is not None]

    @strawberry.field(description="The bugs the update fixes.")
    async def bugs(self, info: Info) -> list[Bug] | None:
        loaded = await asyncio.gather(*(info.context.loaders.bug.load(i) for i in self.bug_ids))
        return [Bug.from_bugzilla(bug) for bug in loaded if bug is not None]

    @strawberry.field(description="Who submitted it.")
    def submitter(self) -> User | None:
        return User(name=self.submitter_name) if self.submitter_name else None

    @classmethod
    def from_bodhi(cls, update: bodhi.Update) -> Update:
        return cls(
            alias=update.alias,
            title=update.title,
            status=UpdateStatus(update.status.value),
            request=update.request.value if update.request else None,
            type=update.type,
            severity=update.severity,
            karma=update.karma,
            stable_karma=update.stable_karma,
            submitted_at=update.date_submitted,
            pushed_at=update.date_pushed,
            notes=update.notes,
            url=update.url,
            release_name=update.release,
            nvrs=tuple(str(nvr) for nvr in update.builds),
            bug_ids=update.bug_ids,
            submitter_name=update.submitter,
        )


@strawberry.type(description="A page of updates, newest submission first.")
class UpdateConnection:
    nodes: list[Update]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page[bodhi.Update]) -> UpdateConnection:
        return cls(
            nodes=[Update.from_bodhi(update) for update in page.items],
            page_info=PageInfo.of(page),
            total_count=page.total,
        )
