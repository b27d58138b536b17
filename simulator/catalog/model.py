"""The world model: every record the simulated Fedora upstreams serve.

One catalog holds one consistent world. A build in koji is the build in a bodhi
update, a bug's component is a package, a package owner is a koji user. The
upstream apps in :mod:`simulator.upstreams` only *render* these records in each
service's wire format; they never invent data of their own.

Times are POSIX timestamps (float seconds, UTC) throughout; each upstream formats
them the way the real service does.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field


class BuildState(enum.IntEnum):
    """koji's ``BUILD_STATES``."""

    BUILDING = 0
    COMPLETE = 1
    DELETED = 2
    FAILED = 3
    CANCELED = 4


class UpdateStatus(enum.StrEnum):
    PENDING = "pending"
    TESTING = "testing"
    STABLE = "stable"
    UNPUSHED = "unpushed"
    OBSOLETE = "obsolete"


@dataclass(slots=True)
class User:
    """A FAS account; also a koji user (same id in every service)."""

    id: int
    name: str
    fullname: str

    @property
    def email(self) -> str:
        return f"{self.name}@fedoraproject.org"


@dataclass(slots=True)
class Release:
    """A Fedora release as bodhi knows it (rawhide is the ``pending`` one)."""

    name: str  # "F45"
    version: int  # 45
    branch: str  # "f45", or "rawhide"
    state: str  # "current" | "pending" | "archived"
    released_on: float | None
    eol: float | None = None

    @property
    def long_name(self) -> str:
        return f"Fedora {self.version}"

    @property
    def dist_tag(self) -> str:
        return f"f{self.version}"

    @property
    def is_rawhide(self) -> bool:
        return self.branch == "rawhide"

    @property
    def stable_tag(self) -> str:
        return self.dist_tag if self.is_rawhide else f"{self.dist_tag}-updates"

    @property
    def testing_tag(self) -> str:
        return f"{self.dist_tag}-updates-testing"

    @property
    def candidate_tag(self) -> str:
        return f"{self.dist_tag}-updates-candidate"

    @property
    def override_tag(self) -> str:
        return f"{self.dist_tag}-override"

    @property
    def disttag_suffix(self) -> str:
        return f"fc{self.version}"


@dataclass(slots=True)
class Tag:
    """A koji tag; ``parent`` is the single inheritance link Fedora's tags use."""

    id: int
    name: str
    parent: str | None = None
    arches: str | None = None
    locked: bool = False


@dataclass(slots=True)
class Subpackage:
    name: str
    summary: str


@dataclass(slots=True)
class Package:
    """A source package: dist-git repository, koji package, bodhi package, bug component."""

    id: int
    name: str
    summary: str
    license: str
    url: str
    owner: str  # dist-git project owner; "orphan" when orphaned
    admins: list[str]
    committers: list[str]
    groups: list[str]
    subpackages: list[Subpackage]
    created: float
    description: str | None = None  # None: materialized lazily by simulator.catalog.detail
    retired: bool = False
    arch: str | None = None  # "noarch" for noarch packages


@dataclass(slots=True)
class TagEntry:
    """One tagging of a build: koji's tag_listing row."""

    tag: str
    event: int
    user: str
    at: float
    active: bool = True
    revoked: int | None = None  # the event that untagged it


@dataclass(slots=True)
class Build:
    id: int
    package_id: int
    name: str
    version: str
    release: str
    epoch: int | None
    state: BuildState
    owner: str
    task_id: int | None
    created: float
    completed: float | None
    creation_event: int
    target: str  # koji build target, e.g. "rawhide" or "f45-candidate"
    changelog: str | None = None  # newest changelog text, for mdapi
    tags: list[TagEntry] = field(default_factory=list)

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def commit(self) -> str:
        """The dist-git commit the build came from (stable for an NVR)."""
        return hashlib.sha1(self.nvr.encode(), usedforsecurity=False).hexdigest()

    @property
    def evr(self) -> str:
        prefix = f"{self.epoch}:" if self.epoch else ""
        return f"{prefix}{self.version}-{self.release}"

    def active_tags(self) -> list[str]:
        return [entry.tag for entry in self.tags if entry.active]

    def has_tag(self, tag: str) -> bool:
        # a plain loop: this runs half a million times while a world is assembled
        for entry in self.tags:  # noqa: SIM110
            if entry.tag == tag and entry.active:
                return True
        return False


@dataclass(slots=True)
class Comment:
    id: int
    user: str
    text: str
    karma: int
    at: float


@dataclass(slots=True)
class Update:
    id: int
    alias: str
    release: str  # Release.name
    build_ids: list[int]
    status: UpdateStatus
    request: str | None
    type: str
    severity: str
    submitter: str
    submitted: float
    modified: float | None
    notes: str
    stable_karma: int = 3
    unstable_karma: int = -3
    date_testing: float | None = None
    date_stable: float | None = None
    bug_ids: list[int] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    critpath: bool = False
    autokarma: bool = True

    @property
    def karma(self) -> int:
        latest: dict[str, int] = {}
        for comment in self.comments:
            latest[comment.user] = comment.karma
        return sum(latest.values())

    @property
    def pushed(self) -> float | None:
        return self.date_stable or self.date_testing


@dataclass(slots=True)
class Bug:
    id: int
    component: str
    summary: str
    status: str
    resolution: str
    severity: str
    priority: str
    version: str  # "45", "rawhide"
    created: float
    changed: float
    assignee: str
    creator: str
    keywords: list[str] = field(default_factory=list)
    product: str = "Fedora"

    @property
    def is_open(self) -> bool:
        return self.status != "CLOSED"


@dataclass(slots=True)
class Override:
    id: int
    build_id: int
    release: str
    submitter: str
    notes: str
    submitted: float
    expires: float
    expired: float | None = None
