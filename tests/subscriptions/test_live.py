"""Subscriptions end to end: a client subscribes, the simulated world changes, the client
receives the new data — over graphql-transport-ws and the legacy graphql-ws, with raw
websockets and with the gql client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import ClientConnection

from simulator.world import World
from tests.subscriptions.conftest import LiveSystem

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"

BUILDS = """
subscription Builds($package: String) {
  buildStateChanged(package: $package) { previousState build { nvr state package { name } } }
}
"""
PACKAGE = """
subscription Package($name: String!) {
  packageChanged(name: $name) { reasons topic package { name latestBuilds { build { nvr } } } }
}
"""
UPDATES = """
subscription Updates($package: String, $release: String) {
  updateChanged(package: $package, release: $release) { topic update { alias release { name } } }
}
"""
BUGS = """
subscription Bugs($component: String) {
  bugChanged(component: $component) { new bug { id component status } }
}
"""


def _packages(world: World, count: int, offset: int = 0) -> list[str]:
    names = sorted(package.name for package in world.packages.values())
    return names[offset : offset + count]


@asynccontextmanager
async def connected(
    live: LiveSystem, protocol: str = TRANSPORT_WS, *, init: bool = True
) -> AsyncIterator[ClientConnection]:
    async with websockets.connect(live.ws_url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        if init:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert await receive(ws) == {"type": "connection_ack"}
        yield ws


async def receive(ws: ClientConnection, within: float = 15) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
        if message["type"] != "ka":
            return message


async def subscribe(
    ws: ClientConnection,
    ident: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    kind: str = "subscribe",
) -> None:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    await ws.send(json.dumps({"id": ident, "type": kind, "payload": payload}))


async def settled(live: LiveSystem, streams: int) -> None:
    """Wait until the gateway runs ``streams`` live operations."""
    await asyncio.to_thread(live.wait_for, lambda: len(live.hub.streams) >= streams)


async def event(live: LiveSystem, kind: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = await asyncio.to_thread(live.event, kind, **fields)
    return result


async def until(ws: ClientConnection, predicate: Any, within: float = 15) -> dict[str, Any]:
    """The first message ``predicate`` accepts (earlier changes of the world are skipped)."""
    async with asyncio.timeout(within):
        while True:
            message = await receive(ws, within)
            if predicate(message):
                return message


async def drain(ws: ClientConnection, quiet: float = 0.5) -> list[dict[str, Any]]:
    """The messages that arrive until none has for ``quiet`` seconds."""
    messages = []
    while True:
        try:
            messages.append(await receive(ws, within=quiet))
        except TimeoutError:
            return messages


def _nvr_of(message: dict[str, Any]) -> str | None:
    data = message.get("payload", {}).get("data") or {}
    build = (data.get("buildStateChanged") or {}).get("build") or {}
    return build.get("nvr")


async def test_a_subscriber_receives_the_build_the_world_completes(live: LiveSystem) -> None:
    (name,) = _packages(live.world, 1)
    async with connected(live) as ws:
        await subscribe(ws, "b", BUILDS, {"package": name})
        await settled(live, 1)
        nvr = (await event(live, "build", package=name))["changed"]["nvr"]
        message = await until(ws, lambda m: _nvr_of(m) == nvr)
    assert message["id"] == "b"
    assert message["type"] == "next"
    change = message["payload"]["data"]["buildStateChanged"]
    assert change["build"]["package"]["name"] == name
    assert change["build"]["state"] == "COMPLETE"
    assert "errors" not in message["payload"]


async def test_package_changes_carry_the_new_data_read_from_the_refilled_cache(
    live: LiveSystem,
) -> None:
    (name,) = _packages(live.world, 1, offset=1)
    async with connected(live) as ws:
        await subscribe(ws, "p", PACKAGE, {"name": name})
        await settled(live, 1)
        nvr = (await event(live, "build", package=name))["changed"]["nvr"]

        def shows_it(message: dict[str, Any]) -> bool:
            latest = message["payload"]["data"]["packageChanged"]["package"]["latestBuilds"]
            return nvr in {entry["build"]["nvr"] for entry in latest}

        message = await until(ws, shows_it)
        rest = await drain(ws)
    change = message["payload"]["data"]["packageChanged"]
    assert change["package"]["name"] == name
    assert change["reasons"]
    # mid-burst a change may read what it left while the next is refilled; the last reads fresh
    last = (rest or [message])[-1]
    assert last["payload"]["extensions"]["cache"]["stale"] == 0
    assert shows_it(last)


async def test_the_package_filter_passes_only_its_package(live: LiveSystem) -> None:
    wanted, other = _packages(live.world, 2, offset=2)
    async with connected(live) as ws:
        await subscribe(ws, "wanted", BUILDS, {"package": wanted})
        await subscribe(ws, "other", BUILDS, {"package": other})
        await settled(live, 2)
        nvr = (await event(live, "build", package=wanted))["changed"]["nvr"]
        seen = [await until(ws, lambda m: _nvr_of(m) == nvr), *await drain(ws)]
    assert {message["id"] for message in seen} == {"wanted"}


async def test_the_release_filter_of_updates(live: LiveSystem) -> None:
    (name,) = _packages(live.world, 1, offset=3)
    async with connected(live) as ws:
        # the simulated update goes to F45: the f45 branch matches, F44 does not
        await subscribe(ws, "f45", UPDATES, {"package": name, "release": "f45"})
        await subscribe(ws, "f44", UPDATES, {"release": "F44"})
        await settled(live, 2)
        changed = (await event(live, "update", package=name))["changed"]
        assert changed["release"] == "F45"
        message = await until(ws, lambda m: m["id"] == "f45")
        update = message["payload"]["data"]["updateChanged"]["update"]
        assert update == {"alias": changed["alias"], "release": {"name": "F45"}}
        # nothing of it reaches the F44 subscriber
        assert {extra["id"] for extra in await drain(ws)} <= {"f45"}


async def test_the_component_filter_of_bugs(live: LiveSystem) -> None:
    wanted, other = _packages(live.world, 2, offset=4)
    async with connected(live) as ws:
        await subscribe(ws, "wanted", BUGS, {"component": wanted})
        await subscribe(ws, "other", BUGS, {"component": other})
        await subscribe(ws, "all", BUGS)
        await settled(live, 3)
        changed = (await event(live, "bug", package=wanted))["changed"]
        bug_id = changed["bug_id"]

        def about_it(message: dict[str, Any]) -> bool:
            return bool(message["payload"]["data"]["bugChanged"]["bug"]["id"] == bug_id)

        received = [await until(ws, about_it), await until(ws, about_it), *await drain(ws)]
    assert "other" not in {message["id"] for message in received}
    assert sorted(message["id"] for message in received if about_it(message)) == ["all", "wanted"]
    for message in filter(about_it, received):
        change = message["payload"]["data"]["bugChanged"]
        assert change == {
            "new": changed["action"] == "new",
            "bug": {"id": bug_id, "component": wanted, "status": changed["status"]},
        }


async def test_complete_stops_delivery(live: LiveSystem) -> None:
    (name,) = _packages(live.world, 1, offset=6)
    async with connected(live) as ws:
        await subscribe(ws, "one", BUILDS, {"package": name})
        await subscribe(ws, "two", PACKAGE, {"name": name})
        await settled(live, 2)
        await ws.send(json.dumps({"id": "one", "type": "complete"}))
        await asyncio.to_thread(live.wait_for, lambda: live.hub.subscribers == 1)
        await event(live, "build", package=name)
        seen = [await receive(ws), *await drain(ws)]
    assert {message["id"] for message in seen} == {"two"}


async def test_subscribers_of_one_operation_share_one_execution_and_its_bytes(
    live: LiveSystem,
) -> None:
    (name,) = _packages(live.world, 1, offset=7)
    async with connected(live) as first, connected(live) as second:
        await subscribe(first, "a", PACKAGE, {"name": name})
        await subscribe(second, "a", PACKAGE, {"name": name})
        await asyncio.to_thread(live.wait_for, lambda: live.hub.subscribers == 2)
        assert len(live.hub.streams) == 1
        results = live.hub.results
        await event(live, "bug", package=name)
        one, two = await first.recv(), await second.recv()
    assert one == two  # the same bytes, framing included (the ids are equal)
    assert live.hub.results == results + 1


async def test_a_query_over_the_socket_answers_once_and_completes(live: LiveSystem) -> None:
    (name,) = _packages(live.world, 1)
    async with connected(live) as ws:
        await subscribe(ws, "q", "query($n: String!) { package(name: $n) { name } }", {"n": name})
        answer, done = await receive(ws), await receive(ws)
    assert answer == {"id": "q", "type": "next", "payload": answer["payload"]}
    assert answer["payload"]["data"] == {"package": {"name": name}}
    assert done == {"id": "q", "type": "complete"}


async def test_an_invalid_operation_is_an_error_and_the_connection_stays(live: LiveSystem) -> None:
    async with connected(live) as ws:
        await subscribe(ws, "bad", "subscription { packageChanged { nope } }")
        error = await receive(ws)
        assert error["type"] == "error"
        assert error["id"] == "bad"
        assert error["payload"]
        assert all("message" in e for e in error["payload"])
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}


async def test_the_legacy_protocol_delivers_too(live: LiveSystem) -> None:
    (name,) = _packages(live.world, 1, offset=8)
    async with connected(live, LEGACY_WS) as ws:
        assert ws.subprotocol == LEGACY_WS
        await subscribe(ws, "1", BUILDS, {"package": name}, kind="start")
        await settled(live, 1)
        nvr = (await event(live, "build", package=name))["changed"]["nvr"]
        message = await until(ws, lambda m: _nvr_of(m) == nvr)
        assert message["type"] == "data"
        await ws.send(json.dumps({"id": "1", "type": "stop"}))
        assert await until(ws, lambda m: m["type"] == "complete") == {
            "id": "1",
            "type": "complete",
        }


@pytest.mark.parametrize(
    "protocol",
    [TRANSPORT_WS, LEGACY_WS],
)
async def test_the_gql_client_subscribes(live: LiveSystem, protocol: str) -> None:
    (name,) = _packages(live.world, 1, offset=9)
    transport = WebsocketsTransport(url=live.ws_url, subprotocols=[protocol])
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        request = gql(BUILDS)
        request.variable_values = {"package": name}

        async def listen() -> None:
            async for result in session.subscribe(request):
                await received.put(result)

        listener = asyncio.create_task(listen())
        try:
            await asyncio.sleep(0)
            await settled(live, 1)
            nvr = (await event(live, "build", package=name))["changed"]["nvr"]
            async with asyncio.timeout(15):
                while True:
                    result = await received.get()
                    if result["buildStateChanged"]["build"]["nvr"] == nvr:
                        break
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
    assert transport.subprotocol == protocol
    assert result["buildStateChanged"]["build"]["state"] == "COMPLETE"
    await asyncio.to_thread(live.wait_for, lambda: live.hub.subscribers == 0)


async def test_abrupt_disconnects_leave_nothing_behind(live: LiveSystem) -> None:
    names = _packages(live.world, 50, offset=10)
    await asyncio.to_thread(live.wait_for, lambda: live.hub.connections == 0)
    tasks = await asyncio.to_thread(live.tasks)
    feed_subscribers = live.feed.subscribers

    async def cycle(number: int) -> None:
        ws = await websockets.connect(live.ws_url, subprotocols=[TRANSPORT_WS])  # type: ignore[list-item]
        if number % 4:
            await ws.send(json.dumps({"type": "connection_init"}))
            await receive(ws)
            await subscribe(ws, str(number), PACKAGE, {"name": names[number % len(names)]})
            if number % 3 == 0:
                await subscribe(ws, "b", BUILDS)
        ws.transport.abort()  # no close frame: the client vanishes

    for start in range(0, 1000, 50):
        await asyncio.gather(*(cycle(number) for number in range(start, start + 50)))

    def clean() -> bool:
        return (
            live.hub.connections == 0
            and live.hub.subscribers == 0
            and not live.hub.streams
            and live.feed.subscribers == feed_subscribers
        )

    await asyncio.to_thread(live.wait_for, clean, 30)
    await asyncio.to_thread(live.wait_for, lambda: live.tasks() <= tasks, 30)
