"""Where a package's current builds live: each active release's stable and testing tag.

``latestBuilds`` and ``versions`` ask koji for the newest build of a package in each of
these tags; the look-ahead (:mod:`gateway.resolvers.prefetch`) asks the same questions a
level earlier, so both must list the same channels in the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from clients import bodhi

__all__ = ["ACTIVE_STATES", "Channel", "channels"]

#: bodhi's states of the releases whose builds a package page shows.
ACTIVE_STATES = frozenset({"current", "pending", "frozen"})


class Channel(NamedTuple):
    """One release's koji tag for one channel (``stable`` or ``testing``)."""

    release: bodhi.Release
    tag: str
    name: str


def channels(releases: Iterable[bodhi.Release]) -> list[Channel]:
    """The stable and testing tags of the active releases, rawhide first, then newest first.

    A release has a testing channel only when bodhi composes it (rawhide's testing tag
    is gating's, not a repository anyone installs from).
    """
    active = sorted((r for r in releases if r.state in ACTIVE_STATES), key=_order)
    found: list[Channel] = []
    for release in active:
        if release.stable_tag:
            found.append(Channel(release, release.stable_tag, "stable"))
        if release.testing_tag and release.composed_by_bodhi:
            found.append(Channel(release, release.testing_tag, "testing"))
    return found


def _order(release: bodhi.Release) -> tuple[int, str]:
    """Rawhide first, then the newest branched release."""
    return (0 if release.branch == "rawhide" else 1, f"{9999 - int(release.version or 0):04d}")
