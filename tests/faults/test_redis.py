"""Redis killed, and Redis paused, under a running gateway and worker.

While Redis is away the gateway answers every request (HTTP 200, the data the upstreams
have), through its in-process fallback, quickly (a paused Redis costs the requests in
flight one Redis timeout, then nothing), and says ``degraded`` on ``/readyz``; an event
published meanwhile shows within the fallback's TTL. When Redis is back the gateway uses
it again within the probe interval, the worker applies the events it had to retry (none
is dead-lettered), and the answers equal the upstreams'.
"""

from __future__ import annotations

import asyncio
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
)

#: GATEWAY_REDIS_TIMEOUT_S of the system under test.
REDIS_TIMEOUT_S = 0.5
#: Generous bounds on what the settings promise (probe 0.25 s, fallback TTL 2 s, worker
#: backoff 1 s): the machine is shared, and CI runs the whole suite at once.
BACK_WITHIN_S = 5.0
CONSISTENT_WITHIN_S = 15.0


async def _warm(http: httpx.AsyncClient, system: System, name: str) -> dict[str, object]:
    known = await truth(http, system, name)
    for _ in range(2):  # a miss, then a hit kept for replay
        body = await page(http, system.gateway, name)
        assert body["data"]["package"] == known
    return known


async def _field_cache(http: httpx.AsyncClient, system: System) -> str:
    status: str = (await readiness(http, system))["checks"]["field_cache"]["status"]
    return status


async def test_redis_killed_then_restarted(system: System) -> None:
    name = busy(system.world, skip=0)
    async with httpx.AsyncClient(timeout=30) as http:
        known = await _warm(http, system, name)
        system.redis.kill()
        for _ in range(5):
            started = time.monotonic()
            body = await page(http, system.gateway, name)
            assert time.monotonic() - started < 3.0
            answered(body, known, codes=set())
            assert body["data"]["package"] == known  # from the upstreams, through the fallback
        assert await _field_cache(http, system) == "degraded"
        assert (await readiness(http, system))["status"] == "degraded"

        await event(http, system, "bug", name)  # the worker cannot apply it: it waits
        seen = await wait_until(
            lambda: consistent(http, system, name),
            within=CONSISTENT_WITHIN_S,
            check=system.check,
            what="the event during the outage showing",
        )
        system.record("redis killed", "event during the outage shown after", seen)

        system.redis.start()  # empty, as after any restart without persistence
        restarted = time.monotonic()

        async def on_redis() -> bool:
            return await _field_cache(http, system) == "ok"

        back = await wait_until(on_redis, within=BACK_WITHIN_S, check=system.check)
        system.record("redis killed", "gateway on Redis again after restart", back)
        await wait_until(
            lambda: all_handled(http, system),
            within=CONSISTENT_WITHIN_S,
            check=system.check,
            what="the worker handling the events it retried",
        )
        system.record(
            "redis killed", "worker caught up after restart", time.monotonic() - restarted
        )
        await event(http, system, "build", name)  # the bus path works again
        await wait_until(
            lambda: consistent(http, system, name),
            within=CONSISTENT_WITHIN_S,
            check=system.check,
            what="answers equal to the upstreams",
        )

        async def feed_back() -> bool:
            checks = (await readiness(http, system))["checks"]
            return bool(checks["change_feed"]["status"] == "ok")

        await wait_until(feed_back, within=CONSISTENT_WITHIN_S, check=system.check)
        system.record(
            "redis killed", "change feed resubscribed after restart", time.monotonic() - restarted
        )


async def test_redis_paused_then_resumed(system: System) -> None:
    name = busy(system.world, skip=1)
    async with httpx.AsyncClient(timeout=30) as http:
        known = await _warm(http, system, name)
        system.redis.pause()
        try:

            async def timed() -> tuple[float, dict[str, object]]:
                started = time.monotonic()
                body = await page(http, system.gateway, name)
                return time.monotonic() - started, body

            first = await asyncio.gather(*(timed() for _ in range(10)))
            for seconds, body in first:
                answered(body, known, codes=set())
                # one Redis timeout at most (the stale-wait of 1 s does not apply: nothing
                # holds a lease), plus the upstreams
                assert seconds < REDIS_TIMEOUT_S + 2.0, seconds
            system.record(
                "redis paused",
                "slowest request in flight when it stopped",
                max(s for s, _ in first),
            )
            later = [await timed() for _ in range(5)]
            for seconds, body in later:
                answered(body, known, codes=set())
                assert seconds < REDIS_TIMEOUT_S, f"Redis known down, yet {seconds:.2f} s"
            system.record(
                "redis paused", "slowest request while known down", max(s for s, _ in later)
            )
            assert await _field_cache(http, system) == "degraded"

            await event(http, system, "update", name)
            seen = await wait_until(
                lambda: consistent(http, system, name),
                within=CONSISTENT_WITHIN_S,
                check=system.check,
                what="the event during the pause showing",
            )
            system.record("redis paused", "event during the pause shown after", seen)
        finally:
            system.redis.resume()
        resumed = time.monotonic()

        async def on_redis() -> bool:
            return await _field_cache(http, system) == "ok"

        back = await wait_until(on_redis, within=BACK_WITHIN_S, check=system.check)
        system.record("redis paused", "gateway on Redis again after resume", back)
        # Redis still holds the page from before the pause until the worker applies the
        # event it retried: the bound on that is the worker's retry backoff
        await wait_until(
            lambda: consistent(http, system, name),
            within=CONSISTENT_WITHIN_S,
            check=system.check,
            what="answers equal to the upstreams after the pause",
        )
        system.record(
            "redis paused", "answers equal to the upstreams after", time.monotonic() - resumed
        )
        await wait_until(
            lambda: all_handled(http, system),
            within=CONSISTENT_WITHIN_S,
            check=system.check,
            what="the worker handling the events it retried",
        )
