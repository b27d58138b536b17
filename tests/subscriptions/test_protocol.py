"""What a client can get wrong on the socket: each ends in its close code, the server serves on.

The module's gateway allows 1 s for the handshake and 5 subscriptions per connection.
graphql-transport-ws's 4403 (Forbidden) has no case here: the gateway serves public data
and refuses no ``connection_init`` payload that is an object.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.subscriptions.conftest import LiveSystem
from tests.subscriptions.test_live import LEGACY_WS, TRANSPORT_WS, connected, receive

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
        json.dumps({"type": "subscribe", "payload": {"query": "{ __typename }"}}),
        json.dumps({"id": 1, "type": "subscribe", "payload": {"query": "{ __typename }"}}),
        json.dumps({"id": "x" * 257, "type": "subscribe", "payload": {"query": "{ __typename }"}}),
        json.dumps({"id": 1, "type": "complete"}),
        json.dumps({"type": 7}),
        "null",
    ],
    ids=[
        *("text", "array", "unknown-type", "no-payload", "query-not-text", "empty-id", "vars"),
        *("no-id", "number-id", "long-id", "complete-number-id", "type-not-text", "null"),
    ],
)
async def test_a_message_that_is_not_one_closes_4400(live: LiveSystem, message: str) -> None:
    async with connected(live) as ws:
        await ws.send(message)
        assert (await closed_with(ws))[0] == 4400


async def test_a_binary_frame_that_is_not_json_closes_4400(live: LiveSystem) -> None:
    async with connected(live) as ws:
        await ws.send(b"\xff\xfe\x00graphql")
        assert (await closed_with(ws))[0] == 4400


async def test_a_message_over_the_size_limit_closes_1009(live: LiveSystem) -> None:
    async with connected(live) as ws:
        await ws.send(subscribe_message("big", query="subscription { " + " " * 70_000 + "}"))
        assert (await closed_with(ws))[0] == 1009


async def test_the_size_limit_counts_bytes_not_characters(live: LiveSystem) -> None:
    """40,000 characters of three bytes each: 120,000 bytes, over the 65,536-byte limit."""
    payload = {"query": PACKAGE + " # " + "\u20ac" * 40_000, "variables": {"n": "bash"}}
    message = json.dumps(
        {"id": "wide", "type": "subscribe", "payload": payload}, ensure_ascii=False
    )
    assert len(message) < 65_536 < len(message.encode())
    async with connected(live) as ws:
        await ws.send(message)
        assert (await closed_with(ws))[0] == 1009


async def test_complete_for_an_unknown_id_is_ignored_and_an_id_is_free_after_complete(
    live: LiveSystem,
) -> None:
    async with connected(live) as ws:
        await ws.send(json.dumps({"id": "never", "type": "complete"}))
        await ws.send(subscribe_message("again"))
        await ws.send(json.dumps({"id": "again", "type": "complete"}))
        await ws.send(subscribe_message("again"))  # not 4409: the first "again" is over
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}
    live.wait_for(lambda: live.hub.subscribers == 0)


async def test_a_flood_of_subscriptions_holds_at_the_limit(live: LiveSystem) -> None:
    """CVE-2026-35523's attack: subscribe without end on one socket. Each one past the limit
    is refused with its error; the connection holds five, and stays."""
    async with connected(live) as ws:
        for number in range(1000):
            await ws.send(subscribe_message(f"s{number}", name=f"package-{number % 7}"))
        refusals = [await receive(ws) for _ in range(995)]
        assert {r["payload"][0]["extensions"]["code"] for r in refusals} == {
            "TOO_MANY_SUBSCRIPTIONS"
        }
        assert [r["id"] for r in refusals] == [f"s{number}" for number in range(5, 1000)]
        assert live.hub.subscribers <= 5
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}
    live.wait_for(lambda: live.hub.subscribers == 0)


async def test_a_ping_flood_is_answered_pong_for_ping(live: LiveSystem) -> None:
    async with connected(live) as ws:
        for _ in range(1000):
            await ws.send(json.dumps({"type": "ping"}))
        for _ in range(1000):
            assert await receive(ws) == {"type": "pong"}


async def test_many_sockets_that_never_say_hello_are_all_closed_4408(live: LiveSystem) -> None:
    await asyncio.to_thread(live.wait_for, lambda: live.hub.connections == 0)
    sockets = [
        await websockets.connect(live.ws_url, subprotocols=[TRANSPORT_WS])  # type: ignore[list-item]
        for _ in range(100)
    ]
    codes = await asyncio.gather(*(closed_with(ws) for ws in sockets))
    assert {code for code, _ in codes} == {4408}
    await asyncio.to_thread(live.wait_for, lambda: live.hub.connections == 0)


async def test_the_legacy_protocol_takes_no_start_before_the_handshake(live: LiveSystem) -> None:
    """CVE-2026-35526: strawberry's legacy graphql-ws handler ran a ``start`` sent before
    ``connection_init``. Here it closes the connection (4401) and runs nothing."""
    async with connected(live, LEGACY_WS, init=False) as ws:
        await ws.send(subscribe_message("1").replace('"subscribe"', '"start"'))
        assert await closed_with(ws) == (4401, "Unauthorized")
    assert live.hub.subscribers == 0


async def test_the_legacy_protocol_refuses_a_duplicate_id_and_keeps_the_connection(
    live: LiveSystem,
) -> None:
    """subscriptions-transport-ws has no 4409: the second ``start`` gets an ``error``."""
    start = subscribe_message("same").replace('"subscribe"', '"start"')
    async with connected(live, LEGACY_WS) as ws:
        await ws.send(start)
        await ws.send(start)
        refusal = await receive(ws)
        assert (refusal["id"], refusal["type"]) == ("same", "error")
        assert refusal["payload"]["extensions"]["code"] == "BAD_USER_INPUT"
        await ws.send(json.dumps({"id": "same", "type": "stop"}))
        assert await receive(ws) == {"id": "same", "type": "complete"}


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", 4400),
        (json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ x }"}}), 4400),
        (json.dumps({"type": "connection_init"}), 4429),
    ],
    ids=["text", "transport-ws-type", "second-init"],
)
async def test_the_legacy_protocol_closes_on_what_is_not_a_message(
    live: LiveSystem, message: str, code: int
) -> None:
    async with connected(live, LEGACY_WS) as ws:
        await ws.send(message)
        assert (await closed_with(ws))[0] == code


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
