"""One search index as one SQLite database: names in B-trees, words in FTS5.

The embedded adapter (:mod:`gateway.search.embedded`) keeps each index version in a file of
this shape and calls these functions from worker threads, one connection per call. Nothing
here knows about versions, threads or asyncio.

Tables:

- ``package``: one row per source package, its document as JSON (what ``get`` returns);
- ``release``: which releases a package is in, for the release filter;
- ``term``: every name a package is found by, its own and each sub-package's, under its
  key (:func:`gateway.search.normalize.key`). A B-tree on the key answers exact names and,
  as a range scan, prefixes;
- ``piece``: each distinct key cut into four pieces (:func:`~gateway.search.normalize.partitions`);
  a key sharing two of them with the query's substrings may be a typo or two away, and is
  then checked with the real edit distance;
- ``text``: an FTS5 table of the name's words, the sub-packages' words, the summary and the
  description, ranked by BM25 with the name weighted most, the way fedora-packages repeated
  names and summaries to boost them and packages.fedoraproject.org weighted
  ``name^2 srcName^1.5 summary^0.75``. Porter stemming lets ``browsers`` find ``browser``;
- ``title``: the name's words and the summary alone, ranked first (see :func:`_match`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson

from gateway.search import normalize
from gateway.search.port import PackageDocument
from gateway.search.ranking import Candidate, Tier

__all__ = ["candidates", "connect", "count", "create", "delete", "fetch", "write"]

#: BM25 weights of the ``text`` columns: name words, sub-package words, summary, description.
WEIGHTS = (10.0, 3.0, 4.0, 1.0)
#: BM25 weights of the ``title`` columns: name words, summary.
TITLE_WEIGHTS = (1.0, 1.0)
#: Query text beyond this many characters is ignored: nobody types more into a search box.
MAX_QUERY = 200
#: At most this many words of a query are searched as words.
MAX_WORDS = 16
#: Prefixes matching at most this many names are read at once, more one length at a time.
PREFIX_SCAN = 400

_SCHEMA = """
CREATE TABLE package (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, document BLOB NOT NULL);
CREATE TABLE release (release TEXT NOT NULL, package INTEGER NOT NULL,
                      PRIMARY KEY (release, package)) WITHOUT ROWID;
CREATE INDEX release_package ON release (package);
CREATE TABLE term (key TEXT NOT NULL, package INTEGER NOT NULL, label TEXT NOT NULL,
                   sub INTEGER NOT NULL, size INTEGER NOT NULL,
                   PRIMARY KEY (key, package, label)) WITHOUT ROWID;
CREATE INDEX term_size ON term (size, key);
CREATE INDEX term_package ON term (package);
CREATE TABLE piece (sig TEXT NOT NULL, key TEXT NOT NULL, part INTEGER NOT NULL,
                    PRIMARY KEY (sig, key)) WITHOUT ROWID;
CREATE VIRTUAL TABLE text USING fts5 (
    name, subpackages, summary, description, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE title USING fts5 (
    name, summary, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """A connection usable from any thread (one at a time), in WAL mode for concurrent readers."""
    if not create and not path.exists():
        raise FileNotFoundError(path)
    connection = sqlite3.connect(
        path, check_same_thread=False, isolation_level=None, cached_statements=64
    )
    connection.execute("PRAGMA busy_timeout = 10000")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def create(connection: sqlite3.Connection) -> None:
    connection.executescript(_SCHEMA)


def write(connection: sqlite3.Connection, documents: Sequence[PackageDocument]) -> None:
    """Add or replace ``documents`` in one transaction."""
    with _transaction(connection):
        for document in documents:
            _forget(connection, document.name)
            _insert(connection, document)


def delete(connection: sqlite3.Connection, names: Sequence[str]) -> None:
    with _transaction(connection):
        for name in names:
            _forget(connection, name)


def fetch(connection: sqlite3.Connection, name: str) -> PackageDocument | None:
    row = connection.execute("SELECT document FROM package WHERE name = ?", (name,)).fetchone()
    return _document(row[0]) if row else None


def count(connection: sqlite3.Connection) -> int:
    total: int = connection.execute("SELECT count(*) FROM package").fetchone()[0]
    return total


def candidates(
    connection: sqlite3.Connection, text: str, release: str | None, *, wanted: int
) -> tuple[list[Candidate], int]:
    """The candidates that can rank among the first ``wanted``, and how many packages match.

    Tiers are strictly ordered (:mod:`gateway.search.ranking`), so a tier is ranked only as
    deep as the tiers above it leave places for; matches below that are counted, not ranked.
    That keeps a one-letter query from ranking thousands of word matches nobody will see.
    """
    text = text[:MAX_QUERY]
    query_key = normalize.key(text)
    if not query_key:
        return [], 0
    words = list(dict.fromkeys(normalize.words(text)))[:MAX_WORDS]
    # One read transaction, so all the lookups see the same version of the index.
    with _transaction(connection):
        found = _names(connection, query_key, text, release)
        found += _prefixes(connection, query_key, release, wanted + _count(found))
        expression, tier = _expression(connection, words, release)
        near = _near(connection, query_key)
        if tier is Tier.SOME_WORDS:  # typos rank above packages holding only some words
            found += _fuzzy(connection, near, release)
        if expression and (seen := _count(found)) < wanted:
            found += _match(connection, expression, tier, release, wanted + seen)
        if tier is Tier.ALL_WORDS:
            found += _fuzzy(connection, near, release)
        return found, _total(connection, query_key, expression, near, release)


# -- reads -----------------------------------------------------------------------------------

#: The release filter, written into every read; a no-op when ``:release`` is NULL.
_IN_RELEASE = (
    "(:release IS NULL OR {column} IN (SELECT package FROM release WHERE release = :release))"
)


def _count(found: Sequence[Candidate]) -> int:
    return len({candidate.package for candidate in found})


def _names(
    connection: sqlite3.Connection, query_key: str, text: str, release: str | None
) -> list[Candidate]:
    typed = text.strip().casefold()
    rows = connection.execute(
        "SELECT p.name, t.label, t.sub FROM term t JOIN package p ON p.id = t.package"  # noqa: S608 (a constant of this module)
        " WHERE t.key = :key AND " + _IN_RELEASE.format(column="t.package"),
        {"key": query_key, "release": release},
    )
    found = []
    for name, label, sub in rows:
        # The name as typed beats a name that only shares its key (``d-bus`` vs ``dbus``).
        strength = 0.5 if label.casefold() == typed else 0.0
        tier = Tier.SUBPACKAGE if sub else Tier.NAME
        found.append(Candidate(name, tier, strength, label if sub else None))
    return found


def _prefixes(
    connection: sqlite3.Connection, query_key: str, release: str | None, depth: int
) -> list[Candidate]:
    """Names longer than the query that start with it, shortest first, ``depth`` packages deep.

    A short prefix (``p``) starts thousands of names; those are read one length at a time
    from the ``(size, key)`` index until enough packages are found.
    """
    bounds = {"low": query_key, "high": _successor(query_key), "release": release}
    select = (
        "SELECT p.name, t.label, t.sub, t.size FROM term t JOIN package p ON p.id = t.package"  # noqa: S608 (a constant of this module)
        " WHERE t.key > :low AND t.key < :high AND " + _IN_RELEASE.format(column="t.package")
    )
    in_range = connection.execute(
        "SELECT count(*) FROM term WHERE key > :low AND key < :high", bounds
    ).fetchone()[0]
    if in_range <= PREFIX_SCAN:
        rows = connection.execute(select, bounds).fetchall()
    else:
        longest = connection.execute("SELECT max(size) FROM term").fetchone()[0] or 0
        rows, packages = [], set[str]()
        for size in range(len(query_key) + 1, longest + 1):
            batch = connection.execute(select + " AND t.size = :size", {**bounds, "size": size})
            rows += batch.fetchall()
            packages.update(row[0] for row in rows)
            if len(packages) >= depth:
                break
    # Shortest names first; a sub-package's name counts as a little longer than a source's.
    return [
        Candidate(
            name, Tier.PREFIX, len(query_key) / (size + 0.5 * sub + 1), label if sub else None
        )
        for name, label, sub, size in rows
    ]


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _near(connection: sqlite3.Connection, query_key: str) -> dict[str, int]:
    """The keys within the query's typo budget, other than the query's own, with distances."""
    limit = normalize.fuzziness(len(query_key))
    if not limit:
        return {}
    sigs = sorted(_query_sigs(query_key, limit))
    marks = ",".join("?" * len(sigs))
    keys = connection.execute(
        f"SELECT key FROM piece WHERE sig IN ({marks})"  # noqa: S608
        " GROUP BY key HAVING count(*) >= ?",  # one row per (key, part) at most
        [*sigs, normalize.SHARED],
    )
    near = {}
    for (key,) in keys:
        distance = normalize.distance(query_key, key, limit)
        if 0 < distance <= limit:
            near[key] = distance
    return near


def _query_sigs(query_key: str, limit: int) -> set[str]:
    """The pieces a key within ``limit`` edits of ``query_key`` may share with it unchanged."""
    sigs = set()
    size = len(query_key)
    for length in range(max(size - limit, normalize.PIECES), size + limit + 1):
        for index, (start, width) in enumerate(normalize.partitions(length)):
            for shift in range(-limit, limit + 1):
                at = start + shift
                if at >= 0 and at + width <= size:
                    sigs.add(_sig(length, index, query_key[at : at + width]))
    return sigs


def _sig(length: int, index: int, piece: str) -> str:
    return f"{length}:{index}:{piece}"


def _fuzzy(
    connection: sqlite3.Connection, near: dict[str, int], release: str | None
) -> list[Candidate]:
    if not near:
        return []
    params: dict[str, str | None] = {f"k{i}": key for i, key in enumerate(near)}
    params["release"] = release
    marks = ",".join(f":k{i}" for i in range(len(near)))
    rows = connection.execute(
        "SELECT p.name, t.label, t.sub, t.key FROM term t JOIN package p ON p.id = t.package"  # noqa: S608
        f" WHERE t.key IN ({marks}) AND " + _IN_RELEASE.format(column="t.package"),
        params,
    )
    found = []
    for name, label, sub, key in rows:
        budget = normalize.fuzziness(len(key)) + 1
        # Fewer edits first, then source names before sub-packages, then shorter names.
        strength = (1 - near[key] / (budget + 1)) * (0.9 if sub else 1.0) / (1 + len(key) / 1000)
        found.append(Candidate(name, Tier.FUZZY, strength, label if sub else None))
    return found


def _expression(
    connection: sqlite3.Connection, words: list[str], release: str | None
) -> tuple[str, Tier]:
    """The FTS5 query: every word if some package has them all, else any of them."""
    quoted = [f'"{word}"' for word in words]
    every = " AND ".join(quoted)
    if not quoted:
        return "", Tier.ALL_WORDS
    hit = connection.execute(
        "SELECT 1 FROM text WHERE text MATCH :expression AND "  # noqa: S608 (a constant of this module)
        + _IN_RELEASE.format(column="text.rowid")
        + " LIMIT 1",
        {"expression": every, "release": release},
    ).fetchone()
    if hit or len(quoted) == 1:
        return every, Tier.ALL_WORDS
    return " OR ".join(quoted), Tier.SOME_WORDS


def _match(
    connection: sqlite3.Connection, expression: str, tier: Tier, release: str | None, depth: int
) -> list[Candidate]:
    """Word matches, ``depth`` deep: those whose name or summary holds the words come first.

    A summary says what a package is; a description also says what it works with, so
    "version control system" in ``git``'s summary outweighs the same words in the
    description of a tool that talks to one (packages.fedoraproject.org did not search
    descriptions at all). The name and summary have an FTS5 table of their own because
    FTS5's BM25 normalises by the length of the whole row: in ``text``, the long list of
    sub-package names of a main package (``golang``) would sink it below its libraries.
    """
    strong = _ranked(connection, "title", TITLE_WEIGHTS, expression, release, depth)
    found = [Candidate(name, tier, 0.5 + 0.5 * relevance) for name, relevance in strong]
    if len(strong) < depth:
        weak = _ranked(connection, "text", WEIGHTS, expression, release, depth)
        found += [Candidate(name, tier, 0.5 * relevance) for name, relevance in weak]
    return found


def _ranked(
    connection: sqlite3.Connection,
    table: str,
    weighting: tuple[float, ...],
    expression: str,
    release: str | None,
    depth: int,
) -> list[tuple[str, float]]:
    # Only the table name and weights, constants of this module, are written into the SQL.
    weights = ", ".join(str(w) for w in weighting)
    released = _IN_RELEASE.format(column=f"{table}.rowid")
    sql = (
        f"SELECT p.name, bm25({table}, {weights}) AS rank FROM {table}"  # noqa: S608
        f" JOIN package p ON p.id = {table}.rowid WHERE {table} MATCH :expression"
        f" AND {released} ORDER BY rank LIMIT :depth"
    )
    rows = connection.execute(sql, {"expression": expression, "release": release, "depth": depth})
    # bm25() is negative, better is lower; mapped into [0, 1).
    return [(name, -rank / (10.0 - rank)) for name, rank in rows]


def _total(
    connection: sqlite3.Connection,
    query_key: str,
    expression: str,
    near: dict[str, int],
    release: str | None,
) -> int:
    """How many packages match in any way: by name, prefix, words or typo."""
    params: dict[str, str | None] = {f"k{i}": key for i, key in enumerate(near)}
    parts = ["SELECT package FROM term WHERE key >= :low AND key < :high"]
    if expression:
        parts.append("SELECT rowid FROM text WHERE text MATCH :expression")
    if near:
        marks = ",".join(f":{name}" for name in params)
        parts.append(f"SELECT package FROM term WHERE key IN ({marks})")  # noqa: S608 (placeholders only)
    params.update(low=query_key, high=_successor(query_key), expression=expression, release=release)
    union = " UNION ".join(parts)
    released = _IN_RELEASE.format(column="m.package")
    sql = f"SELECT count(*) FROM ({union}) AS m WHERE {released}"  # noqa: S608 (placeholders only)
    total: int = connection.execute(sql, params).fetchone()[0]
    return total


# -- writes ----------------------------------------------------------------------------------


def _insert(connection: sqlite3.Connection, document: PackageDocument) -> None:
    cursor = connection.execute(
        "INSERT INTO package (name, document) VALUES (?, ?)",
        (document.name, orjson.dumps(_fields(document))),
    )
    package = cursor.lastrowid
    connection.executemany(
        "INSERT OR IGNORE INTO release (release, package) VALUES (?, ?)",
        [(release, package) for release in document.releases],
    )
    names = [(document.name, 0)] + [(sub, 1) for sub in document.subpackages]
    terms = [(normalize.key(label), package, label, sub) for label, sub in names]
    terms = [term for term in terms if term[0]]
    connection.executemany(
        "INSERT OR IGNORE INTO term (key, package, label, sub, size) VALUES (?, ?, ?, ?, ?)",
        [(*term, len(term[0])) for term in terms],
    )
    connection.executemany(
        "INSERT OR IGNORE INTO piece (sig, key, part) VALUES (?, ?, ?)",
        [(sig, key, part) for key in {t[0] for t in terms} for part, sig in _key_sigs(key)],
    )
    connection.execute(
        "INSERT INTO text (rowid, name, subpackages, summary, description) VALUES (?, ?, ?, ?, ?)",
        (
            package,
            " ".join(normalize.words(document.name)),
            " ".join(w for sub in document.subpackages for w in normalize.words(sub)),
            document.summary,
            document.description,
        ),
    )
    connection.execute(
        "INSERT INTO title (rowid, name, summary) VALUES (?, ?, ?)",
        (package, " ".join(normalize.words(document.name)), document.summary),
    )


def _forget(connection: sqlite3.Connection, name: str) -> None:
    row = connection.execute("SELECT id FROM package WHERE name = ?", (name,)).fetchone()
    if row is None:
        return
    package = row[0]
    keys = {r[0] for r in connection.execute("SELECT key FROM term WHERE package = ?", (package,))}
    connection.execute("DELETE FROM term WHERE package = ?", (package,))
    connection.execute("DELETE FROM release WHERE package = ?", (package,))
    connection.execute("DELETE FROM text WHERE rowid = ?", (package,))
    connection.execute("DELETE FROM title WHERE rowid = ?", (package,))
    connection.execute("DELETE FROM package WHERE id = ?", (package,))
    # Pieces of keys no other package is found by anymore would only cost lookups.
    for key in keys:
        if (
            connection.execute("SELECT 1 FROM term WHERE key = ? LIMIT 1", (key,)).fetchone()
            is None
        ):
            connection.executemany(
                "DELETE FROM piece WHERE sig = ? AND key = ?",
                [(sig, key) for _, sig in _key_sigs(key)],
            )


def _key_sigs(key: str) -> Iterator[tuple[int, str]]:
    for index, (start, width) in enumerate(normalize.partitions(len(key))):
        yield index, _sig(len(key), index, key[start : start + width])


def _fields(document: PackageDocument) -> dict[str, object]:
    return {
        "name": document.name,
        "summary": document.summary,
        "description": document.description,
        "subpackages": document.subpackages,
        "releases": document.releases,
        "maintainers": document.maintainers,
    }


def _document(blob: bytes) -> PackageDocument:
    fields = orjson.loads(blob)
    return PackageDocument(
        name=fields["name"],
        summary=fields["summary"],
        description=fields["description"],
        subpackages=tuple(fields["subpackages"]),
        releases=tuple(fields["releases"]),
        maintainers=tuple(fields["maintainers"]),
    )


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN``…``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""
    connection.execute("BEGIN")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
