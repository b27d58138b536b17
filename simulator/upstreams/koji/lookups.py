"""Lookups every hub call shares: a package, build, tag, user or task from koji's forms.

koji accepts an id, a name, an NVR, a Kerberos principal or a map of one of those
wherever it takes a "…Info" argument; these resolve them against the world the way
``kojihub`` does (``lookup_package``, ``find_build_id``, ``get_tag``, ``get_user``).
Their names start with ``_``: :class:`~simulator.upstreams.koji.hub.KojiHub` exposes
every public method of :class:`~simulator.upstreams.koji.exports.RootExports` as a
call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator.catalog.model import Build, Package, Tag, User
from simulator.formats.koji import KRB_REALM, task_info
from simulator.upstreams.koji.codec import GenericError, Row, parse_nvr
from simulator.upstreams.koji.index import BuildIndex
from simulator.world import World

__all__ = ["Lookups"]


class Lookups:
    """The world, its build index, and koji's ways of naming what it holds."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.index = BuildIndex(world)

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
