"""Request counts per simulated upstream and operation, for ``GET /_sim/stats``.

Tests and benchmarks read these counts to prove batching: a GraphQL page that
costs koji one multicall shows ``{"koji": {"requests": 1, "operations":
{"multiCall": 1}}}`` here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class UpstreamCounts:
    requests: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)


class Stats:
    def __init__(self) -> None:
        self._counts: dict[str, UpstreamCounts] = {}

    def record(self, upstream: str, operation: str) -> None:
        counts = self._counts.setdefault(upstream, UpstreamCounts())
        counts.requests += 1
        counts.operations[operation] += 1

    def record_fault(self, upstream: str, fault: str) -> None:
        self._counts.setdefault(upstream, UpstreamCounts()).faults[fault] += 1

    def requests(self, upstream: str) -> int:
        counts = self._counts.get(upstream)
        return counts.requests if counts else 0

    def reset(self) -> None:
        self._counts.clear()

    def snapshot(self) -> dict[str, dict[str, object]]:
        return {
            name: {
                "requests": counts.requests,
                "operations": dict(sorted(counts.operations.items())),
                "faults": dict(sorted(counts.faults.items())),
            }
            for name, counts in sorted(self._counts.items())
        }
