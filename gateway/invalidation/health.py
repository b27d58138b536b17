"""``StoreHealth``: whether a store is up as far as this process knows, and the probe that
finds it back.

A store that failed to answer (refused the connection, or did not reply within its
timeout) is *down*: callers stop asking it, so that a paused Redis costs one timeout, not
one per request. While it is down a background task probes it every ``interval_s``
seconds (Redis: ``PING``, bounded by the client's socket timeout); the first answer makes
it *up* again, and ``on_up`` is told how long the outage lasted. So the store is used again
at most ``interval_s`` plus one probe after it came back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

__all__ = ["StoreHealth"]

log = logging.getLogger(__name__)


class StoreHealth:
    """Up or down; see the module documentation."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[object]],
        *,
        interval_s: float,
        name: str = "Redis",
        on_up: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("the probe interval must be positive")
        self._probe = probe
        self.interval_s = interval_s
        self.name = name
        self._on_up = on_up
        self._clock = clock
        self.up = True
        #: When the current outage began (``clock`` time), ``None`` while up.
        self.down_since: float | None = None
        #: How many outages began, and how many probes failed.
        self.outages = 0
        self.failed_probes = 0
        self._prober: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def down_for_s(self) -> float:
        """Seconds since the current outage began (0 while up)."""
        return 0.0 if self.down_since is None else self._clock() - self.down_since

    def lost(self, error: BaseException) -> None:
        """The store failed to answer: it is down until a probe answers."""
        if self._closed or not self.up:
            return
        self.up = False
        self.down_since = self._clock()
        self.outages += 1
        log.warning(
            "%s is down (%s): not asking it again until it answers a probe (every %.1f s)",
            self.name,
            _describe(error),
            self.interval_s,
        )
        self._prober = asyncio.get_running_loop().create_task(
            self._probing(), name=f"{self.name} probe"
        )

    async def close(self) -> None:
        self._closed = True
        prober, self._prober = self._prober, None
        if prober is not None:
            prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await prober

    async def _probing(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.interval_s)
            try:
                await self._probe()
            except Exception as error:
                self.failed_probes += 1
                log.debug("%s still down: %s", self.name, _describe(error))
                continue
            self._restored()
            return

    def _restored(self) -> None:
        outage = self.down_for_s
        self.up = True
        self.down_since = None
        self._prober = None
        log.warning("%s answers again after %.1f s", self.name, outage)
        if self._on_up is not None:
            self._on_up(outage)


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
