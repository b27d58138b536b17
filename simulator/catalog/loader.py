"""Build a world from a catalog source: the generator, or real Fedora data."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simulator.catalog import calendar, generator
from simulator.catalog.assemble import assemble
from simulator.world import World

__all__ = ["bulk_allocation", "generated_world", "load_world", "world_from_seeds"]


@contextmanager
def bulk_allocation(*, freeze: bool = True) -> Iterator[None]:
    """Pause the cyclic GC while hundreds of thousands of records are allocated.

    The records hold no reference cycles worth collecting, and a collector that
    walks an ever-growing heap every few thousand allocations doubles the build
    time. Freezing afterwards keeps later collections from rescanning the world.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        if freeze:
            gc.freeze()


def generated_world(
    *,
    seed: int = generator.DEFAULT_SEED,
    size: int = generator.DEFAULT_SIZE,
    now: float = calendar.DEFAULT_NOW,
) -> World:
    """The generated world: deterministic for a given seed, size and instant."""
    with bulk_allocation():
        return assemble(generator.generate(seed=seed, size=size, now=now), seed=seed, now=now)


def world_from_seeds(seeds: list[generator.PackageSeed], *, seed: int, now: float) -> World:
    with bulk_allocation():
        return assemble(seeds, seed=seed, now=now)


def load_world(
    catalog: str = "generated", *, seed: int | None = None, size: int | None = None
) -> World:
    """The world of a catalog spec: ``generated``, ``real`` (../shared/data) or a data directory."""
    if catalog == "generated":
        return generated_world(
            seed=generator.DEFAULT_SEED if seed is None else seed,
            size=generator.DEFAULT_SIZE if size is None else size,
        )
    from simulator.catalog.real import real_world  # real.py imports this module

    data_dir = None if catalog == "real" else Path(catalog)
    if seed is None:
        return real_world(data_dir)
    return real_world(data_dir, seed=seed)
