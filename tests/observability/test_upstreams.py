"""The endpoint's observer sees every attempt; the metrics sort them by outcome."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from prometheus_client import generate_latest

from clients import RetryPolicy, UpstreamUnavailable
from clients.endpoint import Endpoint, Exchange
from gateway.observability.metrics import Metrics
from tests.observability.conftest import sample

NO_WAIT = RetryPolicy(attempts=2, backoff_s=0, max_backoff_s=0)


def _endpoint(
    handler: Callable[[httpx.Request], httpx.Response], observer: Callable[[Exchange], None]
) -> tuple[Endpoint, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    endpoint = Endpoint(
        http, "http://bodhi.test", upstream="bodhi", retry=NO_WAIT, observer=observer
    )
    return endpoint, http


async def test_every_attempt_is_observed() -> None:
    seen: list[Exchange] = []
    statuses = iter([503, 200, 404])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(statuses), json={})

    endpoint, http = _endpoint(handler, seen.append)
    async with http:
        assert (await endpoint.send("GET", "/updates/")).status_code == 200  # after one retry
        assert (await endpoint.send("GET", "/updates/x")).status_code == 404
    assert [(e.upstream, e.method, e.status) for e in seen] == [
        ("bodhi", "GET", 503),
        ("bodhi", "GET", 200),
        ("bodhi", "GET", 404),
    ]
    assert isinstance(seen[0].error, UpstreamUnavailable)
    assert seen[1].error is None
    assert all(e.seconds >= 0 for e in seen)


async def test_a_failing_observer_does_not_fail_the_request() -> None:
    def broken(exchange: Exchange) -> None:
        raise RuntimeError("observer bug")

    endpoint, http = _endpoint(lambda request: httpx.Response(200, json={}), broken)
    async with http:
        assert (await endpoint.send("GET", "/")).status_code == 200


async def test_failures_are_counted_by_kind() -> None:
    metrics = Metrics(process=False)
    failures: list[Exception | int] = [
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        429,
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        failure = failures.pop(0) if failures else 200
        if isinstance(failure, Exception):
            raise failure
        return httpx.Response(failure, json={})

    endpoint, http = _endpoint(handler, metrics.upstream)
    async with http:
        with pytest.raises(UpstreamUnavailable):
            await endpoint.send("GET", "/")  # a timeout, then a refused connection
        assert (await endpoint.send("GET", "/")).status_code == 200  # 429, then fine
    text = generate_latest(metrics.registry).decode()
    errors = "fedora_gateway_upstream_errors_total"
    assert sample(text, errors, upstream="bodhi", kind="timeout") == 1
    assert sample(text, errors, upstream="bodhi", kind="connection") == 1
    assert sample(text, errors, upstream="bodhi", kind="throttled") == 1
    latency = "fedora_gateway_upstream_request_duration_seconds_count"
    assert sample(text, latency, upstream="bodhi", method="GET", outcome="2xx") == 1
    assert sample(text, latency, upstream="bodhi") == 4
