"""graphql-cop's probes, as tests, against the production configuration.

graphql-cop (dolevf/graphql-cop) is on no registry CI reaches, so each of its probes is
re-made here: the request it sends, byte for byte where it matters, and the verdict it
draws. The gateway under test runs as the README asks of production —
``GATEWAY_INTROSPECTION=false``, ``GATEWAY_GRAPHIQL=false``, every limit at its default.

Three of graphql-cop's verdicts flag deliberate, documented choices; their tests check the
risk itself, and say why, in their docstrings: queries over GET (GraphQL over HTTP allows
them, CDNs need them), duplicated fields, and repeated unknown directives under the
directive limit.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer

#: What graphql-cop looks for in a page to call it a GraphQL IDE.
IDE_WORDS = ("graphiql.min.css", "GraphQL Playground", "GraphiQL", "graphql-playground")
#: How long a refusal of an abusive document may take (it is parsed and validated only).
QUICK_S = 2.0


def cop(client: httpx.Client, query: str, **json_fields: Any) -> httpx.Response:
    """POST ``{"query": query}`` as graphql-cop's ``graph_query`` does."""
    return client.post("/graphql", json={"query": query, **json_fields})


def body_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body: dict[str, Any] = response.json()
    return body


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in body_of(response).get("errors", [])]


def refused(response: httpx.Response, code: str, status: int = 200) -> dict[str, Any]:
    """``response`` refused the operation with ``code``: nothing ran, nothing was answered."""
    assert response.status_code == status, response.text
    body = body_of(response)
    assert body.get("data") is None, body
    assert code in codes(response), body
    return body


# -- information disclosure ---------------------------------------------------------------


def test_introspection_is_refused(prod: httpx.Client) -> None:
    """graphql-cop ``introspection`` (HIGH): vulnerable when ``__schema.types`` comes back."""
    response = cop(prod, "query cop { __schema { types { name fields { name } } } }")
    refused(response, "INTROSPECTION_DISABLED")
    refused(cop(prod, '{ __type(name: "Package") { fields { name } } }'), "INTROSPECTION_DISABLED")
    assert body_of(cop(prod, "{ __typename }"))["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    "query",
    [
        "query cop { __schema { directive } }",  # graphql-cop's own
        '{ packag(name: "bash") { name } }',  # a root field one letter off
        '{ package(nam: "bash") { name } }',  # an argument
        '{ package(name: "bash") { builds(first: 1, state: COMPLET) { totalCount } } }',  # enum
        '{ package(name: "bash") { sumary } }',  # a field of an object type
        '{ package(name: "bash") { ... on Packag { name } } }',  # a type name
    ],
    ids=["cop", "root-field", "argument", "enum-value", "field", "type"],
)
def test_no_error_suggests_a_name(prod: httpx.Client, query: str) -> None:
    """graphql-cop ``field_suggestions`` (LOW): vulnerable when an error says "Did you mean"."""
    response = cop(prod, query)
    assert response.status_code == 200
    assert body_of(response).get("errors")
    assert "Did you mean" not in response.text


@pytest.mark.parametrize("path", ["/graphiql", "/playground", "/console", "/graphql"])
def test_no_ide_is_served(prod: httpx.Client, path: str) -> None:
    """graphql-cop ``detect_graphiql`` (LOW): a GET of each path with a browser's ``Accept``."""
    response = prod.get(path, headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 404
    assert not any(word in response.text for word in IDE_WORDS), response.text[:500]


def test_the_ide_assets_are_not_served_either(
    prod: httpx.Client, default_gateway: LiveServer
) -> None:
    """GraphiQL's script, which the default configuration serves, is gone with the IDE."""
    with httpx.Client(base_url=default_gateway.url, timeout=30) as default:
        assert default.get("/graphiql/init.js").status_code == 200
    for path in ("/graphiql/init.js", "/graphiql/graphiql@3.8.3/graphiql.min.css"):
        assert prod.get(path).status_code == 404, path


def test_no_tracing_and_no_exception_in_answers(prod: httpx.Client) -> None:
    """graphql-cop ``trace_mode`` (INFO): ``extensions.tracing``, ``exception`` or a stack trace."""
    response = cop(prod, "query cop { __typename }")
    body = body_of(response)
    assert body["data"] == {"__typename": "Query"}
    assert set(body.get("extensions", {})) <= {"cost", "cache"}, body
    assert "tracing" not in response.text
    assert "stacktrace" not in response.text.lower()


def test_unhandled_errors_say_nothing_of_the_code(prod: httpx.Client) -> None:
    """graphql-cop ``unhandled_error_detection`` (INFO): ``errors[0].extensions.exception``."""
    response = cop(prod, "qwerty cop { abc }")
    body = refused(response, "GRAPHQL_PARSE_FAILED")
    for error in body["errors"]:
        assert set(error["extensions"]) == {"code"}, error
    assert "exception" not in response.text.lower()
    assert "traceback" not in response.text.lower()


def test_an_upstream_failure_says_which_upstream_and_not_where_or_how(
    prod: httpx.Client, sim_server: LiveServer
) -> None:
    """The same probe one level down: an upstream answering garbage (the simulator's
    ``malformed`` fault) fails its fields with ``UPSTREAM_BAD_RESPONSE`` naming the upstream,
    never with the upstream's URL, a Python exception or a stack trace."""
    with httpx.Client(base_url=sim_server.url, timeout=30) as simulator:
        assert simulator.post("/_sim/faults", json={"koji": {"malformed_rate": 1.0}}).is_success
        try:
            # a name no other probe reads: no answer of the field cache stands in for koji's
            response = cop(prod, '{ package(name: "probe-garbage") { name summary } }')
        finally:
            assert simulator.post("/_sim/faults", json={"profile": "none"}).is_success
    assert response.status_code == 200
    body = body_of(response)
    assert body["data"] == {"package": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UPSTREAM_BAD_RESPONSE", "upstream": "koji"}
    for leak in (sim_server.url, "127.0.0.1", "Traceback", 'File "', ".py", "kojihub"):
        assert leak not in response.text, leak


# -- cross-site request forgery -----------------------------------------------------------


def test_queries_over_get_are_answered_and_that_is_all_get_does(prod: httpx.Client) -> None:
    """graphql-cop ``get_method_support`` (MEDIUM, "possible CSRF"): ``GET ?query={__typename}``
    answering data. A deliberate choice: GraphQL over HTTP allows queries over GET, and the
    README's CDN and browser caching (``ETag``, ``304``) and persisted queries need them.

    The risk graphql-cop points at is a cross-site page making a browser run something with
    the user's credentials. Here a GET can run nothing but a query — reads of public data,
    no state changed — the gateway keeps no session (no cookie is set or read), and a
    mutation or a subscription over GET is refused before it runs (the next tests).
    """
    response = prod.get("/graphql", params={"query": "{__typename}"})
    assert response.status_code == 200
    assert body_of(response)["data"] == {"__typename": "Query"}
    assert "set-cookie" not in response.headers
    assert response.headers["etag"]
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "query",
    [
        "mutation cop {__typename}",  # graphql-cop's own
        'subscription { packageChanged(name: "bash") { topic } }',
        "query q { __typename } mutation m { __typename }",
    ],
    ids=["mutation", "subscription", "mutation-beside-a-query"],
)
def test_only_queries_run_over_get(prod: httpx.Client, query: str) -> None:
    """graphql-cop ``get_based_mutation`` (MEDIUM): vulnerable when ``GET ?query=mutation …``
    answers data. The schema has no mutation at all; the view refuses any operation but a
    query over GET with 405 and ``Allow: POST`` all the same, as GraphQL over HTTP says."""
    params = {"query": query}
    if query.startswith("query q"):
        params["operationName"] = "m"
    response = prod.get("/graphql", params=params)
    refused(response, "METHOD_NOT_ALLOWED", status=405)
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        (None, b""),  # graphql-cop's post_based_csrf: the query in the URL, no body at all
        ("application/x-www-form-urlencoded", b"query=query+%7B__typename%7D"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="query"'
            b"\r\n\r\nquery {__typename}\r\n--x--\r\n",
        ),
        ("text/plain", json.dumps({"query": "query {__typename}"}).encode()),
        ("text/plain;charset=UTF-8", json.dumps({"query": "query {__typename}"}).encode()),
    ],
    ids=["url-params", "form", "multipart", "text-plain", "text-plain-charset"],
)
def test_no_simple_request_runs_an_operation(
    prod: httpx.Client, content_type: str | None, content: bytes
) -> None:
    """graphql-cop ``post_based_csrf`` (MEDIUM): ``POST ?query=query {__typename}`` answering
    data. A page on another site can POST a form, multipart or ``text/plain`` body without a
    CORS preflight; the gateway refuses each before reading it (415)."""
    headers = {"content-type": content_type} if content_type else {}
    params = {"query": "query {__typename}"}
    response = prod.post("/graphql", params=params, content=content, headers=headers)
    refused(response, "UNSUPPORTED_MEDIA_TYPE", status=415)
    assert response.headers["accept-post"] == "application/json"


# -- denial of service --------------------------------------------------------------------


def test_alias_overloading_is_refused(prod: httpx.Client) -> None:
    """graphql-cop ``alias_overloading`` (HIGH): 101 aliases, vulnerable when ``alias100``
    comes back."""
    aliases = "".join(f"alias{number}:__typename \n" for number in range(101))
    body = refused(cop(prod, "query { " + aliases + " }"), "MAX_ALIASES_EXCEEDED")
    assert len(body["errors"]) == 1


def test_aliases_multiplied_by_fragment_spreads_are_refused(prod: httpx.Client) -> None:
    """The bypass of CVE-2026-47707: 15 aliases in a fragment, spread eight times, count 120."""
    fragment = " ".join(f"a{number}: __typename" for number in range(15))
    query = "{ " + "...F " * 8 + "} fragment F on Query { " + fragment + " }"
    refused(cop(prod, query), "MAX_ALIASES_EXCEEDED")


def test_a_batch_longer_than_allowed_is_refused(prod: httpx.Client) -> None:
    """graphql-cop ``batch_query`` (HIGH): an array of ``query { __typename }``, vulnerable when
    ten or more answers come back. graphql-cop sends eleven; the gateway takes ten at most
    (``GATEWAY_MAX_BATCH``, for Apollo's ``BatchHttpLink``) and refuses the rest whole."""
    response = prod.post("/graphql", json=[{"query": "query { __typename }"}] * 11)
    refused(response, "TOO_MANY_OPERATIONS", status=400)


def test_each_operation_of_a_batch_is_held_to_the_limits(prod: httpx.Client) -> None:
    """Batching is no way around a limit: each operation is limited on its own."""
    aliases = " ".join(f"a{number}: __typename" for number in range(16))
    response = prod.post("/graphql", json=[{"query": "{ " + aliases + " }"}] * 10)
    assert response.status_code == 200
    answers = response.json()
    assert len(answers) == 10
    for answer in answers:
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == "MAX_ALIASES_EXCEEDED"


def test_repeated_unknown_directives_are_bounded(prod: httpx.Client) -> None:
    """graphql-cop ``directive_overloading`` (HIGH): ``__typename @aa`` ×10, "vulnerable" when
    exactly ten errors come back, i.e. each directive was looked at. It flags every server
    that reports each unknown directive — graphql-core does, as GraphQL.js does.

    The risk is the work and the answer growing with the directives sent. Under the directive
    limit (``GATEWAY_MAX_DIRECTIVES``, 50) the document is refused by validation and nothing
    runs; past it, the limit refuses it, and validation stops at 100 errors whatever is sent
    (with 1,000 directives, 2,000 tokens: within the token limit).
    """
    ten = refused(
        cop(prod, "query cop { __typename " + "@aa" * 10 + " }"), "GRAPHQL_VALIDATION_FAILED"
    )
    assert len(ten["errors"]) == 10
    started = time.monotonic()
    response = cop(prod, "query cop { __typename " + "@aa" * 1000 + " }")
    assert time.monotonic() - started < QUICK_S
    body = refused(response, "MAX_DIRECTIVES_EXCEEDED")
    assert len(body["errors"]) <= 101
    assert len(response.content) < 32 * 1024


def test_duplicated_fields_run_once_and_their_validation_is_bounded(prod: httpx.Client) -> None:
    """graphql-cop ``field_duplication`` (HIGH): ``__typename`` ×500, "vulnerable" when data
    comes back. A document may repeat a field: GraphQL merges the copies into one field,
    resolved once, so it costs what one costs (``extensions.cost``), and it is answered.

    The risk is validation: checking that same-named fields can merge compares them pairwise.
    graphql-core bounds that work and refuses a document past it, quickly: with 2,000 copies
    of ``__typename``, or 1,500 of a field with a selection (within the token limit).
    """
    five_hundred = body_of(cop(prod, "query { " + "__typename \n" * 500 + "} "))
    assert five_hundred["data"] == {"__typename": "Query"}
    assert five_hundred["extensions"]["cost"]["requested"] == 1
    for query in ("{ " + "__typename " * 2000 + "}", "{ " + "releases { name } " * 1500 + "}"):
        started = time.monotonic()
        response = cop(prod, query)
        assert time.monotonic() - started < QUICK_S
        assert response.status_code == 200
        assert body_of(response)["data"] is None


def test_circular_introspection_is_refused(prod: httpx.Client) -> None:
    """graphql-cop ``circular_query_introspection`` (HIGH): vulnerable when more than 25 types
    come back from ``__schema { types { fields { type { fields { … } } } } }``."""
    query = (
        "query { __schema { types { fields { type { fields { type { fields { type { fields "
        "{ type { name } } } } } } } } } } }"
    )
    refused(cop(prod, query), "INTROSPECTION_DISABLED")


def test_circular_introspection_is_refused_with_introspection_on(
    default_gateway: LiveServer,
) -> None:
    """Where introspection is on (the default), graphql-core's introspection depth rule
    refuses the same query."""
    query = (
        "query { __schema { types { fields { type { fields { type { fields { type { fields "
        "{ type { name } } } } } } } } } } }"
    )
    with httpx.Client(base_url=default_gateway.url, timeout=30) as client:
        body = refused(cop(client, query), "GRAPHQL_VALIDATION_FAILED")
    assert "introspection depth" in body["errors"][0]["message"]


def test_circular_fragments_are_refused(prod: httpx.Client) -> None:
    """graphql-cop ``circular_fragment`` (HIGH): vulnerable when a fragment spreading itself
    through another answers without errors."""
    query = (
        "query { __schema { ...A } } "
        "fragment A on __Schema { __typename ...B } fragment B on __Schema { ...A }"
    )
    body = refused(cop(prod, query), "GRAPHQL_VALIDATION_FAILED")
    assert any("within itself" in error["message"] for error in body["errors"])


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            '{ package(name: "bash") { builds(first: 1) { nodes { package { builds(first: 1) '
            "{ nodes { package { builds(first: 1) { nodes { package { builds(first: 1) { nodes "
            "{ package { name } } } } } } } } } } } } } }",
            "MAX_DEPTH_EXCEEDED",
        ),
        ("{" + "a{" * 1600 + "b" + "}" * 1601, "MAX_DEPTH_EXCEEDED"),
        (
            '{ package(name: "' + "x" * 10 + '") { name } ' + "x " * 5000 + "}",
            "MAX_TOKENS_EXCEEDED",
        ),
        (
            "{ packages(names: " + "[" * 1200 + '"x"' + "]" * 1200 + ") { name } }",
            "MAX_DEPTH_EXCEEDED",
        ),
    ],
    ids=["object-depth", "selection-braces", "tokens", "list-value-nesting"],
)
def test_deep_recursion_is_refused_before_it_recurses(
    prod: httpx.Client, query: str, code: str
) -> None:
    """Deep recursion: a document nested past what a recursive parser or validator survives
    is refused by a limit, never a ``RecursionError`` (500)."""
    started = time.monotonic()
    response = cop(prod, query)
    assert time.monotonic() - started < QUICK_S
    refused(response, code)


def test_a_json_nesting_bomb_is_a_bad_request(prod: httpx.Client) -> None:
    """The same one layer down: variables nested 100,000 deep are refused as JSON (400)."""
    bomb = b'{"query": "{__typename}", "variables": {"a": ' + b"[" * 100_000 + b"]" * 100_000
    response = prod.post(
        "/graphql", content=bomb + b"}}", headers={"content-type": "application/json"}
    )
    refused(response, "BAD_REQUEST", status=400)


def test_the_gateway_serves_on_after_every_probe(prod: httpx.Client) -> None:
    response = cop(prod, "{ releases { name } }")
    assert response.status_code == 200
    assert body_of(response)["data"]["releases"]
