"""Refill: fetch again what an event made stale, every live variant of it, before anyone asks.

The keys come from the store (the entries carrying an invalidated tag that were read
within the live window); each key parses back into its recipe, the recipe names its kind,
and the kind its upstream loader. Keys of one kind are fetched together, so a refill of
twenty pages of a package's builds is one koji multicall. Writes are conditional on a
snapshot taken after the invalidation: a value fetched before a later event never lands.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clients import UpstreamError, Upstreams
from gateway.invalidation.keys import Recipe
from gateway.invalidation.store import FieldCache
from gateway.resolvers.kinds import Kind, kind_of
from gateway.resolvers.upstream import UpstreamLoaders

log = logging.getLogger(__name__)


@dataclass
class RefillReport:
    """What one refill did: keys written, refused (an event raced), failed, unknown."""

    written: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    errors: list[UpstreamError] = field(default_factory=list)


class Refiller:
    def __init__(self, cache: FieldCache, upstreams: Upstreams) -> None:
        self.cache = cache
        self.upstreams = upstreams

    async def refill(self, names: Sequence[str]) -> RefillReport:
        report = RefillReport()
        if not names:
            return report
        by_kind: dict[Kind[Any, Any], list[tuple[str, Any]]] = defaultdict(list)
        for name in dict.fromkeys(names):
            try:
                recipe = Recipe.parse(name)
                kind = kind_of(recipe)
                by_kind[kind].append((name, kind.key(recipe)))
            except (ValueError, KeyError, TypeError):
                log.warning("cannot refill %s: not a cached field key", name)
                report.unreadable.append(name)
        loaders = UpstreamLoaders.of(self.upstreams)  # fresh: no answer of an earlier round
        snapshot = await self.cache.snapshot()
        await asyncio.gather(
            *(self._kind(kind, pairs, loaders, snapshot, report) for kind, pairs in by_kind.items())
        )
        return report

    async def _kind(
        self,
        kind: Kind[Any, Any],
        pairs: list[tuple[str, Any]],
        loaders: UpstreamLoaders,
        snapshot: Any,
        report: RefillReport,
    ) -> None:
        loader = kind.loader(loaders)
        answers = await asyncio.gather(
            *(loader.load(key) for _, key in pairs), return_exceptions=True
        )
        writes = []
        written_names = []
        for (name, key), answer in zip(pairs, answers, strict=True):
            if isinstance(answer, UpstreamError):
                report.failed.append(name)
                report.errors.append(answer)
                continue
            if isinstance(answer, BaseException):
                log.error("refill of %s failed", name, exc_info=answer)
                report.failed.append(name)
                continue
            writes.append(
                self.cache.put(name, kind.encode(answer), kind.tags(key, answer), snapshot)
            )
            written_names.append(name)
        for name, landed in zip(written_names, await asyncio.gather(*writes), strict=True):
            (report.written if landed else report.refused).append(name)
