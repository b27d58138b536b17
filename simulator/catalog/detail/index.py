"""The world index: binary names, dependency pools and reverse relations, built once.

Generating one package's detail needs to know about the whole world: which source
package builds a binary, which packages can be depended on (by family), and, for
mdapi's reverse lookups, which packages have a relation to a capability.
"""

from __future__ import annotations

import threading

from simulator.catalog.detail.naming import binaries, family
from simulator.catalog.detail.records import BinarySpec
from simulator.catalog.detail.relations import Relation, Relations
from simulator.catalog.detail.toolchain import CORE_PROVIDES
from simulator.catalog.model import Package
from simulator.world import World

__all__ = ["ReverseIndex", "WorldIndex"]


class WorldIndex:
    """What the detail generator needs to know about the whole world, built once."""

    def __init__(self, world: World) -> None:
        self.size = len(world.packages)
        self.binary_owner: dict[str, int] = {}
        self.specs: dict[int, tuple[BinarySpec, ...]] = {}
        pools: dict[str, list[str]] = {}
        for package in sorted(world.packages.values(), key=lambda p: p.name):
            specs = binaries(package)
            self.specs[package.id] = specs
            for spec in specs:
                self.binary_owner.setdefault(spec.name, package.id)
            if not package.retired:
                for pool in _pools_of(package, specs):
                    pools.setdefault(pool, []).append(package.name)
        self.pools: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in pools.items()}
        self.devel = frozenset(self.pools.get("devel", ()))
        self._reverse: ReverseIndex | None = None
        self._lock = threading.Lock()

    def reverse(self, world: World) -> ReverseIndex:
        """Relations of binaries, and of SRPMs (BuildRequires) as ``src:requires``."""
        with self._lock:
            if self._reverse is None:
                self._reverse = _reverse_index(self, world)
            return self._reverse


def _pools_of(package: Package, specs: tuple[BinarySpec, ...]) -> list[str]:
    fam = family(package.name)
    roles = {s.role for s in specs}
    if fam == "python":
        return ["python"] if "python3" in roles else []
    if fam == "rust":
        return ["rust"] if "crate" in roles else []
    if fam == "golang":
        return ["golang"] if "gosource" in roles else []
    if fam != "plain":
        return [fam] if "main" in roles else []
    if package.name in CORE_PROVIDES:
        return []
    pools = ["plain"] if "main" in roles else []
    if roles & {"libs", "devel"}:
        pools.append("lib")
    if "devel" in roles:
        pools.append("devel")
    return pools


class ReverseIndex:
    """Which source packages have a relation of some kind to a capability.

    Capabilities are filed under their ``hash()``, and a package id stands alone until
    a second one joins it: the index of 23,000 packages stays around 20 MB. A hash
    collision only adds a candidate, which the exact match at lookup time drops.
    """

    def __init__(self) -> None:
        self._tables: dict[str, dict[int, int | list[int]]] = {}

    def add(self, kind: str, rows: list[Relation], package_id: int) -> None:
        table = self._tables.setdefault(kind, {})
        for rel in rows:
            key = hash(rel.key)
            found = table.get(key)
            if found is None:
                table[key] = package_id
            elif isinstance(found, int):
                if found != package_id:
                    table[key] = [found, package_id]
            elif found[-1] != package_id:
                found.append(package_id)

    def candidates(self, kind: str, capability: str) -> list[int]:
        found = self._tables.get(kind, {}).get(hash(capability))
        if found is None:
            return []
        return [found] if isinstance(found, int) else found


def _reverse_index(ix: WorldIndex, world: World) -> ReverseIndex:
    index = ReverseIndex()
    for package in world.packages.values():
        relations = Relations(ix, world.seed, package)
        for rels in relations.per_binary.values():
            for kind, rows in rels.items():
                index.add(kind, rows, package.id)
        index.add("src:requires", relations.build_requires, package.id)
    return index
