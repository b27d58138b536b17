"""How package names and queries are compared: folded, split into words, squeezed into keys.

Fedora names mix separators freely (``python-requests``, ``mod_ssl``, ``python3.14``,
``gtk+``, ``gcc-c++``) and people type them loosely (``python requests``, ``Gtk+``,
``d-bus``). Like fedora-packages' ``filter_search_string``, search lowercases and treats
``-``, ``_``, ``.``, ``+`` (any non-alphanumeric character) as a separator. A name then has
two forms:

- its *words* (``python``, ``requests``), indexed with the summary and description so a
  word query finds packages by any part of their name;
- its *key*, the words run together (``pythonrequests``), compared whole for an exact
  match, by its start for autocomplete and by edit distance for typos. Running the words
  together is what lets ``python requests`` find ``python-requests``, ``dbus`` and ``d-bus``
  meet, and ``gtk+`` become ``gtk``.

Edit distance is the optimal-string-alignment distance (a swap of two neighbours counts as
one slip: ``pyhton`` is one away from ``python``), with the typo budget Elasticsearch calls
``AUTO``: none for one or two characters, one up to five, two beyond.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import OSA

__all__ = ["distance", "fuzziness", "key", "partitions", "words"]

_WORD = re.compile(r"[^\W_]+")

#: Keys are cut into this many pieces for typo lookups, and a key is a typo candidate when
#: at least :data:`SHARED` of its pieces appear in the query (see :func:`partitions`).
PIECES = 4
SHARED = 2


def words(text: str) -> list[str]:
    """The lowercase alphanumeric runs of ``text`` (``"gtk+-Devel"`` → ``gtk``, ``devel``)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def key(text: str) -> str:
    """``text`` squeezed to its words run together: ``"Python_Requests"`` → ``pythonrequests``."""
    return "".join(words(text))


def fuzziness(length: int) -> int:
    """How many edits a query key of this length may be from a name (Elasticsearch AUTO)."""
    if length <= 2:
        return 0
    return 1 if length <= 5 else 2


def partitions(length: int) -> list[tuple[int, int]]:
    """The ``(start, size)`` pieces a key of ``length`` is cut into for typo lookups.

    Two insertions, deletions or substitutions touch at most two of the four pieces (so
    does one swap of neighbours, even across a piece boundary), so two pieces appear
    unchanged in the query, moved by at most two characters: the pigeonhole filter of
    PassJoin. Indexing each piece lets the store find every key within those edits by
    looking up about a hundred substrings of the query; asking for two shared pieces rather
    than one keeps ``python-*`` names from all becoming candidates for a typo of one of them.
    Keys shorter than four characters have no pieces, and so no typo matches.
    """
    if length < PIECES:
        return []
    base, extra = divmod(length, PIECES)
    sizes = [base + (1 if i >= PIECES - extra else 0) for i in range(PIECES)]
    starts = [sum(sizes[:i]) for i in range(PIECES)]
    return list(zip(starts, sizes, strict=True))


def distance(a: str, b: str, limit: int) -> int:
    """The optimal-string-alignment distance of ``a`` and ``b``, or ``limit + 1`` if larger.

    rapidfuzz computes it bit-parallel in C: a typo lookup checks a few thousand candidate
    names (every ``python-*`` name of about the right length for a typo of one of them),
    which a Python loop would take hundreds of milliseconds over.
    """
    return int(OSA.distance(a, b, score_cutoff=limit))
