"""The judged queries (``judged.toml``) and the scores of a search engine on them.

A query scores the reciprocal rank of the first acceptable source package among the first
:data:`DEPTH` hits (0 if none); MRR is the mean over all queries, recall@5 the share of
queries with an acceptable package in the first five.
"""

from __future__ import annotations

import tomllib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

JUDGED = Path(__file__).with_name("judged.toml")
DEPTH = 20

#: What is judged: a query's text in, source package names out, best first.
Search = Callable[[str], Awaitable[Sequence[str]]]


@dataclass(frozen=True, slots=True)
class Judged:
    text: str
    kind: str
    expect: str
    also: tuple[str, ...] = ()

    @property
    def acceptable(self) -> frozenset[str]:
        return frozenset((self.expect, *self.also))


@dataclass(frozen=True, slots=True)
class Outcome:
    query: Judged
    rank: int | None  # 1-based rank of the first acceptable package
    top: tuple[str, ...]

    @property
    def reciprocal(self) -> float:
        return 1 / self.rank if self.rank else 0.0


@dataclass(frozen=True, slots=True)
class Scores:
    outcomes: tuple[Outcome, ...]

    @property
    def mrr(self) -> float:
        return sum(o.reciprocal for o in self.outcomes) / len(self.outcomes)

    @property
    def recall_at_5(self) -> float:
        return sum(1 for o in self.outcomes if o.rank and o.rank <= 5) / len(self.outcomes)

    def by_kind(self) -> dict[str, Scores]:
        kinds: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            kinds.setdefault(outcome.query.kind, []).append(outcome)
        return {kind: Scores(tuple(outcomes)) for kind, outcomes in kinds.items()}

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.rank != 1]


def load_judged(path: Path = JUDGED) -> list[Judged]:
    with path.open("rb") as handle:
        table = tomllib.load(handle)
    return [
        Judged(q["text"], q["kind"], q["expect"], tuple(q.get("also", ()))) for q in table["query"]
    ]


async def evaluate(search: Search, judged: Sequence[Judged]) -> Scores:
    outcomes = []
    for query in judged:
        names = tuple((await search(query.text))[:DEPTH])
        rank = next((i for i, n in enumerate(names, 1) if n in query.acceptable), None)
        outcomes.append(Outcome(query, rank, names[:5]))
    return Scores(tuple(outcomes))
