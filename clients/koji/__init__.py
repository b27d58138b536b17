"""koji, the build system: its client, its calls and its records.

Import the package and use its nouns: ``from clients import koji`` then
``koji.KojiClient``, ``koji.Build``, ``koji.calls.get_build(1)``.
"""

from __future__ import annotations

from clients.errors import KojiFault
from clients.koji import calls
from clients.koji.calls import Call
from clients.koji.client import KOJI_URL, KojiClient
from clients.koji.models import (
    RPM,
    Build,
    BuildState,
    Package,
    Tag,
    TaggedBuild,
    TagPackage,
    Task,
    TaskState,
    User,
)

__all__ = [
    "KOJI_URL",
    "RPM",
    "Build",
    "BuildState",
    "Call",
    "KojiClient",
    "KojiFault",
    "Package",
    "Tag",
    "TagPackage",
    "TaggedBuild",
    "Task",
    "TaskState",
    "User",
    "calls",
]
