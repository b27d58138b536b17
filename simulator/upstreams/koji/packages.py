"""The package calls: ``getPackage``, ``getPackageID`` and ``listPackages``."""

# The method and argument names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802, N803

from __future__ import annotations

from typing import Any

from simulator.formats.koji import package_info
from simulator.upstreams.koji.codec import GenericError, QueryOpts, Row, columns, query_rows
from simulator.upstreams.koji.listings import PackageLists

__all__ = ["PackageCalls"]


class PackageCalls(PackageLists):
    """``getPackage``, ``getPackageID`` and ``listPackages``."""

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
        if not with_blocked:
            rows = [row for row in rows if not row["blocked"]]
        if not with_owners:
            for row in rows:
                del row["owner_id"], row["owner_name"]
        if prefix:
            lowered = str(prefix).lower()
            rows = [r for r in rows if str(r["package_name"]).lower().startswith(lowered)]
        opts = QueryOpts.parse(queryOpts, columns(rows[0] if rows else _LISTING_ALIASES))
        return query_rows(rows, opts)


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
