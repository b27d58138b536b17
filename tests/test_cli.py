"""The command line: schema export, and the simulator as a process of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection
from click.testing import CliRunner

from gateway.cli import cli
from tests.conftest import AMQP_URL, free_port

ROOT = Path(__file__).resolve().parents[1]


def test_schema_graphql_is_the_exported_schema() -> None:
    result = CliRunner().invoke(cli, ["export-schema"])
    assert result.exit_code == 0, result.output
    assert result.output == (ROOT / "schema.graphql").read_text(), (
        "schema.graphql is stale: run `fedora-gateway export-schema > schema.graphql`"
    )


def test_every_command_has_help() -> None:
    for command in ("demo", "serve", "simulate", "export-schema"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    finally:
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


async def test_simulate_publishes_its_events_to_rabbitmq(broker: AbstractRobustConnection) -> None:
    channel = await broker.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind("amq.topic", routing_key="org.fedoraproject.prod.buildsys.#")
    port = free_port()
    process = _start(
        ["simulate", "--port", str(port), "--size", "200", "--events-per-minute", "0"],
        {"GATEWAY_AMQP_URL": AMQP_URL},
    )
    try:
        await asyncio.to_thread(_wait_until_up, f"http://127.0.0.1:{port}/_sim/world", process)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            package = next(
                p for p in (await http.get("/pagure/extras/pagure_owner_alias.json")).json()["rpms"]
            )
            result = (
                await http.post("/_sim/events", json={"type": "build", "package": package})
            ).json()
        expected = [t for t in result["topics"] if t.startswith("buildsys.")]
        got: list[aio_pika.abc.AbstractIncomingMessage] = []
        async with asyncio.timeout(20):
            async with queue.iterator() as messages:
                async for message in messages:
                    await message.ack()
                    got.append(message)
                    if len(got) == len(expected):
                        break
        assert [m.routing_key for m in got] == [f"org.fedoraproject.prod.{t}" for t in expected]
        assert all(m.message_id in result["message_ids"] for m in got)
        assert (
            got[0].headers["fedora_messaging_schema"]
            == "koji_fedoramessaging.build.BuildStateChangeV1"
        )
    finally:
        _stop(process)


@pytest.mark.slow
def test_demo_serves_the_api_and_the_simulator() -> None:
    port = free_port()
    while free_port() == port + 100:  # pragma: no cover - a port collision
        port = free_port()
    process = _start(["demo", "--port", str(port), "--events-per-minute", "0"], {})
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", process, seconds=90)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": '{ package(name: "kernel") { name builds(first: 1) { totalCount } } }'},
        )
        assert answer.json()["data"]["package"]["builds"]["totalCount"] > 10
        stats = httpx.get(f"http://127.0.0.1:{port + 100}/_sim/stats").json()
        assert stats["koji"]["requests"] >= 1
    finally:
        _stop(process)
