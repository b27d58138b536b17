"""The live dashboard at ``/dashboard``: builds finishing, updates moving, bugs filed.

The page follows the gateway's own subscriptions from the browser, over one WebSocket on
the GraphQL endpoint (graphql-transport-ws, spoken by the ``graphql-ws`` client library),
for everything, for one package (``?package=bash``) or for one release (``?release=F45``).
Every dashboard of one scope sends the same operations with the same variables, so the
hub runs each of them once however many people are watching.

Everything the page loads comes from the gateway. Our own template, script and stylesheet
live in ``gateway/static/dashboard/``; ``graphql-ws``'s UMD build is an npm package pinned
in ``package.json``/``package-lock.json``, installed by ``scripts/assets``, and served only
when it matches its pin (its SRI hash, checked as :mod:`gateway.graphiql` checks
GraphiQL's). There is no CDN fallback: the page's Content-Security-Policy lets it load
scripts from the gateway alone, so without the library ``/dashboard`` answers 503 and says
how to install it.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.graphiql import DEFAULT_NODE_MODULES, PinnedFile, pinned_problem

__all__ = [
    "ASSETS_PREFIX",
    "GRAPHQL_WS",
    "PATH",
    "PINNED",
    "Scope",
    "content_security_policy",
    "dashboard_page",
    "dashboard_routes",
]

logger = logging.getLogger(__name__)

#: Where the page is served.
PATH = "/dashboard"
#: The URL path under which its scripts and stylesheet are served.
ASSETS_PREFIX = "/dashboard/assets"

# The same version as package.json (tests/gateway/test_dashboard.py checks it); the hash
# is sha384 of the file in the npm tarball. graphql-ws 5 is the last major version that
# ships a UMD build, which defines the global ``graphqlWs`` with no bundler.
GRAPHQL_WS = PinnedFile(
    "graphql-ws",
    "5.16.2",
    "umd/graphql-ws.min.js",
    "sha384-+EVxFEOpy8LWPRQcpntm0FKN2O+BzrMNSL0G3HIgVWFmeb6xqZqjuLivrQUTXZKi",
    "script",
)
PINNED: tuple[PinnedFile, ...] = (GRAPHQL_WS,)

_STATIC = Path(__file__).resolve().parent / "static" / "dashboard"
_TEMPLATE = "index.html"
_OWN_FILES = ("dashboard.js", "dashboard.css", "favicon.svg")

_IMMUTABLE = "public, max-age=31536000, immutable"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

_NOT_INSTALLED = (
    "The dashboard needs the graphql-ws browser library, which is not installed on this "
    "gateway at its pinned version. Run ./scripts/assets at the repository root, then "
    "restart the gateway.\n"
)

# Bodhi's names of Fedora releases; their branches (f45) are accepted too.
_RELEASE = re.compile(r"[Ff][1-9][0-9]{0,2}")
_MAX_PACKAGE = 256
# A Host header as browsers send it: a name or an IPv4 or bracketed IPv6 address, a port.
_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

_warned: set[Path] = set()


@dataclass(frozen=True, slots=True)
class Scope:
    """What one dashboard follows: everything, one package, one release, or both."""

    package: str | None = None
    release: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Scope:
        """The scope asked for by ``?package=…&release=…``; empty values mean no filter.

        Raises :class:`ValueError` for a value the subscriptions cannot follow, with a
        message that does not repeat it.
        """
        package = params.get("package", "").strip() or None
        release = params.get("release", "").strip() or None
        if package is not None and len(package) > _MAX_PACKAGE:
            raise ValueError(f"package: at most {_MAX_PACKAGE} characters")
        if release is not None:
            if not _RELEASE.fullmatch(release):
                raise ValueError("release: a Fedora release, as F45")
            release = release.upper()
        return cls(package, release)

    def describe(self) -> str:
        if self.package is not None and self.release is not None:
            return f"{self.package} in {self.release}"
        if self.package is not None:
            return f"package {self.package}"
        if self.release is not None:
            return f"release {self.release}"
        return "everything"


def content_security_policy(host: str | None) -> str:
    """The page's policy: scripts, styles and connections to the gateway only.

    ``connect-src 'self'`` covers the page's HTTP reads; the WebSocket to the same host
    is named as well (``ws:`` and ``wss:``), which browsers older than CSP 3 need. A Host
    header that is not a host is left out rather than written into the header.
    """
    connect = "'self'"
    if host is not None and _HOST.fullmatch(host):
        connect += f" ws://{host} wss://{host}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src {connect}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@functools.cache
def _template() -> string.Template:
    return string.Template((_STATIC / _TEMPLATE).read_text("utf-8"))


def dashboard_page(scope: Scope, *, endpoint: str = "/graphql", root_path: str = "") -> str:
    """The page for ``scope``, following the GraphQL endpoint at the URL path ``endpoint``.

    Every value is escaped for HTML; the script reads the scope back from data attributes.
    ``root_path`` is the ASGI root path the application is mounted under.
    """
    attr = html.escape
    assets = f"{root_path}{ASSETS_PREFIX}"
    return _template().substitute(
        title=attr(f"Fedora gateway · live · {scope.describe()}"),
        scope=attr(scope.describe()),
        page=attr(f"{root_path}{PATH}"),
        endpoint=attr(f"{root_path}{endpoint}"),
        package=attr(scope.package or ""),
        release=attr(scope.release or ""),
        favicon=attr(f"{assets}/favicon.svg"),
        style=attr(f"{assets}/dashboard.css"),
        script=attr(f"{assets}/dashboard.js"),
        graphql_ws=attr(f"{assets}/{GRAPHQL_WS.versioned_path}"),
        graphql_ws_integrity=attr(GRAPHQL_WS.integrity),
    )


def _installed(node_modules: Path) -> Path | None:
    """``node_modules`` when the pinned library is installed there, else ``None`` (logged once)."""
    node_modules = node_modules.resolve()
    problem = pinned_problem(node_modules, PINNED)
    if problem is None:
        return node_modules
    if node_modules not in _warned:
        _warned.add(node_modules)
        logger.warning(
            "The dashboard's browser library is not installed at its pinned version (%s): "
            "/dashboard answers 503 until it is. Install it with ./scripts/assets.",
            problem,
        )
    return None


def dashboard_routes(
    node_modules: Path = DEFAULT_NODE_MODULES, *, endpoint: str = "/graphql"
) -> list[BaseRoute]:
    """The page at :data:`PATH` and its assets under :data:`ASSETS_PREFIX`.

    Only our own files and the pinned library are served, never the rest of
    ``node_modules``. The library's URL carries its version, so it is cached for good;
    the page and our own files are revalidated.
    """
    installed = _installed(node_modules)
    files = {name: _STATIC / name for name in _OWN_FILES}
    if installed is not None:
        files[GRAPHQL_WS.versioned_path] = installed / GRAPHQL_WS.package / GRAPHQL_WS.path
    _template()  # a missing or broken template fails here, not on the first visit

    async def page(request: Request) -> Response:
        if installed is None:
            return PlainTextResponse(_NOT_INSTALLED, status_code=503)
        try:
            scope = Scope.parse(request.query_params)
        except ValueError as error:
            return PlainTextResponse(f"Bad request: {error}\n", status_code=400)
        root_path = request.scope.get("root_path", "")
        return HTMLResponse(
            dashboard_page(scope, endpoint=endpoint, root_path=root_path),
            headers={
                "Content-Security-Policy": content_security_policy(request.headers.get("host")),
                "Cache-Control": "no-cache",
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def asset(request: Request) -> Response:
        name = request.path_params["path"]
        path = files.get(name)
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        cache = "no-cache" if name in _OWN_FILES else _IMMUTABLE
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
            headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route(PATH, page, methods=["GET"], name="dashboard"),
        Route(f"{ASSETS_PREFIX}/{{path:path}}", asset, methods=["GET"], name="dashboard-assets"),
    ]
