"""What bodhi's REST API returns, as records: updates, releases, pages of updates.

Field names are bodhi's, with three flattenings: an update's ``release`` is the
release's name (``"F45"``), its ``submitter`` is ``user.name``, its ``builds`` are
the builds' NVRs and its ``bug_ids`` the ids of ``bugs``. bodhi writes datetimes
as ``"YYYY-MM-DD HH:MM:SS"`` in UTC; they become aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import enum

from pydantic import AliasChoices, AliasPath, Field, field_validator

from clients.nvr import NVR
from clients.record import Record
from clients.timestamps import Timestamp

__all__ = ["Release", "Update", "UpdateRequest", "UpdateStatus", "UpdatesPage"]


class UpdateStatus(enum.StrEnum):
    """bodhi's ``UpdateStatus`` (with the side-tag states its messages still carry)."""

    PENDING = "pending"
    TESTING = "testing"
    STABLE = "stable"
    UNPUSHED = "unpushed"
    OBSOLETE = "obsolete"
    SIDE_TAG_ACTIVE = "side_tag_active"
    SIDE_TAG_EXPIRED = "side_tag_expired"


class UpdateRequest(enum.StrEnum):
    """bodhi's ``UpdateRequest``: what the update asked to become next."""

    TESTING = "testing"
    OBSOLETE = "obsolete"
    UNPUSH = "unpush"
    REVOKE = "revoke"
    STABLE = "stable"


class Release(Record):
    """A release (``/releases/``): ``"F45"``, its branch, tags and state."""

    name: str
    long_name: str
    version: str
    branch: str
    id_prefix: str | None = None
    dist_tag: str | None = None
    stable_tag: str | None = None
    testing_tag: str | None = None
    candidate_tag: str | None = None
    override_tag: str | None = None
    state: str
    composed_by_bodhi: bool = True
    released_on: dt.date | None = None
    eol: dt.date | None = None


class Update(Record):
    """An update (``/updates/``): builds pushed together to a release."""

    alias: str
    title: str
    status: UpdateStatus
    request: UpdateRequest | None = None
    type: str
    severity: str
    karma: int = 0
    stable_karma: int | None = None
    unstable_karma: int | None = None
    critpath: bool = False
    release: str = Field(validation_alias=AliasChoices(AliasPath("release", "name"), "release"))
    builds: tuple[NVR, ...]
    submitter: str | None = Field(
        default=None, validation_alias=AliasChoices(AliasPath("user", "name"), "submitter")
    )
    date_submitted: Timestamp | None = None
    date_modified: Timestamp | None = None
    date_testing: Timestamp | None = None
    date_stable: Timestamp | None = None
    date_pushed: Timestamp | None = None
    notes: str = ""
    url: str
    bug_ids: tuple[int, ...] = Field(default=(), validation_alias=AliasChoices("bugs", "bug_ids"))

    @field_validator("builds", mode="before")
    @classmethod
    def _nvrs(cls, value: object) -> object:
        # bodhi: [{"nvr": "...", "release_id": 28, ...}]; a dumped record: ["..."]
        if isinstance(value, list | tuple):
            return [item.get("nvr") if isinstance(item, dict) else item for item in value]
        return value

    @field_validator("bug_ids", mode="before")
    @classmethod
    def _bug_ids(cls, value: object) -> object:
        # bodhi: [{"bug_id": 1420605, "title": ...}]; a dumped record: [1420605]
        if isinstance(value, list | tuple):
            return [item.get("bug_id") if isinstance(item, dict) else item for item in value]
        return value

    @property
    def packages(self) -> tuple[str, ...]:
        """The source packages of the update's builds, in build order."""
        return tuple(dict.fromkeys(nvr.name for nvr in self.builds))


class UpdatesPage(Record):
    """One page of ``/updates/``, newest submission first.

    ``unknown_packages`` lists the names bodhi did not know; the client left them
    out of the query, so this page holds the updates of the others.
    """

    updates: tuple[Update, ...]
    total: int
    page: int
    pages: int
    rows_per_page: int
    unknown_packages: tuple[str, ...] = ()

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
