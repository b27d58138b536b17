"""A request the gateway refuses before running it, and the JSON answer that says why.

GraphQL-level refusals (a document over a limit, an unknown persisted query) are GraphQL
errors in a normal ``200`` answer, as the GraphQL-over-HTTP spec asks for
``application/json``. A refusal of the HTTP request itself — a body too large, a media type
the endpoint does not take, a mutation sent with GET, a spent rate budget — has its own
status, and still a GraphQL body, ``{"errors": [{"message", "extensions": {"code"}}]}``,
so a client reads every failure the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.responses import Response

from gateway.errors import (
    BAD_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
)

__all__ = ["Refusal", "coded", "refusal_response"]

#: The code of a refusal strawberry's view raised (without one), by its HTTP status.
_CODES = {400: BAD_REQUEST, 404: NOT_FOUND, 405: METHOD_NOT_ALLOWED}


def coded(code: str, message: str, **extensions: Any) -> GraphQLError:
    """A GraphQL error with ``extensions.code``."""
    return GraphQLError(message, extensions={"code": code, **extensions})


class Refusal(HTTPException):
    """The HTTP request is refused with ``status``, ``code`` and extra response headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, message)
        self.code = code
        self.headers = dict(headers or {})


def refusal_response(error: HTTPException) -> Response:
    """The JSON answer to a refused request (ours, or one strawberry's view raised)."""
    if isinstance(error, Refusal):
        code, headers = error.code, error.headers
    else:
        code, headers = _CODES.get(error.status_code, BAD_REQUEST), {}
    body = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
    return Response(
        orjson.dumps(body),
        status_code=error.status_code,
        headers=headers,
        media_type="application/json",
    )
