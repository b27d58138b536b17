"""Package lists: which packages each base tag lists, and their ``readPackageList`` rows.

Fedora keeps package lists on the base tags (f45, f44, ...); every other tag inherits
them. A package is listed in a base tag when a build of it was tagged anywhere in
that base tag's family, or when it was added to (or blocked in) the list explicitly
(:meth:`simulator.world.World.list_package`: a new package, a retired one).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from simulator.catalog.model import Package, Tag
from simulator.formats.koji import tag_info, user_ref
from simulator.upstreams.koji.codec import GenericError, Row, like
from simulator.upstreams.koji.lookups import Lookups

__all__ = ["PackageLists"]


class PackageLists(Lookups):
    """The package lists of base tags, as the package and tag calls read them."""

    def _root(self, tag: str) -> str:
        return self.world.tag_chain(tag)[-1]

    def _list_roots(self, package: Package) -> list[Tag]:
        roots = {
            self._root(tag)
            for b in self.world.builds_by_package.get(package.id, [])
            for tag in b.active_tags()
        }
        roots.update(
            self._root(tag) for tag, rows in self.world.package_lists.items() if package.id in rows
        )
        return self._sorted_tags(roots)

    def _listed_in(self, root: Tag) -> set[int]:
        listed: set[int] = set()
        for name in self.world.tags:
            if self._root(name) == root.name:
                listed.update(self.world.packages_in_tag(name))
        listed.update(self.world.package_lists.get(root.name, {}))
        return listed

    def _listing_tag_row(self, package: Package, tag: Tag, perms: bool) -> Row:
        owner_id, owner_name = user_ref(self.world, package.owner)
        return {
            **tag_info(tag, perms=perms),
            "owner_id": owner_id,
            "owner_name": owner_name,
            "blocked": self.world.blocked(tag.name, package.id),
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
            "blocked": self.world.blocked(tag.name, package.id),
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
