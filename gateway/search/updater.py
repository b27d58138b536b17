"""The worker's hand on the search index: packages the bus says changed are read again.

A package is new (dist-git's ``pagure.project.new``, mdapi listing it), retired (the
``dead.package`` push, koji blocking it, mdapi dropping it), or described anew (mdapi's
repository update after a build with a new summary or description): in each case the
worker reads the package's document from the upstreams as a reindex would and writes it,
or removes the package when no active release lists it any more. Reading rather than
patching makes the hook idempotent and order-free, like the rest of the worker; an
upstream failure raises, so the message is retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from clients import Upstreams
from gateway.invalidation import messages
from gateway.search.port import SearchIndex
from gateway.search.source import Releases, document

__all__ = ["SearchUpdater"]

#: Packages read at once when one message names many (a repository update).
CONCURRENCY = 16


class SearchUpdater:
    """A :data:`~gateway.invalidation.worker.SearchHook` writing to ``index``."""

    def __init__(self, index: SearchIndex, upstreams: Upstreams) -> None:
        self.index = index
        self.upstreams = upstreams
        self.written = 0
        self.removed = 0

    async def __call__(self, event: messages.Event, packages: frozenset[str]) -> None:
        names = sorted(self.concerned(event, packages))
        if not names:
            return
        limit = asyncio.Semaphore(CONCURRENCY)
        releases = await Releases.read(self.upstreams)

        async def read(name: str) -> None:
            async with limit:
                found = await document(self.upstreams, name, releases)
            if found is None:
                await self.index.remove([name])
                self.removed += 1
            else:
                await self.index.upsert([found])
                self.written += 1

        await asyncio.gather(*(read(name) for name in names))

    @staticmethod
    def concerned(event: messages.Event, packages: Iterable[str]) -> set[str]:
        """The packages whose search document ``event`` may have changed."""
        if isinstance(event, messages.OwnershipChanged | messages.RepoUpdated):
            return set(packages)
        return set()
