"""The cost of an operation, known before it runs: objects it may return, lists full."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, get_introspection_query, parse

from gateway.limits import DocumentLimits
from gateway.limits.cost import LIST_SIZE, operation_cost
from gateway.schema.schema import build_schema

SCHEMA = build_schema()
README = Path(__file__).resolve().parents[2] / "README.md"


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operation_cost(SCHEMA._schema, operation, fragments, variables)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ __typename }", 1),  # the minimum
        ('{ package(name: "a") { name summary } }', 1),
        # package 1, builds 1, 10 builds, 10 owners
        ('{ package(name: "a") { builds(first: 10) { nodes { owner { name } } } } }', 22),
        # the connection's default page: 20 bugs
        ('{ package(name: "a") { bugs { totalCount nodes { id } } } }', 22),
        # pageInfo is one object, whatever the page
        ('{ package(name: "a") { builds(first: 50) { pageInfo { hasNextPage } } } }', 3),
        # a list with first: three entries
        ('{ package(name: "a") { changelog(first: 3) { text } } }', 4),
        # a list with nothing to say its length
        ('{ package(name: "a") { maintainers { name } } }', 1 + LIST_SIZE),
        # one package per name, everything inside once per package
        ('{ packages(names: ["a", "b", "c"]) { builds(first: 2) { nodes { nvr } } } }', 3 + 3 + 6),
        ('{ search(query: "py") { nodes { package { name } } } }', 1 + 20 + 20),
        # over 100 counts as 100: the resolver refuses it, as BAD_USER_INPUT
        ('{ search(query: "py", first: 1000) { nodes { name } } }', 101),
        # aliases are separate fields; fragments count where spread
        (
            '{ a: package(name: "a") { name } b: package(name: "b") { ...P } } '
            "fragment P on Package { builds(first: 5) { nodes { nvr } } }",
            1 + 1 + 1 + 5,
        ),
        ('subscription { packageChanged(name: "a") { package { builds { nodes { nvr } } } } }', 13),
    ],
)
def test_cost(query: str, expected: int) -> None:
    assert cost(query) == expected


def test_variables_give_the_sizes() -> None:
    query = """query($names: [String!]!, $first: Int) {
      packages(names: $names) { builds(first: $first) { nodes { nvr } } } }"""
    assert cost(query, {"names": ["a"] * 7, "first": 4}) == 7 + 7 + 28
    assert cost(query, {"names": ["a"] * 7, "first": None}) == 7 + 7 + 70  # the field's default


def test_a_variable_default_counts() -> None:
    from graphql.execution.values import get_variable_values

    query = 'query($f: Int = 50) { package(name: "a") { builds(first: $f) { nodes { nvr } } } }'
    document = parse(query)
    (operation,) = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    coerced = get_variable_values(SCHEMA._schema, operation.variable_definitions or (), {})
    assert not isinstance(coerced, list)
    assert operation_cost(SCHEMA._schema, operation, {}, coerced.coerced) == 52


def test_the_readme_examples_are_cheap() -> None:
    documents = re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.DOTALL)
    costs = {document.split("{")[0].strip(): cost(document) for document in documents}
    assert costs["query PackagePage"] == 97
    assert costs["query Dashboard"] == 30
    assert all(value <= 200 for value in costs.values()), costs


def test_graphiql_can_introspect_within_the_default_limit() -> None:
    assert cost(get_introspection_query()) < DocumentLimits().max_cost


def test_fragment_amplification_is_costed_at_once() -> None:
    levels = [
        f"fragment F{i} on Package {{ {' '.join(['...F' + str(i + 1)] * 10)} }}" for i in range(30)
    ]
    query = '{ package(name: "a") { ...F0 } } ' + " ".join(levels)
    query += " fragment F30 on Package { builds { nodes { nvr } } }"
    started = time.perf_counter()
    assert cost(query) == 1 + 11 * 10**30
    assert time.perf_counter() - started < 0.5


async def test_an_operation_over_the_maximum_is_refused_before_it_runs() -> None:
    query = """query($names: [String!]!) {
      packages(names: $names) { builds(first: 100) { nodes { owner { name } } } } }"""
    names = [f"p{i}" for i in range(200)]
    result = await SCHEMA.execute(query, variable_values={"names": names})
    assert result.data is None
    assert result.errors
    (error,) = [e.formatted for e in result.errors]
    requested = 200 + 200 + 200 * 100 * 2
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": requested,
        "limit": 25_000,
    }
    assert result.extensions is not None
    assert result.extensions["cost"] == {"requested": requested, "limit": 25_000}


async def test_the_maximum_is_a_setting() -> None:
    schema = build_schema(DocumentLimits(max_cost=10))
    result = await schema.execute('{ search(query: "py", first: 10) { nodes { name } } }')
    assert result.errors
    assert result.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX", "cost": 11, "limit": 10}
