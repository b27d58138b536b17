"""Changelogs: a build's spec changelog, one entry per earlier build of its branch."""

from __future__ import annotations

import re

from simulator.catalog.detail.naming import strip_dist
from simulator.catalog.detail.records import ChangelogEntry
from simulator.catalog.model import Build, BuildState, Package
from simulator.world import World

__all__ = ["changelog"]

_DAY = 86_400
_RELENG = ("Fedora Release Engineering", "releng@fedoraproject.org")
_BRANCH_TARGET = re.compile(r"^f(\d+)-candidate$")
_DIST_VERSION = re.compile(r"\.fc(\d+)")


def _lineage(build: Build) -> tuple[str, int]:
    """Which dist-git branch a build came from: ("branch", NN) or ("rawhide", dist)."""
    match = _BRANCH_TARGET.match(build.target)
    if match:
        return "branch", int(match.group(1))
    found = _DIST_VERSION.search(build.release)
    return "rawhide", int(found.group(1)) if found else 0


def _in_lineage(build: Build, line: tuple[str, int]) -> bool:
    kind, version = _lineage(build)
    if kind == "branch":
        return line == ("branch", version)
    return version <= line[1]


def changelog(world: World, package: Package, build: Build) -> tuple[ChangelogEntry, ...]:
    """The spec changelog of ``build``: one entry per earlier build of its dist-git branch."""
    line = _lineage(build)
    entries = []
    for other in world.builds_by_package.get(package.id, ()):
        if other is not build and (
            other.state is not BuildState.COMPLETE
            or other.created > build.created
            or not _in_lineage(other, line)
        ):
            continue
        entries.append(_entry(world, other))
    entries.sort(key=lambda e: (e.date, e.build_id), reverse=True)
    return tuple(entries)


def _entry(world: World, build: Build) -> ChangelogEntry:
    if build.owner == "releng":
        who, email = _RELENG
    else:
        user = world.users.get(build.owner)
        who = user.fullname if user else build.owner
        email = user.email if user else f"{build.owner}@fedoraproject.org"
    epoch = f"{build.epoch}:" if build.epoch else ""
    lines = [line.strip() for line in (build.changelog or "Rebuilt").splitlines() if line.strip()]
    text = "\n".join(line if line.startswith("-") else f"- {line}" for line in lines)
    day = int(build.created // _DAY) * _DAY + _DAY // 2
    return ChangelogEntry(
        f"{who} <{email}>",
        f"{epoch}{build.version}-{strip_dist(build.release)}",
        day,
        text,
        build.id,
    )
