"""GraphiQL, served by the gateway itself so that it works with no internet.

GraphiQL's browser assets (its prebuilt UMD bundle and stylesheet, and React's UMD
builds) are npm packages pinned in ``package.json``/``package-lock.json`` at the
repository root and installed into ``node_modules/`` by ``npm ci`` (``scripts/assets``).
No third-party code is committed. :func:`find_assets` checks the installed files against
the pins (by their SRI hashes); :func:`graphiql_routes` serves exactly those files, plus
our own start-up script, under ``/graphiql/``; :func:`graphiql_page` renders the page
that loads them and points GraphiQL at a GraphQL endpoint, over HTTP for queries and
mutations and over a WebSocket (graphql-transport-ws) on the same path for
subscriptions.

When the assets are not installed (or not at the pinned versions), the page loads the
same pinned files from a CDN, with the same integrity hashes, and a warning in the log
says so and how to install them.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = [
    "CDN",
    "DEFAULT_NODE_MODULES",
    "DEFAULT_PREFIX",
    "PINNED",
    "Assets",
    "PinnedFile",
    "find_assets",
    "graphiql_page",
    "graphiql_routes",
    "pinned_problem",
]

logger = logging.getLogger(__name__)

#: ``node_modules/`` beside ``package.json`` at the repository root.
DEFAULT_NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"

#: Where the pinned files are loaded from when they are not installed.
CDN = "https://unpkg.com"

#: The URL path under which :func:`graphiql_routes` serves the assets.
DEFAULT_PREFIX = "/graphiql"

_STATIC = Path(__file__).resolve().parent / "static" / "graphiql"
_INIT_SCRIPT = "init.js"

_IMMUTABLE = "public, max-age=31536000, immutable"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
}


@dataclass(frozen=True, slots=True)
class PinnedFile:
    """One file of an npm package that the page loads, at the version in package.json."""

    package: str
    version: str
    path: str
    integrity: str
    kind: Literal["script", "style"]

    @property
    def versioned_path(self) -> str:
        """``package@version/path``: the file's path under the prefix and on the CDN."""
        return f"{self.package}@{self.version}/{self.path}"


# The same versions as package.json (tests/gateway/test_graphiql.py checks it). The
# hashes are sha384 of the files in the npm tarballs, which the CDN serves unchanged.
# GraphiQL 3 is the last major version with a prebuilt UMD bundle that runs with no
# bundler; it bundles graphql-js and graphql-ws, and expects React 18's UMD globals.
PINNED: tuple[PinnedFile, ...] = (
    PinnedFile(
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
        "style",
    ),
    PinnedFile(
        "react",
        "18.3.1",
        "umd/react.production.min.js",
        "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
        "script",
    ),
    PinnedFile(
        "react-dom",
        "18.3.1",
        "umd/react-dom.production.min.js",
        "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
        "script",
    ),
    PinnedFile(
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
        "script",
    ),
)

# Source maps, served when installed so that browser developer tools can use them;
# the page never references them.
_SOURCE_MAPS = ("graphiql.min.js.map", "graphiql.min.css.map")

_warned: set[Path] = set()


@dataclass(frozen=True, slots=True)
class Assets:
    """Where the page's assets come from: the installed ``node_modules`` or the CDN."""

    #: The directory the pinned files are served from; ``None`` means the CDN.
    node_modules: Path | None
    #: The URL path under which :func:`graphiql_routes` serves them.
    prefix: str = DEFAULT_PREFIX

    @property
    def local(self) -> bool:
        return self.node_modules is not None

    def url(self, pinned: PinnedFile, root_path: str = "") -> str:
        if self.node_modules is None:
            return f"{CDN}/{pinned.versioned_path}"
        return f"{root_path}{self.prefix}/{pinned.versioned_path}"

    def init_script_url(self, root_path: str = "") -> str:
        return f"{root_path}{self.prefix}/{_INIT_SCRIPT}"


def _sri(path: Path) -> str:
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


def _installed_version(node_modules: Path, package: str) -> str | None:
    try:
        manifest = json.loads((node_modules / package / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else None


def pinned_problem(node_modules: Path, pins: Iterable[PinnedFile] = PINNED) -> str | None:
    """Why the installed files cannot be served, or ``None`` when they all match the pins."""
    for pinned in pins:
        path = node_modules / pinned.package / pinned.path
        if not path.is_file():
            return f"{path} is missing"
        if _sri(path) != pinned.integrity:
            installed = _installed_version(node_modules, pinned.package)
            return (
                f"{path} is not {pinned.package}@{pinned.version}"
                f" (installed: {installed or 'unknown version'})"
            )
    return None


def find_assets(
    node_modules: Path = DEFAULT_NODE_MODULES, *, prefix: str = DEFAULT_PREFIX
) -> Assets:
    """The installed assets in ``node_modules``, or the CDN when they are not there.

    Every pinned file must be present with its pinned hash. Otherwise the page falls
    back to the CDN, and a warning is logged, once for each directory.
    """
    node_modules = node_modules.resolve()
    problem = pinned_problem(node_modules)
    if problem is None:
        return Assets(node_modules, prefix)
    if node_modules not in _warned:
        _warned.add(node_modules)
        logger.warning(
            "GraphiQL's assets are not installed at their pinned versions (%s): the GraphiQL "
            "page will load them from %s, which needs internet access. Install them with "
            "`npm ci` at the repository root (scripts/assets does it).",
            problem,
            CDN,
        )
    return Assets(None, prefix)


def _served_files(assets: Assets) -> dict[str, Path]:
    files = {_INIT_SCRIPT: _STATIC / _INIT_SCRIPT}
    if assets.node_modules is not None:
        for pinned in PINNED:
            files[pinned.versioned_path] = assets.node_modules / pinned.package / pinned.path
        graphiql = next(p for p in PINNED if p.package == "graphiql")
        for source_map in _SOURCE_MAPS:
            path = assets.node_modules / "graphiql" / source_map
            if path.is_file():
                files[f"graphiql@{graphiql.version}/{source_map}"] = path
    return files


def graphiql_routes(assets: Assets) -> list[BaseRoute]:
    """The route serving the page's assets under ``assets.prefix``.

    Only the pinned files (and their source maps) and our start-up script are served,
    never the rest of ``node_modules``. The pinned files' URLs carry their versions, so
    they are cached for good; the start-up script is revalidated.
    """
    files = _served_files(assets)

    async def asset(request: Request) -> Response:
        name = request.path_params["path"]
        path = files.get(name)
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        cache = "no-cache" if name == _INIT_SCRIPT else _IMMUTABLE
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
            headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
        )

    return [Route(f"{assets.prefix}/{{path:path}}", asset, methods=["GET"], name="graphiql")]


_FAVICON = (
    "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>"
    "<circle cx='8' cy='8' r='7' fill='%2351a2da'/></svg>"
)


def graphiql_page(
    endpoint: str,
    assets: Assets,
    *,
    root_path: str = "",
    title: str = "Fedora gateway · GraphiQL",
    default_query: str | None = None,
) -> str:
    """The GraphiQL page for the GraphQL endpoint at the URL path ``endpoint``.

    Queries and mutations go over HTTP to ``endpoint``; subscriptions over a WebSocket
    (graphql-transport-ws) to the same path, ``ws:`` or ``wss:`` after the page's own
    scheme. ``root_path`` is the ASGI root path the application is mounted under.
    """
    attr = html.escape
    tags: list[str] = []
    for pinned in PINNED:
        url = attr(assets.url(pinned, root_path))
        crossorigin = ' crossorigin="anonymous"' if not assets.local else ""
        integrity = f' integrity="{attr(pinned.integrity)}"{crossorigin}'
        if pinned.kind == "style":
            tags.append(f'<link rel="stylesheet" href="{url}"{integrity}>')
        else:
            tags.append(f'<script src="{url}"{integrity}></script>')
    tags.append(f'<script src="{attr(assets.init_script_url(root_path))}"></script>')
    data = f' data-endpoint="{attr(root_path + endpoint)}"'
    if default_query is not None:
        data += f' data-default-query="{attr(default_query)}"'
    head_tags = "\n    ".join(t for t in tags if t.startswith("<link"))
    body_tags = "\n    ".join(t for t in tags if t.startswith("<script"))
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{attr(title)}</title>
    <link rel="icon" href="{attr(_FAVICON)}">
    {head_tags}
    <style>
      html, body {{ height: 100%; margin: 0; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
      #graphiql > p {{ font-family: sans-serif; padding: 1em; }}
    </style>
  </head>
  <body>
    <div id="graphiql"{data}><p>Loading GraphiQL…</p></div>
    <noscript>GraphiQL needs JavaScript.</noscript>
    {body_tags}
  </body>
</html>
"""
