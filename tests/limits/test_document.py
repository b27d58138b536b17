"""Documents over a limit are refused before they run, each with its own stable code."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import parse, specified_rules

from gateway.limits import DocumentLimits, Documents
from gateway.schema.schema import build_schema

SCHEMA = build_schema()
PRODUCTION = build_schema(DocumentLimits(introspection=False))


def _nested(levels: int) -> str:
    """A package page nested ``levels`` object fields deep (package -> builds -> nodes ...)."""
    chain = ["package(name: $n)"]
    while len(chain) < levels:
        chain += ["builds(first: 1)", "nodes", "package"][: levels - len(chain)]
    return "query($n: String!) { " + " { ".join(chain) + " { name }" + " }" * (levels - 1) + " }"


async def _errors(
    query: str, schema: strawberry.Schema = SCHEMA, **variables: Any
) -> list[dict[str, Any]]:
    result = await schema.execute(query, variable_values=variables or None)
    assert result.data is None
    assert result.errors
    return [error.formatted for error in result.errors]


async def _code(query: str, schema: strawberry.Schema = SCHEMA, **variables: Any) -> str:
    (error,) = await _errors(query, schema, **variables)
    code: str = error["extensions"]["code"]
    return code


async def test_depth_up_to_the_limit_validates_and_one_more_is_refused() -> None:
    at_limit = await SCHEMA.execute(_nested(12), variable_values={"n": "bash"})
    assert not any(
        error.extensions and error.extensions.get("code") == "MAX_DEPTH_EXCEEDED"
        for error in at_limit.errors or ()
    )
    (error,) = await _errors(_nested(13), n="bash")
    assert error["extensions"] == {"code": "MAX_DEPTH_EXCEEDED", "limit": 12, "measured": 13}


async def test_a_depth_bomb_is_refused() -> None:
    assert await _code(_nested(60), n="bash") == "MAX_DEPTH_EXCEEDED"


async def test_a_document_nested_past_the_parser_is_refused() -> None:
    query = "{" + "a{" * 300 + "b" + "}" * 300 + "}"
    assert await _code(query) == "MAX_DEPTH_EXCEEDED"


async def test_fragments_count_towards_depth_where_they_are_spread() -> None:
    query = """
    query($n: String!) { package(name: $n) { ...A } }
    fragment A on Package { builds { nodes { package { ...B } } } }
    fragment B on Package { builds { nodes { package { ...C } } } }
    fragment C on Package { builds { nodes { package { ...D } } } }
    fragment D on Package { builds { nodes { package { name } } } }
    """
    (error,) = await _errors(query, n="bash")
    assert error["extensions"]["code"] == "MAX_DEPTH_EXCEEDED"
    assert error["extensions"]["measured"] == 13


async def test_alias_overloading_is_refused() -> None:
    aliases = " ".join(f"alias{i}: __typename" for i in range(101))
    (error,) = await _errors(f"query cop {{ {aliases} }}")
    assert error["extensions"] == {"code": "MAX_ALIASES_EXCEEDED", "limit": 15, "measured": 101}
    assert "'cop'" in error["message"]


async def test_aliases_are_counted_in_every_spread_of_their_fragment() -> None:
    """CVE-2026-47707's amplification: 15 aliases, spread 100 times, are 1,500."""
    aliases = " ".join(f"a{i}: __typename" for i in range(15))
    spreads = " ".join("...F" for _ in range(100))
    query = f"{{ {spreads} }} fragment F on Query {{ {aliases} }}"
    (error,) = await _errors(query)
    assert error["extensions"]["code"] == "MAX_ALIASES_EXCEEDED"
    assert error["extensions"]["measured"] == 1500


async def test_fragments_spread_within_fragments_are_measured_once() -> None:
    # ten levels of ten spreads: 10**10 aliases, measured in a blink
    levels = [
        f"fragment F{i} on Query {{ {' '.join(['...F' + str(i + 1)] * 10)} }}" for i in range(10)
    ]
    query = "{ ...F0 } " + " ".join(levels) + " fragment F10 on Query { x: __typename }"
    (error,) = await _errors(query)
    assert error["extensions"]["measured"] == 10**10


async def test_too_many_directives_are_refused() -> None:
    fragments = " ".join("... @include(if: true) { __typename }" for _ in range(51))
    (error,) = await _errors(f"{{ {fragments} }}")
    assert error["extensions"] == {"code": "MAX_DIRECTIVES_EXCEEDED", "limit": 50, "measured": 51}


async def test_repeated_unknown_directives_are_validation_errors() -> None:
    errors = await _errors("query cop { __typename " + "@aa " * 10 + "}")
    assert {error["extensions"]["code"] for error in errors} == {"GRAPHQL_VALIDATION_FAILED"}


async def test_a_token_bomb_is_refused() -> None:
    assert await _code("{ " + "__typename " * 6000 + "}") == "MAX_TOKENS_EXCEEDED"


async def test_what_does_not_parse_is_a_parse_failure() -> None:
    assert await _code("{ releases { name }") == "GRAPHQL_PARSE_FAILED"


async def test_fragment_cycles_are_validation_errors() -> None:
    errors = await _errors("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert {error["extensions"]["code"] for error in errors} == {"GRAPHQL_VALIDATION_FAILED"}


async def test_introspection_can_be_turned_off() -> None:
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Package") { name } }'):
        errors = await _errors(query, PRODUCTION)
        assert {error["extensions"]["code"] for error in errors} == {"INTROSPECTION_DISABLED"}
    result = await PRODUCTION.execute("{ __typename }")
    assert result.data == {"__typename": "Query"}
    assert (await SCHEMA.execute("{ __schema { queryType { name } } }")).data


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ releases { nam } }", {}),
        ("query cop { __schema { directive } }", {}),  # graphql-cop's probe
        ('{ package(name: "bash") { builds(stat: COMPLETE) { totalCount } } }', {}),
        ('{ package(name: "bash") { builds(state: COMPLET) { totalCount } } }', {}),
        (
            'query($s: BuildState) { package(name: "bash") { builds(state: $s) { totalCount } } }',
            {"s": "COMPLET"},
        ),
    ],
)
async def test_suggestions_are_made_only_while_introspection_is_on(
    query: str, variables: dict[str, Any]
) -> None:
    shown = await _errors(query, SCHEMA, **variables)
    assert any("Did you mean" in error["message"] for error in shown)
    hidden = await _errors(query, PRODUCTION, **variables)
    assert not any("Did you mean" in error["message"] for error in hidden)
    assert all(error["extensions"]["code"] for error in hidden)


async def test_variables_of_the_wrong_type_are_bad_user_input() -> None:
    query = 'query($f: Int) { package(name: "bash") { builds(first: $f) { totalCount } } }'
    assert await _code(query, f="ten") == "BAD_USER_INPUT"


def test_a_verdict_is_kept_by_the_document_text() -> None:
    documents = Documents(DocumentLimits(), cached=2)
    schema = SCHEMA._schema
    query = "{ releases { nam } }"
    first = documents.validate(schema, documents.parse(query), specified_rules)
    again = documents.validate(schema, parse(query), specified_rules)  # another parse
    assert first[0] is again[0]
    for other in ("{ a }", "{ b }"):
        documents.validate(schema, documents.parse(other), specified_rules)
    assert len(documents._verdicts) == 2  # the oldest went out
    assert documents.validate(schema, documents.parse(query), specified_rules)[0] is not first[0]


def test_long_documents_are_not_kept() -> None:
    documents = Documents(DocumentLimits())
    query = "{ __typename }" + " " * 40_000
    assert documents.parse(query) is not documents.parse(query)
    documents.validate(SCHEMA._schema, documents.parse(query), specified_rules)
    assert not documents._verdicts
