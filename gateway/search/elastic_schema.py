"""The Elasticsearch index behind package search: its analyzers, its mapping, its documents.

Package names are not English: people type them whole (``python-requests``), by their
beginning (``python-req``), by one of their parts (``requests``, ``req``) or with a
typo (``pyhton-requests``). So the name is indexed several ways, one sub-field each,
and the query (:mod:`gateway.search.elastic_query`) asks each way separately and
ranks them in tiers:

============================  ==================================================
``name``                      keyword, lowercased by a normalizer: exact matches
``name.key``                  the name's letters and digits run together
                              (``pythonrequests``), so ``python requests``,
                              ``d-bus``/``dbus`` and ``gtk``/``gtk+`` meet; exact
                              matches and typos (``fuzzy`` runs on whole keys)
``name.prefix``               whole name cut into edge n-grams: ``p``, ``py``,
                              ``pyt``… (the query side is not cut, so a query
                              is one term that must *be* one of these grams)
``name.parts``                the name split on ``- _ . +`` (typos of a part)
``name.parts_prefix``         each part cut into edge n-grams (``req`` finds
                              ``python-requests``)
``name.words``                the parts as English words, searched together
                              with the summary and description
``subpackages``               nested, one object per binary package: its name
                              raw (returned to say which matched), ``.exact``,
                              ``.key`` and ``.prefix`` like the source name
``summary``, ``description``  English text
``releases``                  keyword: the release filter
============================  ==================================================

``summary``, ``description`` and ``name.words`` share one analyzer (the built-in
``english`` chain, plus turning ``- _ . +`` into spaces) so that a ``cross_fields``
query treats them as one field: every word of the query must appear in one of them.
One shard, because a package index is small and one shard gives every document the
same term statistics, so scores do not depend on where a document was routed.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.search.port import PackageDocument

__all__ = [
    "KEY_DROPS",
    "NAME_SEPARATORS",
    "PART_PREFIX_MAX",
    "WHOLE_PREFIX_MAX",
    "document_from_source",
    "index_mappings",
    "index_settings",
    "name_key",
    "source_from_document",
]

#: The characters that split a package name into parts.
NAME_SEPARATORS = ("-", "_", ".", "+")
#: What a key keeps of a name. Fedora names are ASCII (the packaging guidelines), and
#: the class is written so Java's and Python's regular expressions read it alike.
KEY_DROPS = "[^A-Za-z0-9]"
#: Edge n-grams of whole names stop here: a query longer than this can still match a
#: name exactly or with a typo, just not as a prefix.
WHOLE_PREFIX_MAX = 64
#: Edge n-grams of name parts stop here (parts are words like ``requests``).
PART_PREFIX_MAX = 32


def name_key(text: str) -> str:
    """The key the ``package_key`` normalizer makes: ``Python requests``, ``pythonrequests``.

    The query computes keys itself for its ``fuzzy`` clauses, which it does not leave to
    the server's normalizing of term-level queries.
    """
    return re.sub(KEY_DROPS, "", text).lower()


def index_settings(*, replicas: int, refresh_interval: str | None = None) -> dict[str, Any]:
    """Settings of a new package index: one shard, ``replicas`` replicas, the analyzers.

    ``refresh_interval="-1"`` is for a bulk load, which refreshes once at its end.
    """
    index: dict[str, Any] = {"number_of_shards": 1, "number_of_replicas": replicas}
    if refresh_interval is not None:
        index["refresh_interval"] = refresh_interval
    return {"index": index, "analysis": _ANALYSIS}


_ANALYSIS: dict[str, Any] = {
    "normalizer": {
        "package_name": {"type": "custom", "filter": ["lowercase"]},
        "package_key": {"type": "custom", "char_filter": ["key_drops"], "filter": ["lowercase"]},
    },
    "char_filter": {
        "key_drops": {"type": "pattern_replace", "pattern": KEY_DROPS, "replacement": ""},
        "name_separators": {
            "type": "pattern_replace",
            "pattern": "[-_.+]",
            "replacement": " ",
        },
    },
    "tokenizer": {
        "name_parts": {
            "type": "char_group",
            "tokenize_on_chars": ["whitespace", *NAME_SEPARATORS],
        },
    },
    "filter": {
        "whole_name_edges": {"type": "edge_ngram", "min_gram": 1, "max_gram": WHOLE_PREFIX_MAX},
        "name_part_edges": {"type": "edge_ngram", "min_gram": 1, "max_gram": PART_PREFIX_MAX},
        "english_possessive": {"type": "stemmer", "language": "possessive_english"},
        "english_stop": {"type": "stop", "stopwords": "_english_"},
        "english_stemmer": {"type": "stemmer", "language": "english"},
    },
    "analyzer": {
        # the query side of name.prefix: the whole query is one lowercased term
        "whole_name": {"type": "custom", "tokenizer": "keyword", "filter": ["lowercase"]},
        "whole_name_prefix": {
            "type": "custom",
            "tokenizer": "keyword",
            "filter": ["lowercase", "whole_name_edges"],
        },
        "name_parts": {"type": "custom", "tokenizer": "name_parts", "filter": ["lowercase"]},
        "name_parts_prefix": {
            "type": "custom",
            "tokenizer": "name_parts",
            "filter": ["lowercase", "name_part_edges"],
        },
        "words": {
            "type": "custom",
            "char_filter": ["name_separators"],
            "tokenizer": "standard",
            "filter": ["english_possessive", "lowercase", "english_stop", "english_stemmer"],
        },
    },
}

# Fields only ever matched in a filter (constant score) need neither term frequencies
# nor length norms.
_MATCH_ONLY = {"index_options": "docs", "norms": False}


def index_mappings() -> dict[str, Any]:
    """The mapping of a package index (``dynamic: strict``: a stray field is an error)."""
    return {
        "dynamic": "strict",
        "properties": {
            "name": {
                "type": "keyword",
                "normalizer": "package_name",
                "fields": {
                    "key": {"type": "keyword", "normalizer": "package_key"},
                    "prefix": {
                        "type": "text",
                        "analyzer": "whole_name_prefix",
                        "search_analyzer": "whole_name",
                        **_MATCH_ONLY,
                    },
                    "parts": {"type": "text", "analyzer": "name_parts", **_MATCH_ONLY},
                    "parts_prefix": {
                        "type": "text",
                        "analyzer": "name_parts_prefix",
                        "search_analyzer": "name_parts",
                        **_MATCH_ONLY,
                    },
                    "words": {"type": "text", "analyzer": "words"},
                },
            },
            # shorter names first among equals: ``python`` before ``python-requests``
            "name_length": {"type": "short"},
            "summary": {"type": "text", "analyzer": "words"},
            "description": {"type": "text", "analyzer": "words"},
            "subpackages": {
                "type": "nested",
                "properties": {
                    "name": {
                        "type": "keyword",
                        "fields": {
                            "exact": {"type": "keyword", "normalizer": "package_name"},
                            "key": {"type": "keyword", "normalizer": "package_key"},
                            "prefix": {
                                "type": "text",
                                "analyzer": "whole_name_prefix",
                                "search_analyzer": "whole_name",
                                **_MATCH_ONLY,
                            },
                        },
                    },
                },
            },
            "releases": {"type": "keyword"},
            "maintainers": {"type": "keyword"},
        },
    }


def source_from_document(document: PackageDocument) -> dict[str, Any]:
    """The ``_source`` stored for a package (its ``_id`` is its name)."""
    return {
        "name": document.name,
        "name_length": len(document.name),
        "summary": document.summary,
        "description": document.description,
        "subpackages": [{"name": name} for name in document.subpackages],
        "releases": list(document.releases),
        "maintainers": list(document.maintainers),
    }


def document_from_source(source: dict[str, Any]) -> PackageDocument:
    """The package a stored ``_source`` describes (the inverse of :func:`source_from_document`)."""
    return PackageDocument(
        name=source["name"],
        summary=source.get("summary") or "",
        description=source.get("description") or "",
        subpackages=tuple(sub["name"] for sub in source.get("subpackages") or ()),
        releases=tuple(source.get("releases") or ()),
        maintainers=tuple(source.get("maintainers") or ()),
    )
