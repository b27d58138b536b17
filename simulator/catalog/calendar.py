"""Fedora's release calendar, as the simulated world lives it.

Dates follow the real schedule: a release branches from rawhide in February or
August, is released in April or October and reaches end of life a month after the
release two versions later. Mass rebuilds happen in rawhide three weeks before a
branching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from simulator.catalog.model import Release


def ts(text: str) -> float:
    """A POSIX timestamp for an ISO date (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True, slots=True)
class Cycle:
    version: int
    mass_rebuild: float
    branched: float
    released: float
    eol: float


CYCLES: tuple[Cycle, ...] = (
    Cycle(41, ts("2024-07-17"), ts("2024-08-13"), ts("2024-10-29"), ts("2025-12-15")),
    Cycle(42, ts("2025-01-16"), ts("2025-02-04"), ts("2025-04-15"), ts("2026-05-13")),
    Cycle(43, ts("2025-07-23"), ts("2025-08-12"), ts("2025-10-28"), ts("2026-12-09")),
    Cycle(44, ts("2026-01-14"), ts("2026-02-03"), ts("2026-04-14"), ts("2027-05-12")),
    Cycle(45, ts("2026-07-22"), ts("2026-08-11"), ts("2026-10-27"), ts("2027-12-08")),
    Cycle(46, ts("2027-01-13"), ts("2027-02-02"), ts("2027-04-13"), ts("2028-05-10")),
)

#: The simulated history covers the two years before this instant.
DEFAULT_NOW = ts("2026-11-20T12:00:00")
HISTORY_YEARS = 2.0


def rawhide_version(at: float) -> int:
    """The version rawhide builds for at ``at`` (its dist tag is ``f<version>``)."""
    version = CYCLES[0].version
    for cycle in CYCLES:
        if at >= cycle.branched:
            version = cycle.version + 1
    return version


def branched_versions(at: float) -> list[int]:
    """Versions that have branched and are not yet end of life at ``at``."""
    return [c.version for c in CYCLES if c.branched <= at < c.eol]


def cycle(version: int) -> Cycle:
    return next(c for c in CYCLES if c.version == version)


def releases(now: float) -> list[Release]:
    """Bodhi's releases at ``now``: the archived ones of the history, current ones, rawhide."""
    rawhide = rawhide_version(now)
    out: list[Release] = []
    for c in CYCLES:
        if c.version > rawhide:
            break
        if c.version == rawhide:
            out.append(Release(f"F{c.version}", c.version, "rawhide", "pending", None))
        elif now >= c.eol:
            out.append(
                Release(f"F{c.version}", c.version, f"f{c.version}", "archived", c.released, c.eol)
            )
        elif now >= c.released:
            out.append(
                Release(f"F{c.version}", c.version, f"f{c.version}", "current", c.released, c.eol)
            )
        else:
            out.append(Release(f"F{c.version}", c.version, f"f{c.version}", "frozen", None, c.eol))
    return out
