"""The hub without a network: shared execution, bounded outboxes, the life of a stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable

import orjson
import pytest
import strawberry

from gateway.subscriptions.hub import Frame, FrameKind, Hub, Operation


class Ticks:
    """What the toy subscription reads: ticks published by the test, counted per reader."""

    def __init__(self) -> None:
        self.readers: list[asyncio.Queue[int]] = []
        self.executions = 0

    def publish(self, tick: int) -> None:
        for reader in self.readers:
            reader.put_nowait(tick)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(
        self, info: strawberry.Info[Ticks, None], every: int = 1
    ) -> AsyncGenerator[int, None]:
        ticks = info.context
        reader: asyncio.Queue[int] = asyncio.Queue()
        ticks.readers.append(reader)
        try:
            while True:
                tick = await reader.get()
                if tick % every == 0:
                    ticks.executions += 1
                    yield tick
        finally:
            ticks.readers.remove(reader)


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription)
TICKS = Operation("subscription($every: Int) { ticks(every: $every) }", {"every": 1})


class Inbox:
    """A connection's side: counts wake-ups."""

    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


async def until(condition: Callable[[], bool], within: float = 5) -> None:
    """Poll the hub's counters: the code under test offers nothing to wait on."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.001)


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
async def hub(ticks: Ticks) -> AsyncGenerator[Hub, None]:
    hub = Hub(SCHEMA, lambda: ticks)
    yield hub
    await hub.close()


async def test_one_operation_runs_once_for_all_its_subscribers(hub: Hub, ticks: Ticks) -> None:
    inbox = Inbox()
    subscribers = [hub.join(TICKS, maxsize=8, wake=inbox.wake) for _ in range(100)]
    await until(lambda: len(ticks.readers) == 1)
    ticks.publish(1)
    await until(lambda: all(s.pending() for s in subscribers))
    frames = [s.take() for s in subscribers]
    assert ticks.executions == 1
    assert hub.results == 1
    assert len(hub.streams) == 1
    assert {frame.payload for frame in frames if frame} == {b'{"data":{"ticks":1}}'}
    assert len({id(frame.payload) for frame in frames if frame}) == 1  # encoded once


async def test_other_variables_are_another_execution(hub: Hub, ticks: Ticks) -> None:
    inbox = Inbox()
    hub.join(TICKS, maxsize=8, wake=inbox.wake)
    hub.join(Operation(TICKS.query, {"every": 2}), maxsize=8, wake=inbox.wake)
    hub.join(Operation(TICKS.query, {"every": 1}), maxsize=8, wake=inbox.wake)
    await until(lambda: len(ticks.readers) == 2)
    assert len(hub.streams) == 2
    assert hub.subscribers == 3


async def test_a_slow_subscriber_loses_its_oldest_results_and_counts_them(
    hub: Hub, ticks: Ticks
) -> None:
    inbox = Inbox()
    slow = hub.join(TICKS, maxsize=3, wake=inbox.wake)
    fast = hub.join(TICKS, maxsize=3, wake=inbox.wake)
    await until(lambda: len(ticks.readers) == 1)
    taken: list[Frame] = []
    for tick in range(10):
        ticks.publish(tick)
        await until(lambda: fast.pending() == 1)
        frame = fast.take()
        assert frame is not None
        taken.append(frame)
    assert [orjson.loads(frame.payload)["data"]["ticks"] for frame in taken] == list(range(10))
    assert slow.pending() == 3
    assert slow.dropped == 7
    assert hub.dropped == 7
    kept = [slow.take() for _ in range(3)]
    assert [orjson.loads(f.payload)["data"]["ticks"] for f in kept if f] == [7, 8, 9]


def test_the_final_frame_is_never_dropped() -> None:
    hub = Hub(SCHEMA, Ticks)
    from gateway.subscriptions.hub import Stream, Subscriber

    subscriber = Subscriber(Stream(hub, b"k", TICKS), 2, lambda: None)
    for payload in (b"1", b"2", b"3"):
        subscriber.offer(Frame(FrameKind.NEXT, payload))
    subscriber.offer(Frame(FrameKind.COMPLETE))  # over the bound: still kept
    frames = list(iter(subscriber.take, None))
    assert frames == [
        Frame(FrameKind.NEXT, b"2"),
        Frame(FrameKind.NEXT, b"3"),
        Frame(FrameKind.COMPLETE),
    ]
    assert subscriber.dropped == 1


async def test_the_last_subscriber_out_stops_the_execution(hub: Hub, ticks: Ticks) -> None:
    inbox = Inbox()
    first = hub.join(TICKS, maxsize=8, wake=inbox.wake)
    second = hub.join(TICKS, maxsize=8, wake=inbox.wake)
    await until(lambda: len(ticks.readers) == 1)
    first.close()
    await asyncio.sleep(0.01)
    assert len(ticks.readers) == 1
    second.close()
    second.close()  # idempotent
    await until(lambda: not ticks.readers)
    assert not hub.streams
    assert hub.subscribers == 0


async def test_an_operation_that_does_not_validate_ends_in_an_error(hub: Hub) -> None:
    inbox = Inbox()
    subscriber = hub.join(Operation("subscription { nope }"), maxsize=8, wake=inbox.wake)
    await until(lambda: subscriber.pending() == 2)
    error, complete = subscriber.take(), subscriber.take()
    assert error is not None
    assert error.kind is FrameKind.ERROR
    assert "nope" in orjson.loads(error.payload)[0]["message"]
    assert complete == Frame(FrameKind.COMPLETE)
    await until(lambda: not hub.streams)


async def test_a_query_answers_once_and_completes(hub: Hub) -> None:
    inbox = Inbox()
    subscriber = hub.join(Operation("{ hello }"), maxsize=8, wake=inbox.wake)
    await until(lambda: subscriber.pending() == 2)
    answer = subscriber.take()
    assert answer == Frame(FrameKind.NEXT, b'{"data":{"hello":"world"}}')
    assert subscriber.take() == Frame(FrameKind.COMPLETE)
    assert inbox.wakes >= 1


async def test_closing_the_hub_stops_every_execution(hub: Hub, ticks: Ticks) -> None:
    inbox = Inbox()
    for every in range(1, 6):
        hub.join(Operation(TICKS.query, {"every": every}), maxsize=8, wake=inbox.wake)
    await until(lambda: len(ticks.readers) == 5)
    await hub.close()
    assert not ticks.readers
    with pytest.raises(RuntimeError):
        hub.join(TICKS, maxsize=8, wake=inbox.wake)
