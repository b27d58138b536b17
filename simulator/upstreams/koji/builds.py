"""The build calls: ``getBuild`` and ``listBuilds``, with its filters and its ordering.

A global ``listBuilds`` ordered by build id walks the id-ordered build table from
the right end instead of sorting it; per-package and per-user calls start from the
narrowest table the world or the build index has.
"""

# The method and argument names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802, N803

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from simulator.catalog.model import Build
from simulator.formats.koji import build_info, build_source, list_builds_row, user_ref
from simulator.upstreams.koji.codec import (
    GenericError,
    QueryOpts,
    Row,
    as_int,
    columns,
    epoch,
    glob,
    like,
    ordered,
)
from simulator.upstreams.koji.index import BuildTable
from simulator.upstreams.koji.lookups import Lookups

__all__ = ["BuildCalls", "check_build_type"]

_BUILD_TYPES_WITHOUT_BUILDS = frozenset({"maven", "win", "image"})


_BUILD_KEYS: dict[str, Callable[[Build], Any]] = {
    "build_id": lambda b: b.id,
    "version": lambda b: b.version,
    "release": lambda b: b.release,
    "epoch": lambda b: b.epoch,
    "state": lambda b: int(b.state),
    "completion_time": lambda b: b.completed,
    "completion_ts": lambda b: b.completed,
    "start_time": lambda b: b.created,
    "start_ts": lambda b: b.created,
    "creation_time": lambda b: b.created,
    "creation_ts": lambda b: b.created,
    "creation_event_id": lambda b: b.creation_event,
    "package_id": lambda b: b.package_id,
    "package_name": lambda b: b.name,
    "name": lambda b: b.name,
    "nvr": lambda b: b.nvr,
    "owner_name": lambda b: b.owner,
    "task_id": lambda b: b.task_id,
    "source": build_source,
    "extra": build_source,
    "volume_id": lambda b: 0,
    "volume_name": lambda b: "DEFAULT",
    "draft": lambda b: False,
    "promotion_time": lambda b: None,
    "promotion_ts": lambda b: None,
    "promoter_id": lambda b: None,
    "promoter_name": lambda b: None,
}

_LIST_BUILDS_COLUMNS = columns(
    (*_BUILD_KEYS, "owner_id"),
    {
        "build.id": "build_id",
        "build.version": "version",
        "build.release": "release",
        "build.epoch": "epoch",
        "build.state": "state",
        "build.completion_time": "completion_time",
        "build.promotion_time": "promotion_time",
        "build.start_time": "start_time",
        "build.source": "source",
        "build.extra": "extra",
        "build.task_id": "task_id",
        "build.draft": "draft",
        "events.id": "creation_event_id",
        "events.time": "creation_time",
        "package.id": "package_id",
        "package.name": "package_name",
        "volume.id": "volume_id",
        "volume.name": "volume_name",
        "users.id": "owner_id",
        "users.name": "owner_name",
        "promoter.id": "promoter_id",
        "promoter.name": "promoter_name",
    },
)


def check_build_type(type_: Any) -> bool:
    """Whether builds of ``type_`` can exist here: every simulated build is an rpm build."""
    if type_ is None or type_ == "rpm":
        return True
    if type_ in _BUILD_TYPES_WITHOUT_BUILDS:
        return False
    raise GenericError(f"unsupported build type: {type_}")


class BuildCalls(Lookups):
    """``getBuild`` and ``listBuilds``."""

    def getBuild(self, buildInfo: Any, strict: bool = False) -> Row | None:
        build = self._build(buildInfo)
        if build is None:
            if strict:
                shown = buildInfo if isinstance(buildInfo, int) else repr(buildInfo)
                raise GenericError(f"No such build: {shown}")
            return None
        return build_info(self.world, build)

    def listBuilds(
        self,
        packageID: Any = None,
        userID: Any = None,
        taskID: Any = None,
        prefix: Any = None,
        state: Any = None,
        volumeID: Any = None,
        source: Any = None,
        createdBefore: Any = None,
        createdAfter: Any = None,
        completeBefore: Any = None,
        completeAfter: Any = None,
        type: Any = None,
        typeInfo: Any = None,
        queryOpts: Any = None,
        pattern: Any = None,
        cgID: Any = None,
        draft: Any = None,
        promotedBefore: Any = None,
        promotedAfter: Any = None,
        promoter: Any = None,
    ) -> list[Any] | int:
        opts = QueryOpts.parse(queryOpts, _LIST_BUILDS_COLUMNS)
        table, keep = self._build_table(packageID, userID, taskID)
        if table is None:
            return []  # an unknown package or user matches nothing, before any counting
        if not check_build_type(type) or draft or cgID is not None or volumeID not in (None, 0):
            table = ()
        if promotedBefore or promotedAfter or promoter is not None:
            table = ()  # no simulated build is a promoted draft
        if prefix:
            keep.append(_name_matches(like(f"{prefix}%")))
        if pattern:
            keep.append(_nvr_matches(glob(str(pattern))))
        if source:
            matcher = like(str(source))
            keep.append(lambda b: matcher.fullmatch(build_source(b)) is not None)
        if state is not None:
            wanted = as_int(state)
            keep.append(lambda b: int(b.state) == wanted)
        keep.extend(_time_filters(createdBefore, createdAfter, completeBefore, completeAfter))
        return self._select_builds(table, keep, opts)

    def _build_table(
        self,
        package: Any,
        user: Any,
        task: Any,
    ) -> tuple[BuildTable | None, list[Callable[[Build], bool]]]:
        """The narrowest id-ordered build list for the filters, and what else must match.

        None when a named package or user does not exist.
        """
        keep: list[Callable[[Build], bool]] = []
        table: BuildTable = self.world.builds.values()
        package_id: int | None = None
        owner_name: str | None = None
        if package is not None:
            found = self._package(package)
            if found is None:
                return None, keep
            package_id = found.id
            table = self.world.builds_by_package.get(package_id, [])
        if user is not None:
            owner = self._user(user)
            if owner is None:
                return None, keep
            owner_name = owner.name
            self.index.refresh()
            if package_id is None:
                table = self.index.by_owner.get(owner_name, [])
            else:
                keep.append(lambda b: b.owner == owner_name)
        if task is not None:
            task_id = as_int(task)
            if task_id == -1:
                keep.append(lambda b: b.task_id is not None)
                return table, keep
            self.index.refresh()
            match = self.index.by_task.get(task_id)
            table = [match] if match is not None else []
            if package_id is not None:
                keep.append(lambda b: b.package_id == package_id)
            if owner_name is not None and package_id is None:
                keep.append(lambda b: b.owner == owner_name)
        return table, keep

    def _select_builds(
        self,
        table: BuildTable,
        keep: list[Callable[[Build], bool]],
        opts: QueryOpts,
    ) -> list[Any] | int:
        def matches(build: Build) -> bool:
            return all(check(build) for check in keep)

        if opts.count_only:
            return opts.count(len(table) if not keep else sum(1 for b in table if matches(b)))
        self.index.refresh()
        order = opts.order
        if order in ((), (("build_id", False),)) and self.index.ascending:
            chosen: Iterable[Build] = filter(matches, table)
        elif order == (("build_id", True),) and self.index.ascending:
            chosen = filter(matches, reversed(table))
        else:
            order = order or (("build_id", False),)
            chosen = ordered(filter(matches, table), order, self._build_key, opts.window)
        return opts.shape([list_builds_row(self.world, build) for build in opts.page(chosen)])

    def _build_key(self, alias: str) -> Callable[[Build], Any]:
        if alias == "owner_id":
            return lambda b: user_ref(self.world, b.owner)[0]
        return _BUILD_KEYS[alias]


def _name_matches(matcher: re.Pattern[str]) -> Callable[[Build], bool]:
    return lambda b: matcher.fullmatch(b.name) is not None


def _nvr_matches(matcher: re.Pattern[str]) -> Callable[[Build], bool]:
    return lambda b: matcher.fullmatch(b.nvr) is not None


def _time_filters(
    created_before: Any,
    created_after: Any,
    complete_before: Any,
    complete_after: Any,
) -> list[Callable[[Build], bool]]:
    """listBuilds' time bounds; like koji, a falsy bound (0, "") is no bound."""
    checks: list[Callable[[Build], bool]] = []
    if created_before:
        cb = epoch(created_before, "createdBefore")
        checks.append(lambda b: b.created < cb)
    if created_after:
        ca = epoch(created_after, "createdAfter")
        checks.append(lambda b: b.created > ca)
    if complete_before:
        pb = epoch(complete_before, "completeBefore")
        checks.append(lambda b: b.completed is not None and b.completed < pb)
    if complete_after:
        pa = epoch(complete_after, "completeAfter")
        checks.append(lambda b: b.completed is not None and b.completed > pa)
    return checks
