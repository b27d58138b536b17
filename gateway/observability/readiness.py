"""``GET /readyz``: whether this gateway can serve, each part checked and reported.

=============  ================================================================================
check          ok / degraded / failed / off
=============  ================================================================================
upstreams      the five clients are open (``failed`` before the lifespan started, or closed);
               ``degraded`` while an upstream's circuit breaker is open: its fields are
               served stale or fail fast with ``UPSTREAM_UNAVAILABLE``
field_cache    the store answers: Redis answers ``PING`` within ``GATEWAY_READINESS_TIMEOUT_S``
               (``off``: no field cache, answers come from the upstreams); ``degraded`` while
               Redis is down and the in-process fallback answers
               (:mod:`gateway.invalidation.fallback`)
change_feed    the feed the subscriptions follow holds its subscription (``off``: none, so
               subscriptions are refused); ``degraded`` while it resubscribes (Redis down):
               subscriptions stay open and get a resync when it is back
search         the index answers (``ready``); ``degraded`` while it is not built yet, or its
               build failed: search then answers by koji's name prefixes; ``failed`` when a
               built index does not answer (search queries would fail)
=============  ================================================================================

The answer is ``200`` with ``{"status": "ready" | "degraded", "checks": {...}}`` when no
check failed (``degraded`` when one is), else ``503`` with ``"status": "unready"`` and the
names of the checks that ``failed``. ``/healthz`` stays the liveness probe: it answers
whenever the process does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from clients.breaker import CircuitState
from gateway.invalidation.fallback import REDIS_DOWN, FallbackFieldCache
from gateway.observability.collectors import feed_connected
from gateway.observability.parts import GatewayParts

__all__ = ["Check", "check_all", "readiness_endpoint"]

Status = Literal["ok", "degraded", "failed", "off"]

#: A key no entry ever has: read to see that a store without ``ping`` answers.
_PROBE_KEY = "readyz:probe"


@dataclass(frozen=True, slots=True)
class Check:
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, "detail": self.detail}


@runtime_checkable
class _Pingable(Protocol):
    async def ping(self) -> None: ...


async def check_all(parts: GatewayParts, *, timeout_s: float) -> dict[str, Check]:
    """Every check, run at once, each bounded by ``timeout_s``."""
    names = ("upstreams", "field_cache", "change_feed", "search")
    results = await asyncio.gather(
        _bounded(_upstreams(parts), timeout_s),
        _bounded(_field_cache(parts), timeout_s),
        _bounded(_change_feed(parts), timeout_s),
        _bounded(_search(parts), timeout_s),
    )
    return dict(zip(names, results, strict=True))


def readiness_endpoint(
    parts: GatewayParts, *, timeout_s: float
) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(request: Request) -> Response:
        checks = await check_all(parts, timeout_s=timeout_s)
        failed = [name for name, check in checks.items() if check.status == "failed"]
        body: dict[str, object] = {
            "status": "unready" if failed else "ready",
            "checks": {name: check.as_dict() for name, check in checks.items()},
        }
        if failed:
            body["failed"] = failed
            return JSONResponse(body, status_code=503, headers={"cache-control": "no-store"})
        if any(check.status == "degraded" for check in checks.values()):
            body["status"] = "degraded"
        return JSONResponse(body, headers={"cache-control": "no-store"})

    return readyz


async def _bounded(check: Awaitable[Check], timeout_s: float) -> Check:
    try:
        async with asyncio.timeout(timeout_s):
            return await check
    except TimeoutError:
        return Check("failed", f"no answer within {timeout_s:g} s")
    except Exception as error:
        return Check("failed", _describe(error))


async def _upstreams(parts: GatewayParts) -> Check:
    upstreams = parts.upstreams
    if upstreams is None:
        return Check("failed", "the upstream clients are not open")
    clients = {
        "koji": upstreams.koji.endpoint,
        "mdapi": upstreams.mdapi.endpoint,
        "bodhi": upstreams.bodhi.endpoint,
        "bugzilla": upstreams.bugzilla.endpoint,
        "pagure": upstreams.pagure.endpoint,
    }
    closed = [name for name, endpoint in clients.items() if endpoint.http.is_closed]
    if closed:
        return Check("failed", "closed: " + ", ".join(closed))
    circuits = [
        f"{name} ({breaker.state.value}: {breaker.reason})"
        for name, endpoint in clients.items()
        if (breaker := endpoint.breaker) is not None and breaker.state is not CircuitState.CLOSED
    ]
    if circuits:
        return Check(
            "degraded",
            "circuit open, failing fast (stale values or UPSTREAM_UNAVAILABLE): "
            + "; ".join(circuits),
        )
    return Check("ok", "open: " + ", ".join(clients))


async def _field_cache(parts: GatewayParts) -> Check:
    cache = parts.cache
    if cache is None:
        return Check("off", "no field cache: answers come from the upstreams")
    if isinstance(cache, FallbackFieldCache):
        return await _redis(cache)
    if isinstance(cache, _Pingable):
        await cache.ping()
        return Check("ok", f"{type(cache).__name__} answered PING")
    await cache.get_many([_PROBE_KEY], record=False)
    return Check("ok", f"{type(cache).__name__} answered")


async def _redis(cache: FallbackFieldCache) -> Check:
    if not cache.degraded:
        try:
            await cache.ping()
        except REDIS_DOWN:
            pass  # now known down
        else:
            return Check("ok", "Redis answered PING")
    health = cache.health
    return Check(
        "degraded",
        f"Redis down for {health.down_for_s:.1f} s (probed every {health.interval_s:g} s): "
        f"answers come through an in-process fallback, each value fresh for "
        f"{cache.fallback_ttl_s:g} s",
    )


async def _change_feed(parts: GatewayParts) -> Check:
    feed = parts.feed
    if feed is None:
        return Check("off", "no change feed: subscriptions are refused")
    if feed_connected(feed):
        return Check("ok", f"{type(feed).__name__} connected")
    return Check(
        "degraded",
        f"{type(feed).__name__} lost its subscription: reconnecting; subscriptions get a "
        "resync when it is back",
    )


async def _search(parts: GatewayParts) -> Check:
    search = parts.search
    if search is None:
        return Check("failed", "the search is not started")
    state = search.state
    if state != "ready":
        return Check("degraded", f"index {state}: search answers by koji's name prefixes")
    documents = await search.index.count()
    return Check("ok", f"{documents} packages indexed")


def _describe(error: Exception, limit: int = 200) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 1] + "…"
