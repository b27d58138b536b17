"""``FallbackFieldCache``: the gateway's field cache on Redis, and what it does while Redis is
away.

Redis is the gateway's field cache (:class:`~gateway.invalidation.redisstore.RedisFieldCache`,
whose client waits at most ``GATEWAY_REDIS_TIMEOUT_S`` for a connection or a reply). When
Redis refuses a connection or does not answer in that time it is *down*
(:class:`~gateway.invalidation.health.StoreHealth`): the failed operation and every one after
it go to a bounded in-process cache instead
(:class:`~gateway.invalidation.memory.MemoryFieldCache`, ``GATEWAY_REDIS_FALLBACK_BYTES``),
without asking Redis, so a paused Redis costs the requests in flight one timeout and the
others nothing. A background probe pings Redis every ``GATEWAY_REDIS_PROBE_INTERVAL_S`` on a
fresh connection (the pooled ones are dropped: after a restart each would fail once); the
first answer sends every operation to Redis again and drops the fallback.

Staleness
    Nothing can invalidate the fallback: the worker writes to Redis only. So an entry filled
    into it is fresh for at most ``GATEWAY_REDIS_FALLBACK_TTL_S``: every entry carries the tag
    of the stretch of that length it was written in (:func:`~gateway.invalidation.keys.period`),
    and that tag is invalidated once the stretch is over. After that the entry is *stale*:
    readers fetch the upstream again, and serve the old value only when the upstream fails
    (as they do with Redis). While Redis is down an answer is therefore at most the fallback's
    TTL older than the upstreams. When Redis returns, the fallback is dropped; Redis holds what
    it held before the outage, and the worker applies the events it could not apply during
    the outage (they waited in its queue), within its retry backoff
    (``GATEWAY_WORKER_RETRY_BACKOFF_MAX_S``): until then an entry may be as old as the outage.

Writes never cross stores
    A fill takes its snapshot from the store in use, and its write is refused by the other
    (the epochs differ), so a value fetched before Redis went away (or came back) is simply
    not written.

Kept answers
    The kept-answers cache (:class:`gateway.responses.ResponseCache`) replays an answer only
    while every entry it was made of has the clock of the fill that wrote it. Clocks of
    different stores could coincide, so the clocks this cache reports identify the store
    too: Redis's own clock plus ``2**64`` times the number of times Redis came back (the
    clock unchanged until the first outage), and, for the fallback, negative numbers unique
    to each fallback. An answer kept from one store never replays against another.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence

import redis.exceptions

from gateway.invalidation import keys
from gateway.invalidation.health import StoreHealth
from gateway.invalidation.keys import Tag
from gateway.invalidation.memory import MemoryFieldCache
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.invalidation.store import Entry, Lease, Snapshot

__all__ = ["REDIS_DOWN", "FallbackFieldCache"]

log = logging.getLogger(__name__)

#: What redis-py raises when Redis is not there: refused, reset, timed out, loading.
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

#: Clocks of different store lifetimes are kept apart by multiples of this.
_LIFETIME = 2**64


class FallbackFieldCache:
    """:class:`~gateway.invalidation.store.FieldCache` on Redis, in memory while Redis is down."""

    def __init__(
        self,
        primary: RedisFieldCache,
        *,
        fallback_bytes: int,
        fallback_ttl_s: float,
        probe_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if fallback_bytes <= 0 or fallback_ttl_s <= 0:
            raise ValueError("the fallback needs a positive budget and TTL")
        self.primary = primary
        self.fallback_bytes = fallback_bytes
        self.fallback_ttl_s = fallback_ttl_s
        self._clock = clock
        self.health = StoreHealth(
            self._probe, interval_s=probe_interval_s, on_up=self._restored, clock=clock
        )
        self._fallback: MemoryFieldCache | None = None
        self._fallbacks = 0  # fallbacks made so far: the current one's number
        self._lives = 0  # times Redis came back
        self._period: int | None = None  # the stretch the fallback's writes are tagged with

    @property
    def degraded(self) -> bool:
        """Whether Redis is down and the fallback answers."""
        return not self.health.up

    @property
    def fallback_entries(self) -> int:
        return len(self._fallback) if self._fallback is not None else 0

    # -- the port ----------------------------------------------------------------------------

    async def get_many(
        self, keys: Sequence[str], *, now: float | None = None, record: bool = True
    ) -> list[Entry | None]:
        if self.health.up:
            life = self._lives
            try:
                found = await self.primary.get_many(keys, now=now, record=record)
            except REDIS_DOWN as error:
                self.health.lost(error)
            else:
                return [
                    None if e is None else _relabel(e, e.clock + life * _LIFETIME) for e in found
                ]
        fallback = await self._current()
        number = self._fallbacks
        found = await fallback.get_many(keys, now=now, record=record)
        return [None if e is None else self._from_fallback(e, number) for e in found]

    async def snapshot(self) -> Snapshot:
        if self.health.up:
            try:
                return await self.primary.snapshot()
            except REDIS_DOWN as error:
                self.health.lost(error)
        return await (await self._current()).snapshot()

    async def put(self, key: str, value: bytes, tags: Sequence[Tag], snapshot: Snapshot) -> bool:
        if self.health.up:
            try:
                return await self.primary.put(key, value, tags, snapshot)
            except REDIS_DOWN as error:
                self.health.lost(error)
                return False  # a snapshot of Redis: the fallback would refuse it anyway
        fallback = await self._current()
        assert self._period is not None
        # the period's tag goes last: _from_fallback takes it off again
        return await fallback.put(key, value, [*tags, keys.period(self._period)], snapshot)

    async def invalidate(self, tags: Sequence[Tag]) -> list[str]:
        if self.health.up:
            try:
                return await self.primary.invalidate(tags)
            except REDIS_DOWN as error:
                self.health.lost(error)
        return await (await self._current()).invalidate(tags)

    async def live(self, tags: Sequence[Tag], *, since: float) -> list[str]:
        if self.health.up:
            try:
                return await self.primary.live(tags, since=since)
            except REDIS_DOWN as error:
                self.health.lost(error)
        return await (await self._current()).live(tags, since=since)

    async def live_keys(self, since: float) -> list[str]:
        if self.health.up:
            try:
                return await self.primary.live_keys(since)
            except REDIS_DOWN as error:
                self.health.lost(error)
        return await (await self._current()).live_keys(since)

    async def forget_reads(self, before: float) -> int:
        if self.health.up:
            try:
                return await self.primary.forget_reads(before)
            except REDIS_DOWN as error:
                self.health.lost(error)
        return await (await self._current()).forget_reads(before)

    async def delete(self, keys: Sequence[str]) -> int:
        if self.health.up:
            try:
                return await self.primary.delete(keys)
            except REDIS_DOWN as error:
                self.health.lost(error)
        return await (await self._current()).delete(keys)

    async def lease(self, key: str, *, ttl: float) -> Lease | None:
        if self.health.up:
            try:
                return await self.primary.lease(key, ttl=ttl)
            except REDIS_DOWN as error:
                self.health.lost(error)
        return await (await self._current()).lease(key, ttl=ttl)

    async def release(self, lease: Lease) -> bool:
        if self.health.up:
            try:
                return await self.primary.release(lease)
            except REDIS_DOWN as error:
                self.health.lost(error)
                return False  # a lease on Redis expires there by itself
        return await (await self._current()).release(lease)

    async def ping(self) -> None:
        """``PING`` Redis unless it is known to be down; a failure marks it down, and raises."""
        if not self.health.up:
            raise redis.exceptions.ConnectionError("Redis is down: the fallback answers")
        try:
            await self.primary.ping()
        except REDIS_DOWN as error:
            self.health.lost(error)
            raise

    async def close(self) -> None:
        await self.health.close()
        self._drop()
        await self.primary.close()

    # -- the fallback ------------------------------------------------------------------------

    async def _probe(self) -> None:
        """Is Redis back? Asked on fresh connections: pooled ones may lead to a dead process."""
        await self.primary.disconnect()
        await self.primary.ping()

    async def _current(self) -> MemoryFieldCache:
        """The fallback, made when first needed; the stretch that ended is invalidated."""
        fallback = self._fallback
        if fallback is None:
            fallback = self._fallback = MemoryFieldCache(max_bytes=self.fallback_bytes)
            self._fallbacks += 1
            self._period = None
            log.warning(
                "the field cache answers from process memory while Redis is down "
                "(%d MiB, each entry fresh for %.1f s)",
                self.fallback_bytes // 2**20,
                self.fallback_ttl_s,
            )
        period = int(self._clock() // self.fallback_ttl_s)
        if period != self._period:
            ended, self._period = self._period, period
            if ended is not None:
                await fallback.invalidate([keys.period(ended)])
                # nothing refills the fallback's entries: its read log only has to stay small
                await fallback.forget_reads(time.time() - self.fallback_ttl_s)
        return fallback

    def _from_fallback(self, entry: Entry, number: int) -> Entry:
        return Entry(
            entry.value,
            entry.stale,
            entry.tags[:-1],  # without the period's tag
            -1 - (number * _LIFETIME + entry.clock),
        )

    def _restored(self, outage_s: float) -> None:
        self._lives += 1
        entries = self.fallback_entries
        self._drop()
        log.warning(
            "the field cache is on Redis again after %.1f s; the fallback (%d entries) is dropped",
            outage_s,
            entries,
        )

    def _drop(self) -> None:
        self._fallback = None
        self._period = None


def _relabel(entry: Entry, clock: int) -> Entry:
    return entry if clock == entry.clock else dataclasses.replace(entry, clock=clock)
