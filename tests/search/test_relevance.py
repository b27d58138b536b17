"""The judged queries on the real Fedora catalog, with the embedded engine: MRR at least 0.9.

``bench/search.py`` prints the same scores beside the baseline's, with latency and reindex
time; this test keeps the ranking from sliding back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from gateway.search.embedded import EmbeddedSearchIndex
from tests.conftest import require_shared
from tests.search.catalog import PACKAGES_FILE, load_documents, stream
from tests.search.relevance import evaluate, load_judged

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]

TARGET_MRR = 0.9


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def real_index(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[EmbeddedSearchIndex]:
    documents = load_documents(require_shared("data", PACKAGES_FILE))
    index = EmbeddedSearchIndex(Path(tmp_path_factory.mktemp("real-search")))
    await index.start()
    await index.rebuild(stream(documents))
    yield index
    await index.close()


async def test_the_judged_queries_rank_their_packages_first(
    real_index: EmbeddedSearchIndex,
) -> None:
    async def search(text: str) -> list[str]:
        return [hit.name for hit in (await real_index.search(text)).hits]

    judged = load_judged()
    assert len(judged) >= 60
    scores = await evaluate(search, judged)
    misses = [(o.query.text, o.rank, o.top) for o in scores.misses()]
    assert scores.mrr >= TARGET_MRR, misses
    assert scores.recall_at_5 >= 0.95, misses
    for kind in ("name", "subpackage", "prefix", "typo"):
        assert scores.by_kind()[kind].mrr >= 0.95, (kind, misses)


async def test_the_real_catalog_is_all_there(real_index: EmbeddedSearchIndex) -> None:
    assert await real_index.count() == 23_184
    firefox = await real_index.get("firefox")
    assert firefox is not None
    assert "firefox-langpacks" in firefox.subpackages
