"""Every example query of the README runs and returns data; every subscription validates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from gateway.schema.schema import build_schema
from tests.gateway.conftest import GraphQLClient

README = Path(__file__).resolve().parents[2] / "README.md"
DOCUMENTS = re.findall(r"```graphql\n(.*?)```", README.read_text(), flags=re.DOTALL)
EXAMPLES = [document for document in DOCUMENTS if not document.startswith("subscription")]
SUBSCRIPTIONS = [document for document in DOCUMENTS if document.startswith("subscription")]


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 3
    assert SUBSCRIPTIONS


@pytest.mark.parametrize("document", SUBSCRIPTIONS)
def test_a_readme_subscription_validates(document: str) -> None:
    schema = build_schema()
    assert validate(schema._schema, parse(document)) == []


@pytest.mark.parametrize("query", EXAMPLES, ids=lambda q: q.split("{")[0].strip())
def test_a_readme_example_returns_data(gql: GraphQLClient, query: str) -> None:
    data = gql.data(query)
    assert data
    assert all(value is not None for value in data.values()), data


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize("query", EXAMPLES[:1])
def test_the_package_page_example_is_full(gql: GraphQLClient, query: str) -> None:
    page = gql.data(query)["package"]
    for field in ("versions", "changelog", "maintainers"):
        assert page[field], field
    for connection in ("builds", "updates", "bugs"):
        assert page[connection]["nodes"], connection
    assert sum(leaf is not None for leaf in _leaves(page)) > 50
