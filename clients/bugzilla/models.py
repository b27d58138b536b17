"""What Red Hat Bugzilla's REST API returns, as records: bugs.

RHBZ gives ``component`` and ``version`` as lists (``["bash"]``, ``["45"]``); a
Fedora bug has one of each, so ``component`` is the first and ``version`` the
list joined. ``resolution`` is ``None`` while a bug is open (Bugzilla sends
``""``). Times come as ``"2014-09-23T19:12:17Z"`` or, on RHBZ, without the ``Z``;
both are UTC.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator

from clients.record import Record
from clients.timestamps import Timestamp

__all__ = ["BUG_URL", "Bug", "BugsPage"]

#: Where a person reads a bug; the id follows.
BUG_URL = "https://bugzilla.redhat.com/show_bug.cgi?id="


class Bug(Record):
    """A bug (``/rest/bug``)."""

    id: int
    summary: str
    status: str
    resolution: str | None = None
    severity: str | None = None
    priority: str | None = None
    product: str | None = None
    component: str
    version: str | None = None
    creation_time: Timestamp | None = None
    last_change_time: Timestamp | None = None
    assigned_to: str | None = None
    is_open: bool

    @field_validator("component", mode="before")
    @classmethod
    def _first_component(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            if not value:
                raise ValueError("a bug has a component")
            return value[0]
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _joined_versions(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value) or None
        return value

    @field_validator("resolution", mode="before")
    @classmethod
    def _no_resolution(cls, value: object) -> object:
        return value or None

    @property
    def url(self) -> str:
        """The bug's page on bugzilla.redhat.com."""
        return f"{BUG_URL}{self.id}"


class BugsPage(Record):
    """One page of a bug search.

    ``total`` is how many bugs match the whole search, when Bugzilla says
    (bugzilla.redhat.com's ``total_matches``); ``offset`` and ``limit`` place the
    page in it.
    """

    bugs: tuple[Bug, ...]
    total: int | None = Field(default=None, validation_alias=AliasChoices("total_matches", "total"))
    offset: int = 0
    limit: int | None = None

    @property
    def has_next(self) -> bool:
        """Whether bugs follow this page (unknown totals: whether the page is full)."""
        if self.total is not None:
            return self.offset + len(self.bugs) < self.total
        return self.limit is not None and len(self.bugs) >= self.limit
