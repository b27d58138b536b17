"""The HTTP rules every client shares: retries, backoff, ``Retry-After`` and error mapping."""

from __future__ import annotations

import email.utils
import logging
import time

import httpx
import pytest

from clients import (
    RetryPolicy,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamUnavailable,
)
from clients.endpoint import Endpoint, segment
from clients.retry import parse_retry_after
from tests.clients.fakes import Handler, Waits, json_response, mock_http

URL = "https://upstream.example.org/api"


def endpoint(handler: Handler, retry: RetryPolicy) -> Endpoint:
    return Endpoint(mock_http(handler), URL, upstream="example", retry=retry)


def answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler giving ``responses`` in turn (raising the exceptions), and its requests."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


async def test_a_500_then_a_200_is_a_retried_success(retry: RetryPolicy, waits: Waits) -> None:
    handler, seen = answers(httpx.Response(500, text="oops"), json_response({"ok": True}))
    assert await endpoint(handler, retry).get_json("/thing") == {"ok": True}
    assert len(seen) == 2
    assert len(waits) == 1
    assert 0 <= waits[0] <= retry.backoff_s


async def test_a_429_waits_as_long_as_retry_after_says(retry: RetryPolicy, waits: Waits) -> None:
    handler, seen = answers(
        httpx.Response(429, headers={"Retry-After": "2"}), json_response({"ok": True})
    )
    assert await endpoint(handler, retry).get_json("/thing") == {"ok": True}
    assert len(seen) == 2
    assert waits == [2.0]


async def test_a_long_retry_after_is_capped(retry: RetryPolicy, waits: Waits) -> None:
    handler, _ = answers(
        httpx.Response(429, headers={"Retry-After": "3600"}), json_response({"ok": True})
    )
    await endpoint(handler, retry).get_json("/thing")
    assert waits == [retry.max_retry_after_s]


async def test_a_persistent_503_is_unavailable_after_the_budget(
    retry: RetryPolicy, waits: Waits, caplog: pytest.LogCaptureFixture
) -> None:
    handler, seen = answers(httpx.Response(503, text="maintenance"))
    with (
        caplog.at_level(logging.WARNING, logger="clients.retry"),
        pytest.raises(UpstreamUnavailable) as caught,
    ):
        await endpoint(handler, retry).get_json("/thing")
    assert len(seen) == retry.attempts == 3
    assert len(waits) == 2
    # full jitter: each wait lies in a window that doubles, up to the cap
    assert 0 <= waits[0] <= 0.1
    assert 0 <= waits[1] <= 0.2
    assert caught.value.status == 503
    assert caught.value.upstream == "example"
    assert caught.value.url == f"{URL}/thing"
    assert "attempt 1 failed" in caplog.text


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
    ],
    ids=["connect", "timeout", "protocol"],
)
async def test_transport_failures_are_retried_then_unavailable(
    failure: Exception, retry: RetryPolicy
) -> None:
    handler, seen = answers(failure)
    with pytest.raises(UpstreamUnavailable):
        await endpoint(handler, retry).get_json("/thing")
    assert len(seen) == 3


async def test_a_connect_error_then_success(retry: RetryPolicy) -> None:
    handler, seen = answers(httpx.ConnectError("refused"), json_response([1, 2]))
    assert await endpoint(handler, retry).get_json("/thing") == [1, 2]
    assert len(seen) == 2


async def test_calls_that_are_not_idempotent_are_tried_once(retry: RetryPolicy) -> None:
    handler, seen = answers(httpx.Response(502))
    with pytest.raises(UpstreamUnavailable):
        await endpoint(handler, retry).send("POST", "/write", idempotent=False)
    assert len(seen) == 1


async def test_a_deadline_stops_retrying(waits: Waits) -> None:
    handler, seen = answers(httpx.Response(500))
    policy = RetryPolicy(attempts=10, deadline_s=0.0, sleep=waits)
    with pytest.raises(UpstreamUnavailable):
        await endpoint(handler, policy).get_json("/thing")
    assert len(seen) == 1


async def test_404_is_not_found_and_not_retried(retry: RetryPolicy) -> None:
    handler, seen = answers(httpx.Response(404, text="404: Not Found"))
    with pytest.raises(UpstreamNotFound) as caught:
        await endpoint(handler, retry).get_json("/missing")
    assert len(seen) == 1
    assert caught.value.status == 404


async def test_other_client_errors_are_upstream_errors(retry: RetryPolicy) -> None:
    handler, seen = answers(httpx.Response(403, text="forbidden"))
    with pytest.raises(UpstreamError) as caught:
        await endpoint(handler, retry).get_json("/secret")
    assert type(caught.value) is UpstreamError
    assert caught.value.status == 403
    assert "forbidden" in str(caught.value)
    assert len(seen) == 1


async def test_a_body_that_is_not_json_is_a_bad_response(retry: RetryPolicy) -> None:
    handler, seen = answers(httpx.Response(200, text='{"updates": [{"alias": "FEDORA-'))
    with pytest.raises(UpstreamBadResponse):
        await endpoint(handler, retry).get_json("/thing")
    assert len(seen) == 1


async def test_urls_are_under_the_base_and_quoted() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return json_response({})

    point = Endpoint(mock_http(handler), URL + "/", upstream="example")
    await point.get_json(f"/pkg/{segment('gtk+')}", params=[("a", "1"), ("a", "2")])
    assert seen == [f"{URL}/pkg/gtk%2B?a=1&a=2"]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = time.time()
    later = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(30, abs=1)
    earlier = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


def test_a_retry_policy_needs_an_attempt() -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        RetryPolicy(attempts=0)
    assert RetryPolicy.none().attempts == 1
