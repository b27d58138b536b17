"""The in-process bus: deliveries from a source in this process, handled as the consumer would.

The embedded configuration (``demo``) has no broker: the simulated world hands its
messages to the gateway in process. :class:`LocalConsumer` reads them one at a time from
any async iterator of deliveries and gives the handler the consumer's semantics: a
:class:`~gateway.invalidation.delivery.Drop` discards the message (counted), a
:class:`~gateway.invalidation.delivery.Retry` or an unexpected exception tries it again
after a backoff, up to a limit, so that no event is lost to a passing failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from gateway.invalidation.delivery import Delivery, Drop, Handler, Retry

log = logging.getLogger(__name__)


class LocalConsumer:
    def __init__(
        self,
        source: AsyncIterator[Delivery],
        handler: Handler,
        *,
        attempts: int = 5,
        backoff_s: float = 0.5,
    ) -> None:
        self.source = source
        self.handler = handler
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.received = self.handled = self.dropped = self.retried = 0
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="local bus consumer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def run(self) -> None:
        async for delivery in self.source:
            self.received += 1
            self._idle.clear()
            try:
                await self._handle(delivery)
            finally:
                self._idle.set()

    async def idle(self) -> None:
        """Returns once the consumer is between messages."""
        await self._idle.wait()

    async def _handle(self, delivery: Delivery) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                await self.handler(delivery)
            except Drop as drop:
                self.dropped += 1
                log.warning("dropped %s: %s", delivery.message_id, drop.reason)
                return
            except Exception as error:  # Retry, or a failure we did not foresee
                self.retried += 1
                if not isinstance(error, Retry):
                    log.exception("handling %s failed", delivery.message_id)
                if attempt == self.attempts:
                    self.dropped += 1
                    log.error("gave up on %s after %d attempts", delivery.message_id, attempt)
                    return
                delay = error.delay if isinstance(error, Retry) and error.delay else None
                await asyncio.sleep(delay or self.backoff_s * attempt)
            else:
                self.handled += 1
                return
