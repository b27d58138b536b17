"""One message from the bus as a handler sees it, and how a handler steers its fate.

A :class:`Delivery` is transport-neutral: the RabbitMQ consumer
(:mod:`gateway.invalidation.consumer`) builds one from each AMQP delivery, and an in-process
bus can build them just as well. A :data:`Handler` is an async callable taking one delivery.
Its outcome decides what happens to the message, in the style of fedora-messaging's consumer
API (control flow by exceptions):

=================================  ===========================================================
handler outcome                    what the consumer does
=================================  ===========================================================
returns                            the effects are committed: **ack**
raises :class:`Drop`               a bad message: **reject without requeue**, so it goes to the
                                   dead-letter queue (or is discarded where there is none);
                                   logged and counted, never retried
raises :class:`Retry`              a transient failure (Redis or an upstream down): **nack with
                                   requeue** after a short backoff, so nothing is lost
raises anything else               a bug or an unforeseen failure: logged, counted and
                                   requeued like :class:`Retry`, until the same message has
                                   failed that way too often; then it is dead-lettered (see
                                   :class:`~gateway.invalidation.consumer.BusConsumer`)
=================================  ===========================================================

Handlers must be idempotent: delivery is at least once, so a message may arrive again after
a requeue, a lost acknowledgement or a reconnection, possibly at another worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Delivery", "Drop", "Handler", "HandlerControl", "Retry"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One bus message: routing key, headers, raw body and delivery metadata.

    ``timestamp`` is when the message was sent when the message says so (fedora-messaging's
    ``sent-at`` header, else the AMQP ``timestamp`` property), otherwise when it was received;
    it is always timezone-aware. ``delivery_count`` is how many times the broker delivered
    the message before (a quorum queue's ``x-delivery-count``; 0 or 1 from the
    ``redelivered`` flag elsewhere).
    """

    routing_key: str
    headers: Mapping[str, object] = field(hash=False)
    body: bytes
    message_id: str | None
    redelivered: bool
    timestamp: datetime
    delivery_count: int = 0

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None:
            raise ValueError("a delivery's timestamp must be timezone-aware")


class HandlerControl(Exception):  # noqa: N818 -- named after fedora-messaging's API
    """Base of the exceptions by which a handler decides a message's fate."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class Drop(HandlerControl):
    """The message is bad (malformed, unusable): dead-letter it and never requeue it."""


class Retry(HandlerControl):
    """The message is fine but could not be handled now: requeue it after a backoff.

    ``delay`` overrides the consumer's backoff for this one message, in seconds.
    """

    def __init__(self, reason: str = "", *, delay: float | None = None) -> None:
        super().__init__(reason)
        if delay is not None and delay < 0:
            raise ValueError("a retry delay cannot be negative")
        self.delay = delay


#: Handles one delivery; returning means "the effects are committed: ack".
Handler = Callable[[Delivery], Awaitable[None]]
