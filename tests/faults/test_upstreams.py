"""One upstream (Bugzilla) failing in each way the simulator can fail: HTTP 500s, 429 with
``Retry-After``, requests hanging past the client's timeout, and malformed bodies.

Every page is still answered with HTTP 200: fields whose value was known are served that
value, marked stale (never an empty list), fields without one are null with a coded error
(``UPSTREAM_UNAVAILABLE``, ``UPSTREAM_BAD_RESPONSE``), the other upstreams' fields as
usual. The gateway's circuit breaker for Bugzilla opens (``/metrics``, ``/readyz``
degraded), after which a page no longer waits for Bugzilla at all; a 429's ``Retry-After``
is honoured to the letter: no request reaches Bugzilla before it. Once the fault ends,
the breaker's probe closes it and the event published during the fault is in the answers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.conftest import (
    System,
    all_handled,
    answered,
    busy,
    consistent,
    event,
    faults,
    page,
    readiness,
    truth,
    wait_until,
)

UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
BAD_RESPONSE = "UPSTREAM_BAD_RESPONSE"

#: fault plan of Bugzilla, and the codes its fields may fail with
FAULTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "500s": ({"error_rate": 1.0}, {UNAVAILABLE}),
    "429 with Retry-After": ({"throttle_rate": 1.0, "retry_after_s": 2}, {UNAVAILABLE}),
    "hanging past the timeout": ({"timeout_rate": 1.0, "timeout_s": 5}, {UNAVAILABLE}),
    "malformed bodies": ({"malformed_rate": 1.0}, {BAD_RESPONSE, UNAVAILABLE}),
}
#: Generous bounds: cool-down 1 s, upstream timeout 1 s, worker backoff 1 s.
OPEN_WITHIN_S = 20.0
RECOVERED_WITHIN_S = 20.0
#: A page while Bugzilla's circuit is open: nothing waits for Bugzilla.
FAST_S = 0.5


async def _circuit(http: httpx.AsyncClient, system: System) -> str:
    text = (await http.get(f"{system.gateway}/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "fedora_gateway_upstream_circuit_state"
                and sample.labels["upstream"] == "bugzilla"
                and sample.value == 1
            ):
                return sample.labels["state"]
    raise AssertionError("no circuit state for bugzilla in /metrics")


async def _bugzilla_requests(http: httpx.AsyncClient, system: System) -> int:
    stats = (await http.get(f"{system.simulator}/_sim/stats")).json()
    return int(stats.get("bugzilla", {}).get("requests", 0))


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_an_upstream_failing(system: System, fault: str) -> None:
    plan, codes = FAULTS[fault]
    index = list(FAULTS).index(fault)
    name = busy(system.world, skip=3 + index)  # read before the fault: its bugs are known
    cold = [busy(system.world, skip=10 + 2 * index + i) for i in range(2)]  # never read
    async with httpx.AsyncClient(timeout=60) as http:
        known = await truth(http, system, name)
        assert (await page(http, system.gateway, name))["data"]["package"] == known
        cold_known = {other: await truth(http, system, other) for other in cold}

        await faults(http, system, {"bugzilla": plan})
        try:
            # pages without a known value for their bugs: a coded error there, the rest served
            async def opened() -> bool:
                bodies = await asyncio.gather(*(page(http, system.gateway, o) for o in cold))
                for other, body in zip(cold, bodies, strict=True):
                    answered(body, cold_known[other], codes=codes)
                    assert body["data"]["package"]["bugs"] is None
                    assert body["data"]["package"]["builds"] == cold_known[other]["builds"]
                return await _circuit(http, system) == "open"

            took = await wait_until(
                opened, within=OPEN_WITHIN_S, check=system.check, what="the circuit opening"
            )
            system.record(f"bugzilla {fault}", "circuit open after", took)
            before = await _bugzilla_requests(http, system)
            started = time.monotonic()
            body = await page(http, system.gateway, cold[0])
            fast = time.monotonic() - started
            answered(body, cold_known[cold[0]], codes={UNAVAILABLE})
            assert fast < FAST_S, f"a page waited {fast:.2f} s for an open circuit"
            system.record(f"bugzilla {fault}", "page while the circuit is open", fast)
            if "Retry-After" in fault:  # not one request before the time it asked for
                assert await _bugzilla_requests(http, system) == before
            checks = (await readiness(http, system))["checks"]
            assert checks["upstreams"]["status"] == "degraded"
            assert "bugzilla" in checks["upstreams"]["detail"]

            # a page whose bugs were known: served the last known value, marked stale
            await event(http, system, "bug", name)

            async def stale() -> bool:
                body = await page(http, system.gateway, name)
                answered(body, known, codes=set())
                assert body["data"]["package"]["bugs"] == known["bugs"]
                return bool(body["extensions"]["cache"]["stale"])

            await wait_until(stale, within=OPEN_WITHIN_S, check=system.check, what="the stale bugs")
        finally:
            await faults(http, system, {"profile": "none"})
        ended = time.monotonic()

        async def recovered() -> bool:
            if not await consistent(http, system, name):
                return False
            for other in cold:
                body = await page(http, system.gateway, other)
                if "errors" in body:
                    return False
            return await _circuit(http, system) == "closed"

        await wait_until(
            recovered,
            within=RECOVERED_WITHIN_S,
            check=system.check,
            what="answers equal to the upstreams after the fault",
        )
        system.record(f"bugzilla {fault}", "recovered after", time.monotonic() - ended)
        await wait_until(
            lambda: all_handled(http, system),
            within=RECOVERED_WITHIN_S,
            check=system.check,
            what="the worker handling the event of the fault",
        )
        assert (await readiness(http, system))["checks"]["upstreams"]["status"] == "ok"
