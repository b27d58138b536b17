"""The search engines under the contract: the embedded one always, Elasticsearch when asked.

Set ``GATEWAY_ELASTICSEARCH_URL`` to run the contract against
``gateway.search.elastic.ElasticsearchIndex(url, alias=...)`` too; each test gets an alias
of its own. Without the variable the Elasticsearch cases are not collected.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.search.embedded import EmbeddedSearchIndex
from gateway.search.port import SearchIndex

ELASTICSEARCH_URL = os.environ.get("GATEWAY_ELASTICSEARCH_URL")
ENGINES = ["embedded", *(["elasticsearch"] if ELASTICSEARCH_URL else [])]


def make_index(engine: str, directory: Path) -> SearchIndex:
    if engine == "embedded":
        return EmbeddedSearchIndex(directory)
    assert ELASTICSEARCH_URL is not None
    elastic = importlib.import_module("gateway.search.elastic")
    index: SearchIndex = elastic.ElasticsearchIndex(
        ELASTICSEARCH_URL, alias=f"test-packages-{uuid.uuid4().hex[:12]}"
    )
    return index


@pytest.fixture(params=ENGINES)
async def index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchIndex]:
    """A started, empty search index."""
    engine = make_index(request.param, tmp_path / "search")
    await engine.start()
    try:
        yield engine
    finally:
        await engine.close()
