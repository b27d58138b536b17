"""Dependency targets: the other source packages one depends on, chosen by name.

Targets are drawn from the world index's pools with a generator seeded by the
package name, so they stay the same from one build of a package to the next.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from simulator.catalog.detail.naming import seeded_rng
from simulator.catalog.detail.toolchain import CORE_PROVIDES
from simulator.catalog.model import Package

if TYPE_CHECKING:
    from simulator.catalog.detail.index import WorldIndex

__all__ = ["targets"]

_TARGET_POOLS: dict[str, tuple[tuple[str, int], ...]] = {
    "python": (("python", 4),),
    "rust": (("rust", 4),),
    "golang": (("golang", 3),),
    "perl": (("perl", 3),),
    "plain": (("lib", 3), ("plain", 2)),
}


def targets(ix: WorldIndex, seed: int, package: Package, fam: str) -> dict[str, tuple[str, ...]]:
    """Other source packages this one depends on, chosen by name: stable across builds."""
    if package.name in CORE_PROVIDES:
        return {}  # the toolchain depends on itself only
    rng = seeded_rng(seed, package.name, "deps")
    out: dict[str, tuple[str, ...]] = {}
    for pool, most in _TARGET_POOLS.get(fam, ((fam, 2),)):
        out[pool] = _pick(rng, ix.pools.get(pool, ()), rng.randint(0, most), package.name)
    weak_pool = "plain" if fam == "plain" else fam
    if rng.random() < 0.2:
        out["weak"] = _pick(rng, ix.pools.get(weak_pool, ()), 1, package.name)
    return out


def _pick(rng: Random, pool: tuple[str, ...], count: int, exclude: str) -> tuple[str, ...]:
    if not pool:
        return ()
    chosen = {pool[rng.randrange(len(pool))] for _ in range(count)}
    chosen.discard(exclude)
    return tuple(sorted(chosen))
