"""koji reads, batched: every call of one resolver level travels in one multicall.

:class:`KojiLoaders` keeps one loader of raw hub calls (``calls``); the typed
loaders turn their keys into calls and await them through it, so builds, latest
builds, tags and users asked for at the same level share one HTTP request.

``license`` takes three steps, each joining the multicall of its tick: the newest
rawhide build (the ``latest`` loader), its source RPM (``listRPMs``), and that RPM's
``License`` header (``getRPMHeaders``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from clients import KojiClient, UpstreamError, koji
from gateway.resolvers.pages import Page
from gateway.resolvers.queries import BuildsQuery, LatestQuery

T = TypeVar("T")

#: The koji tag of rawhide's newest builds.
RAWHIDE_TAG = "rawhide"
#: The RPM header ``Package.license`` reads (rpm's tag names are case-insensitive).
_LICENSE = "license"


def _call_key(call: koji.calls.Call[Any]) -> tuple[str, str]:
    return call.method, repr(call.params)


class KojiLoaders:
    def __init__(self, client: KojiClient) -> None:
        self.client = client
        self.calls: DataLoader[koji.calls.Call[Any], Any] = DataLoader(
            self._multicall, cache_key_fn=_call_key
        )
        self.package_id = DataLoader(self._package_ids)
        self.builds = DataLoader(self._builds)
        self.build = DataLoader(self._build)
        self.latest = DataLoader(self._latest)
        self.tags = DataLoader(self._tags)
        self.user = DataLoader(self._users)
        self.prefix = DataLoader(self._prefix)
        self.license = DataLoader(self._licenses)

    async def _multicall(self, calls: list[koji.calls.Call[Any]]) -> Sequence[Any]:
        try:
            return await self.client.batch(calls)
        except UpstreamError as error:
            return [error] * len(calls)

    async def _each(self, calls: Sequence[koji.calls.Call[T]]) -> list[T | BaseException]:
        answers: list[T | BaseException] = await asyncio.gather(
            *(self.calls.load(c) for c in calls), return_exceptions=True
        )
        return answers

    async def _package_ids(self, names: list[str]) -> list[int | BaseException | None]:
        return await self._each([koji.calls.get_package_id(name) for name in names])

    async def _builds(self, queries: list[BuildsQuery]) -> list[Page[koji.Build] | BaseException]:
        calls: list[koji.calls.Call[Any]] = []
        for query in queries:
            subject = query.package if query.package is not None else query.owner
            assert subject is not None
            calls.append(_count(query))
            calls.append(_listing(query))
        answers = await self._each(calls)
        pages: list[Page[koji.Build] | BaseException] = []
        for index, query in enumerate(queries):
            count, builds = answers[2 * index], answers[2 * index + 1]
            failure = next((a for a in (count, builds) if isinstance(a, BaseException)), None)
            pages.append(failure or Page(builds, query.window.offset, count))  # type: ignore[arg-type]
        return pages

    async def _build(self, refs: list[int | str]) -> list[koji.Build | BaseException | None]:
        return await self._each([koji.calls.get_build(ref) for ref in refs])

    async def _latest(
        self, queries: list[LatestQuery]
    ) -> list[koji.TaggedBuild | BaseException | None]:
        answers = await self._each(
            [koji.calls.get_latest_builds(q.tag, package=q.package) for q in queries]
        )
        return [a if isinstance(a, BaseException) else (a[0] if a else None) for a in answers]

    async def _tags(self, build_ids: list[int]) -> list[list[str] | BaseException]:
        answers = await self._each([koji.calls.list_tags(build_id) for build_id in build_ids])
        return [a if isinstance(a, BaseException) else [t.name for t in a] for a in answers]

    async def _users(self, names: list[str]) -> list[koji.User | BaseException | None]:
        return await self._each([koji.calls.get_user(name) for name in names])

    async def _prefix(
        self, prefixes: list[tuple[str, int]]
    ) -> list[list[koji.Package] | BaseException]:
        return await self._each(
            [koji.calls.list_packages(prefix, limit=limit) for prefix, limit in prefixes]
        )

    async def _licenses(self, names: list[str]) -> list[str | BaseException | None]:
        answers: list[str | BaseException | None] = await asyncio.gather(
            *(self._license(name) for name in names), return_exceptions=True
        )
        return answers

    async def _license(self, name: str) -> str | None:
        """The ``License`` header of the source RPM of the package's newest rawhide build."""
        build = await self.latest.load(LatestQuery(RAWHIDE_TAG, name))
        if build is None:
            return None
        rpms: list[koji.RPM] = await self.calls.load(koji.calls.list_rpms(build.id, arches="src"))
        if not rpms:
            return None
        headers: dict[str, object] = await self.calls.load(
            koji.calls.get_rpm_headers(rpms[0].id, [_LICENSE])
        )
        value = headers.get(_LICENSE)
        return (value.strip() or None) if isinstance(value, str) else None


def _count(query: BuildsQuery) -> koji.calls.Call[int]:
    if query.package is not None:
        return koji.calls.count_builds(query.package, state=query.state)
    assert query.owner is not None
    return koji.calls.count_user_builds(query.owner, state=query.state)


def _listing(query: BuildsQuery) -> koji.calls.Call[list[koji.Build]]:
    window = query.window
    if query.package is not None:
        return koji.calls.list_builds(
            query.package, state=query.state, limit=window.limit, offset=window.offset
        )
    assert query.owner is not None
    return koji.calls.list_user_builds(
        query.owner, state=query.state, limit=window.limit, offset=window.offset
    )
