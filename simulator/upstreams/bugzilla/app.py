"""The Bugzilla app: routes under ``/rest`` and errors in Bugzilla's shape."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.upstreams.bugzilla.api import DEFAULT_SEARCH_LIMIT, MAX_SEARCH_RESULTS, BugzillaAPI
from simulator.upstreams.bugzilla.errors import BugzillaError
from simulator.upstreams.bugzilla.responses import error_response
from simulator.world import World

__all__ = ["create_app"]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        error = BugzillaError(410, "You must log in before using this part of Bugzilla.", 401)
    else:
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        resource = path.removeprefix("/rest")
        error = BugzillaError(
            32614, f"A REST API resource was not found for '{request.method} {resource}'.", 404
        )
    return error_response(error)


async def _bugzilla_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BugzillaError)
    return error_response(exc)


def create_app(
    world: World,
    *,
    default_limit: int = DEFAULT_SEARCH_LIMIT,
    max_results: int = MAX_SEARCH_RESULTS,
) -> Starlette:
    """Red Hat Bugzilla's REST API over ``world``: mount it at ``/bugzilla``."""
    api = BugzillaAPI(world, default_limit, max_results)
    routes = [
        Route("/rest/version", api.version, methods=["GET"]),
        Route("/rest/bug", api.search, methods=["GET", "POST"]),
        Route("/rest/bug/{bug_id}", api.bug, methods=["GET", "PUT"]),
        Route("/rest/bug/{bug_id}/comment", api.comments, methods=["GET"]),
        Route("/rest/product/get", api.product, methods=["GET"]),
        Route("/rest/product", api.product, methods=["GET"]),
        Route("/rest/product/{name}", api.product, methods=["GET"]),
        Route("/rest/product_accessible", api.product_ids, methods=["GET"]),
        Route("/rest/product_enterable", api.product_ids, methods=["GET"]),
        Route("/rest/product_selectable", api.product_ids, methods=["GET"]),
    ]
    handlers = {HTTPException: _http_error, BugzillaError: _bugzilla_error}
    return Starlette(routes=routes, exception_handlers=handlers)
