"""koji hub calls as values, so that many can travel in one multicall.

A :class:`Call` names a hub method, carries its arguments and knows how to decode
its result into records. The functions below build the calls a package page
needs; :class:`~clients.koji.client.KojiClient` sends one (``call``), or many in
one HTTP request (``multicall``, ``batch``)::

    from clients import koji

    build, tags, count = await client.batch(
        [koji.calls.get_build(2211083), koji.calls.list_tags(2211083),
         koji.calls.count_builds("grep")]
    )

Each builder mirrors one hub method and its keyword arguments (``__starstar``);
the hub's own quirks are noted where they matter: an unknown build is ``None``,
not a fault; ``listBuilds`` takes a package id or name and one state;
``getLatestBuilds`` needs a tag that exists; ``getRPMHeaders`` answers ``{}`` for
an unknown RPM and reads the headers out of the RPM file, by case-insensitive name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from clients.errors import UpstreamBadResponse
from clients.koji import codec
from clients.koji.models import (
    RPM,
    Build,
    BuildState,
    Package,
    Tag,
    TaggedBuild,
    TagPackage,
    Task,
    User,
)

__all__ = [
    "Call",
    "count_builds",
    "count_user_builds",
    "get_build",
    "get_latest_builds",
    "get_package_id",
    "get_rpm_headers",
    "get_task_info",
    "get_user",
    "list_builds",
    "list_packages",
    "list_rpms",
    "list_tagged",
    "list_tags",
    "list_user_builds",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

#: The default order of build listings: newest first.
NEWEST_FIRST = "-build_id"


@dataclass(frozen=True, slots=True)
class Call(Generic[T_co]):
    """One hub method call and the decoder of its result."""

    method: str
    decoder: Callable[[object], T_co] = field(compare=False, repr=False)
    args: tuple[object, ...] = ()
    kwargs: tuple[tuple[str, object], ...] = ()

    @property
    def params(self) -> list[object]:
        """The XML-RPC parameters: positional ones, then the ``__starstar`` struct."""
        return codec.params_of(self.args, dict(self.kwargs))

    def decode(self, raw: object, *, url: str | None = None) -> T_co:
        """The call's result as records; ``UpstreamBadResponse`` when it has the wrong shape."""
        try:
            return self.decoder(raw)
        except (ValidationError, ValueError, TypeError) as exc:
            raise UpstreamBadResponse(
                f"{self.method}: unexpected result ({_summary(exc)})", upstream="koji", url=url
            ) from exc


def _summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{exc.error_count()} error(s), first at {where or 'top'}: {first['msg']}"
    return str(exc)


def _decoder(kind: Any) -> Callable[[object], Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    return adapter.validate_python


def _call(method: str, decoder: Callable[[object], T], *args: object, **kwargs: object) -> Call[T]:
    options = tuple((key, value) for key, value in kwargs.items() if value is not None)
    return Call(method, decoder, tuple(args), options)


_build_or_none: Callable[[object], Build | None] = _decoder(Build | None)
_builds: Callable[[object], list[Build]] = _decoder(list[Build])
_tagged_builds: Callable[[object], list[TaggedBuild]] = _decoder(list[TaggedBuild])
_tags: Callable[[object], list[Tag]] = _decoder(list[Tag])
_user_or_none: Callable[[object], User | None] = _decoder(User | None)
_task_or_none: Callable[[object], Task | None] = _decoder(Task | None)
_packages: Callable[[object], list[Package]] = _decoder(list[Package])
_tag_packages: Callable[[object], list[TagPackage]] = _decoder(list[TagPackage])
_rpms: Callable[[object], list[RPM]] = _decoder(list[RPM])
_headers: Callable[[object], dict[str, object]] = _decoder(dict[str, object])
_int: Callable[[object], int] = _decoder(int)
_int_or_none: Callable[[object], int | None] = _decoder(int | None)


def get_build(build: int | str) -> Call[Build | None]:
    """``getBuild(buildInfo)``: by id or ``"name-version-release"``; ``None`` when unknown."""
    return _call("getBuild", _build_or_none, build)


def list_builds(
    package: int | str,
    *,
    state: BuildState | None = None,
    limit: int | None = None,
    offset: int | None = None,
    order: str = NEWEST_FIRST,
) -> Call[list[Build]]:
    """``listBuilds(packageID=...)``: a page of a package's builds, newest first.

    ``package`` is the koji package id or name; an unknown package has no builds.
    """
    return _build_listing("packageID", package, state, limit, offset, order)


def count_builds(package: int | str, *, state: BuildState | None = None) -> Call[int]:
    """``listBuilds(packageID=..., queryOpts={"countOnly": True})``: how many builds."""
    return _build_count("packageID", package, state)


def list_user_builds(
    user: int | str,
    *,
    state: BuildState | None = None,
    limit: int | None = None,
    offset: int | None = None,
    order: str = NEWEST_FIRST,
) -> Call[list[Build]]:
    """``listBuilds(userID=...)``: a page of the builds a user owns, newest first."""
    return _build_listing("userID", user, state, limit, offset, order)


def count_user_builds(user: int | str, *, state: BuildState | None = None) -> Call[int]:
    """``listBuilds(userID=..., queryOpts={"countOnly": True})``."""
    return _build_count("userID", user, state)


def _build_listing(
    subject: str,
    value: int | str,
    state: BuildState | None,
    limit: int | None,
    offset: int | None,
    order: str,
) -> Call[list[Build]]:
    options: dict[str, object] = {"order": order}
    if limit is not None:
        options["limit"] = limit
    if offset is not None:
        options["offset"] = offset
    state_value = None if state is None else int(state)
    return _call("listBuilds", _builds, state=state_value, queryOpts=options, **{subject: value})


def _build_count(subject: str, value: int | str, state: BuildState | None) -> Call[int]:
    state_value = None if state is None else int(state)
    query = {"countOnly": True}
    return _call("listBuilds", _int, state=state_value, queryOpts=query, **{subject: value})


def get_latest_builds(tag: str, package: str | None = None) -> Call[list[TaggedBuild]]:
    """``getLatestBuilds(tag, package=name)``: the newest build per package in a tag.

    The tag must exist (koji faults otherwise); ``package`` is a package *name*.
    """
    return _call("getLatestBuilds", _tagged_builds, tag, package=package)


def list_tagged(
    tag: str,
    *,
    package: str | None = None,
    latest: bool = False,
    inherit: bool = False,
) -> Call[list[TaggedBuild]]:
    """``listTagged(tag, ...)``: builds tagged into ``tag``, most recently tagged first."""
    return _call(
        "listTagged",
        _tagged_builds,
        tag,
        package=package,
        latest=latest or None,
        inherit=inherit or None,
    )


def list_rpms(build_id: int, *, arches: str | Sequence[str] | None = None) -> Call[list[RPM]]:
    """``listRPMs(buildID=..., arches=...)``: the RPMs a build produced.

    ``arches`` keeps one arch (``"src"``: the source RPM) or any of several. A build
    that is unknown, or has no RPMs (failed, still building), lists none.
    """
    chosen = arches if arches is None or isinstance(arches, str) else tuple(arches)
    return _call("listRPMs", _rpms, buildID=build_id, arches=chosen)


def get_rpm_headers(rpm_id: int, headers: Sequence[str]) -> Call[dict[str, object]]:
    """``getRPMHeaders(rpmID=..., headers=[...])``: the named RPM headers of one RPM.

    Keys are the names as asked (``"license"``); an unknown RPM answers ``{}``.
    """
    return _call("getRPMHeaders", _headers, rpmID=rpm_id, headers=tuple(headers))


def list_tags(build: int | str) -> Call[list[Tag]]:
    """``listTags(build=...)``: the tags a build is in; koji faults for an unknown build."""
    return _call("listTags", _tags, build=build)


def get_package_id(name: str) -> Call[int | None]:
    """``getPackageID(name)``: the package's koji id, ``None`` when unknown."""
    return _call("getPackageID", _int_or_none, name)


def get_user(user: int | str) -> Call[User | None]:
    """``getUser(userInfo)``: by id or name; ``None`` when unknown."""
    return _call("getUser", _user_or_none, user)


def get_task_info(task_id: int, *, request: bool = False) -> Call[Task | None]:
    """``getTaskInfo(task_id, request=...)``: ``None`` when unknown."""
    return _call("getTaskInfo", _task_or_none, task_id, request=request or None)


def list_packages(prefix: str, *, limit: int | None = None) -> Call[list[Package]]:
    """``listPackages(prefix=...)``: packages whose name starts with ``prefix``, by name."""
    options: dict[str, object] = {"order": "package_name"}
    if limit is not None:
        options["limit"] = limit
    return _call("listPackages", _packages, prefix=prefix, queryOpts=options, with_owners=False)


def list_tag_packages(
    tag: str, *, inherited: bool = True, prefix: str | None = None
) -> Call[list[TagPackage]]:
    """``listPackages(tagID=tag, inherited=...)``: the packages listed in a tag, blocked too.

    With ``prefix``, only those whose name starts with it.
    """
    return _call(
        "listPackages",
        _tag_packages,
        tagID=tag,
        inherited=inherited,
        prefix=prefix,
        with_owners=False,
        queryOpts={"order": "package_name"},
    )
