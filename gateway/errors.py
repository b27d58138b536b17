"""What the gateway tells clients when something fails, with stable ``extensions.code`` values.

Every error a client sees carries one of these codes, so frontends can branch on
them without parsing messages::

    BAD_USER_INPUT         an argument out of range or malformed (a cursor, ``first``)
    UPSTREAM_UNAVAILABLE   an upstream did not answer (timeout, 5xx, 429) after retries
    UPSTREAM_BAD_RESPONSE  an upstream answered something we cannot read
    UPSTREAM_ERROR         an upstream refused the request
    INTERNAL_SERVER_ERROR  a fault of the gateway itself; the details go to the log

Upstream failures fail only the fields that needed that upstream: the rest of the
response is served, and a list never turns into an empty one.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from clients import UpstreamBadResponse, UpstreamError, UpstreamUnavailable

BAD_USER_INPUT = "BAD_USER_INPUT"
UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
UPSTREAM_BAD_RESPONSE = "UPSTREAM_BAD_RESPONSE"
UPSTREAM_ERROR = "UPSTREAM_ERROR"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class GatewayError(GraphQLError):
    """A GraphQL error with a stable code."""

    code = INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadInputError(GatewayError):
    """An argument the gateway cannot accept."""

    code = BAD_USER_INPUT


def upstream_code(error: UpstreamError) -> str:
    """The code of a client error."""
    if isinstance(error, UpstreamUnavailable):
        return UPSTREAM_UNAVAILABLE
    if isinstance(error, UpstreamBadResponse):
        return UPSTREAM_BAD_RESPONSE
    return UPSTREAM_ERROR


def upstream_extensions(error: UpstreamError) -> dict[str, Any]:
    """What a client learns of an upstream failure: its code and which upstream."""
    return {"code": upstream_code(error), "upstream": error.upstream}


def upstream_message(error: UpstreamError) -> str:
    return f"{error.upstream} failed: {error.message}"
