"""Automatic persisted queries (Apollo's protocol) and the persisted-document safelist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis
from strawberry.http import GraphQLRequestData

from gateway.limits.persisted import (
    MemoryDocuments,
    PersistedQueries,
    RedisDocuments,
    digest,
    load_safelist,
)
from simulator.world import World
from tests.conftest import LiveServer
from tests.gateway.conftest import settings_for
from tests.limits.conftest import offline, serving

QUERY = "query Hello { __typename }"
HASH = digest(QUERY)


def _persisted(key: str = HASH, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": key}}


def _code(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    code: str = error["extensions"]["code"]
    return code


async def test_the_apollo_flow_over_post() -> None:
    async with serving(offline()) as http:
        unknown = await http.post("/graphql", json={"extensions": _persisted()})
        assert unknown.status_code == 200
        (error,) = unknown.json()["errors"]
        assert error == {
            "message": "PersistedQueryNotFound",
            "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
        }
        registered = await http.post("/graphql", json={"query": QUERY, "extensions": _persisted()})
        assert registered.json()["data"] == {"__typename": "Query"}
        known = await http.post("/graphql", json={"extensions": _persisted()})
        assert known.json()["data"] == {"__typename": "Query"}
        assert known.json()["extensions"]["cost"] == {"requested": 1, "limit": 25_000}


async def test_the_apollo_flow_over_get_makes_cacheable_urls() -> None:
    async with serving(offline()) as http:
        params = {"extensions": json.dumps(_persisted()), "operationName": "Hello"}
        accept = {"accept": "*/*"}  # curl's: still an operation, not a visit to GraphiQL
        unknown = await http.get("/graphql", params=params, headers=accept)
        assert _code(unknown.json()) == "PERSISTED_QUERY_NOT_FOUND"
        await http.get("/graphql", params={**params, "query": QUERY})
        known = await http.get("/graphql", params=params, headers=accept)
        assert known.status_code == 200
        assert known.json()["data"] == {"__typename": "Query"}
        assert known.headers["cache-control"] == "no-cache"
        again = await http.get(
            "/graphql", params=params, headers={"if-none-match": known.headers["etag"]}
        )
        assert again.status_code == 304


async def test_a_hash_that_is_not_the_documents_is_400() -> None:
    async with serving(offline()) as http:
        payload = {"query": "{ __typename }", "extensions": _persisted()}
        response = await http.post("/graphql", json=payload)
        assert response.status_code == 400
        assert _code(response.json()) == "PERSISTED_QUERY_HASH_MISMATCH"
        # nothing was kept under the hash
        assert _code((await http.post("/graphql", json={"extensions": _persisted()})).json()) == (
            "PERSISTED_QUERY_NOT_FOUND"
        )


@pytest.mark.parametrize(
    "persisted",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": HASH}},
        {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "x"},
    ],
)
async def test_a_malformed_persisted_query_is_400(persisted: dict[str, Any]) -> None:
    async with serving(offline()) as http:
        response = await http.post("/graphql", json={"extensions": persisted})
        assert response.status_code == 400
        assert _code(response.json()) == "BAD_REQUEST"


async def test_without_apq_nothing_is_kept() -> None:
    async with serving(offline(apq=False)) as http:
        await http.post("/graphql", json={"query": QUERY, "extensions": _persisted()})
        response = await http.post("/graphql", json={"extensions": _persisted()})
        assert _code(response.json()) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_persisted_query_is_replayed_and_charged(
    sim_server: LiveServer, world: World
) -> None:
    name = sorted(world.packages)[3]
    query = f'query Page {{ package(name: "{name}") {{ name summary }} }}'
    params = {"extensions": json.dumps(_persisted(digest(query))), "operationName": "Page"}
    settings = settings_for(sim_server.url, rate_limit_points_per_s=0.001, rate_limit_burst=10)
    async with serving(settings) as http:
        await http.get("/graphql", params={**params, "query": query})  # fills the cache
        await http.get("/graphql", params=params)  # reads it all from the cache: kept
        replayed = (await http.get("/graphql", params=params)).json()
        assert replayed["data"]["package"]["name"] == name
        assert replayed["extensions"]["cache"]["replayed"] is True
        assert replayed["extensions"]["cost"] == {"requested": 1, "limit": 25_000, "remaining": 7}


# -- stores -------------------------------------------------------------------------------


async def test_memory_documents_keep_the_most_recently_used_within_their_budget() -> None:
    store = MemoryDocuments(max_bytes=3 * (64 + 100 + 128))
    documents = {digest(str(i) * 100): str(i) * 100 for i in range(5)}
    keys = list(documents)
    for key in keys[:3]:
        await store.put(key, documents[key])
    assert await store.get(keys[0]) == documents[keys[0]]  # now the most recent
    await store.put(keys[3], documents[keys[3]])
    assert await store.get(keys[1]) is None  # the least recently used went out
    assert await store.get(keys[0]) is not None
    assert len(store) == 3
    assert store.bytes <= store.max_bytes
    await store.put(digest("x" * 10_000), "x" * 10_000)  # over the whole budget: not kept
    assert len(store) == 3


@pytest.mark.redis
async def test_redis_documents_expire_after_their_last_use(redis: Redis) -> None:
    store = RedisDocuments(redis, ttl_s=30)
    assert await store.get(HASH) is None
    await store.put(HASH, QUERY)
    assert await store.get(HASH) == QUERY
    ttl = await redis.pttl(f"fedora-gateway:apq:{HASH}")
    assert 25_000 < ttl <= 30_000


@pytest.mark.redis
async def test_apq_is_shared_through_redis(redis_url: str, redis: Redis) -> None:
    async with serving(offline(redis_url=redis_url, apq_ttl_s=60)) as one:
        await one.post("/graphql", json={"query": QUERY, "extensions": _persisted()})
    assert await redis.exists(f"fedora-gateway:apq:{HASH}")
    async with serving(offline(redis_url=redis_url)) as other:
        known = await other.post("/graphql", json={"extensions": _persisted()})
        assert known.json()["data"] == {"__typename": "Query"}


async def test_an_unreachable_redis_makes_clients_send_the_document() -> None:
    client: Redis = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    persisted = PersistedQueries(RedisDocuments(client, ttl_s=60))
    ask = GraphQLRequestData(None, None, None, _persisted(), "http")
    error = await persisted.resolve(ask)
    assert not isinstance(error, GraphQLRequestData)
    assert error.extensions == {"code": "PERSISTED_QUERY_NOT_FOUND"}
    send = GraphQLRequestData(QUERY, None, None, _persisted(), "http")
    assert await persisted.resolve(send) == send  # runs, though it could not be kept
    await client.aclose()


# -- the safelist -------------------------------------------------------------------------

ALLOWED = "query Releases { releases { name } }"


@pytest.fixture
def safelist(tmp_path: Path) -> Path:
    path = tmp_path / "documents.json"
    path.write_bytes(orjson.dumps({digest(ALLOWED): ALLOWED, digest(QUERY): QUERY}))
    return path


def test_a_safelist_is_read_as_a_map_or_as_apollos_manifest(tmp_path: Path, safelist: Path) -> None:
    assert load_safelist(safelist) == {digest(ALLOWED): ALLOWED, HASH: QUERY}
    manifest = tmp_path / "manifest.json"
    operations = [{"id": HASH.upper(), "name": "Hello", "type": "query", "body": QUERY}]
    manifest.write_bytes(
        orjson.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )
    assert load_safelist(manifest) == {HASH: QUERY}


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"[]",
        orjson.dumps({"abc": QUERY}),
        orjson.dumps({HASH: 1}),
        orjson.dumps({HASH: ALLOWED}),
    ],
)
def test_a_bad_safelist_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=str(path)):
        load_safelist(path)


async def test_the_safelist_alone_runs_when_only_it_may(safelist: Path) -> None:
    settings = offline(persisted_documents=safelist, persisted_documents_only=True)
    async with serving(settings) as http:
        by_hash = await http.post("/graphql", json={"extensions": _persisted()})
        assert by_hash.json()["data"] == {"__typename": "Query"}
        as_text = await http.post("/graphql", json={"query": QUERY})
        assert as_text.json()["data"] == {"__typename": "Query"}
        other = "{ other: __typename }"
        for payload in (
            {"query": other},
            {"query": other, "extensions": _persisted(digest(other))},
        ):
            response = await http.post("/graphql", json=payload)
            assert response.status_code == 200
            assert _code(response.json()) == "QUERY_NOT_IN_SAFELIST"
        unknown = await http.post("/graphql", json={"extensions": _persisted(digest(other))})
        assert _code(unknown.json()) == "PERSISTED_QUERY_NOT_FOUND"


async def test_safelisted_documents_are_known_by_hash_beside_apq(safelist: Path) -> None:
    async with serving(offline(persisted_documents=safelist)) as http:
        known = await http.post("/graphql", json={"extensions": _persisted()})
        assert known.json()["data"] == {"__typename": "Query"}
        assert (await http.post("/graphql", json={"query": "{ __typename }"})).json()["data"]


async def test_only_without_a_safelist_does_not_start() -> None:
    with pytest.raises(ValueError, match="GATEWAY_PERSISTED_DOCUMENTS"):
        async with serving(offline(persisted_documents_only=True)):
            pass
