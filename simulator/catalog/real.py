"""The real Fedora catalog: package seeds read from the shared Fedora data at run time.

The data lives outside the repository (``../shared/data``, see its README) and is
never copied into it: this module only reads it, streaming, when a world is built.

- ``fedora_rawhide_packages.jsonl.gz``: one source package per line (metadata,
  subpackages, maintainers). Every package in it is alive.
- ``fedora_rawhide_spec_history.csv.gz``: two years of daily rawhide spec snapshots
  (baseline, added, removed, version_update, release_bump, spec_edit). The history
  is shifted in time so that its end lands just before ``now``; each row is placed
  at a deterministic instant (by package and day) between its snapshot and the one
  before. Mass-rebuild rows are dropped: the assembler performs the calendar's mass
  rebuilds itself.
- ``pagure_owner_alias.json``: maintainers of packages retired since (optional).
- ``portingdb_python_bugs_2020.csv``: real Bugzilla bugs, mapped into the history
  window proportionally (optional). Packages without them get invented bugs.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import os
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import orjson

from simulator.catalog import calendar, generator, names
from simulator.catalog.loader import bulk_allocation, world_from_seeds
from simulator.catalog.model import Subpackage
from simulator.catalog.seed import BugSeed, Change, HistoryEntry, PackageSeed
from simulator.world import World

__all__ = [
    "ENV_SHARED_DIR",
    "CatalogDataMissingError",
    "default_data_dir",
    "real_seeds",
    "real_world",
    "resolve_data_dir",
]

ENV_SHARED_DIR = "GATEWAY_SHARED_DIR"
PACKAGES_FILE = "fedora_rawhide_packages.jsonl.gz"
HISTORY_FILE = "fedora_rawhide_spec_history.csv.gz"
ALIAS_FILE = "pagure_owner_alias.json"
BUGS_FILE = "portingdb_python_bugs_2020.csv"
REQUIRED_FILES = (PACKAGES_FILE, HISTORY_FILE)

_HOUR = 3600.0
_DAY = 24 * _HOUR
_YEAR = 365 * _DAY
#: The newest snapshot of the history lands this long before ``now``.
END_MARGIN = 6 * _HOUR

_MASS_REBUILD = re.compile(r"Fedora_\d+_Mass_Rebuild")
_CLEAN_VERSION = re.compile(r"[A-Za-z0-9._+~^]+")
_MACRO_NAME = re.compile(r"%\{?name\}?")
#: Changelog authors that are teams or bots rather than people, and their FAS accounts.
_TEAM_ACCOUNTS = {"Fedora Release Engineering": "releng", "Packit": "packit"}
_CORE_POPULARITY = {name: popularity for name, _, popularity in names.CORE_PACKAGES}
_FAMILY_PREFIXES = (
    ("python-", "python"),
    ("rust-", "rust"),
    ("golang-", "golang"),
    ("perl-", "perl"),
    ("ghc-", "ghc"),
    ("nodejs-", "nodejs"),
    ("texlive-", "texlive"),
    ("R-", "R"),
    ("php-", "php"),
)


class CatalogDataMissingError(FileNotFoundError):
    """The real Fedora data is not where the catalog looked for it."""


# -- where the data is -----------------------------------------------------------------------


def default_data_dir() -> Path:
    """``$GATEWAY_SHARED_DIR/data`` when the variable is set, else ``<repo>/../shared/data``."""
    shared = os.environ.get(ENV_SHARED_DIR)
    if shared:
        return Path(shared) / "data"
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def resolve_data_dir(data_dir: Path | None = None) -> Path:
    """The directory holding the data files; a shared directory with ``data/`` also works."""
    tried = default_data_dir() if data_dir is None else Path(data_dir)
    for candidate in (tried, tried / "data"):
        if all((candidate / name).is_file() for name in REQUIRED_FILES):
            return candidate
    if data_dir is not None:
        origin = "the directory given"
    elif os.environ.get(ENV_SHARED_DIR):
        origin = f"from ${ENV_SHARED_DIR}"
    else:
        origin = f"the default, as ${ENV_SHARED_DIR} is unset"
    missing = ", ".join(name for name in REQUIRED_FILES if not (tried / name).is_file())
    raise CatalogDataMissingError(
        f"real Fedora catalog data not found in {tried} ({origin}; missing {missing}). "
        f"Set {ENV_SHARED_DIR} to the shared directory (the data under its data/), "
        f"or pass the data directory itself, e.g. --catalog /path/to/shared/data"
    )


# -- the records read from the files ------------------------------------------------------------


class _Meta(NamedTuple):
    """What the package list says about one live package."""

    name: str
    summary: str
    license: str
    url: str
    description: str | None
    version: str
    epoch: int | None
    noarch: bool
    subpackages: list[Subpackage]
    maintainers: list[str]
    oldest_changelog: str | None


class _Row(NamedTuple):
    """One row of the spec history; ``snapshot`` is the real snapshot time."""

    snapshot: float
    event: str
    epoch: str
    version: str
    release: str
    text: str
    author: str


def _read_packages(path: Path) -> dict[str, _Meta]:
    out: dict[str, _Meta] = {}
    with gzip.open(path, "rb") as lines:
        for line in lines:
            if line.strip():
                meta = _meta(orjson.loads(line))
                out[meta.name] = meta
    return out


def _meta(raw: dict[str, object]) -> _Meta:
    name = str(raw["name"])
    epoch = raw.get("epoch")
    subpackages = raw.get("subpackages")
    maintainers = raw.get("maintainers")
    return _Meta(
        name=name,
        summary=_text(raw.get("summary")) or name,
        license=_text(raw.get("license")),
        url=_text(raw.get("url")),
        description=_text(raw.get("description")) or None,
        version=_text(raw.get("version")),
        epoch=int(epoch) if isinstance(epoch, str | int) and str(epoch).isdigit() else None,
        noarch=raw.get("buildarch") == "noarch",
        subpackages=_subpackages(name, subpackages if isinstance(subpackages, list) else []),
        maintainers=[str(m) for m in maintainers] if isinstance(maintainers, list) else [],
        oldest_changelog=_text(raw.get("changelog_oldest_date")) or None,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _subpackages(name: str, raw: list[object]) -> list[Subpackage]:
    """Explicit subpackages; ``%{name}`` expanded, names with other macros left out."""
    out: list[Subpackage] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        sub = _MACRO_NAME.sub(name, _text(item.get("name")))
        if sub and "%" not in sub:
            out.append(Subpackage(sub, _text(item.get("summary")) or sub))
    return out


def _read_history(path: Path) -> dict[str, list[_Row]]:
    """Rows per package in time order."""
    snapshots: dict[str, float] = {}
    out: dict[str, list[_Row]] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
        reader = csv.reader(text)
        column = {key: index for index, key in enumerate(next(reader))}
        date, package, event = column["date"], column["package"], column["event"]
        epoch, version, release = column["epoch"], column["version"], column["release"]
        changelog, author = column["changelog_text"], column["changelog_author"]
        for row in reader:
            when = snapshots.get(row[date])
            if when is None:
                when = snapshots[row[date]] = datetime.fromisoformat(row[date]).timestamp()
            out.setdefault(row[package], []).append(
                _Row(
                    when,
                    row[event],
                    row[epoch],
                    row[version],
                    row[release],
                    row[changelog],
                    row[author],
                )
            )
    for rows in out.values():
        rows.sort(key=lambda r: r.snapshot)
    return out


def _read_alias(path: Path) -> dict[str, list[str]]:
    if not path.is_file():
        return {}
    raw = orjson.loads(path.read_bytes())
    rpms = raw.get("rpms", {}) if isinstance(raw, dict) else {}
    return {str(k): [str(u) for u in v] for k, v in rpms.items() if isinstance(v, list)}


# -- time ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Timeline:
    """Maps real snapshot times into the simulated history window."""

    shift: float
    start: float  # the world's history window: [start, now]
    end: float
    first: float  # the first snapshot, shifted
    spans: dict[float, float]  # real snapshot time -> the time it covers (at most a day)

    @classmethod
    def of(cls, history: dict[str, list[_Row]], now: float) -> _Timeline:
        snapshots = sorted({row.snapshot for rows in history.values() for row in rows})
        end = now - END_MARGIN
        shift = end - snapshots[-1] if snapshots else 0.0
        spans = {b: min(b - a, _DAY) for a, b in itertools.pairwise(snapshots)}
        if snapshots:
            spans[snapshots[0]] = _DAY
        first = snapshots[0] + shift if snapshots else end
        return cls(shift, now - calendar.HISTORY_YEARS * _YEAR, end, first, spans)

    def at(self, name: str, snapshot: float) -> float:
        """When the change a snapshot saw happened: in the span before it, placed by name."""
        fraction = zlib.crc32(f"{name}@{snapshot:.0f}".encode()) / 2**32
        return snapshot + self.shift - fraction * self.spans.get(snapshot, _DAY)


# -- people ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Authors:
    """Changelog author names ("Jane Doe") matched to FAS accounts of the packages' people."""

    learned: dict[str, str] = field(default_factory=dict)
    _keys: dict[str, frozenset[str]] = field(default_factory=dict)

    def learn(self, author: str, people: Iterable[str]) -> str | None:
        if not author:
            return None
        team = _TEAM_ACCOUNTS.get(author)
        if team is not None:
            return team
        keys = self._keys.get(author)
        if keys is None:
            keys = self._keys[author] = _account_guesses(author)
        for person in people:
            if person.lower() in keys:
                self.learned.setdefault(author, person)
                return person
        return None

    def resolve(self, author: str, people: Iterable[str]) -> str | None:
        return self.learn(author, people) or self.learned.get(author)


def _account_guesses(author: str) -> frozenset[str]:
    """FAS names a person called ``author`` plausibly has: jdoe, jane, doe, janedoe, ..."""
    if "@" in author:
        return frozenset({author.split("@", 1)[0].lower()})
    folded = unicodedata.normalize("NFKD", author).encode("ascii", "ignore").decode().lower()
    parts = [p for p in re.split(r"[^a-z0-9]+", folded) if p]
    if not parts:
        return frozenset()
    first, last = parts[0], parts[-1]
    guesses = {first + last, f"{first}.{last}", first[0] + last, first + last[0], "".join(parts)}
    if len(parts) > 1:
        guesses.update({first, last, f"{first[0]}{parts[1]}"})
    return frozenset(guesses)


def _people(maintainers: list[str]) -> tuple[str, list[str], list[str]]:
    """Owner, admins and committers: the first maintainer owns the package."""
    owner = maintainers[0] if maintainers and maintainers[0] != "orphan" else "orphan"
    rest: list[str] = []
    for person in maintainers:
        if person not in ("orphan", owner) and person not in rest:
            rest.append(person)
    split = len(rest) // 2 + 1 if rest else 0
    return owner, rest[:split], rest[split:]


def _groups(name: str) -> list[str]:
    """The SIG group of the package's ecosystem, as the generator assigns them."""
    for prefix, family in _FAMILY_PREFIXES:
        if name.startswith(prefix):
            group = names.FAMILY_GROUPS.get(family)
            return [group] if group else []
    return []


# -- history ---------------------------------------------------------------------------------


def _clean_version(raw: str) -> str | None:
    """A version usable in an NVR; None for unexpanded macros and empty values."""
    return raw if _CLEAN_VERSION.fullmatch(raw) else None


def _changelog(raw: str) -> str:
    """The CSV's " | "-joined changelog entry, without the bullets."""
    if " | " not in raw:
        return raw.strip().removeprefix("- ").strip()
    lines = (line.strip().removeprefix("- ").strip() for line in raw.split(" | "))
    return "\n".join(line for line in lines if line)


@dataclass(slots=True)
class _Replay:
    """One package's history rows turned into seed history."""

    version: str  # at the start of the history window
    created: float | None  # when it was added during the history
    history: list[HistoryEntry]
    retired_at: float | None


def _replay(
    name: str,
    rows: list[_Row],
    fallback_version: str,
    timeline: _Timeline,
    authors: _Authors,
    people: list[str],
) -> _Replay:
    start_version = current = _initial_version(rows, fallback_version)
    created = timeline.at(name, rows[0].snapshot) if rows and rows[0].event == "added" else None
    history: list[HistoryEntry] = []
    retired_at: float | None = None
    for row in rows[1:]:
        if row.event == "removed":
            retired_at = timeline.at(name, row.snapshot)
            continue
        retired_at = None
        entry = _entry(row, current)
        if entry is None:
            continue
        current = entry.version
        entry.at = at = timeline.at(name, row.snapshot)
        if at < timeline.start:  # older than the simulated window: part of the starting state
            start_version = current
            continue
        entry.author = authors.resolve(row.author, people)
        history.append(entry)
    return _Replay(start_version, created, history, retired_at)


def _initial_version(rows: list[_Row], fallback: str) -> str:
    """The first row's version; the first usable one when it keeps unexpanded macros."""
    for row in rows:
        if version := _clean_version(row.version):
            return version
    return _clean_version(fallback) or "0"


def _entry(row: _Row, current: str) -> HistoryEntry | None:
    """The history entry of a row (time still unset); None for rows that were no build."""
    mass = "_Mass_Rebuild" in row.text and _MASS_REBUILD.search(row.text) is not None
    if mass and row.event in ("release_bump", "spec_edit"):
        return None  # the assembler performs the calendar's mass rebuilds itself
    at = 0.0
    text = _changelog(row.text)
    version = _clean_version(row.version) or current
    match row.event:
        case "version_update" | "added":  # "added" again: the package came back
            if version != current:
                return HistoryEntry(
                    at,
                    version,
                    Change.VERSION,
                    text if text and not mass else f"Update to {version}",
                )
            default = "Unretire package" if row.event == "added" else "Rebuild"
            return HistoryEntry(at, current, Change.BUMP, text if text and not mass else default)
        case "release_bump":
            return HistoryEntry(at, current, Change.BUMP, text or "Bump release")
        case "spec_edit" if text or row.release == "%autorelease":
            # A spec edit with neither a changelog entry nor %autorelease was no new build.
            return HistoryEntry(at, current, Change.BUMP, text or "Update spec file")
        case _:
            return None


def _learn_authors(history: dict[str, list[_Row]], people: dict[str, list[str]]) -> _Authors:
    """Match changelog authors to accounts over the whole history, before any is resolved."""
    authors = _Authors()
    for name, rows in history.items():
        known = people.get(name, [])
        for row in rows:
            if row.author and row.author not in authors.learned:
                authors.learn(row.author, known)
    return authors


# -- bugs --------------------------------------------------------------------------------------


class _RealBug(NamedTuple):
    package: str
    bug_id: int
    status: str
    resolution: str
    changed: float
    trackers: str
    summary: str


def _read_bugs(path: Path, known: set[str], timeline: _Timeline) -> dict[str, list[BugSeed]]:
    """Real bugs of known packages, their real times mapped linearly onto the window.

    The file has each bug's last change only; its creation is estimated from the bug
    id (ids grow with time): no later-filed bug changed before it was filed.
    """
    if not path.is_file():
        return {}
    bugs: dict[int, _RealBug] = {}
    with path.open(encoding="utf-8", newline="") as text:
        for row in csv.DictReader(text):
            bug_id = int(row["bug_id"])
            if row["package"] in known and bug_id not in bugs:
                bugs[bug_id] = _RealBug(
                    row["package"],
                    bug_id,
                    row["status"],
                    row["resolution"],
                    calendar.ts(row["last_change"]),
                    row["trackers"],
                    row["short_desc"],
                )
    if not bugs:
        return {}
    created: dict[int, float] = {}
    earliest = float("inf")
    for bug_id in sorted(bugs, reverse=True):
        earliest = min(earliest, bugs[bug_id].changed)
        created[bug_id] = earliest
    first, last = min(created.values()), max(b.changed for b in bugs.values())
    scale = (timeline.end - timeline.start) / max(last - first, 1.0)

    def place(when: float) -> float:
        return timeline.start + (when - first) * scale

    out: dict[str, list[BugSeed]] = {}
    for bug_id in sorted(bugs):
        bug = bugs[bug_id]
        out.setdefault(bug.package, []).append(
            BugSeed(
                summary=bug.summary,
                status=bug.status,
                resolution=bug.resolution,
                created=place(created[bug_id]),
                changed=place(bug.changed),
                keywords=["FTBFS"] if "FTBFS" in bug.trackers else [],
                bug_id=bug_id,
            )
        )
    return out


# -- seeds -------------------------------------------------------------------------------------


def _created(name: str, meta: _Meta | None, timeline: _Timeline) -> float:
    """When a package that predates the history was created: its oldest changelog entry."""
    latest = timeline.first - _DAY
    if meta is not None and meta.oldest_changelog:
        try:
            return min(calendar.ts(meta.oldest_changelog) + timeline.shift, latest)
        except ValueError:
            pass
    fraction = zlib.crc32(name.encode()) / 2**32
    return latest - (1 + 11 * fraction) * _YEAR


def _popularity(name: str, alive: bool, changes: int, subpackages: int) -> float:
    """How busy a package is: core packages as the generator has them, else by its activity."""
    core = _CORE_POPULARITY.get(name)
    if core is not None:
        return core
    if not alive:
        return 0.3
    return min(8.0, 0.8 + 0.3 * changes + 0.15 * subpackages)


def _epoch(rows: list[_Row]) -> int | None:
    for row in reversed(rows):
        if row.epoch.isdigit():
            return int(row.epoch)
    return None


def _seed(
    name: str,
    meta: _Meta | None,
    rows: list[_Row],
    crew: list[str],
    timeline: _Timeline,
    authors: _Authors,
    bugs: list[BugSeed] | None,
) -> PackageSeed:
    owner, admins, committers = _people(crew)
    people = [p for p in (owner, *admins, *committers) if p != "orphan"]
    replay = _replay(name, rows, meta.version if meta else "", timeline, authors, people)
    created = replay.created if replay.created is not None else _created(name, meta, timeline)
    subpackages = meta.subpackages if meta else []
    return PackageSeed(
        name=name,
        summary=meta.summary if meta else f"{name} (retired from Fedora)",
        license=meta.license if meta else "",
        url=meta.url if meta else "",
        version=replay.version,
        owner=owner,
        admins=admins,
        committers=committers,
        groups=_groups(name),
        subpackages=list(subpackages),
        created=created,
        epoch=meta.epoch if meta else _epoch(rows),
        description=meta.description if meta else None,
        arch="noarch" if meta and meta.noarch else None,
        history=replay.history,
        bugs=bugs,
        retired=meta is None,
        retired_at=replay.retired_at if meta is None else None,
        popularity=_popularity(name, meta is not None, len(replay.history), len(subpackages)),
    )


def real_seeds(
    data_dir: Path | None = None, *, now: float = calendar.DEFAULT_NOW
) -> list[PackageSeed]:
    """Seeds of every package of the real data (live and retired), sorted by name."""
    directory = resolve_data_dir(data_dir)
    with bulk_allocation(freeze=False):
        return _seeds(directory, now)


def _seeds(directory: Path, now: float) -> list[PackageSeed]:
    packages = _read_packages(directory / PACKAGES_FILE)
    history = _read_history(directory / HISTORY_FILE)
    alias = _read_alias(directory / ALIAS_FILE)
    timeline = _Timeline.of(history, now)
    every = sorted(packages.keys() | history.keys())
    crews = {
        name: packages[name].maintainers if name in packages else alias.get(name, [])
        for name in every
    }
    authors = _learn_authors(history, crews)
    bugs = _read_bugs(directory / BUGS_FILE, set(every), timeline)
    return [
        _seed(
            name,
            packages.get(name),
            history.get(name, []),
            crews[name],
            timeline,
            authors,
            bugs.get(name),
        )
        for name in every
    ]


def real_world(
    data_dir: Path | None = None,
    *,
    now: float = calendar.DEFAULT_NOW,
    seed: int = generator.DEFAULT_SEED,
) -> World:
    """The simulated world of the real Fedora catalog; ``data_dir`` defaults as documented."""
    return world_from_seeds(real_seeds(data_dir, now=now), seed=seed, now=now)
