"""The system under faults, as processes, on private Redis and RabbitMQ servers.

``fedora-gateway simulate`` publishes the world's events to a private RabbitMQ node;
``fedora-gateway worker`` consumes them into a private Redis; ``fedora-gateway serve``
answers from that Redis; a second ``serve`` without a field cache tells the truth (what
the upstreams say now). The tests kill, pause and restart the private servers and make
the simulated upstreams fail (``POST /_sim/faults``), and check what users get.

The settings are the production ones but for the times, shortened so that the suite runs
in about a minute: upstream timeout 1 s, circuit cool-down 1 s, Redis timeout 0.5 s, Redis
probed every 0.25 s, fallback entries fresh for 2 s, the worker's retry backoff at most
1 s, and the broker reconnected every 0.5 s. Every recovery time measured is printed
(``pytest -s``) as ``recovery <fault>: <what> <seconds> s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from simulator.catalog.loader import generated_world
from simulator.world import World
from tests.conftest import free_port, upstream_env
from tests.faults.processes import PrivateRabbit, PrivateRedis, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
SIZE = 300

#: The times of the system under test (see the module documentation).
GATEWAY_ENV = {
    "GATEWAY_UPSTREAM_TIMEOUT_S": "1",
    "GATEWAY_BREAKER_COOLDOWN_S": "1",
    "GATEWAY_REDIS_TIMEOUT_S": "0.5",
    "GATEWAY_REDIS_PROBE_INTERVAL_S": "0.25",
    "GATEWAY_REDIS_FALLBACK_TTL_S": "2",
    "GATEWAY_WORKER_RETRY_BACKOFF_MAX_S": "1",
    "GATEWAY_SEARCH_BUILD_ON_START": "false",
    "GATEWAY_LOG_FORMAT": "text",
}

#: One package page: every upstream, lists and single values.
PAGE = """
query Page($name: String!) {
  package(name: $name) {
    name summary
    builds(first: 5) { totalCount nodes { nvr state } }
    updates(first: 5) { totalCount nodes { alias status karma } }
    bugs(first: 10) { totalCount nodes { id status summary } }
    maintainers { name }
    changelog(first: 2) { text version }
  }
}
"""
#: The fields of :data:`PAGE` that are lists of nodes.
CONNECTIONS = ("builds", "updates", "bugs")


class Process:
    """A ``fedora-gateway`` command, its output in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        self._out = self.log.open("ab")
        base = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "--log-level", "INFO", *args],
            env={**base, **env},
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def check(self) -> None:
        if self.popen.poll() is not None:
            pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._out.close()


@dataclass
class System:
    world: World
    redis: PrivateRedis
    rabbit: PrivateRabbit
    gateway: str
    truth: str
    simulator: str
    worker_metrics: str
    processes: dict[str, Process]
    #: Messages the simulator published so far (the worker must handle each).
    published: int = 0
    measured: dict[str, float] = field(default_factory=dict)

    def check(self) -> None:
        for process in self.processes.values():
            process.check()

    def record(self, fault: str, what: str, seconds: float) -> None:
        self.measured[f"{fault}: {what}"] = seconds
        print(f"\nrecovery {fault}: {what} {seconds:.2f} s")


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    logs = tmp_path_factory.mktemp("faults")
    redis = PrivateRedis(logs)
    rabbit = PrivateRabbit(logs / "rabbitmq")
    processes: dict[str, Process] = {}
    try:
        redis.start()
        rabbit_started = time.monotonic()
        sim_port, gateway_port, truth_port, metrics_port = (free_port() for _ in range(4))
        simulator = f"http://127.0.0.1:{sim_port}"
        upstreams = {**upstream_env(simulator), **GATEWAY_ENV}
        # the gateways need no broker: they start while it boots
        processes["gateway"] = Process(
            "gateway",
            ["serve", "--port", str(gateway_port)],
            {**upstreams, "GATEWAY_REDIS_URL": redis.url},
            logs,
        )
        processes["truth"] = Process(
            "truth",
            ["serve", "--port", str(truth_port)],
            {**upstreams, "GATEWAY_FIELD_CACHE": "false"},
            logs,
        )
        print(f"\nrabbitmq-server listening after {rabbit.start():.1f} s")
        broker = f"{rabbit.url}?reconnect_interval=0.5"
        processes["simulator"] = Process(
            "simulator",
            ["simulate", "--port", str(sim_port), "--size", str(SIZE), "--events-per-minute", "0"],
            {"GATEWAY_AMQP_URL": broker},
            logs,
        )
        processes["worker"] = Process(
            "worker",
            ["worker"],
            {
                **upstreams,
                "GATEWAY_REDIS_URL": redis.url,
                "GATEWAY_AMQP_URL": broker,
                "GATEWAY_WORKER_QUEUE": "fedora-gateway-faults",
                "GATEWAY_WORKER_METRICS_PORT": str(metrics_port),
            },
            logs,
        )
        world = generated_world(size=SIZE)
        for name, port in (
            ("simulator", sim_port),
            ("gateway", gateway_port),
            ("truth", truth_port),
            ("worker", metrics_port),
        ):
            wait_for_port(port, timeout=90, process=processes[name].popen)
        system = System(
            world,
            redis,
            rabbit,
            f"http://127.0.0.1:{gateway_port}",
            f"http://127.0.0.1:{truth_port}",
            simulator,
            f"http://127.0.0.1:{metrics_port}/metrics",
            processes,
        )
        asyncio.run(_consuming(system, within=60))
        print(f"system up in {time.monotonic() - rabbit_started:.1f} s")
        yield system
        if system.measured:
            print("\nrecovery times measured:")
            for what, seconds in system.measured.items():
                print(f"  {what}: {seconds:.2f} s")
    finally:
        for process in processes.values():
            process.stop()
        rabbit.close()
        redis.stop()


async def _consuming(system: System, *, within: float) -> None:
    async with httpx.AsyncClient(timeout=5) as http:

        async def connected() -> bool:
            return await worker_metric(http, system, "fedora_gateway_bus_connected") == 1

        await wait_until(connected, within=within, check=system.check)


# -- helpers the tests share -----------------------------------------------------------------


async def wait_until(
    condition: Callable[[], Awaitable[bool]],
    *,
    within: float,
    check: Callable[[], None] | None = None,
    what: str = "the condition",
    every: float = 0.05,
) -> float:
    """Poll ``condition`` until it holds; returns the seconds it took."""
    started = time.monotonic()
    while True:
        if check is not None:
            check()
        if await condition():
            return time.monotonic() - started
        if time.monotonic() - started > within:
            pytest.fail(f"{what} did not hold within {within} s")
        await asyncio.sleep(every)


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


async def worker_metric(http: httpx.AsyncClient, system: System, name: str, **labels: str) -> float:
    with contextlib.suppress(httpx.TransportError):
        response = await http.get(system.worker_metrics)
        return metric(response.text, name, **labels)
    return -1.0


async def page(http: httpx.AsyncClient, url: str, name: str) -> dict[str, Any]:
    """The package page from the gateway at ``url``: always HTTP 200 and a JSON body."""
    response = await http.post(f"{url}/graphql", json={"query": PAGE, "variables": {"name": name}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def truth(http: httpx.AsyncClient, system: System, name: str) -> dict[str, Any]:
    body = await page(http, system.truth, name)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]["package"]
    return data


def answered(body: dict[str, Any], known: dict[str, Any], *, codes: set[str]) -> None:
    """A page answered under a fault: every field is a value (never an empty list where
    one was known) or null with an error of one of ``codes`` at its path."""
    data = body["data"]["package"]
    assert data is not None, body
    failed = {tuple(error["path"]): error["extensions"]["code"] for error in body.get("errors", [])}
    for name, value in data.items():
        if value is None and known.get(name) is not None:
            code = failed.get(("package", name))
            assert code in codes, f"{name} is null with {code}: {body}"
    for name in CONNECTIONS:
        if data[name] is not None and known[name]["nodes"]:
            assert data[name]["nodes"], f"{name} answered empty where it was known: {body}"
    assert set(failed.values()) <= codes, body["errors"]


async def event(http: httpx.AsyncClient, system: System, kind: str, package: str) -> None:
    response = await http.post(
        f"{system.simulator}/_sim/events", json={"type": kind, "package": package}
    )
    assert response.status_code == 200, response.text
    system.published += len(response.json()["message_ids"])


async def faults(http: httpx.AsyncClient, system: System, settings: dict[str, Any]) -> None:
    response = await http.post(f"{system.simulator}/_sim/faults", json=settings)
    assert response.status_code == 200, response.text


async def consistent(http: httpx.AsyncClient, system: System, name: str) -> bool:
    """Whether the gateway answers ``name``'s page as the upstreams do now."""
    body = await page(http, system.gateway, name)
    return "errors" not in body and body["data"]["package"] == await truth(http, system, name)


async def all_handled(http: httpx.AsyncClient, system: System) -> bool:
    """Whether the worker handled every message published so far, none dead-lettered."""
    handled = await worker_metric(
        http, system, "fedora_gateway_bus_messages_total", outcome="handled"
    )
    dead = await worker_metric(http, system, "fedora_gateway_bus_dead_lettered_total")
    assert dead <= 0, "the worker dead-lettered messages: invalidations lost"
    return handled >= system.published


async def readiness(http: httpx.AsyncClient, system: System) -> dict[str, Any]:
    response = await http.get(f"{system.gateway}/readyz")
    assert response.status_code == 200, response.text  # degraded at worst, never unready
    body: dict[str, Any] = response.json()
    return body


def busy(world: World, *, skip: int = 0) -> str:
    """A package with builds, updates and open bugs (the ``skip``-th such)."""
    found = 0
    for package in world.packages.values():
        if (
            len(world.builds_by_package.get(package.id, ())) > 5
            and world.updates_by_package.get(package.name)
            and any(bug.is_open for bug in world.bugs_by_component.get(package.name, ()))
        ):
            if found == skip:
                return package.name
            found += 1
    raise AssertionError("no busy package left")
