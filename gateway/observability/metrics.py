"""The Prometheus metrics of one gateway process, in a registry of its own.

Each app makes its own :class:`Metrics` (tests make many apps in one process, and two
registrations of one name in a registry are an error), and serves it at ``GET /metrics``
(:func:`metrics_endpoint`) in the text format Prometheus asks for, or OpenMetrics.

Measured as things happen:

- ``fedora_gateway_http_request_duration_seconds{method, route, operation, status}``:
  every HTTP request; ``route`` is the route's template (never the raw path),
  ``operation`` the GraphQL operation type (``none`` off ``/graphql``);
- ``fedora_gateway_graphql_errors_total{code}``: errors in answers, by ``extensions.code``;
- ``fedora_gateway_field_cache_reads_total{result}``: ``hit``, ``miss``, ``stale``, as
  each answer's ``extensions.cache`` reports them;
- ``fedora_gateway_upstream_request_duration_seconds{upstream, method, outcome}`` and
  ``fedora_gateway_upstream_errors_total{upstream, kind}``: every attempt at an upstream
  request (:class:`clients.endpoint.Exchange`);
- the bus, when a worker runs in the process (:class:`~gateway.observability.bus.BusMetrics`);
- the upstreams' circuit breakers, read at the scrape
  (:class:`~gateway.observability.circuits.CircuitCollector`).

Read when scraped: :mod:`gateway.observability.collectors`, and the process's own
(``process_*``, ``python_*``).

Labels are bounded: operation names, packages and documents never become labels, and
error codes past the first :data:`MAX_CODES` distinct ones are counted as ``OTHER``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from clients import UpstreamBadResponse, UpstreamError, Upstreams
from clients.endpoint import Exchange
from gateway.observability.bus import BusMetrics
from gateway.observability.circuits import CircuitCollector
from gateway.observability.requests import RequestRecord

__all__ = ["MAX_CODES", "Metrics", "metrics_endpoint"]

#: Distinct ``extensions.code`` values counted by name; the rest are ``OTHER``.
MAX_CODES = 32

_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

#: Seconds: from a replayed answer (well under a millisecond) to a cold page on a slow day.
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """The metrics of one gateway process; see the module documentation."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.requests = Histogram(
            "fedora_gateway_http_request_duration_seconds",
            "HTTP requests by method, route template, GraphQL operation type and status.",
            ["method", "route", "operation", "status"],
            buckets=_REQUEST_BUCKETS,
            registry=r,
        )
        self.graphql_errors = Counter(
            "fedora_gateway_graphql_errors_total",
            "Errors in GraphQL answers over HTTP, by extensions.code.",
            ["code"],
            registry=r,
        )
        self.field_cache_reads = Counter(
            "fedora_gateway_field_cache_reads_total",
            "Field-cache reads of GraphQL operations over HTTP: hit, miss or stale (served old).",
            ["result"],
            registry=r,
        )
        self.upstream_requests = Histogram(
            "fedora_gateway_upstream_request_duration_seconds",
            "Attempts at upstream requests (each retry is one), by outcome: the status class "
            "of the answer, or the kind of failure.",
            ["upstream", "method", "outcome"],
            buckets=_UPSTREAM_BUCKETS,
            registry=r,
        )
        self.upstream_errors = Counter(
            "fedora_gateway_upstream_errors_total",
            "Failed attempts at upstream requests: timeout, connection, throttled, "
            "server_error, bad_response or error.",
            ["upstream", "kind"],
            registry=r,
        )
        self.bus = BusMetrics(r)
        self._codes: set[str] = set()
        self._watched: Upstreams | None = None
        r.register(CircuitCollector(lambda: self._watched))
        if process:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
            GCCollector(registry=r)

    def request(
        self,
        *,
        method: str,
        route: str | None,
        status: int,
        seconds: float,
        record: RequestRecord,
    ) -> None:
        """Count one HTTP request, and what its GraphQL answer said."""
        operation = (record.operation_type or "unknown") if record.graphql else "none"
        self.requests.labels(
            method if method in _METHODS else "other",
            route or "unmatched",
            operation,
            str(status),
        ).observe(seconds)
        for code in record.error_codes:
            self.graphql_errors.labels(self._code(code)).inc()
        cache = record.cache
        if cache:
            for result, name in (("hit", "hits"), ("miss", "misses"), ("stale", "stale")):
                if cache.get(name):
                    self.field_cache_reads.labels(result).inc(cache[name])

    def upstream(self, exchange: Exchange) -> None:
        """An :data:`clients.endpoint.Observer`: count one attempt at an upstream request."""
        error = exchange.error
        if error is None:
            status = exchange.status or 0
            outcome = f"{status // 100}xx"
        else:
            outcome = _failure(error)
            self.upstream_errors.labels(exchange.upstream, outcome).inc()
        self.upstream_requests.labels(exchange.upstream, exchange.method, outcome).observe(
            exchange.seconds
        )

    def watch_upstreams(self, upstreams: Upstreams) -> None:
        """Count every attempt of the five clients of ``upstreams``; report their breakers."""
        self._watched = upstreams
        for client in (
            upstreams.koji,
            upstreams.mdapi,
            upstreams.bodhi,
            upstreams.bugzilla,
            upstreams.pagure,
        ):
            client.endpoint.observer = self.upstream

    def _code(self, code: str | None) -> str:
        if code is None:
            return "NONE"
        if code in self._codes:
            return code
        if not _CODE.fullmatch(code) or len(self._codes) >= MAX_CODES:
            return "OTHER"
        self._codes.add(code)
        return code


def _failure(error: UpstreamError) -> str:
    """The kind of a failed attempt, from a small fixed set."""
    cause = error.__cause__
    if isinstance(cause, httpx.TimeoutException):
        return "timeout"
    if isinstance(cause, httpx.TransportError):
        return "connection"
    if isinstance(error, UpstreamBadResponse):
        return "bad_response"
    if error.status == 429:
        return "throttled"
    if error.status is not None and error.status >= 500:
        return "server_error"
    return "error"


def metrics_endpoint(registry: CollectorRegistry) -> Callable[[Request], Awaitable[Response]]:
    """``GET /metrics``: the registry in the format the scraper accepts."""

    async def metrics(request: Request) -> Response:
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(registry), headers={"content-type": content_type})

    return metrics
