"""The buildroot override resources: ``GET /overrides/`` and ``GET /overrides/{nvr}``."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.catalog.model import Override
from simulator.formats.bodhi import override_json
from simulator.upstreams.bodhi.enums import DEFAULT_ROWS_PER_PAGE, MAX_ROWS_PER_PAGE
from simulator.upstreams.bodhi.negotiation import accepted
from simulator.upstreams.bodhi.pages import overrides_page
from simulator.upstreams.bodhi.paging import page_count, paged
from simulator.upstreams.bodhi.params import Params, cornice_error
from simulator.upstreams.bodhi.patterns import containing
from simulator.upstreams.bodhi.responses import error_response, not_acceptable, render
from simulator.upstreams.bodhi.validators import check_known, resolve_releases
from simulator.world import World

__all__ = ["routes"]


def _override_filters(world: World, params: Params) -> list[Callable[[Override], bool]] | None:
    """``GET /overrides/``'s filters, or None when a parameter was refused."""
    nvrs = params.items("builds")
    expired = params.flag("expired")
    packages = params.items("packages")
    releases = params.items("releases")
    users = params.items("user")
    like, search = params.text("like"), params.text("search")
    if params.errors:
        return None
    check_known(params, "packages", "packages", packages, world.packages.__contains__)
    chosen = resolve_releases(world, params, releases)
    check_known(params, "user", "users", users, world.users.__contains__)
    if params.errors:
        return None

    def nvr(override: Override) -> str:
        return world.builds[override.build_id].nvr

    keep: list[Callable[[Override], bool]] = []
    if expired is not None:
        keep.append(lambda o: (o.expired is not None) == expired)
    if nvrs is not None:
        keep.append(lambda o: nvr(o) in nvrs)
    if packages is not None:
        keep.append(lambda o: world.builds[o.build_id].name in packages)
    if chosen is not None:
        keep.append(lambda o: o.release in chosen)
    if like is not None:
        strict = containing(like)
        keep.append(lambda o: strict(nvr(o)))
    if search is not None:
        loose = containing(search, ignore_case=True)
        keep.append(lambda o: loose(nvr(o)))
    if users is not None:
        keep.append(lambda o: o.submitter in users)
    return keep


def _latest_override(world: World, nvr: str) -> Override | None:
    build = world.builds_by_nvr.get(nvr)
    if build is None:
        return None
    overrides = [o for o in world.overrides.values() if o.build_id == build.id]
    return max(overrides, key=lambda o: (o.submitted, o.id), default=None)


def routes(world: World) -> list[Route]:
    """``GET /overrides/`` and ``GET /overrides/{nvr}`` over ``world``."""

    async def list_overrides(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return not_acceptable()
        params = Params(request)
        page = params.integer("page", 1, 1)
        rows_per_page = params.integer("rows_per_page", DEFAULT_ROWS_PER_PAGE, 1, MAX_ROWS_PER_PAGE)
        chrome = params.flag("chrome", True) is not False
        display_user = params.flag("display_user", True) is not False
        keep = _override_filters(world, params)
        if keep is None:
            return error_response(request, kind, params.errors)
        newest = sorted(world.overrides.values(), key=lambda o: (-o.submitted, -o.id))
        matches = [o for o in newest if all(test(o) for test in keep)]
        rendered = [override_json(world, o) for o in paged(matches, page, rows_per_page)]
        body = {
            "overrides": rendered,
            "page": page,
            "pages": page_count(len(matches), rows_per_page),
            "rows_per_page": rows_per_page,
            "total": len(matches),
            "chrome": chrome,
            "display_user": display_user,
        }
        return render(request, kind, body, lambda: overrides_page(rendered))

    async def get_override(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return not_acceptable()
        nvr = request.path_params["nvr"]
        if nvr not in world.builds_by_nvr:
            return error_response(
                request, kind, [cornice_error("url", "nvr", "No such build")], 404
            )
        override = _latest_override(world, nvr)
        if override is None:
            errors = [cornice_error("url", "nvr", "No buildroot override for this build")]
            return error_response(request, kind, errors, 404)
        rendered = override_json(world, override)
        return render(request, kind, {"override": rendered}, lambda: overrides_page([rendered]))

    return [
        Route("/overrides/", list_overrides, methods=["GET"]),
        Route("/overrides/{nvr}", get_override, methods=["GET"]),
    ]
