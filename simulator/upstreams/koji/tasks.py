"""The task calls: ``getTaskInfo`` and ``getTaskChildren``, one build task each."""

# The method names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802

from __future__ import annotations

from typing import Any

from simulator.upstreams.koji.codec import Row, as_int
from simulator.upstreams.koji.lookups import Lookups

__all__ = ["TaskCalls"]


class TaskCalls(Lookups):
    """``getTaskInfo`` and ``getTaskChildren``."""

    def getTaskInfo(self, task_id: Any, request: bool = False, strict: bool = False) -> Any:
        if isinstance(task_id, list | tuple):
            return [self._task(as_int(one), request, strict=False) for one in task_id]
        return self._task(as_int(task_id), request, strict=strict)

    def getTaskChildren(
        self,
        task_id: Any,
        request: bool = False,
        strict: bool = False,
    ) -> list[Row]:
        self._task(as_int(task_id), request, strict=strict)
        return []  # the buildSRPMFromSCM/buildArch/tagBuild subtasks are not simulated
