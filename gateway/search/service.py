"""The search a gateway process serves: its index, and whether that holds the catalog yet.

An embedded index starts empty on a new machine (and always in the demo, whose index is
temporary); the gateway then builds it from the upstreams in the background
(``GATEWAY_SEARCH_BUILD_ON_START``). Until it is built, :attr:`PackageSearch.ready` is false
and ``Query.search`` answers by koji's name prefixes, as it did before the index: fewer
hits, never none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from clients import Upstreams
from gateway.search.port import RebuildReport, SearchIndex
from gateway.search.source import documents

__all__ = ["PackageSearch"]

log = logging.getLogger(__name__)


class PackageSearch:
    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.ready = False
        self._build: asyncio.Task[None] | None = None

    @property
    def state(self) -> str:
        """``ready``; ``building`` (the first build runs), ``failed`` (it failed) or ``empty``
        (none asked): until ready, search answers by koji's name prefixes."""
        if self.ready:
            return "ready"
        if self._build is None:
            return "empty"
        return "building" if not self._build.done() else "failed"

    async def start(self, upstreams: Upstreams, *, build_if_empty: bool = True) -> None:
        await self.index.start()
        if await self.index.count():
            self.ready = True
        elif build_if_empty:
            self._build = asyncio.create_task(self._first_build(upstreams), name="search build")

    async def close(self) -> None:
        if self._build is not None:
            self._build.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._build
        await self.index.close()

    async def rebuild(self, upstreams: Upstreams) -> RebuildReport:
        """Build a new index from the upstreams and swap it in."""
        report = await self.index.rebuild(documents(upstreams))
        self.ready = True
        log.info("search index rebuilt: %d packages in %.1f s", report.documents, report.seconds)
        return report

    async def _first_build(self, upstreams: Upstreams) -> None:
        try:
            await self.rebuild(upstreams)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("building the search index failed; search answers by name prefix")
