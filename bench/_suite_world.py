"""Which packages ``bench/suite.py`` reads: a sample of the simulator's generated world.

Run by the suite as ``python bench/_suite_world.py [--size N]`` while the simulator starts;
it builds the same deterministic world (``simulator.catalog.loader.load_world``, the
default seed) in its own process and prints one JSON object:

``sizes``   the world's sizes (the suite checks them against the simulator's ``/_sim/world``);
``full``    live packages with at least three builds, an update and an open bug, open in
            rawhide and in the newest branched release (the ``update`` event needs it),
            in a seeded random order: the pages the phases read;
``live``    every other live package, in a seeded random order (the mass rebuild's).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.catalog.loader import load_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=45)
    args = parser.parse_args()
    world = load_world("generated", size=args.size)
    branched = max(
        (r for r in world.active_releases() if not r.is_rawhide), key=lambda r: r.version
    )
    rawhide = world.rawhide
    full, other = [], []
    for package in world.packages.values():
        if package.retired:
            continue
        builds = len(world.builds_by_package.get(package.id, ()))
        updates = len(world.updates_by_package.get(package.name, ()))
        open_bugs = sum(1 for b in world.bugs_by_component.get(package.name, ()) if b.is_open)
        is_open = not world.blocked(branched.dist_tag, package.id) and not world.blocked(
            rawhide.dist_tag, package.id
        )
        if builds >= 3 and updates >= 1 and open_bugs >= 1 and is_open:
            full.append(package.name)
        else:
            other.append(package.name)
    rng = random.Random(args.seed)
    rng.shuffle(full)
    rng.shuffle(other)
    json.dump({"sizes": world.stats(), "full": full, "live": other}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
