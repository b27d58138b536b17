"""Responses in the negotiated kind: JSON, JSONP or HTML, and cornice's errors.

Errors are cornice's ``{"status": "error", "errors": [{"location", "name",
"description"}]}``; a request whose ``Accept`` nothing fits gets a 406.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from simulator.upstreams.bodhi.negotiation import OFFERS
from simulator.upstreams.bodhi.pages import html_page
from simulator.upstreams.bodhi.params import ErrorList, cornice_error

__all__ = ["JSONResponse", "error_response", "not_acceptable", "render"]

_JSONP_CALLBACK = re.compile(r"[$A-Za-z_][$\w.\[\]]*")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def render(
    request: Request, kind: str, payload: Any, page: Callable[[], str], status: int = 200
) -> Response:
    if kind == "html":
        return HTMLResponse(page(), status_code=status)
    if kind == "jsonp":
        callback = request.query_params.get("callback")
        if callback is not None:
            if not _JSONP_CALLBACK.fullmatch(callback):
                return HTMLResponse(
                    html_page("400 Bad Request", "<p>Invalid JSONP callback function name.</p>"),
                    status_code=400,
                )
            text = f"/**/{callback}({orjson.dumps(payload).decode()});"
            return Response(text, status_code=status, media_type="application/javascript")
    return JSONResponse(payload, status_code=status)


def error_response(request: Request, kind: str, errors: ErrorList, status: int = 400) -> Response:
    def page() -> str:
        items = "".join(
            f"<li>{html.escape(e['name'])}: {html.escape(e['description'])}</li>" for e in errors
        )
        return html_page(f"{status} Error", f"<ul>{items}</ul>")

    return render(request, kind, {"status": "error", "errors": errors}, page, status)


def not_acceptable() -> Response:
    offers = [offer for offer, _ in OFFERS]
    description = f"Accept header should be one of {offers}"
    return JSONResponse(
        {"status": "error", "errors": [cornice_error("header", "Accept", description)]},
        status_code=406,
    )
