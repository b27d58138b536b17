"""One client's WebSocket on ``/graphql``: the handshake, its subscriptions, its outbox.

The connection reads the client's messages in one task and writes in another, which
drains the outboxes of its subscriptions whenever the hub offers them a frame; reading
never waits on a slow write. Everything a client can get wrong ends in the close code its
subprotocol prescribes: 4400 for a message that is not one, 4401 for a subscription before
the handshake, 4408 when the handshake does not come in time, 4409 for a subscription id
already in use, 4429 for a second handshake, 1009 for a message over the size limit. A
connection past its subscription limit is refused that subscription, not closed. However
the connection ends — a close, an error, a client that vanished — every subscription it
held leaves its stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import orjson
from starlette.websockets import WebSocket

from gateway.subscriptions.hub import Frame, FrameKind, Hub, Operation, Subscriber
from gateway.subscriptions.protocol import GRAPHQL_TRANSPORT_WS, Close, Dialect, negotiate

__all__ = ["Connection", "Limits", "websocket_endpoint"]

log = logging.getLogger(__name__)

#: ``extensions.code`` of a subscription refused because the connection holds too many.
TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"


@dataclass(frozen=True, slots=True)
class Limits:
    """What one connection may do."""

    #: Seconds a client has, after connecting, to send ``connection_init``.
    init_timeout_s: float = 10.0
    #: Subscriptions one connection may hold at once.
    max_subscriptions: int = 100
    #: Results waiting to be sent to one subscription before its oldest are dropped.
    outbox: int = 64
    #: The largest message a client may send, in bytes.
    max_message_bytes: int = 64 * 1024
    #: Seconds between the legacy protocol's ``ka`` keep-alive messages.
    keep_alive_s: float = 15.0


class _ClosedError(Exception):
    """The connection was closed by us; stop reading."""


class Connection:
    """One accepted WebSocket speaking ``dialect``."""

    def __init__(self, websocket: WebSocket, hub: Hub, dialect: Dialect, limits: Limits) -> None:
        self.websocket = websocket
        self.hub = hub
        self.dialect = dialect
        self.limits = limits
        self.subscribers: dict[str, Subscriber] = {}
        self.acknowledged = False
        self._wake = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._closed = False

    async def serve(self) -> None:
        self.hub.connections += 1
        sender = asyncio.create_task(self._send_loop(), name="websocket sender")
        try:
            await self._receive_loop()
        except _ClosedError:
            pass
        finally:
            self.hub.connections -= 1
            for subscriber in self.subscribers.values():
                subscriber.close()
            self.subscribers.clear()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    # -- reading ---------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.init_timeout_s
        while True:
            try:
                async with asyncio.timeout_at(None if self.acknowledged else deadline):
                    message = await self.websocket.receive()
            except TimeoutError:
                await self._close(Close.INIT_TIMEOUT, "Connection initialisation timeout")
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            if _size(data) > self.limits.max_message_bytes:
                await self._close(Close.MESSAGE_TOO_BIG, "Message too big")
            try:
                parsed = orjson.loads(data)
            except orjson.JSONDecodeError:
                await self._close(Close.BAD_REQUEST, "Invalid message received: not JSON")
            if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
                await self._close(Close.BAD_REQUEST, "Invalid message received: no type")
            await self._handle(parsed)

    async def _handle(self, message: Mapping[str, Any]) -> None:
        kind = message["type"]
        dialect = self.dialect
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == dialect.subscribe:
            await self._subscribe(message)
        elif kind == dialect.stop:
            await self._stop(message)
        elif kind == "ping" and dialect is GRAPHQL_TRANSPORT_WS:
            await self._send({"type": "pong"})
        elif kind == "pong" and dialect is GRAPHQL_TRANSPORT_WS:
            pass
        elif kind == dialect.terminate:
            await self._close(1000, "Terminated")
        else:
            await self._close(Close.BAD_REQUEST, f"Invalid message received: type {kind!r}")

    async def _init(self, payload: object) -> None:
        if self.acknowledged:
            await self._close(
                Close.TOO_MANY_INITIALISATION_REQUESTS, "Too many initialisation requests"
            )
        if payload is not None and not isinstance(payload, dict):
            if self.dialect.connection_error:
                await self._send(
                    {
                        "type": self.dialect.connection_error,
                        "payload": {"message": "connection_init's payload must be an object"},
                    }
                )
            await self._close(Close.BAD_REQUEST, "Invalid message received: bad init payload")
        self.acknowledged = True
        await self._send({"type": "connection_ack"})
        if self.dialect.keep_alive:
            await self._send({"type": self.dialect.keep_alive})

    async def _subscribe(self, message: Mapping[str, Any]) -> None:
        if not self.acknowledged:
            await self._close(Close.UNAUTHORIZED, "Unauthorized")
        ident = message.get("id")
        payload = message.get("payload")
        if not isinstance(ident, str) or not ident or len(ident) > 256:
            await self._close(Close.BAD_REQUEST, "Invalid message received: bad id")
        operation = _operation(payload)
        if operation is None:
            await self._close(Close.BAD_REQUEST, "Invalid message received: bad payload")
        if ident in self.subscribers:
            if self.dialect is GRAPHQL_TRANSPORT_WS:
                await self._close(Close.SUBSCRIBER_EXISTS, f"Subscriber for {ident} already exists")
            await self._refuse(ident, f"the subscription {ident} already exists", "BAD_USER_INPUT")
            return
        if len(self.subscribers) >= self.limits.max_subscriptions:
            await self._refuse(
                ident,
                f"at most {self.limits.max_subscriptions} subscriptions per connection",
                TOO_MANY_SUBSCRIPTIONS,
            )
            return
        self.subscribers[ident] = self.hub.join(
            operation, maxsize=self.limits.outbox, wake=self._wake.set
        )

    async def _stop(self, message: Mapping[str, Any]) -> None:
        ident = message.get("id")
        if not isinstance(ident, str):
            await self._close(Close.BAD_REQUEST, "Invalid message received: bad id")
        subscriber = self.subscribers.pop(ident, None)
        if subscriber is None:
            return
        subscriber.close()
        if self.dialect is not GRAPHQL_TRANSPORT_WS:
            await self._send({"id": ident, "type": "complete"})

    async def _refuse(self, ident: str, message: str, code: str) -> None:
        error = {"message": message, "extensions": {"code": code}}
        payload = [error] if self.dialect.error_list else error
        await self._send({"id": ident, "type": "error", "payload": payload})

    # -- writing ---------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        keep_alive = self.dialect.keep_alive
        try:
            while True:
                if keep_alive is None:
                    await self._wake.wait()
                else:
                    try:
                        async with asyncio.timeout(self.limits.keep_alive_s):
                            await self._wake.wait()
                    except TimeoutError:
                        await self._send({"type": keep_alive})
                        continue
                self._wake.clear()
                await self._drain()
        except _ClosedError:
            return
        except Exception as error:  # the client went away mid-write: the reader ends it
            log.debug("websocket send failed: %r", error)

    async def _drain(self) -> None:
        for ident, subscriber in tuple(self.subscribers.items()):
            while (frame := subscriber.take()) is not None:
                await self._send_bytes(self._frame(ident, frame))
                if frame.final:
                    if self.subscribers.get(ident) is subscriber:
                        del self.subscribers[ident]
                    subscriber.close()
                    break

    def _frame(self, ident: str, frame: Frame) -> bytes:
        head = b'{"id":' + orjson.dumps(ident) + b',"type":'
        if frame.kind is FrameKind.NEXT:
            return head + orjson.dumps(self.dialect.next) + b',"payload":' + frame.payload + b"}"
        if frame.kind is FrameKind.ERROR:
            payload = frame.payload
            if not self.dialect.error_list:
                errors = orjson.loads(payload)
                payload = orjson.dumps(errors[0] if errors else {"message": "error"})
            return head + b'"error","payload":' + payload + b"}"
        return head + b'"complete"}'

    async def _send(self, message: Mapping[str, object]) -> None:
        await self._send_bytes(orjson.dumps(message))

    async def _send_bytes(self, data: bytes) -> None:
        if self._closed:
            raise _ClosedError
        async with self._send_lock:
            await self.websocket.send_text(data.decode())

    async def _close(self, code: int, reason: str) -> NoReturn:
        """Close the connection with ``code`` and stop reading (raises :class:`_ClosedError`)."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                await self.websocket.close(code, reason)
        raise _ClosedError


def _size(data: str | bytes) -> int:
    """The bytes a message took on the wire (a text frame is UTF-8)."""
    if isinstance(data, str) and not data.isascii():
        return len(data.encode("utf-8", "surrogatepass"))
    return len(data)


def _operation(payload: object) -> Operation | None:
    if not isinstance(payload, dict):
        return None
    query = payload.get("query")
    variables = payload.get("variables")
    name = payload.get("operationName")
    if not isinstance(query, str) or not query.strip():
        return None
    if variables is not None and not isinstance(variables, dict):
        return None
    if name is not None and not isinstance(name, str):
        return None
    return Operation(query, variables or None, name)


def websocket_endpoint(
    hub: Callable[[], Hub], limits: Limits
) -> Callable[[WebSocket], Awaitable[None]]:
    """The ``/graphql`` WebSocket: negotiate the subprotocol, then serve the connection."""

    async def endpoint(websocket: WebSocket) -> None:
        dialect = negotiate(list(websocket.scope.get("subprotocols", [])))
        if dialect is None:
            await websocket.accept()
            await websocket.close(Close.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=dialect.name)
        await Connection(websocket, hub(), dialect, limits).serve()

    return endpoint
