"""The simulated mdapi: Fedora's repository metadata, over mdapi's JSON API.

Routes and answers follow fedora-infra/mdapi (``mdapi/services``): ``/branches``,
``/{branch}/pkg/{name}``, ``/{branch}/srcpkg/{name}``, ``/{branch}/files/{name}``,
``/{branch}/changelog/{name}`` and the eight reverse lookups
``/{branch}/{provides|requires|...}/{name}``. The rules that clients trip over are
kept:

* a branch's repositories are searched ``updates-testing``, ``updates``, then
  ``release``; the first one carrying the package answers and ``repo`` says which;
* an unknown branch is ``400: Bad Request``, an unknown package ``404: Not Found``
  (aiohttp's plain-text bodies), and a reverse lookup without any match is a 400;
* a reverse lookup returns every match of the first repository that has one, and
  package objects have no binary ``name`` field, only ``basename`` (the source);
* ``srcpkg`` matches ``<name>-[0-9]`` against the source RPM file name;
* every answer carries ``Access-Control-Allow-Origin: *``.

The data itself comes from :mod:`simulator.catalog.detail`, so versions are the
builds koji has tagged into each repository.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.catalog.detail import (
    KINDS,
    Binary,
    ChangelogEntry,
    Dependency,
    FileGroup,
    PackageDetail,
    RepositoryDetail,
    branches,
)
from simulator.world import World

__all__ = ["create_app"]

_PHRASES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}

_HOMEPAGE = """<!DOCTYPE html>
<html><head><title>mdapi</title></head>
<body>
<h1>mdapi</h1>
<p>A small API exposing the metadata contained in the RPM repositories of Fedora.</p>
<ul>
<li><code>/branches</code>: the branches known</li>
<li><code>/&lt;branch&gt;/pkg/&lt;package&gt;</code>: a binary package</li>
<li><code>/&lt;branch&gt;/srcpkg/&lt;package&gt;</code>: a source package</li>
<li><code>/&lt;branch&gt;/files/&lt;package&gt;</code>: the files of a package</li>
<li><code>/&lt;branch&gt;/changelog/&lt;package&gt;</code>: the changelog of a package</li>
<li><code>/&lt;branch&gt;/&lt;provides|requires|obsoletes|conflicts|enhances|recommends|
suggests|supplements&gt;/&lt;name&gt;</code>: the packages with that dependency</li>
</ul>
</body></html>
"""


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json; charset=utf-8")


def _fail(status: int) -> HTTPException:
    return HTTPException(status_code=status)


def _dependency(dep: Dependency) -> dict[str, str | None]:
    return {
        "name": dep.name,
        "epoch": dep.epoch,
        "version": dep.version,
        "release": dep.release,
        "flags": dep.flags,
    }


def package_json(detail: PackageDetail, binary: Binary) -> dict[str, Any]:
    """mdapi's package object: ``Packages.to_json`` plus ``_expand_package_info``."""
    build = detail.build
    out: dict[str, Any] = {
        "arch": binary.arch,
        "epoch": str(build.epoch or 0),
        "version": build.version,
        "release": build.release,
        "summary": binary.summary,
        "description": binary.description,
        "basename": detail.package.name,
        "url": detail.package.url,
    }
    for kind in KINDS:
        out[kind] = [_dependency(dep) for dep in binary.dependencies[kind]]
    out["co-packages"] = [] if detail.repo.source else detail.binary_names
    out["repo"] = detail.repo.kind
    return out


def _file_json(group: FileGroup) -> dict[str, str]:
    return {
        "dirname": group.dirname,
        "filenames": "/".join(group.filenames),
        "filetypes": group.filetypes,
    }


def _changelog_json(entry: ChangelogEntry) -> dict[str, Any]:
    return {"author": f"{entry.author} - {entry.evr}", "changelog": entry.text, "date": entry.date}


class _Mdapi:
    """The request handlers, over one world's repository detail."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.detail = RepositoryDetail(world)

    async def index(self, request: Request) -> Response:
        return HTMLResponse(_HOMEPAGE)

    async def branches(self, request: Request) -> Response:
        return _json(branches(self.world))

    async def pkg(self, request: Request) -> Response:
        detail, binary = self._package(request)
        return _json(package_json(detail, binary))

    async def srcpkg(self, request: Request) -> Response:
        branch, name = self._branch(request), request.path_params["name"]
        found = self.detail.source_package(branch, name)
        if found is None:
            raise _fail(404)
        return _json(package_json(*found))

    async def files(self, request: Request) -> Response:
        detail, binary = self._package(request)
        rows = sorted(detail.files(binary.name), key=lambda g: "/".join(g.filenames))
        return _json({"files": [_file_json(g) for g in rows], "repo": detail.repo.kind})

    async def changelog(self, request: Request) -> Response:
        detail, _ = self._package(request)
        entries = [_changelog_json(entry) for entry in detail.changelog]
        return _json({"changelogs": entries, "repo": detail.repo.kind})

    async def reverse(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            raise _fail(404)
        branch, name = request.path_params["branch"], request.path_params["name"]
        hits = self.detail.dependents(branch, kind, name)
        if not hits:  # mdapi turns every failure of a reverse lookup into a 400
            raise _fail(400)
        return _json([package_json(detail, binary) for detail, binary in hits])

    def _branch(self, request: Request) -> str:
        branch: str = request.path_params["branch"]
        if self.detail.repos(branch) is None:
            raise _fail(400)
        return branch

    def _package(self, request: Request) -> tuple[PackageDetail, Binary]:
        branch = self._branch(request)
        found = self.detail.package(branch, request.path_params["name"])
        if found is None:
            raise _fail(404)
        return found


async def _error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = exc.headers if isinstance(exc, HTTPException) else None
    phrase = _PHRASES.get(status, "Internal Server Error")
    return PlainTextResponse(f"{status}: {phrase}", status_code=status, headers=headers)


class _Cors:
    """``Access-Control-Allow-Origin: *`` on every answer, as mdapi's middleware adds it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-allow-methods", b"GET"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)


def create_app(world: World) -> Starlette:
    """mdapi over ``world``: mount it at ``/mdapi`` (or serve it at a root)."""
    api = _Mdapi(world)
    routes = [
        Route("/", api.index, methods=["GET"]),
        Route("/branches", api.branches, methods=["GET"]),
        Route("/{branch}/pkg/{name:path}", api.pkg, methods=["GET"]),
        Route("/{branch}/srcpkg/{name:path}", api.srcpkg, methods=["GET"]),
        Route("/{branch}/files/{name:path}", api.files, methods=["GET"]),
        Route("/{branch}/changelog/{name:path}", api.changelog, methods=["GET"]),
        Route("/{branch}/{kind}/{name:path}", api.reverse, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _error})
    app.add_middleware(_Cors)
    return app
