"""cornice's validators: names in a query that must exist in the world.

An unknown package, release, user or bug id is a 400 with bodhi's message, not an
empty list (``bodhi-server/bodhi/server/validators.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.catalog.model import Release
from simulator.upstreams.bodhi.params import Params
from simulator.world import World

__all__ = ["bug_ids", "check_known", "resolve_release", "resolve_releases"]


def _find_release(world: World, name: str) -> Release | None:
    """A release by name, upper-cased name or version (``F45``, ``f45``, ``45``)."""
    for release in world.releases.values():
        if name in (release.name, str(release.version)) or release.name == name.upper():
            return release
    return None


_RELEASE_GROUPS = {
    "__current__": ("current",),
    "__pending__": ("pending", "frozen"),
    "__archived__": ("archived",),
}


def resolve_releases(world: World, params: Params, names: list[str] | None) -> set[str] | None:
    if names is None:
        return None
    found: set[str] = set()
    bad: list[str] = []
    for name in names:
        if name in _RELEASE_GROUPS:
            states = _RELEASE_GROUPS[name]
            found.update(r.name for r in world.releases.values() if r.state in states)
        elif (release := _find_release(world, name)) is not None:
            found.add(release.name)
        else:
            bad.append(name)
    if bad:
        params.invalid("releases", f"Invalid releases specified: {', '.join(bad)}")
    return found


def resolve_release(world: World, params: Params, name: str | None) -> str | None:
    if name is None:
        return None
    release = _find_release(world, name)
    if release is None:
        params.invalid("release", f"Invalid release specified: {name}")
        return None
    return release.name


def check_known(
    params: Params, param: str, kind: str, names: list[str] | None, known: Callable[[str], bool]
) -> None:
    bad = [name for name in names or () if not known(name)]
    if bad:
        params.invalid(param, f"Invalid {kind} specified: {', '.join(bad)}")


def bug_ids(params: Params) -> list[int] | None:
    bugs = params.items("bugs")
    if bugs is None:
        return None
    try:
        return [int(bug) for bug in bugs]
    except ValueError:
        params.invalid("bugs", f"Invalid bug ID specified: {bugs!r}")
        return None
