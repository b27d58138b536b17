"""What a mutation reports: its result, a mass rebuild's, and the errors that refuse one.

Errors::

    ValueError
    ├── UnknownPackageError   no source package of that name
    ├── MutationError         the mutation cannot happen to this package
    └── InvalidOptionsError   the request's options are malformed

A mutation kind is a :data:`Life`: given the package and the result to fill in, it
returns the :data:`Stage` callables the mutator runs in order, each changing the
world and returning the messages that announce the change. The kinds that make, end
or describe a package (``package``, ``retire``, ``describe``) are each a :data:`Plan`
instead: it gets the name, which need not exist yet, and the request's options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.catalog.model import Build, Package
from simulator.messages import Message

__all__ = [
    "InvalidOptionsError",
    "Life",
    "MassRebuildResult",
    "MutationError",
    "MutationResult",
    "Plan",
    "Stage",
    "UnknownPackageError",
    "record_build",
]

#: One step of a mutation: change the world, return the messages that announce it.
Stage = Callable[[], list[Message]]
#: A mutation kind: the steps it takes for a package (planning may already change the world).
Life = Callable[[Package, "MutationResult"], list[Stage]]
#: A kind that reads the request's options: its steps for a name and those options.
Plan = Callable[[str, Mapping[str, Any], "MutationResult"], list[Stage]]


class UnknownPackageError(ValueError):
    """No source package of that name exists in the world."""


class MutationError(ValueError):
    """The mutation cannot happen to this package (e.g. it is retired)."""


class InvalidOptionsError(ValueError):
    """The request's options are malformed: an unknown key, a value of the wrong type."""


@dataclass
class MutationResult:
    """What one mutation changed, and the messages it published."""

    kind: str
    package: str
    changed: dict[str, Any] = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "package": self.package,
            "changed": self.changed,
            "message_ids": self.message_ids,
            "topics": self.topics,
        }


@dataclass
class MassRebuildResult:
    """A mass rebuild: how many builds and messages, and how long publishing took."""

    builds: int = 0
    messages: int = 0
    seconds: float = 0.0
    build_ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "mass_rebuild",
            "builds": self.builds,
            "messages": self.messages,
            "seconds": round(self.seconds, 3),
        }


def record_build(result: MutationResult, build: Build) -> None:
    """Note the new build in ``result.changed``: id, NVR, task and target."""
    result.changed.update(
        build_id=build.id, nvr=build.nvr, task_id=build.task_id, target=build.target
    )
