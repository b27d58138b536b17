"""The root ``Query``: entry points by package, build, update, bug, release and user."""

from __future__ import annotations

import asyncio

import strawberry

from clients import NVR, koji
from gateway.context import Info
from gateway.errors import BadInputError
from gateway.resolvers.channels import ACTIVE_STATES
from gateway.resolvers.pages import MAX_FIRST, Page, Window
from gateway.resolvers.prefetch import prefetch_packages
from gateway.schema.types.bug import Bug
from gateway.schema.types.build import Build
from gateway.schema.types.connection import PageInfo
from gateway.schema.types.package import Package
from gateway.schema.types.release import Release
from gateway.schema.types.search import PackageSearchConnection, PackageSearchHit
from gateway.schema.types.update import Update
from gateway.schema.types.user import User

#: The most names one ``packages`` query may ask for.
MAX_NAMES = 100
#: The longest search query, in characters.
MAX_QUERY = 200


@strawberry.type
class Query:
    @strawberry.field(description="A source package by name; null when koji does not know it.")
    async def package(self, info: Info, name: str) -> Package | None:
        await prefetch_packages(info, [name])
        package_id = await info.context.loaders.package_id.load(name)
        return Package(name=name) if package_id is not None else None

    @strawberry.field(description="Several packages at once, in the order asked; null for unknown.")
    async def packages(self, info: Info, names: list[str]) -> list[Package | None]:
        if len(names) > MAX_NAMES:
            raise BadInputError(f"at most {MAX_NAMES} names, not {len(names)}")
        await prefetch_packages(info, names)
        ids = await info.context.loaders.package_id.load_many(names)
        return [Package(name=n) if i is not None else None for n, i in zip(names, ids, strict=True)]

    @strawberry.field(description="A koji build by id or by name-version-release.")
    async def build(
        self, info: Info, id: int | None = None, nvr: str | None = None
    ) -> Build | None:
        if (id is None) == (nvr is None):
            raise BadInputError("give exactly one of id and nvr")
        if nvr is not None:
            try:
                NVR.parse(nvr)
            except ValueError:
                raise BadInputError("nvr must be name-version-release") from None
        ref: int | str = id if id is not None else nvr  # type: ignore[assignment]
        build = await info.context.loaders.build.load(ref)
        return Build.from_koji(build) if build else None

    @strawberry.field(description="A bodhi update by alias, e.g. FEDORA-2026-1a2b3c4d5e.")
    async def update(self, info: Info, alias: str) -> Update | None:
        update = await info.context.loaders.update.load(alias)
        return Update.from_bodhi(update) if update else None

    @strawberry.field(description="A Red Hat Bugzilla bug by id.")
    async def bug(self, info: Info, id: int) -> Bug | None:
        if id <= 0:
            raise BadInputError("a bug id is a positive number")
        bug = await info.context.loaders.bug.load(id)
        return Bug.from_bugzilla(bug) if bug else None

    @strawberry.field(description="Fedora releases; by default the active ones, rawhide first.")
    async def releases(self, info: Info, active: bool | None = True) -> list[Release]:
        releases = await info.context.loaders.releases.load("all")
        chosen = [
            Release.from_bodhi(r)
            for r in releases
            if active is None or (r.state in ACTIVE_STATES) == active
        ]
        return sorted(chosen, key=lambda r: (r.branch != "rawhide", -_version(r.version)))

    @strawberry.field(description="A Fedora account known to koji.")
    async def user(self, info: Info, name: str) -> User | None:
        user = await info.context.loaders.user.load(name)
        return User(name=user.name) if user else None

    @strawberry.field(
        description="Source packages by name, sub-package name, name prefix, name with a typo, "
        "or words of their summary and description: one hit per source package, best first; "
        "in one release (its branch, as f45 or rawhide) when given."
    )
    async def search(
        self,
        info: Info,
        query: str,
        first: int | None = 20,
        after: str | None = None,
        release: str | None = None,
    ) -> PackageSearchConnection:
        window = Window.of(first, after, default=20)
        text = query.strip()
        if not text:
            raise BadInputError("query must not be empty")
        if len(text) > MAX_QUERY:
            raise BadInputError(f"query must be at most {MAX_QUERY} characters")
        info.context.cache.outside()  # the index and koji's listing are not field-cache entries
        search = info.context.search
        if search is not None and search.ready:
            result = await search.index.search(
                text, limit=window.limit, offset=window.offset, release=release
            )
            hits = [
                PackageSearchHit(
                    package=Package(name=hit.name),
                    name=hit.name,
                    matched=hit.matched.value,
                    score=hit.score,
                    subpackage=hit.subpackage,
                )
                for hit in result.hits
            ]
            page = Page(hits, window.offset, result.total)
        else:  # the index is being built: koji's name prefixes meanwhile
            loaders = info.context.loaders
            exact_id, prefixed = await asyncio.gather(
                loaders.package_id.load(text), loaders.prefix.load((text, MAX_FIRST * 5))
            )
            page = Page.of(_hits(text, exact_id, prefixed), window)
        return PackageSearchConnection(
            nodes=list(page.items), page_info=PageInfo.of(page), total_count=page.total
        )


def _hits(text: str, exact_id: int | None, prefixed: list[koji.Package]) -> list[PackageSearchHit]:
    hits: list[PackageSearchHit] = []
    if exact_id is not None:
        hits.append(
            PackageSearchHit(package=Package(name=text), name=text, matched="name", score=1.0)
        )
    for package in sorted(prefixed, key=lambda p: (len(p.name), p.name)):
        if package.name != text:
            score = round(len(text) / len(package.name), 4)
            hits.append(
                PackageSearchHit(
                    package=Package(name=package.name),
                    name=package.name,
                    matched="prefix",
                    score=score,
                )
            )
    return hits


def _version(version: str) -> int:
    return int(version) if version.isdigit() else 0
