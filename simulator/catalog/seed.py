"""What a catalog source provides before the world is assembled.

Both catalog sources, the generator (:mod:`simulator.catalog.generator`) and the
loader of real Fedora data (:mod:`simulator.catalog.real`), describe packages as
:class:`PackageSeed` records: metadata plus a time-ordered history of version
changes. :mod:`simulator.catalog.assemble` turns seeds into one consistent
:class:`~simulator.world.World` (builds, tags, updates, bugs), the same way for both.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from simulator.catalog.model import Subpackage


class Change(enum.Enum):
    VERSION = "version"  # a new upstream version
    BUMP = "bump"  # same version, new release (a fix, a spec edit)


@dataclass(slots=True)
class HistoryEntry:
    at: float
    version: str
    change: Change
    changelog: str
    author: str | None = None


@dataclass(slots=True)
class BugSeed:
    summary: str
    status: str
    resolution: str
    created: float
    changed: float
    keywords: list[str] = field(default_factory=list)
    bug_id: int | None = None


@dataclass(slots=True)
class PackageSeed:
    name: str
    summary: str
    license: str
    url: str
    version: str  # the version before the history starts
    owner: str  # "orphan" when orphaned
    admins: list[str]
    committers: list[str]
    groups: list[str]
    subpackages: list[Subpackage]
    created: float
    epoch: int | None = None
    description: str | None = None
    arch: str | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    bugs: list[BugSeed] | None = None  # None: the assembler invents them
    retired: bool = False
    retired_at: float | None = None  # when a retired package left rawhide during the history
    popularity: float = (
        1.0  # scales bug and update activity (a kernel is busier than a perl module)
    )
