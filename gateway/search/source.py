"""Where search documents come from: the upstreams, read the way fedora-packages' indexer did.

koji says which source packages exist and in which releases: one ``listPackages`` per
active release's tag (with inheritance), in one multicall; a package blocked in a tag is
retired there. mdapi says what each package is — its summary, its description and the
binary packages built from it (``co-packages``) — from the newest branch that has it,
rawhide first. dist-git says who maintains it: for a reindex from the owner alias file it
publishes for everyone's packages (one request), for one package from its project.

:func:`documents` streams every package's document for ``fedora-gateway reindex``;
:func:`document` reads one, for the worker when the bus says a package changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from clients import UpstreamError, UpstreamNotFound, Upstreams, koji
from clients.bodhi import Release
from gateway.search.port import PackageDocument

__all__ = ["Releases", "document", "documents"]

log = logging.getLogger(__name__)

#: The bodhi states of releases people still search in.
ACTIVE_STATES = ("current", "pending", "frozen")
#: mdapi requests in flight at once during a reindex.
CONCURRENCY = 20


class Releases:
    """The active releases: their branches (``rawhide``, ``f45``) and koji tags, newest first."""

    def __init__(self, releases: Sequence[Release]) -> None:
        chosen = [r for r in releases if r.dist_tag and r.branch]
        chosen.sort(key=lambda r: (r.branch != "rawhide", -_version(r.version)))
        self.tags: dict[str, str] = {str(r.dist_tag): r.branch for r in chosen}

    @classmethod
    async def read(cls, upstreams: Upstreams) -> Releases:
        return cls(await upstreams.bodhi.list_releases(states=ACTIVE_STATES))

    @property
    def branches(self) -> list[str]:
        """Newest first: where a package's description is read from."""
        return list(self.tags.values())

    async def listings(self, upstreams: Upstreams) -> dict[str, list[str]]:
        """Every package listed (and not blocked) in an active release, with its branches."""
        tags = list(self.tags)
        answers = await upstreams.koji.batch([koji.calls.list_tag_packages(tag) for tag in tags])
        found: dict[str, list[str]] = {}
        for tag, answer in zip(tags, answers, strict=True):
            if isinstance(answer, UpstreamError):
                raise answer
            for listing in answer:
                if not listing.blocked:
                    found.setdefault(listing.name, []).append(self.tags[tag])
        return found


async def documents(
    upstreams: Upstreams, *, concurrency: int = CONCURRENCY
) -> AsyncIterator[PackageDocument]:
    """Every package in an active release, in name order, ``concurrency`` reads at a time."""
    releases = await Releases.read(upstreams)
    listed = await releases.listings(upstreams)
    maintainers = await upstreams.pagure.owner_alias()
    names = sorted(listed)
    log.info("reindex: %d packages in %d releases", len(names), len(releases.tags))
    limit = asyncio.Semaphore(concurrency)

    async def read(name: str) -> PackageDocument:
        async with limit:
            described = await _described(upstreams, name, listed[name], releases.branches)
            return replace(described, maintainers=maintainers.get(name, ()))

    window = concurrency * 4
    for start in range(0, len(names), window):
        for built in await asyncio.gather(*(read(n) for n in names[start : start + window])):
            yield built


async def document(
    upstreams: Upstreams, name: str, releases: Releases | None = None
) -> PackageDocument | None:
    """One package's document; ``None`` when no active release lists it (retired).

    ``releases``, when the caller reads several packages, saves asking bodhi for each.
    """
    if releases is None:
        releases = await Releases.read(upstreams)
    answers = await upstreams.koji.batch(
        [koji.calls.list_tag_packages(tag, prefix=name) for tag in releases.tags]
    )
    branches = []
    for branch, answer in zip(releases.tags.values(), answers, strict=True):
        if isinstance(answer, UpstreamError):
            raise answer
        if any(entry.name == name and not entry.blocked for entry in answer):
            branches.append(branch)
    if not branches:
        return None
    described = await _described(upstreams, name, branches, releases.branches)
    try:
        project = await upstreams.pagure.get_project(name)
    except UpstreamNotFound:
        return described
    people = (project.owner, *project.admins, *project.committers, *project.collaborators)
    return replace(described, maintainers=tuple(dict.fromkeys(people)))


async def _described(
    upstreams: Upstreams, name: str, branches: Sequence[str], newest_first: Sequence[str]
) -> PackageDocument:
    ordered = [b for b in newest_first if b in branches]
    for branch in ordered:
        try:
            package = await upstreams.mdapi.get_source_package(branch, name)
        except UpstreamNotFound:
            continue
        except UpstreamError as error:
            log.warning("reindex: mdapi has no description of %s (%s)", name, error)
            break
        return PackageDocument(
            name=name,
            summary=package.summary or "",
            description=package.description or "",
            subpackages=tuple(sorted(set(package.co_packages) - {name})),
            releases=tuple(ordered),
        )
    return PackageDocument(name=name, releases=tuple(ordered))


def _version(version: str) -> int:
    return int(version) if version.isdigit() else 0
