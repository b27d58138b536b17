"""The field cache on Redis (7.0 or later), shared by every gateway replica and worker.

Layout (every key built by :mod:`gateway.invalidation.keys`, inside an optional namespace):

- an entry: a hash under its recipe key, ``v`` the value, ``c`` the clock it was filled
  under, ``t`` its tags joined by newlines; written without a TTL;
- the clock: a hash under :func:`~gateway.invalidation.keys.clock_key`, ``epoch`` (a random
  identity, set when missing) and ``n`` (the invalidation counter);
- a tag's generation: a string under :func:`~gateway.invalidation.keys.generation_key`;
- a tag's members: a set of entry keys under :func:`~gateway.invalidation.keys.members_key`;
- the read log: a sorted set under :func:`~gateway.invalidation.keys.reads_key`, entry key
  scored by the time it was last read;
- a lease: a string under :func:`~gateway.invalidation.keys.lease_key`, the only keys with an
  expiry (``SET NX PX``).

Writes that must be atomic are Lua scripts registered with ``register_script`` and name
every key they touch in ``KEYS``: the conditional write (check the epoch and the tags'
generations, write the entry, move its tag memberships), the invalidation (advance the
clock, stamp the tags, collect their members), deleting entries, releasing a lease. A read
takes two pipelined round trips: the entries, then their tags' generations (with the epoch
in both, so a store that lost its memory in between cannot make an old entry look fresh).
Between the two, an invalidation can only make the answer more conservative.

Redis configuration
    Run the cache's Redis with ``maxmemory-policy noeviction``. Nothing here has a TTL
    except leases, so the ``volatile-*`` policies behave the same (they could only evict a
    lease, which costs a duplicate fill, never correctness) and are acceptable, unless other
    keys with a TTL share the instance and must not be evicted. Never an ``allkeys-*``
    policy: evicting a generation counter lets a fill that began before that tag's
    invalidation land after it, a wrong value then served as fresh for good since nothing
    expires; evicting the clock restarts its counter below the surviving generations, so
    fills of those tags are refused until the counter catches up; evicting a member set or
    the read log loses the refills of those entries. Evicting an entry would be harmless,
    but Redis cannot be told to evict only those. Size ``maxmemory`` for the entries you
    want to keep (the in-memory adapter's byte budget is the equivalent knob).

    When Redis reaches ``maxmemory`` under ``noeviction``, fills fail with an OOM error (the
    caller serves what it fetched, uncached), reads still work (recording the read is
    skipped), and invalidations still land: their script is flagged ``allow-oom`` because
    they write a few counters and are what keeps the cache correct.

    Run it without persistence (``save ""``, ``appendonly no``): a restart then empties the
    cache and changes the epoch, which refuses fills begun before it. An RDB or AOF restore
    brings back entries *and* generations from before the invalidations that followed the
    save, which nothing can detect; if persistence is wanted, the worker must reconcile all
    live keys after every Redis restart.

    One Redis primary (replicas and Sentinel for failover are fine); not Redis Cluster,
    whose slots a script's keys cannot span. Use a client with the default
    ``decode_responses=False``: values are bytes.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from gateway.invalidation.keys import (
    Tag,
    clock_key,
    generation_key,
    lease_key,
    members_key,
    namespaced,
    reads_key,
)
from gateway.invalidation.store import Entry, Hook, Lease, Snapshot, check_tags

log = logging.getLogger(__name__)

# KEYS: clock. ARGV: a fresh epoch, used when the clock has none.
_SNAPSHOT = """#!lua flags=allow-oom
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
return redis.call('HMGET', KEYS[1], 'epoch', 'n')
"""

# KEYS: entry, clock, n generations, n member sets of the new tags, then the member sets of
# the tags the entry carries now (as the caller believes) and will no longer carry.
# ARGV: epoch, snapshot clock, value, new tags, tags believed current, n, the entry's key.
# Returns {1} landed, {0, reason} refused, or {-1, current tags} when the caller's belief
# about the current tags was wrong (it then retries with the right member sets).
_PUT = """
local n = tonumber(ARGV[6])
if redis.call('HGET', KEYS[2], 'epoch') ~= ARGV[1] then
  return {0, 'epoch'}
end
local snapshot = tonumber(ARGV[2])
for i = 3, 2 + n do
  local generation = redis.call('GET', KEYS[i])
  if generation and tonumber(generation) > snapshot then
    return {0, 'invalidated'}
  end
end
local old = redis.call('HMGET', KEYS[1], 'c', 't')
if old[1] then
  if tonumber(old[1]) > snapshot then
    return {0, 'newer'}
  end
  if old[2] ~= ARGV[5] then
    return {-1, old[2] or ''}
  end
end
for i = 3 + 2 * n, #KEYS do
  redis.call('SREM', KEYS[i], ARGV[7])
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'c', ARGV[2], 't', ARGV[4])
for i = 3 + n, 2 + 2 * n do
  redis.call('SADD', KEYS[i], ARGV[7])
end
return {1, ''}
"""

# KEYS: clock, n generations, n member sets. ARGV: a fresh epoch, n.
_INVALIDATE = """#!lua flags=allow-oom
local n = tonumber(ARGV[2])
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
local clock = redis.call('HINCRBY', KEYS[1], 'n', 1)
for i = 2, 1 + n do
  redis.call('SET', KEYS[i], clock)
end
local seen = {}
local members = {}
for i = 2 + n, 1 + 2 * n do
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if not seen[key] then
      seen[key] = true
      members[#members + 1] = key
    end
  end
end
return members
"""

# KEYS: for each entry, the entry then the member sets of the tags it carries (as the caller
# believes). ARGV: for each entry, its key, the tags believed current, its number of tags.
# Returns how many entries it deleted, then the positions (1-based) of the entries whose tags
# were not as believed.
_DELETE = """
local wrong = {0}
local k = 1
local a = 1
local position = 1
while a <= #ARGV do
  local count = tonumber(ARGV[a + 2])
  local current = redis.call('HGET', KEYS[k], 't')
  if current and current ~= ARGV[a + 1] then
    wrong[#wrong + 1] = position
  elseif current then
    wrong[1] = wrong[1] + 1
    redis.call('DEL', KEYS[k])
    for i = k + 1, k + count do
      redis.call('SREM', KEYS[i], ARGV[a])
    end
  end
  k = k + 1 + count
  a = a + 3
  position = position + 1
end
return wrong
"""

# KEYS: the read log, member sets. ARGV: since.
_LIVE = """#!lua flags=no-writes
local since = tonumber(ARGV[1])
local seen = {}
local live = {}
for i = 2, #KEYS do
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if not seen[key] then
      seen[key] = true
      local read = redis.call('ZSCORE', KEYS[1], key)
      if read and tonumber(read) >= since then
        live[#live + 1] = key
      end
    end
  end
end
return live
"""

# KEYS: lease. ARGV: token.
_RELEASE = """#!lua flags=allow-oom
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

#: Retries of a write whose entry changed tags under it before giving up.
_ATTEMPTS = 16


class RedisFieldCache:
    """:class:`~gateway.invalidation.store.FieldCache` on Redis.

    ``namespace`` prefixes every key (deployments or tests sharing one Redis); ``hook`` is a
    test hook awaited between the round trips of an operation.
    """

    def __init__(
        self,
        client: Redis,
        *,
        namespace: str = "",
        hook: Hook | None = None,
        owns_client: bool = False,
    ) -> None:
        if client.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("the field cache needs a Redis client with decode_responses=False")
        self._client = client
        self._namespace = namespace
        self._hook = hook
        self._owns_client = owns_client
        self._clock = self._key(clock_key())
        self._reads = self._key(reads_key())
        self._snapshot = client.register_script(_SNAPSHOT)
        self._put = client.register_script(_PUT)
        self._invalidate = client.register_script(_INVALIDATE)
        self._delete = client.register_script(_DELETE)
        self._live = client.register_script(_LIVE)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, *, namespace: str = "", **options: Any) -> RedisFieldCache:
        """A cache over a client of its own, closed with the cache."""
        client = Redis.from_url(url, decode_responses=False, **options)
        return cls(client, namespace=namespace, owns_client=True)

    async def get_many(
        self, keys: Sequence[str], *, now: float | None = None, record: bool = True
    ) -> list[Entry | None]:
        if not keys:
            return []
        when = time.time() if now is None else now
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.hget(self._clock, "epoch")
            for key in keys:
                pipe.hmget(self._key(key), "v", "c", "t")
            if record:
                pipe.zadd(self._reads, dict.fromkeys(keys, when))
            replies = await pipe.execute(raise_on_error=False)
        if record and isinstance(replies[-1], Exception):
            # Redis out of memory refuses to record the read; the read itself must not fail.
            log.warning("could not record reads: %s", replies[-1])
        epoch = _reply(replies[0])
        rows = [_reply(reply) for reply in replies[1 : 1 + len(keys)]]
        stored = [
            (row[0], int(row[1]), _tags(row[2])) if row[0] is not None else None for row in rows
        ]
        tags = sorted({tag for item in stored if item is not None for tag in item[2]})
        if not tags:
            return [
                None if item is None else Entry(item[0], False, item[2], item[1]) for item in stored
            ]
        await self._step("get_many:entries-read")
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.hget(self._clock, "epoch")
            pipe.mget([self._key(generation_key(tag)) for tag in tags])
            epoch_now, generations = await pipe.execute()
        trusted = epoch is not None and epoch == epoch_now
        current = {tag: int(value or 0) for tag, value in zip(tags, generations, strict=True)}
        return [
            None
            if item is None
            else Entry(
                item[0],
                not trusted or any(current[tag] > item[1] for tag in item[2]),
                item[2],
                item[1],
            )
            for item in stored
        ]

    async def snapshot(self) -> Snapshot:
        epoch, clock = await self._snapshot(keys=[self._clock], args=[uuid.uuid4().hex])
        return Snapshot(epoch.decode(), int(clock or 0))

    async def put(self, key: str, value: bytes, tags: Sequence[Tag], snapshot: Snapshot) -> bool:
        unique = check_tags(tags)
        joined = "\n".join(unique)
        believed = unique
        for _ in range(_ATTEMPTS):
            leaving = [tag for tag in believed if tag not in unique]
            await self._step("put:script")
            outcome, detail = await self._put(
                keys=[
                    self._key(key),
                    self._clock,
                    *(self._key(generation_key(tag)) for tag in unique),
                    *(self._key(members_key(tag)) for tag in unique),
                    *(self._key(members_key(tag)) for tag in leaving),
                ],
                args=[
                    snapshot.epoch,
                    snapshot.clock,
                    value,
                    joined,
                    "\n".join(believed),
                    len(unique),
                    key,
                ],
            )
            if outcome != -1:
                return bool(outcome == 1)
            believed = _tags(detail)
        raise RuntimeError(f"the tags of {key!r} kept changing under a write")

    async def invalidate(self, tags: Sequence[Tag]) -> list[str]:
        unique = tuple(dict.fromkeys(tags))
        if not unique:
            return []
        members = await self._invalidate(
            keys=[
                self._clock,
                *(self._key(generation_key(tag)) for tag in unique),
                *(self._key(members_key(tag)) for tag in unique),
            ],
            args=[uuid.uuid4().hex, len(unique)],
        )
        return sorted(member.decode() for member in members)

    async def live(self, tags: Sequence[Tag], *, since: float) -> list[str]:
        unique = tuple(dict.fromkeys(tags))
        if not unique:
            return []
        found = await self._live(
            keys=[self._reads, *(self._key(members_key(tag)) for tag in unique)],
            args=[_score(since)],
        )
        return sorted(key.decode() for key in found)

    async def live_keys(self, since: float) -> list[str]:
        found = await self._client.zrangebyscore(self._reads, _score(since), "+inf")
        return sorted(_text(key) for key in found)

    async def forget_reads(self, before: float) -> int:
        removed = await self._client.zremrangebyscore(self._reads, "-inf", f"({_score(before)}")
        return int(removed)

    async def delete(self, keys: Sequence[str]) -> int:
        pending = list(dict.fromkeys(keys))
        deleted = 0
        for _ in range(_ATTEMPTS):
            if not pending:
                return deleted
            async with self._client.pipeline(transaction=False) as pipe:
                for key in pending:
                    pipe.hget(self._key(key), "t")
                believed = await pipe.execute()
            present = [
                (key, _tags(raw))
                for key, raw in zip(pending, believed, strict=True)
                if raw is not None
            ]
            if not present:
                return deleted
            await self._step("delete:script")
            script_keys: list[str] = []
            script_args: list[str | int] = []
            for key, tags in present:
                script_keys.append(self._key(key))
                script_keys.extend(self._key(members_key(tag)) for tag in tags)
                script_args.extend((key, "\n".join(tags), len(tags)))
            count, *wrong = await self._delete(keys=script_keys, args=script_args)
            deleted += int(count)
            retry = {int(position) - 1 for position in wrong}
            pending = [key for index, (key, _) in enumerate(present) if index in retry]
        raise RuntimeError(f"the tags of {pending!r} kept changing under a delete")

    async def lease(self, key: str, *, ttl: float) -> Lease | None:
        token = uuid.uuid4().hex
        won = await self._client.set(
            self._key(lease_key(key)), token, nx=True, px=max(1, round(ttl * 1000))
        )
        return Lease(key, token) if won else None

    async def release(self, lease: Lease) -> bool:
        released = await self._release(keys=[self._key(lease_key(lease.key))], args=[lease.token])
        return bool(released)

    async def ping(self) -> None:
        """One round trip to Redis (readiness); raises what redis-py raises when it is down."""
        await self._client.ping()

    async def disconnect(self) -> None:
        """Drops the pooled connections: after an outage they may lead to a Redis process that
        is gone (each would fail once); the next commands connect anew."""
        await self._client.connection_pool.disconnect()

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _key(self, key: str) -> str:
        return namespaced(self._namespace, key)

    async def _step(self, name: str) -> None:
        if self._hook is not None:
            await self._hook(name)


def _reply(reply: Any) -> Any:
    if isinstance(reply, Exception):
        raise reply
    return reply


def _score(when: float) -> str:
    """A time as a score both Redis and its Lua read (neither reads ``inf`` the same)."""
    return repr(min(max(float(when), -1e308), 1e308))


def _text(raw: object) -> str:
    if isinstance(raw, bytes):
        return raw.decode()
    if isinstance(raw, str):
        return raw
    raise TypeError(f"unexpected reply from Redis: {raw!r}")


def _tags(raw: bytes | str | None) -> tuple[Tag, ...]:
    if not raw:
        return ()
    text = raw.decode() if isinstance(raw, bytes) else raw
    return tuple(Tag(tag) for tag in text.split("\n"))
