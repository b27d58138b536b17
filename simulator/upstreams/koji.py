"""The simulated koji hub: Fedora's build system over XML-RPC.

``POST /kojihub`` takes a ``<methodCall>`` and answers a ``<methodResponse>``
(HTTP 200 with a ``<fault>`` when the call fails) and a ``Koji-Version`` header,
like ``kojihub/kojixmlrpc.py``. :class:`RootExports` holds the read calls a
client of the package pages makes, named and shaped as in ``kojihub.kojihub``;
:class:`KojiHub` decodes the call, applies koji's keyword-argument convention,
runs ``multiCall`` batches and turns errors into koji's faults.

Everything rendered comes from the :class:`~simulator.world.World`; the shapes of
builds, tasks, users and tags are in :mod:`simulator.formats.koji`. Queries stay
cheap on a full-size world: per-package and per-user calls read indexes, and a
global ``listBuilds`` ordered by build id walks the id-ordered build table from
the right end instead of sorting it.
"""

# The method and argument names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802, N803

from __future__ import annotations

import inspect
import itertools
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.catalog.model import Build, BuildState, Package, Tag, User
from simulator.formats.koji import (
    KRB_REALM,
    build_info,
    build_source,
    list_builds_row,
    package_info,
    tag_info,
    tagged_row,
    task_info,
    user_info,
    user_ref,
)
from simulator.upstreams.kojicodec import (
    GenericError,
    ParameterError,
    QueryOpts,
    Row,
    as_int,
    columns,
    decode_args,
    dumps_fault,
    dumps_response,
    epoch,
    fault_of,
    glob,
    like,
    loads_call,
    multicall_fault,
    ordered,
    parse_nvr,
    query_rows,
)
from simulator.world import World

__all__ = ["API_VERSION", "KOJI_VERSION", "KojiHub", "RootExports", "create_app"]

logger = logging.getLogger(__name__)

#: What ``getKojiVersion`` and the ``Koji-Version`` header report.
KOJI_VERSION = "1.35.3"
#: ``koji.API_VERSION``.
API_VERSION = 1

_BUILD_TYPES_WITHOUT_BUILDS = frozenset({"maven", "win", "image"})
_MULTICALL_NAMES = frozenset({"multiCall", "system.multicall"})
_HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_NOT_POST = "Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted."


# -- the build table ---------------------------------------------------------------------


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


class _BuildTable(Protocol):
    """Builds in ascending id order that can be walked from either end."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Build]: ...
    def __reversed__(self) -> Iterator[Build]: ...


class BuildIndex:
    """Builds by task id and by owner, kept up to date as the world adds builds.

    ``World.builds`` only grows, in insertion order, so each refresh indexes just
    the builds added since the last one, reading the table from its end. It also
    notes whether ids grew with every insertion, which lets ``listBuilds`` walk
    the tables instead of sorting them when ordered by build id.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.by_task: dict[int, Build] = {}
        self.by_owner: dict[str, list[Build]] = defaultdict(list)
        self.ascending = True
        self._indexed = 0
        self._last_id: int | None = None

    def refresh(self) -> None:
        builds = self.world.builds
        if len(builds) < self._indexed:  # not a world that only grows: start over
            self.by_task.clear()
            self.by_owner.clear()
            self.ascending, self._indexed, self._last_id = True, 0, None
        added = len(builds) - self._indexed
        if added == 0:
            return
        fresh = list(itertools.islice(reversed(builds.values()), added))
        for build in reversed(fresh):
            if build.task_id is not None:
                self.by_task[build.task_id] = build
            self.by_owner[build.owner].append(build)
            if self._last_id is not None and build.id <= self._last_id:
                self.ascending = False
            self._last_id = build.id
        self._indexed = len(builds)


def _check_build_type(type_: Any) -> bool:
    """Whether builds of ``type_`` can exist here: every simulated build is an rpm build."""
    if type_ is None or type_ == "rpm":
        return True
    if type_ in _BUILD_TYPES_WITHOUT_BUILDS:
        return False
    raise GenericError(f"unsupported build type: {type_}")


# -- the calls ---------------------------------------------------------------------------


class RootExports:
    """The hub calls, with koji's names, signatures, results and errors."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.index = BuildIndex(world)

    # -- version ---------------------------------------------------------------------

    def getAPIVersion(self) -> int:
        return API_VERSION

    def getKojiVersion(self) -> str:
        return KOJI_VERSION

    # -- packages --------------------------------------------------------------------

    def getPackage(self, info: Any, strict: bool = False, create: bool = False) -> Row | None:
        package = self._package(info)
        if package is None:
            if strict:
                raise GenericError(f"No such entry in table package: {info}")
            return None
        return package_info(package)

    def getPackageID(self, name: Any, strict: bool = False) -> int | None:
        package = self.world.packages.get(name) if isinstance(name, str) else None
        if package is None:
            if strict:
                raise GenericError(f"No such package name: {name}")
            return None
        return package.id

    def listPackages(
        self,
        tagID: Any = None,
        userID: Any = None,
        pkgID: Any = None,
        prefix: Any = None,
        inherited: bool = False,
        with_dups: bool = False,
        event: Any = None,
        queryOpts: Any = None,
        with_owners: bool = True,
        with_blocked: bool = True,
    ) -> list[Any] | int:
        if tagID is None and userID is None and pkgID is None:
            opts = QueryOpts.parse(queryOpts, _PACKAGE_COLUMNS)
            rows = [
                {"package_id": p.id, "package_name": p.name}
                for p in sorted(self.world.packages_by_id.values(), key=lambda p: p.id)
            ]
            if prefix:
                rows = self._prefixed(rows, str(prefix))
            return query_rows(rows, opts)
        rows = self._package_listings(
            tagID, userID, pkgID, inherited=inherited, with_dups=with_dups
        )
        if not with_owners:
            for row in rows:
                del row["owner_id"], row["owner_name"]
        if prefix:
            lowered = str(prefix).lower()
            rows = [r for r in rows if str(r["package_name"]).lower().startswith(lowered)]
        opts = QueryOpts.parse(queryOpts, columns(rows[0] if rows else _LISTING_ALIASES))
        return query_rows(rows, opts)

    # -- builds ----------------------------------------------------------------------

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
        if not _check_build_type(type) or draft or cgID is not None or volumeID not in (None, 0):
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

    def getLatestBuilds(
        self,
        tag: Any,
        event: Any = None,
        package: Any = None,
        type: Any = None,
        draft: Any = None,
    ) -> list[Row]:
        if isinstance(tag, int):
            found = self._tags_by_id().get(tag)
        else:
            found = self.world.tags.get(tag) if isinstance(tag, str) else None
            if found is None:
                raise GenericError(f"No such entry in table tag: {tag}")
        if found is None:
            return []
        return self._read_tagged(
            found, event=event, inherit=True, latest=True, package=package, type_=type, draft=draft
        )

    def listTagged(
        self,
        tag: Any,
        event: Any = None,
        inherit: bool = False,
        prefix: Any = None,
        latest: Any = False,
        package: Any = None,
        owner: Any = None,
        type: Any = None,
        strict: bool = True,
        extra: bool = False,
        draft: Any = None,
    ) -> list[Row]:
        found = self._tag(tag)
        if found is None:
            if strict:
                raise GenericError(f"No such tagInfo: {tag!r}")
            return []
        rows = self._read_tagged(
            found,
            event=event,
            inherit=inherit,
            latest=latest,
            package=package,
            owner=owner,
            type_=type,
            extra=extra,
            draft=draft,
        )
        if prefix:
            lowered = str(prefix).lower()
            rows = [row for row in rows if row["package_name"].lower().startswith(lowered)]
        return rows

    # -- tags ------------------------------------------------------------------------

    def getTag(
        self,
        tagInfo: Any,
        strict: bool = False,
        event: Any = None,
        blocked: bool = False,
    ) -> Row | None:
        tag = self._tag(tagInfo)
        if tag is None:
            if strict:
                raise GenericError(f"No such tagInfo: {tagInfo!r}")
            return None
        return {**tag_info(tag), "extra": {}}

    def listTags(
        self,
        build: Any = None,
        package: Any = None,
        perms: bool = True,
        queryOpts: Any = None,
        pattern: Any = None,
    ) -> list[Any] | int:
        if build is not None and package is not None:
            raise GenericError("only one of build and package may be specified")
        if build is not None:
            found = self._build(build)
            if found is None:
                raise GenericError(f"No such build: {build}")
            tags = self._sorted_tags(found.active_tags())
            rows = [tag_info(tag, perms=perms) for tag in tags]
        elif package is not None:
            listed = self._package(package)
            if listed is None:
                raise GenericError(f"No such package: {package}")
            rows = [self._listing_tag_row(listed, tag, perms) for tag in self._list_roots(listed)]
        else:
            rows = [tag_info(tag, perms=perms) for tag in self._sorted_tags(self.world.tags)]
        if pattern is not None:
            matcher = glob(str(pattern))
            rows = [row for row in rows if matcher.fullmatch(row["name"])]
        aliases = list(tag_info(Tag(0, ""), perms=perms))
        if package is not None:
            aliases += ["owner_id", "owner_name", "blocked", "extra_arches"]
        opts = QueryOpts.parse(queryOpts, columns(aliases, _TAG_COLUMNS))
        return query_rows(rows, opts)

    # -- tasks -----------------------------------------------------------------------

    def getTaskInfo(self, task_id: Any, request: bool = False, strict: bool = False) -> Any:
        if isinstance(task_id, list | tuple):
            return [self._task(as_int(one), request, strict=False) for one in task_id]
        return self._task(as_int(task_id), request, strict=strict)

    def getTaskChildren(
        self,
        task_id: Any,
        request: bool = False,
        strict: bool = False,
    ) -> list[Row]:
        self._task(as_int(task_id), request, strict=strict)
        return []  # the buildSRPMFromSCM/buildArch/tagBuild subtasks are not simulated

    # -- users -----------------------------------------------------------------------

    def getUser(
        self,
        userInfo: Any = None,
        strict: bool = False,
        krb_princs: bool = True,
        groups: bool = False,
    ) -> Row | None:
        user = self._user(userInfo)
        if user is None:
            if strict:
                raise GenericError(f"No such user: {userInfo!r}")
            return None
        return user_info(user, krb_principals=krb_princs, groups=[] if groups else None)

    # -- lookups ---------------------------------------------------------------------

    def _package(self, info: Any) -> Package | None:
        """``lookup_package``: by id or by name."""
        if isinstance(info, bool):
            return None
        if isinstance(info, int):
            return self.world.packages_by_id.get(info)
        if isinstance(info, str):
            return self.world.packages.get(info)
        raise GenericError(f"Invalid name or id value: {info!r}")

    def _build(self, info: Any) -> Build | None:
        """``find_build_id``: an id, an ``N-V-R`` (an epoch prefix is ignored) or an NVR map."""
        if isinstance(info, int) and not isinstance(info, bool):
            return self.world.builds.get(info)
        if isinstance(info, str):
            nvr = parse_nvr(info)
        elif isinstance(info, dict):
            if not all(key in info for key in ("name", "version", "release")):
                raise GenericError("did not provide name, version, and release")
            nvr = (str(info["name"]), str(info["version"]), str(info["release"]))
        else:
            raise GenericError(f"Invalid type for argument: {type(info)!r}")
        return self.world.builds_by_nvr.get("-".join(nvr))

    def _tags_by_id(self) -> dict[int, Tag]:
        return {tag.id: tag for tag in self.world.tags.values()}

    def _tag(self, info: Any) -> Tag | None:
        if isinstance(info, int) and not isinstance(info, bool):
            return self._tags_by_id().get(info)
        if isinstance(info, str):
            return self.world.tags.get(info)
        if isinstance(info, dict) and ("id" in info or "name" in info):
            return self._tag(info.get("id", info.get("name")))
        raise GenericError(f"Invalid tagInfo: {info!r}")

    def _sorted_tags(self, names: Iterable[str]) -> list[Tag]:
        tags = {self.world.tags[name].id: self.world.tags[name] for name in names}
        return [tags[tag_id] for tag_id in sorted(tags)]

    def _user(self, info: Any) -> User | None:
        """``get_user``: by id, name, Kerberos principal, or a map of one of those."""
        world = self.world
        if info is None:
            return None  # an anonymous session has no user of its own
        if isinstance(info, int) and not isinstance(info, bool):
            return world.users_by_id.get(info)
        if isinstance(info, str):
            name, _, realm = info.partition("@")
            if realm and realm != KRB_REALM:
                return None
            return world.users.get(name)
        if isinstance(info, dict):
            for key in ("id", "name", "krb_principal"):
                if key in info:
                    return self._user(info[key])
        raise GenericError(f"Invalid type for userInfo: {type(info)}")

    def _task(self, task_id: int, request: bool, *, strict: bool) -> Row | None:
        self.index.refresh()
        build = self.index.by_task.get(task_id)
        if build is None:
            if strict:
                raise GenericError(f"No such task: {task_id}")
            return None
        return task_info(self.world, build, request)

    # -- listBuilds ------------------------------------------------------------------

    def _build_table(
        self,
        package: Any,
        user: Any,
        task: Any,
    ) -> tuple[_BuildTable | None, list[Callable[[Build], bool]]]:
        """The narrowest id-ordered build list for the filters, and what else must match.

        None when a named package or user does not exist.
        """
        keep: list[Callable[[Build], bool]] = []
        table: _BuildTable = self.world.builds.values()
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
        table: _BuildTable,
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

    # -- tagged builds (readTaggedBuilds) --------------------------------------------

    def _read_tagged(
        self,
        tag: Tag,
        *,
        event: Any,
        inherit: bool,
        latest: Any,
        package: Any,
        owner: Any = None,
        type_: Any = None,
        extra: bool = False,
        draft: Any = None,
    ) -> list[Row]:
        if not _check_build_type(type_) or draft:
            return []
        package_id: int | None = None
        if package:
            found = self.world.packages.get(package) if isinstance(package, str) else None
            if found is None:
                return []
            package_id = found.id
        limit = latest if isinstance(latest, int | float) else bool(latest)
        before = None if event is None else as_int(event)
        chain = self.world.tag_chain(tag.name) if inherit else [tag.name]
        seen: dict[int, int] = defaultdict(int)
        rows: list[Row] = []
        for name in chain:
            listed = self.world.tags[name]
            for build, create_event in self._tagged(name, package_id):
                if build.state is not BuildState.COMPLETE or (owner and build.owner != owner):
                    continue
                if before is not None and create_event > before:
                    continue
                if limit:
                    taken = seen[build.package_id]
                    if (limit is True and taken) or taken >= limit:
                        continue
                    seen[build.package_id] = taken + 1
                rows.append(tagged_row(self.world, build, listed, create_event, extra=extra))
        return rows

    def _tagged(self, tag: str, package_id: int | None) -> Iterator[tuple[Build, int]]:
        """Builds tagged directly into ``tag``, most recently tagged first, with the event."""
        for build in self.world.tagged(tag, package_id):
            events = [e.event for e in build.tags if e.active and e.tag == tag]
            if events:
                yield build, max(events)

    # -- package lists -----------------------------------------------------------------
    #
    # Fedora keeps package lists on the base tags (f45, f44, ...); every other tag
    # inherits them. A package is listed in a base tag when a build of it was
    # tagged anywhere in that base tag's family.

    def _root(self, tag: str) -> str:
        return self.world.tag_chain(tag)[-1]

    def _list_roots(self, package: Package) -> list[Tag]:
        roots = {
            self._root(tag)
            for b in self.world.builds_by_package.get(package.id, [])
            for tag in b.active_tags()
        }
        return self._sorted_tags(roots)

    def _listed_in(self, root: Tag) -> set[int]:
        listed: set[int] = set()
        for name in self.world.tags:
            if self._root(name) == root.name:
                listed.update(self.world.packages_in_tag(name))
        return listed

    def _listing_tag_row(self, package: Package, tag: Tag, perms: bool) -> Row:
        owner_id, owner_name = user_ref(self.world, package.owner)
        return {
            **tag_info(tag, perms=perms),
            "owner_id": owner_id,
            "owner_name": owner_name,
            "blocked": False,
            "extra_arches": None,
        }

    def _listing_row(self, package: Package, tag: Tag) -> Row:
        owner_id, owner_name = user_ref(self.world, package.owner)
        return {
            "package_id": package.id,
            "package_name": package.name,
            "tag_id": tag.id,
            "tag_name": tag.name,
            "owner_id": owner_id,
            "owner_name": owner_name,
            "blocked": False,
            "extra_arches": None,
        }

    def _package_listings(
        self,
        tag_info_: Any,
        user_info_: Any,
        package_info_: Any,
        *,
        inherited: bool,
        with_dups: bool,
    ) -> list[Row]:
        """``readPackageList`` rows: one per package (all of its listings ``with_dups``)."""
        packages = self.world.packages_by_id
        tag = user = package = None
        if tag_info_ is not None:
            tag = self._tag(tag_info_)
            if tag is None:
                raise GenericError(f"No such entry in table tag: {tag_info_}")
        if user_info_ is not None:
            user = self._user(user_info_)
            if user is None:
                raise GenericError(f"No such user: {user_info_!r}")
        if package_info_ is not None:
            package = self._package(package_info_)
            if package is None:
                raise GenericError(f"No such entry in table package: {package_info_}")
        listings: dict[int, list[Row]] = defaultdict(list)
        if tag is not None:
            names = self.world.tag_chain(tag.name) if inherited else [tag.name]
            for name in names:
                listed = self.world.tags[name]
                if self._root(name) != name:
                    continue  # only base tags carry package lists
                for package_id in sorted(self._listed_in(listed)):
                    listings[package_id].append(self._listing_row(packages[package_id], listed))
        else:
            candidates = [package] if package is not None else list(packages.values())
            for candidate in candidates:
                if user is None or candidate.owner == user.name:
                    for root in self._list_roots(candidate):
                        listings[candidate.id].append(self._listing_row(candidate, root))
        rows: list[Row] = []
        for package_id, entries in listings.items():
            entry_package = packages[package_id]
            if package is not None and entry_package.id != package.id:
                continue
            if user is not None and entry_package.owner != user.name:
                continue
            rows.extend(entries if with_dups else entries[:1])
        return rows

    def _prefixed(self, rows: list[Row], prefix: str) -> list[Row]:
        matcher = like(f"{prefix}%")
        return [row for row in rows if matcher.fullmatch(row["package_name"])]


_PACKAGE_COLUMNS = columns(
    ("package_id", "package_name"), {"package.id": "package_id", "package.name": "package_name"}
)
_LISTING_ALIASES = (
    "package_id",
    "package_name",
    "tag_id",
    "tag_name",
    "owner_id",
    "owner_name",
    "blocked",
    "extra_arches",
)
_TAG_COLUMNS = {
    "tag.id": "id",
    "tag.name": "name",
    "tag_config.arches": "arches",
    "tag_config.locked": "locked",
    "tag_config.perm_id": "perm_id",
    "permissions.name": "perm",
    "users.id": "owner_id",
    "users.name": "owner_name",
    "tag_packages.blocked": "blocked",
    "tag_packages.extra_arches": "extra_arches",
}


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


# -- the XML-RPC handler -----------------------------------------------------------------


class KojiHub:
    """``kojixmlrpc``: decode a call, run it (or a ``multiCall`` batch), encode the answer."""

    def __init__(self, world: World) -> None:
        self.exports = RootExports(world)
        self.functions: dict[str, Callable[..., Any]] = {
            name: getattr(self.exports, name)
            for name in dir(self.exports)
            if not name.startswith("_") and callable(getattr(self.exports, name))
        }
        self.functions["_listapi"] = self._listapi
        self.functions["system.listMethods"] = self._list_methods
        self.functions["system.methodSignature"] = self._method_signature
        self.functions["system.methodHelp"] = self._method_help

    def handle(self, body: bytes) -> bytes:
        """One XML-RPC request body in, one response body out (faults included)."""
        return self.answer(body)()

    def answer(self, body: bytes) -> Callable[[], bytes]:
        """Run the call against the world now; the returned function encodes the response.

        The result holds no world records, only fresh maps and lists, so the
        encoding (the slow half of a large answer) may run on another thread.
        """
        try:
            method, params = loads_call(body)
            result = self.dispatch(method, params)
        except Exception as exc:
            return partial(_fault, exc)
        return partial(_encode, result)

    def dispatch(self, method: str | None, params: tuple[Any, ...] | list[Any]) -> Any:
        """Run ``method`` with koji's argument conventions; bad arguments are a ParameterError."""
        if method in _MULTICALL_NAMES:
            function: Callable[..., Any] = self.multiCall
        else:
            found = self.functions.get(method) if method is not None else None
            if found is None:
                raise GenericError(f"Invalid method: {method}")
            function = found
        args, kwargs = decode_args(params)
        try:
            return function(*args, **kwargs)
        except TypeError as exc:
            if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
                raise ParameterError(str(exc)) from None  # the call itself did not fit
            raise

    def multiCall(self, calls: Any) -> list[Any]:
        """Each call's result as ``[result]``, or its fault as a struct; one failure stops none."""
        if not isinstance(calls, list):
            raise ParameterError(f"multiCall expects a list of calls, not {type(calls).__name__}")
        results: list[Any] = []
        for call in calls:
            try:
                result = self.dispatch(call["methodName"], call["params"])
            except Exception as exc:
                results.append(multicall_fault(exc))
            else:
                results.append([result])
        return results

    def _list_methods(self) -> list[str]:
        return list(self.functions)

    def _method_signature(self, method: str) -> str:
        return "signatures not supported"

    def _method_help(self, method: str) -> str:
        function = self.functions.get(method)
        if function is None:
            return ""
        text = f"{method}{_argdesc(function)}"
        if function.__doc__:
            text += f"\ndescription: {function.__doc__}"
        return text

    def _listapi(self) -> list[Row]:
        api: list[Row] = []
        for name, function in self.functions.items():
            parameters = list(inspect.signature(function).parameters.values())
            names = [p.name for p in parameters]
            defaults = [p.default for p in parameters if p.default is not p.empty]
            api.append(
                {
                    "name": name,
                    "doc": function.__doc__,
                    "argspec": [names, None, None, defaults or None, [], None, {}],
                    "argdesc": _argdesc(function),
                    "args": [
                        p.name if p.default is p.empty else [p.name, p.default] for p in parameters
                    ],
                }
            )
        return api


def _encode(result: Any) -> bytes:
    try:
        return dumps_response(result)
    except Exception as exc:  # e.g. an int beyond 64 bits
        return _fault(exc)


def _fault(exc: Exception) -> bytes:
    if not isinstance(exc, GenericError):
        logger.warning("koji call failed", exc_info=exc)
    return dumps_fault(*fault_of(exc))


def _argdesc(function: Callable[..., Any]) -> str:
    parameters = inspect.signature(function).parameters.values()
    shown = [p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in parameters]
    return f"({', '.join(shown)})"


# -- the ASGI app ------------------------------------------------------------------------


def create_app(world: World) -> Starlette:
    """The koji hub, answering at its own ``/`` (mounted as ``/kojihub``)."""
    hub = KojiHub(world)
    headers = {"Koji-Version": KOJI_VERSION}

    async def kojihub(request: Request) -> Response:
        if request.method != "POST":
            return Response(
                _NOT_POST,
                status_code=405,
                media_type="text/plain",
                headers={**headers, "Allow": "POST"},
            )
        encode = hub.answer(await request.body())
        payload = await run_in_threadpool(encode)
        return Response(payload, headers={**headers, "Content-Type": "text/xml"})

    return Starlette(routes=[Route("/", kojihub, methods=_HTTP_METHODS)])
