"""Latency, faults and request counts in front of every simulated upstream."""

from __future__ import annotations

import random
import statistics
import time

import httpx
import pytest

from simulator.app import Simulation, create_app
from simulator.faults import PROFILES, FaultPlan, Faults
from simulator.world import World
from tests.conftest import LiveServer, free_port


@pytest.fixture
def client(world: World) -> httpx.AsyncClient:
    simulation = Simulation(world)
    app = create_app(simulation)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim")


async def test_requests_are_counted_per_upstream_and_operation(client: httpx.AsyncClient) -> None:
    body = (
        "<?xml version='1.0'?><methodCall><methodName>getBuild</methodName><params/></methodCall>"
    )
    await client.post("/kojihub", content=body, headers={"content-type": "text/xml"})
    await client.post("/kojihub/", content=body.replace("getBuild", "multiCall"))
    await client.get("/bodhi/updates/", headers={"accept": "application/json"})
    await client.get("/mdapi/rawhide/pkg/bash")
    await client.get("/bugzilla/rest/bug/1")
    await client.get("/pagure/api/0/rpms/bash")
    stats = (await client.get("/_sim/stats")).json()
    assert stats["koji"]["requests"] == 2
    assert stats["koji"]["operations"] == {"getBuild": 1, "multiCall": 1}
    assert stats["bodhi"]["operations"] == {"updates": 1}
    assert stats["mdapi"]["operations"] == {"pkg": 1}
    assert stats["bugzilla"]["operations"] == {"bug": 1}
    assert stats["pagure"]["operations"] == {"rpms": 1}
    assert (await client.delete("/_sim/stats")).status_code == 204
    assert (await client.get("/_sim/stats")).json() == {}


async def test_error_throttle_and_malformed_faults(client: httpx.AsyncClient) -> None:
    response = await client.post("/_sim/faults", json={"bodhi": {"error_rate": 1.0}})
    assert response.status_code == 200
    assert response.json()["bodhi"]["error_rate"] == 1.0
    assert (await client.get("/bodhi/updates/")).status_code == 500

    await client.post("/_sim/faults", json={"bodhi": {"throttle_rate": 1.0, "retry_after_s": 7}})
    throttled = await client.get("/bodhi/updates/")
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "7"

    await client.post("/_sim/faults", json={"koji": {"malformed_rate": 1.0}})
    garbage = await client.post("/kojihub", content=b"<methodCall/>")
    assert garbage.status_code == 200
    assert garbage.headers["content-type"] == "text/xml"
    assert not garbage.text.rstrip().endswith("</methodResponse>")

    faults = (await client.get("/_sim/stats")).json()
    assert faults["bodhi"]["faults"] == {"error": 1, "throttle": 1}
    assert faults["koji"]["faults"] == {"malformed": 1}


async def test_a_timeout_fault_hangs_until_the_client_gives_up(world: World) -> None:
    with LiveServer(create_app(Simulation(world)), free_port()) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=0.3) as http:
            await http.post("/_sim/faults", json={"pagure": {"timeout_rate": 1.0, "timeout_s": 3}})
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                await http.get("/pagure/api/0/rpms/bash")
            assert time.monotonic() - started < 2
            # the other upstreams still answer
            assert (await http.get("/_sim/world")).status_code == 200


@pytest.mark.parametrize(
    "settings",
    [
        {"koji": {"error_rate": 2}},
        {"koji": {"latency_ms": -1}},
        {"koji": {"nonsense": 1}},
        {"nowhere": {}},
        {"profile": "unknown"},
        {"koji": "fast"},
    ],
)
async def test_bad_fault_settings_are_refused_whole(
    client: httpx.AsyncClient, settings: dict[str, object]
) -> None:
    before = (await client.get("/_sim/faults")).json()
    response = await client.post("/_sim/faults", json=settings)
    assert response.status_code == 400
    assert response.json()["error"]
    assert (await client.get("/_sim/faults")).json() == before


async def test_the_fedora_profile_is_applied_by_name(client: httpx.AsyncClient) -> None:
    response = await client.post("/_sim/faults", json={"profile": "fedora"})
    assert response.json()["bugzilla"]["latency_ms"] == PROFILES["fedora"]["bugzilla"].latency_ms


def test_latency_follows_the_median_and_99th_percentile() -> None:
    plan = FaultPlan(latency_ms=100, p99_ms=800)
    rng = random.Random(3)
    samples = sorted(plan.delay(rng) * 1000 for _ in range(20_000))
    assert statistics.median(samples) == pytest.approx(100, rel=0.08)
    assert samples[int(len(samples) * 0.99)] == pytest.approx(800, rel=0.15)
    assert FaultPlan(latency_ms=40).delay(rng) == pytest.approx(0.04)


def test_fault_rates_are_honoured() -> None:
    faults = Faults()
    faults.update({"koji": {"error_rate": 0.2, "malformed_rate": 0.1}})
    plan = faults.plan("koji")
    outcomes = [plan.fault(faults.rng) for _ in range(10_000)]
    assert outcomes.count("error") / len(outcomes) == pytest.approx(0.2, abs=0.02)
    assert outcomes.count("malformed") / len(outcomes) == pytest.approx(0.1, abs=0.02)
    assert outcomes.count(None) / len(outcomes) == pytest.approx(0.7, abs=0.02)


async def test_control_api_rejects_bad_bodies(client: httpx.AsyncClient) -> None:
    assert (await client.post("/_sim/events", content=b"{not json")).status_code == 400
    assert (await client.post("/_sim/events", json=[1, 2])).status_code == 400
    assert (
        await client.post("/_sim/events", json={"type": "meteor", "package": "bash"})
    ).status_code == 400
    assert (await client.post("/_sim/events", json={"type": "build"})).status_code == 400
    big = {"type": "build", "package": "x" * 100_000}
    assert (await client.post("/_sim/events", json=big)).status_code == 413
    world = (await client.get("/_sim/world")).json()
    assert world["sizes"]["packages"] > 0
    assert [r["name"] for r in world["releases"] if r["state"] != "archived"] == [
        "F43",
        "F44",
        "F45",
        "F46",
    ]
