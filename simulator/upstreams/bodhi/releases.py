"""The release resources: ``GET /releases/`` with its filters, ``GET /releases/{name}``."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.catalog.model import Release
from simulator.formats.bodhi import release_id, release_json
from simulator.upstreams.bodhi.enums import (
    DEFAULT_ROWS_PER_PAGE,
    MAX_ROWS_PER_PAGE,
    RELEASE_STATES,
)
from simulator.upstreams.bodhi.negotiation import accepted
from simulator.upstreams.bodhi.pages import releases_page
from simulator.upstreams.bodhi.paging import page_count, paged
from simulator.upstreams.bodhi.params import Params, cornice_error
from simulator.upstreams.bodhi.patterns import like_pattern
from simulator.upstreams.bodhi.responses import error_response, not_acceptable, render
from simulator.upstreams.bodhi.validators import check_known
from simulator.world import World

__all__ = ["routes"]


def _release_filters(world: World, params: Params) -> list[Callable[[Release], bool]] | None:
    """``GET /releases/``'s filters, or None when a parameter was refused."""
    ids = params.integers("ids")
    name = params.text("name")
    aliases = params.items("updates")
    packages = params.items("packages")
    states = params.choices("state", RELEASE_STATES)
    exclude_archived = params.flag("exclude_archived")
    if params.errors:
        return None
    check_known(params, "updates", "updates", aliases, world.updates.__contains__)
    check_known(params, "packages", "packages", packages, world.packages.__contains__)
    if params.errors:
        return None
    keep: list[Callable[[Release], bool]] = []
    if ids is not None:
        keep.append(lambda r: release_id(r) in ids)
    if name is not None:
        pattern = like_pattern(name)
        keep.append(lambda r: bool(pattern.fullmatch(r.name)))
    if aliases is not None:
        used = {world.updates[alias].release for alias in aliases}
        keep.append(lambda r: r.name in used)
    if packages is not None:
        of_packages = {
            u.release for name in packages for u in world.updates_by_package.get(name, ())
        }
        keep.append(lambda r: r.name in of_packages)
    if exclude_archived:
        keep.append(lambda r: r.state != "archived")
    if states is not None:
        keep.append(lambda r: r.state in states)
    return keep


def routes(world: World) -> list[Route]:
    """``GET /releases/`` and ``GET /releases/{name}`` over ``world``."""

    async def list_releases(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return not_acceptable()
        params = Params(request)
        page = params.integer("page", 1, 1)
        rows_per_page = params.integer("rows_per_page", DEFAULT_ROWS_PER_PAGE, 1, MAX_ROWS_PER_PAGE)
        keep = _release_filters(world, params)
        if keep is None:
            return error_response(request, kind, params.errors)
        matches = [
            r
            for r in sorted(world.releases.values(), key=lambda r: r.name)
            if all(test(r) for test in keep)
        ]
        rendered = [release_json(r) for r in paged(matches, page, rows_per_page)]
        body = {
            "releases": rendered,
            "page": page,
            "pages": page_count(len(matches), rows_per_page),
            "rows_per_page": rows_per_page,
            "total": len(matches),
        }
        return render(request, kind, body, lambda: releases_page(rendered))

    async def get_release(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return not_acceptable()
        release = world.releases.get(request.path_params["name"])
        if release is None:
            return error_response(
                request, kind, [cornice_error("body", "name", "No such release")], 404
            )
        rendered = release_json(release)
        return render(request, kind, rendered, lambda: releases_page([rendered]))

    return [
        Route("/releases/", list_releases, methods=["GET"]),
        Route("/releases/{name}", get_release, methods=["GET"]),
    ]
