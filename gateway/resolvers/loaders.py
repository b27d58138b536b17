"""The dataloaders resolvers use, made fresh for each operation.

Each is an upstream dataloader (:mod:`gateway.resolvers.upstream`) behind the field
cache when the gateway has one: a level of a query asks each upstream at most once (a
koji multicall, one bodhi ``/updates/`` request, one Bugzilla search), the same question
asked twice in an operation is asked once, and an answer the cache holds fresh is not
asked at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from clients import Upstreams, bodhi, bugzilla, koji, mdapi, pagure
from gateway.resolvers import kinds
from gateway.resolvers.cached import CacheStats, FieldReads
from gateway.resolvers.kinds import Kind
from gateway.resolvers.pages import Page
from gateway.resolvers.queries import BranchQuery, BugsQuery, BuildsQuery, LatestQuery, UpdatesQuery
from gateway.resolvers.upstream import UpstreamLoaders


@dataclass(frozen=True, slots=True)
class Loaders:
    package_id: DataLoader[str, int | None]
    builds: DataLoader[BuildsQuery, Page[koji.Build]]
    build: DataLoader[int | str, koji.Build | None]
    latest: DataLoader[LatestQuery, koji.TaggedBuild | None]
    tags: DataLoader[int, list[str]]
    user: DataLoader[str, koji.User | None]
    license: DataLoader[str, str | None]
    prefix: DataLoader[tuple[str, int], list[koji.Package]]
    updates: DataLoader[UpdatesQuery, Page[bodhi.Update]]
    update: DataLoader[str, bodhi.Update | None]
    update_of_build: DataLoader[str, bodhi.Update | None]
    releases: DataLoader[str, Sequence[bodhi.Release]]
    bugs: DataLoader[BugsQuery, Page[bugzilla.Bug]]
    bug: DataLoader[int, bugzilla.Bug | None]
    source: DataLoader[BranchQuery, mdapi.Package | None]
    binary: DataLoader[BranchQuery, mdapi.Package | None]
    changelog: DataLoader[BranchQuery, mdapi.Changelog | None]
    files: DataLoader[BranchQuery, mdapi.Files | None]
    project: DataLoader[str, pagure.Project | None]

    @classmethod
    def of(
        cls,
        upstreams: Upstreams,
        reads: FieldReads | None = None,
        stats: CacheStats | None = None,
    ) -> Loaders:
        """Loaders for one operation; with ``reads``, through the field cache."""
        up = UpstreamLoaders.of(upstreams)
        counted = stats if stats is not None else CacheStats()

        def through(kind: Kind[Any, Any]) -> DataLoader[Any, Any]:
            raw = kind.loader(up)
            return raw if reads is None else reads.loader(kind, raw, counted)

        return cls(
            package_id=through(kinds.PACKAGE_ID),
            builds=through(kinds.BUILDS),
            build=through(kinds.BUILD),
            latest=through(kinds.LATEST),
            tags=through(kinds.TAGS),
            user=through(kinds.USER),
            license=through(kinds.LICENSE),
            prefix=up.koji.prefix,
            updates=through(kinds.UPDATES),
            update=through(kinds.UPDATE),
            update_of_build=through(kinds.UPDATE_OF_BUILD),
            releases=through(kinds.RELEASES),
            bugs=through(kinds.BUGS),
            bug=through(kinds.BUG),
            source=through(kinds.SOURCE),
            binary=through(kinds.BINARY),
            changelog=through(kinds.CHANGELOG),
            files=through(kinds.FILES),
            project=through(kinds.PROJECT),
        )
