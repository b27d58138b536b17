"""``GET /metrics``: the counters exist, and move when requests, cache reads and errors happen."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from tests.conftest import LiveServer
from tests.gateway.conftest import settings_for
from tests.observability.conftest import running, sample, scrape

PAGE = 'query Page { package(name: "bash") { name summary builds(first: 2) { totalCount } } }'


async def test_metrics_are_exposed_in_the_prometheus_format(sim_server: LiveServer) -> None:
    app = create_app(settings_for(sim_server.url))
    async with running(app) as client:
        text = await scrape(client)
        for name in (
            "fedora_gateway_http_request_duration_seconds",
            "fedora_gateway_graphql_errors_total",
            "fedora_gateway_field_cache_reads_total",
            "fedora_gateway_upstream_request_duration_seconds",
            "fedora_gateway_upstream_errors_total",
            "fedora_gateway_bus_messages_total",
            "fedora_gateway_bus_lag_seconds",
            "fedora_gateway_ws_connections",
            "fedora_gateway_subscriptions",
            "fedora_gateway_subscription_dropped_total",
            "fedora_gateway_response_cache_replays_total",
            "fedora_gateway_search_index_state",
            "process_resident_memory_bytes",
        ):
            assert f"# TYPE {name} " in text, name
        assert sample(text, "fedora_gateway_search_index_state", state="empty") == 1
        assert sample(text, "fedora_gateway_search_index_state", state="ready") == 0
        assert sample(text, "fedora_gateway_ws_connections") == 0

        openmetrics = await client.get(
            "/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"}
        )
        assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
        assert openmetrics.text.endswith("# EOF\n")


async def test_requests_cache_reads_and_upstream_calls_are_counted(sim_server: LiveServer) -> None:
    app = create_app(settings_for(sim_server.url))
    async with running(app) as client:
        before = await scrape(client)
        assert sample(before, "fedora_gateway_field_cache_reads_total") == 0
        for _ in range(3):  # cold (misses), warm (hits, kept), replayed without execution
            answer = await client.post("/graphql", json={"query": PAGE})
            assert answer.status_code == 200
            assert "errors" not in answer.json()
        assert answer.json()["extensions"]["cache"].get("replayed") is True
        text = await scrape(client)

    graphql = {"method": "POST", "route": "/graphql", "status": "200"}
    assert sample(text, "fedora_gateway_http_request_duration_seconds_count", **graphql) == 3
    assert (
        sample(
            text,
            "fedora_gateway_http_request_duration_seconds_count",
            operation="query",
            **graphql,
        )
        == 3
    )
    assert sample(text, "fedora_gateway_field_cache_reads_total", result="miss") > 0
    assert sample(text, "fedora_gateway_field_cache_reads_total", result="hit") > 0
    assert sample(text, "fedora_gateway_response_cache_replays_total") == 1
    assert sample(text, "fedora_gateway_response_cache_entries") == 1
    for upstream in ("koji", "mdapi"):
        calls = sample(
            text,
            "fedora_gateway_upstream_request_duration_seconds_count",
            upstream=upstream,
            outcome="2xx",
        )
        assert calls >= 1, upstream
    assert sample(text, "fedora_gateway_upstream_errors_total") == 0
    # the scrape before is a request too, under its route's template
    assert sample(text, "fedora_gateway_http_request_duration_seconds_count", route="/metrics") == 1
    assert "bash" not in _label_values(text)  # no package names, no documents as labels
    assert "Page" not in _label_values(text)


async def test_upstream_failures_and_graphql_errors_are_counted() -> None:
    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="down for maintenance")

    settings = settings_for("http://upstream.invalid", field_cache=False)
    app = create_app(settings, transport=httpx.MockTransport(unavailable))
    async with running(app) as client:
        answer = await client.post("/graphql", json={"query": '{ package(name: "bash") { name } }'})
        assert answer.json()["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        invalid = await client.post("/graphql", json={"query": "{ nothing }"})
        assert invalid.json()["errors"]
        text = await scrape(client)

    assert sample(text, "fedora_gateway_graphql_errors_total", code="UPSTREAM_UNAVAILABLE") >= 1
    # a document that does not validate: its error has no code (counted as NONE), or one
    uncoded = sum(
        sample(text, "fedora_gateway_graphql_errors_total", code=code)
        for code in ("NONE", "GRAPHQL_VALIDATION_FAILED")
    )
    assert uncoded == 1
    failed = sample(text, "fedora_gateway_upstream_errors_total", kind="server_error")
    assert failed >= 1
    assert (
        sample(
            text,
            "fedora_gateway_upstream_request_duration_seconds_count",
            outcome="server_error",
        )
        == failed
    )


async def test_each_app_has_a_registry_of_its_own(sim_server: LiveServer) -> None:
    first = create_app(settings_for(sim_server.url))
    second = create_app(settings_for(sim_server.url))
    assert first.state.metrics.registry is not second.state.metrics.registry
    async with running(first) as one, running(second) as two:
        await one.post("/graphql", json={"query": "{ releases { name } }"})
        assert (
            sample(
                await scrape(two),
                "fedora_gateway_http_request_duration_seconds_count",
                route="/graphql",
            )
            == 0
        )


def _label_values(text: str) -> set[str]:
    return {
        value
        for family in text_string_to_metric_families(text)
        for found in family.samples
        for value in found.labels.values()
    }
