"""The tag calls: ``getTag`` and ``listTags`` (all tags, a build's, or a package's)."""

# The method and argument names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802, N803

from __future__ import annotations

from typing import Any

from simulator.catalog.model import Tag
from simulator.formats.koji import tag_info
from simulator.upstreams.koji.codec import GenericError, QueryOpts, Row, columns, glob, query_rows
from simulator.upstreams.koji.listings import PackageLists

__all__ = ["TagCalls"]


class TagCalls(PackageLists):
    """``getTag`` and ``listTags``."""

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
