"""Request ids round-trip, and each request logs one line (JSON in production) carrying it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.app import create_app
from gateway.observability.logs import RequestIdFilter, TextFormatter, formatter
from gateway.observability.requests import (
    GraphQLRecorder,
    RequestLog,
    accepted_request_id,
    current_request,
)
from tests.conftest import LiveServer
from tests.gateway.conftest import settings_for
from tests.observability.conftest import running

NAMED = 'query Named { package(name: "bash") { name summary } }'


class Lines:
    """What a logger wrote through a JSON handler with the request-id filter."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def records(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def access(self) -> list[dict[str, object]]:
        return [line for line in self.records() if line["logger"] == "gateway.access"]


@pytest.fixture
def logged() -> Iterator[Lines]:
    """Log lines of the gateway and the clients, formatted as ``GATEWAY_LOG_FORMAT=json``."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("gateway", "clients")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield Lines(stream)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


async def test_a_request_id_is_made_returned_and_logged(
    sim_server: LiveServer, logged: Lines
) -> None:
    app = create_app(settings_for(sim_server.url))
    async with running(app) as client:
        response = await client.post("/graphql", json={"query": NAMED})
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    int(request_id, 16)

    (line,) = logged.access()
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert line["method"] == "POST"
    assert line["path"] == "/graphql"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["operation_type"] == "query"
    assert line["operation_name"] == "Named"
    assert line["cache"] == {**response.json()["extensions"]["cache"], "replayed": False}
    assert line.get("cost") == response.json()["extensions"].get("cost")  # when it says one
    assert "errors" not in line
    assert "time" in line
    assert str(line["message"]).startswith("POST /graphql 200 ")


async def test_a_given_request_id_round_trips_even_when_replayed(
    sim_server: LiveServer, logged: Lines
) -> None:
    app = create_app(settings_for(sim_server.url))
    ids = ["trace-1", "trace-2", "a0b1c2d3-e4f5:6789/x=y+z"]
    async with running(app) as client:
        for request_id in ids:  # cold, warm (kept), replayed without execution
            response = await client.get(
                "/graphql",
                params={"query": NAMED, "operationName": "Named"},
                headers={"x-request-id": request_id, "accept": "application/json"},
            )
            assert response.status_code == 200
            assert response.headers["x-request-id"] == request_id
    assert response.json()["extensions"]["cache"]["replayed"] is True
    lines = logged.access()
    assert [line["request_id"] for line in lines] == ids
    replayed = lines[-1]
    assert replayed["cache"]["replayed"] is True  # type: ignore[index]
    assert replayed["operation_type"] == "query"
    assert replayed["operation_name"] == "Named"


@pytest.mark.parametrize(
    "given",
    [
        "x" * 129,  # too long
        "has space",
        "new\nline",
        "<script>",
        "semi;colon",
        "",
        "ünïcode",
    ],
)
async def test_an_unfit_request_id_is_replaced(given: str, logged: Lines) -> None:
    app = _echo_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/echo", headers=[(b"x-request-id", given.encode())])
    request_id = response.headers["x-request-id"]
    assert request_id != given
    assert len(request_id) == 32
    assert response.json()["seen"] == request_id  # what the handler saw is what was returned
    assert [line["request_id"] for line in logged.access()] == [request_id]


def test_request_ids_are_bounded_and_safe() -> None:
    assert accepted_request_id("abc-123_x.y:z") == "abc-123_x.y:z"
    assert accepted_request_id("  padded  ") == "padded"
    assert accepted_request_id("x" * 128) == "x" * 128
    assert accepted_request_id("x" * 129) is None
    assert accepted_request_id("a b") is None
    assert accepted_request_id(None) is None


async def test_log_records_made_while_handling_carry_the_request_id(logged: Lines) -> None:
    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    settings = settings_for("http://upstream.invalid", field_cache=False)
    app = create_app(settings, transport=httpx.MockTransport(unavailable))
    async with running(app) as client:
        response = await client.post(
            "/graphql",
            json={"query": '{ package(name: "bash") { name } }'},
            headers={"x-request-id": "outage-42"},
        )
    assert response.json()["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    retries = [line for line in logged.records() if line["logger"] == "clients.retry"]
    assert retries  # the client's warnings about its retries, logged mid-request
    assert {line["request_id"] for line in retries} == {"outage-42"}
    (line,) = logged.access()
    assert line["request_id"] == "outage-42"
    assert line["errors"] == 1
    assert line["error_codes"] == ["UPSTREAM_UNAVAILABLE"]


async def test_the_cost_an_answer_reports_is_logged(logged: Lines) -> None:
    async def graphql(request: Request) -> Response:
        await request.body()
        answer = {
            "data": {"x": 1},
            "extensions": {"cache": {"hits": 2, "misses": 1, "stale": 0}, "cost": {"total": 7}},
        }
        return JSONResponse(answer)

    app = Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"])],
        middleware=[Middleware(RequestLog), Middleware(GraphQLRecorder)],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await client.post("/graphql", json={"query": "{ x }", "operationName": "Costly"})
    (line,) = logged.access()
    assert line["cost"] == {"total": 7}
    assert line["cache"] == {"hits": 2, "misses": 1, "stale": 0, "replayed": False}
    assert line["operation_name"] == "Costly"


async def test_probes_and_scrapes_are_logged_at_debug(
    sim_server: LiveServer, logged: Lines
) -> None:
    app = create_app(settings_for(sim_server.url))
    async with running(app) as client:
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).headers["x-request-id"]
    assert logged.access() == []


def test_the_text_format_ends_a_line_with_its_request_id() -> None:
    record = logging.LogRecord("gateway.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    assert TextFormatter().format(record).endswith("INFO gateway.x: hello you")
    record.request_id = "abc"
    assert TextFormatter().format(record).endswith("INFO gateway.x: hello you [abc]")


def _echo_app() -> Starlette:
    async def echo(request: Request) -> Response:
        current = current_request()
        return JSONResponse({"seen": current.request_id if current else None})

    return Starlette(routes=[Route("/echo", echo)], middleware=[Middleware(RequestLog)])
