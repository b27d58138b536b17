"""Latency and faults per simulated upstream.

A :class:`FaultPlan` says, for one upstream, how long it takes to answer (fixed, or
a log-normal distribution given by its median and 99th percentile) and how often it
misbehaves: HTTP 500s, 429s with ``Retry-After``, requests that hang until the
client gives up, bodies that are not what the content type promises. The named
``fedora`` profile resembles what the real services answer from Europe and North
America (see the README for the figures and where they come from).
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Fault = Literal["error", "throttle", "timeout", "malformed"]

UPSTREAMS = ("koji", "mdapi", "bodhi", "bugzilla", "pagure")


@dataclass(slots=True)
class FaultPlan:
    """How one upstream behaves. Rates are probabilities per request, checked in order."""

    latency_ms: float = 0.0  # the median when ``p99_ms`` is set, else a fixed latency
    p99_ms: float | None = None
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    timeout_rate: float = 0.0
    malformed_rate: float = 0.0
    timeout_s: float = 30.0  # how long a "timeout" request hangs before it is dropped
    retry_after_s: int = 1

    def delay(self, rng: random.Random) -> float:
        """Seconds to wait before answering."""
        if self.latency_ms <= 0:
            return 0.0
        if self.p99_ms is None or self.p99_ms <= self.latency_ms:
            return self.latency_ms / 1000
        # log-normal with the given median and 99th percentile (z(0.99) = 2.3263)
        sigma = math.log(self.p99_ms / self.latency_ms) / 2.3263
        return rng.lognormvariate(math.log(self.latency_ms), sigma) / 1000

    def fault(self, rng: random.Random) -> Fault | None:
        roll = rng.random()
        for rate, fault in (
            (self.error_rate, "error"),
            (self.throttle_rate, "throttle"),
            (self.timeout_rate, "timeout"),
            (self.malformed_rate, "malformed"),
        ):
            if roll < rate:
                return fault  # type: ignore[return-value]
            roll -= rate
        return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultPlan:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        plan = cls(**data)
        for name in ("error_rate", "throttle_rate", "timeout_rate", "malformed_rate"):
            value = getattr(plan, name)
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1")
        if not isinstance(plan.latency_ms, int | float) or plan.latency_ms < 0:
            raise ValueError("latency_ms must be a non-negative number")
        return plan


#: Figures observed from the real services (median, p99, milliseconds) for the calls
#: a package page makes; see the README's "Simulated latency" section.
PROFILES: dict[str, dict[str, FaultPlan]] = {
    "none": {name: FaultPlan() for name in UPSTREAMS},
    "fedora": {
        "koji": FaultPlan(latency_ms=180, p99_ms=900),
        "mdapi": FaultPlan(latency_ms=120, p99_ms=600),
        "bodhi": FaultPlan(latency_ms=350, p99_ms=2500),
        "bugzilla": FaultPlan(latency_ms=700, p99_ms=4000),
        "pagure": FaultPlan(latency_ms=150, p99_ms=800),
    },
    "fast": {name: FaultPlan(latency_ms=5, p99_ms=20) for name in UPSTREAMS},
}


@dataclass(slots=True)
class Faults:
    """The live fault plans of every upstream, changed by ``POST /_sim/faults``."""

    plans: dict[str, FaultPlan] = field(default_factory=lambda: dict(PROFILES["none"]))
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def plan(self, upstream: str) -> FaultPlan:
        return self.plans.get(upstream) or FaultPlan()

    def use_profile(self, name: str) -> None:
        if name not in PROFILES:
            raise ValueError(f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}")
        self.plans = {
            upstream: FaultPlan(**asdict(plan)) for upstream, plan in PROFILES[name].items()
        }

    def update(self, settings: dict[str, Any]) -> None:
        """Apply ``{"profile": name}`` and/or ``{"<upstream>": {plan fields}}``; all or nothing."""
        plans = {name: FaultPlan(**asdict(plan)) for name, plan in self.plans.items()}
        if "profile" in settings:
            profile = settings["profile"]
            if profile not in PROFILES:
                raise ValueError(
                    f"unknown profile {profile!r}; known: {', '.join(sorted(PROFILES))}"
                )
            plans = {n: FaultPlan(**asdict(p)) for n, p in PROFILES[profile].items()}
        for upstream, data in settings.items():
            if upstream == "profile":
                continue
            if upstream not in UPSTREAMS:
                raise ValueError(f"unknown upstream {upstream!r}; known: {', '.join(UPSTREAMS)}")
            if not isinstance(data, dict):
                raise ValueError(f"settings for {upstream} must be an object")
            plans[upstream] = FaultPlan.from_json(data)
        self.plans = plans

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: plan.to_json() for name, plan in sorted(self.plans.items())}
