"""Refill rounds: what concurrent handlers ask to refill, fetched together, each key once.

Messages come in bursts about the same things: a build publishes three to fifteen about one
package, a mass rebuild thousands about thousands. Each handler invalidates its tags and
must see the live entries carrying them refilled before it acks. Refilled one handler at a
time, a package's entries would be fetched once per message, and every handler would hold
its delivery for a full upstream round trip of its own.

:class:`RefillRounds` gathers the keys handlers ask for during a short window into one
round: each distinct key is refilled once, keys of one kind in one batched upstream request
(:class:`~gateway.invalidation.refill.Refiller`), and every handler is answered with the
outcome of its own keys.

A round starts a short window after the first key it holds was asked for, while others may
still be running (up to ``max_rounds`` at once, so one slow upstream answer does not hold
every later round back). A key asked while a round that holds it is running waits for a
later round, because the running round's snapshot may predate the asker's invalidation: no
handler is answered by a fetch that began before its own invalidation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from gateway.invalidation.refill import RefillReport

__all__ = ["RefillRounds"]

log = logging.getLogger(__name__)

#: How long a round waits for more keys after the first one is asked for.
WINDOW_S = 0.01
#: The most keys one round refills; the rest wait for the next round.
MAX_KEYS = 5000
#: The most rounds running at once.
MAX_ROUNDS = 8


class RefillRounds:
    """Refills asked for concurrently, done in rounds of distinct keys."""

    def __init__(
        self,
        refill: Callable[[Sequence[str]], Awaitable[RefillReport]],
        *,
        window_s: float = WINDOW_S,
        max_keys: int = MAX_KEYS,
        max_rounds: int = MAX_ROUNDS,
    ) -> None:
        self._refill = refill
        self.window_s = window_s
        self.max_keys = max_keys
        self.max_rounds = max_rounds
        self.rounds = 0
        self.keys = 0
        self._pending: dict[str, asyncio.Future[RefillReport]] = {}
        self._runner: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def refill(self, keys: Sequence[str]) -> RefillReport:
        """Refill ``keys`` in the next round; the outcome of these keys alone."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return RefillReport()
        loop = asyncio.get_running_loop()
        futures = []
        for key in wanted:
            future = self._pending.get(key)
            if future is None:
                future = self._pending[key] = loop.create_future()
            futures.append(future)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="refill-rounds")
        outcomes = await asyncio.gather(*(asyncio.shield(future) for future in futures))
        return _mine(wanted, {id(report): report for report in outcomes}.values())

    async def close(self) -> None:
        """Stop the rounds; keys still waiting are failed."""
        tasks = [task for task in (self._runner, *self._running) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for future in self._pending.values():
            if not future.done():
                future.cancel()
        self._pending.clear()

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self.window_s)
            while len(self._running) >= self.max_rounds:
                await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            batch = dict(list(self._pending.items())[: self.max_keys])
            for key in batch:
                del self._pending[key]
            self.rounds += 1
            self.keys += len(batch)
            task = asyncio.create_task(self._round(batch), name="refill-round")
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _round(self, batch: dict[str, asyncio.Future[RefillReport]]) -> None:
        try:
            report = await self._refill(list(batch))
        except BaseException as error:  # the askers' handlers fail, and are retried
            for future in batch.values():
                if not future.done():
                    future.set_exception(error)
            if isinstance(error, asyncio.CancelledError):
                raise
            log.warning("a refill round failed: %r", error)
            return
        for future in batch.values():
            if not future.done():
                future.set_result(report)


def _mine(keys: Sequence[str], reports: Iterable[RefillReport]) -> RefillReport:
    """The parts of the rounds' reports that concern ``keys``."""
    wanted = set(keys)
    mine = RefillReport()
    for report in reports:
        mine.written += [k for k in report.written if k in wanted]
        mine.refused += [k for k in report.refused if k in wanted]
        mine.unreadable += [k for k in report.unreadable if k in wanted]
        failed = [k for k in report.failed if k in wanted]
        mine.failed += failed
        if failed:
            mine.errors += report.errors
    return mine
