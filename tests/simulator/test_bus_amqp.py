"""The buses: in-process fan-out, and RabbitMQ exactly as fedora-messaging publishes to it."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import pika  # type: ignore[import-untyped]
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from fedora_messaging import message as fm

from simulator import messages
from simulator.bus import AmqpPublisher, InProcessBus, Overflow, TeePublisher
from simulator.messages import Message
from simulator.mutations import Mutator
from simulator.world import World
from tests.conftest import AMQP_URL
from tests.simulator.test_messages import a_package, assert_fedora_message


def _message(name: str = "bash") -> Message:
    return messages.repo_update("rawhide", [name], rawhide=True)


# -- in-process ----------------------------------------------------------------------------


async def test_every_subscriber_gets_every_message_in_order() -> None:
    bus = InProcessBus()
    first, second = bus.subscribe(), bus.subscribe()
    sent = [_message(f"pkg{i}") for i in range(5)]
    for message in sent:
        await bus.publish(message)
    for subscription in (first, second):
        got = [await subscription.get() for _ in sent]
        assert [m.id for m in got] == [m.id for m in sent]
    assert bus.published == 5
    assert [m.id for m in bus.recent(2)] == [m.id for m in sent[-2:]]
    assert bus.recent(topic="buildsys.tag") == []


async def test_a_full_subscriber_drops_its_oldest_and_counts_the_gap() -> None:
    bus = InProcessBus(maxsize=3, history=2)
    subscription = bus.subscribe()
    sent = [_message(f"pkg{i}") for i in range(5)]
    for message in sent:
        await bus.publish(message)
    assert subscription.dropped == 2
    assert subscription.pending() == 3
    assert [(await subscription.get()).id for _ in range(3)] == [m.id for m in sent[2:]]
    assert len(bus.recent()) == 2  # the history is bounded too


async def test_a_blocking_subscriber_applies_back_pressure() -> None:
    bus = InProcessBus()
    subscription = bus.subscribe(maxsize=1, overflow=Overflow.BLOCK)
    await bus.publish(_message("one"))
    second = asyncio.create_task(bus.publish(_message("two")))
    await asyncio.sleep(0.01)
    assert not second.done()
    assert (await subscription.get()).body["packages"] == ["one"]
    await asyncio.wait_for(second, 1)
    assert (await subscription.get()).body["packages"] == ["two"]


async def test_closing_a_subscription_ends_its_iteration() -> None:
    bus = InProcessBus()
    received: list[Message] = []

    async def consume() -> None:
        async with bus.subscribe() as subscription:
            async for message in subscription:
                received.append(message)
                if len(received) == 2:
                    subscription.close()

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    for i in range(3):
        await bus.publish(_message(f"pkg{i}"))
    await asyncio.wait_for(task, 1)
    assert len(received) == 2
    assert bus.subscribers == 0


async def test_a_tee_publishes_to_each_publisher() -> None:
    left, right = InProcessBus(), InProcessBus()
    await TeePublisher(left, right).publish(_message())
    assert left.published == right.published == 1


class _Exchange:
    """An exchange whose broker is away until told otherwise."""

    def __init__(self) -> None:
        self.away = True
        self.sent: list[str | None] = []

    async def publish(self, message: aio_pika.Message, routing_key: str, **_: object) -> None:
        if self.away:
            raise aio_pika.exceptions.AMQPConnectionError("the broker is away")
        self.sent.append(message.message_id)


async def test_the_publisher_holds_messages_in_order_while_the_broker_is_away() -> None:
    publisher = AmqpPublisher("amqp://127.0.0.1:1/", buffer=3, retry_interval=0.01)
    exchange = _Exchange()
    publisher._exchange = exchange  # type: ignore[assignment]  # the broker, faked
    sent = [_message(f"pkg{i}") for i in range(4)]
    for message in sent:
        await publisher.publish(message)  # never raises: held
    assert publisher.pending == 3
    assert (publisher.held, publisher.dropped) == (4, 1)  # the oldest made room
    exchange.away = False
    async with asyncio.timeout(5):
        await publisher.flushed()
    assert publisher.pending == 0
    assert exchange.sent == [m.id for m in sent[1:]]  # in order
    later = _message("later")
    await publisher.publish(later)  # straight through again
    assert exchange.sent[-1] == later.id
    await publisher.close()


# -- RabbitMQ ------------------------------------------------------------------------------


async def _private_queue(
    connection: AbstractRobustConnection, routing_key: str
) -> aio_pika.abc.AbstractQueue:
    channel = await connection.channel()
    queue = await channel.declare_queue(str(uuid.uuid4()), exclusive=True, auto_delete=True)
    await queue.bind("amq.topic", routing_key=routing_key)
    return queue


async def _receive(queue: aio_pika.abc.AbstractQueue, count: int) -> list[AbstractIncomingMessage]:
    got: list[AbstractIncomingMessage] = []
    async with asyncio.timeout(10):
        async with queue.iterator() as incoming:
            async for delivery in incoming:
                await delivery.ack()
                got.append(delivery)
                if len(got) == count:
                    break
    return got


def _as_fedora_messaging(delivery: AbstractIncomingMessage) -> fm.Message:
    """The delivery as fedora-messaging's consumer decodes and validates it."""
    properties = pika.BasicProperties(
        content_type=delivery.content_type,
        content_encoding=delivery.content_encoding,
        headers=dict(delivery.headers),
        delivery_mode=int(delivery.delivery_mode),
        message_id=delivery.message_id,
        priority=delivery.priority,
    )
    assert delivery.routing_key is not None
    return fm.get_message(delivery.routing_key, properties, delivery.body)


@pytest.mark.rabbitmq
async def test_a_published_message_reaches_an_amq_topic_consumer(
    broker: AbstractRobustConnection,
) -> None:
    message = _message()
    queue = await _private_queue(broker, message.routing_key)
    async with AmqpPublisher(AMQP_URL) as publisher:
        await publisher.publish(message)
    (delivery,) = await _receive(queue, 1)
    assert delivery.routing_key == "org.fedoraproject.prod.mdapi.repo.update"
    assert delivery.exchange == "amq.topic"
    assert delivery.content_type == "application/json"
    assert delivery.content_encoding == "utf-8"
    assert delivery.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert delivery.message_id == message.id
    assert delivery.priority == message.priority
    assert dict(delivery.headers) == message.headers
    assert json.loads(delivery.body) == message.body
    received = _as_fedora_messaging(delivery)
    assert type(received) is fm.get_class("mdapi.repo.update")
    assert received.body == message.body


@pytest.mark.rabbitmq
async def test_a_mutation_publishes_through_rabbitmq_in_order(
    broker: AbstractRobustConnection, fresh_world: World
) -> None:
    package = a_package(fresh_world)
    queue = await _private_queue(broker, "org.fedoraproject.prod.buildsys.#")
    async with AmqpPublisher(AMQP_URL) as publisher:
        result = await Mutator(fresh_world, publisher).apply("build", package.name)
    expected = [t for t in result.topics if t.startswith("buildsys.")]
    deliveries = await _receive(queue, len(expected))
    assert [d.routing_key for d in deliveries] == [f"org.fedoraproject.prod.{t}" for t in expected]
    for delivery in deliveries:
        received = _as_fedora_messaging(delivery)
        assert package.name in received.packages
        assert_fedora_message(Message.from_dict(received_dict(received, delivery)))
    tag = next(d for d in deliveries if (d.routing_key or "").endswith("buildsys.tag"))
    assert tag.priority == 2
    assert tag.headers["fedora_messaging_severity"] == messages.DEBUG


def received_dict(received: fm.Message, delivery: AbstractIncomingMessage) -> dict[str, object]:
    return {
        "topic": delivery.routing_key,
        "headers": dict(delivery.headers),
        "id": delivery.message_id,
        "body": received.body,
        "priority": delivery.priority,
    }


@pytest.mark.rabbitmq
async def test_the_publisher_connects_on_first_use_and_closes(
    broker: AbstractRobustConnection,
) -> None:
    publisher = AmqpPublisher(AMQP_URL)
    queue = await _private_queue(broker, "org.fedoraproject.prod.mdapi.#")
    await publisher.publish(_message("lazy"))
    await publisher.close()
    await publisher.close()  # idempotent
    (delivery,) = await _receive(queue, 1)
    assert json.loads(delivery.body)["packages"] == ["lazy"]
