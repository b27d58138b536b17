"""Subscriptions run through ``schema.stream``, so the document limits and the maximum
cost hold for them too: in the hub, and over a WebSocket end to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import websockets

from gateway.app import create_app
from gateway.context import Context
from gateway.schema.schema import build_schema
from gateway.subscriptions.hub import FrameKind, Hub, Operation
from tests.conftest import LiveServer, free_port
from tests.limits.conftest import offline

DEEP = (
    'subscription { packageChanged(name: "bash") { package { '
    + "builds { nodes { package { " * 5
    + "name"
    + " } } }" * 5
    + " } } }"
)
COSTLY = """subscription { packageChanged(name: "bash") { package { builds(first: 100) {
  nodes { update { builds { package { bugs(first: 100) { nodes { id } } } } } } } } } }"""
ALIASED = "subscription { bugChanged { " + " ".join(f"a{i}: new" for i in range(16)) + " } }"


def _unused_loaders(stats: object) -> Any:
    raise AssertionError("an operation refused before it runs reads nothing")


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    hub = Hub(build_schema(), lambda: Context(make_loaders=_unused_loaders))
    yield hub
    await hub.close()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (DEEP, "MAX_DEPTH_EXCEEDED"),
        (COSTLY, "QUERY_TOO_COMPLEX"),
        (ALIASED, "MAX_ALIASES_EXCEEDED"),
        ("subscription { bugChanged { new }", "GRAPHQL_PARSE_FAILED"),  # was an internal error
    ],
)
async def test_a_subscription_over_a_limit_ends_in_its_error(
    hub: Hub, query: str, code: str
) -> None:
    subscriber = hub.join(Operation(query), maxsize=4, wake=lambda: None)
    async with asyncio.timeout(5):
        while not subscriber.pending():  # noqa: ASYNC110 - the hub offers nothing to wait on
            await asyncio.sleep(0.001)
    frame = subscriber.take()
    assert frame is not None
    assert frame.kind is FrameKind.ERROR
    (error,) = orjson.loads(frame.payload)
    assert error["extensions"]["code"] == code


async def test_over_a_websocket_the_subscription_is_refused_and_the_connection_stays() -> None:
    with LiveServer(create_app(offline()), free_port()) as server:
        url = server.url.replace("http", "ws") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(orjson.dumps({"type": "connection_init"}).decode())
            assert orjson.loads(await ws.recv()) == {"type": "connection_ack"}
            for ident, query, code in (
                ("1", DEEP, "MAX_DEPTH_EXCEEDED"),
                ("2", COSTLY, "QUERY_TOO_COMPLEX"),
            ):
                subscribe = {"id": ident, "type": "subscribe", "payload": {"query": query}}
                await ws.send(orjson.dumps(subscribe).decode())
                message = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
                assert message["id"] == ident
                assert message["type"] == "error"
                assert message["payload"][0]["extensions"]["code"] == code
            await ws.send(orjson.dumps({"type": "ping"}).decode())
            assert orjson.loads(await ws.recv()) == {"type": "pong"}
