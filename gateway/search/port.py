"""The search port: what the gateway asks of a package search engine, whichever it is.

A document is one *source* package with what people search it by: its name, its
sub-packages' names, its summary and description, and the releases it is in. A search
answers one hit per source package, best first; a hit says what matched, so a result that
came from a sub-package's name can say which. Adapters (Elasticsearch, the embedded
engine) pass one contract test suite.

Writes come from two places: the worker, one package at a time as the bus reports new,
retired or changed packages (:meth:`SearchIndex.upsert`, :meth:`SearchIndex.remove`), and
``fedora-gateway reindex``, which builds a whole new index beside the live one and swaps it
in (:meth:`SearchIndex.rebuild`): searches keep answering from the old index until the
swap, never from a half-built one.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "Match",
    "PackageDocument",
    "RebuildReport",
    "SearchHit",
    "SearchIndex",
    "SearchResult",
]


@dataclass(frozen=True, slots=True)
class PackageDocument:
    """One source package as search sees it."""

    name: str
    summary: str = ""
    description: str = ""
    #: Binary packages built from it (``python3-requests`` for ``python-requests``).
    subpackages: tuple[str, ...] = ()
    #: Branches it is in: ``rawhide``, ``f45``, ``epel10``…
    releases: tuple[str, ...] = ()
    #: Its owner and other maintainers in dist-git.
    maintainers: tuple[str, ...] = ()


class Match(enum.Enum):
    """Why a package was found, strongest first."""

    NAME = "name"  # the query is the source package's name
    SUBPACKAGE = "subpackage"  # the query is one of its sub-packages' names
    PREFIX = "prefix"  # a name starts with the query (autocomplete)
    FUZZY = "fuzzy"  # a name within a typo or two of the query
    TEXT = "text"  # words of the summary or description


@dataclass(frozen=True, slots=True)
class SearchHit:
    name: str
    score: float
    matched: Match
    #: The sub-package whose name matched, when one did.
    subpackage: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: Sequence[SearchHit]
    #: How many source packages match in all (the hits are one page of them).
    total: int


@dataclass(frozen=True, slots=True)
class RebuildReport:
    documents: int
    seconds: float
    #: The name of the index now live (adapters that version their indexes).
    index: str = ""
    removed: tuple[str, ...] = field(default=())


class SearchIndex(Protocol):
    """A package search engine. ``start`` before use, ``close`` at the end."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def search(
        self, text: str, *, limit: int = 20, offset: int = 0, release: str | None = None
    ) -> SearchResult:
        """Source packages matching ``text`` (in ``release`` when given), best first."""
        ...

    async def upsert(self, documents: Sequence[PackageDocument]) -> None:
        """Add or replace these packages; searchable when this returns."""
        ...

    async def remove(self, names: Sequence[str]) -> None:
        """Forget these packages (retired); unknown names are ignored."""
        ...

    async def get(self, name: str) -> PackageDocument | None: ...

    async def count(self) -> int:
        """How many source packages the live index holds."""
        ...

    async def rebuild(self, documents: AsyncIterable[PackageDocument]) -> RebuildReport:
        """Build a new index from ``documents`` and swap it in; the old one serves meanwhile."""
        ...
