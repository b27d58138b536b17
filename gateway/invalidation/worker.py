"""The invalidation worker's handler: one bus message in, its effects committed, then ack.

For each delivery: decode it into a typed event (a malformed one is dropped to the
dead-letter queue, counted, never retried), map it to tags with the pure rules, take the
leases of the live entries carrying those tags (so readers wait for this refill rather
than duplicate it), invalidate the tags, refill every live variant (in rounds shared with
the handlers of other messages: :mod:`~gateway.invalidation.rounds`), update the search
index, and publish the change on the change feed. Only then does the handler return and
the consumer ack. Every step is idempotent, so a redelivered or duplicated message is
harmless; a refill that an upstream outage prevented is retried with the message, and so
is a message handled while Redis is unreachable (:class:`~gateway.invalidation.delivery.
Retry`, which is never dead-lettered for it: the event waits in the queue until Redis is
back).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

from clients import Upstreams
from gateway.invalidation import messages, rules
from gateway.invalidation.delivery import Delivery, Drop, Retry
from gateway.invalidation.fallback import REDIS_DOWN
from gateway.invalidation.feed import Change, ChangeFeed
from gateway.invalidation.keys import Tag
from gateway.invalidation.refill import Refiller, RefillReport
from gateway.invalidation.rounds import RefillRounds
from gateway.invalidation.store import FieldCache, Lease

log = logging.getLogger(__name__)

#: Called with each event and the packages it changed: the search index's hook.
SearchHook = Callable[[messages.Event, frozenset[str]], Awaitable[None]]


class Invalidator:
    """Turns bus deliveries into invalidations, refills and changes."""

    def __init__(
        self,
        cache: FieldCache,
        upstreams: Upstreams,
        feed: ChangeFeed,
        *,
        live_window_s: float = 7 * 86_400,
        topic_prefix: str = messages.PROD_PREFIX,
        lease_s: float = 15.0,
        search: SearchHook | None = None,
    ) -> None:
        self.cache = cache
        self.feed = feed
        self.refiller = Refiller(cache, upstreams)
        #: Handlers' refills, gathered: each live key refilled once per round.
        self.rounds = RefillRounds(self._refill)
        self.live_window_s = live_window_s
        self.topic_prefix = topic_prefix
        self.lease_s = lease_s
        self.search = search
        self.counts: Counter[str] = Counter()
        self.last_report: RefillReport | None = None
        #: How many times a refill refused by a newer invalidation is tried again.
        self.refused_rounds = 5

    async def handle(self, delivery: Delivery) -> None:
        try:
            event = messages.decode(
                delivery.routing_key,
                delivery.headers,
                delivery.body,
                delivery.message_id,
                prefix=self.topic_prefix,
            )
        except messages.MalformedMessageError as error:
            self.counts["malformed"] += 1
            log.warning("dropping a malformed message %s: %s", delivery.message_id, error)
            raise Drop(str(error)) from None
        if isinstance(event, messages.Unknown):
            self.counts["ignored"] += 1
            return
        tags = sorted(rules.tags_for(event))
        if not tags:
            self.counts["ignored"] += 1
            return
        try:
            await self._apply(delivery, event, tags)
        except REDIS_DOWN as error:
            self.counts["store_down"] += 1
            raise Retry(f"the field cache is unreachable: {error!r}") from error

    async def _apply(self, delivery: Delivery, event: messages.Event, tags: list[Tag]) -> None:
        report = await self.invalidate(tags)
        packages = rules.packages_of(event)
        if self.search is not None:
            await self.search(event, packages)
        await self.feed.publish(
            Change.of(
                message_id=delivery.message_id,
                topic=event.topic,
                tags=tags,
                packages=packages,
                reasons=rules.reasons_of(event),
                at=delivery.timestamp,
                subject=rules.subject_of(event),
            )
        )
        self.counts["handled"] += 1
        if report.failed and report.errors:
            self.counts["refill_failed"] += 1
            raise Retry(f"{len(report.failed)} entries could not be refilled: {report.errors[0]}")

    async def invalidate(self, tags: Sequence[str]) -> RefillReport:
        """Invalidate ``tags`` and refill their live entries; the leases keep readers waiting."""
        since = time.time() - self.live_window_s
        live = await self.cache.live(tags, since=since)  # type: ignore[arg-type]
        leases = await asyncio.gather(*(self.cache.lease(k, ttl=self.lease_s) for k in live))
        try:
            await self.cache.invalidate(tags)  # type: ignore[arg-type]
            report = await self.rounds.refill(live)
        finally:
            await asyncio.gather(*(self._release(lease) for lease in leases if lease is not None))
        self.last_report = report
        self.counts["refilled"] += len(report.written)
        return report

    async def _refill(self, keys: Sequence[str]) -> RefillReport:
        """Refill ``keys``; a write a newer invalidation refused is fetched again.

        A refused write means another event touched the entry while this refill was
        fetching; that event's own refill may not know the entry (it was not carrying the
        event's tags yet), so the entry is refilled here, under a newer snapshot.
        """
        report = await self.refiller.refill(keys)
        for _ in range(self.refused_rounds):
            if not report.refused:
                break
            again = await self.refiller.refill(report.refused)
            report.written += again.written
            report.failed += again.failed
            report.errors += again.errors
            report.unreadable += again.unreadable
            report.refused = again.refused
        if report.refused:
            log.warning(
                "%d entries kept being invalidated during their refill; left stale",
                len(report.refused),
            )
        return report

    async def close(self) -> None:
        """Stop the refill rounds; handlers still waiting for one fail (and are redelivered)."""
        await self.rounds.close()

    async def reconcile(self) -> RefillReport:
        """After a gap in the bus: fetch every live entry again rather than trust the cache."""
        live = await self.cache.live_keys(time.time() - self.live_window_s)
        report = await self._refill(live)
        self.counts["reconciled"] += len(report.written)
        log.info("reconciled %d live entries (%d failed)", len(report.written), len(report.failed))
        return report

    async def _release(self, lease: Lease) -> None:
        try:
            await self.cache.release(lease)
        except Exception:
            log.warning("could not release the lease on %s", lease.key, exc_info=True)
