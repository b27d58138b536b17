"""``RootExports``: every hub call, one class per concept, and the version calls."""

# The method names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802

from __future__ import annotations

from simulator.upstreams.koji.builds import BuildCalls
from simulator.upstreams.koji.packages import PackageCalls
from simulator.upstreams.koji.rpms import RPMCalls
from simulator.upstreams.koji.tagged import TaggedCalls
from simulator.upstreams.koji.tags import TagCalls
from simulator.upstreams.koji.tasks import TaskCalls
from simulator.upstreams.koji.users import UserCalls

__all__ = ["API_VERSION", "KOJI_VERSION", "RootExports"]

#: What ``getKojiVersion`` and the ``Koji-Version`` header report.
KOJI_VERSION = "1.35.3"
#: ``koji.API_VERSION``.
API_VERSION = 1


class RootExports(PackageCalls, BuildCalls, RPMCalls, TaggedCalls, TagCalls, TaskCalls, UserCalls):
    """The hub calls, with koji's names, signatures, results and errors."""

    def getAPIVersion(self) -> int:
        return API_VERSION

    def getKojiVersion(self) -> str:
        return KOJI_VERSION
