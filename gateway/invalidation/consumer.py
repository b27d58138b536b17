"""The worker's transport: consume the Fedora bus from RabbitMQ, acking only what committed.

:class:`BusConsumer` connects with ``aio_pika.connect_robust`` (which reconnects by itself
and restores the channel, the queue, its bindings and the consumer), declares a durable named
queue bound to ``amq.topic`` for each routing-key pattern, and hands every delivery to the
:data:`~gateway.invalidation.delivery.Handler` as a
:class:`~gateway.invalidation.delivery.Delivery`. The message is acked only after the handler
returned, so delivery is at least once: the handler's effects must be idempotent.

Outcomes (fedora-messaging's Nack/Drop model, :mod:`gateway.invalidation.delivery`)
    - returns → ``basic.ack``;
    - :class:`~gateway.invalidation.delivery.Drop` → ``basic.reject(requeue=False)``: the
      broker dead-letters it (below), it is never retried;
    - :class:`~gateway.invalidation.delivery.Retry` → after a backoff, ``basic.nack
      (requeue=True)``;
    - any other exception (a handler exceeding ``handler_timeout`` included) → logged with
      its traceback, then requeued like ``Retry`` until the same message has failed that way
      ``max_failures`` times, when it is rejected without requeue (dead-lettered).

Redelivery and dead-letter policy
    A poison message must not circle forever (RabbitMQ's "requeue/redelivery loop"), and a
    transient outage must not throw events away. So there are two bounds:

    1. *The consumer's count of unexpected failures* (``max_failures``, default 5), per
       message (its ``message_id``, else a hash of routing key and body), kept in a bounded
       in-memory table. ``Retry`` is not counted: it declares the message good and the
       failure transient. The count lives in one process: another worker, or this one after
       a restart, starts again from zero, which bounds a poison message at ``max_failures``
       per worker life.
    2. *The broker's delivery limit* as a backstop (``delivery_limit``, default 100): the
       queue is a **quorum queue** (``x-queue-type=quorum``) with ``x-delivery-limit``, so a
       message returned to the queue ``delivery_limit`` times, by requeues *or* because the
       worker died holding it (a count no process could keep), is dead-lettered by RabbitMQ
       itself on its next return. Requeues by ``Retry`` count too: with the default backoff
       (0.5 s doubling to 30 s) 100 deliveries take about half an hour, so a dependency down
       for longer dead-letters good messages; they wait in the dead-letter queue for replay.

    Backoff: each requeue first waits ``retry_backoff * 2**n`` seconds, capped at
    ``retry_backoff_max``, with jitter, where ``n`` is the larger of the consumer-wide streak
    of requeues since the last ack and the message's own ``delivery_count``. While a
    dependency is down every in-flight handler fails and waits, so the prefetch window fills
    with waiting messages and consumption slows down by itself instead of spinning; a single
    message that keeps failing among good ones backs off by its own delivery count (on a
    quorum queue; a classic queue only tells "redelivered or not").

    Dead letters: the queue has ``x-dead-letter-exchange`` (``dead_letter_exchange``, a
    durable direct exchange, default
    :data:`~gateway.invalidation.keys.DEAD_LETTER_EXCHANGE`) and
    ``x-dead-letter-routing-key`` = the queue's name, and the consumer declares the durable
    dead-letter queue (default :func:`~gateway.invalidation.keys.dead_letter_queue`) bound to
    it by that key. Dead letters keep their body and headers; RabbitMQ adds an ``x-death``
    record with the reason (``rejected`` or ``delivery_limit``) and the original routing key
    (``routing-keys``), for inspection and replay.
    For a quorum queue, dead-lettering is at least once (``x-dead-letter-strategy``
    ``at-least-once``, which requires ``x-overflow=reject-publish``). With
    ``dead_letter_exchange=None`` (Fedora's public broker) a rejected message is discarded:
    it is still logged, with its routing key and id, and counted.

Concurrency and order
    Up to ``prefetch`` handlers run concurrently (the broker never has more unacked
    deliveries out on the channel), each in a task of the consumer's own, so that a closing
    channel never cancels a handler half-way through its commit. Messages about the same
    package are **not** serialized: invalidation only bumps generations, which is idempotent
    and order-insensitive, and refills are conditional writes that cannot land a value
    fetched before a later invalidation (:mod:`gateway.invalidation.store`), so two handlers
    racing on one package converge to the same cache. Subscribers re-read on each change, so
    a reordered change-feed notice is harmless too. Requeues and redeliveries reorder
    messages anyway (RabbitMQ does not keep order across them), so per-package ordering
    could not be promised by serializing either.

    After a reconnection the broker redelivers what was unacked on the old channel; handlers
    still running for the old deliveries finish (their acks then fail and are counted as
    ``unsettled``), so for a moment up to twice ``prefetch`` handlers can be in flight, and a
    message can be handled twice. That is the at-least-once contract.

Connection state
    ``connected`` is an :class:`asyncio.Event` set while the consumer is registered on an open
    channel. ``on_reconnect`` (sync or async, run in a task of its own so it cannot stall the
    connection's recovery) receives a :class:`Gap` after every reconnection, with when the
    connection was lost and when consumption resumed, and once at start-up when the queue did
    not exist before (a passive declare found nothing): then every message published before
    is lost to this worker, and it must reconcile rather than trust the cache. On Fedora's
    public broker a queue without consumers is garbage-collected after about an hour, so a
    longer gap means the same (see :mod:`gateway.invalidation.broker`); aio-pika re-declares
    the queue silently on reconnection, so the gap's duration is the only evidence then.

Stopping
    :meth:`BusConsumer.stop` cancels the consumer (no new deliveries), lets the handlers in
    flight finish and settle their messages (at most ``drain_timeout`` seconds; a handler
    still running then is cancelled and its message, unacked, goes back to the queue), then
    closes the connection. Backoffs are cut short while stopping.

Fedora's public broker: :meth:`BusConsumer.fedora` (classic durable UUID-named queue, TLS
client certificate, no dead-lettering, prefetch 25; see :mod:`gateway.invalidation.broker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import random
import ssl
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import aio_pika
import aio_pika.exceptions
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustQueue,
)

from gateway.invalidation import broker, keys
from gateway.invalidation.delivery import Delivery, Drop, Handler, Retry

__all__ = ["DEFAULT_DELIVERY_LIMIT", "BusConsumer", "Gap", "QueueType", "ReconnectHook"]

log = logging.getLogger(__name__)

QueueType = Literal["classic", "quorum"]

#: The broker-side backstop on deliveries of one message (quorum queues).
DEFAULT_DELIVERY_LIMIT = 100

#: How many messages' failure counts the consumer remembers.
_FAILURE_MEMORY = 10_000

#: How long to wait for a passive declare, a consumer cancel or a close.
_RPC_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch in which the consumer was not consuming, handed to ``on_reconnect``.

    ``since`` is when the connection was lost (``None`` at start-up, when it is unknown),
    ``until`` when consumption resumed. ``queue_created`` is true when the queue did not
    exist before this start: whatever the bus carried before is lost to this worker.
    """

    since: datetime | None
    until: datetime
    queue_created: bool = False

    @property
    def seconds(self) -> float | None:
        """How long the gap lasted, when its start is known."""
        return None if self.since is None else (self.until - self.since).total_seconds()


#: Called after a reconnection (or a start on a new queue); may be a coroutine function.
ReconnectHook = Callable[[Gap], Awaitable[None] | None]


class BusConsumer:
    """Consumes one durable queue bound to ``exchange``; see the module documentation."""

    def __init__(
        self,
        url: str,
        *,
        queue: str,
        bindings: Sequence[str],
        handler: Handler,
        prefetch: int = 64,
        exchange: str = "amq.topic",
        queue_type: QueueType = "quorum",
        delivery_limit: int | None = DEFAULT_DELIVERY_LIMIT,
        dead_letter_exchange: str | None = keys.DEAD_LETTER_EXCHANGE,
        dead_letter_queue: str | None = None,
        queue_arguments: Mapping[str, Any] | None = None,
        max_failures: int = 5,
        retry_backoff: float = 0.5,
        retry_backoff_max: float = 30.0,
        handler_timeout: float | None = 300.0,
        drain_timeout: float = 30.0,
        connection_name: str = "fedora-gateway worker",
        ssl_context: ssl.SSLContext | None = None,
        on_reconnect: ReconnectHook | None = None,
    ) -> None:
        if not queue:
            raise ValueError("the queue needs a name (a durable queue outlives the worker)")
        if not bindings or any(not key for key in bindings):
            raise ValueError("bind the queue with at least one non-empty routing-key pattern")
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1 (0 would mean unlimited)")
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if delivery_limit is not None:
            if queue_type != "quorum":
                raise ValueError("a delivery limit needs a quorum queue")
            if delivery_limit < 1:
                raise ValueError("delivery_limit must be at least 1")
        if retry_backoff < 0 or retry_backoff_max < retry_backoff:
            raise ValueError("need 0 <= retry_backoff <= retry_backoff_max")
        self._url = url
        self._queue_name = queue
        self._bindings = tuple(dict.fromkeys(bindings))
        self._handler = handler
        self._prefetch = prefetch
        self._exchange = exchange
        self._queue_type: QueueType = queue_type
        self._delivery_limit = delivery_limit
        self._dlx = dead_letter_exchange
        self._dlq = (
            None
            if dead_letter_exchange is None
            else dead_letter_queue or keys.dead_letter_queue(queue)
        )
        self._queue_arguments = dict(queue_arguments or {})
        self._max_failures = max_failures
        self._retry_backoff = retry_backoff
        self._retry_backoff_max = retry_backoff_max
        self._handler_timeout = handler_timeout
        self._drain_timeout = drain_timeout
        self._connection_name = connection_name
        self._ssl_context = ssl_context
        self._on_reconnect = on_reconnect

        #: Set while the consumer is registered on an open channel.
        self.connected = asyncio.Event()
        self._stopping = asyncio.Event()
        self._finished = asyncio.Event()
        self._started = False
        self._closing = False
        self._down_since: datetime | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self._failures: OrderedDict[str, int] = OrderedDict()
        self._streak = 0

        self._received = 0
        self._acked = 0
        self._dropped = 0
        self._dead_lettered = 0
        self._retried = 0
        self._failed = 0
        self._unsettled = 0
        self._reconnects = 0
        self._in_flight = 0

    @classmethod
    def fedora(
        cls,
        *,
        queue: str,
        bindings: Sequence[str],
        handler: Handler,
        tls: broker.TLSFiles | None = None,
        staging: bool = False,
        prefetch: int = broker.FEDORA_PREFETCH,
        connection_name: str = "fedora-gateway worker",
        on_reconnect: ReconnectHook | None = None,
    ) -> BusConsumer:
        """A consumer of Fedora's public broker, with the settings it requires.

        ``queue`` must be a UUID, generated once and kept private; ``tls`` defaults to the
        files fedora-messaging installs in ``/etc/fedora-messaging``.
        """
        files = tls or broker.fedora_tls(staging=staging)
        return cls(
            broker.fedora_url(staging=staging),
            queue=broker.check_fedora_queue_name(queue),
            bindings=bindings,
            handler=handler,
            prefetch=prefetch,
            queue_type="classic",
            delivery_limit=None,
            dead_letter_exchange=None,
            connection_name=connection_name,
            ssl_context=broker.ssl_context(files),
            on_reconnect=on_reconnect,
        )

    # -- counters (plain numbers; metrics read them) ----------------------------------------

    @property
    def received(self) -> int:
        """Deliveries handed to the handler (redeliveries included)."""
        return self._received

    @property
    def acked(self) -> int:
        """Messages acked after their handler returned."""
        return self._acked

    @property
    def dropped(self) -> int:
        """Messages rejected without requeue: by ``Drop``, or as poison (``dead_lettered``)."""
        return self._dropped

    @property
    def dead_lettered(self) -> int:
        """Of ``dropped``, those rejected because they failed ``max_failures`` times."""
        return self._dead_lettered

    @property
    def retried(self) -> int:
        """Messages nacked with requeue: by ``Retry``, or after an unexpected exception."""
        return self._retried

    @property
    def failed(self) -> int:
        """Unexpected exceptions raised by the handler (timeouts included)."""
        return self._failed

    @property
    def unsettled(self) -> int:
        """Acks, nacks or rejects that could not be sent (channel gone; the broker redelivers)."""
        return self._unsettled

    @property
    def reconnects(self) -> int:
        """How many times the connection was re-established."""
        return self._reconnects

    @property
    def in_flight(self) -> int:
        """Handlers running now."""
        return self._in_flight

    @property
    def queue(self) -> str:
        return self._queue_name

    @property
    def dead_letter_queue(self) -> str | None:
        return self._dlq

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, declare, consume until :meth:`stop`; then drain and close. Runs once.

        Raises what the first connection or the declarations raise (a broker that is down
        at start-up, a queue that exists with other arguments); later connection losses are
        recovered from.
        """
        if self._started:
            raise RuntimeError("a BusConsumer runs once")
        self._started = True
        connection: AbstractRobustConnection | None = None
        try:
            if self._stopping.is_set():
                return
            connection = await aio_pika.connect_robust(
                self._url,
                ssl_context=self._ssl_context,
                client_properties={
                    "connection_name": self._connection_name,
                    "app": "fedora-gateway",
                },
            )
            connection.close_callbacks.add(self._connection_lost)
            connection.reconnect_callbacks.add(self._connection_restored)
            created = not await self._queue_exists(connection)
            channel = await connection.channel()
            channel.close_callbacks.add(self._channel_lost)
            channel.reopen_callbacks.add(self._channel_restored)
            await channel.set_qos(prefetch_count=self._prefetch)
            queue = await self._declare(channel)
            tag = await queue.consume(self._on_message)
            self.connected.set()
            log.info(
                "consuming %s (%s queue, prefetch %d) bound to %s for %s",
                self._queue_name,
                self._queue_type,
                self._prefetch,
                self._exchange,
                ", ".join(self._bindings),
            )
            if created:
                log.warning("queue %s did not exist: earlier messages are lost", self._queue_name)
                self._fire(Gap(since=None, until=datetime.now(UTC), queue_created=True))
            await self._stopping.wait()
            self.connected.clear()
            await self._cancel_consumer(queue, tag)
            await self._drain()
        finally:
            self._closing = True
            self.connected.clear()
            await self._abandon()
            if connection is not None:
                await self._close(connection)
            self._finished.set()

    async def stop(self) -> None:
        """Stop consuming, let in-flight handlers finish and settle, close; wait for all that."""
        self._stopping.set()
        if self._started:
            await self._finished.wait()

    # -- set-up ------------------------------------------------------------------------------

    async def _queue_exists(self, connection: AbstractRobustConnection) -> bool:
        """Whether the queue exists, by a passive declare on a throwaway channel."""
        probe = await connection.channel(publisher_confirms=False)
        try:
            await asyncio.wait_for(
                probe.declare_queue(self._queue_name, passive=True), _RPC_TIMEOUT
            )
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return False
        finally:
            await _quietly(probe.close(), "closing the probe channel")
        return True

    async def _declare(self, channel: AbstractRobustChannel) -> AbstractRobustQueue:
        arguments: dict[str, Any] = {}
        if self._queue_type == "quorum":
            arguments["x-queue-type"] = "quorum"
            if self._delivery_limit is not None:
                arguments["x-delivery-limit"] = self._delivery_limit
        if self._dlx is not None and self._dlq is not None:
            dead = await channel.declare_exchange(
                self._dlx, aio_pika.ExchangeType.DIRECT, durable=True
            )
            dead_queue = await channel.declare_queue(
                self._dlq,
                durable=True,
                arguments={"x-queue-type": "quorum"} if self._queue_type == "quorum" else None,
            )
            await dead_queue.bind(dead, routing_key=self._queue_name)
            arguments["x-dead-letter-exchange"] = self._dlx
            arguments["x-dead-letter-routing-key"] = self._queue_name
            if self._queue_type == "quorum":
                arguments["x-dead-letter-strategy"] = "at-least-once"
                arguments["x-overflow"] = "reject-publish"
        arguments.update(self._queue_arguments)
        queue = await channel.declare_queue(
            self._queue_name, durable=True, arguments=arguments or None
        )
        for pattern in self._bindings:
            await queue.bind(self._exchange, routing_key=pattern)
        return queue

    # -- deliveries --------------------------------------------------------------------------

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        # aiormq runs this in a task its channel owns and cancels when the channel closes;
        # the handler runs in a task of ours, so that it can finish its commit regardless.
        task = asyncio.create_task(self._process(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        self._received += 1
        self._in_flight += 1
        try:
            await self._handle(message)
        finally:
            self._in_flight -= 1

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        delivery = to_delivery(message)
        identity = _identity(delivery)
        outcome = "failed"
        try:
            if self._handler_timeout is None:
                await self._handler(delivery)
            else:
                async with asyncio.timeout(self._handler_timeout):
                    await self._handler(delivery)
        except Drop as drop:
            log.warning(
                "dropping %s %s: %s",
                delivery.routing_key,
                delivery.message_id,
                drop.reason or "the handler dropped it",
            )
            outcome = "dropped"
            if await self._settle(message, "reject"):
                self._dropped += 1
            self._failures.pop(identity, None)
        except Retry as retry:
            log.info(
                "retrying %s %s later: %s",
                delivery.routing_key,
                delivery.message_id,
                retry.reason or "transient failure",
            )
            await self._requeue(message, delivery, retry.delay)
        except asyncio.CancelledError as cancelled:
            task = asyncio.current_task()
            if task is None or task.cancelling():
                raise  # we are being cancelled: the unacked message goes back by itself
            # A cancellation inside the handler leaked out of it: a failure like any other.
            await self._fail(message, delivery, identity, cancelled)
        except Exception as error:
            await self._fail(message, delivery, identity, error)
        else:
            outcome = "handled"
            if await self._settle(message, "ack"):
                self._acked += 1
            self._failures.pop(identity, None)
            self._streak = 0
        # one line per delivery, as fedora-messaging's consumer logs each message
        log.info(
            "settled %s %s %d %s",
            outcome,
            delivery.message_id or "-",
            int(delivery.redelivered),
            delivery.routing_key,
        )

    async def _fail(
        self,
        message: AbstractIncomingMessage,
        delivery: Delivery,
        identity: str,
        error: BaseException,
    ) -> None:
        """After an unexpected exception: requeue, or dead-letter after ``max_failures``."""
        self._failed += 1
        failures = self._count_failure(identity)
        if failures >= self._max_failures:
            log.error(
                "handler failed on %s %s %d times: dead-lettering it",
                delivery.routing_key,
                delivery.message_id,
                failures,
                exc_info=error,
            )
            if await self._settle(message, "reject"):
                self._dropped += 1
                self._dead_lettered += 1
            self._failures.pop(identity, None)
            return
        log.warning(
            "handler failed on %s %s (failure %d of %d): requeueing it",
            delivery.routing_key,
            delivery.message_id,
            failures,
            self._max_failures,
            exc_info=error,
        )
        await self._requeue(message, delivery, None)

    async def _requeue(
        self, message: AbstractIncomingMessage, delivery: Delivery, delay: float | None
    ) -> None:
        if delay is None:
            # Back off by the consumer's streak of requeues (a dependency down for all) and by
            # this message's own deliveries (one that keeps failing while others succeed).
            exponent = min(max(self._streak, delivery.delivery_count), 32)
            delay = min(self._retry_backoff * 2**exponent, self._retry_backoff_max)
            delay *= random.uniform(0.5, 1.0)
        self._streak = min(self._streak + 1, 32)
        if delay > 0 and not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
        if await self._settle(message, "requeue"):
            self._retried += 1

    async def _settle(
        self, message: AbstractIncomingMessage, action: Literal["ack", "requeue", "reject"]
    ) -> bool:
        try:
            if action == "ack":
                await message.ack()
            elif action == "requeue":
                await message.nack(requeue=True)
            else:
                await message.reject(requeue=False)
        except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as error:
            # ChannelInvalidStateError is a RuntimeError and an AMQPError: the channel the
            # message came on is gone, and the broker has requeued the message itself.
            self._unsettled += 1
            log.warning(
                "could not %s %s %s (%r): the broker redelivers it",
                action,
                message.routing_key,
                message.message_id,
                error,
            )
            return False
        return True

    def _count_failure(self, identity: str) -> int:
        failures = self._failures.pop(identity, 0) + 1
        self._failures[identity] = failures
        while len(self._failures) > _FAILURE_MEMORY:
            self._failures.popitem(last=False)
        return failures

    # -- connection state --------------------------------------------------------------------

    def _connection_lost(self, _sender: object, error: BaseException | None) -> None:
        if self._closing:
            return
        self.connected.clear()
        if self._down_since is None:
            self._down_since = datetime.now(UTC)
        log.warning("lost the broker connection (%r): reconnecting", error)

    def _connection_restored(self, _sender: object) -> None:
        if self._closing:
            return
        self._reconnects += 1
        self.connected.set()
        gap = Gap(since=self._down_since, until=datetime.now(UTC))
        self._down_since = None
        log.warning("reconnected to the broker after %.1f s", gap.seconds or 0.0)
        self._fire(gap)

    def _channel_lost(self, _sender: object, error: BaseException | None) -> None:
        if self._closing:
            return
        self.connected.clear()
        if self._down_since is None:
            self._down_since = datetime.now(UTC)
        log.warning("the consuming channel closed (%r): unacked messages go back", error)

    def _channel_restored(self, _sender: object) -> None:
        if self._closing:
            return
        # After a connection loss the connection's callback follows and reports the gap;
        # after a channel-only closure nothing was lost (the queue is durable).
        self.connected.set()
        log.info("consuming again on a reopened channel")

    def _fire(self, gap: Gap) -> None:
        if self._on_reconnect is None:
            return
        task = asyncio.create_task(self._call_hook(self._on_reconnect, gap))
        self._hook_tasks.add(task)
        task.add_done_callback(self._hook_tasks.discard)

    @staticmethod
    async def _call_hook(hook: ReconnectHook, gap: Gap) -> None:
        try:
            result = hook(gap)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("the on_reconnect hook failed")

    # -- shutdown ----------------------------------------------------------------------------

    async def _cancel_consumer(self, queue: AbstractRobustQueue, tag: str) -> None:
        await _quietly(asyncio.wait_for(queue.cancel(tag), _RPC_TIMEOUT), "cancelling the consumer")

    async def _drain(self) -> None:
        if not self._tasks:
            return
        log.info("waiting for %d in-flight handlers", len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._drain_timeout)
        if pending:
            log.warning(
                "%d handlers still running after %.0f s: cancelling them (their messages "
                "go back to the queue)",
                len(pending),
                self._drain_timeout,
            )

    async def _abandon(self) -> None:
        """Cancel whatever still runs: handlers past the drain, reconnect hooks."""
        tasks = self._tasks | self._hook_tasks
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _close(self, connection: AbstractRobustConnection) -> None:
        await _quietly(asyncio.wait_for(connection.close(), _RPC_TIMEOUT), "closing")


def to_delivery(message: AbstractIncomingMessage) -> Delivery:
    """The transport-neutral view of an aio-pika delivery."""
    headers: dict[str, object] = dict(message.headers or {})
    count = headers.get("x-delivery-count")
    if isinstance(count, int) and not isinstance(count, bool):
        delivery_count = count
    else:
        delivery_count = 1 if message.redelivered else 0
    return Delivery(
        routing_key=message.routing_key or "",
        headers=headers,
        body=message.body,
        message_id=message.message_id,
        redelivered=bool(message.redelivered),
        timestamp=_sent_at(headers.get("sent-at"))
        or _aware(message.timestamp)
        or datetime.now(UTC),
        delivery_count=delivery_count,
    )


def _sent_at(value: object) -> datetime | None:
    """fedora-messaging's ``sent-at`` header (ISO 8601), when it is one."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _identity(delivery: Delivery) -> str:
    """What identifies one message across its redeliveries."""
    if delivery.message_id:
        return delivery.message_id
    digest = hashlib.sha256(delivery.routing_key.encode() + b"\0" + delivery.body)
    return f"sha256:{digest.hexdigest()}"


async def _quietly(operation: Awaitable[object], what: str) -> None:
    """Await a best-effort step of set-up or shutdown; log instead of raising."""
    try:
        await operation
    except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError, TimeoutError) as error:
        log.debug("%s failed: %r", what, error)
