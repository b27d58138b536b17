"""The worker's metrics: bus messages, their lag, refills; and its ``/metrics`` listener.

:meth:`BusMetrics.observe` wraps a :data:`~gateway.invalidation.delivery.Handler` and counts
each delivery by topic (one of the topics the rules read, else ``other``) and outcome
(``handled``, ``dropped``, ``retried``, ``failed``, ``cancelled``), its handling time, and
its lag: now minus the message's ``sent-at`` header, when it has one.
:meth:`BusMetrics.watch` exports the counters the invalidator and the consumer keep
(refilled and reconciled entries, events handled, ignored or malformed; connection state,
reconnections, dead letters), read when scraped.

The worker process (``fedora-gateway worker``) serves its registry over HTTP on
``GATEWAY_WORKER_METRICS_HOST``:``GATEWAY_WORKER_METRICS_PORT`` (:func:`serve_metrics`); a
worker inside a gateway counts into the gateway's own registry, served at its ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.invalidation import messages
from gateway.invalidation.consumer import BusConsumer
from gateway.invalidation.delivery import Delivery, Drop, Handler, Retry
from gateway.invalidation.worker import Invalidator

__all__ = ["BusMetrics", "serve_metrics"]

log = logging.getLogger(__name__)

#: Seconds between a message's publication and its handling: from the in-process bus's
#: milliseconds to a worker catching up after an hour away.
_LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
_HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _Consumer(Protocol):
    """What every consumer counts (:class:`BusConsumer`, the in-process ``LocalConsumer``)."""

    @property
    def received(self) -> int: ...


class BusMetrics:
    """Bus metrics in ``registry``; see the module documentation."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "fedora_gateway_bus_messages_total",
            "Bus deliveries handled by the worker, by topic and outcome.",
            ["topic", "outcome"],
            registry=registry,
        )
        self.lag = Histogram(
            "fedora_gateway_bus_lag_seconds",
            "Time from a message's sent-at header to the start of its handling.",
            buckets=_LAG_BUCKETS,
            registry=registry,
        )
        self.handling = Histogram(
            "fedora_gateway_bus_handle_duration_seconds",
            "Time to handle one delivery: invalidate, refill, index, publish the change.",
            buckets=_HANDLING_BUCKETS,
            registry=registry,
        )
        self._state = _WorkerState()
        registry.register(self._state)

    def observe(self, handler: Handler, *, prefix: str = messages.PROD_PREFIX) -> Handler:
        """``handler``, counted."""

        async def observed(delivery: Delivery) -> None:
            topic = messages.topic_of(delivery.routing_key, prefix)
            lag = _lag(delivery)
            if lag is not None:
                self.lag.observe(lag)
            outcome = "failed"
            started = time.perf_counter()
            try:
                await handler(delivery)
                outcome = "handled"
            except Drop:
                outcome = "dropped"
                raise
            except Retry:
                outcome = "retried"
                raise
            except asyncio.CancelledError:
                outcome = "cancelled"
                raise
            finally:
                self.handling.observe(time.perf_counter() - started)
                label = topic if topic in messages.TOPICS else "other"
                self.messages.labels(label, outcome).inc()

        return observed

    def watch(self, invalidator: Invalidator | None, consumer: _Consumer | None) -> None:
        """Export the counters of ``invalidator`` and ``consumer`` (``None``: stop)."""
        self._state.invalidator = invalidator
        self._state.consumer = consumer


class _WorkerState(Collector):
    """The invalidator's and the consumer's own counters, read at scrape time."""

    def __init__(self) -> None:
        self.invalidator: Invalidator | None = None
        self.consumer: _Consumer | None = None

    def collect(self) -> Iterable[Metric]:
        invalidator, consumer = self.invalidator, self.consumer
        if invalidator is not None:
            counts = invalidator.counts
            events = CounterMetricFamily(
                "fedora_gateway_bus_events",
                "Messages the invalidator decoded: handled (tags invalidated), ignored (no "
                "tags), malformed (dropped).",
                labels=["result"],
            )
            for result in ("handled", "ignored", "malformed"):
                events.add_metric([result], counts[result])
            yield events
            yield CounterMetricFamily(
                "fedora_gateway_refilled_entries",
                "Field-cache entries refilled after an invalidation.",
                value=counts["refilled"],
            )
            yield CounterMetricFamily(
                "fedora_gateway_reconciled_entries",
                "Live entries fetched again after a gap in the bus.",
                value=counts["reconciled"],
            )
            yield CounterMetricFamily(
                "fedora_gateway_refill_failures",
                "Messages whose refill an upstream failure left incomplete (retried).",
                value=counts["refill_failed"],
            )
        if consumer is not None:
            yield GaugeMetricFamily(
                "fedora_gateway_bus_connected",
                "1 while the worker consumes from the bus.",
                value=_connected(consumer),
            )
            yield CounterMetricFamily(
                "fedora_gateway_bus_deliveries",
                "Deliveries received from the bus, redeliveries included.",
                value=consumer.received,
            )
        if isinstance(consumer, BusConsumer):
            yield GaugeMetricFamily(
                "fedora_gateway_bus_in_flight", "Handlers running now.", value=consumer.in_flight
            )
            yield CounterMetricFamily(
                "fedora_gateway_bus_reconnects",
                "Reconnections to the broker.",
                value=consumer.reconnects,
            )
            yield CounterMetricFamily(
                "fedora_gateway_bus_dead_lettered",
                "Messages rejected after failing too often.",
                value=consumer.dead_lettered,
            )
            yield CounterMetricFamily(
                "fedora_gateway_bus_unsettled",
                "Acks, nacks or rejects that could not be sent (the broker redelivers).",
                value=consumer.unsettled,
            )


def _connected(consumer: _Consumer) -> float:
    if isinstance(consumer, BusConsumer):
        return 1.0 if consumer.connected.is_set() else 0.0
    return 1.0  # in process: connected while it exists


def _lag(delivery: Delivery) -> float | None:
    """Seconds since the message's ``sent-at`` header, when it has a readable one."""
    value = delivery.headers.get("sent-at")
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    try:
        sent = datetime.fromisoformat(value)
    except ValueError:
        return None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    return max((datetime.now(UTC) - sent).total_seconds(), 0.0)


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> WSGIServer | None:
    """Serve ``registry`` over HTTP in a thread (every path answers the metrics).

    ``None`` when ``port`` is 0, or when the port cannot be bound: the worker then runs on
    without its metrics, and says so in its log.
    """
    if not port:
        return None
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        log.error("cannot serve the worker's metrics on %s:%d: %s", host, port, error)
        return None
    log.info("worker metrics on http://%s:%d/metrics", host, port)
    return server
