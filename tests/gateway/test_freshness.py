"""The bus keeps the field cache fresh: after each kind of event, the same query answers the
new data from the cache, with no miss and no upstream call at request time.

The embedded pair: the in-process field cache and the in-process bus, the simulated world
and the gateway with its worker in one process, on two ports, over real HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.backends import field_cache
from gateway.demo import combined, embedded_worker
from gateway.invalidation.feed import MemoryFeed
from simulator.app import Simulation
from simulator.app import create_app as create_simulator
from simulator.bus import InProcessBus
from simulator.catalog.loader import generated_world
from simulator.world import World
from tests.conftest import LiveServer, free_port
from tests.gateway.conftest import settings_for

PAGE = """
query Page($name: String!, $after: String) {
  package(name: $name) {
    builds(first: 10) { totalCount nodes { nvr state } }
    failed: builds(first: 5, state: FAILED) { totalCount nodes { nvr } }
    later: builds(first: 50, after: $after) { totalCount nodes { nvr } }
    latestBuilds { tag channel build { nvr } }
    versions { release { name } stable testing }
    updates(first: 10) { totalCount nodes { alias status request karma } }
    testing: updates(first: 10, status: TESTING, release: "F45") { totalCount nodes { alias } }
    bugs(first: 20) { totalCount nodes { id status summary } }
    maintainers { name }
    changelog(first: 3) { text version }
  }
}
"""


class Pair:
    """The gateway (with its cache and worker) and the simulated world, one process."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.bus = InProcessBus()
        simulation = Simulation(world, bus=self.bus)
        port, sim_port = free_port(), free_port()
        settings = settings_for(f"http://127.0.0.1:{sim_port}")
        self.gateway: Starlette = create_app(
            settings,
            cache=field_cache(settings),
            lifespan=embedded_worker(self.bus, MemoryFeed(), settings),
        )
        app = combined(
            self.gateway, create_simulator(simulation), port=port, simulator_port=sim_port
        )
        self.server = LiveServer(app, port, also=[sim_port])
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        self.sim = httpx.Client(base_url=f"http://127.0.0.1:{sim_port}", timeout=30)
        uncached = create_app(settings_for(f"http://127.0.0.1:{sim_port}", field_cache=False))
        self.truth_server = LiveServer(uncached, free_port())
        self.truth = httpx.Client(base_url=self.truth_server.url, timeout=30)

    def query(self, client: httpx.Client, name: str, after: str | None) -> dict[str, Any]:
        body: dict[str, Any] = client.post(
            "/graphql", json={"query": PAGE, "variables": {"name": name, "after": after}}
        ).json()
        assert "errors" not in body, body["errors"]
        return body

    def settle(self, timeout: float = 20) -> None:
        """Wait until the worker has handled every message the world published."""
        consumer = self.gateway.state.consumer
        deadline = time.monotonic() + timeout
        while consumer.received < self.bus.published or consumer._idle.is_set() is False:
            assert time.monotonic() < deadline, "the worker did not catch up"
            time.sleep(0.02)

    def upstream_requests(self) -> dict[str, int]:
        stats = self.sim.get("/_sim/stats").json()
        return {name: counts["requests"] for name, counts in stats.items()}


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    pair = Pair(generated_world(size=300))
    with pair.server, pair.truth_server:
        yield pair
    pair.http.close()
    pair.sim.close()
    pair.truth.close()


def _busy(world: World) -> str:
    for package in world.packages.values():
        if len(world.builds_by_package[package.id]) > 14 and world.updates_by_package.get(
            package.name
        ):
            return package.name
    raise AssertionError("no busy package")


@pytest.mark.parametrize(
    "kind",
    [
        "build",
        "build_failed",
        "update",
        pytest.param("update", id="update-next-step"),
        "bug",
        "owner",
        "repo",
    ],
)
def test_after_an_event_the_same_query_is_fresh_from_the_cache(pair: Pair, kind: str) -> None:
    name = _busy(pair.world)
    after = _cursor_of(pair, name)
    before = pair.query(pair.http, name, after)  # fills the cache
    warm = pair.query(pair.http, name, after)
    assert warm["extensions"]["cache"]["misses"] == 0
    assert warm["data"] == before["data"]
    replayed = pair.query(pair.http, name, after)  # the warm answer, kept
    assert replayed["extensions"]["cache"].get("replayed") is True
    assert replayed["data"] == warm["data"]

    event = pair.sim.post("/_sim/events", json={"type": kind, "package": name})
    assert event.status_code == 200, event.text
    pair.settle()
    assert pair.sim.delete("/_sim/stats").status_code == 204

    after_event = pair.query(pair.http, name, after)
    assert after_event["extensions"]["cache"]["misses"] == 0, after_event["extensions"]
    assert after_event["extensions"]["cache"]["stale"] == 0
    assert pair.upstream_requests() == {}, "the answer needed the upstreams at request time"
    truth = pair.query(pair.truth, name, after)
    assert after_event["data"] == truth["data"]
    if kind in ("build", "build_failed", "bug", "owner"):
        assert after_event["data"] != before["data"]
        # the event ended the replay of the old answer: this one was executed anew
        assert "replayed" not in after_event["extensions"]["cache"]
    assert pair.sim.delete("/_sim/stats").status_code == 204
    again = pair.query(pair.http, name, after)
    assert again["data"] == truth["data"]
    assert again["extensions"]["cache"].get("replayed") is True
    assert pair.upstream_requests() == {}


def _cursor_of(pair: Pair, name: str) -> str:
    """The cursor after the tenth build: the second page of a non-default variant."""
    body = pair.truth.post(
        "/graphql",
        json={
            "query": """query($n: String!) {
        package(name: $n) { builds(first: 10) { pageInfo { endCursor } } } }""",
            "variables": {"n": name},
        },
    ).json()
    cursor: str = body["data"]["package"]["builds"]["pageInfo"]["endCursor"]
    return cursor


def test_the_cache_reports_hits_and_misses(pair: Pair) -> None:
    name = list(pair.world.packages)[3]
    cold = pair.query(pair.http, name, None)["extensions"]["cache"]
    warm = pair.query(pair.http, name, None)["extensions"]["cache"]
    assert cold["misses"] > 0
    assert warm == {"hits": warm["hits"], "misses": 0, "stale": 0}
    assert warm["hits"] >= cold["misses"]


def test_an_upstream_outage_serves_the_last_known_value_marked_stale(pair: Pair) -> None:
    name = _busy(pair.world)
    after = _cursor_of(pair, name)
    known = pair.query(pair.http, name, after)["data"]["package"]["updates"]
    assert known["nodes"]
    assert pair.sim.post("/_sim/faults", json={"bodhi": {"error_rate": 1.0}}).status_code == 200
    try:
        event = pair.sim.post("/_sim/events", json={"type": "update", "package": name})
        assert event.status_code == 200, event.text
        deadline = time.monotonic() + 15
        while True:  # until the worker has invalidated, and its refill has failed
            body = pair.http.post(
                "/graphql", json={"query": PAGE, "variables": {"name": name, "after": after}}
            ).json()
            if body["extensions"]["cache"]["stale"]:
                break
            assert time.monotonic() < deadline, "the event never made the entries stale"
            time.sleep(0.05)
        assert "errors" not in body, body["errors"]
        assert body["data"]["package"]["updates"] == known  # never an empty list
    finally:
        assert pair.sim.post("/_sim/faults", json={"profile": "none"}).status_code == 200
    pair.settle(timeout=30)


def test_a_replayed_answer_is_the_executed_one_byte_for_byte(pair: Pair) -> None:
    name = list(pair.world.packages)[5]
    params = {"query": PAGE, "variables": f'{{"name": "{name}"}}'}
    pair.http.get("/graphql", params=params)  # fills the cache
    executed = pair.http.get("/graphql", params=params)
    replayed = pair.http.get("/graphql", params=params)
    assert b'"replayed":true' in replayed.content
    assert b'"replayed"' not in executed.content
    assert replayed.json()["data"] == executed.json()["data"]
    tag = replayed.headers["etag"]
    unchanged = pair.http.get("/graphql", params=params, headers={"if-none-match": tag})
    assert unchanged.status_code == 304


def test_search_answers_are_not_replayed(pair: Pair) -> None:
    query = "query($q: String!) { search(query: $q) { nodes { name } } }"
    prefix = list(pair.world.packages)[7][:3]
    for _ in range(3):
        body = pair.http.post("/graphql", json={"query": query, "variables": {"q": prefix}}).json()
        assert body["data"]["search"]["nodes"], body
        assert "replayed" not in body["extensions"]["cache"]
