"""Where the simulated world publishes its bus messages.

Every publisher has one method, ``async publish(message)``:

- :class:`InProcessBus` fans each message out to in-process subscribers (the
  embedded default: the gateway's worker subscribes to it in ``demo``), each with a
  bounded queue, and keeps a bounded history of recent messages for inspection.
- :class:`AmqpPublisher` publishes to a RabbitMQ broker exactly as fedora-messaging
  does: exchange ``amq.topic``, routing key ``org.fedoraproject.prod.<topic>``, JSON
  body, the fedora-messaging headers, persistent delivery, publisher confirms. While the
  broker is away (stopped, restarting, unreachable) it *buffers*: messages wait in order
  in a bounded queue and are published once the broker is back (beyond the bound the
  oldest are dropped, counted and logged), so the world never fails a mutation, and
  never loses an event, because of the broker.
- :class:`TeePublisher` sends each message to several publishers in turn.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import logging
import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Protocol

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from simulator.messages import Message

log = logging.getLogger(__name__)

EXCHANGE = "amq.topic"


class Publisher(Protocol):
    """Anything the world can publish its messages to."""

    async def publish(self, message: Message) -> None: ...


class Overflow(enum.StrEnum):
    """What a full subscriber queue does with one more message."""

    DROP_OLDEST = "drop_oldest"  # never block the publisher; the subscriber sees a gap
    BLOCK = "block"  # back-pressure: the publisher waits for the subscriber


class SubscriptionClosedError(Exception):
    """The subscription was closed and every message it had was read."""


class Subscription:
    """One subscriber's bounded queue; iterate it with ``async for``."""

    def __init__(self, bus: InProcessBus, maxsize: int, overflow: Overflow) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue(maxsize)
        self.overflow = overflow
        self.dropped = 0  # messages lost to a full queue: a gap the subscriber must reconcile
        self.closed = False

    @property
    def queue(self) -> asyncio.Queue[Message | None]:
        return self._queue

    def pending(self) -> int:
        return self._queue.qsize()

    async def offer(self, message: Message) -> None:
        if self.closed:
            return
        if self.overflow is Overflow.BLOCK:
            await self._queue.put(message)
            return
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(message)

    async def get(self) -> Message:
        """The next message; :class:`SubscriptionClosedError` once the subscription is closed."""
        if self.closed:
            raise SubscriptionClosedError
        message = await self._queue.get()
        if message is None:
            raise SubscriptionClosedError
        return message

    def close(self) -> None:
        """Stop receiving: pending messages are discarded and a waiting ``get`` ends."""
        if self.closed:
            return
        self.closed = True
        self._bus.unsubscribe(self)
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        try:
            return await self.get()
        except SubscriptionClosedError:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class InProcessBus:
    """Fan-out to in-process subscribers, with a bounded history of recent messages."""

    def __init__(
        self,
        *,
        maxsize: int = 10_000,
        history: int = 1_000,
        overflow: Overflow = Overflow.DROP_OLDEST,
    ) -> None:
        self.maxsize = maxsize
        self.overflow = overflow
        self._subscribers: list[Subscription] = []
        self._history: collections.deque[Message] = collections.deque(maxlen=history)
        self.published = 0

    def subscribe(
        self, *, maxsize: int | None = None, overflow: Overflow | None = None
    ) -> Subscription:
        """A new subscription that receives every message published from now on."""
        subscription = Subscription(
            self, maxsize if maxsize is not None else self.maxsize, overflow or self.overflow
        )
        self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def publish(self, message: Message) -> None:
        self.published += 1
        self._history.append(message)
        for subscription in list(self._subscribers):
            await subscription.offer(message)

    def recent(self, limit: int | None = None, *, topic: str | None = None) -> list[Message]:
        """The most recent messages, oldest first, optionally of one topic."""
        rows = [m for m in self._history if topic is None or m.topic == topic]
        return rows if limit is None else rows[-limit:] if limit > 0 else []


class TeePublisher:
    """Publish each message to every publisher, in order."""

    def __init__(self, *publishers: Publisher) -> None:
        self.publishers = publishers

    async def publish(self, message: Message) -> None:
        for publisher in self.publishers:
            await publisher.publish(message)


#: What a publish raises while the broker is away (a closed channel is a RuntimeError too).
_BROKER_AWAY = (aio_pika.exceptions.AMQPError, ConnectionError, OSError, RuntimeError)


class AmqpPublisher:
    """Publish to RabbitMQ as fedora-messaging does, over a robust aio-pika connection.

    Use as ``async with AmqpPublisher(url) as bus: ...`` or call :meth:`connect`
    and :meth:`close`. Each publish waits for the broker's confirm. A publish the broker
    does not confirm (it is away) is not raised: the message waits in :attr:`pending`,
    with every later one, and a background task publishes them in order, retrying every
    ``retry_interval`` seconds, once the broker is back. At most ``buffer`` messages wait;
    beyond that the oldest is dropped and counted in :attr:`dropped`. A message whose
    confirm was lost with the connection may be published twice (consumers are idempotent).
    """

    def __init__(
        self,
        url: str,
        *,
        exchange: str = EXCHANGE,
        timeout: float = 10.0,
        connection_name: str = "fedora-gateway simulator",
        buffer: int = 10_000,
        retry_interval: float = 0.5,
    ) -> None:
        if buffer < 1 or retry_interval <= 0:
            raise ValueError("need buffer >= 1 and retry_interval > 0")
        self.url = url
        self.exchange_name = exchange
        self.timeout = timeout
        self.connection_name = connection_name
        self.buffer = buffer
        self.retry_interval = retry_interval
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._pending: collections.deque[Message] = collections.deque()
        self._flusher: asyncio.Task[None] | None = None
        #: Messages that had to wait for the broker, and those dropped from a full buffer.
        self.held = 0
        self.dropped = 0

    async def connect(self) -> None:
        if self._exchange is not None:
            return
        self._connection = await aio_pika.connect_robust(
            self.url,
            client_properties={
                "connection_name": self.connection_name,
                "app": "fedora-gateway-simulator",
            },
        )
        self._channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await self._channel.get_exchange(self.exchange_name, ensure=True)
        log.info("publishing to %s on %s", self.exchange_name, _redacted(self.url))

    @property
    def pending(self) -> int:
        """Messages waiting for the broker."""
        return len(self._pending)

    async def flushed(self) -> None:
        """Wait until every held message is published (at once when none is held)."""
        flusher = self._flusher
        if flusher is not None:
            await asyncio.shield(flusher)

    async def close(self) -> None:
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
        if self._pending:
            log.warning("closing with %d messages the broker never took", len(self._pending))
        connection, self._connection = self._connection, None
        self._channel = self._exchange = None
        if connection is not None:
            await connection.close()

    async def __aenter__(self) -> AmqpPublisher:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def publish(self, message: Message) -> None:
        if self._pending:  # others are waiting: keep the order
            self._hold(message)
            return
        try:
            await self._send(message)
        except _BROKER_AWAY as error:
            log.warning("the broker is away (%r): holding messages until it is back", error)
            self._hold(message)
            if self._flusher is None:
                self._flusher = asyncio.get_running_loop().create_task(
                    self._flush(), name="amqp publisher flush"
                )

    async def _send(self, message: Message) -> None:
        if self._exchange is None:
            await self.connect()
        assert self._exchange is not None
        await self._exchange.publish(
            amqp_message(message), message.routing_key, mandatory=False, timeout=self.timeout
        )

    def _hold(self, message: Message) -> None:
        self.held += 1
        if len(self._pending) >= self.buffer:
            lost = self._pending.popleft()
            self.dropped += 1
            log.error("publish buffer full: dropped %s %s", lost.topic, lost.id)
        self._pending.append(message)

    async def _flush(self) -> None:
        """Publish the held messages in order, waiting for the broker as long as it takes."""
        started = time.monotonic()
        sent = 0
        try:
            while self._pending:
                try:
                    await self._send(self._pending[0])
                except _BROKER_AWAY as error:
                    log.debug("the broker is still away (%r)", error)
                    await asyncio.sleep(self.retry_interval)
                    continue
                self._pending.popleft()
                sent += 1
        finally:
            self._flusher = None
        log.warning(
            "the broker is back: published %d held messages after %.1f s",
            sent,
            time.monotonic() - started,
        )


def amqp_message(message: Message) -> aio_pika.Message:
    """The AMQP message fedora-messaging would send for ``message``."""
    return aio_pika.Message(
        message.encoded_body(),
        headers=dict(message.headers),
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.id,
        priority=message.priority,
    )


def _redacted(url: str) -> str:
    """The broker URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
