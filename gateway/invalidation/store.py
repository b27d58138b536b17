"""The field cache port: entries with tags, an invalidation clock, conditional writes.

An entry is the value of one :class:`~gateway.invalidation.keys.Recipe` (its key) with the
tags of the entities it depends on. Values are opaque bytes. Nothing expires on a timer:
an entry lives until an event invalidates one of its tags, and even then it is kept and
reported *stale* so that readers can be served the old value while a refill runs.

The clock
    The store keeps one invalidation clock. :meth:`FieldCache.invalidate` advances it and
    stamps each named tag with the new value: that is the tag's *generation*. A fill takes a
    :meth:`FieldCache.snapshot` (the clock) *before* it asks the upstream, and its
    :meth:`FieldCache.put` lands only if none of the entry's tags has a generation above the
    snapshot, that is only if no invalidation of those tags began after the fill did. So a
    value fetched before an event can never land after it ("Scaling Memcache at Facebook",
    leases; reference/RELIABILITY.md section 3). Because generations are clock values, this
    also covers tags a fill learns only from the upstream's answer (the builds a package's
    ``latestBuilds`` turned out to contain): they need not be known when the snapshot is
    taken.

Staleness
    An entry remembers the clock it was filled under; it is stale when one of its tags has
    a generation above that. Invalidation therefore needs no write per entry, and a landing
    fill, filled under the newest clock, is fresh again.

The epoch
    A snapshot also carries the store's epoch, an identity of its lifetime. A store that
    lost its memory (a Redis restart without persistence, a flush) gets a new epoch, and
    fills that began before are refused: their snapshots' clock values mean nothing against
    the counters that restarted from zero.

Live keys
    :meth:`FieldCache.get_many` records when each key was last read. The worker refills the
    *live* keys of the tags it invalidated (:meth:`FieldCache.live`) and reconciles all live
    keys after a gap in the bus (:meth:`FieldCache.live_keys`).

Leases
    A lease is the cross-replica half of single flight (:mod:`gateway.invalidation.gate`):
    a short lock on filling one key, which expires by itself if its holder dies. Leases only
    spare the upstream duplicate fills; correctness never depends on them, it rests on the
    conditional write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.invalidation.keys import Tag

#: A test hook an adapter awaits between the steps of an operation, with the step's name,
#: so that tests can interleave other operations there deterministically.
Hook = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Entry:
    """A cached value; ``stale`` when one of its tags was invalidated since it was filled."""

    value: bytes
    stale: bool
    tags: tuple[Tag, ...]
    #: The invalidation clock when the fill that wrote it began.
    clock: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The store's clock when a fill began; :meth:`FieldCache.put` checks against it."""

    epoch: str
    clock: int


@dataclass(frozen=True, slots=True)
class Lease:
    """The right to fill one key, until released or until it expires."""

    key: str
    token: str


class FieldCache(Protocol):
    """The field cache. Implemented in memory and on Redis, with one contract test suite."""

    async def get_many(
        self, keys: Sequence[str], *, now: float | None = None, record: bool = True
    ) -> list[Entry | None]:
        """The entries of ``keys`` in order (``None`` when missing). Unless ``record`` is
        false (the worker's and the fill gate's own looks), records the keys as read at
        ``now`` (seconds since the epoch, default the current time): they are live."""
        ...

    async def snapshot(self) -> Snapshot:
        """The clock, taken by a fill *before* it asks the upstream."""
        ...

    async def put(self, key: str, value: bytes, tags: Sequence[Tag], snapshot: Snapshot) -> bool:
        """Writes an entry unless one of ``tags`` was invalidated after ``snapshot``, the
        store lost its memory since, or the entry was already filled under a later snapshot.
        Returns whether it landed. ``tags`` must not be empty: an entry without tags could
        never be invalidated."""
        ...

    async def invalidate(self, tags: Sequence[Tag]) -> list[str]:
        """Advances the clock, stamps ``tags`` with it, and so marks every entry carrying one
        of them stale (entries are kept). Returns the keys of those entries, sorted."""
        ...

    async def live(self, tags: Sequence[Tag], *, since: float) -> list[str]:
        """Keys of entries carrying any of ``tags`` that were read at or after ``since``."""
        ...

    async def live_keys(self, since: float) -> list[str]:
        """Every key read at or after ``since``, whether or not it has an entry."""
        ...

    async def forget_reads(self, before: float) -> int:
        """Drops the reads older than ``before``; returns how many keys were dropped."""
        ...

    async def delete(self, keys: Sequence[str]) -> int:
        """Removes entries and their tag memberships; returns how many existed."""
        ...

    async def lease(self, key: str, *, ttl: float) -> Lease | None:
        """A lease on filling ``key`` for ``ttl`` seconds, or ``None`` when another holds it."""
        ...

    async def release(self, lease: Lease) -> bool:
        """Gives a lease back; ``False`` when it had expired or was not this holder's."""
        ...

    async def close(self) -> None: ...


def check_tags(tags: Sequence[Tag]) -> tuple[Tag, ...]:
    """``tags`` without duplicates, in order; refuses no tags and malformed ones."""
    unique = tuple(dict.fromkeys(tags))
    if not unique:
        raise ValueError("an entry without tags could never be invalidated")
    for tag in unique:
        if not tag or "\n" in tag:
            raise ValueError(f"malformed tag: {tag!r}")
    return unique
