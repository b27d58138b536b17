"""Bugzilla's JSON answers, and the shape of its errors."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from simulator.upstreams.bugzilla.errors import BugzillaError

__all__ = ["DOCUMENTATION", "error_response", "json_response"]

DOCUMENTATION = "https://bugzilla.redhat.com/docs/en/html/api/index.html"


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def error_response(error: BugzillaError) -> Response:
    body = {
        "error": True,
        "code": error.code,
        "message": error.message,
        "documentation": DOCUMENTATION,
    }
    return json_response(body, error.status)
