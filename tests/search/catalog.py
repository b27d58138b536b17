"""The real Fedora catalog as search documents, read from ../shared/data at run time.

Used by the relevance test and ``bench/search.py``; nothing of the data is copied into the
repository. The catalog is Rawhide's spec files, so every package is in ``rawhide`` only.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import orjson

from gateway.search.port import PackageDocument

PACKAGES_FILE = "fedora_rawhide_packages.jsonl.gz"


def default_data_dir() -> Path:
    """``$GATEWAY_SHARED_DIR/data``, or ``../shared/data`` beside the checkout."""
    shared = os.environ.get("GATEWAY_SHARED_DIR")
    root = Path(shared) if shared else Path(__file__).resolve().parents[3] / "shared"
    return root / "data"


def load_documents(path: Path | None = None) -> list[PackageDocument]:
    """One document per source package of ``fedora_rawhide_packages.jsonl.gz``."""
    path = path or default_data_dir() / PACKAGES_FILE
    with gzip.open(path, "rb") as lines:
        return [_document(orjson.loads(line)) for line in lines if line.strip()]


def _document(row: dict[str, object]) -> PackageDocument:
    subpackages = row.get("subpackages") or []
    maintainers = row.get("maintainers") or []
    assert isinstance(subpackages, list)
    assert isinstance(maintainers, list)
    return PackageDocument(
        name=str(row["name"]),
        summary=str(row.get("summary") or ""),
        description=str(row.get("description") or ""),
        subpackages=tuple(str(s["name"]) for s in subpackages),
        releases=("rawhide",),
        maintainers=tuple(str(m) for m in maintainers),
    )


async def stream(documents: Iterable[PackageDocument]) -> AsyncIterator[PackageDocument]:
    """``documents`` as the async iterable :meth:`SearchIndex.rebuild` reads."""
    for document in documents:
        yield document
