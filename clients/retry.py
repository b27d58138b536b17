"""``RetryPolicy``: how hard a client tries before it reports an upstream unavailable.

Only idempotent calls are retried (every read, including koji's reads, which
travel as POST), and only on failures that a second try can cure: connection
errors, timeouts, HTTP 5xx and 429 (not a refusal by an open circuit breaker,
:class:`~clients.errors.CircuitOpen`, which must fail fast). Between attempts the
client waits a random time in an exponentially widening window ("full jitter", tenacity's
``wait_random_exponential``), or what the upstream asked for in ``Retry-After``,
capped so that one slow upstream cannot hold a request hostage::

    RetryPolicy()                       # 3 attempts, 0.2 s window doubling to 2 s
    RetryPolicy(attempts=5, deadline_s=8.0)
    RetryPolicy.none()                  # a single attempt

The attempts themselves are bounded by the HTTP client's timeouts.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from clients.errors import CircuitOpen, UpstreamUnavailable

__all__ = ["RetryPolicy", "parse_retry_after"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts, backoff and the ``Retry-After`` cap for one client's idempotent calls."""

    #: Total tries of one call, the first included (1 disables retrying).
    attempts: int = 3
    #: The first backoff window in seconds; it doubles with every retry.
    backoff_s: float = 0.2
    #: The largest backoff window in seconds.
    max_backoff_s: float = 2.0
    #: The longest ``Retry-After`` the client honours; longer requests are cut to this.
    max_retry_after_s: float = 5.0
    #: Stop retrying once this many seconds have passed since the first attempt.
    deadline_s: float | None = None
    #: How to wait; tests pass a recorder instead of ``asyncio.sleep``.
    sleep: Sleep = field(default=asyncio.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("a retry policy needs at least one attempt")
        if min(self.backoff_s, self.max_backoff_s, self.max_retry_after_s) < 0:
            raise ValueError("backoff and Retry-After caps cannot be negative")

    @classmethod
    def none(cls) -> RetryPolicy:
        """One attempt, no retries."""
        return cls(attempts=1)

    def retrying(self, upstream: str, *, idempotent: bool = True) -> AsyncRetrying:
        """A tenacity controller that retries ``UpstreamUnavailable`` under this policy
        (not ``CircuitOpen``)."""
        stop: stop_base = stop_after_attempt(self.attempts if idempotent else 1)
        if self.deadline_s is not None:
            stop = stop | stop_after_delay(self.deadline_s)
        return AsyncRetrying(
            stop=stop,
            wait=self._wait,
            retry=retry_if_exception(_transient),
            sleep=self.sleep,
            before_sleep=lambda state: _log_retry(upstream, state),
            reraise=True,
        )

    def _wait(self, state: RetryCallState) -> float:
        """``Retry-After`` when the upstream gave one (capped), else full-jitter backoff."""
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, UpstreamUnavailable) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after_s)
        jitter = wait_random_exponential(multiplier=self.backoff_s, max=self.max_backoff_s)
        return jitter(state)


def _transient(error: BaseException) -> bool:
    """Whether another attempt may cure ``error``."""
    return isinstance(error, UpstreamUnavailable) and not isinstance(error, CircuitOpen)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def _log_retry(upstream: str, state: RetryCallState) -> None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning(
        "%s: attempt %d failed (%s); retrying in %.2f s",
        upstream,
        state.attempt_number,
        error,
        wait,
    )
