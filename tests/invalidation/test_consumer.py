"""The bus consumer against the real RabbitMQ: ack, retry, drop, poison, prefetch, stop, reconnect.

Each test declares its own queue, dead-letter exchange and dead-letter queue under a fresh
name, binds routing keys of its own (so the simulator's or other tests' traffic on
``amq.topic`` never reaches it) and deletes all of them at the end. The connection break is
a broker-side ``rabbitmqctl close_connection`` aimed at the consumer's connection alone (found
by its ``connection_name``), not ``close_all_connections``, which would also break every
other client of the shared broker.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection
from yarl import URL

from gateway.invalidation import broker as fedora
from gateway.invalidation.consumer import BusConsumer, Gap
from gateway.invalidation.delivery import Delivery, Drop, Handler, Retry
from tests.conftest import AMQP_URL, IN_CI

#: Reconnect quickly in tests (aio-pika's default is 5 s).
FAST_URL = str(URL(AMQP_URL).update_query(reconnect_interval="0.3"))
PREFIX = "org.fedoraproject.prod"


async def eventually(check: Callable[[], bool], within: float = 15.0, what: str = "") -> None:
    """Wait until ``check()`` holds, polling; fail after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


@dataclass
class Names:
    """The per-test broker objects, and a channel of the test's own to look at them."""

    channel: AbstractRobustChannel
    queue: str = field(default_factory=lambda: f"test.consumer.{uuid.uuid4().hex}")
    topic: str = field(default_factory=lambda: f"test.{uuid.uuid4().hex}")

    @property
    def dlx(self) -> str:
        return f"{self.queue}.dlx"

    @property
    def dlq(self) -> str:
        return f"{self.queue}.dead"

    @property
    def binding(self) -> str:
        return f"{PREFIX}.{self.topic}.#"

    def routing_key(self, suffix: str = "event") -> str:
        return f"{PREFIX}.{self.topic}.{suffix}"

    async def publish(
        self,
        body: bytes = b"{}",
        *,
        message_id: str | None = None,
        suffix: str = "event",
        headers: dict[str, Any] | None = None,
    ) -> str:
        message_id = message_id or str(uuid.uuid4())
        exchange = await self.channel.get_exchange("amq.topic")
        await exchange.publish(
            aio_pika.Message(
                body,
                message_id=message_id,
                headers=headers or {},
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=self.routing_key(suffix),
        )
        return message_id

    async def ready_count(self, queue: str | None = None) -> int:
        declared = await self.channel.declare_queue(queue or self.queue, passive=True)
        count = declared.declaration_result.message_count
        assert count is not None
        return count

    async def dead_letters(
        self, expected: int, within: float = 10.0
    ) -> list[AbstractIncomingMessage]:
        queue = await self.channel.declare_queue(self.dlq, passive=True)
        got: list[AbstractIncomingMessage] = []
        deadline = asyncio.get_running_loop().time() + within
        while len(got) < expected and asyncio.get_running_loop().time() < deadline:
            message = await queue.get(fail=False, timeout=5)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            got.append(message)
        return got

    def consumer(self, handler: Handler, **options: Any) -> BusConsumer:
        options.setdefault("retry_backoff", 0.01)
        options.setdefault("retry_backoff_max", 0.05)
        options.setdefault("drain_timeout", 10.0)
        return BusConsumer(
            FAST_URL,
            queue=self.queue,
            bindings=[self.binding],
            handler=handler,
            dead_letter_exchange=self.dlx,
            dead_letter_queue=self.dlq,
            connection_name=f"test-consumer {self.queue}",
            **options,
        )


@pytest.fixture
async def names(broker: AbstractRobustConnection) -> AsyncIterator[Names]:
    channel = await broker.channel()
    names = Names(channel)
    try:
        yield names
    finally:
        for queue in (names.queue, names.dlq):
            await channel.queue_delete(queue)
        await channel.exchange_delete(names.dlx)
        await channel.close()


class Running:
    """A consumer running in a task, stopped (and awaited) on exit."""

    def __init__(self, consumer: BusConsumer) -> None:
        self.consumer = consumer
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BusConsumer:
        self.task = asyncio.create_task(self.consumer.run())
        waiter = asyncio.create_task(self.consumer.connected.wait())
        done, _ = await asyncio.wait(
            {self.task, waiter}, timeout=15, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        if self.task in done:
            self.task.result()  # raises what run() raised
        assert self.consumer.connected.is_set(), "the consumer did not start consuming"
        return self.consumer

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        await asyncio.wait_for(self.consumer.stop(), 30)
        await asyncio.wait_for(self.task, 5)


def recorder() -> tuple[list[Delivery], Handler]:
    seen: list[Delivery] = []

    async def handler(delivery: Delivery) -> None:
        seen.append(delivery)

    return seen, handler


pytestmark = pytest.mark.timeout(90)


# -- outcomes ------------------------------------------------------------------------------


@pytest.mark.rabbitmq
async def test_a_handled_message_is_acked_and_leaves_the_queue(names: Names) -> None:
    seen, handler = recorder()
    consumer = names.consumer(handler)
    async with Running(consumer):
        ids = [
            await names.publish(
                b'{"n": %d}' % i,
                suffix=f"thing.{i}",
                headers={"sent-at": "2026-05-04T03:02:01+00:00", "fedora_messaging_severity": 20},
            )
            for i in range(5)
        ]
        await eventually(lambda: consumer.acked == 5, what="5 acks")
    assert await names.ready_count() == 0
    assert sorted(d.message_id or "" for d in seen) == sorted(ids)
    first = next(d for d in seen if d.message_id == ids[0])
    assert first.routing_key == names.routing_key("thing.0")
    assert first.body == b'{"n": 0}'
    assert first.headers["fedora_messaging_severity"] == 20
    assert first.timestamp == datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    assert not first.redelivered
    assert first.delivery_count == 0
    assert (consumer.received, consumer.retried, consumer.dropped, consumer.failed) == (5, 0, 0, 0)
    assert consumer.in_flight == 0


@pytest.mark.rabbitmq
async def test_retry_requeues_until_the_handler_succeeds(names: Names) -> None:
    seen: list[Delivery] = []

    async def handler(delivery: Delivery) -> None:
        seen.append(delivery)
        if len(seen) <= 2:
            raise Retry("redis is down")

    consumer = names.consumer(handler, max_failures=1)  # Retry never counts as a failure
    async with Running(consumer):
        message_id = await names.publish()
        await eventually(lambda: consumer.acked == 1, what="the ack after two retries")
    assert [d.message_id for d in seen] == [message_id] * 3
    assert [d.redelivered for d in seen] == [False, True, True]
    assert [d.delivery_count for d in seen] == [0, 1, 2]
    assert (consumer.received, consumer.retried, consumer.dropped) == (3, 2, 0)
    assert await names.ready_count() == 0
    assert await names.dead_letters(0) == []


@pytest.mark.rabbitmq
async def test_a_retry_waits_for_its_backoff(names: Names) -> None:
    times: list[float] = []

    async def handler(delivery: Delivery) -> None:
        times.append(asyncio.get_running_loop().time())
        if len(times) == 1:
            raise Retry(delay=0.5)

    consumer = names.consumer(handler)
    async with Running(consumer):
        await names.publish()
        await eventually(lambda: consumer.acked == 1)
    assert times[1] - times[0] >= 0.45


@pytest.mark.rabbitmq
@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
async def test_drop_dead_letters_the_message_at_once(names: Names, queue_type: str) -> None:
    calls = 0

    async def handler(delivery: Delivery) -> None:
        nonlocal calls
        calls += 1
        raise Drop("not a JSON object")

    consumer = names.consumer(
        handler,
        queue_type=queue_type,
        delivery_limit=None if queue_type == "classic" else 10,
    )
    async with Running(consumer):
        message_id = await names.publish(b"not json", suffix="bad")
        await eventually(lambda: consumer.dropped == 1, what="the drop")
    assert calls == 1
    assert (consumer.dropped, consumer.dead_lettered, consumer.retried) == (1, 0, 0)
    (dead,) = await names.dead_letters(1)
    assert dead.message_id == message_id
    assert dead.body == b"not json"
    assert dead.headers["x-first-death-reason"] == "rejected"
    deaths: Any = dead.headers["x-death"]
    assert deaths[0]["routing-keys"] == [names.routing_key("bad")]
    assert await names.ready_count() == 0


@pytest.mark.rabbitmq
@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
async def test_an_unexpected_exception_is_retried_then_dead_lettered(
    names: Names, queue_type: str
) -> None:
    async def handler(delivery: Delivery) -> None:
        raise KeyError("a bug")

    consumer = names.consumer(
        handler,
        max_failures=3,
        queue_type=queue_type,
        delivery_limit=None if queue_type == "classic" else 10,
    )
    async with Running(consumer):
        message_id = await names.publish()
        await eventually(lambda: consumer.dead_lettered == 1, what="the dead letter")
    assert (consumer.received, consumer.failed, consumer.retried) == (3, 3, 2)
    assert (consumer.dropped, consumer.acked) == (1, 0)
    (dead,) = await names.dead_letters(1)
    assert dead.message_id == message_id
    assert await names.ready_count() == 0


@pytest.mark.rabbitmq
async def test_the_broker_delivery_limit_backstops_endless_retries(names: Names) -> None:
    seen, _ = recorder()

    async def handler(delivery: Delivery) -> None:
        seen.append(delivery)
        raise Retry("never recovers")

    consumer = names.consumer(handler, delivery_limit=2)
    async with Running(consumer):
        message_id = await names.publish()
        (dead,) = await names.dead_letters(1)
    assert dead.message_id == message_id
    assert dead.headers["x-first-death-reason"] == "delivery_limit"
    assert [d.delivery_count for d in seen] == [0, 1, 2]


@pytest.mark.rabbitmq
async def test_a_handler_past_its_timeout_counts_as_a_failure(names: Names) -> None:
    calls = 0

    async def handler(delivery: Delivery) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)

    consumer = names.consumer(handler, handler_timeout=0.2)
    async with Running(consumer):
        await names.publish()
        await eventually(lambda: consumer.acked == 1)
    assert (consumer.failed, consumer.retried, calls) == (1, 1, 2)


@pytest.mark.rabbitmq
async def test_a_cancellation_leaking_out_of_a_handler_is_a_failure(names: Names) -> None:
    calls = 0

    async def handler(delivery: Delivery) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise asyncio.CancelledError  # not the consumer's doing: must not strand the message

    consumer = names.consumer(handler)
    async with Running(consumer):
        await names.publish()
        await eventually(lambda: consumer.acked == 1)
    assert (consumer.failed, consumer.retried, calls) == (1, 1, 2)
    assert await names.ready_count() == 0


@pytest.mark.rabbitmq
async def test_messages_without_an_id_are_told_apart_by_their_content(names: Names) -> None:
    failures: dict[bytes, int] = {}

    async def handler(delivery: Delivery) -> None:
        failures[delivery.body] = failures.get(delivery.body, 0) + 1
        if delivery.body == b'"poison"':
            raise ValueError("poison")

    consumer = names.consumer(handler, max_failures=2)
    async with Running(consumer):
        exchange = await names.channel.get_exchange("amq.topic")
        for body in (b'"poison"', b'"fine"'):
            await exchange.publish(aio_pika.Message(body), routing_key=names.routing_key())
        await eventually(lambda: consumer.dead_lettered == 1 and consumer.acked == 1)
    assert failures == {b'"poison"': 2, b'"fine"': 1}


# -- flow control and lifecycle ---------------------------------------------------------------


@pytest.mark.rabbitmq
async def test_no_more_handlers_run_at_once_than_the_prefetch(names: Names) -> None:
    release = asyncio.Event()
    running = 0
    peak = 0

    async def handler(delivery: Delivery) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await release.wait()
        finally:
            running -= 1

    consumer = names.consumer(handler, prefetch=3)
    async with Running(consumer):
        for _ in range(10):
            await names.publish()
        await eventually(lambda: running == 3, what="3 handlers in flight")
        await asyncio.sleep(0.3)  # room for a fourth delivery, if the broker sent one
        assert (running, consumer.in_flight, consumer.received) == (3, 3, 3)
        assert await names.ready_count() == 7
        release.set()
        await eventually(lambda: consumer.acked == 10, what="all 10 acks")
    assert peak == 3


@pytest.mark.rabbitmq
async def test_stop_lets_in_flight_handlers_finish_and_takes_nothing_new(names: Names) -> None:
    release = asyncio.Event()
    finished: list[str | None] = []

    async def handler(delivery: Delivery) -> None:
        await release.wait()
        finished.append(delivery.message_id)

    consumer = names.consumer(handler, prefetch=2)
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(consumer.connected.wait(), 15)
    first = [await names.publish() for _ in range(2)]
    await eventually(lambda: consumer.in_flight == 2)
    stopping = asyncio.create_task(consumer.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done(), "stop() must wait for the handlers in flight"
    assert not consumer.connected.is_set()
    late = await names.publish()
    release.set()
    await asyncio.wait_for(stopping, 15)
    await asyncio.wait_for(task, 5)
    assert sorted(finished, key=str) == sorted(first)
    assert consumer.acked == 2
    assert late not in finished
    assert await names.ready_count() == 1  # the late message waits for the next worker


@pytest.mark.rabbitmq
async def test_stop_before_run_returns_at_once(names: Names) -> None:
    _, handler = recorder()
    consumer = names.consumer(handler)
    await asyncio.wait_for(consumer.stop(), 1)
    await asyncio.wait_for(consumer.run(), 1)
    assert not consumer.connected.is_set()
    with pytest.raises(RuntimeError):
        await consumer.run()


@pytest.mark.rabbitmq
async def test_a_new_queue_is_reported_as_a_gap_and_an_old_one_is_not(names: Names) -> None:
    gaps: list[Gap] = []
    _, handler = recorder()
    async with Running(names.consumer(handler, on_reconnect=gaps.append)):
        await eventually(lambda: len(gaps) == 1)
    assert gaps[0].queue_created
    assert gaps[0].since is None
    async with Running(names.consumer(handler, on_reconnect=gaps.append)):
        await asyncio.sleep(0.2)
    assert len(gaps) == 1


@pytest.mark.rabbitmq
async def test_a_queue_declared_with_other_arguments_fails_the_start(names: Names) -> None:
    await names.channel.declare_queue(names.queue, durable=True)  # classic, no dead letters
    _, handler = recorder()
    consumer = names.consumer(handler)
    with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
        await asyncio.wait_for(consumer.run(), 15)
    assert not consumer.connected.is_set()


# -- reconnection --------------------------------------------------------------------------


def _rabbitmqctl() -> str:
    path = shutil.which("rabbitmqctl")
    if path is None:
        if IN_CI:
            pytest.fail("rabbitmqctl is not on PATH, and CI=true forbids skipping")
        pytest.skip("rabbitmqctl is not on PATH")
    return path


def close_connections(name: str, reason: str = "test") -> int:
    """Have the broker force-close the connections named ``name``; how many it closed."""
    rabbitmqctl = _rabbitmqctl()
    listing = subprocess.run(
        [rabbitmqctl, "-q", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    closed = 0
    for line in listing.splitlines()[1:]:
        pid, _, properties = line.partition("\t")
        if f'{{"connection_name","{name}"}}' in properties:
            subprocess.run(
                [rabbitmqctl, "close_connection", pid, reason],
                capture_output=True,
                check=True,
                timeout=30,
            )
            closed += 1
    return closed


@pytest.mark.rabbitmq
async def test_consumption_resumes_after_the_broker_closes_the_connection(names: Names) -> None:
    _rabbitmqctl()
    handled: set[str] = set()
    redelivered: set[str] = set()
    gaps: list[Gap] = []
    broken = asyncio.Event()

    async def handler(delivery: Delivery) -> None:
        assert delivery.message_id is not None
        if not broken.is_set():
            await broken.wait()  # in flight at the break: its ack is bound to fail
        if delivery.redelivered:
            redelivered.add(delivery.message_id)
        handled.add(delivery.message_id)

    consumer = names.consumer(handler, prefetch=8, on_reconnect=gaps.append)
    async with Running(consumer):
        await eventually(lambda: len(gaps) == 1)  # the new queue
        before = [await names.publish() for _ in range(30)]
        await eventually(lambda: consumer.in_flight == 8, what="a full prefetch window")
        closed = await asyncio.to_thread(close_connections, f"test-consumer {names.queue}")
        assert closed == 1
        during = [await names.publish() for _ in range(30)]  # on the test's own connection
        broken.set()
        await eventually(lambda: len(gaps) == 2, what="the reconnect hook")
        after = [await names.publish() for _ in range(10)]
        everything = set(before + during + after)
        await eventually(lambda: handled >= everything, within=30, what="every message")
        await eventually(lambda: consumer.in_flight == 0)
    assert consumer.reconnects == 1
    gap = gaps[1]
    assert not gap.queue_created
    assert gap.since is not None
    assert gap.seconds is not None
    assert 0 <= gap.seconds < 30
    assert handled == everything
    # The 8 handlers in flight at the break finished, but their acks could not be sent; the
    # broker redelivered those messages, which were handled (idempotently) a second time.
    assert consumer.unsettled == 8
    assert len(redelivered) == 8
    assert consumer.acked == len(everything)
    assert consumer.received == len(everything) + 8
    assert await names.ready_count() == 0
    assert await names.dead_letters(0) == []


@pytest.mark.rabbitmq
async def test_an_async_reconnect_hook_that_fails_does_not_stop_consumption(
    names: Names,
) -> None:
    _rabbitmqctl()
    calls = 0

    async def hook(gap: Gap) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("reconciliation failed")

    seen, handler = recorder()
    consumer = names.consumer(handler, on_reconnect=hook)
    async with Running(consumer):
        await eventually(lambda: calls == 1)
        await asyncio.to_thread(close_connections, f"test-consumer {names.queue}")
        await eventually(lambda: consumer.reconnects == 1 and consumer.connected.is_set())
        await eventually(lambda: calls == 2)
        await names.publish()
        await eventually(lambda: consumer.acked == 1)
    assert len(seen) == 1


# -- Fedora's public broker (no network: settings only) --------------------------------------


def test_the_fedora_url_is_the_documented_one_with_sasl_external() -> None:
    url = URL(fedora.fedora_url())
    assert str(url.with_query(None)) == fedora.FEDORA_URL
    assert url.scheme == "amqps"
    assert url.host == "rabbitmq.fedoraproject.org"
    assert url.path == "//public_pubsub"
    assert url.user == "fedora"
    assert url.query["auth"] == "external"
    assert "certfile" not in url.query
    staging = URL(fedora.fedora_url(staging=True, tls=fedora.fedora_tls(staging=True)))
    assert staging.host == "rabbitmq.stg.fedoraproject.org"
    assert staging.user == "fedora.stg"
    assert staging.query["cafile"] == "/etc/fedora-messaging/stg-cacert.pem"
    assert staging.query["certfile"] == "/etc/fedora-messaging/fedora.stg-cert.pem"
    assert staging.query["keyfile"] == "/etc/fedora-messaging/fedora.stg-key.pem"


def test_the_fedora_certificate_files_are_the_ones_fedora_messaging_ships() -> None:
    files = fedora.fedora_tls()
    assert files == fedora.TLSFiles(
        Path("/etc/fedora-messaging/cacert.pem"),
        Path("/etc/fedora-messaging/fedora-cert.pem"),
        Path("/etc/fedora-messaging/fedora-key.pem"),
    )
    staging = fedora.fedora_tls("/certs", staging=True)
    assert [p.name for p in (staging.ca_cert, staging.certfile, staging.keyfile)] == [
        "stg-cacert.pem",
        "fedora.stg-cert.pem",
        "fedora.stg-key.pem",
    ]


def test_fedora_queue_names_must_be_uuids() -> None:
    name = fedora.new_fedora_queue_name()
    assert fedora.check_fedora_queue_name(name) == name
    assert fedora.check_fedora_queue_name(name.upper()) == name.upper()
    for bad in ("fedora-gateway", "", name.replace("-", ""), "{" + name + "}"):
        with pytest.raises(ValueError, match="UUID"):
            fedora.check_fedora_queue_name(bad)


def test_the_ssl_context_needs_every_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"cacert\.pem"):
        fedora.ssl_context(fedora.fedora_tls(tmp_path))


@pytest.fixture
def self_signed(tmp_path: Path) -> fedora.TLSFiles:
    """A self-signed ``fedora`` certificate laid out as fedora-messaging ships its files."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not on PATH")
    files = fedora.fedora_tls(tmp_path)
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=fedora"]
    subprocess.run(
        [openssl, *request, "-keyout", str(files.keyfile), "-out", str(files.certfile)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    shutil.copy(files.certfile, files.ca_cert)
    return files


def test_the_ssl_context_presents_the_client_certificate(self_signed: fedora.TLSFiles) -> None:
    context = fedora.ssl_context(self_signed)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert len(context.get_ca_certs()) == 1


def test_the_fedora_consumer_uses_a_uuid_classic_queue_without_dead_letters(
    self_signed: fedora.TLSFiles, tmp_path: Path
) -> None:
    _, handler = recorder()
    bindings = ["org.fedoraproject.prod.buildsys.#"]
    with pytest.raises(ValueError, match="UUID"):
        BusConsumer.fedora(queue="gateway", bindings=bindings, handler=handler, tls=self_signed)
    with pytest.raises(FileNotFoundError):
        BusConsumer.fedora(
            queue=fedora.new_fedora_queue_name(),
            bindings=bindings,
            handler=handler,
            tls=fedora.fedora_tls(tmp_path / "elsewhere"),
        )
    name = fedora.new_fedora_queue_name()
    consumer = BusConsumer.fedora(queue=name, bindings=bindings, handler=handler, tls=self_signed)
    assert consumer.queue == name
    assert consumer.dead_letter_queue is None


def test_the_constructor_rejects_settings_that_cannot_work() -> None:
    _, handler = recorder()

    def make(**options: Any) -> BusConsumer:
        base: dict[str, Any] = {"queue": "q", "bindings": ["#"], "handler": handler}
        base.update(options)
        return BusConsumer(AMQP_URL, **base)

    make()
    bad: dict[str, Any]
    for bad in (
        {"queue": ""},
        {"bindings": []},
        {"prefetch": 0},
        {"max_failures": 0},
        {"queue_type": "classic"},  # with the default delivery limit
        {"delivery_limit": 0},
        {"retry_backoff": 2.0, "retry_backoff_max": 1.0},
    ):
        with pytest.raises(ValueError):
            make(**bad)
    assert make(queue_type="classic", delivery_limit=None).dead_letter_queue == "q.dead-letter"
    assert make(dead_letter_exchange=None).dead_letter_queue is None
