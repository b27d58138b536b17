"""What koji's hub returns, as records: builds, tagged builds, RPMs, tags, users, tasks.

Field names are koji's. A build map from ``getBuild`` carries ``id``; a row of
``listBuilds`` carries only ``build_id``; both become :class:`Build`. Rows of
``getLatestBuilds``/``listTagged`` add the tag and become :class:`TaggedBuild`.
Datetimes arrive as ``"2023-06-09 07:32:16.160696+00:00"`` strings and become
aware datetimes; states arrive as ints and become enums.
"""

from __future__ import annotations

import enum

from pydantic import AliasChoices, Field

from clients.nvr import NVR
from clients.record import Record
from clients.timestamps import Timestamp

__all__ = [
    "RPM",
    "Build",
    "BuildState",
    "Package",
    "Tag",
    "TagPackage",
    "TaggedBuild",
    "Task",
    "TaskState",
    "User",
]


class BuildState(enum.IntEnum):
    """``koji.BUILD_STATES``."""

    BUILDING = 0
    COMPLETE = 1
    DELETED = 2
    FAILED = 3
    CANCELED = 4


class TaskState(enum.IntEnum):
    """``koji.TASK_STATES``."""

    FREE = 0
    OPEN = 1
    CLOSED = 2
    CANCELED = 3
    ASSIGNED = 4
    FAILED = 5


class Build(Record):
    """One koji build (``getBuild``, or a row of ``listBuilds``)."""

    id: int = Field(validation_alias=AliasChoices("id", "build_id"))
    nvr: str
    name: str
    version: str
    release: str
    epoch: int | None = None
    state: BuildState
    package_id: int
    owner_name: str | None = None
    owner_id: int | None = None
    task_id: int | None = None
    creation_time: Timestamp | None = None
    start_time: Timestamp | None = None
    completion_time: Timestamp | None = None
    source: str | None = None

    @property
    def parsed_nvr(self) -> NVR:
        """The build's :class:`~clients.nvr.NVR`."""
        return NVR(self.name, self.version, self.release)


class TaggedBuild(Build):
    """A build as tagged into one tag (``getLatestBuilds``, ``listTagged``)."""

    tag_id: int
    tag_name: str
    create_event: int | None = None


class RPM(Record):
    """One RPM of a build (a row of ``listRPMs``); ``arch`` is ``"src"`` for the source RPM.

    ``build_id`` is None for an RPM of an external repository.
    """

    id: int
    name: str
    version: str
    release: str
    epoch: int | None = None
    arch: str
    build_id: int | None = None

    @property
    def nvra(self) -> str:
        """``name-version-release.arch``, as ``getRPM`` accepts it."""
        return f"{self.name}-{self.version}-{self.release}.{self.arch}"


class Package(Record):
    """A koji package (a row of ``listPackages``)."""

    id: int = Field(validation_alias=AliasChoices("package_id", "id"))
    name: str = Field(validation_alias=AliasChoices("package_name", "name"))


class TagPackage(Package):
    """A package's listing in a tag (``listPackages(tagID=...)``); blocked means retired there."""

    tag_name: str | None = None
    blocked: bool = False


class Tag(Record):
    """A koji tag (``listTags``)."""

    id: int
    name: str
    arches: str | None = None
    locked: bool = False


class User(Record):
    """A koji user (``getUser``)."""

    id: int
    name: str
    status: int = 0
    usertype: int = 0
    krb_principals: tuple[str, ...] = ()


class Task(Record):
    """A koji task (``getTaskInfo``); ``owner`` is the owner's user id."""

    id: int
    state: TaskState
    method: str
    arch: str | None = None
    owner: int | None = None
    parent: int | None = None
    label: str | None = None
    priority: int | None = None
    channel_id: int | None = None
    host_id: int | None = None
    create_time: Timestamp | None = None
    start_time: Timestamp | None = None
    completion_time: Timestamp | None = None
    request: tuple[object, ...] | None = None
