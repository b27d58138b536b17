"""The change feed: how the worker tells every gateway replica what changed.

After the worker has committed a message's invalidations it publishes a :class:`Change`
(message id, topic, tags, packages, reasons, time) on the feed; every replica reads the feed
and re-runs the GraphQL subscriptions the change concerns. The port is :class:`ChangeFeed`;
:class:`MemoryFeed` fans out inside one process (the embedded default) and :class:`RedisFeed`
across processes over Redis pub/sub. Both pass one contract test suite.

Subscriptions
    :meth:`ChangeFeed.subscribe` returns a :class:`Subscription`, an async iterator over
    :data:`FeedItem` with a bounded buffer. A subscriber that falls behind never slows the
    feed down nor grows without bound: when its buffer is full the **oldest** item is dropped
    and counted (:attr:`Subscription.dropped`). Changes published by one publisher arrive in
    the order they were published.

Gaps, signalled in band
    A subscriber that missed changes is told so by a :class:`Resync` item in its stream, at
    the place where the changes went missing, and should then re-read what it shows rather
    than trust the changes it applied. It gets one after its buffer overflowed (``reason``
    ``"overflow"``, with how many changes were dropped), and :class:`RedisFeed` sends one to
    every subscriber when it had to resubscribe (``"disconnected"``): Redis pub/sub is at most
    once, and what was published while the connection was down is gone.

RedisFeed
    One listener task per feed (so per process) holds the Redis subscription and fans out to
    the local subscriptions. It notices a lost connection by the error on its next read, and
    a silently dead one (no FIN) because its PING, sent after ``ping_interval`` seconds of
    silence, goes unanswered for another such interval. It then resubscribes on a new
    connection, retrying with an exponential backoff (``reconnect_delay`` doubling up to
    ``reconnect_delay_max``, with jitter), logs the gap and signals it. redis-py may also
    reconnect and resubscribe by itself under its retry policy; the fresh subscription
    confirmation reveals that too, and it is handled the same way. Messages on the channel
    that are not changes are logged, counted (``malformed``) and skipped. :meth:`publish`
    raises what redis-py raises when Redis is unreachable: the worker should then retry the
    message (its invalidation is idempotent), not ack it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import orjson
import redis.exceptions
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from gateway.invalidation import keys
from gateway.invalidation.keys import Tag

__all__ = [
    "Change",
    "ChangeFeed",
    "FeedClosedError",
    "FeedItem",
    "MalformedChangeError",
    "MemoryFeed",
    "RedisFeed",
    "Resync",
    "Subject",
    "Subscription",
]

log = logging.getLogger(__name__)

#: The version of the JSON shape of a change on the wire.
_WIRE_VERSION = 1


class MalformedChangeError(ValueError):
    """Bytes that are not a change in the feed's JSON shape."""


class FeedClosedError(RuntimeError):
    """The feed was closed: it takes no more publications or subscriptions."""


@dataclass(frozen=True, slots=True)
class Subject:
    """The one thing a change is about, when it is about one: what a subscription shows.

    A koji state change names its build (``build``, ``nvr``) and the states it moved
    between (koji's names: ``BUILDING``, ``COMPLETE``…); a bodhi message its update and
    release; a Bugzilla message its bug, and whether the bug is ``new``.
    """

    build: int | None = None
    nvr: str | None = None
    previous_state: str | None = None
    state: str | None = None
    update: str | None = None
    release: str | None = None
    bug: int | None = None
    new: bool = False

    def to_dict(self) -> dict[str, object]:
        return {name: value for name in _SUBJECT if (value := getattr(self, name)) is not None}

    @classmethod
    def from_dict(cls, raw: object) -> Subject:
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise MalformedChangeError("subject must be an object")
        values: dict[str, Any] = {}
        for name, kind in _SUBJECT.items():
            value = raw.get(name)
            if value is None:
                continue
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise MalformedChangeError(f"subject.{name} must be a {kind.__name__}")
            values[name] = value
        return cls(**values)


_SUBJECT: dict[str, type] = {
    "build": int,
    "nvr": str,
    "previous_state": str,
    "state": str,
    "update": str,
    "release": str,
    "bug": int,
    "new": bool,
}


@dataclass(frozen=True, slots=True)
class Change:
    """What one bus message changed: the tags it invalidated and what they concern.

    ``subject`` names the entity the message is about, for the subscriptions that show it;
    a change from an older worker has an empty one.

    ``at`` (timezone-aware) is when the change happened as far as the bus knows (the
    message's ``sent-at``), else when the worker handled it.
    """

    message_id: str | None
    topic: str
    tags: tuple[Tag, ...]
    packages: tuple[str, ...]
    reasons: tuple[str, ...]
    at: datetime
    subject: Subject = Subject()

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a change's time must be timezone-aware")

    @classmethod
    def of(
        cls,
        *,
        topic: str,
        tags: Iterable[Tag],
        packages: Iterable[str] = (),
        reasons: Iterable[str] = (),
        at: datetime,
        message_id: str | None = None,
        subject: Subject | None = None,
    ) -> Change:
        """A change in canonical form: tags and packages sorted and unique, reasons unique."""
        return cls(
            message_id=message_id,
            topic=topic,
            tags=tuple(sorted(set(tags))),
            packages=tuple(sorted(set(packages))),
            reasons=tuple(dict.fromkeys(reasons)),
            at=at,
            subject=subject or Subject(),
        )

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "v": _WIRE_VERSION,
                "message_id": self.message_id,
                "topic": self.topic,
                "tags": list(self.tags),
                "packages": list(self.packages),
                "reasons": list(self.reasons),
                "at": self.at.isoformat(),
                "subject": self.subject.to_dict(),
            }
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> Change:
        """The change encoded by :meth:`to_json`; :class:`MalformedChangeError` otherwise.

        Fields this version does not know are ignored, so a newer worker can add some.
        """
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise MalformedChangeError(f"not JSON: {error}") from None
        if not isinstance(raw, dict):
            raise MalformedChangeError("a change is a JSON object")
        if raw.get("v") != _WIRE_VERSION:
            raise MalformedChangeError(f"unknown change version {raw.get('v')!r}")
        message_id = raw.get("message_id")
        if message_id is not None and not isinstance(message_id, str):
            raise MalformedChangeError("message_id must be a string or null")
        at = _field(raw, "at", str)
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise MalformedChangeError(f"at is not an ISO 8601 time: {at!r}") from None
        if moment.tzinfo is None:
            raise MalformedChangeError("at must carry its UTC offset")
        return cls(
            message_id=message_id,
            topic=_field(raw, "topic", str),
            tags=tuple(Tag(tag) for tag in _strings(raw, "tags")),
            packages=_strings(raw, "packages"),
            reasons=_strings(raw, "reasons"),
            at=moment,
            subject=Subject.from_dict(raw.get("subject")),
        )


def _field(raw: dict[str, Any], name: str, kind: type[str]) -> str:
    value = raw.get(name)
    if not isinstance(value, kind):
        raise MalformedChangeError(f"{name} must be a {kind.__name__}")
    return value


def _strings(raw: dict[str, Any], name: str) -> tuple[str, ...]:
    value = raw.get(name)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedChangeError(f"{name} must be a list of strings")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Resync:
    """Changes may have been missed right before this point: re-read, do not patch.

    ``missed`` is how many changes this subscriber lost when that is known (an overflow of
    its buffer), ``None`` when not (a feed disconnection). ``since`` is when the stream
    stopped being complete (the first drop; the last sign of life of the lost connection),
    when known; ``until`` is when it was complete again.
    """

    reason: Literal["overflow", "disconnected"]
    missed: int | None
    since: datetime | None
    until: datetime


#: What a subscription yields.
FeedItem = Change | Resync


class Subscription:
    """One subscriber's bounded stream of :data:`FeedItem`; drops its oldest when full.

    Iterate it (``async for item in subscription``) from one task; iteration ends once
    :meth:`close` was called, by the subscriber or by the feed closing.
    """

    def __init__(self, maxsize: int, on_close: Callable[[Subscription], None]) -> None:
        if maxsize < 1:
            raise ValueError("a subscription buffer holds at least one item")
        self.maxsize = maxsize
        #: Changes dropped because the buffer was full, over the subscription's life.
        self.dropped = 0
        #: Items handed to the subscriber (changes and resync notices).
        self.delivered = 0
        self._items: deque[FeedItem] = deque()
        self._ready = asyncio.Event()
        self._closed = False
        self._on_close = on_close
        self._missed = 0
        self._overflowed_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def pending(self) -> int:
        """Items buffered and not yet read."""
        return len(self._items)

    def close(self) -> None:
        """End the subscription: iteration stops, buffered items are discarded."""
        if self._closed:
            return
        self._closed = True
        self._items.clear()
        self._ready.set()
        self._on_close(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> FeedItem:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._overflowed_at is not None:
                item: FeedItem = Resync(
                    "overflow", self._missed, self._overflowed_at, datetime.now(UTC)
                )
                self._missed, self._overflowed_at = 0, None
            elif self._items:
                item = self._items.popleft()
            else:
                self._ready.clear()
                await self._ready.wait()
                continue
            self.delivered += 1
            return item

    def offer(self, item: FeedItem) -> None:
        """Buffer ``item`` without waiting: the feed's side. Full: drop the oldest."""
        if self._closed:
            return
        if isinstance(item, Resync) and self._items and isinstance(self._items[-1], Resync):
            return  # one notice says it all
        if len(self._items) >= self.maxsize:
            oldest = self._items.popleft()
            if isinstance(oldest, Change):
                self.dropped += 1
                self._missed += 1
            if self._overflowed_at is None:
                self._overflowed_at = datetime.now(UTC)
        self._items.append(item)
        self._ready.set()


class ChangeFeed(Protocol):
    """Publish changes; subscribe to them. ``start`` before use, ``close`` at the end."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, change: Change) -> None: ...

    def subscribe(self, *, maxsize: int = 100) -> Subscription: ...


class _FanOut:
    """The local subscriptions of one feed."""

    def __init__(self) -> None:
        self.subscriptions: set[Subscription] = set()
        self.closed = False

    def subscribe(self, maxsize: int) -> Subscription:
        if self.closed:
            raise FeedClosedError("the feed is closed")
        subscription = Subscription(maxsize, self.subscriptions.discard)
        self.subscriptions.add(subscription)
        return subscription

    def offer(self, item: FeedItem) -> None:
        for subscription in tuple(self.subscriptions):
            subscription.offer(item)

    def close(self) -> None:
        self.closed = True
        for subscription in tuple(self.subscriptions):
            subscription.close()


class MemoryFeed:
    """In-process fan-out: every subscription of this object gets every change."""

    def __init__(self) -> None:
        self._fanout = _FanOut()
        self.published = 0

    @property
    def subscribers(self) -> int:
        return len(self._fanout.subscriptions)

    async def start(self) -> None:
        if self._fanout.closed:
            raise FeedClosedError("the feed is closed")

    async def close(self) -> None:
        self._fanout.close()

    async def publish(self, change: Change) -> None:
        if self._fanout.closed:
            raise FeedClosedError("the feed is closed")
        self.published += 1
        self._fanout.offer(change)

    def subscribe(self, *, maxsize: int = 100) -> Subscription:
        return self._fanout.subscribe(maxsize)


#: Errors that mean "the Redis connection is gone or unusable": resubscribe.
_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class RedisFeed:
    """Redis pub/sub on ``channel``; one listener task fans out to local subscriptions.

    The Redis client is the caller's (made in the lifespan, shared): the feed takes its own
    pub/sub connection from the client's pool and never closes the client itself. The
    default channel is that of the client's database.
    """

    def __init__(
        self,
        redis_client: Redis,
        channel: str | None = None,
        *,
        ping_interval: float = 5.0,
        reconnect_delay: float = 0.1,
        reconnect_delay_max: float = 5.0,
        start_timeout: float = 10.0,
    ) -> None:
        if ping_interval <= 0 or reconnect_delay <= 0 or reconnect_delay_max < reconnect_delay:
            raise ValueError("need ping_interval > 0 and 0 < reconnect_delay <= the maximum")
        self._redis = redis_client
        database = int(redis_client.connection_pool.connection_kwargs.get("db") or 0)
        self.channel = channel or keys.change_feed_channel(database)
        self._ping_interval = ping_interval
        self._reconnect_delay = reconnect_delay
        self._reconnect_delay_max = reconnect_delay_max
        self._start_timeout = start_timeout
        self._fanout = _FanOut()
        self._listener: asyncio.Task[None] | None = None
        self._pubsub: PubSub | None = None
        #: Set while the feed holds a live subscription on Redis.
        self.connected = asyncio.Event()
        self._down_since: datetime | None = None
        self._last_seen = 0.0  # loop time of the last sign of life of the subscription
        self._last_seen_at = datetime.now(UTC)
        self.published = 0
        self.received = 0
        self.malformed = 0
        self.gaps = 0

    @property
    def subscribers(self) -> int:
        return len(self._fanout.subscriptions)

    async def start(self) -> None:
        """Subscribe (raising what Redis raises if that fails), then listen in the background."""
        if self._fanout.closed:
            raise FeedClosedError("the feed is closed")
        if self._listener is not None:
            return
        self._pubsub = await self._subscribe()
        self._listener = asyncio.create_task(self._listen(), name=f"feed:{self.channel}")

    async def close(self) -> None:
        if self._fanout.closed:
            return
        self._fanout.close()
        self.connected.clear()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._pubsub is not None:
            await _discard(self._pubsub)
            self._pubsub = None

    async def publish(self, change: Change) -> None:
        if self._fanout.closed:
            raise FeedClosedError("the feed is closed")
        await self._redis.publish(self.channel, change.to_json())
        self.published += 1

    def subscribe(self, *, maxsize: int = 100) -> Subscription:
        return self._fanout.subscribe(maxsize)

    # -- the listener ------------------------------------------------------------------------

    async def _subscribe(self) -> PubSub:
        """A pubsub subscribed to the channel, its confirmation read (within start_timeout)."""
        pubsub = self._redis.pubsub()
        try:
            async with asyncio.timeout(self._start_timeout):
                await pubsub.subscribe(self.channel)
                while True:
                    message = await pubsub.get_message(timeout=self._ping_interval)
                    if message is not None and message["type"] == "subscribe":
                        break
        except BaseException:
            await _discard(pubsub)
            raise
        self._alive()
        self.connected.set()
        return pubsub

    async def _listen(self) -> None:
        delay = self._reconnect_delay
        while True:
            pubsub = self._pubsub
            if pubsub is None:
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self._reconnect_delay_max)
                try:
                    self._pubsub = await self._subscribe()
                except _REDIS_DOWN as error:
                    log.info("change feed: cannot resubscribe yet (%r)", error)
                    continue
                except Exception:
                    log.exception("change feed: resubscribing failed")
                    continue
                delay = self._reconnect_delay
                self._gap()
                continue
            try:
                await self._read(pubsub)
            except _REDIS_DOWN as error:
                log.warning(
                    "change feed: lost the subscription to %s (%r): resubscribing",
                    self.channel,
                    error,
                )
            except Exception:
                log.exception("change feed: the subscription failed: resubscribing")
            self.connected.clear()
            if self._down_since is None:
                self._down_since = self._last_seen_at
            self._pubsub = None
            await _discard(pubsub)

    async def _read(self, pubsub: PubSub) -> None:
        """Read until the connection fails; a resubscription by redis-py itself is a gap."""
        loop = asyncio.get_running_loop()
        while True:
            message = await pubsub.get_message(timeout=self._ping_interval)
            if message is None:
                if loop.time() - self._last_seen >= 2 * self._ping_interval:
                    raise redis.exceptions.TimeoutError("no answer to PING on the subscription")
                await pubsub.ping()
                continue
            previous = self._last_seen_at
            self._alive()
            kind = message["type"]
            if kind == "message":
                self._deliver(message["data"])
            elif kind == "subscribe":
                # redis-py reconnected under its retry policy and resubscribed by itself (a
                # PING that failed is retried that way): no error reached us, yet it is a gap.
                self._down_since = self._down_since or previous
                self._gap()

    def _alive(self) -> None:
        self._last_seen = asyncio.get_running_loop().time()
        self._last_seen_at = datetime.now(UTC)

    def _deliver(self, data: bytes | str) -> None:
        try:
            change = Change.from_json(data)
        except MalformedChangeError as error:
            self.malformed += 1
            log.warning("change feed: skipping a malformed message on %s: %s", self.channel, error)
            return
        self.received += 1
        self._fanout.offer(change)

    def _gap(self) -> None:
        self.connected.set()
        self.gaps += 1
        now = datetime.now(UTC)
        since, self._down_since = self._down_since, None
        seconds = (now - since).total_seconds() if since is not None else float("nan")
        log.warning(
            "change feed: resubscribed to %s after a gap of %.1f s; subscribers resync",
            self.channel,
            seconds,
        )
        self._fanout.offer(Resync("disconnected", None, since, now))


async def _discard(pubsub: PubSub) -> None:
    """Close a pubsub whose connection may already be broken."""
    with contextlib.suppress(*_REDIS_DOWN, RuntimeError):
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
