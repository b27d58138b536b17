"""``CircuitBreaker``: one upstream's breaker, so that a dead service fails fast.

Without it a dead Bugzilla makes every page that shows bugs wait for the upstream timeout,
three times over with retries. With it, once the upstream is known to be failing, calls
are refused at once with :class:`~clients.errors.CircuitOpen` (an ``UpstreamUnavailable``:
the gateway then serves the last known value, marked stale, or an ``UPSTREAM_UNAVAILABLE``
field error), and one probe at a time finds out when it is back::

                 N failures in a row, or the failure ratio over the last W calls,
                 or a 429/503 with Retry-After
      CLOSED  -------------------------------------------------->  OPEN
        ^                                                          |  cool-down (or the
        |  the probe answers                                       |  Retry-After) over
        +----------------------  HALF_OPEN  <----------------------+
                                    |  one call goes through (the probe); the others are
                                    |  refused. The probe fails: OPEN again
                                    v

What counts
    A *failure* is an attempt without a usable answer: a timeout, a refused or reset
    connection, HTTP 5xx or 429, and an answer whose body cannot be read (garbage). A
    *success* is any other answer, a 404 or a 400 included: the service answered. Every
    attempt counts, retries included (:class:`~clients.endpoint.Endpoint` reports them).

Retry-After
    A 429 (or 503) carrying ``Retry-After`` opens the circuit at once, for that long
    (capped at :attr:`BreakerPolicy.max_retry_after_s`): the upstream asked not to be
    called before then, and it is not.

Late answers
    Calls let through while the circuit was closed may end after it opened; their outcomes
    are ignored, so only the probe decides whether it closes again.

Why not a library
    purgatory, aiobreaker, pybreaker and circuitbreaker count consecutive failures only;
    none opens on a failure ratio, none opens for a duration the upstream chose
    (``Retry-After``), and purgatory and aiobreaker let every concurrent call through while
    half-open instead of a single probe. This state machine is what is needed, and small.

The breaker is plain synchronous state on the event loop: no locks, no I/O, no tasks.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from clients.errors import CircuitOpen, UpstreamError, UpstreamUnavailable

__all__ = ["BreakerPolicy", "CircuitBreaker", "CircuitState"]

log = logging.getLogger(__name__)


class CircuitState(enum.StrEnum):
    CLOSED = "closed"  # calls go through, outcomes are counted
    OPEN = "open"  # calls are refused until the cool-down (or Retry-After) is over
    HALF_OPEN = "half_open"  # one call (the probe) goes through, the others are refused


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a breaker opens, and for how long."""

    #: Failures in a row that open the circuit.
    failures: int = 5
    #: The share of failures among the last :attr:`window` outcomes that opens it.
    failure_ratio: float = 0.5
    #: How many recent outcomes the ratio is taken over (and needs before it applies).
    window: int = 20
    #: How long the circuit stays open before a probe is let through.
    cooldown_s: float = 5.0
    #: The longest ``Retry-After`` honoured; a longer one opens the circuit this long.
    max_retry_after_s: float = 120.0

    def __post_init__(self) -> None:
        if self.failures < 1 or self.window < 1:
            raise ValueError("a breaker needs failures >= 1 and window >= 1")
        if not 0 < self.failure_ratio <= 1:
            raise ValueError("failure_ratio must be in (0, 1]")
        if self.cooldown_s <= 0 or self.max_retry_after_s < 0:
            raise ValueError("cooldown_s must be positive and max_retry_after_s not negative")


class CircuitBreaker:
    """The breaker of one upstream; see the module documentation."""

    def __init__(
        self,
        upstream: str,
        policy: BreakerPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.upstream = upstream
        self.policy = policy if policy is not None else BreakerPolicy()
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._in_a_row = 0
        self._recent: deque[bool] = deque(maxlen=self.policy.window)  # True: a failure
        self._open_until = 0.0
        self._probing = False
        #: Why the circuit opened last.
        self.reason = ""
        #: How many times it opened from closed (a failed probe does not count again).
        self.opened = 0
        #: How many calls it refused.
        self.rejected = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.upstream!r}, {self.state.value})"

    @property
    def state(self) -> CircuitState:
        """The state now: an open circuit whose time is over is half-open."""
        if self._state is CircuitState.OPEN and self._clock() >= self._open_until:
            return CircuitState.HALF_OPEN
        return self._state

    @property
    def remaining_s(self) -> float:
        """Seconds until a probe may go through (0 unless open)."""
        if self._state is not CircuitState.OPEN:
            return 0.0
        return max(self._open_until - self._clock(), 0.0)

    def admit(self) -> bool:
        """Let a call through, or refuse it with :class:`CircuitOpen`.

        Returns whether the call is the half-open probe; the caller reports its outcome
        with :meth:`succeeded` or :meth:`failed`, or :meth:`abandon` when it ends with
        neither (cancelled), always passing that flag back.
        """
        state = self.state
        if state is CircuitState.CLOSED:
            return False
        if state is CircuitState.HALF_OPEN and not self._probing:
            self._state = CircuitState.HALF_OPEN
            self._probing = True
            log.info("%s: circuit half-open, probing", self.upstream)
            return True
        self.rejected += 1
        remaining = self.remaining_s
        raise CircuitOpen(
            f"circuit open ({self.reason}); failing fast"
            + (f" for {remaining:.1f} s more" if remaining else " while a probe runs"),
            upstream=self.upstream,
            retry_after=remaining or None,
        )

    def succeeded(self, *, probe: bool = False) -> None:
        """The upstream answered."""
        if probe:
            self._close()
        elif self._state is CircuitState.CLOSED:
            self._in_a_row = 0
            self._recent.append(False)

    def failed(self, error: UpstreamError, *, probe: bool = False) -> None:
        """The upstream gave no usable answer; ``error`` says how."""
        if isinstance(error, CircuitOpen):
            return
        retry_after = error.retry_after if isinstance(error, UpstreamUnavailable) else None
        if retry_after is not None and retry_after > 0:
            self._probing = False
            seconds = min(retry_after, self.policy.max_retry_after_s)
            self._open(
                seconds, f"asked to wait {retry_after:g} s ({error.status or 'Retry-After'})"
            )
            return
        if probe:
            self._probing = False
            self._open(self.policy.cooldown_s, f"the probe failed: {error.message}")
            return
        if self._state is not CircuitState.CLOSED:
            return  # a late outcome of a call let through before the circuit opened
        self._in_a_row += 1
        self._recent.append(True)
        policy = self.policy
        if self._in_a_row >= policy.failures:
            self._open(policy.cooldown_s, f"{self._in_a_row} failures in a row: {error.message}")
        elif len(self._recent) == policy.window:
            ratio = sum(self._recent) / policy.window
            if ratio >= policy.failure_ratio:
                self._open(
                    policy.cooldown_s,
                    f"{ratio:.0%} of the last {policy.window} calls failed: {error.message}",
                )

    def abandon(self, *, probe: bool = False) -> None:
        """A call ended without an outcome (cancelled): a probe frees its place."""
        if probe:
            self._probing = False

    def _open(self, seconds: float, reason: str) -> None:
        until = self._clock() + seconds
        if self._state is CircuitState.OPEN and self._open_until >= until:
            return  # already open for longer
        if self._state is CircuitState.CLOSED:
            self.opened += 1
            log.warning("%s: circuit open for %.1f s: %s", self.upstream, seconds, reason)
        elif self._state is CircuitState.HALF_OPEN:
            log.info("%s: circuit open again for %.1f s: %s", self.upstream, seconds, reason)
        self._state = CircuitState.OPEN
        self._open_until = until
        self.reason = reason
        self._in_a_row = 0
        self._recent.clear()

    def _close(self) -> None:
        if self._state is not CircuitState.CLOSED:
            log.warning("%s: circuit closed: the upstream answers again", self.upstream)
        self._state = CircuitState.CLOSED
        self._probing = False
        self._in_a_row = 0
        self._recent.clear()
