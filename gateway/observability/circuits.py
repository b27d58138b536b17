"""The upstreams' circuit breakers as metrics, read when Prometheus scrapes.

- ``fedora_gateway_upstream_circuit_state{upstream, state}``: 1 for the breaker's state
  (``closed``, ``half_open``, ``open``), 0 for the others;
- ``fedora_gateway_upstream_circuit_opened_total{upstream}``: times it opened;
- ``fedora_gateway_upstream_circuit_rejected_total{upstream}``: calls it refused (each
  failed fast with ``CircuitOpen`` instead of asking the upstream).

Clients without a breaker (``GATEWAY_BREAKER=false``) report nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from clients import Upstreams
from clients.breaker import CircuitState

__all__ = ["CircuitCollector"]


class CircuitCollector(Collector):
    """The breakers of the upstreams ``watched`` returns (nothing while it returns ``None``)."""

    def __init__(self, watched: Callable[[], Upstreams | None]) -> None:
        self.watched = watched

    def collect(self) -> Iterable[Metric]:
        upstreams = self.watched()
        if upstreams is None:
            return
        breakers = [e.breaker for e in upstreams.endpoints() if e.breaker is not None]
        if not breakers:
            return
        states = GaugeMetricFamily(
            "fedora_gateway_upstream_circuit_state",
            "1 for the state of an upstream's circuit breaker: closed (calls go through), "
            "open (calls fail fast) or half_open (one probe goes through).",
            labels=["upstream", "state"],
        )
        opened = CounterMetricFamily(
            "fedora_gateway_upstream_circuit_opened",
            "Times an upstream's circuit breaker opened.",
            labels=["upstream"],
        )
        rejected = CounterMetricFamily(
            "fedora_gateway_upstream_circuit_rejected",
            "Calls an open circuit breaker refused without asking the upstream.",
            labels=["upstream"],
        )
        for breaker in breakers:
            current = breaker.state
            for state in CircuitState:
                states.add_metric([breaker.upstream, state.value], 1.0 if state is current else 0.0)
            opened.add_metric([breaker.upstream], breaker.opened)
            rejected.add_metric([breaker.upstream], breaker.rejected)
        yield states
        yield opened
        yield rejected
