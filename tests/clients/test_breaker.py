"""The circuit breaker: when it opens, what it refuses, how one probe closes it, and how an
endpoint reports every attempt to it (a dead upstream fails fast, without a request)."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel

from clients import (
    BreakerPolicy,
    CircuitBreaker,
    CircuitOpen,
    KojiFault,
    RetryPolicy,
    UpstreamBadResponse,
    UpstreamNotFound,
    Upstreams,
    UpstreamUnavailable,
)
from clients.breaker import CircuitState
from clients.endpoint import Endpoint
from clients.koji import calls
from clients.koji.client import KojiClient
from tests.clients.fakes import Waits, json_response

URL = "https://upstream.example.org/api"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def down(retry_after: float | None = None, status: int = 503) -> UpstreamUnavailable:
    return UpstreamUnavailable(
        "HTTP 503", upstream="example", status=status, retry_after=retry_after
    )


def breaker(clock: Clock, **policy: float) -> CircuitBreaker:
    defaults: dict[str, float] = {"failures": 3, "window": 10, "cooldown_s": 5.0}
    return CircuitBreaker("example", BreakerPolicy(**{**defaults, **policy}), clock=clock)  # type: ignore[arg-type]


def test_failures_in_a_row_open_it_and_it_refuses_until_the_cooldown() -> None:
    clock = Clock()
    circuit = breaker(clock)
    for _ in range(2):
        assert circuit.admit() is False
        circuit.failed(down())
    assert circuit.state is CircuitState.CLOSED
    circuit.admit()
    circuit.failed(down())
    assert circuit.state is CircuitState.OPEN
    assert circuit.opened == 1
    with pytest.raises(CircuitOpen) as refused:
        circuit.admit()
    assert refused.value.retry_after == pytest.approx(5.0)
    assert "3 failures in a row" in str(refused.value)
    assert circuit.rejected == 1
    clock.now += 4.9
    with pytest.raises(CircuitOpen):
        circuit.admit()


def test_a_success_resets_the_count_in_a_row() -> None:
    circuit = breaker(Clock(), failure_ratio=1.0)
    for _ in range(5):
        circuit.admit()
        circuit.failed(down())
        circuit.admit()
        circuit.failed(down())
        circuit.admit()
        circuit.succeeded()
    assert circuit.state is CircuitState.CLOSED


def test_the_failure_ratio_over_the_window_opens_it() -> None:
    circuit = breaker(Clock(), failures=100, window=10, failure_ratio=0.5)
    for index in range(9):
        circuit.admit()
        if index % 2:
            circuit.failed(down())  # 1, 3, 5, 7
        else:
            circuit.succeeded()
    assert circuit.state is CircuitState.CLOSED  # the window is not full yet
    circuit.admit()
    circuit.failed(down())  # 5 failures of the last 10
    assert circuit.state is CircuitState.OPEN
    assert "50% of the last 10" in circuit.reason


def test_one_probe_after_the_cooldown_and_its_success_closes_it() -> None:
    clock = Clock()
    circuit = breaker(clock)
    for _ in range(3):
        circuit.admit()
        circuit.failed(down())
    clock.now += 5.0
    assert circuit.state is CircuitState.HALF_OPEN
    assert circuit.admit() is True  # the probe
    with pytest.raises(CircuitOpen) as refused:
        circuit.admit()  # only one at a time
    assert refused.value.retry_after is None
    circuit.succeeded(probe=True)
    assert circuit.state is CircuitState.CLOSED
    assert circuit.admit() is False


def test_a_failed_probe_opens_it_again_and_an_abandoned_one_frees_its_place() -> None:
    clock = Clock()
    circuit = breaker(clock)
    for _ in range(3):
        circuit.admit()
        circuit.failed(down())
    clock.now += 5.0
    probe = circuit.admit()
    circuit.abandon(probe=probe)  # cancelled: the next call probes
    probe = circuit.admit()
    assert probe is True
    circuit.failed(down(), probe=probe)
    assert circuit.state is CircuitState.OPEN
    assert circuit.opened == 1  # still the same outage
    assert circuit.remaining_s == pytest.approx(5.0)


def test_retry_after_opens_it_at_once_for_that_long_capped() -> None:
    clock = Clock()
    circuit = breaker(clock, max_retry_after_s=60.0)
    circuit.admit()
    circuit.failed(down(retry_after=30, status=429))
    assert circuit.state is CircuitState.OPEN
    assert circuit.remaining_s == pytest.approx(30.0)
    clock.now += 29.9
    with pytest.raises(CircuitOpen):
        circuit.admit()
    clock.now += 0.1
    assert circuit.admit() is True
    circuit.succeeded(probe=True)
    circuit.admit()
    circuit.failed(down(retry_after=3600, status=429))
    assert circuit.remaining_s == pytest.approx(60.0)


def test_late_outcomes_of_calls_let_through_before_it_opened_are_ignored() -> None:
    clock = Clock()
    circuit = breaker(clock)
    admitted = [circuit.admit() for _ in range(5)]
    for probe in admitted[:3]:
        circuit.failed(down(), probe=probe)
    assert circuit.state is CircuitState.OPEN
    circuit.succeeded(probe=admitted[3])  # a late answer does not close it
    circuit.failed(down(), probe=admitted[4])  # nor does a late failure prolong it
    assert circuit.state is CircuitState.OPEN
    assert circuit.remaining_s == pytest.approx(5.0)


# -- through an endpoint ------------------------------------------------------------------


class Thing(BaseModel):
    ok: bool


def guarded(handler: httpx.MockTransport, clock: Clock, waits: Waits, **policy: float) -> Endpoint:
    retry = RetryPolicy(attempts=3, backoff_s=0.1, max_backoff_s=1.0, sleep=waits)
    http = httpx.AsyncClient(transport=handler)
    return Endpoint(http, URL, upstream="example", retry=retry, breaker=breaker(clock, **policy))


def counting(*answers: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1]

    return httpx.MockTransport(handler), seen


async def test_a_dead_upstream_fails_fast_without_a_request() -> None:
    clock, waits = Clock(), Waits()
    transport, seen = counting(httpx.Response(503))
    endpoint = guarded(transport, clock, waits)
    with pytest.raises(CircuitOpen) as first:
        await endpoint.get_json("/a")
    assert isinstance(first.value.__cause__, UpstreamUnavailable)
    assert first.value.status == 503
    assert len(seen) == 3  # three attempts, three failures in a row: open
    with pytest.raises(CircuitOpen):
        await endpoint.get_json("/b")
    assert len(seen) == 3  # refused without asking, and not retried
    assert len(waits) == 2


async def test_the_probe_after_the_cooldown_closes_it_when_the_upstream_is_back() -> None:
    clock, waits = Clock(), Waits()
    transport, _ = counting(*[httpx.Response(503)] * 3, json_response({"ok": True}))
    endpoint = guarded(transport, clock, waits)
    with pytest.raises(UpstreamUnavailable):
        await endpoint.get_json("/a")
    clock.now += 5.0
    assert await endpoint.get_json("/a") == {"ok": True}
    assert endpoint.breaker is not None
    assert endpoint.breaker.state is CircuitState.CLOSED


async def test_a_429_with_retry_after_is_not_followed_by_a_request_before_it() -> None:
    clock, waits = Clock(), Waits()
    transport, seen = counting(httpx.Response(429, headers={"Retry-After": "2"}))
    endpoint = guarded(transport, clock, waits)
    with pytest.raises(CircuitOpen) as refused:
        await endpoint.get_json("/a")
    # the circuit is open for the 2 s the upstream asked: no retry waits for them, and the
    # caller fails fast (a stale value, or UPSTREAM_UNAVAILABLE)
    assert len(seen) == 1
    assert waits == []
    assert refused.value.status == 429
    assert refused.value.retry_after == pytest.approx(2.0)
    with pytest.raises(CircuitOpen):
        await endpoint.get_json("/a")
    assert len(seen) == 1
    clock.now += 2.0
    with pytest.raises(CircuitOpen):  # the probe, throttled again
        await endpoint.get_json("/a")
    assert len(seen) == 2


async def test_garbage_counts_as_failures_and_answers_as_successes() -> None:
    clock, waits = Clock(), Waits()
    transport, seen = counting(httpx.Response(200, text='{"updates": [{"alias": "FEDORA-'))
    endpoint = guarded(transport, clock, waits)
    for _ in range(3):
        with pytest.raises(UpstreamBadResponse):
            endpoint.json(await endpoint.send("GET", "/a"))
    with pytest.raises(CircuitOpen):
        await endpoint.send("GET", "/a")
    assert len(seen) == 3

    fine, _ = counting(json_response({"ok": True}), httpx.Response(404), json_response({}))
    endpoint = guarded(fine, clock, waits)
    assert endpoint.decode(Thing, endpoint.json(r := await endpoint.send("GET", "/a")), r).ok
    with pytest.raises(UpstreamNotFound):
        endpoint.check(await endpoint.send("GET", "/missing"))
    with pytest.raises(UpstreamBadResponse):  # a shape error after a readable answer
        endpoint.decode(Thing, endpoint.json(r := await endpoint.send("GET", "/a")), r)
    assert endpoint.breaker is not None
    assert endpoint.breaker.state is CircuitState.CLOSED


async def test_a_koji_fault_is_an_answer_and_a_truncated_one_a_failure() -> None:
    fault = (
        b"<?xml version='1.0'?><methodResponse><fault><value><struct>"
        b"<member><name>faultCode</name><value><int>1000</int></value></member>"
        b"<member><name>faultString</name><value><string>no</string></value></member>"
        b"</struct></value></fault></methodResponse>"
    )
    answers = [httpx.Response(200, content=fault)] * 4 + [
        httpx.Response(200, content=b"<?xml version='1.0'?><methodResponse><params>")
    ] * 3
    transport, seen = counting(*answers)
    http = httpx.AsyncClient(transport=transport)
    client = KojiClient(http, URL, retry=RetryPolicy.none())
    client.endpoint.breaker = breaker(Clock())
    for _ in range(4):
        with pytest.raises(KojiFault):
            await client.call(calls.get_build(1))
    for _ in range(3):
        with pytest.raises(UpstreamBadResponse):
            await client.call(calls.get_build(1))
    with pytest.raises(CircuitOpen):
        await client.call(calls.get_build(1))
    assert len(seen) == 7


async def test_the_settings_give_every_client_a_breaker_and_open_gives_none() -> None:
    async with Upstreams.open() as plain:
        assert all(endpoint.breaker is None for endpoint in plain.endpoints())
    policy = BreakerPolicy(failures=2)
    async with Upstreams.open(breaker=policy) as guarded_ones:
        breakers = [endpoint.breaker for endpoint in guarded_ones.endpoints()]
        assert [b.upstream for b in breakers if b] == [
            "koji",
            "mdapi",
            "bodhi",
            "bugzilla",
            "pagure",
        ]
        assert all(b is not None and b.policy is policy for b in breakers)
