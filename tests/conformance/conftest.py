"""Gateways over real HTTP for the external suites: the default one, and a production one.

Both stand in front of the session's simulated upstreams (no latency: the ``none`` fault
profile the simulator starts with). ``default_gateway`` runs the configuration a fresh
install runs — introspection and GraphiQL on, the field cache in memory — which the
GraphQL-over-HTTP audit and the schema fuzzing read the schema from. ``production_gateway``
runs what the README asks of production: ``GATEWAY_INTROSPECTION=false`` and
``GATEWAY_GRAPHIQL=false``, every limit at its default; the security probes aim at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from tests.conftest import LiveServer, free_port
from tests.gateway.conftest import settings_for


def _serve(simulator: LiveServer, **overrides: Any) -> LiveServer:
    return LiveServer(create_app(settings_for(simulator.url, **overrides)), free_port())


@pytest.fixture(scope="module")
def default_gateway(sim_server: LiveServer) -> Iterator[LiveServer]:
    with _serve(sim_server) as server:
        yield server


@pytest.fixture(scope="module")
def production_gateway(sim_server: LiveServer) -> Iterator[LiveServer]:
    with _serve(sim_server, introspection=False, graphiql=False) as server:
        yield server


@pytest.fixture
def prod(production_gateway: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client of the production gateway (redirects not followed: a probe sees them)."""
    with httpx.Client(base_url=production_gateway.url, timeout=30) as client:
        yield client
