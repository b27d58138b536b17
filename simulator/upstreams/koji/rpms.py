"""The RPM calls: ``listRPMs``, ``listBuildRPMs``, ``getRPM`` and ``getRPMHeaders``.

A build's RPMs are derived from the world (:func:`simulator.formats.koji.build_rpms`):
the source RPM, then the binaries mdapi lists, with ids made from the build id and
the position, so ``getRPM(id)`` finds its build by arithmetic. Finding an RPM by
``N-V-R.A`` needs to know which source package builds binary ``N``; that index is
made on first use and remade when the world gains packages.

Only RPM headers the world can answer are served (name, version, release, epoch,
arch, summary, description, license, url); other header names are left out of the
answer. Buildroot listings, images, hosts, external repositories and task work
directories are not simulated: filters on them match nothing.
"""

# The method and argument names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802, N803

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from simulator.catalog.detail import binaries
from simulator.catalog.model import BuildState
from simulator.formats.koji import RPMS_PER_BUILD, BuildRPM, build_rpms, rpm_headers, rpm_info
from simulator.upstreams.koji.codec import (
    GenericError,
    ParameterError,
    QueryOpts,
    as_int,
    columns,
    parse_nvr,
    query_rows,
)
from simulator.upstreams.koji.lookups import Lookups
from simulator.world import World

__all__ = ["RPMCalls"]

#: koji's volume, where a task's work directory lives (``koji.pathinfo.work()``).
_WORK_DIR = "/mnt/koji/work"
#: The name koji's ``external_repo`` row 0 has: RPMs built by koji itself.
_INTERNAL = "INTERNAL"

_LIST_RPMS_COLUMNS = columns(
    (
        "id",
        "name",
        "version",
        "release",
        "nvr",
        "arch",
        "epoch",
        "draft",
        "payloadhash",
        "size",
        "buildtime",
        "build_id",
        "buildroot_id",
        "external_repo_id",
        "external_repo_name",
        "metadata_only",
        "extra",
    ),
    {
        "rpminfo.id": "id",
        "rpminfo.name": "name",
        "rpminfo.version": "version",
        "rpminfo.release": "release",
        "rpminfo.arch": "arch",
        "rpminfo.epoch": "epoch",
        "rpminfo.draft": "draft",
        "rpminfo.payloadhash": "payloadhash",
        "rpminfo.size": "size",
        "rpminfo.buildtime": "buildtime",
        "rpminfo.build_id": "build_id",
        "rpminfo.buildroot_id": "buildroot_id",
        "rpminfo.external_repo_id": "external_repo_id",
        "external_repo.name": "external_repo_name",
        "rpminfo.metadata_only": "metadata_only",
        "rpminfo.extra": "extra",
    },
)


class RPMCalls(Lookups):
    """``listRPMs``, ``listBuildRPMs``, ``getRPM`` and ``getRPMHeaders``."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._owners: dict[str, list[str]] = {}
        self._owners_of = -1  # how many packages the world had when ``_owners`` was made

    def listRPMs(
        self,
        buildID: Any = None,
        buildrootID: Any = None,
        imageID: Any = None,
        componentBuildrootID: Any = None,
        hostID: Any = None,
        arches: Any = None,
        queryOpts: Any = None,
        draft: Any = None,
    ) -> list[Any] | int:
        opts = QueryOpts.parse(queryOpts, _LIST_RPMS_COLUMNS)
        keep = _arch_filter(arches)
        rpms: Iterable[BuildRPM]
        if imageID is not None or componentBuildrootID is not None or hostID is not None or draft:
            rpms = ()  # no images, buildroot listings or hosts are simulated; no draft builds
        elif buildID is not None:
            build = self.world.builds.get(as_int(buildID))
            rpms = build_rpms(self.world, build) if build is not None else ()
        elif buildrootID is not None:
            build = self.world.builds.get(as_int(buildrootID) // 2)
            rpms = build_rpms(self.world, build) if build is not None else ()
        else:
            rpms = (rpm for b in self.world.builds.values() for rpm in build_rpms(self.world, b))
        if buildrootID is not None:
            root = as_int(buildrootID)
            keep.append(lambda rpm: rpm.buildroot_id == root)
        chosen = (rpm for rpm in rpms if all(check(rpm) for check in keep))
        if opts.count_only:
            return opts.count(sum(1 for _ in chosen))
        rows = (rpm_info(rpm, listing=True) for rpm in chosen)
        if opts.order:
            return query_rows(list(rows), opts)
        return opts.shape(opts.page(rows))

    def listBuildRPMs(self, build: Any) -> list[Any] | int:
        if not isinstance(build, int) or isinstance(build, bool):
            found = self._build(build)
            if found is None:
                raise GenericError(f"No such build: {build!r}")
            build = found.id
        return self.listRPMs(buildID=build)

    def getRPM(self, rpminfo: Any, strict: bool = False, multi: bool = False) -> Any:
        data = _rpm_query(rpminfo)
        found = self._find_rpm(data)
        if multi:
            return [rpm_info(found)] if found is not None else []
        if found is None:
            if strict:
                raise GenericError(f"No such rpm: {data!r}")
            return None
        return rpm_info(found)

    def getRPMHeaders(
        self,
        rpmID: Any = None,
        taskID: Any = None,
        filepath: Any = None,
        headers: Any = None,
        strict: bool = False,
    ) -> dict[str, Any]:
        if rpmID:
            data = _rpm_query(rpmID)
            rpm = self._find_rpm(data)
            if rpm is None:
                if strict:
                    raise GenericError(f"No such rpm: {data!r}")
                return {}
            if rpm.build.state is BuildState.DELETED:
                if strict:
                    raise GenericError(f"Build {rpm.build.nvr} is deleted")
                return {}
        elif taskID:
            if not filepath:
                raise GenericError("filepath must be specified with taskID")
            path = str(filepath)
            if path.startswith("/") or "../" in path:
                raise GenericError(f"Invalid filepath: {path}")
            if strict:  # no task leaves files in the simulated work directory
                task = as_int(taskID)
                raise GenericError(
                    f"Missing rpm file: {_WORK_DIR}/tasks/{task % 10000}/{task}/{path}"
                )
            return {}
        else:
            raise GenericError("either rpmID or taskID and filepath must be specified")
        known = rpm_headers(self.world, rpm)
        if headers is None:
            return known
        if not isinstance(headers, list | tuple):
            raise ParameterError(f"Invalid headers: {headers!r}")
        by_tag = {tag.upper(): value for tag, value in known.items()}
        # rpm's tag names are case-insensitive; the answer keeps the names as asked
        return {
            name: by_tag[name.upper()]
            for name in headers
            if isinstance(name, str) and name.upper() in by_tag
        }

    # -- lookups

    def _find_rpm(self, data: dict[str, Any]) -> BuildRPM | None:
        """``get_rpm``'s match: by ``id``, else by name, version, release and arch."""
        location = data.get("location")
        if location is not None and location != _INTERNAL:
            raise GenericError(f"No such entry in table external_repo: {location}")
        if "id" in data:
            rpm_id = data["id"]
            if not isinstance(rpm_id, int) or isinstance(rpm_id, bool) or rpm_id < 0:
                return None
            build = self.world.builds.get(rpm_id // RPMS_PER_BUILD)
            rpms = build_rpms(self.world, build) if build is not None else []
            position = rpm_id % RPMS_PER_BUILD
            return rpms[position] if position < len(rpms) else None
        try:
            name, version, release, arch = (
                str(data[key]) for key in ("name", "version", "release", "arch")
            )
        except KeyError:
            return None
        sources = [name] if arch == "src" else self._binary_owners().get(name, [])
        for source in sources:
            build = self.world.builds_by_nvr.get(f"{source}-{version}-{release}")
            if build is None:
                continue
            for rpm in build_rpms(self.world, build):
                if rpm.name == name and rpm.arch == arch:
                    return rpm
        return None

    def _binary_owners(self) -> dict[str, list[str]]:
        """Binary RPM name -> the source packages that build it."""
        packages = self.world.packages
        if self._owners_of != len(packages):
            owners: dict[str, list[str]] = {}
            for package in list(packages.values()):
                for spec in binaries(package):
                    owners.setdefault(spec.name, []).append(package.name)
            self._owners, self._owners_of = owners, len(packages)
        return self._owners


def _arch_filter(arches: Any) -> list[Callable[[BuildRPM], bool]]:
    """``arches``: one arch, or any of a list of them."""
    if arches is None:
        return []
    if isinstance(arches, list | tuple):
        wanted = frozenset(str(arch) for arch in arches)
        return [lambda rpm: rpm.arch in wanted]
    if isinstance(arches, str):
        return [lambda rpm: rpm.arch == arches]
    raise GenericError(f'Invalid type for "arches" parameter: {type(arches)}')


def _rpm_query(rpminfo: Any) -> dict[str, Any]:
    """``get_rpm``'s reading of ``rpminfo``: an id, ``N-V-R.A[@location]`` or a map."""
    if isinstance(rpminfo, int) and not isinstance(rpminfo, bool):
        return {"id": rpminfo}
    if isinstance(rpminfo, str):
        return _parse_nvra(rpminfo)
    if isinstance(rpminfo, dict):
        return dict(rpminfo)
    raise GenericError(f"Invalid type for rpminfo: {type(rpminfo)!r}")


def _parse_nvra(text: str) -> dict[str, Any]:
    """``koji.parse_NVRA``, keys in its order (they show in "No such rpm" faults)."""
    nvra, _, location = text.partition("@")
    nvra = nvra.removesuffix(".rpm")
    arch_at = nvra.rfind(".")
    if arch_at in (-1, len(nvra) - 1):
        raise GenericError(f"invalid format: {nvra}")
    nvr, arch = nvra[:arch_at], nvra[arch_at + 1 :]
    name, version, release = parse_nvr(nvr)
    head = nvr.rsplit("-", 2)[0]
    parsed: dict[str, Any] = {
        "release": release,
        "version": version,
        "name": name,
        "epoch": head.split(":", 1)[0] if ":" in head else "",
        "arch": arch,
        "src": arch == "src",
    }
    if location:
        parsed["location"] = location
    return parsed
