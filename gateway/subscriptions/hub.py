"""Live operations, each executed once, fanned out to every client that asked for it.

A dashboard opened by a thousand people subscribes a thousand times to the same document
with the same variables. The hub runs each distinct operation — document, variables and
operation name — once, as one :class:`Stream`: one strawberry execution, one reader of the
change feed. Each result is encoded once, and the same bytes are offered to every
:class:`Subscriber` of the stream. A subscriber's outbox is bounded: when its client reads
too slowly the *oldest* result is dropped and counted, so a slow dashboard can neither
slow the others down nor grow the process.

A stream lives while it has subscribers: the last one leaving cancels it, which closes its
resolver and its feed subscription. A stream that ends by itself (a query sent over the
socket, an operation that does not validate) ends each of its subscribers with a final
frame, which is never dropped.

Strawberry's own WebSocket handlers run one execution per subscriber; this module is what
they would need to be told to share one.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult, PreExecutionError

from gateway.errors import INTERNAL_SERVER_ERROR

__all__ = ["Frame", "FrameKind", "Hub", "Operation", "Stream", "Subscriber"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Operation:
    """What a client asked to run: a GraphQL document, its variables, an operation name."""

    query: str
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None

    def key(self) -> bytes:
        """The identity of the operation: equal for equal documents and variables."""
        return orjson.dumps(
            [self.query, self.variables or {}, self.operation_name], option=orjson.OPT_SORT_KEYS
        )


class FrameKind(enum.Enum):
    NEXT = "next"
    ERROR = "error"
    COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class Frame:
    """One thing to tell a subscriber: a result, the errors that ended it, or the end.

    ``payload`` is the encoded JSON: an execution result for ``NEXT``, the list of errors
    for ``ERROR``, nothing for ``COMPLETE``.
    """

    kind: FrameKind
    payload: bytes = b""

    @property
    def final(self) -> bool:
        return self.kind is not FrameKind.NEXT


_COMPLETE = Frame(FrameKind.COMPLETE)


class Subscriber:
    """One client's subscription to a stream: a bounded outbox that drops its oldest result.

    The stream offers frames; the client's connection :meth:`take`\\ s them when ``wake``
    tells it there is something to send.
    """

    __slots__ = ("_outbox", "_stream", "_wake", "closed", "delivered", "dropped", "maxsize")

    def __init__(self, stream: Stream, maxsize: int, wake: Callable[[], None]) -> None:
        if maxsize < 1:
            raise ValueError("an outbox holds at least one result")
        self.maxsize = maxsize
        #: Results dropped because the client did not read them in time.
        self.dropped = 0
        #: Frames taken for sending.
        self.delivered = 0
        self.closed = False
        self._outbox: deque[Frame] = deque()
        self._stream = stream
        self._wake = wake

    def offer(self, frame: Frame) -> None:
        if self.closed:
            return
        if not frame.final and len(self._outbox) >= self.maxsize:
            for index, queued in enumerate(self._outbox):
                if not queued.final:
                    del self._outbox[index]
                    self.dropped += 1
                    self._stream.hub.dropped += 1
                    break
        self._outbox.append(frame)
        self._wake()

    def take(self) -> Frame | None:
        """The oldest frame not yet sent, if any."""
        if not self._outbox:
            return None
        self.delivered += 1
        return self._outbox.popleft()

    def pending(self) -> int:
        return len(self._outbox)

    def close(self) -> None:
        """Leave the stream (idempotent); the last subscriber out stops it."""
        if self.closed:
            return
        self.closed = True
        self._outbox.clear()
        self._stream.leave(self)


#: Makes the context of one stream's execution.
ContextFactory = Callable[[], object]


class Stream:
    """One execution of one operation, its results offered to all its subscribers."""

    def __init__(self, hub: Hub, key: bytes, operation: Operation) -> None:
        self.hub = hub
        self.key = key
        self.operation = operation
        self.subscribers: set[Subscriber] = set()
        #: Results produced (each encoded once, whatever the number of subscribers).
        self.results = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live operation")

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers:
            self.stop()

    def stop(self) -> None:
        self.hub.forget(self)
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _run(self) -> None:
        try:
            async for frame in self._frames():
                self._broadcast(frame)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("a live operation failed")
            self._broadcast(_internal_error())
        self._broadcast(_COMPLETE)
        self.hub.forget(self)

    async def _frames(self) -> AsyncIterator[Frame]:
        operation = self.operation
        results = await self.hub.schema.stream(
            operation.query,
            variable_values=dict(operation.variables) if operation.variables else None,
            context_value=self.hub.context(),
            operation_name=operation.operation_name,
        )
        try:
            async for result in results:
                if isinstance(result, PreExecutionError):
                    yield Frame(FrameKind.ERROR, _errors(result.errors or ()))
                    return
                if isinstance(result, ExecutionResult):
                    self.results += 1
                    self.hub.results += 1
                    yield Frame(FrameKind.NEXT, _encode(result))
        finally:
            await results.aclose()

    def _broadcast(self, frame: Frame) -> None:
        for subscriber in tuple(self.subscribers):
            subscriber.offer(frame)


class Hub:
    """The live operations of one gateway process, by operation."""

    def __init__(self, schema: strawberry.Schema, context: ContextFactory) -> None:
        self.schema = schema
        self.context = context
        self.streams: dict[bytes, Stream] = {}
        #: Results produced by all streams, and results dropped from slow outboxes.
        self.results = 0
        self.dropped = 0
        #: WebSocket connections being served (kept by the connections themselves).
        self.connections = 0
        self._closed = False

    @property
    def subscribers(self) -> int:
        return sum(len(stream.subscribers) for stream in self.streams.values())

    def join(self, operation: Operation, *, maxsize: int, wake: Callable[[], None]) -> Subscriber:
        """Subscribe to ``operation``, sharing its execution with whoever already runs it."""
        if self._closed:
            raise RuntimeError("the hub is closed")
        key = operation.key()
        stream = self.streams.get(key)
        fresh = stream is None
        if stream is None:
            stream = self.streams[key] = Stream(self, key, operation)
        subscriber = Subscriber(stream, maxsize, wake)
        stream.subscribers.add(subscriber)
        if fresh:
            stream.start()
        return subscriber

    def forget(self, stream: Stream) -> None:
        if self.streams.get(stream.key) is stream:
            del self.streams[stream.key]

    async def close(self) -> None:
        """Stop every stream and wait for them to wind down."""
        self._closed = True
        streams = list(self.streams.values())
        tasks = [stream._task for stream in streams if stream._task is not None]
        for stream in streams:
            stream.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)


def _encode(result: ExecutionResult) -> bytes:
    payload: dict[str, object] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return orjson.dumps(payload)


def _errors(errors: Any) -> bytes:
    return orjson.dumps([error.formatted for error in errors])


def _internal_error() -> Frame:
    error = GraphQLError("Internal server error", extensions={"code": INTERNAL_SERVER_ERROR})
    return Frame(FrameKind.ERROR, _errors([error]))
