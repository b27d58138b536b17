"""``GET /readyz``: 200 with every check when the gateway can serve, 503 naming what failed."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.invalidation.feed import MemoryFeed
from gateway.search.embedded import EmbeddedSearchIndex
from gateway.search.port import PackageDocument
from tests.conftest import IN_CI, LiveServer, free_port
from tests.gateway.conftest import settings_for
from tests.observability.conftest import running, sample, scrape

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _require_redis() -> None:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as error:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI=true: {error!r}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {error!r}")
    finally:
        await client.aclose()


async def test_an_embedded_gateway_is_ready_and_says_what_is_degraded(
    sim_server: LiveServer,
) -> None:
    app = create_app(settings_for(sim_server.url), feed=MemoryFeed())
    async with running(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"  # the search index is not built: said, not hidden
    checks = body["checks"]
    assert checks["upstreams"]["status"] == "ok"
    assert checks["field_cache"]["status"] == "ok"
    assert checks["change_feed"]["status"] == "ok"
    assert checks["search"]["status"] == "degraded"
    assert "prefixes" in checks["search"]["detail"]
    assert response.headers["cache-control"] == "no-store"


async def test_a_gateway_on_redis_with_a_built_index_is_ready(
    sim_server: LiveServer, tmp_path: Path
) -> None:
    await _require_redis()
    index = EmbeddedSearchIndex(tmp_path)
    await index.start()
    await index.upsert([PackageDocument("bash", summary="The GNU Bourne Again shell")])
    await index.close()
    app = create_app(settings_for(sim_server.url, redis_url=REDIS_URL, search_dir=tmp_path))
    async with running(app) as client:
        response = await client.get("/readyz")
        text = await scrape(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "upstreams": "ok",
        "field_cache": "ok",
        "change_feed": "ok",
        "search": "ok",
    }
    assert "PING" in body["checks"]["field_cache"]["detail"]
    assert body["checks"]["search"]["detail"] == "1 packages indexed"
    assert sample(text, "fedora_gateway_change_feed_connected") == 1
    assert sample(text, "fedora_gateway_search_index_state", state="ready") == 1


async def test_an_unreachable_redis_leaves_the_gateway_ready_but_degraded(
    sim_server: LiveServer,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = settings_for(sim_server.url, redis_url=closed, readiness_timeout_s=0.5)
    app = create_app(settings, feed=MemoryFeed())
    async with running(app) as client:
        response = await client.get("/readyz")
        health = await client.get("/healthz")
        text = await scrape(client)
    # it answers through its in-process fallback (tests/faults): degraded, not unready
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["field_cache"]["status"] == "degraded"
    assert "fallback" in body["checks"]["field_cache"]["detail"]
    assert body["checks"]["upstreams"]["status"] == "ok"
    assert health.status_code == 200
    assert sample(text, "fedora_gateway_field_cache_fallback") == 1
    assert sample(text, "fedora_gateway_field_cache_outages_total") == 1


async def test_a_gateway_whose_lifespan_has_not_started_is_unready() -> None:
    app = create_app(settings_for("http://upstream.invalid"))
    transport = httpx.ASGITransport(app=app)  # no lifespan
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["failed"]) == {"upstreams", "search"}
