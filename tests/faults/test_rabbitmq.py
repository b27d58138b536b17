"""The broker stopped and started again under a running simulator, worker and gateway.

While the broker is down the gateway answers from its cache as before (it does not use the
broker), and the simulated world goes on mutating: its publisher holds the messages, in
order, instead of failing. When the broker is back, the publisher sends what it held, the
worker reconnects (aio-pika's robust connection), reconciles its live entries (a gap in the
bus), handles every message (none dead-lettered), and the answers equal the upstreams'.
"""

from __future__ import annotations

import time

import httpx

from tests.faults.conftest import (
    System,
    all_handled,
    answered,
    busy,
    consistent,
    event,
    page,
    readiness,
    truth,
    wait_until,
    worker_metric,
)

#: Generous: the broker restarts in about 3 to 6 s here; the worker reconnects every 0.5 s.
RECOVERED_WITHIN_S = 30.0


async def test_rabbitmq_stopped_and_restarted(system: System) -> None:
    name = busy(system.world, skip=2)
    async with httpx.AsyncClient(timeout=30) as http:
        known = await truth(http, system, name)
        assert (await page(http, system.gateway, name))["data"]["package"] == known
        reconnects = await worker_metric(http, system, "fedora_gateway_bus_reconnects_total")
        reconciled = await worker_metric(http, system, "fedora_gateway_reconciled_entries_total")

        stopped_in = system.rabbit.stop()
        system.record("rabbitmq restarted", "broker stopped in", stopped_in)
        # the world goes on: each mutation answers, its messages held by the publisher
        for kind in ("bug", "build", "update"):
            await event(http, system, kind, name)
        simulator = await http.get(f"{system.simulator}/_sim/world")
        assert simulator.status_code == 200
        for _ in range(3):  # answered from the cache, which nothing can invalidate now
            body = await page(http, system.gateway, name)
            answered(body, known, codes=set())
        assert (await readiness(http, system))["checks"]["field_cache"]["status"] == "ok"

        started = system.rabbit.start()
        system.record("rabbitmq restarted", "broker listening again after", started)
        back = time.monotonic()

        async def reconnected() -> bool:
            again = await worker_metric(http, system, "fedora_gateway_bus_reconnects_total")
            connected = await worker_metric(http, system, "fedora_gateway_bus_connected")
            return again > reconnects and connected == 1

        took = await wait_until(
            reconnected, within=RECOVERED_WITHIN_S, check=system.check, what="a reconnection"
        )
        system.record("rabbitmq restarted", "worker consuming again after", took)
        await wait_until(
            lambda: all_handled(http, system),
            within=RECOVERED_WITHIN_S,
            check=system.check,
            what="every message published during the outage handled",
        )
        await wait_until(
            lambda: consistent(http, system, name),
            within=RECOVERED_WITHIN_S,
            check=system.check,
            what="answers equal to the upstreams",
        )
        system.record(
            "rabbitmq restarted",
            "events of the outage in the answers after",
            time.monotonic() - back,
        )
        after = await worker_metric(http, system, "fedora_gateway_reconciled_entries_total")
        assert after > reconciled, "the worker did not reconcile its live entries after the gap"
