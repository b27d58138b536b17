"""The live dashboard: its page and assets, and a real browser following a live system.

The browser tests drive Debian's chromium offline with the helpers of the GraphiQL tests,
against the gateway with its embedded worker, change feed and simulated world, and make
the world change only once the page follows it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from gateway.dashboard import (
    ASSETS_PREFIX,
    GRAPHQL_WS,
    PINNED,
    Scope,
    content_security_policy,
    dashboard_page,
    dashboard_routes,
)
from gateway.graphiql import DEFAULT_NODE_MODULES, pinned_problem
from simulator.catalog.loader import generated_world
from tests.gateway import test_graphiql
from tests.gateway.test_graphiql import Browsing, _unavailable, offline_chromium, references
from tests.subscriptions.conftest import LiveSystem

#: Debian's chromium, found (or missed) as the GraphiQL tests find it.
chromium = test_graphiql.chromium

REPO = Path(__file__).resolve().parents[2]
GRAPHQL_WS_URL = f"{ASSETS_PREFIX}/{GRAPHQL_WS.versioned_path}"


@pytest.fixture(scope="module")
def installed() -> Path:
    """``node_modules`` with the pinned library; skipped locally when absent, failed under CI."""
    problem = pinned_problem(DEFAULT_NODE_MODULES, PINNED)
    if problem is not None:
        _unavailable(f"the dashboard's graphql-ws is not installed ({problem}): ./scripts/assets")
    return DEFAULT_NODE_MODULES


@asynccontextmanager
async def client_for(node_modules: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app serving nothing but the dashboard from ``node_modules``."""
    app = Starlette(routes=dashboard_routes(node_modules))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


class _Main(HTMLParser):
    """The data attributes of ``<main id="dashboard">``, as the page's script reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "main" and attributes.get("id") == "dashboard":
            self.data = {k: v for k, v in attributes.items() if k.startswith("data-")}


def main_data(page: str) -> dict[str, str | None]:
    parser = _Main()
    parser.feed(page)
    return parser.data


# -- the pin ----------------------------------------------------------------------------


def test_pin_matches_package_json_and_lock() -> None:
    manifest = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert manifest["dependencies"][GRAPHQL_WS.package] == GRAPHQL_WS.version
    assert lock["packages"][""]["dependencies"][GRAPHQL_WS.package] == GRAPHQL_WS.version
    entry = lock["packages"][f"node_modules/{GRAPHQL_WS.package}"]
    assert entry["version"] == GRAPHQL_WS.version
    assert not entry.get("hasInstallScript")


async def test_the_served_library_is_the_pinned_file(installed: Path) -> None:
    async with client_for(installed) as client:
        served = await client.get(GRAPHQL_WS_URL)
    assert served.status_code == 200
    digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
    assert f"sha384-{digest}" == GRAPHQL_WS.integrity
    assert served.headers["content-type"] == "text/javascript; charset=utf-8"
    assert served.headers["cache-control"].endswith("immutable")
    assert b"graphqlWs" in served.content  # the UMD global the page's script uses


# -- the page and its assets ------------------------------------------------------------


async def test_page_loads_only_assets_the_gateway_serves(installed: Path) -> None:
    async with client_for(installed) as client:
        response = await client.get("/dashboard")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"
        page = references(response.text)

        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", response.text), "no CDN"
        assert page.scripts == [GRAPHQL_WS_URL, f"{ASSETS_PREFIX}/dashboard.js"]
        assert page.styles == [f"{ASSETS_PREFIX}/dashboard.css"]
        assert page.integrity == {GRAPHQL_WS_URL: GRAPHQL_WS.integrity}
        expected = {
            GRAPHQL_WS_URL: "text/javascript",
            f"{ASSETS_PREFIX}/dashboard.js": "text/javascript",
            f"{ASSETS_PREFIX}/dashboard.css": "text/css",
            f"{ASSETS_PREFIX}/favicon.svg": "image/svg+xml",
        }
        for url, media_type in expected.items():
            served = await client.get(url)
            assert served.status_code == 200, url
            assert served.headers["content-type"].split(";")[0] == media_type, url
            assert served.headers["x-content-type-options"] == "nosniff", url
            if url != GRAPHQL_WS_URL:
                assert served.headers["cache-control"] == "no-cache", url


async def test_page_has_a_content_security_policy_of_its_own_host(installed: Path) -> None:
    async with client_for(installed) as client:
        policy = (await client.get("/dashboard")).headers["content-security-policy"]
    directives = {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy


def test_a_host_header_that_is_not_a_host_stays_out_of_the_policy() -> None:
    assert "ws://[::1]:8000" in content_security_policy("[::1]:8000")
    for host in ("evil.example\r\nSet-Cookie: x=1", "a b", "x;script-src *", "", None):
        assert content_security_policy(host).count("ws") == 0, host


async def test_only_our_files_and_the_pinned_one_are_served(installed: Path) -> None:
    async with client_for(installed) as client:
        assert (await client.head(GRAPHQL_WS_URL)).status_code == 200
        for path in (
            f"{ASSETS_PREFIX}/index.html",
            f"{ASSETS_PREFIX}/graphql-ws@{GRAPHQL_WS.version}/package.json",
            f"{ASSETS_PREFIX}/graphql-ws@{GRAPHQL_WS.version}/umd/graphql-ws.js",
            f"{ASSETS_PREFIX}/graphql-ws/umd/graphql-ws.min.js",
            f"{ASSETS_PREFIX}/../package.json",
            f"{ASSETS_PREFIX}/%2e%2e/gateway/dashboard.py",
            f"{ASSETS_PREFIX}/",
        ):
            assert (await client.get(path)).status_code == 404, path


async def test_without_the_library_the_page_answers_503_saying_how_to_install_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.dashboard"):
        routes = dashboard_routes(tmp_path)
        dashboard_routes(tmp_path)
    warnings = [r for r in caplog.records if r.name == "gateway.dashboard"]
    assert len(warnings) == 1
    assert "./scripts/assets" in warnings[0].getMessage()

    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/dashboard?package=bash")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/plain")
        assert "./scripts/assets" in response.text
        assert "graphql-ws" in response.text
        assert (await client.get(GRAPHQL_WS_URL)).status_code == 404
        assert (await client.get(f"{ASSETS_PREFIX}/dashboard.js")).status_code == 200


# -- the scope --------------------------------------------------------------------------

HOSTILE = "\"><script>alert('x')</script><img src=x onerror=alert(1)>&amp;"


async def test_a_package_is_never_reflected_unescaped(installed: Path) -> None:
    async with client_for(installed) as client:
        response = await client.get(f"/dashboard?package={quote(HOSTILE)}")
    assert response.status_code == 200
    text = response.text
    assert "<script>alert" not in text
    assert "<img src=x" not in text
    assert "'x'" not in text
    assert text.count("<script") == 2  # ours: the library and the page's script
    # The script reads back exactly what was asked for, as text.
    assert main_data(text)["data-package"] == HOSTILE
    assert main_data(text)["data-release"] == ""
    assert html_text_of_scope(text) == f"package {HOSTILE}"


def html_text_of_scope(page: str) -> str:
    match = re.search(r'<span data-testid="scope">([^<]*)</span>', page)
    assert match is not None
    return html.unescape(match.group(1))


@pytest.mark.parametrize(
    ("query", "described", "package", "release"),
    [
        ("", "everything", "", ""),
        ("?package=bash", "package bash", "bash", ""),
        ("?release=f45", "release F45", "", "F45"),
        ("?package=+kernel+&release=F46", "kernel in F46", "kernel", "F46"),
        ("?package=&release=", "everything", "", ""),
    ],
)
async def test_the_scope_is_read_from_the_query(
    installed: Path, query: str, described: str, package: str, release: str
) -> None:
    async with client_for(installed) as client:
        response = await client.get(f"/dashboard{query}")
    assert response.status_code == 200
    assert html_text_of_scope(response.text) == described
    assert main_data(response.text) == {
        "data-endpoint": "/graphql",
        "data-package": package,
        "data-release": release,
    }


@pytest.mark.parametrize(
    "query",
    ["?release=<b>F45</b>", "?release=rawhide", "?release=F", "?package=" + "x" * 257],
)
async def test_a_scope_it_cannot_follow_is_refused_without_repeating_it(
    installed: Path, query: str
) -> None:
    async with client_for(installed) as client:
        response = await client.get(f"/dashboard{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "<b>" not in response.text
    assert "rawhide" not in response.text
    assert "xxxx" not in response.text


def test_the_page_honours_the_root_path() -> None:
    page = dashboard_page(Scope("bash"), root_path="/api")
    found = references(page)
    assert all(url.startswith("/api/dashboard/assets/") for url in found.scripts + found.styles)
    assert main_data(page)["data-endpoint"] == "/api/graphql"
    assert 'action="/api/dashboard"' in page


# -- a real browser, offline, following a live system -----------------------------------


@pytest.fixture(scope="module")
def system() -> Iterator[LiveSystem]:
    """The gateway, its embedded worker and feed, and a simulated world, over real HTTP."""
    live = LiveSystem(generated_world(size=300))
    with live.server:
        yield live
    live.sim.close()


def package_with_builds(system: LiveSystem, index: int) -> str:
    """A package that already has builds (so that it has latest builds to show)."""
    world = system.world
    names = sorted(p.name for p in world.packages.values() if world.builds_by_package.get(p.id))
    return names[index]


@contextmanager
def dashboard(chromium: str, system: LiveSystem, query: str, streams: int) -> Iterator[Browsing]:
    """The dashboard open in an offline chromium, live, with its ``streams`` followed.

    "live" means the gateway acknowledged the socket; each subscription then reaches the
    change feed a moment later, in a task of its own. Only once all of them read the feed
    may the world change: a change made in between would, rightly, never be shown.
    """
    from playwright.sync_api import expect

    system.wait_for(lambda: system.feed.subscribers == 0 and not system.hub.streams)
    with offline_chromium(chromium) as browsing:
        page = browsing.page
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.goto(f"{system.url}/dashboard{query}")
        expect(page.get_by_test_id("status")).to_have_attribute("data-state", "live")
        system.wait_for(
            lambda: len(system.hub.streams) == streams and system.feed.subscribers == streams
        )
        yield browsing
        expect(page.get_by_test_id("status")).to_have_attribute("data-state", "live")
        expect(page.get_by_test_id("problem")).to_be_hidden()
        assert console == []
    assert browsing.blocked == [], (
        f"the dashboard needed hosts other than 127.0.0.1: {browsing.blocked}"
    )
    assert browsing.errors == []
    assert all(urlsplit(url).hostname == "127.0.0.1" for url in browsing.local)
    assert browsing.sockets == [system.ws_url]


def test_a_package_dashboard_shows_its_new_build_live(
    chromium: str, installed: Path, system: LiveSystem, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    name = package_with_builds(system, 0)
    with dashboard(chromium, system, f"?package={quote(name)}", streams=4) as browsing:
        page = browsing.page
        expect(page.get_by_test_id("scope")).to_have_text(f"package {name}")
        expect(page.get_by_test_id("latest")).to_be_visible()
        expect(page.get_by_test_id("latest-build").first).to_be_visible()

        changed = system.event("build", package=name)["changed"]
        row = page.locator(f'[data-testid="build-row"][data-nvr="{changed["nvr"]}"]')
        expect(row).to_be_visible(timeout=15_000)
        expect(row).to_have_attribute("data-state", "COMPLETE", timeout=15_000)
        expect(row.get_by_role("link", name=changed["nvr"])).to_have_attribute(
            "href", re.compile(rf"buildID={changed['build_id']}$")
        )
        update = page.locator(f'[data-testid="update-row"][data-alias="{changed["update"]}"]')
        expect(update).to_be_visible(timeout=15_000)
        latest = page.locator(f'[data-testid="latest-build"][data-nvr="{changed["nvr"]}"]')
        expect(latest.first).to_be_visible(timeout=15_000)
        expect(page.get_by_test_id("build-row")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "dashboard-package.png"), full_page=True)


def test_the_everything_dashboard_shows_builds_and_bugs_of_any_package(
    chromium: str, installed: Path, system: LiveSystem
) -> None:
    from playwright.sync_api import expect

    with dashboard(chromium, system, "", streams=3) as browsing:
        page = browsing.page
        expect(page.get_by_test_id("scope")).to_have_text("everything")
        expect(page.get_by_test_id("latest")).to_be_hidden()

        nvr = system.event("build", package=package_with_builds(system, 1))["changed"]["nvr"]
        row = page.locator(f'[data-testid="build-row"][data-nvr="{nvr}"]')
        expect(row).to_be_visible(timeout=15_000)

        bug = system.event("bug", package=package_with_builds(system, 2))["changed"]["bug_id"]
        bug_row = page.locator(f'[data-testid="bug-row"][data-bug-id="{bug}"]')
        expect(bug_row).to_be_visible(timeout=15_000)
        expect(bug_row).to_have_attribute("data-new", "true")


def test_a_release_dashboard_shows_that_release_only(
    chromium: str, installed: Path, system: LiveSystem
) -> None:
    from playwright.sync_api import expect

    with dashboard(chromium, system, "?release=F45", streams=3) as browsing:
        page = browsing.page
        expect(page.get_by_test_id("scope")).to_have_text("release F45")

        # A rawhide build (.fc46), then an update to F45 with its .fc45 build: the page
        # receives both builds, in that order, and shows the second only.
        rawhide = system.event("build", package=package_with_builds(system, 3))["changed"]
        assert rawhide["nvr"].endswith(".fc46")
        f45 = system.event("update", package=package_with_builds(system, 4))["changed"]
        assert f45["release"] == "F45"
        assert f45["nvr"].endswith(".fc45")

        row = page.locator(f'[data-testid="build-row"][data-nvr="{f45["nvr"]}"]')
        expect(row).to_be_visible(timeout=15_000)
        update = page.locator(f'[data-testid="update-row"][data-alias="{f45["alias"]}"]')
        expect(update).to_be_visible(timeout=15_000)
        expect(page.get_by_test_id("build-row")).to_have_count(1)
        expect(page.locator(f'[data-nvr="{rawhide["nvr"]}"]')).to_have_count(0)
