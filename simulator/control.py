"""The simulator's control API under ``/_sim/``.

``POST /_sim/events`` performs one mutation of the world and answers what changed
and which bus messages it published: ``{"type": <kind>, "package": <name>, ...}``
with a kind of :data:`~simulator.mutations.ALL_KINDS` (``build``, ``build_failed``,
``update``, ``bug``, ``owner``, ``repo``, ``package``, ``retire``, ``describe``);
``package`` also reads ``summary``, ``description``, ``subpackages`` and ``owner``,
``retire`` reads ``branches`` and ``reason``, ``describe`` reads ``summary`` and
``description`` (one at least). The answer is ``{type, package, changed, message_ids,
topics}``; a malformed request or option is a 400, an unknown package a 404, a
mutation that cannot happen (a name that exists, a package already retired) a 409.
``GET /_sim/stats`` returns the request counts
per upstream and operation (``DELETE`` resets them); ``GET``/``POST /_sim/faults``
reads and sets latency and faults per upstream; ``GET /_sim/world`` describes the
world.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulator.mutations import ALL_KINDS, InvalidOptionsError, UnknownPackageError

if TYPE_CHECKING:
    from simulator.app import Simulation

_MAX_BODY = 64 * 1024


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_object(request: Request) -> dict[str, Any] | JSONResponse:
    body = await request.body()
    if len(body) > _MAX_BODY:
        return _error(413, "request body too large")
    try:
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError as exc:
        return _error(400, f"request body is not JSON: {exc}")
    if not isinstance(data, dict):
        return _error(400, "request body must be a JSON object")
    return data


def routes(simulation: Simulation) -> list[BaseRoute]:
    async def post_event(request: Request) -> Response:
        data = await _json_object(request)
        if isinstance(data, JSONResponse):
            return data
        kind, package = data.get("type"), data.get("package")
        if kind not in ALL_KINDS:
            return _error(400, f"type must be one of: {', '.join(ALL_KINDS)}")
        if not isinstance(package, str) or not package:
            return _error(400, "package must be a package name")
        options = {k: v for k, v in data.items() if k not in ("type", "package")}
        try:
            result = await simulation.mutator.apply(kind, package, options)
        except InvalidOptionsError as exc:
            return _error(400, str(exc))
        except UnknownPackageError as exc:
            return _error(404, str(exc))
        except ValueError as exc:
            return _error(409, str(exc))
        return JSONResponse(result.to_json())

    async def post_rebuild(request: Request) -> Response:
        # releng's mass rebuild: {"count": N} and/or {"packages": [names]}; 3 messages a build
        data = await _json_object(request)
        if isinstance(data, JSONResponse):
            return data
        count, packages = data.get("count"), data.get("packages")
        if set(data) - {"count", "packages"} or (count is None and packages is None):
            return _error(400, "give count (a positive integer) and/or packages (names)")
        if count is not None and (type(count) is not int or not 1 <= count <= 1_000_000):
            return _error(400, "count must be an integer from 1 to 1000000")
        if packages is not None and (
            not isinstance(packages, list)
            or not packages
            or not all(isinstance(name, str) and name for name in packages)
        ):
            return _error(400, "packages must be a non-empty list of package names")
        try:
            result = await simulation.mutator.mass_rebuild(count=count, packages=packages)
        except UnknownPackageError as exc:
            return _error(404, f"unknown package: {exc}")
        return JSONResponse(result.to_json())

    async def get_stats(request: Request) -> Response:
        return JSONResponse(simulation.stats.snapshot())

    async def reset_stats(request: Request) -> Response:
        simulation.stats.reset()
        return Response(status_code=204)

    async def get_faults(request: Request) -> Response:
        return JSONResponse(simulation.faults.snapshot())

    async def post_faults(request: Request) -> Response:
        data = await _json_object(request)
        if isinstance(data, JSONResponse):
            return data
        try:
            simulation.faults.update(data)
        except (TypeError, ValueError) as exc:
            return _error(400, str(exc))
        return JSONResponse(simulation.faults.snapshot())

    async def get_world(request: Request) -> Response:
        world = simulation.world
        return JSONResponse(
            {
                "seed": world.seed,
                "now": world.now,
                "sizes": world.stats(),
                "releases": [
                    {"name": r.name, "branch": r.branch, "state": r.state}
                    for r in sorted(world.releases.values(), key=lambda r: r.version)
                ],
            }
        )

    return [
        Route("/_sim/events", post_event, methods=["POST"]),
        Route("/_sim/rebuild", post_rebuild, methods=["POST"]),
        Route("/_sim/stats", get_stats, methods=["GET"]),
        Route("/_sim/stats", reset_stats, methods=["DELETE"]),
        Route("/_sim/faults", get_faults, methods=["GET"]),
        Route("/_sim/faults", post_faults, methods=["POST"]),
        Route("/_sim/world", get_world, methods=["GET"]),
    ]
