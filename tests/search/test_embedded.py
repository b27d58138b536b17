"""What the embedded engine adds to the contract: its directory, versions and neighbours."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from gateway.search.embedded import POINTER, EmbeddedSearchIndex
from gateway.search.port import PackageDocument
from tests.search.catalog import stream

VIM = PackageDocument("vim", "The VIM editor", subpackages=("xxd",), releases=("rawhide",))
GIMP = PackageDocument("gimp", "GNU Image Manipulation Program", releases=("rawhide",))


def versions(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("v*"))


async def test_the_index_outlives_the_process(tmp_path: Path) -> None:
    first = EmbeddedSearchIndex(tmp_path)
    await first.start()
    await first.upsert([VIM])
    await first.close()
    second = EmbeddedSearchIndex(tmp_path)
    await second.start()
    assert await second.get("vim") == VIM
    await second.close()


async def test_a_rebuild_leaves_one_version_named_by_the_pointer(tmp_path: Path) -> None:
    index = EmbeddedSearchIndex(tmp_path)
    await index.start()
    before = versions(tmp_path)
    report = await index.rebuild(stream([VIM, GIMP]))
    after = versions(tmp_path)
    assert len(before) == len(after) == 1
    assert after == [report.index] != before
    assert (tmp_path / POINTER).read_text().strip() == report.index
    await index.close()


async def test_the_report_names_the_packages_the_rebuild_dropped(tmp_path: Path) -> None:
    index = EmbeddedSearchIndex(tmp_path)
    await index.start()
    await index.upsert([VIM, GIMP])
    report = await index.rebuild(stream([VIM]))
    assert report.removed == ("gimp",)
    await index.close()


async def test_two_handles_on_one_directory_see_each_others_writes(tmp_path: Path) -> None:
    # As the worker (writing) and the server (searching) do, in two processes.
    worker, server = EmbeddedSearchIndex(tmp_path), EmbeddedSearchIndex(tmp_path)
    await worker.start()
    await server.start()
    await worker.upsert([VIM])
    assert [h.name for h in (await server.search("xxd")).hits] == ["vim"]
    await worker.rebuild(stream([GIMP]))
    assert [h.name for h in (await server.search("gimp")).hits] == ["gimp"]
    assert await server.get("vim") is None
    await server.upsert([VIM])
    assert await worker.get("vim") == VIM
    assert len(versions(tmp_path)) == 1
    await worker.close()
    await server.close()


async def test_writes_during_a_rebuild_survive_the_swap(tmp_path: Path) -> None:
    index = EmbeddedSearchIndex(tmp_path)
    await index.start()
    go_on = asyncio.Event()
    halfway = asyncio.Event()

    async def slowly() -> AsyncIterator[PackageDocument]:
        yield VIM
        halfway.set()
        await go_on.wait()
        yield GIMP

    rebuilding = asyncio.create_task(index.rebuild(slowly()))
    await halfway.wait()
    fresh = PackageDocument("helix", "A post-modern modal text editor", releases=("rawhide",))
    await index.upsert([fresh])
    go_on.set()
    await rebuilding
    await index.remove(["vim"])
    assert await index.get("helix") == fresh
    assert [h.name for h in (await index.search("helix")).hits] == ["helix"]
    assert await index.count() == 2
    await index.close()


async def test_without_a_directory_the_index_is_temporary() -> None:
    index = EmbeddedSearchIndex()
    await index.start()
    await index.upsert([VIM])
    assert await index.count() == 1
    root = index._root
    assert root is not None
    assert root.exists()
    await index.close()
    assert not root.exists()


async def test_concurrent_writes_and_searches_do_not_trip(tmp_path: Path) -> None:
    index = EmbeddedSearchIndex(tmp_path)
    await index.start()

    async def write(i: int) -> None:
        await index.upsert([PackageDocument(f"pkg-{i}", f"Package {i}", releases=("rawhide",))])

    async def read(i: int) -> int:
        return (await index.search(f"pkg-{i}")).total

    await asyncio.gather(*(write(i) for i in range(40)), *(read(i) for i in range(40)))
    assert await index.count() == 40
    await index.close()
