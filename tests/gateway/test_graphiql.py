"""GraphiQL served by the gateway itself: local assets, the CDN fallback, and a real browser.

The browser test runs Debian's ``chromium`` driven by Playwright (its own Chromium
downloads are not used), blocks every request to a host other than 127.0.0.1, and
checks that GraphiQL renders, runs a query and follows a subscription.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

from gateway.graphiql import (
    CDN,
    DEFAULT_NODE_MODULES,
    PINNED,
    Assets,
    find_assets,
    graphiql_page,
    graphiql_routes,
)
from tests.conftest import IN_CI, LiveServer, free_port

REPO = Path(__file__).resolve().parents[2]
ENDPOINT = "/graphql"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true forbids skipping")
    pytest.skip(reason)


# -- a tiny schema and app, wired the way the gateway wires GraphiQL -------------------


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello, {name}!"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int) -> AsyncGenerator[int, None]:
        for n in range(1, to + 1):
            await asyncio.sleep(0.05)
            yield n


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription)


class GraphiQLView(GraphQL[Any, Any]):
    """Strawberry's ASGI view with our GraphiQL page instead of its CDN one."""

    def __init__(self, assets: Assets) -> None:
        super().__init__(SCHEMA)
        self.assets = assets

    async def render_graphql_ide(self, request: Request) -> Response:
        root_path = request.scope.get("root_path", "")
        return HTMLResponse(graphiql_page(ENDPOINT, self.assets, root_path=root_path))


def make_app(assets: Assets) -> Starlette:
    view = GraphiQLView(assets)
    return Starlette(
        routes=[
            *graphiql_routes(assets),
            Route(ENDPOINT, view),
            WebSocketRoute(ENDPOINT, view),
        ]
    )


@contextmanager
def serve(assets: Assets) -> Iterator[httpx.Client]:
    """The app on a real port, and an HTTP client for it."""
    with (
        LiveServer(make_app(assets), free_port()) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client


class _References(HTMLParser):
    """The URLs a page loads: script sources and stylesheet links."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.integrity: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        url = None
        if tag == "script" and attributes.get("src"):
            url = attributes["src"]
            self.scripts.append(str(url))
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            url = attributes["href"]
            self.styles.append(str(url))
        if url and attributes.get("integrity"):
            self.integrity[url] = str(attributes["integrity"])


def references(page: str) -> _References:
    parser = _References()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def installed() -> Assets:
    """The assets installed by ``npm ci``; skipped locally when absent, failed under CI."""
    assets = find_assets(DEFAULT_NODE_MODULES)
    if not assets.local:
        _unavailable(f"GraphiQL's assets are not installed in {DEFAULT_NODE_MODULES} (npm ci)")
    return assets


# -- the pins ---------------------------------------------------------------------------


def test_pins_match_package_json_and_lock() -> None:
    manifest = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert manifest["private"] is True
    assert lock["lockfileVersion"] == 3
    for pinned in PINNED:
        assert manifest["dependencies"][pinned.package] == pinned.version
        assert lock["packages"][f"node_modules/{pinned.package}"]["version"] == pinned.version
    for version in manifest["dependencies"].values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{version} is not an exact pin"


# -- (1) local assets -------------------------------------------------------------------


def test_page_references_only_local_assets_which_are_served(installed: Assets) -> None:
    with serve(installed) as client:
        response = client.get(ENDPOINT, headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = references(response.text)

        assert "unpkg" not in response.text
        assert "jsdelivr" not in response.text
        assert len(page.scripts) == 4
        assert len(page.styles) == 1
        for url in page.scripts + page.styles:
            assert url.startswith("/graphiql/"), url
            served = client.get(url)
            assert served.status_code == 200, url
            expected = "text/javascript" if url in page.scripts else "text/css"
            assert served.headers["content-type"].split(";")[0] == expected, url
            assert served.headers["x-content-type-options"] == "nosniff"
        for pinned in PINNED:
            url = installed.url(pinned)
            assert page.integrity[url] == pinned.integrity
            assert client.get(url).headers["cache-control"].endswith("immutable")


def test_only_the_pinned_files_are_served(installed: Assets) -> None:
    with serve(installed) as client:
        assert client.get("/graphiql/graphiql@3.8.3/graphiql.min.js.map").status_code == 200
        assert client.head("/graphiql/react@18.3.1/umd/react.production.min.js").status_code == 200
        for path in (
            "/graphiql/react@18.3.1/package.json",
            "/graphiql/react@18.3.1/umd/react.development.js",
            "/graphiql/react/umd/react.production.min.js",
            "/graphiql/../package.json",
            "/graphiql/%2e%2e/package.json",
            "/graphiql/",
        ):
            assert client.get(path).status_code == 404, path


def test_page_escapes_and_honours_root_path(installed: Assets) -> None:
    page = graphiql_page(
        "/graphql", installed, root_path="/api", default_query='{ hello(name: "<&>") }'
    )
    found = references(page)
    assert all(url.startswith("/api/graphiql/") for url in found.scripts + found.styles)
    assert 'data-endpoint="/api/graphql"' in page
    assert 'data-default-query="{ hello(name: &quot;&lt;&amp;&gt;&quot;) }"' in page


# -- (2) the CDN fallback ---------------------------------------------------------------


def test_missing_assets_fall_back_to_pinned_cdn_urls_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.graphiql"):
        assets = find_assets(tmp_path)
        find_assets(tmp_path)
    assert not assets.local
    warnings = [r for r in caplog.records if r.name == "gateway.graphiql"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "npm ci" in warnings[0].getMessage()
    assert CDN in warnings[0].getMessage()

    page = graphiql_page(ENDPOINT, assets)
    found = references(page)
    expected = {f"{CDN}/{p.package}@{p.version}/{p.path}" for p in PINNED}
    assert set(found.scripts + found.styles) - {"/graphiql/init.js"} == expected
    for pinned in PINNED:
        assert found.integrity[f"{CDN}/{pinned.versioned_path}"] == pinned.integrity
    assert 'crossorigin="anonymous"' in page

    with serve(assets) as client:
        init = client.get("/graphiql/init.js")
        assert init.status_code == 200
        assert init.headers["content-type"].startswith("text/javascript")
        assert client.get("/graphiql/graphiql@3.8.3/graphiql.min.js").status_code == 404


def test_assets_of_another_version_fall_back_to_the_cdn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for pinned in PINNED:
        path = tmp_path / pinned.package / pinned.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("// not the pinned file\n")
        (tmp_path / pinned.package / "package.json").write_text('{"version": "0.0.1"}')
    with caplog.at_level(logging.WARNING, logger="gateway.graphiql"):
        assert not find_assets(tmp_path).local
    assert "installed: 0.0.1" in caplog.text


# -- (3) a real browser with no internet ------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: no host name resolves, so nothing could leave even unintercepted.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


@dataclass
class Browsing:
    """A Chromium page that may reach 127.0.0.1 only, and what it asked for."""

    page: Any
    local: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def offline_chromium(executable: str) -> Iterator[Browsing]:
    """Headless Chromium in which every request to a host other than 127.0.0.1 fails."""
    try:
        from playwright.sync_api import Route as PlaywrightRoute
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")

    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh temporary --user-data-dir of its own.
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            context = browser.new_context(service_workers="block")
            page = context.new_page()
            browsing = Browsing(page)

            def only_loopback(route: PlaywrightRoute) -> None:
                url = route.request.url
                if urlsplit(url).hostname == "127.0.0.1":
                    browsing.local.append(url)
                    route.continue_()
                else:
                    browsing.blocked.append(url)
                    route.abort("blockedbyclient")

            context.route("**/*", only_loopback)
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda error: browsing.errors.append(str(error)))
            page.on("websocket", lambda socket: browsing.sockets.append(socket.url))
            yield browsing
        finally:
            browser.close()


def _run(page: Any, query: str) -> None:
    """Put ``query`` into GraphiQL's query editor, as if typed, and press its run button."""
    page.evaluate(
        "q => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q)",
        query,
    )
    # GraphiQL parses the editor's text 100 ms after a change (debounced) and picks HTTP
    # or the WebSocket by the parsed operation: wait until it has parsed this query.
    page.wait_for_function(
        """q => {
            const editor = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
            const ast = editor.documentAST;
            return editor.getValue() === q && ast != null && ast.loc.source.body === q;
        }""",
        arg=query,
    )
    page.click(".graphiql-execute-button")


def test_graphiql_runs_queries_and_subscriptions_in_chromium_offline(
    chromium: str, installed: Assets, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with (
        LiveServer(make_app(installed), free_port()) as server,
        offline_chromium(chromium) as browsing,
    ):
        page = browsing.page
        page.goto(f"{server.url}{ENDPOINT}")
        expect(page.locator(".graphiql-container")).to_be_visible()
        expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()

        _run(page, '{ hello(name: "GraphiQL") }')
        response = page.locator(".graphiql-response")
        expect(response).to_contain_text('"hello": "Hello, GraphiQL!"')

        _run(page, "subscription { count(to: 3) }")
        expect(response).to_contain_text('"count": 3')

        page.screenshot(path=str(tmp_path / "graphiql.png"))

    assert browsing.blocked == [], f"GraphiQL needed hosts other than 127.0.0.1: {browsing.blocked}"
    assert browsing.errors == []
    assert any("/graphiql/graphiql@" in url for url in browsing.local)
    port = urlsplit(server.url).port
    assert browsing.sockets == [f"ws://127.0.0.1:{port}{ENDPOINT}"]


def test_the_cdn_fallback_is_blocked_and_counted_offline(chromium: str, tmp_path: Path) -> None:
    """The control of the test above: CDN requests are seen, blocked, and the page says so."""
    from playwright.sync_api import expect

    with (
        LiveServer(make_app(find_assets(tmp_path)), free_port()) as server,
        offline_chromium(chromium) as browsing,
    ):
        browsing.page.goto(f"{server.url}{ENDPOINT}")
        expect(browsing.page.locator("#graphiql")).to_contain_text("could not be loaded")

    assert sorted(browsing.blocked) == sorted(f"{CDN}/{p.versioned_path}" for p in PINNED)


def test_graphiql_on_the_gateway_runs_a_package_query_offline(
    chromium: str, gateway_server: LiveServer, tmp_path: Path
) -> None:
    """The gateway's own GraphiQL, against the simulated Fedora, with no internet."""
    from playwright.sync_api import expect

    with offline_chromium(chromium) as browsing:
        page = browsing.page
        page.goto(f"{gateway_server.url}{ENDPOINT}")
        expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
        _run(page, '{ package(name: "kernel") { name builds(first: 1) { totalCount } } }')
        response = page.locator(".graphiql-response")
        expect(response).to_contain_text('"name": "kernel"')
        expect(response).to_contain_text('"totalCount"')
        page.screenshot(path=str(tmp_path / "gateway-graphiql.png"))

    assert browsing.blocked == [], f"GraphiQL needed hosts other than 127.0.0.1: {browsing.blocked}"
    assert browsing.errors == []
