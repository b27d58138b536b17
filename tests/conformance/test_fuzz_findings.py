"""What the schema fuzzing found, pinned: arguments an upstream refuses are the client's error.

Each was answered ``UPSTREAM_ERROR`` before — counted against a healthy upstream in the
metrics, and for koji failing every other call of the operation's multicall with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.observability.conftest import sample


@pytest.fixture
def client(default_gateway: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=default_gateway.url, timeout=30) as http:
        yield http


def upstream_errors(client: httpx.Client) -> float:
    return sample(client.get("/metrics").text, "fedora_gateway_upstream_errors_total")


def post(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_text_koji_cannot_carry_fails_its_field_alone(client: httpx.Client) -> None:
    """A control character in a name: XML cannot carry it, and koji's hub refused the whole
    multicall — the operation's other koji fields with it."""
    before = upstream_errors(client)
    body = post(
        client,
        "query($odd: String!) { a: package(name: $odd) { name } b: user(name: $odd) { name } "
        'c: package(name: "bash") { name } }',
        odd="bash\x0b",
    )
    assert body["data"] == {"a": None, "b": None, "c": {"name": "bash"}}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
    assert "U+000B" in body["errors"][0]["message"]
    assert upstream_errors(client) == before


@pytest.mark.parametrize("nvr", ["", "bash", "bash-5.2", "-5.2-1", "bash-5.2-", "$"])
def test_a_build_by_a_malformed_nvr_is_bad_input(client: httpx.Client, nvr: str) -> None:
    body = post(client, "query($nvr: String) { build(nvr: $nvr) { id } }", nvr=nvr)
    assert body["data"] == {"build": None}
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("ident", [0, -1, -(2**31)])
def test_a_bug_id_below_one_is_bad_input(client: httpx.Client, ident: int) -> None:
    body = post(client, "query($id: Int!) { bug(id: $id) { id } }", id=ident)
    assert body["data"] == {"bug": None}
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_well_formed_arguments_that_name_nothing_are_null(client: httpx.Client) -> None:
    body = post(
        client,
        '{ build(nvr: "no-such-1-1.fc45") { id } bug(id: 2147483647) { id } '
        'user(name: "nobody-at-all") { name } package(name: "no-such-package") { name } }',
    )
    assert "errors" not in body, body
    assert body["data"] == {"build": None, "bug": None, "user": None, "package": None}
