"""The field cache in process memory: the embedded default, same semantics as Redis.

Every operation runs without awaiting, so each is atomic with respect to the other tasks of
the event loop, as a Lua script is on Redis. Entries are bounded by a byte budget: a value,
its key and its tags, plus :data:`ENTRY_OVERHEAD` for the bookkeeping. When a write takes
the total over the budget, the least recently used entries (read or written; a look with
``record=False`` is not a use) are evicted
with their tag memberships, and counted in :attr:`MemoryFieldCache.evictions`. Evicting an
entry is always safe: the next read misses and fills.

What is never evicted: the tags' generations and the clock, because forgetting a generation
would let a fill that began before its invalidation land after it. They grow with the number
of distinct tags ever invalidated (a tag and an integer each), outside the budget. The read
log is outside the budget too; :meth:`MemoryFieldCache.forget_reads` trims it.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.invalidation.keys import Tag
from gateway.invalidation.store import Entry, Lease, Snapshot, check_tags

#: Bytes charged per entry on top of its key, value and tags.
ENTRY_OVERHEAD = 64

#: Leases held at once before the expired ones (holders that never released) are swept.
_LEASES_BEFORE_SWEEP = 1024

#: The default budget: 256 MiB of entries.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


@dataclass(slots=True)
class _Stored:
    value: bytes
    tags: tuple[Tag, ...]
    clock: int
    cost: int


class MemoryFieldCache:
    """:class:`~gateway.invalidation.store.FieldCache` in process memory, LRU under a budget."""

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.max_bytes = max_bytes
        self.used_bytes = 0
        self.evictions = 0
        self._epoch = uuid.uuid4().hex
        self._clock = 0
        self._entries: OrderedDict[str, _Stored] = OrderedDict()
        self._generations: dict[Tag, int] = {}
        self._members: dict[Tag, set[str]] = {}
        self._reads: dict[str, float] = {}
        self._leases: dict[str, tuple[str, float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get_many(
        self, keys: Sequence[str], *, now: float | None = None, record: bool = True
    ) -> list[Entry | None]:
        when = time.time() if now is None else now
        found: list[Entry | None] = []
        for key in keys:
            if record:
                self._reads[key] = when
            stored = self._entries.get(key)
            if stored is None:
                found.append(None)
                continue
            if record:
                self._entries.move_to_end(key)
            found.append(Entry(stored.value, self._stale(stored), stored.tags, stored.clock))
        return found

    async def snapshot(self) -> Snapshot:
        return Snapshot(self._epoch, self._clock)

    async def put(self, key: str, value: bytes, tags: Sequence[Tag], snapshot: Snapshot) -> bool:
        unique = check_tags(tags)
        if snapshot.epoch != self._epoch:
            return False
        if any(self._generations.get(tag, 0) > snapshot.clock for tag in unique):
            return False
        old = self._entries.get(key)
        if old is not None and old.clock > snapshot.clock:
            return False
        cost = len(key) + len(value) + sum(len(tag) for tag in unique) + ENTRY_OVERHEAD
        if old is not None:
            self._remove(key)
        if cost > self.max_bytes:
            return False
        self._entries[key] = _Stored(value, unique, snapshot.clock, cost)
        self.used_bytes += cost
        for tag in unique:
            self._members.setdefault(tag, set()).add(key)
        while self.used_bytes > self.max_bytes:
            victim = next(iter(self._entries))
            self._remove(victim)
            self.evictions += 1
        return True

    async def invalidate(self, tags: Sequence[Tag]) -> list[str]:
        if not tags:
            return []
        self._clock += 1
        affected: set[str] = set()
        for tag in tags:
            self._generations[tag] = self._clock
            affected.update(self._members.get(tag, ()))
        return sorted(affected)

    async def live(self, tags: Sequence[Tag], *, since: float) -> list[str]:
        members: set[str] = set()
        for tag in tags:
            members.update(self._members.get(tag, ()))
        return sorted(key for key in members if self._reads.get(key, since - 1) >= since)

    async def live_keys(self, since: float) -> list[str]:
        return sorted(key for key, when in self._reads.items() if when >= since)

    async def forget_reads(self, before: float) -> int:
        old = [key for key, when in self._reads.items() if when < before]
        for key in old:
            del self._reads[key]
        return len(old)

    async def delete(self, keys: Sequence[str]) -> int:
        existing = {key for key in keys if key in self._entries}
        for key in existing:
            self._remove(key)
        return len(existing)

    async def lease(self, key: str, *, ttl: float) -> Lease | None:
        now = time.monotonic()
        if len(self._leases) > _LEASES_BEFORE_SWEEP:
            self._leases = {k: held for k, held in self._leases.items() if held[1] > now}
        held = self._leases.get(key)
        if held is not None and held[1] > now:
            return None
        token = uuid.uuid4().hex
        self._leases[key] = (token, now + ttl)
        return Lease(key, token)

    async def release(self, lease: Lease) -> bool:
        held = self._leases.get(lease.key)
        if held is None or held[0] != lease.token:
            return False
        del self._leases[lease.key]
        return held[1] > time.monotonic()

    async def close(self) -> None:
        self._leases.clear()

    def _stale(self, stored: _Stored) -> bool:
        return any(self._generations.get(tag, 0) > stored.clock for tag in stored.tags)

    def _remove(self, key: str) -> None:
        stored = self._entries.pop(key)
        self.used_bytes -= stored.cost
        for tag in stored.tags:
            members = self._members.get(tag)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._members[tag]
