"""koji's record shapes: builds, tagged builds, RPMs, tasks, users and tags as the hub returns them.

Every function renders records of :mod:`simulator.catalog.model` the way
``kojihub`` does (see ``reference/UPSTREAMS.md`` §1.5): datetimes are strings in
PostgreSQL's ``timestamptz`` form (``datetime.isoformat(" ")``), the ``*_ts`` twins
are epoch floats with microsecond precision, states are plain ints. The simulated
hub and the simulated koji bus messages both render through here, so a build reads
the same over XML-RPC and on the bus.

The world holds builds, not RPMs: :func:`build_rpms` derives the RPMs a completed
build produced (its source RPM, then one per binary of
:func:`simulator.catalog.detail.binaries`, as mdapi lists them) with ids made from
the build id and the position, so every RPM has the same id on every call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from simulator.catalog.detail import BinarySpec, binaries
from simulator.catalog.detail.descriptions import binary_description, description
from simulator.catalog.model import Build, BuildState, Package, Tag, User
from simulator.world import World

__all__ = [
    "DISTGIT_URL",
    "KRB_REALM",
    "RPMS_PER_BUILD",
    "TASK_STATES",
    "BuildRPM",
    "build_info",
    "build_rpms",
    "build_source",
    "koji_time",
    "koji_ts",
    "list_builds_row",
    "package_info",
    "rpm_headers",
    "rpm_info",
    "tag_info",
    "tagged_row",
    "task_info",
    "task_state",
    "user_info",
    "user_ref",
]

#: Where Fedora's dist-git serves the rpm repositories koji builds from.
DISTGIT_URL = "https://src.fedoraproject.org/rpms"
#: The Kerberos realm of Fedora accounts (``koji.getUser`` lists ``name@REALM``).
KRB_REALM = "FEDORAPROJECT.ORG"

#: An RPM's id is ``build id * RPMS_PER_BUILD + position``; the source RPM is position 0.
RPMS_PER_BUILD = 10_000

#: ``koji.TASK_STATES``.
TASK_STATES = {"FREE": 0, "OPEN": 1, "CLOSED": 2, "CANCELED": 3, "ASSIGNED": 4, "FAILED": 5}

_VOLUME = (0, "DEFAULT")
#: koji's ``external_repo`` row 0: RPMs built by koji itself rather than imported.
_INTERNAL_REPO = (0, "INTERNAL")
#: koji imports a build's RPMs when it completes; deleting the build keeps their rows.
_STATES_WITH_RPMS = frozenset({BuildState.COMPLETE, BuildState.DELETED})
_TASK_STATE_OF_BUILD = {
    BuildState.BUILDING: TASK_STATES["OPEN"],
    BuildState.COMPLETE: TASK_STATES["CLOSED"],
    BuildState.DELETED: TASK_STATES["CLOSED"],
    BuildState.FAILED: TASK_STATES["FAILED"],
    BuildState.CANCELED: TASK_STATES["CANCELED"],
}
# What a Fedora parent ``build`` task looks like apart from its times and state.
_BUILD_TASK_CHANNEL = 1
_BUILD_TASK_HOST = 1
_BUILD_TASK_PRIORITY = 20
_BUILD_TASK_WEIGHT = 0.2


def koji_time(ts: float | None) -> str | None:
    """An epoch timestamp as the hub sends datetimes: ``2023-06-09 07:32:16.160696+00:00``.

    Whole seconds carry no fraction (``2015-10-19 11:09:57+00:00``), as
    ``datetime.isoformat`` has it.
    """
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(" ")


def koji_ts(ts: float | None) -> float | None:
    """The ``*_ts`` twin of a datetime: epoch seconds, microsecond precision."""
    return None if ts is None else round(ts, 6)


def build_source(build: Build) -> str:
    """The SCM URL the build came from, with the resolved dist-git commit."""
    return f"git+{DISTGIT_URL}/{build.name}.git#{build.commit}"


def user_ref(world: World, name: str) -> tuple[int | None, str]:
    """``(owner_id, owner_name)`` of a user called ``name``; the id is None if unknown."""
    user = world.users.get(name)
    return (user.id if user is not None else None, name)


def build_info(world: World, build: Build) -> dict[str, Any]:
    """The map ``getBuild`` returns (``kojihub.get_build``)."""
    info = list_builds_row(world, build)
    info["id"] = build.id
    info["cg_id"] = None
    info["cg_name"] = None
    return info


def list_builds_row(world: World, build: Build) -> dict[str, Any]:
    """One row of ``listBuilds``: the ``getBuild`` map without ``id`` and ``cg_*``."""
    owner_id, owner_name = user_ref(world, build.owner)
    source = build_source(build)
    return {
        "build_id": build.id,
        "package_id": build.package_id,
        "package_name": build.name,
        "name": build.name,
        "version": build.version,
        "release": build.release,
        "epoch": build.epoch,
        "nvr": build.nvr,
        "draft": False,
        "state": int(build.state),
        "task_id": build.task_id,
        "owner_id": owner_id,
        "owner_name": owner_name,
        "volume_id": _VOLUME[0],
        "volume_name": _VOLUME[1],
        "creation_event_id": build.creation_event,
        "creation_time": koji_time(build.created),
        "creation_ts": koji_ts(build.created),
        "start_time": koji_time(build.created),
        "start_ts": koji_ts(build.created),
        "completion_time": koji_time(build.completed),
        "completion_ts": koji_ts(build.completed),
        "promotion_time": None,
        "promotion_ts": None,
        "promoter_id": None,
        "promoter_name": None,
        "source": source,
        "extra": {"source": {"original_url": source}},
    }


def tagged_row(
    world: World,
    build: Build,
    tag: Tag,
    create_event: int | None = None,
    *,
    extra: bool = False,
) -> dict[str, Any]:
    """One build of ``listTagged``/``getLatestBuilds`` (``kojihub.readTaggedBuilds``).

    ``create_event`` is the event of the tagging; by default the build's active
    tagging into ``tag``. No ``*_ts`` and no ``source``; ``extra`` only on request.
    """
    if create_event is None:
        create_event = max(
            (e.event for e in build.tags if e.active and e.tag == tag.name),
            default=None,
        )
    owner_id, owner_name = user_ref(world, build.owner)
    row: dict[str, Any] = {
        "tag_id": tag.id,
        "tag_name": tag.name,
        "id": build.id,
        "build_id": build.id,
        "version": build.version,
        "release": build.release,
        "epoch": build.epoch,
        "state": int(build.state),
        "completion_time": koji_time(build.completed),
        "promotion_time": None,
        "start_time": koji_time(build.created),
        "task_id": build.task_id,
        "draft": False,
        "owner_id": owner_id,
        "owner_name": owner_name,
        "promoter_id": None,
        "promoter_name": None,
        "creation_event_id": build.creation_event,
        "creation_time": koji_time(build.created),
        "volume_id": _VOLUME[0],
        "volume_name": _VOLUME[1],
        "package_id": build.package_id,
        "package_name": build.name,
        "name": build.name,
        "nvr": build.nvr,
        "create_event": create_event,
    }
    if extra:
        row["extra"] = {"source": {"original_url": build_source(build)}}
    return row


def task_state(build: Build) -> int:
    """The state of a build's parent task: OPEN while building, then CLOSED or FAILED."""
    return _TASK_STATE_OF_BUILD[build.state]


def task_info(world: World, build: Build, request: bool) -> dict[str, Any]:
    """``getTaskInfo`` of the parent ``build`` task behind ``build`` (``kojihub.Task.fields``).

    The task opens when the build starts and closes when it completes; with
    ``request`` the map carries the decoded call, ``[scm_url, target, opts]``.
    """
    state = task_state(build)
    owner_id, _ = user_ref(world, build.owner)
    info: dict[str, Any] = {
        "id": build.task_id,
        "state": state,
        "create_time": koji_time(build.created),
        "create_ts": koji_ts(build.created),
        "start_time": koji_time(build.created),
        "start_ts": koji_ts(build.created),
        "completion_time": koji_time(build.completed),
        "completion_ts": koji_ts(build.completed),
        "channel_id": _BUILD_TASK_CHANNEL,
        "host_id": _BUILD_TASK_HOST,
        "parent": None,
        "label": None,
        "waiting": state == TASK_STATES["OPEN"],
        "awaited": None,
        "owner": owner_id,
        "method": "build",
        "arch": "noarch",
        "priority": _BUILD_TASK_PRIORITY,
        "weight": _BUILD_TASK_WEIGHT,
    }
    if request:
        info["request"] = [build_source(build), build.target, {}]
    return info


def user_info(
    user: User,
    *,
    krb_principals: bool = True,
    groups: list[str] | None = None,
) -> dict[str, Any]:
    """``getUser``: a normal, active user whose principal is ``name@FEDORAPROJECT.ORG``."""
    info: dict[str, Any] = {"id": user.id, "name": user.name, "status": 0, "usertype": 0}
    if krb_principals:
        info["krb_principals"] = [f"{user.name}@{KRB_REALM}"]
    if groups is not None:
        info["groups"] = list(groups)
    return info


def tag_info(tag: Tag, *, perms: bool = True) -> dict[str, Any]:
    """A tag as ``listTags`` returns it (``kojihub.list_tags``)."""
    info: dict[str, Any] = {
        "id": tag.id,
        "name": tag.name,
        "arches": tag.arches,
        "locked": tag.locked,
        "maven_support": False,
        "maven_include_all": False,
    }
    if perms:
        info["perm_id"] = None
        info["perm"] = None
    return info


def package_info(package: Package) -> dict[str, Any]:
    """``getPackage``: ``{"id", "name"}``."""
    return {"id": package.id, "name": package.name}


# -- RPMs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildRPM:
    """One RPM of a build: its source RPM (position 0) or one of its binary RPMs."""

    build: Build
    package: Package
    position: int
    name: str
    arch: str
    spec: BinarySpec | None = None  # None for the source RPM

    @property
    def id(self) -> int:
        return self.build.id * RPMS_PER_BUILD + self.position

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.build.version}-{self.build.release}"

    @property
    def nvra(self) -> str:
        return f"{self.nvr}.{self.arch}"

    @property
    def buildroot_id(self) -> int:
        """The buildroot of the ``buildSRPMFromSCM`` task (source) or the ``buildArch`` one."""
        return self.build.id * 2 + (0 if self.position == 0 else 1)


def build_rpms(world: World, build: Build) -> list[BuildRPM]:
    """The RPMs koji holds for ``build``: none until it completes, then the SRPM and binaries."""
    if build.state not in _STATES_WITH_RPMS:
        return []
    package = world.packages_by_id.get(build.package_id)
    if package is None:
        return []
    rpms = [BuildRPM(build, package, 0, build.name, "src")]
    specs = binaries(package)[: RPMS_PER_BUILD - 1]
    rpms.extend(
        BuildRPM(build, package, position, spec.name, spec.arch, spec)
        for position, spec in enumerate(specs, start=1)
    )
    return rpms


def rpm_info(rpm: BuildRPM, *, listing: bool = False) -> dict[str, Any]:
    """``getRPM`` (``kojihub.get_rpm``); with ``listing``, a row of ``listRPMs`` (adds ``nvr``)."""
    build = rpm.build
    digest = hashlib.md5(rpm.nvra.encode(), usedforsecurity=False).digest()
    started = build.created
    duration = max(0.0, (build.completed or started) - started)
    share = 0.25 if rpm.position == 0 else 0.75  # the SRPM is built first, binaries later
    info: dict[str, Any] = {
        "id": rpm.id,
        "name": rpm.name,
        "version": build.version,
        "release": build.release,
        "epoch": build.epoch,
        "arch": rpm.arch,
        "draft": False,
        "payloadhash": digest.hex(),
        "size": 4096 + int.from_bytes(digest[:3]) * (4 if rpm.position == 0 else 1),
        "buildtime": int(started + duration * share),
        "build_id": build.id,
        "buildroot_id": rpm.buildroot_id,
        "external_repo_id": _INTERNAL_REPO[0],
        "external_repo_name": _INTERNAL_REPO[1],
        "metadata_only": False,
        "extra": None,
    }
    if listing:
        info["nvr"] = rpm.nvr
    return info


def rpm_headers(world: World, rpm: BuildRPM) -> dict[str, Any]:
    """The headers of an RPM the simulation knows, by their ``rpm.tagnames`` names.

    The header ``Arch`` of a source RPM is the arch it was built on, as rpm has it;
    only koji's listings call it ``src``.
    """
    package, build, spec = rpm.package, rpm.build, rpm.spec
    return {
        "Name": rpm.name,
        "Version": build.version,
        "Release": build.release,
        "Epoch": build.epoch,
        "Arch": (package.arch or "x86_64") if spec is None else spec.arch,
        "Summary": package.summary if spec is None else spec.summary,
        "Description": (
            description(world.seed, package)
            if spec is None
            else binary_description(world.seed, package, spec)
        ),
        "License": package.license,
        "Url": package.url,
    }
