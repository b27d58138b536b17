"""How matches of different kinds become one ranked page: tiers, then one hit per source.

People search for packages the way fedora-packages and packages.fedoraproject.org learned
to rank them: the exact name wins, then a sub-package's exact name (it leads to its source),
then names that start with what was typed, shortest first (autocomplete). Only then come
words: packages whose names, summaries or descriptions hold *every* word of the query,
by BM25. A name within a typo or two of the query follows, because a query that is a
correct word should not be drowned by near-miss names (``editor`` finds editors before
``editorconfig`` lookalikes), while a misspelt name (``firefx``) matches no words at all and
so still finds its package first. Packages holding only *some* of the words come last.

A package that matches in several ways keeps its strongest match, so the result has one hit
per source package; the score is the tier plus a fraction within it, so scores fall down
the page.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.search.port import Match, SearchHit, SearchResult

__all__ = ["Candidate", "Tier", "merge"]


class Tier(enum.IntEnum):
    """Ranking bands, strongest last; the value is the integer part of a hit's score."""

    SOME_WORDS = 1
    FUZZY = 2
    ALL_WORDS = 3
    PREFIX = 4
    SUBPACKAGE = 5
    NAME = 6


MATCH = {
    Tier.NAME: Match.NAME,
    Tier.SUBPACKAGE: Match.SUBPACKAGE,
    Tier.PREFIX: Match.PREFIX,
    Tier.ALL_WORDS: Match.TEXT,
    Tier.FUZZY: Match.FUZZY,
    Tier.SOME_WORDS: Match.TEXT,
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One way one source package matched.

    ``strength`` orders candidates inside their tier (higher first) and must lie in
    ``[0, 1)``; ``subpackage`` names the sub-package whose name matched, if one did.
    """

    package: str
    tier: Tier
    strength: float
    subpackage: str | None = None

    @property
    def score(self) -> float:
        return round(self.tier + min(max(self.strength, 0.0), 0.999999), 6)


def merge(
    candidates: Iterable[Candidate], *, limit: int, offset: int, total: int | None = None
) -> SearchResult:
    """The page ``[offset, offset + limit)`` of the best candidate per package, best first.

    ``total`` is how many packages match in all, when the engine counted more than it ranked.
    """
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        held = best.get(candidate.package)
        if held is None or _order(candidate) < _order(held):
            best[candidate.package] = candidate
    ranked: Sequence[Candidate] = sorted(best.values(), key=_order)
    page = ranked[offset : offset + limit] if limit > 0 else []
    hits = [
        SearchHit(
            name=c.package,
            score=c.score,
            matched=MATCH[c.tier],
            subpackage=c.subpackage,
        )
        for c in page
    ]
    return SearchResult(hits=hits, total=len(ranked) if total is None else max(total, len(ranked)))


def _order(candidate: Candidate) -> tuple[float, float, str]:
    return (-candidate.tier, -candidate.strength, candidate.package)
