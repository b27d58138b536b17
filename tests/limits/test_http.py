"""What /graphql refuses over HTTP, with which status and code — and that it keeps serving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from tests.limits.conftest import offline, serving

TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with serving(offline(max_body_bytes=4096, max_batch=3)) as client:
        yield client


def _refusal(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code
    message: str = error["message"]
    return message


async def _still_serving(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json=TYPENAME)
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


# -- bodies -------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413(http: httpx.AsyncClient) -> None:
    query = "{ __typename }" + " " * 5000
    response = await http.post("/graphql", json={"query": query})
    assert "4096" in _refusal(response, 413, "REQUEST_TOO_LARGE")
    await _still_serving(http)


async def test_a_streamed_body_over_the_limit_is_413_without_reading_it_all(
    http: httpx.AsyncClient,
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1000):
            sent += 1
            yield b" " * 1024

    response = await http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    _refusal(response, 413, "REQUEST_TOO_LARGE")
    assert sent < 10
    await _still_serving(http)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", orjson.dumps(TYPENAME)),
        ("application/x-www-form-urlencoded", b"query=%7B__typename%7D"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{__typename}\r\n--x--\r\n',
        ),
        ("application/json; charset=latin-1", orjson.dumps(TYPENAME)),
        ("application/graphql", b"{ __typename }"),
        (None, orjson.dumps(TYPENAME)),
    ],
)
async def test_only_json_bodies_are_taken(
    http: httpx.AsyncClient, content_type: str | None, body: bytes
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await http.post("/graphql", content=body, headers=headers)
    _refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert response.headers["accept-post"] == "application/json"


async def test_json_with_its_charset_is_taken(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        content=orjson.dumps(TYPENAME),
        headers={"content-type": "application/json; charset=UTF-8"},
    )
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    "body",
    [b"[" * 100 + b"]" * 100, b"[" * 3000, b'"x"', b"0", b"null", b"{", b"\xff"],
    ids=["nested", "nesting-bomb", "string", "number", "null", "truncated", "not-utf8"],
)
async def test_bodies_that_are_no_request_are_400(http: httpx.AsyncClient, body: bytes) -> None:
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    _refusal(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "payload",
    [
        {"query": 1},
        {"query": "{ __typename }", "variables": "x"},
        {"query": "{ __typename }", "variables": [1]},
        {"query": "{ __typename }", "extensions": 1},
        {"query": "{ __typename }", "operationName": 1},
        {"variables": {}},
    ],
)
async def test_parameters_of_the_wrong_type_are_400(
    http: httpx.AsyncClient, payload: dict[str, Any]
) -> None:
    _refusal(await http.post("/graphql", json=payload), 400, "BAD_REQUEST")


async def test_an_operation_name_that_names_nothing_is_400(http: httpx.AsyncClient) -> None:
    payload = {"query": "query A { __typename }", "operationName": "B"}
    _refusal(await http.post("/graphql", json=payload), 400, "BAD_REQUEST")


# -- methods ------------------------------------------------------------------------------


async def test_get_is_for_queries(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "{ __typename }"})
    assert response.json()["data"] == {"__typename": "Query"}
    for query in ("subscription { bugChanged { new } }", "mutation { x }"):
        response = await http.get("/graphql", params={"query": query})
        _refusal(response, 405, "METHOD_NOT_ALLOWED")
        assert response.headers["allow"] == "POST"


async def test_a_subscription_over_post_is_400_not_executed(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "subscription { bugChanged { new } }"})
    assert "WebSocket" in _refusal(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD"])
async def test_other_methods_are_405(http: httpx.AsyncClient, method: str) -> None:
    response = await http.request(method, "/graphql", json=TYPENAME)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


# -- batches ------------------------------------------------------------------------------


async def test_a_batch_is_answered_in_order_each_with_its_cost(http: httpx.AsyncClient) -> None:
    batch = [TYPENAME, {"query": "query A { a: __typename }"}, {"query": "{ nope }"}]
    response = await http.post("/graphql", json=batch)
    assert response.status_code == 200
    first, second, third = response.json()
    assert first["data"] == {"__typename": "Query"}
    assert second["data"] == {"a": "Query"}
    assert third["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert first["extensions"]["cost"] == {"requested": 1, "limit": 25_000}


async def test_a_batch_longer_than_the_limit_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json=[TYPENAME] * 4)
    assert "at most 3" in _refusal(response, 400, "TOO_MANY_OPERATIONS")


@pytest.mark.parametrize("batch", [[], [1], [TYPENAME, "x"]], ids=["empty", "number", "string"])
async def test_a_batch_of_no_operations_is_400(http: httpx.AsyncClient, batch: list[Any]) -> None:
    _refusal(await http.post("/graphql", json=batch), 400, "BAD_REQUEST")


async def test_batches_can_be_turned_off() -> None:
    async with serving(offline(max_batch=0)) as http:
        response = await http.post("/graphql", json=[TYPENAME])
        assert "no operations" in _refusal(response, 400, "TOO_MANY_OPERATIONS")
        await _still_serving(http)


# -- time ---------------------------------------------------------------------------------


async def test_an_operation_out_of_time_is_an_error_and_the_server_serves_on() -> None:
    async def hanging(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        raise AssertionError("not reached")

    settings = offline(execution_timeout_s=0.2)
    async with serving(settings, transport=httpx.MockTransport(hanging)) as http:
        loop = asyncio.get_running_loop()
        started = loop.time()
        response = await http.post("/graphql", json={"query": "{ build(id: 1) { nvr } }"})
        assert loop.time() - started < 5
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "EXECUTION_TIMEOUT"
        assert "0.2 s" in error["message"]
        await _still_serving(http)


# -- production switches ------------------------------------------------------------------


async def test_production_hides_the_ide_the_schema_and_the_suggestions() -> None:
    async with serving(offline(graphiql=False, introspection=False)) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        _refusal(page, 404, "NOT_FOUND")
        body = (await http.post("/graphql", json={"query": "{ __schema { directive } }"})).json()
        assert "INTROSPECTION_DISABLED" in {e["extensions"]["code"] for e in body["errors"]}
        assert not any("Did you mean" in e["message"] for e in body["errors"])
        await _still_serving(http)


async def test_first_over_100_is_bad_user_input_not_too_complex(http: httpx.AsyncClient) -> None:
    body = (
        await http.post(
            "/graphql", json={"query": '{ search(query: "bash", first: 101) { totalCount } }'}
        )
    ).json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first must be between 1 and 100" in error["message"]


async def test_nothing_internal_leaks(http: httpx.AsyncClient) -> None:
    """graphql-cop's trace-mode and unhandled-error probes."""
    for query in ("query cop { __typename }", "query cop { __typename"):
        body = (await http.post("/graphql", json={"query": query})).json()
        assert "tracing" not in body.get("extensions", {})
        for error in body.get("errors", ()):
            assert set(error["extensions"]) <= {"code"}
