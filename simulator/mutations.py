"""Mutations of the simulated world (being written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.bus import Publisher
from simulator.world import World

KINDS = ("build", "build_failed", "update", "bug", "owner", "repo")


class UnknownPackageError(ValueError):
    pass


@dataclass
class MutationResult:
    kind: str
    package: str
    changed: dict[str, Any] = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, "package": self.package, "changed": self.changed,
                "message_ids": self.message_ids, "topics": self.topics}


class Mutator:
    def __init__(self, world: World, bus: Publisher) -> None:
        self.world = world
        self.bus = bus

    async def apply(self, kind: str, package: str) -> MutationResult:
        raise NotImplementedError
