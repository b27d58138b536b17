"""What a client can get wrong on the socket: each ends in its close code, the server serves on.

The module's gateway allows 1 s for the handshake and 5 subscriptions per connection.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.subscriptions.conftest import LiveSystem
from tests.subscriptions.test_live import TRANSPORT_WS, connected, receive

PACKAGE = "subscription($n: String!) { packageChanged(name: $n) { topic } }"


async def closed_with(ws: websockets.ClientConnection) -> tuple[int | None, str | None]:
    async with asyncio.timeout(10):
        await ws.wait_closed()
    return ws.close_code, ws.close_reason


def subscribe_message(ident: str, query: str = PACKAGE, name: str = "bash") -> str:
    payload = {"query": query, "variables": {"n": name}}
    return json.dumps({"id": ident, "type": "subscribe", "payload": payload})


async def test_no_handshake_in_time_closes_4408(live: LiveSystem) -> None:
    async with connected(live, init=False) as ws:
        assert await closed_with(ws) == (4408, "Connection initialisation timeout")


async def test_a_subscription_before_the_handshake_closes_4401(live: LiveSystem) -> None:
    async with connected(live, init=False) as ws:
        await ws.send(subscribe_message("1"))
        assert await closed_with(ws) == (4401, "Unauthorized")


async def test_a_second_handshake_closes_4429(live: LiveSystem) -> None:
    async with connected(live) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await closed_with(ws))[0] == 4429


async def test_a_subscription_id_in_use_closes_4409(live: LiveSystem) -> None:
    async with connected(live) as ws:
        await ws.send(subscribe_message("same"))
        await ws.send(subscribe_message("same", name="curl"))
        assert await closed_with(ws) == (4409, "Subscriber for same already exists")


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        json.dumps({"type": "launch"}),
        json.dumps({"id": "1", "type": "subscribe"}),
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": 42}}),
        json.dumps({"id": "", "type": "subscribe", "payload": {"query": "{ x }"}}),
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{x}", "variables": []}}),
    ],
    ids=["text", "array", "unknown-type", "no-payload", "query-not-text", "empty-id", "vars"],
)
async def test_a_message_that_is_not_one_closes_4400(live: LiveSystem, message: str) -> None:
    async with connected(live) as ws:
        await ws.send(message)
        assert (await closed_with(ws))[0] == 4400


async def test_a_message_over_the_size_limit_closes_1009(live: LiveSystem) -> None:
    async with connected(live) as ws:
        await ws.send(subscribe_message("big", query="subscription { " + " " * 70_000 + "}"))
        assert (await closed_with(ws))[0] == 1009


async def test_an_unknown_subprotocol_closes_4406(live: LiveSystem) -> None:
    async with websockets.connect(live.ws_url, subprotocols=["mqtt"]) as ws:  # type: ignore[list-item]
        assert (await closed_with(ws))[0] == 4406


async def test_past_the_subscription_limit_a_subscription_is_refused_not_the_connection(
    live: LiveSystem,
) -> None:
    async with connected(live) as ws:
        for number in range(5):
            await ws.send(subscribe_message(str(number), name=f"package-{number}"))
        await ws.send(subscribe_message("six"))
        refusal = await receive(ws)
        assert refusal["id"] == "six"
        assert refusal["type"] == "error"
        assert refusal["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        await ws.send(json.dumps({"id": "0", "type": "complete"}))
        await ws.send(subscribe_message("six"))
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}  # "six" was accepted: no error before
    live.wait_for(lambda: live.hub.subscribers == 0)


async def test_the_server_serves_on_after_all_of_it(live: LiveSystem) -> None:
    async with connected(live) as ws:
        await ws.send(json.dumps({"type": "ping", "payload": {"still": "here"}}))
        assert await receive(ws) == {"type": "pong"}
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.post("/graphql", json={"query": "{ releases { name } }"})
    assert response.status_code == 200
    assert response.json()["data"]["releases"]


def test_the_transport_protocol_is_preferred() -> None:
    from gateway.subscriptions.protocol import negotiate

    chosen = negotiate(["graphql-ws", TRANSPORT_WS])
    assert chosen is not None
    assert chosen.name == TRANSPORT_WS
    assert negotiate(["mqtt"]) is None
