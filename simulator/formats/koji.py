"""koji's record shapes: builds, tagged builds, tasks, users and tags as the hub returns them.

Every function renders records of :mod:`simulator.catalog.model` the way
``kojihub`` does (see ``reference/UPSTREAMS.md`` §1.5): datetimes are strings in
PostgreSQL's ``timestamptz`` form (``datetime.isoformat(" ")``), the ``*_ts`` twins
are epoch floats with microsecond precision, states are plain ints. The simulated
hub and the simulated koji bus messages both render through here, so a build reads
the same over XML-RPC and on the bus.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from simulator.catalog.model import Build, BuildState, Package, Tag, User
from simulator.world import World

__all__ = [
    "DISTGIT_URL",
    "KRB_REALM",
    "TASK_STATES",
    "build_info",
    "build_source",
    "koji_time",
    "koji_ts",
    "list_builds_row",
    "package_info",
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

#: ``koji.TASK_STATES``.
TASK_STATES = {"FREE": 0, "OPEN": 1, "CLOSED": 2, "CANCELED": 3, "ASSIGNED": 4, "FAILED": 5}

_VOLUME = (0, "DEFAULT")
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
