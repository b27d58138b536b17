"""The ASGI app of the hub: ``POST`` an XML-RPC call, get koji's answer and header."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.upstreams.koji.exports import KOJI_VERSION
from simulator.upstreams.koji.hub import KojiHub
from simulator.world import World

__all__ = ["create_app"]

_HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_NOT_POST = "Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted."


def create_app(world: World) -> Starlette:
    """The koji hub, answering at its own ``/`` (mounted as ``/kojihub``)."""
    hub = KojiHub(world)
    headers = {"Koji-Version": KOJI_VERSION}

    async def kojihub(request: Request) -> Response:
        if request.method != "POST":
            return Response(
                _NOT_POST,
                status_code=405,
                media_type="text/plain",
                headers={**headers, "Allow": "POST"},
            )
        encode = hub.answer(await request.body())
        payload = await run_in_threadpool(encode)
        return Response(payload, headers={**headers, "Content-Type": "text/xml"})

    return Starlette(routes=[Route("/", kojihub, methods=_HTTP_METHODS)])
