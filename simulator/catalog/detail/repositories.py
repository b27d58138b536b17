"""Repositories: which branches mdapi knows, and which koji tags make each repository.

``rawhide`` (and ``koji``, the buildroot) is one repository, ``release``, made of koji
tag ``rawhide`` with its inheritance; a branched release has ``updates-testing``,
``updates`` and ``release``, searched in that order; ``src_<branch>`` holds the
source RPMs of the same builds.
"""

from __future__ import annotations

from simulator.catalog.detail.records import Repo
from simulator.catalog.model import Build, Release
from simulator.world import World

__all__ = ["branches", "build_in", "repos"]


def _active(world: World) -> dict[str, Release]:
    live = ("current", "pending", "frozen")
    return {r.branch: r for r in world.releases.values() if r.state in live}


def branches(world: World) -> list[str]:
    """mdapi's ``/branches``: every active branch, ``koji``, and their ``src_`` twins."""
    names = list(_active(world))
    if "rawhide" in names:
        names.append("koji")
    names += [f"src_{name}" for name in list(names) if name != "koji"]
    return sorted(names)


def repos(world: World, branch: str) -> tuple[Repo, ...] | None:
    """The repositories of ``branch`` in mdapi's search order, or None for an unknown branch."""
    source = branch.startswith("src_")
    name = branch.removeprefix("src_")
    if name == "koji" and not source:
        name = "rawhide"
    release = _active(world).get(name)
    if release is None:
        return None
    if release.is_rawhide:
        head = "rawhide" if "rawhide" in world.tags else release.dist_tag
        return (Repo(branch, "release", tuple(world.tag_chain(head)), source),)
    return (
        Repo(branch, "updates-testing", (release.testing_tag,), source),
        Repo(branch, "updates", (release.stable_tag,), source),
        Repo(branch, "release", (release.dist_tag,), source),
    )


def build_in(world: World, repo: Repo, package_id: int) -> Build | None:
    """The build of a package that ``repo`` carries: its newest tagging there.

    None when koji blocks the package in the tag: a retired package leaves the compose.
    """
    for tag in repo.tags:
        if world.blocked(tag, package_id):
            continue
        build = next(world.tagged(tag, package_id), None)
        if build is not None:
            return build
    return None
