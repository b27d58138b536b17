"""The search contract: what every adapter of :class:`gateway.search.port.SearchIndex` does.

Run against the embedded engine always and Elasticsearch when ``GATEWAY_ELASTICSEARCH_URL``
is set (tests/search/conftest.py). The catalog below is small and made up for the cases;
the relevance of real queries on the real catalog is tests/search/test_relevance.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from gateway.search.port import Match, PackageDocument, SearchIndex, SearchResult
from tests.search.catalog import stream

ALL = ("rawhide", "f45", "f44")

CATALOG = (
    PackageDocument(
        "firefox",
        "Mozilla Firefox Web browser",
        "Firefox is an open-source web browser, designed for standards compliance.",
        ("firefox-langpacks",),
        ALL,
        ("gecko",),
    ),
    PackageDocument(
        "python-requests",
        "HTTP library, written in Python, for human beings",
        "Requests is an HTTP library for making web requests from Python.",
        ("python3-requests",),
        ALL,
        ("pythonista",),
    ),
    PackageDocument(
        "python-requests-toolbelt",
        "Utilities for requests",
        "A toolbelt of helpers for the Python requests library.",
        ("python3-requests-toolbelt",),
        ALL,
    ),
    PackageDocument(
        "python-requests-mock",
        "Mock out responses from the requests package",
        "Mocks HTTP responses in tests.",
        ("python3-requests-mock",),
        ("rawhide",),
    ),
    PackageDocument(
        "python-requre",
        "Record and replay tests",
        "Stores responses of remote calls to replay them in tests.",
        ("python3-requre",),
        ("rawhide",),
    ),
    PackageDocument(
        "gimp",
        "GNU Image Manipulation Program",
        "An image editor for photo retouching, composition and authoring.",
        ("gimp-libs", "gimp-devel"),
        ALL,
    ),
    PackageDocument(
        "vim",
        "The VIM editor",
        "A modal text editor, compatible with vi.",
        ("vim-enhanced", "vim-minimal", "xxd"),
        ALL,
    ),
    PackageDocument(
        "gtk3", "Graphical user interface library", "The GTK+ toolkit, version 3.", ("gtk3-devel",)
    ),
    PackageDocument("dbus", "D-BUS message bus", "A system for sending messages.", ("dbus-libs",)),
    PackageDocument(
        "kernel",
        "The Linux kernel",
        "The core of the operating system.",
        ("kernel-headers", "perf"),
        ("rawhide", "f45"),
    ),
    PackageDocument(
        "htop", "Interactive process viewer", "A text-mode process viewer.", (), ("epel9",)
    ),
    PackageDocument("clang18", "Compiler for C", "LLVM 18 C front end.", ("python3-clang",)),
    PackageDocument("clang19", "Compiler for C", "LLVM 19 C front end.", ("python3-clang",)),
)


def names(result: SearchResult) -> list[str]:
    return [hit.name for hit in result.hits]


@pytest.fixture
async def catalog(index: SearchIndex) -> SearchIndex:
    await index.upsert(CATALOG)
    return index


# -- names ---------------------------------------------------------------------------------------


async def test_the_exact_source_name_comes_first(catalog: SearchIndex) -> None:
    result = await catalog.search("python-requests")
    assert result.hits[0].name == "python-requests"
    assert result.hits[0].matched is Match.NAME
    assert result.hits[0].subpackage is None


async def test_names_are_compared_case_and_separator_blind(catalog: SearchIndex) -> None:
    for text in ("Python_Requests", "python requests", "PYTHON.requests"):
        assert names(await catalog.search(text))[0] == "python-requests", text
    assert names(await catalog.search("d-bus"))[0] == "dbus"
    assert names(await catalog.search("GTK3"))[0] == "gtk3"


async def test_a_subpackage_name_leads_to_its_source(catalog: SearchIndex) -> None:
    result = await catalog.search("python3-requests")
    top = result.hits[0]
    assert (top.name, top.matched, top.subpackage) == (
        "python-requests",
        Match.SUBPACKAGE,
        "python3-requests",
    )
    assert names(await catalog.search("xxd"))[0] == "vim"
    assert names(await catalog.search("perf"))[0] == "kernel"


async def test_one_hit_per_source_package(catalog: SearchIndex) -> None:
    # "vim" is vim's name and starts three of its sub-packages' names.
    for text in ("vim", "python-requests", "gimp", "requests"):
        found = names(await catalog.search(text))
        assert len(found) == len(set(found)), text


async def test_a_subpackage_shared_by_two_sources_finds_both(catalog: SearchIndex) -> None:
    result = await catalog.search("python3-clang")
    assert sorted(names(result)[:2]) == ["clang18", "clang19"]
    assert all(hit.matched is Match.SUBPACKAGE for hit in result.hits[:2])


async def test_prefixes_complete_names_shortest_first(catalog: SearchIndex) -> None:
    result = await catalog.search("python-req")
    assert names(result)[:4] == [
        "python-requre",
        "python-requests",
        "python-requests-mock",
        "python-requests-toolbelt",
    ]
    assert all(hit.matched is Match.PREFIX for hit in result.hits[:4])
    assert names(await catalog.search("fire"))[0] == "firefox"


async def test_the_exact_name_beats_longer_names_it_starts(catalog: SearchIndex) -> None:
    result = await catalog.search("vim")
    assert names(result)[0] == "vim"
    assert result.hits[0].matched is Match.NAME


async def test_typos_in_names_are_forgiven(catalog: SearchIndex) -> None:
    for typo, meant in (
        ("firefx", "firefox"),  # a letter left out
        ("pyhton-requests", "python-requests"),  # two letters swapped
        ("pyton-reqests", "python-requests"),  # two letters left out
        ("gimpp", "gimp"),  # one letter too many
    ):
        result = await catalog.search(typo)
        assert names(result)[0] == meant, typo
        assert result.hits[0].matched is Match.FUZZY, typo


async def test_scores_fall_down_the_page(catalog: SearchIndex) -> None:
    result = await catalog.search("python")
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)


# -- words ---------------------------------------------------------------------------------------


async def test_words_of_the_summary_find_the_package(catalog: SearchIndex) -> None:
    assert names(await catalog.search("web browser"))[0] == "firefox"
    assert names(await catalog.search("image manipulation"))[0] == "gimp"
    result = await catalog.search("process viewer")
    assert names(result)[0] == "htop"
    assert result.hits[0].matched is Match.TEXT


async def test_words_of_the_description_find_the_package(catalog: SearchIndex) -> None:
    assert "gimp" in names(await catalog.search("photo retouching"))


async def test_words_are_matched_whatever_their_case_or_inflection(catalog: SearchIndex) -> None:
    assert "firefox" in names(await catalog.search("Web Browsers"))


# -- release filter ------------------------------------------------------------------------------


async def test_a_release_keeps_only_the_packages_in_it(catalog: SearchIndex) -> None:
    assert names(await catalog.search("htop", release="f45")) == []
    assert names(await catalog.search("htop", release="epel9")) == ["htop"]
    in_f45 = names(await catalog.search("python-req", release="f45"))
    assert "python-requests" in in_f45
    assert "python-requests-mock" not in in_f45
    assert "python-requre" not in in_f45
    result = await catalog.search("python3-requests", release="f45")
    assert names(result)[0] == "python-requests"
    assert names(await catalog.search("web browser", release="f44")) == ["firefox"]
    assert names(await catalog.search("firefx", release="f44")) == ["firefox"]
    assert (await catalog.search("firefox", release="f30")).total == 0


# -- paging --------------------------------------------------------------------------------------


async def test_pages_split_one_ranking(catalog: SearchIndex) -> None:
    whole = await catalog.search("python", limit=50)
    assert whole.total == len(whole.hits) >= 4
    pages = [await catalog.search("python", limit=2, offset=at) for at in range(0, whole.total, 2)]
    assert [name for page in pages for name in names(page)] == names(whole)
    assert all(page.total == whole.total for page in pages)
    assert all(len(page.hits) <= 2 for page in pages)


async def test_a_page_past_the_end_is_empty_but_counts(catalog: SearchIndex) -> None:
    result = await catalog.search("python", offset=1000)
    assert result.hits == []
    assert result.total >= 4
    assert (await catalog.search("python", limit=0)).hits == []


# -- writes --------------------------------------------------------------------------------------


async def test_an_upserted_package_is_found_when_upsert_returns(index: SearchIndex) -> None:
    await index.upsert([PackageDocument("zellij", "Terminal workspace", releases=("rawhide",))])
    assert names(await index.search("zellij")) == ["zellij"]
    assert names(await index.search("terminal workspace")) == ["zellij"]
    assert await index.count() == 1


async def test_an_upsert_replaces_the_package(catalog: SearchIndex) -> None:
    changed = PackageDocument(
        "gimp",
        "Raster graphics painter",
        "Paints pixels.",
        ("gimp-libs", "gimp-plugins"),
        ("rawhide",),
    )
    await catalog.upsert([changed])
    assert names(await catalog.search("raster graphics")) == ["gimp"]
    assert "gimp" not in names(await catalog.search("image manipulation"))
    assert names(await catalog.search("gimp-plugins"))[0] == "gimp"
    gone = await catalog.search("gimp-devel")
    assert all(hit.matched is not Match.SUBPACKAGE for hit in gone.hits)
    assert names(await catalog.search("gimp", release="f45")) == []
    assert await catalog.get("gimp") == changed
    assert await catalog.count() == len(CATALOG)


async def test_removed_packages_are_forgotten(catalog: SearchIndex) -> None:
    await catalog.remove(["gimp", "no-such-package"])
    assert "gimp" not in names(await catalog.search("gimp"))
    assert "gimp" not in names(await catalog.search("gimp-libs"))
    assert "gimp" not in names(await catalog.search("image manipulation"))
    assert await catalog.get("gimp") is None
    assert await catalog.count() == len(CATALOG) - 1
    await catalog.remove([])


async def test_get_returns_the_document_and_count_the_packages(catalog: SearchIndex) -> None:
    assert await catalog.get("vim") == CATALOG[6]
    assert await catalog.get("nope") is None
    assert await catalog.count() == len(CATALOG)


# -- rebuild -------------------------------------------------------------------------------------


async def test_rebuild_swaps_in_the_new_catalog(catalog: SearchIndex) -> None:
    fresh = [
        PackageDocument("vim", "The VIM editor, again", subpackages=("xxd",), releases=ALL),
        PackageDocument("neovim", "Vim-fork focused on extensibility", releases=ALL),
    ]
    report = await catalog.rebuild(stream(fresh))
    assert report.documents == 2
    assert report.seconds >= 0
    assert await catalog.count() == 2
    assert names(await catalog.search("neovim")) == ["neovim"]
    assert names(await catalog.search("firefox")) == []
    assert await catalog.get("firefox") is None
    assert await catalog.get("vim") == fresh[0]


async def test_searches_during_a_rebuild_answer_from_the_old_index(catalog: SearchIndex) -> None:
    halfway = asyncio.Event()
    go_on = asyncio.Event()

    async def slowly() -> AsyncIterator[PackageDocument]:
        yield PackageDocument("neovim", "Vim-fork focused on extensibility", releases=ALL)
        halfway.set()
        await go_on.wait()
        yield PackageDocument("helix", "A post-modern modal text editor", releases=ALL)

    rebuilding = asyncio.create_task(catalog.rebuild(slowly()))
    await asyncio.wait_for(halfway.wait(), 30)
    searches = await asyncio.gather(*(catalog.search(t) for t in ("firefox", "neovim", "gimp")))
    assert names(searches[0])[0] == "firefox"
    assert "neovim" not in names(searches[1])
    assert names(searches[2])[0] == "gimp"
    assert await catalog.count() == len(CATALOG)
    go_on.set()
    await asyncio.wait_for(rebuilding, 60)
    assert names(await catalog.search("helix")) == ["helix"]
    assert await catalog.count() == 2


async def test_searches_keep_answering_while_a_big_rebuild_runs(catalog: SearchIndex) -> None:
    many = [
        PackageDocument(f"pkg-{i:05d}", f"Package number {i}", releases=("rawhide",))
        for i in range(3000)
    ]
    many.append(PackageDocument("firefox", "Mozilla Firefox Web browser", releases=ALL))
    rebuilding = asyncio.create_task(catalog.rebuild(stream(many)))
    answered = 0
    while not rebuilding.done():
        result = await catalog.search("firefox")
        assert names(result)[0] == "firefox"
        answered += 1
        await asyncio.sleep(0.001)
    report = await rebuilding
    assert report.documents == len(many)
    assert answered >= 1
    assert names(await catalog.search("pkg-02999"))[0] == "pkg-02999"


async def test_a_failed_rebuild_leaves_the_live_index_alone(catalog: SearchIndex) -> None:
    async def broken() -> AsyncIterator[PackageDocument]:
        yield PackageDocument("neovim", "Vim-fork", releases=ALL)
        raise RuntimeError("the package list went away")

    with pytest.raises(RuntimeError):
        await catalog.rebuild(broken())
    assert await catalog.count() == len(CATALOG)
    assert names(await catalog.search("firefox"))[0] == "firefox"
    assert names(await catalog.search("neovim")) == []


# -- odd queries ---------------------------------------------------------------------------------

ODD: Sequence[str] = (
    "",
    "   ",
    "\t\n",
    "x" * 10_000,
    "python " * 500,
    "日本語のパッケージ",
    "ünïcødé-naïve",
    "🦊 firefox",
    '"unbalanced',
    "(firefox OR gimp) AND NOT vim",
    "firefox*",
    "fire?ox",
    "name:firefox",
    "{name}: firefox",
    "-firefox",
    "'; DROP TABLE package; --",
    "%_%",
    "\\",
    "^ NEAR(a b)",
    "gtk+",
    "c++",
    "+++",
    "\x00",
)


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
async def test_odd_queries_do_not_raise(catalog: SearchIndex, text: str) -> None:
    result = await catalog.search(text)
    assert result.total >= len(result.hits)
    assert len(result.hits) <= 20


async def test_empty_queries_find_nothing(catalog: SearchIndex) -> None:
    for text in ("", "   ", "+++", "-"):
        result = await catalog.search(text)
        assert (names(result), result.total) == ([], 0)


async def test_queries_with_operators_search_their_words(catalog: SearchIndex) -> None:
    assert names(await catalog.search("🦊 firefox"))[0] == "firefox"
    assert names(await catalog.search("gtk+"))[0] == "gtk3"
    assert "firefox" in names(await catalog.search("(firefox OR gimp) AND NOT vim"))
