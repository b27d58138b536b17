"""The update resources: ``GET /updates/`` (a query) and ``GET /updates/{alias}``.

An update id that names a package redirects to that package's updates, as bodhi
does.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from simulator.formats.bodhi import update_json
from simulator.upstreams.bodhi.index import UpdateIndex
from simulator.upstreams.bodhi.negotiation import accepted
from simulator.upstreams.bodhi.pages import update_page, updates_page
from simulator.upstreams.bodhi.paging import page_count
from simulator.upstreams.bodhi.params import Params, cornice_error
from simulator.upstreams.bodhi.query import parse_update_query, run_update_query
from simulator.upstreams.bodhi.responses import error_response, not_acceptable, render
from simulator.world import World

__all__ = ["routes"]


def routes(world: World) -> list[Route]:
    """``GET /updates/`` and ``GET /updates/{ident}`` over ``world``."""
    index = UpdateIndex(world)

    async def list_updates(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return not_acceptable()
        params = Params(request)
        query = parse_update_query(world, params)
        if params.errors:
            return error_response(request, kind, params.errors)
        updates, total = run_update_query(index, query)
        rendered = [update_json(world, update) for update in updates]
        body = {
            "updates": rendered,
            "page": query.page,
            "pages": page_count(total, query.rows_per_page),
            "rows_per_page": query.rows_per_page,
            "total": total,
            "chrome": query.chrome,
            "display_user": query.display_user,
            "display_request": True,
            "package": query.packages[0] if query.packages else None,
        }
        base = str(request.base_url)
        return render(request, kind, body, lambda: updates_page(base, rendered, body))

    async def get_update(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return not_acceptable()
        ident = request.path_params["ident"]
        update = world.updates.get(ident)
        if update is not None:
            rendered = update_json(world, update)
            body = {"update": rendered, "can_edit": False, "ci_allowed": False}
            return render(request, kind, body, lambda: update_page(rendered))
        if ident in world.packages:
            location = f"{request.base_url}updates/?{urlencode({'packages': ident})}"
            return RedirectResponse(location, status_code=302)
        return error_response(request, kind, [cornice_error("url", "id", "Invalid update id")], 404)

    return [
        Route("/updates/", list_updates, methods=["GET"]),
        Route("/updates/{ident}", get_update, methods=["GET"]),
    ]
