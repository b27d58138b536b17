"""Rate limiting by cost: a token bucket per client, charged what each operation costs.

A client's bucket holds up to ``capacity`` points (``GATEWAY_RATE_LIMIT_BURST``) and
refills at ``rate`` points a second (``GATEWAY_RATE_LIMIT_POINTS_PER_S``). Each operation
takes its cost (:mod:`gateway.limits.cost`; at least 1, at most the whole bucket) before
it runs; a replayed answer is charged the cost it was kept with. An operation the bucket
cannot pay for is refused — nothing taken — with HTTP 429, ``Retry-After`` (whole
seconds until the bucket holds its cost) and a ``RATE_LIMITED`` error.

The client is the address uvicorn gives the connection. Behind a proxy that is the
proxy's, unless uvicorn is told to trust its ``X-Forwarded-For`` (``--proxy-headers``,
on by default, for the addresses in ``FORWARDED_ALLOW_IPS``, by default 127.0.0.1).

Buckets live in Redis when ``GATEWAY_REDIS_URL`` is set — one hash per client, read and
written by one Lua script on Redis's clock, so every replica charges the same bucket —
and otherwise in process memory (the least recently seen clients forgotten past
:data:`MAX_CLIENTS`; a forgotten bucket is a full one). When Redis cannot be reached the
operation is let through: rate limiting protects the upstreams, it must not take the
gateway down with Redis.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from graphql import GraphQLError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection
from starlette.responses import Response

from gateway.errors import RATE_LIMITED
from gateway.limits.refusal import coded

__all__ = [
    "Admission",
    "Buckets",
    "MemoryBuckets",
    "RedisBuckets",
    "Throttle",
    "client_of",
    "rate_limited",
]

log = logging.getLogger(__name__)

#: Clients whose buckets one process remembers (memory buckets).
MAX_CLIENTS = 100_000


@dataclass(frozen=True, slots=True)
class Throttle:
    """What a charge to a bucket came to."""

    allowed: bool
    #: Whole points left in the bucket (``None``: unknown, the bucket could not be read).
    remaining: int | None
    #: Seconds until the bucket holds the refused cost (0 when allowed).
    retry_after_s: float = 0.0


class Buckets(Protocol):
    """Token buckets by client."""

    rate: float
    capacity: int

    async def take(self, client: str, cost: int) -> Throttle:
        """Take ``cost`` points from ``client``'s bucket if it holds them."""
        ...


def _charge(tokens: float, cost: int, rate: float) -> tuple[float, Throttle]:
    if tokens >= cost:
        return tokens - cost, Throttle(True, math.floor(tokens - cost))
    return tokens, Throttle(False, math.floor(tokens), (cost - tokens) / rate)


class MemoryBuckets:
    """Buckets in process memory, for one gateway process."""

    def __init__(
        self,
        *,
        rate: float,
        capacity: int,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self.max_clients = max_clients
        self._clock = clock
        #: client -> (tokens, when they were counted), least recently seen first
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    async def take(self, client: str, cost: int) -> Throttle:
        now = self._clock()
        tokens, at = self._buckets.pop(client, (float(self.capacity), now))
        tokens = min(float(self.capacity), tokens + max(0.0, now - at) * self.rate)
        tokens, throttle = _charge(tokens, min(cost, self.capacity), self.rate)
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return throttle


#: KEYS[1] the bucket; ARGV rate, capacity, cost. Returns {1 or 0, tokens left}.
_TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets in Redis, shared by every gateway process; each charge is one script call.

    A bucket's key expires when it would be full again, which is what a missing key means.
    """

    def __init__(
        self,
        client: Redis,
        *,
        rate: float,
        capacity: int,
        prefix: str = "fedora-gateway:rate:",
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self.prefix = prefix
        self._take = client.register_script(_TAKE)

    async def take(self, client: str, cost: int) -> Throttle:
        cost = min(cost, self.capacity)
        try:
            allowed, left = await self._take(
                keys=[self.prefix + client], args=[self.rate, self.capacity, cost]
            )
        except (RedisError, OSError):
            log.warning("the rate buckets in Redis cannot be read; letting the operation through")
            return Throttle(True, None)
        tokens = float(left)
        if allowed:
            return Throttle(True, math.floor(tokens))
        return Throttle(False, math.floor(tokens), (cost - tokens) / self.rate)


class Admission:
    """One HTTP request's charges to its client's bucket.

    A refusal sets the request's response to 429 with ``Retry-After`` (the longest any of
    its operations must wait, for a batch).
    """

    def __init__(self, buckets: Buckets, client: str, response: Response | None) -> None:
        self.buckets = buckets
        self.client = client
        self.response = response

    async def charge(self, cost: int) -> Throttle:
        throttle = await self.buckets.take(self.client, max(1, cost))
        if not throttle.allowed and self.response is not None:
            self.response.status_code = 429
            wait = str(
                max(_retry_after(throttle), int(self.response.headers.get("retry-after", 0)))
            )
            self.response.headers["retry-after"] = wait
        return throttle


def _retry_after(throttle: Throttle) -> int:
    return max(1, math.ceil(throttle.retry_after_s))


def rate_limited(throttle: Throttle) -> GraphQLError:
    """The error of an operation its client's bucket could not pay for."""
    wait = _retry_after(throttle)
    return coded(RATE_LIMITED, f"Rate limit exceeded: retry in {wait} s", retryAfter=wait)


def client_of(connection: HTTPConnection) -> str:
    """Who a request counts against: its client's address, as uvicorn gives it."""
    client = connection.client
    return client.host if client is not None else "unknown"
