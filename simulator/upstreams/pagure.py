"""The simulated src.fedoraproject.org: Pagure's API over the world's dist-git projects.

Served under ``/pagure`` as ``https://src.fedoraproject.org`` serves it. Every package
of the world is the ``rpms/<name>`` project (``Pagure/pagure:pagure/api/project.py``):

- ``GET /api/0/rpms/<name>`` (``?expand_group=1`` adds ``group_details``),
  ``/api/0/rpms/<name>/contributors`` and ``/api/0/rpms/<name>/git/branches``;
- ``GET /api/0/projects`` with ``namespace``, ``owner`` (``!name`` negates),
  ``username``, ``pattern`` (``*`` globs), ``short``, ``fork``, ``tags``, ``page`` and
  ``per_page`` (1..100), and Pagure's ``pagination`` block of absolute links;
- ``GET /api/0/user/<username>``: the user and the projects they can commit to;
- ``GET /extras/pagure_owner_alias.json`` and ``/extras/pagure_poc.json``, the
  cron-generated ownership files.

Errors are Pagure's ``{"error": <message>, "error_code": <code>}``, e.g. a 404
``{"error": "Project not found", "error_code": "ENOPROJECT"}``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.catalog.model import Build, Package, Release
from simulator.formats.pagure import (
    NAMESPACE,
    access_groups,
    access_users,
    maintainers,
    project_json,
    user_json,
)
from simulator.world import World

__all__ = ["APIError", "create_app"]

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
ORPHAN = "orphan"

#: Pagure's ``APIERROR`` messages for the codes this API answers with.
ERRORS = {
    "ENOPROJECT": "Project not found",
    "ENOUSER": "No such user found",
    "EINVALIDREQ": "Invalid or incomplete input submitted",
    "EINVALIDPERPAGEVALUE": "The per_page value must be between 1 and 100",
}


class APIError(Exception):
    """An API call that fails the way Pagure's ``APIError`` does."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(ERRORS[code])
        self.status = status
        self.code = code

    def response(self) -> Response:
        return JSONResponse(
            {"error": ERRORS[self.code], "error_code": self.code}, status_code=self.status
        )


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _is_true(value: str | None) -> bool:
    """``pagure.utils.is_true``."""
    return value is not None and value.lower() in ("true", "1")


def _integer(raw: str | None, default: int) -> int:
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise APIError(400, "EINVALIDREQ") from None
    return value


def page_and_per_page(request: Request, key_page: str = "page") -> tuple[int, int]:
    """``get_page`` and ``get_per_page`` of ``pagure/api/__init__.py``."""
    page = _integer(request.query_params.get(key_page), 1)
    if page < 1:
        raise APIError(400, "EINVALIDREQ")
    per_page = _integer(request.query_params.get("per_page"), DEFAULT_PER_PAGE)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise APIError(400, "EINVALIDPERPAGEVALUE")
    return page, per_page


def pagination(
    request: Request, page: int, per_page: int, total: int, key_page: str = "page"
) -> dict[str, Any]:
    """``get_pagination_metadata``: the page, the number of pages and absolute links."""
    pages = math.ceil(total / per_page)
    others = {
        key: value
        for key, value in request.query_params.items()
        if key not in (key_page, "per_page") and not key.startswith("_")
    }

    def link(number: int) -> str:
        query = urlencode({"per_page": per_page, **others, key_page: number})
        return f"{request.url.replace(query='')}?{query}"

    return {
        key_page: page,
        "pages": pages,
        "per_page": per_page,
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
        "first": link(1),
        "last": link(pages),
    }


def _window(items: list[Any], page: int, per_page: int) -> list[Any]:
    start = (page - 1) * per_page
    return items[start : start + per_page]


# -- projects ------------------------------------------------------------------------------


def _has_commit(package: Package, username: str) -> bool:
    """Whether ``username`` can commit to the package (owner, admin or committer)."""
    return username in (package.owner, *package.admins, *package.committers)


def _glob(pattern: str) -> Callable[[str], bool]:
    """Pagure's ``pattern``: ``*`` is any run of characters (case-insensitive), else exact."""
    if "*" not in pattern:
        return lambda name: name == pattern
    regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE)
    return lambda name: regex.fullmatch(name) is not None


def _project_filters(request: Request) -> list[Callable[[Package], bool]] | None:
    """The filters of ``GET /api/0/projects``; None when nothing can match."""
    params = request.query_params
    namespace = params.get("namespace")
    fork = params.get("fork")
    if (namespace and namespace != NAMESPACE) or _is_true(fork) or params.getlist("tags"):
        return None  # dist-git has no such projects: only rpms/, no forks, no project tags
    keep: list[Callable[[Package], bool]] = []
    owner = params.get("owner")
    if owner:
        if owner.startswith("!"):
            keep.append(lambda p: p.owner != owner[1:])
        else:
            keep.append(lambda p: p.owner == owner)
    username = params.get("username")
    if username:
        keep.append(lambda p: _has_commit(p, username))
    pattern = params.get("pattern")
    if pattern:
        matches = _glob(pattern)
        keep.append(lambda p: matches(p.name))
    return keep


def _short(package: Package) -> dict[str, Any]:
    return {
        "name": package.name,
        "namespace": NAMESPACE,
        "fullname": f"{NAMESPACE}/{package.name}",
        "description": package.summary,
    }


def _group_members(world: World, groups: Iterable[str]) -> dict[str, list[str]]:
    """The members of each group: everyone who maintains a package the group maintains."""
    wanted = set(groups)
    members: dict[str, set[str]] = {group: set() for group in wanted}
    for package in world.packages.values():
        for group in wanted.intersection(package.groups):
            members[group].update(name for name in maintainers(package) if name != ORPHAN)
    return {group: sorted(names) for group, names in sorted(members.items())}


def contributors(package: Package) -> dict[str, Any]:
    """``GET /api/0/<ns>/<repo>/contributors``: users and groups per access level."""
    users = access_users(package)
    groups = access_groups(package)
    return {
        "users": {
            "admin": sorted({*users["owner"], *users["admin"]}),
            "commit": users["commit"],
            "collaborators": [],
            "ticket": users["ticket"],
        },
        "groups": {
            "admin": groups["admin"],
            "commit": groups["commit"],
            "collaborators": [],
            "ticket": groups["ticket"],
        },
    }


# -- git branches --------------------------------------------------------------------------


def _branches(world: World, package: Package) -> list[str]:
    """``rawhide`` and the branch of each active release the package lives in."""
    branches = [
        release.branch
        for release in world.active_releases()
        if not release.is_rawhide and world.latest_tagged(release.dist_tag, package.id)
    ]
    return sorted(["rawhide", *branches])


def _head(world: World, package: Package, release: Release) -> Build | None:
    """The newest build from the branch: its commit is the branch's head."""
    builds = world.builds_by_package.get(package.id, [])
    suffix = f".{release.disttag_suffix}"
    if release.is_rawhide:
        made = [b for b in builds if b.target == "rawhide" or b.target.endswith("-rebuild")]
    else:
        made = [b for b in builds if b.release.endswith(suffix)]
    if made:
        return max(made, key=lambda b: b.id)
    return world.latest_tagged(release.dist_tag, package.id)


def _branch_heads(world: World, package: Package, branches: list[str]) -> dict[str, str | None]:
    by_branch = {release.branch: release for release in world.releases.values()}
    heads: dict[str, str | None] = {}
    for branch in branches:
        release = by_branch.get(branch)
        head = _head(world, package, release) if release is not None else None
        heads[branch] = head.commit if head is not None else None
    return heads


# -- the ownership files -------------------------------------------------------------------


def owner_alias(world: World) -> dict[str, Any]:
    """``pagure_owner_alias.json``: every package's users with commit access, owner first."""
    rpms = {name: maintainers(package) for name, package in sorted(world.packages.items())}
    return {"rpms": rpms, "modules": {}, "container": {}, "flatpaks": {}, "tests": {}}


def points_of_contact(world: World) -> dict[str, Any]:
    """``pagure_poc.json``: the point of contact (the owner) per package and product."""
    return {
        "rpms": {
            name: {"fedora": package.owner, "epel": package.owner}
            for name, package in sorted(world.packages.items())
        },
        "modules": {},
        "container": {},
        "flatpaks": {},
    }


# -- the app -------------------------------------------------------------------------------


def create_app(world: World) -> Starlette:
    """The dist-git API over ``world``, to be mounted at ``/pagure``."""
    sorted_names: list[str] = []

    def names() -> list[str]:
        if len(sorted_names) != len(world.packages):
            sorted_names[:] = sorted(world.packages)
        return sorted_names

    def project(request: Request) -> Package:
        """The package of ``/api/0/rpms/<repo>``; dist-git has no project outside ``rpms/``."""
        package = world.packages.get(request.path_params["repo"])
        if request.path_params.get("namespace") != NAMESPACE or package is None:
            raise APIError(404, "ENOPROJECT")
        return package

    def known_user(username: str) -> bool:
        return username in world.users or username == ORPHAN

    async def get_project(request: Request) -> Response:
        package = project(request)
        output = project_json(world, package)
        if _is_true(request.query_params.get("expand_group")):
            output["group_details"] = _group_members(world, package.groups)
        return JSONResponse(output)

    async def get_contributors(request: Request) -> Response:
        return JSONResponse(contributors(project(request)))

    async def get_branches(request: Request) -> Response:
        package = project(request)
        branches = _branches(world, package)
        if _is_true(request.query_params.get("with_commits")):
            heads = _branch_heads(world, package, branches)
            return JSONResponse(
                {
                    "total_branches": len(branches),
                    "branches": heads,
                    "default": {"rawhide": heads["rawhide"]},
                }
            )
        return JSONResponse(
            {"total_branches": len(branches), "branches": branches, "default": "rawhide"}
        )

    async def list_projects(request: Request) -> Response:
        page, per_page = page_and_per_page(request)
        keep = _project_filters(request)
        packages = (
            []
            if keep is None
            else [
                world.packages[name]
                for name in names()
                if all(test(world.packages[name]) for test in keep)
            ]
        )
        short = _is_true(request.query_params.get("short"))
        shown = _window(packages, page, per_page)
        params = request.query_params
        fork = params.get("fork")
        return JSONResponse(
            {
                "total_projects": len(packages),
                "projects": [_short(p) if short else project_json(world, p) for p in shown],
                "args": {
                    "tags": params.getlist("tags"),
                    "username": params.get("username"),
                    "fork": None if fork is None else _is_true(fork),
                    "pattern": params.get("pattern"),
                    "namespace": params.get("namespace"),
                    "owner": params.get("owner"),
                    "short": short,
                    "page": page,
                    "per_page": per_page,
                },
                "pagination": pagination(request, page, per_page, len(packages)),
            }
        )

    async def get_user(request: Request) -> Response:
        username = request.path_params["username"]
        if not known_user(username):
            raise APIError(404, "ENOUSER")
        repopage, per_page = page_and_per_page(request, "repopage")
        forkpage, _ = page_and_per_page(request, "forkpage")
        repos = [
            world.packages[name] for name in names() if _has_commit(world.packages[name], username)
        ]
        return JSONResponse(
            {
                "user": user_json(world, username),
                "repos": [project_json(world, p) for p in _window(repos, repopage, per_page)],
                "repos_pagination": pagination(request, repopage, per_page, len(repos), "repopage"),
                "forks": [],
                "forks_pagination": pagination(request, forkpage, per_page, 0, "forkpage"),
            }
        )

    async def get_owner_alias(request: Request) -> Response:
        return JSONResponse(owner_alias(world))

    async def get_poc(request: Request) -> Response:
        return JSONResponse(points_of_contact(world))

    async def api_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, APIError):
            return exc.response()
        raise exc

    return Starlette(
        routes=[
            Route("/api/0/projects", list_projects, methods=["GET"]),
            Route("/api/0/user/{username}", get_user, methods=["GET"]),
            Route("/api/0/{namespace}/{repo}/contributors", get_contributors, methods=["GET"]),
            Route("/api/0/{namespace}/{repo}/git/branches", get_branches, methods=["GET"]),
            Route("/api/0/{namespace}/{repo}", get_project, methods=["GET"]),
            Route("/api/0/{repo}", get_project, methods=["GET"]),
            Route("/extras/pagure_owner_alias.json", get_owner_alias, methods=["GET"]),
            Route("/extras/pagure_poc.json", get_poc, methods=["GET"]),
        ],
        exception_handlers={APIError: api_error},
    )
