"""Two gateway replicas and one worker, as processes on real Redis and RabbitMQ.

``fedora-gateway simulate`` publishes the world's events to RabbitMQ; one
``fedora-gateway worker`` consumes them, refills the Redis field cache and publishes each
change on the Redis change feed; two ``fedora-gateway serve`` processes follow that feed
and push it to their WebSocket subscribers. Clients on both replicas — raw ``websockets``
speaking graphql-transport-ws, and the gql client — subscribe to ``buildStateChanged`` and
``packageChanged`` for one package, and to the same fields for a package left alone. One
build later, every subscriber of the built package on either replica has the new build,
both replicas sent the same ``packageChanged`` data (``at`` is the bus's timestamp, so it
is equal too), and the subscribers of the other package got nothing.

A subscription has no acknowledgement on the wire, so before the build the test publishes
a probe change for both packages on the feed itself and waits until every
``packageChanged`` subscriber has seen one: the streams are live on both replicas. The
probe carries no tags and no subject, so only ``packageChanged`` subscribers of those two
packages anywhere see it.

Isolation: a RabbitMQ virtual host of the module's own (no other test's simulator reaches
its worker), and Redis database 12, which no other module uses. Redis pub/sub ignores
database numbers, so every process following the feed channel on this server hears the
changes of every worker: what the subscribers receive is matched against the changes of
this module's own messages (read on the feed), and a change of another test's world is
tolerated only where the feed shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
import websockets
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection
from yarl import URL

from gateway.invalidation.feed import Change, RedisFeed, Subscription
from gateway.invalidation.messages import TOPICS
from gateway.schema.subscription import BUILD_STATE_TOPIC
from tests.conftest import IN_CI, free_port, upstream_env
from tests.invalidation.test_production import REDIS_URL, _queue_ready, _start, _stop, _up
from tests.invalidation.test_worker_faults import _CLAIM, Broker

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.redis, pytest.mark.rabbitmq]

#: A database of its own, flushed by this module only (11 is test_production.py's).
DATABASE = 12
#: Set in the database while the module runs: test_worker_faults.py claims only empty ones.
MARKER = "fedora-gateway:test-replicas"
#: How long anything may take to arrive before the test says it did not.
WAIT_S = 30.0
#: How long the untouched package's subscribers are watched once the build has arrived.
QUIET_S = 2.0
#: The topic of the probe changes this module publishes on the feed.
PROBE_TOPIC = "fedora-gateway.test.replicas.probe"

BUILDS = """
subscription Builds($name: String) {
  buildStateChanged(package: $name) { previousState at build { nvr state } }
}
"""
PACKAGE = """
subscription Package($name: String!) {
  packageChanged(name: $name) { reasons topic at package { name } }
}
"""
FIELDS = {"buildStateChanged": BUILDS, "packageChanged": PACKAGE}


# -- the system ---------------------------------------------------------------------------


@dataclass
class Replicas:
    simulator: str
    #: The WebSocket URLs of the two ``serve`` processes, by label.
    gateways: dict[str, str]
    feed: RedisFeed


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broker() -> AsyncIterator[Broker]:
    """A RabbitMQ virtual host of this module's own, deleted at the end with all it holds."""
    vhost = Broker()
    await asyncio.to_thread(vhost.create)
    try:
        connection = await asyncio.wait_for(aio_pika.connect_robust(vhost.url), 10)
        await connection.close()
        yield vhost
    finally:
        await asyncio.to_thread(vhost.delete)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def redis_url() -> AsyncIterator[str]:
    url = str(URL(REDIS_URL).with_path(f"/{DATABASE}"))
    client: Redis = Redis.from_url(url)
    try:
        await client.ping()
    except OSError as error:
        await client.aclose()
        if IN_CI:
            pytest.fail(f"Redis at {url} is unreachable under CI=true: {error!r}")
        pytest.skip(f"Redis at {url} is unreachable")
    try:
        assert not await client.exists(_CLAIM), f"test_worker_faults.py claimed {url}"
        await client.flushdb()
        await client.set(MARKER, "1")
        yield url
        await client.flushdb()
    finally:
        await client.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def replicas(broker: Broker, redis_url: str) -> AsyncIterator[Replicas]:
    sim_port, port_a, port_b = free_port(), free_port(), free_port()
    simulator = f"http://127.0.0.1:{sim_port}"
    queue = f"fedora-gateway-test-replicas-{uuid.uuid4().hex[:12]}"
    upstreams = upstream_env(simulator)
    served = {**upstreams, "GATEWAY_REDIS_URL": redis_url}
    processes = [
        _start(
            ["simulate", "--port", str(sim_port), "--size", "300", "--events-per-minute", "0"],
            {"GATEWAY_AMQP_URL": broker.url},
        ),
        _start(
            ["worker"],
            {**served, "GATEWAY_AMQP_URL": broker.url, "GATEWAY_WORKER_QUEUE": queue},
        ),
        _start(["serve", "--port", str(port_a)], served),
        _start(["serve", "--port", str(port_b)], served),
    ]
    client: Redis = Redis.from_url(redis_url)
    feed = RedisFeed(client)
    try:
        await _up(f"{simulator}/_sim/world", processes)
        for port in (port_a, port_b):
            await _up(f"http://127.0.0.1:{port}/healthz", processes)
        connection = await aio_pika.connect_robust(broker.url)
        async with connection:
            await _queue_ready(connection, queue, processes)
        await feed.start()
        yield Replicas(
            simulator,
            {"a": f"ws://127.0.0.1:{port_a}/graphql", "b": f"ws://127.0.0.1:{port_b}/graphql"},
            feed,
        )
    finally:
        await feed.close()
        await client.aclose()
        for process in processes:
            _stop(process)


# -- subscribers --------------------------------------------------------------------------


@dataclass
class Listener:
    """One subscription of one client on one replica, and what it received."""

    gateway: str
    client: str
    root: str
    package: str
    #: The ``data`` of each result, in the order received.
    received: list[dict[str, Any]] = field(default_factory=list)
    #: Anything else: results with errors, error and complete messages, failures.
    problems: list[object] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.root}({self.package}) over {self.client} on replica {self.gateway}"

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events of this field received, probes left out."""
        events = [data[self.root] for data in self.received]
        return [event for event in events if event.get("topic") != PROBE_TOPIC]

    def probed(self) -> bool:
        return any(data[self.root].get("topic") == PROBE_TOPIC for data in self.received)

    def variables(self) -> dict[str, Any]:
        return {"name": self.package}


async def _raw(url: str, listeners: list[Listener], stack: AsyncExitStack) -> None:
    """Subscribe ``listeners`` over one graphql-transport-ws connection, read in the background."""
    ws: ClientConnection = await stack.enter_async_context(
        websockets.connect(url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])  # type: ignore[list-item]
    )
    assert ws.subprotocol == WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL
    await ws.send(json.dumps({"type": "connection_init"}))
    async with asyncio.timeout(WAIT_S):
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    by_id = {str(index): listener for index, listener in enumerate(listeners)}
    for ident, listener in by_id.items():
        payload = {"query": FIELDS[listener.root], "variables": listener.variables()}
        await ws.send(json.dumps({"id": ident, "type": "subscribe", "payload": payload}))

    async def read() -> None:
        async for raw in ws:
            message = json.loads(raw)
            listener = by_id.get(message.get("id", ""))
            if listener is None:
                continue
            payload = message.get("payload") or {}
            if message["type"] == "next" and not payload.get("errors"):
                listener.received.append(payload["data"])
            else:
                listener.problems.append(message)

    _background(read(), stack)


async def _gql(url: str, listeners: list[Listener], stack: AsyncExitStack) -> None:
    """Subscribe ``listeners`` with the gql client, over one connection."""
    transport = WebsocketsTransport(
        url=url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    client = Client(transport=transport, fetch_schema_from_transport=False)
    session = await stack.enter_async_context(client)
    assert transport.subprotocol == WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL

    async def listen(listener: Listener) -> None:
        request = GraphQLRequest(FIELDS[listener.root], variable_values=listener.variables())
        try:
            async for data in session.subscribe(request):
                listener.received.append(data)
        except Exception as error:  # a result with errors ends a gql subscription
            listener.problems.append(error)

    for listener in listeners:
        _background(listen(listener), stack)
        await asyncio.sleep(0)  # subscribe in the order given


def _background(coroutine: Awaitable[None], stack: AsyncExitStack) -> None:
    task = asyncio.ensure_future(coroutine)

    async def cancel() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    stack.push_async_callback(cancel)


async def _eventually(condition: Callable[[], bool], what: Callable[[], str]) -> None:
    """Wait up to :data:`WAIT_S` for ``condition``; fail saying ``what`` is missing."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"after {WAIT_S:.0f} s: {what()}"
        await asyncio.sleep(0.05)


# -- the scenario -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one build in the world made every subscriber receive."""

    name: str
    untouched: str
    nvr: str
    #: This build's changes, as the worker published them on the feed, in order.
    changes: list[Change]
    #: Every change seen on the feed while the subscribers listened (other tests' too).
    feed: list[Change]
    listeners: list[Listener]

    def of(self, root: str, package: str) -> list[Listener]:
        return [x for x in self.listeners if x.root == root and x.package == package]


def _package_event(change: Change, name: str) -> dict[str, Any]:
    """The ``packageChanged`` data a change of ``name`` should produce, as PACKAGE asks."""
    return {
        "reasons": list(change.reasons),
        "topic": change.topic,
        "at": change.at.isoformat(),
        "package": {"name": name},
    }


def _build_changes(changes: list[Change], name: str) -> list[Change]:
    return [
        change
        for change in changes
        if change.topic == BUILD_STATE_TOPIC
        and name in change.packages
        and (change.subject.build is not None or change.subject.nvr is not None)
    ]


def _mine(events: list[dict[str, Any]], changes: list[Change]) -> list[dict[str, Any]]:
    """The events that ``changes`` explain, by topic and bus time (build events: the time)."""
    keys = {(change.topic, change.at.isoformat()) for change in changes}
    return [e for e in events if (e.get("topic", BUILD_STATE_TOPIC), e["at"]) in keys]


async def _collect(subscription: Subscription, into: list[Change]) -> None:
    async for item in subscription:
        if isinstance(item, Change):
            into.append(item)  # noqa: PERF401  read by the test while it grows


def _pick(owners: dict[str, Any]) -> tuple[str, str]:
    """Two packages of the world that other modules' tests do not usually touch."""
    first = next(iter(owners["rpms"]))  # test_production.py's choice without a kernel
    names = sorted(name for name in owners["rpms"] if name not in ("kernel", first))
    assert len(names) >= 2, names
    middle = len(names) // 2
    return names[middle], names[middle + 1]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def outcome(replicas: Replicas) -> AsyncIterator[Outcome]:
    async with httpx.AsyncClient(base_url=replicas.simulator, timeout=30) as http:
        owners = (await http.get("/pagure/extras/pagure_owner_alias.json")).json()
        name, untouched = _pick(owners)

        listeners: list[Listener] = []
        seen: list[Change] = []
        subscription = replicas.feed.subscribe(maxsize=10_000)
        async with AsyncExitStack() as stack:
            stack.callback(subscription.close)
            _background(_collect(subscription, seen), stack)
            for gateway, url in replicas.gateways.items():
                raw = [
                    Listener(gateway, "websockets", root, package)
                    for package in (name, untouched)
                    for root in FIELDS  # buildStateChanged first: the probe's proof covers it
                ]
                gql = [Listener(gateway, "gql", root, name) for root in FIELDS]
                await _raw(url, raw, stack)
                await _gql(url, gql, stack)
                listeners += raw + gql

            await _probe(replicas.feed, listeners, (name, untouched))

            response = await http.post("/_sim/events", json={"type": "build", "package": name})
            assert response.status_code == 200, response.text
            event = response.json()
            nvr = event["changed"]["nvr"]
            handled = {
                message_id
                for message_id, topic in zip(event["message_ids"], event["topics"], strict=True)
                if topic in TOPICS
            }
            assert handled, event

            def published() -> list[Change]:
                return [change for change in seen if change.message_id in handled]

            await _eventually(
                lambda: {change.message_id for change in published()} >= handled,
                lambda: f"the worker published changes for {handled} only as {published()}",
            )
            changes = published()
            expected = {
                "buildStateChanged": len(_build_changes(changes, name)),
                "packageChanged": len([change for change in changes if name in change.packages]),
            }

            def arrived(listener: Listener) -> bool:
                return (
                    bool(listener.problems)
                    or len(_mine(listener.events, changes)) >= expected[listener.root]
                )

            touched = [listener for listener in listeners if listener.package == name]
            # Waits only: what arrived is asserted by the tests, with what is missing.
            with contextlib.suppress(AssertionError):
                await _eventually(
                    lambda: all(arrived(listener) for listener in touched), lambda: "late"
                )
            await asyncio.sleep(QUIET_S)
            yield Outcome(name, untouched, nvr, changes, list(seen), listeners)


async def _probe(feed: RedisFeed, listeners: list[Listener], packages: tuple[str, ...]) -> None:
    """Publish probe changes until every ``packageChanged`` subscriber has received one."""
    waiting = [x for x in listeners if x.root == "packageChanged"]
    deadline = time.monotonic() + WAIT_S
    while not all(listener.probed() for listener in waiting):
        late = [str(listener) for listener in waiting if not listener.probed()]
        assert time.monotonic() < deadline, f"no probe reached {late} in {WAIT_S:.0f} s"
        problems = [(str(x), x.problems) for x in listeners if x.problems]
        assert not problems, problems
        probe = Change.of(
            topic=PROBE_TOPIC,
            tags=(),
            packages=packages,
            reasons=["probe"],
            at=datetime.now(UTC),
            message_id=f"probe-{uuid.uuid4().hex}",
        )
        await feed.publish(probe)
        await asyncio.sleep(0.3)


# -- the tests ------------------------------------------------------------------------------


async def test_every_subscriber_on_both_replicas_receives_the_new_build(outcome: Outcome) -> None:
    builds = _build_changes(outcome.changes, outcome.name)
    assert builds, f"the build published no state change: {outcome.changes}"
    assert all(change.subject.nvr in (None, outcome.nvr) for change in builds), builds
    listeners = outcome.of("buildStateChanged", outcome.name)
    assert len(listeners) == 4  # two clients on each of two replicas
    for listener in listeners:
        assert not listener.problems, f"{listener}: {listener.problems}"
        events = _mine(listener.events, builds)
        assert [event["build"]["nvr"] for event in events] == [outcome.nvr] * len(builds), (
            f"{listener} received {listener.events}"
        )
        assert [(event["previousState"], event["at"]) for event in events] == [
            (change.subject.previous_state, change.at.isoformat()) for change in builds
        ]
        assert events[-1]["build"]["state"] == builds[-1].subject.state, events
    # The last event, read after the worker's last refill, is the same everywhere.
    finals = {json.dumps(_mine(x.events, builds)[-1], sort_keys=True) for x in listeners}
    assert len(finals) == 1, finals


async def test_both_replicas_send_the_same_package_changes(outcome: Outcome) -> None:
    changes = [change for change in outcome.changes if outcome.name in change.packages]
    assert changes
    expected = [_package_event(change, outcome.name) for change in changes]
    listeners = outcome.of("packageChanged", outcome.name)
    assert {(x.gateway, x.client) for x in listeners} == {
        (gateway, client) for gateway in "ab" for client in ("websockets", "gql")
    }
    for listener in listeners:
        assert not listener.problems, f"{listener}: {listener.problems}"
        assert _mine(listener.events, changes) == expected, f"{listener} received {listener.events}"


async def test_a_package_left_alone_receives_nothing(outcome: Outcome) -> None:
    assert not any(outcome.untouched in change.packages for change in outcome.changes)
    # Another test's world may change the same package meanwhile: only that may arrive.
    foreign = [change for change in outcome.feed if outcome.untouched in change.packages]
    explained = {
        "buildStateChanged": [
            change.at.isoformat() for change in _build_changes(foreign, outcome.untouched)
        ],
        "packageChanged": [
            change.at.isoformat() for change in foreign if change.topic != PROBE_TOPIC
        ],
    }
    listeners = [x for x in outcome.listeners if x.package == outcome.untouched]
    assert len(listeners) == 4
    for listener in listeners:
        assert not listener.problems, f"{listener}: {listener.problems}"
        got = [event["at"] for event in listener.events]
        assert got == explained[listener.root], f"{listener} received {listener.events}"
