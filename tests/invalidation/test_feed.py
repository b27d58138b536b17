"""The change feed: one contract over MemoryFeed and RedisFeed, and RedisFeed's recovery.

Redis tests use ``GATEWAY_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) and a
channel of their own; an unreachable Redis skips them locally and fails them under
``CI=true``. Connections are broken with ``CLIENT KILL TYPE pubsub ID <id>`` aimed at the
feed's own subscription (found by its client name), so other clients of the shared Redis
are left alone; a silently dead connection is simulated by a small TCP proxy that stops
forwarding.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
import redis.exceptions
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.invalidation import keys
from gateway.invalidation.feed import (
    Change,
    ChangeFeed,
    FeedClosedError,
    FeedItem,
    MalformedChangeError,
    MemoryFeed,
    RedisFeed,
    Resync,
    Subscription,
)
from tests.conftest import IN_CI, free_port

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.timeout(60)


def change(n: int, package: str = "bash") -> Change:
    return Change.of(
        message_id=f"msg-{n}",
        topic="buildsys.build.state.change",
        tags=[keys.package(package, "koji"), keys.build(n)],
        packages=[package],
        reasons=["build"],
        at=datetime(2026, 5, 4, 3, 2, 1, n, tzinfo=UTC),
    )


async def next_item(subscription: Subscription, within: float = 5.0) -> FeedItem:
    return await asyncio.wait_for(anext(subscription), within)


async def eventually(check: Callable[[], bool], within: float = 10.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.01)


async def reachable_redis(**options: object) -> Redis:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2, **options)  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(client.ping(), 5)
    except (OSError, TimeoutError, redis.exceptions.RedisError) as exc:
        await client.aclose()
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI=true: {exc!r}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc!r}")
    return client


class Backend:
    """Handles on one feed: for Redis each handle is another process's view of the channel."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.channel = keys.namespaced(f"test:{uuid.uuid4().hex}:", keys.change_feed_channel())
        self._memory: MemoryFeed | None = None
        self._feeds: list[ChangeFeed] = []
        self._clients: list[Redis] = []

    async def open(self) -> ChangeFeed:
        if self.name == "memory":
            if self._memory is None:
                self._memory = MemoryFeed()
                await self._memory.start()
                self._feeds.append(self._memory)
            return self._memory
        client = await reachable_redis()
        self._clients.append(client)
        feed = RedisFeed(client, self.channel, ping_interval=1.0)
        await feed.start()
        self._feeds.append(feed)
        return feed

    async def wait_delivered(self, feed: ChangeFeed, count: int) -> None:
        """Until ``feed`` received ``count`` changes (in memory: at once)."""
        if isinstance(feed, RedisFeed):
            await eventually(lambda: feed.received >= count, what=f"{count} changes")

    async def close(self) -> None:
        for feed in self._feeds:
            await feed.close()
        for client in self._clients:
            await client.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    handle = Backend(request.param)
    try:
        yield handle
    finally:
        await handle.close()


# -- the contract ----------------------------------------------------------------------------


async def test_every_subscriber_of_every_replica_gets_every_change_in_order(
    backend: Backend,
) -> None:
    publisher = await backend.open()
    replicas = [await backend.open() for _ in range(2)]
    subscriptions = [replica.subscribe(maxsize=10) for replica in replicas for _ in range(3)]
    sent = [change(n, package=f"pkg{n % 3}") for n in range(6)]
    for item in sent:
        await publisher.publish(item)
    for subscription in subscriptions:
        got = [await next_item(subscription) for _ in sent]
        assert got == sent
        assert subscription.dropped == 0
        assert subscription.delivered == len(sent)


async def test_a_publisher_s_changes_arrive_in_the_order_published(backend: Backend) -> None:
    publisher = await backend.open()
    replica = await backend.open()
    subscription = replica.subscribe(maxsize=500)
    sent = [change(n) for n in range(300)]
    for item in sent:
        await publisher.publish(item)
    got = [await next_item(subscription) for _ in sent]
    assert [c.message_id for c in got if isinstance(c, Change)] == [c.message_id for c in sent]


async def test_a_reader_waiting_is_woken_by_the_next_change(backend: Backend) -> None:
    feed = await backend.open()
    subscription = feed.subscribe()
    waiting = asyncio.create_task(next_item(subscription))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await feed.publish(change(1))
    assert await waiting == change(1)


async def test_a_full_subscription_drops_its_oldest_changes_and_says_so(
    backend: Backend,
) -> None:
    feed = await backend.open()
    slow = feed.subscribe(maxsize=3)
    fast = feed.subscribe(maxsize=100)
    sent = [change(n) for n in range(10)]
    for item in sent:
        await feed.publish(item)
    await backend.wait_delivered(feed, len(sent))
    assert (slow.dropped, slow.pending()) == (7, 3)
    notice = await next_item(slow)
    assert isinstance(notice, Resync)
    assert (notice.reason, notice.missed) == ("overflow", 7)
    assert notice.since is not None
    assert notice.since <= notice.until
    assert [await next_item(slow) for _ in range(3)] == sent[-3:]
    assert [await next_item(fast) for _ in sent] == sent  # the others lose nothing
    assert fast.dropped == 0
    await feed.publish(change(10))
    assert await next_item(slow) == change(10)  # one notice per overflow
    assert slow.dropped == 7


async def test_a_closed_subscription_ends_and_leaves_the_others(backend: Backend) -> None:
    feed = await backend.open()
    leaving, staying = feed.subscribe(), feed.subscribe()
    waiting = asyncio.create_task(next_item(leaving))
    await asyncio.sleep(0.05)
    leaving.close()
    leaving.close()  # idempotent
    with pytest.raises(StopAsyncIteration):
        await waiting
    assert leaving.closed
    assert [item async for item in leaving] == []
    await feed.publish(change(1))
    assert await next_item(staying) == change(1)
    assert leaving.pending() == 0


async def test_closing_the_feed_ends_every_subscription(backend: Backend) -> None:
    feed = await backend.open()
    subscriptions = [feed.subscribe() for _ in range(3)]
    waiting = [asyncio.create_task(next_item(s)) for s in subscriptions]
    await asyncio.sleep(0.05)
    await feed.close()
    await feed.close()  # idempotent
    for task in waiting:
        with pytest.raises(StopAsyncIteration):
            await task
    assert all(s.closed for s in subscriptions)
    with pytest.raises(FeedClosedError):
        await feed.publish(change(1))
    with pytest.raises(FeedClosedError):
        feed.subscribe()


async def test_start_is_idempotent_and_subscriptions_need_room(backend: Backend) -> None:
    feed = await backend.open()
    await feed.start()
    subscription = feed.subscribe(maxsize=1)
    await feed.publish(change(1))
    assert await next_item(subscription) == change(1)
    with pytest.raises(ValueError):
        feed.subscribe(maxsize=0)


# -- changes on the wire ---------------------------------------------------------------------


def test_a_change_survives_json_exactly() -> None:
    original = change(7)
    assert Change.from_json(original.to_json()) == original
    assert Change.from_json(original.to_json().decode()) == original
    offset = Change.of(
        topic="bodhi.update.comment",
        tags=[keys.update("FEDORA-2026-1")],
        at=datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))),
    )
    again = Change.from_json(offset.to_json())
    assert again == offset
    assert again.message_id is None
    assert again.at.utcoffset() == timedelta(hours=2)


def test_change_of_puts_a_change_in_canonical_form() -> None:
    made = Change.of(
        topic="t",
        tags=[keys.package("b", "koji"), keys.package("a", "koji"), keys.package("b", "koji")],
        packages=["b", "a", "a"],
        reasons=["tagged", "build", "tagged"],
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert made.tags == (keys.package("a", "koji"), keys.package("b", "koji"))
    assert made.packages == ("a", "b")
    assert made.reasons == ("tagged", "build")
    with pytest.raises(ValueError, match="timezone"):
        Change.of(topic="t", tags=[], at=datetime(2026, 1, 1))


VALID: dict[str, object] = {
    "v": 1,
    "message_id": "m",
    "topic": "t",
    "tags": ["pkg:a"],
    "packages": ["a"],
    "reasons": [],
    "at": "2026-01-01T00:00:00+00:00",
}


def _with(**fields: object) -> bytes:
    return orjson.dumps({**VALID, **fields})


def _without(name: str) -> bytes:
    return orjson.dumps({k: v for k, v in VALID.items() if k != name})


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"[]",
        _with(v=2),
        _without("v"),
        _without("at"),
        _without("tags"),
        _with(topic=3),
        _with(tags=[1]),
        _with(packages="a"),
        _with(reasons=None),
        _with(at="yesterday"),
        _with(at="2026-01-01T00:00:00"),  # no offset
        _with(message_id=5),
    ],
)
def test_bytes_that_are_not_a_change_are_refused(data: bytes) -> None:
    assert Change.from_json(orjson.dumps(VALID)).topic == "t"
    with pytest.raises(MalformedChangeError):
        Change.from_json(data)


def test_unknown_fields_are_ignored_for_newer_workers() -> None:
    data = (
        b'{"v": 1, "topic": "t", "tags": ["pkg:a"], "packages": ["a"], "reasons": [],'
        b' "at": "2026-01-01T00:00:00+00:00", "priority": 3}'
    )
    assert Change.from_json(data).packages == ("a",)


# -- RedisFeed: recovery ---------------------------------------------------------------------


async def pubsub_client_id(admin: Redis, name: str) -> int:
    clients = await admin.client_list(_type="pubsub")
    (client,) = [c for c in clients if c.get("name") == name]
    return int(client["id"])


async def expect_resync(subscription: Subscription, within: float = 10.0) -> Resync:
    item = await next_item(subscription, within)
    assert isinstance(item, Resync), item
    assert item.reason == "disconnected"
    assert item.missed is None
    return item


@pytest.mark.redis
@pytest.mark.parametrize("retries", ["redis-py retries", "no retries"])
async def test_redis_feed_resubscribes_after_client_kill(retries: str) -> None:
    name = f"feedtest-{uuid.uuid4().hex}"
    options: dict[str, object] = {"client_name": name}
    if retries == "no retries":  # the feed, not redis-py, reconnects
        options["retry"] = Retry(NoBackoff(), 0)
    client = await reachable_redis(**options)
    admin = await reachable_redis()
    channel = keys.namespaced(f"test:{uuid.uuid4().hex}:", keys.change_feed_channel())
    feed = RedisFeed(client, channel, ping_interval=1.0, reconnect_delay=0.05)
    try:
        await feed.start()
        subscription = feed.subscribe()
        await feed.publish(change(1))
        assert await next_item(subscription) == change(1)
        target = str(await pubsub_client_id(admin, name))
        killed = await admin.execute_command(  # type: ignore[no-untyped-call]
            "CLIENT", "KILL", "TYPE", "pubsub", "ID", target
        )
        assert killed == 1
        notice = await expect_resync(subscription)
        assert notice.since is not None
        assert notice.since <= notice.until
        assert feed.gaps == 1
        assert feed.connected.is_set()
        await feed.publish(change(2))  # after the recovery
        assert await next_item(subscription) == change(2)
        other = Change.of(topic="t", tags=[keys.package("x", "koji")], at=datetime.now(UTC))
        await admin.publish(channel, other.to_json())  # from another process
        assert await next_item(subscription) == other
    finally:
        await feed.close()
        await client.aclose()
        await admin.aclose()


@pytest.mark.redis
async def test_redis_feed_skips_and_counts_what_is_not_a_change() -> None:
    client = await reachable_redis()
    channel = keys.namespaced(f"test:{uuid.uuid4().hex}:", keys.change_feed_channel())
    feed = RedisFeed(client, channel)
    try:
        await feed.start()
        subscription = feed.subscribe()
        await client.publish(channel, b"garbage")
        await client.publish(channel, b'{"v": 99}')
        await feed.publish(change(1))
        assert await next_item(subscription) == change(1)
        assert (feed.malformed, feed.received) == (2, 1)
    finally:
        await feed.close()
        await client.aclose()


@pytest.mark.redis
async def test_redis_feed_start_fails_when_redis_is_unreachable() -> None:
    await (await reachable_redis()).aclose()  # skip, or fail under CI, without a Redis at all
    client = Redis(
        host="127.0.0.1", port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    feed = RedisFeed(client, "unused", start_timeout=3)
    try:
        with pytest.raises((redis.exceptions.ConnectionError, OSError)):
            await feed.start()
        assert not feed.connected.is_set()
    finally:
        await feed.close()
        await client.aclose()


class StallingProxy:
    """A TCP proxy to Redis that can stop forwarding while keeping connections open."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.stalled = False
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        stalled_from_start = self.stalled
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers += [writer, upstream_writer]
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink, stalled_from_start))
            self._tasks.add(task)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, stalled: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                if self.stalled and not stalled:
                    continue  # a black hole: read and forget, never close
                sink.write(data)
                await sink.drain()


@pytest.mark.redis
async def test_redis_feed_notices_a_silently_dead_connection() -> None:
    admin = await reachable_redis()
    host = admin.connection_pool.connection_kwargs.get("host", "127.0.0.1")
    port = admin.connection_pool.connection_kwargs.get("port", 6379)
    channel = keys.namespaced(f"test:{uuid.uuid4().hex}:", keys.change_feed_channel())
    proxy = StallingProxy(str(host), int(port))
    async with proxy as proxy_port:
        client = Redis(
            host="127.0.0.1", port=proxy_port, retry=Retry(NoBackoff(), 0), socket_timeout=5
        )
        feed = RedisFeed(client, channel, ping_interval=0.2, reconnect_delay=0.05)
        try:
            await feed.start()
            subscription = feed.subscribe()
            await admin.publish(channel, change(1).to_json())
            assert await next_item(subscription) == change(1)
            proxy.stalled = True  # existing connections go silent; new ones work
            await admin.publish(channel, change(2).to_json())  # lost in the black hole
            notice = await expect_resync(subscription, within=10)
            assert notice.since is not None
            assert proxy.connections >= 2
            await admin.publish(channel, change(3).to_json())
            assert await next_item(subscription) == change(3)
        finally:
            await feed.close()
            await client.aclose()
    await admin.aclose()
