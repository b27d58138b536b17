"""The gateway over real HTTP, in front of the simulated upstreams of the session world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import LiveServer, free_port


def settings_for(simulator_url: str, **overrides: Any) -> Settings:
    """The gateway in front of the simulator; its search index is built only when asked."""
    overrides.setdefault("search_build_on_start", False)
    return Settings(
        koji_url=f"{simulator_url}/kojihub",
        mdapi_url=f"{simulator_url}/mdapi",
        bodhi_url=f"{simulator_url}/bodhi",
        bugzilla_url=f"{simulator_url}/bugzilla",
        pagure_url=f"{simulator_url}/pagure",
        **overrides,
    )


@pytest.fixture(scope="session")
def gateway_server(sim_server: LiveServer) -> Iterator[LiveServer]:
    """The gateway without its field cache: every answer comes from the upstreams."""
    settings = settings_for(sim_server.url, field_cache=False)
    with LiveServer(create_app(settings), free_port()) as server:
        yield server


class GraphQLClient:
    """Posts GraphQL to the gateway and reads the simulator's counters."""

    def __init__(self, gateway: LiveServer, simulator: LiveServer) -> None:
        self.http = httpx.Client(base_url=gateway.url, timeout=30)
        self.simulator = httpx.Client(base_url=simulator.url, timeout=30)

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.post(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def reset_stats(self) -> None:
        assert self.simulator.delete("/_sim/stats").status_code == 204

    def requests(self) -> dict[str, int]:
        stats = self.simulator.get("/_sim/stats").json()
        return {name: counts["requests"] for name, counts in stats.items()}

    def faults(self, settings: dict[str, Any]) -> None:
        assert self.simulator.post("/_sim/faults", json=settings).status_code == 200


@pytest.fixture
def gql(gateway_server: LiveServer, sim_server: LiveServer) -> Iterator[GraphQLClient]:
    client = GraphQLClient(gateway_server, sim_server)
    yield client
    client.faults({"profile": "none"})
    client.http.close()
    client.simulator.close()
