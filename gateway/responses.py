"""Whole answers kept and replayed while the field-cache entries they were made of hold.

A warm query still costs its execution: strawberry walks the document, calls a resolver
per field and the dataloaders read the field cache level by level. Most of that work
repeats itself exactly — the same page, asked again and again, until an event changes
one of the entries it was made of. So after an operation that read only fresh field-cache
entries (:attr:`~gateway.resolvers.cached.CacheStats.replayable`), its ``data`` is kept
under its document, variables and operation name, with the key of every entry it read and
the clock of the fill that wrote it.

The next identical operation reads those entries again in one store round trip — which
also records them as read, so the worker keeps refilling them — and gets the kept answer
only if every entry is still there, fresh, and written by the same fill. Any invalidation
(an entry marked stale) or refill (a new clock) sends it through execution again, which
keeps the new answer. A replayed answer therefore equals what execution would have
returned at that moment, and it is never kept on a timer.

Answers are kept per process, in memory, within a byte budget (least recently used out).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.invalidation.store import FieldCache
from gateway.resolvers.cached import CacheStats

__all__ = ["Replay", "ResponseCache"]

log = logging.getLogger(__name__)

#: Bytes counted per kept answer besides its data and keys.
_OVERHEAD = 256

Key = tuple[str, bytes, str | None]


@dataclass(frozen=True, slots=True)
class Replay:
    """A kept answer: its ``data``, and the entries (key, clock) it was made of."""

    data: Any
    keys: tuple[str, ...]
    clocks: tuple[int, ...]
    size: int
    #: The operation's cost (``extensions.cost.requested``), charged again at each replay.
    cost: int = 1


class ResponseCache:
    """Answers of operations, replayed while the entries they were made of are unchanged."""

    def __init__(self, store: FieldCache, *, max_bytes: int) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.bytes = 0
        self.replays = 0
        self.refusals = 0
        self._answers: OrderedDict[Key, Replay] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    @staticmethod
    def key(query: str | None, variables: dict[str, Any] | None, operation: str | None) -> Key:
        """What identifies an operation: its document, variables and operation name."""
        return (query or "", orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS), operation)

    async def replay(self, key: Key, stats: CacheStats) -> Replay | None:
        """The kept answer of ``key`` if every entry it was made of is unchanged.

        The entries are read as a resolver would read them (counted in ``stats`` as hits,
        recorded as live); an answer that no longer holds is forgotten.
        """
        kept = self._answers.get(key)
        if kept is None:
            return None
        if kept.keys:
            try:
                entries = await self.store.get_many(kept.keys)
            except Exception:
                log.warning("the field cache cannot be read; executing", exc_info=True)
                return None
            for entry, clock in zip(entries, kept.clocks, strict=True):
                if entry is None or entry.stale or entry.clock != clock:
                    self._forget(key)
                    self.refusals += 1
                    return None
        if self._answers.get(key) is kept:
            self._answers.move_to_end(key)
        stats.hits += len(kept.keys)
        stats.entries.update(zip(kept.keys, kept.clocks, strict=True))
        self.replays += 1
        return kept

    def keep(self, key: Key, data: Any, stats: CacheStats, *, cost: int = 1) -> bool:
        """Keep ``data`` as the answer of ``key`` when ``stats`` say it can be replayed."""
        if not stats.replayable:
            return False
        size = len(orjson.dumps(data)) + sum(map(len, stats.entries)) + len(key[0]) + _OVERHEAD
        if size > self.max_bytes:
            return False
        self._forget(key)
        keys = tuple(stats.entries)
        clocks = tuple(stats.entries[k] for k in keys)
        self._answers[key] = Replay(data, keys, clocks, size, cost)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, oldest = self._answers.popitem(last=False)
            self.bytes -= oldest.size
        return True

    def _forget(self, key: Key) -> None:
        old = self._answers.pop(key, None)
        if old is not None:
            self.bytes -= old.size
