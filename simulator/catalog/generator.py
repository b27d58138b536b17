"""A realistic, deterministic catalog of Fedora source packages.

``generate(seed=...)`` always yields the same packages for the same seed and size.
Names follow the ecosystem prefixes of :mod:`simulator.catalog.names`; owners are
drawn from a heavy-tailed pool (a few packagers own hundreds of packages); the
history is heavy-tailed too: most packages see a version or two in two years, a
busy few see hundreds of builds.
"""

from __future__ import annotations

import itertools
import random

from simulator.catalog import calendar, names
from simulator.catalog.model import Subpackage
from simulator.catalog.seed import Change, HistoryEntry, PackageSeed

__all__ = ["DEFAULT_SEED", "DEFAULT_SIZE", "PackageSeed", "generate"]

DEFAULT_SIZE = 23_000
DEFAULT_SEED = 4242

_DAY = 86_400.0


def generate(
    *, seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE, now: float = calendar.DEFAULT_NOW
) -> list[PackageSeed]:
    """``size`` package seeds with their history up to ``now``, sorted by name."""
    rng = random.Random(seed)
    packagers = names.user_names(rng, max(50, size // 9))
    # A Zipf-like share of ownership: the first packagers own the most packages.
    owner_weights = list(
        itertools.accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(len(packagers)))
    )
    start = now - calendar.HISTORY_YEARS * 365 * _DAY

    seeds: list[PackageSeed] = []
    taken: set[str] = set()
    for name, summary, popularity in names.CORE_PACKAGES[: max(1, min(size // 20, 60))]:
        taken.add(name)
        seeds.append(
            _package(rng, name, "plain", summary, popularity, packagers, owner_weights, start, now)
        )
    while len(seeds) < size:
        family = names.weighted(rng, names.FAMILIES)
        name, summary = _name_and_summary(rng, family)
        if name in taken:
            continue
        taken.add(name)
        popularity = min(8.0, rng.paretovariate(1.6))
        seeds.append(
            _package(rng, name, family, summary, popularity, packagers, owner_weights, start, now)
        )
    seeds.sort(key=lambda s: s.name)
    return seeds


def _name_and_summary(rng: random.Random, family: str) -> tuple[str, str]:
    project = names.project_name(rng)
    topic = rng.choice(names.TOPICS)
    match family:
        case "python":
            return f"python-{project}", f"Python library for {topic}"
        case "rust":
            crate = project.replace("-", "_") if rng.random() < 0.3 else project
            return f"rust-{crate}", f'Rust crate "{crate}"'
        case "golang":
            host = rng.choice(("github", "github", "github", "gitlab", "gopkg"))
            owner = rng.choice(names.STEMS)
            return (f"golang-{host}-{owner}-{project}", f"Go package for {topic}")
        case "perl":
            module = "-".join(part.capitalize() for part in project.split("-"))
            top = rng.choice(("App", "Data", "Test", "Net", "Text", "File", "Moose", "HTTP"))
            return f"perl-{top}-{module}", f"Perl module for {topic}"
        case "ghc":
            return f"ghc-{project}", f"Haskell library for {topic}"
        case "nodejs":
            return f"nodejs-{project}", f"Node.js module for {topic}"
        case "texlive":
            return f"texlive-{project.replace('-', '')}", f"LaTeX package for {topic}"
        case "R":
            module = "".join(part.capitalize() for part in project.split("-"))
            return f"R-{module}", f"R package for {topic}"
        case "php":
            vendor = rng.choice(names.STEMS)
            return f"php-{vendor}-{project}", f"PHP library for {topic}"
        case _:
            return project, rng.choice(names.APPS).format(t=topic)


def _version(rng: random.Random, family: str) -> str:
    if family == "texlive":
        return f"svn{rng.randint(15_000, 72_000)}"
    if family == "golang" and rng.random() < 0.3:
        return _snapshot(rng, "0", 2019, 2024)
    major = rng.choices((0, 1, 2, 3, 4, 5, 10, 20), (30, 30, 15, 8, 5, 4, 4, 4))[0]
    return f"{major}.{rng.randint(0, 30)}.{rng.randint(0, 15)}"


def _snapshot(rng: random.Random, base: str, first_year: int, last_year: int) -> str:
    """A Go-style snapshot version: ``0^20240517git1a2b3c4``."""
    day = f"{rng.randint(first_year, last_year)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return f"{base}^{day}git{rng.getrandbits(28):07x}"


def _next_version(rng: random.Random, version: str) -> str:
    if version.startswith("svn"):
        return f"svn{int(version[3:]) + rng.randint(50, 3000)}"
    if "^" in version:
        return _snapshot(rng, version.split("^")[0], 2025, 2026)
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:3]]
    while len(parts) < 3:
        parts.append(0)
    roll = rng.random()
    if roll < 0.6:
        parts[2] += 1
    elif roll < 0.93:
        parts[1], parts[2] = parts[1] + 1, 0
    else:
        parts = [parts[0] + 1, 0, 0]
    return ".".join(map(str, parts))


def _package(
    rng: random.Random,
    name: str,
    family: str,
    summary: str,
    popularity: float,
    packagers: list[str],
    owner_weights: list[float],
    start: float,
    now: float,
) -> PackageSeed:
    orphaned = name not in {n for n, _, _ in names.CORE_PACKAGES} and rng.random() < 0.05
    owner = "orphan" if orphaned else rng.choices(packagers, cum_weights=owner_weights)[0]
    team = rng.sample(packagers, k=rng.choices((0, 1, 2, 3, 5), (50, 25, 12, 8, 5))[0])
    admins = [u for u in team[: len(team) // 2 + 1] if u != owner] if team else []
    committers = [u for u in team if u not in admins and u != owner]
    group = names.FAMILY_GROUPS.get(family)
    groups = [group] if group and rng.random() < 0.7 else []
    version = _version(rng, family)
    created = start - rng.uniform(0, 12 * 365 * _DAY)
    if rng.random() < 0.04:  # a package new during the history
        created = rng.uniform(start, now - 30 * _DAY)
    history = _history(rng, version, popularity, max(created, start), now, packagers)
    subpackages = _subpackages(rng, name, family, summary)
    arch = "noarch" if family in ("python", "perl", "texlive", "nodejs", "php", "R") else None
    license_ = names.weighted(rng, names.LICENSES)
    if family == "perl":
        license_ = "GPL-1.0-or-later OR Artistic-1.0-Perl"
    elif family == "rust":
        license_ = rng.choice(("MIT OR Apache-2.0", "MIT", "Apache-2.0"))
    return PackageSeed(
        name=name,
        summary=summary,
        license=license_,
        url=_url(rng, name, family),
        version=version,
        owner=owner,
        admins=admins,
        committers=committers,
        groups=groups,
        subpackages=subpackages,
        created=created,
        epoch=1 if rng.random() < 0.03 else None,
        arch=arch,
        history=history,
        popularity=popularity,
    )


def _history(
    rng: random.Random,
    version: str,
    popularity: float,
    start: float,
    now: float,
    packagers: list[str],
) -> list[HistoryEntry]:
    # Heavy-tailed: most packages see one to five changes in two years, a busy few hundreds.
    count = int(rng.paretovariate(1.5) * popularity * 0.75) - 1
    count = max(0, min(count, 320))
    times = sorted(rng.uniform(start, now - 3600) for _ in range(count))
    history: list[HistoryEntry] = []
    for at in times:
        if rng.random() < 0.55:
            version = _next_version(rng, version)
            entry = HistoryEntry(at, version, Change.VERSION, f"Update to {version}")
        else:
            text = rng.choice(
                (
                    "Fix FTBFS with GCC 15",
                    "Add patch for CVE fix",
                    "Fix build with Python 3.14",
                    "Drop obsolete BuildRequires",
                    "Backport upstream fix",
                    "Enable test suite",
                    "Convert to %autorelease and %autochangelog",
                    "Fix license tag",
                )
            )
            entry = HistoryEntry(at, version, Change.BUMP, text)
        entry.author = rng.choice(packagers)
        history.append(entry)
    return history


def _subpackages(rng: random.Random, name: str, family: str, summary: str) -> list[Subpackage]:
    match family:
        case "python":
            base = name.removeprefix("python-")
            out = [Subpackage(f"python3-{base}", summary)]
            if rng.random() < 0.2:
                out.append(Subpackage(f"python-{base}-doc", f"Documentation for {name}"))
            return out
        case "rust":
            crate = name.removeprefix("rust-")
            out = [Subpackage(f"{name}-devel", f'Rust crate "{crate}"')]
            out.append(
                Subpackage(f"{name}+default-devel", f'Rust crate "{crate}" - feature "default"')
            )
            out.extend(
                Subpackage(
                    f"{name}+{rng.choice(names.STEMS)}-devel", f'Rust crate "{crate}" - feature'
                )
                for _ in range(rng.choices((0, 1, 3, 8), (40, 30, 20, 10))[0])
            )
            return _unique(out)
        case "golang":
            return [Subpackage(f"{name}-devel", summary)]
        case "ghc":
            return [
                Subpackage(f"{name}-devel", f"Haskell {name} library development files"),
                Subpackage(f"{name}-prof", f"Haskell {name} profiling library"),
            ]
        case "nodejs" | "texlive" | "perl" | "R" | "php":
            return (
                [Subpackage(f"{name}-doc", f"Documentation for {name}")]
                if rng.random() < 0.15
                else []
            )
        case _:
            out = []
            for suffix, what in (
                ("libs", "Libraries"),
                ("devel", "Development files"),
                ("doc", "Documentation"),
                ("tools", "Tools"),
            ):
                if rng.random() < 0.3:
                    out.append(Subpackage(f"{name}-{suffix}", f"{what} for {name}"))
            return out


def _unique(subpackages: list[Subpackage]) -> list[Subpackage]:
    seen: set[str] = set()
    out = []
    for sub in subpackages:
        if sub.name not in seen:
            seen.add(sub.name)
            out.append(sub)
    return out


def _url(rng: random.Random, name: str, family: str) -> str:
    project = name.split("-", 1)[-1] if family != "plain" else name
    match family:
        case "python":
            return f"https://pypi.org/project/{project}/"
        case "rust":
            return f"https://crates.io/crates/{project}"
        case "perl":
            return f"https://metacpan.org/dist/{project}"
        case "golang":
            return "https://" + name.removeprefix("golang-").replace("-", "/", 2).replace(
                "github/", "github.com/"
            ).replace("gitlab/", "gitlab.com/")
        case "texlive":
            return f"https://ctan.org/pkg/{project}"
        case "nodejs":
            return f"https://www.npmjs.com/package/{project}"
        case "R":
            return f"https://cran.r-project.org/package={project}"
        case _:
            host = rng.choice(("github.com", "gitlab.com", "codeberg.org", "sourceforge.net"))
            return f"https://{host}/{project}/{project}"
