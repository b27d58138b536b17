"""The Elasticsearch request behind a package search, and how its answer is read.

One ``dis_max`` of named clauses, one per way a package can match (see
:mod:`gateway.search.elastic_schema` for the fields). Each clause scores within its own
band, the bands far apart, so a package's score is that of the strongest way it matched
and the kinds of match never mix::

    name               the query is the source package's name          1,000,000
    name_key           ... but for separators (python requests)          900,000
    subpackage         ... one of its sub-packages' names                500,000
    subpackage_key     ... but for separators                            450,000
    name_prefix        the name starts with the query                    200,000
    name_part_prefix   every query word starts a part of the name        150,000
    subpackage_prefix  a sub-package's name starts with the query        120,000
    name_fuzzy         the name's key is a typo or two away         60,000 + typo
    subpackage_fuzzy   a sub-package's key is                       55,000 + typo
    name_part_fuzzy    every query word is a typo away from a part  50,000 + typo
    text               every query word is in the name, summary
                       or description                               10,000 + BM25
    text_some          some of them are                                      BM25

"typo" is Lucene's fuzzy score, which falls with the edit distance (a few points at
most), so one slip ranks above two. BM25 of a query capped at :data:`MAX_QUERY_CHARS`
stays in the low thousands, below the gaps. Equal scores (all prefix matches of one
kind, say) are ordered by name length, shorter first, then by name, so paging is stable.

``matched_queries`` says which clauses matched a hit; the strongest names its
:class:`~gateway.search.port.Match`. The sub-package clauses are ``nested`` queries whose
``inner_hits`` return the matching sub-package's name from doc values (no ``_source``
parsing), which the hit reports when a sub-package clause decided it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.search.elastic_schema import name_key
from gateway.search.port import Match, SearchHit, SearchResult

__all__ = ["MAX_QUERY_CHARS", "TIERS", "normalize_query", "read_result", "search_body"]

#: Longer queries are cut: nobody types more, and it bounds the text tier's scores.
MAX_QUERY_CHARS = 100

#: ``(clause name, what it means, base of its band)``, strongest first.
TIERS: tuple[tuple[str, Match, float], ...] = (
    ("name", Match.NAME, 1_000_000.0),
    ("name_key", Match.NAME, 900_000.0),
    ("subpackage", Match.SUBPACKAGE, 500_000.0),
    ("subpackage_key", Match.SUBPACKAGE, 450_000.0),
    ("name_prefix", Match.PREFIX, 200_000.0),
    ("name_part_prefix", Match.PREFIX, 150_000.0),
    ("subpackage_prefix", Match.PREFIX, 120_000.0),
    ("name_fuzzy", Match.FUZZY, 60_000.0),
    ("subpackage_fuzzy", Match.FUZZY, 55_000.0),
    ("name_part_fuzzy", Match.FUZZY, 50_000.0),
    ("text", Match.TEXT, 10_000.0),
    ("text_some", Match.TEXT, 0.0),
)
_BASE = {name: base for name, _, base in TIERS}
_SUBPACKAGE_CLAUSES = frozenset(
    {"subpackage", "subpackage_key", "subpackage_prefix", "subpackage_fuzzy"}
)
_SUBPACKAGE_FIELD = "subpackages.name"
_EXACT = "subpackages.name.exact"
_KEY = "subpackages.name.key"
_TEXT_FIELDS = ["name.words^3", "summary^2", "description"]


def normalize_query(text: str) -> str:
    """The query as the clauses see it: lowercased, single spaces, at most 100 characters.

    Lowercasing here as well as in the analyzers keeps the term-level clauses (``term``,
    ``fuzzy``) independent of whether the server normalizes their values.
    """
    return " ".join(text.split()).lower()[:MAX_QUERY_CHARS].strip()


def search_body(query: str, *, limit: int, offset: int, release: str | None) -> dict[str, Any]:
    """The ``_search`` body for a normalized, non-empty ``query``."""
    key = name_key(query) or query
    fuzzy = {"value": key, "fuzziness": "AUTO"}
    words: dict[str, Any] = {"query": query, "type": "cross_fields", "fields": _TEXT_FIELDS}
    clauses = [
        _constant("name", {"term": {"name": query}}),
        _constant("name_key", {"term": {"name.key": key}}),
        _subpackage("subpackage", _constant_inner("subpackage", {"term": {_EXACT: query}})),
        _subpackage("subpackage_key", _constant_inner("subpackage_key", {"term": {_KEY: key}})),
        _constant("name_prefix", {"match": {"name.prefix": query}}),
        _constant(
            "name_part_prefix",
            {"match": {"name.parts_prefix": {"query": query, "operator": "and"}}},
        ),
        _subpackage(
            "subpackage_prefix",
            _constant_inner("subpackage_prefix", {"match": {"subpackages.name.prefix": query}}),
        ),
        _banded("name_fuzzy", {"fuzzy": {"name.key": fuzzy}}),
        _subpackage(
            "subpackage_fuzzy", _banded_inner("subpackage_fuzzy", {"fuzzy": {_KEY: fuzzy}})
        ),
        _banded(
            "name_part_fuzzy",
            {"match": {"name.parts": {"query": query, "fuzziness": "AUTO", "operator": "and"}}},
        ),
        _banded("text", {"multi_match": {**words, "operator": "and"}}),
        {"multi_match": {**words, "operator": "or", "_name": "text_some"}},
    ]
    filters = [] if release is None else [{"term": {"releases": release}}]
    return {
        "query": {
            "bool": {
                "must": [{"dis_max": {"queries": clauses, "tie_breaker": 0.0}}],
                "filter": filters,
            }
        },
        "from": max(offset, 0),
        "size": max(limit, 0),
        "sort": [{"_score": "desc"}, {"name_length": "asc"}, {"name": "asc"}],
        "track_total_hits": True,
        "_source": False,
    }


def _constant_inner(name: str, query: dict[str, Any]) -> dict[str, Any]:
    """``query`` scoring exactly the base of ``name``'s band."""
    return {"constant_score": {"filter": query, "boost": _BASE[name]}}


def _banded_inner(name: str, query: dict[str, Any]) -> dict[str, Any]:
    """``query`` scoring its own score plus the base of ``name``'s band."""
    return {
        "function_score": {
            "query": query,
            "functions": [{"weight": _BASE[name]}],
            "boost_mode": "sum",
        }
    }


def _constant(name: str, query: dict[str, Any]) -> dict[str, Any]:
    inner = _constant_inner(name, query)
    inner["constant_score"]["_name"] = name
    return inner


def _banded(name: str, query: dict[str, Any]) -> dict[str, Any]:
    inner = _banded_inner(name, query)
    inner["function_score"]["_name"] = name
    return inner


def _subpackage(name: str, query: dict[str, Any]) -> dict[str, Any]:
    """A clause on sub-package names whose inner hit says which sub-package matched.

    The best nested document's score is the clause's (``score_mode: max``). Of several
    matching sub-packages the best scored is reported, then the first by name: a prefix
    sorts before the names it starts, so ``python3-req`` reports ``python3-requests``,
    not ``python3-requests+socks``.
    """
    return {
        "nested": {
            "path": "subpackages",
            "query": query,
            "score_mode": "max",
            "_name": name,
            "inner_hits": {
                "name": name,
                "size": 1,
                "_source": False,
                "docvalue_fields": [_SUBPACKAGE_FIELD],
                "sort": [{"_score": "desc"}, {_SUBPACKAGE_FIELD: "asc"}],
            },
        }
    }


def read_result(body: Mapping[str, Any]) -> SearchResult:
    """The hits and total of a ``_search`` answer to :func:`search_body`.

    Raises ``KeyError``, ``TypeError`` or ``ValueError`` for an answer of another shape.
    """
    hits = body["hits"]
    total = hits["total"]
    return SearchResult(
        hits=[_read_hit(hit) for hit in hits["hits"]],
        total=int(total["value"] if isinstance(total, Mapping) else total),
    )


def _read_hit(hit: Mapping[str, Any]) -> SearchHit:
    # a list of names, or {name: score} when include_named_queries_score is set
    matched = set(hit.get("matched_queries") or ())
    for clause, match, _ in TIERS:
        if clause in matched:
            subpackage = _inner_subpackage(hit, clause) if clause in _SUBPACKAGE_CLAUSES else None
            return SearchHit(
                name=str(hit["_id"]), score=_score(hit), matched=match, subpackage=subpackage
            )
    raise ValueError(f"hit {hit.get('_id')!r} matched none of the named clauses")


def _score(hit: Mapping[str, Any]) -> float:
    score = hit.get("_score")
    if score is None:  # sorted hits carry the score as the first sort value
        score = hit["sort"][0]
    return float(score)


def _inner_subpackage(hit: Mapping[str, Any], clause: str) -> str | None:
    inner = hit.get("inner_hits", {}).get(clause, {}).get("hits", {}).get("hits", ())
    for nested in inner:
        values = nested.get("fields", {}).get(_SUBPACKAGE_FIELD) or ()
        if values:
            return str(values[0])
    return None
