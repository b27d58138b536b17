"""``Bug``: a Red Hat Bugzilla bug filed against a package."""

from __future__ import annotations

import datetime as dt

import strawberry

from clients import bugzilla
from gateway.resolvers.pages import Page
from gateway.schema.types.connection import PageInfo


@strawberry.type(description="A bug in Red Hat Bugzilla.")
class Bug:
    id: int
    summary: str
    status: str
    resolution: str | None
    severity: str | None
    priority: str | None
    component: str
    version: str | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    assignee: str | None
    is_open: bool
    url: str

    @classmethod
    def from_bugzilla(cls, bug: bugzilla.Bug) -> Bug:
        return cls(
            id=bug.id,
            summary=bug.summary,
            status=bug.status,
            resolution=bug.resolution,
            severity=bug.severity,
            priority=bug.priority,
            component=bug.component,
            version=bug.version,
            created_at=bug.creation_time,
            updated_at=bug.last_change_time,
            assignee=bug.assigned_to,
            is_open=bug.is_open,
            url=bug.url,
        )


@strawberry.type(description="A page of bugs, most recently changed first.")
class BugConnection:
    nodes: list[Bug]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page[bugzilla.Bug]) -> BugConnection:
        return cls(
            nodes=[Bug.from_bugzilla(bug) for bug in page.items],
            page_info=PageInfo.of(page),
            total_count=page.total,
        )
