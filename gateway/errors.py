"""What the gateway tells clients when something fails, with stable ``extensions.code`` values.

Every error a client sees carries one of these codes, so frontends can branch on
them without parsing messages::

    BAD_USER_INPUT         an argument out of range or malformed (a cursor, ``first``)
    UPSTREAM_UNAVAILABLE   an upstream did not answer (timeout, 5xx, 429) after retries,
                           or was not asked: its circuit breaker is open (clients.breaker)
    UPSTREAM_BAD_RESPONSE  an upstream answered something we cannot read
    UPSTREAM_ERROR         an upstream refused the request
    INTERNAL_SERVER_ERROR  a fault of the gateway itself; the details go to the log

Operations and requests refused by a limit (``gateway.limits``; README, "Limits")::

    GRAPHQL_PARSE_FAILED           the document is not GraphQL
    GRAPHQL_VALIDATION_FAILED      the document does not fit the schema
    MAX_TOKENS_EXCEEDED            the document has too many tokens
    MAX_DEPTH_EXCEEDED             object fields nested too deep
    MAX_ALIASES_EXCEEDED           too many aliases (fragments counted where spread)
    MAX_DIRECTIVES_EXCEEDED        too many directives
    QUERY_TOO_COMPLEX              the operation's cost is over the maximum
    INTROSPECTION_DISABLED         introspection is turned off
    EXECUTION_TIMEOUT              the operation ran out of time
    RATE_LIMITED                   the client's rate budget is spent (HTTP 429)
    PERSISTED_QUERY_NOT_FOUND      no document is known under that hash
    PERSISTED_QUERY_HASH_MISMATCH  a document sent with a hash that is not its own
    QUERY_NOT_IN_SAFELIST          only the persisted documents may run
    BAD_REQUEST                    the HTTP request is malformed (HTTP 400)
    TOO_MANY_OPERATIONS            a batch longer than allowed (HTTP 400)
    METHOD_NOT_ALLOWED             GET for anything but a query (HTTP 405)
    UNSUPPORTED_MEDIA_TYPE         a POST body that is not application/json (HTTP 415)
    REQUEST_TOO_LARGE              a body over the size limit (HTTP 413)
    NOT_FOUND                      GraphiQL asked for while it is off (HTTP 404)

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

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
MAX_TOKENS_EXCEEDED = "MAX_TOKENS_EXCEEDED"
MAX_DEPTH_EXCEEDED = "MAX_DEPTH_EXCEEDED"
MAX_ALIASES_EXCEEDED = "MAX_ALIASES_EXCEEDED"
MAX_DIRECTIVES_EXCEEDED = "MAX_DIRECTIVES_EXCEEDED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
EXECUTION_TIMEOUT = "EXECUTION_TIMEOUT"
RATE_LIMITED = "RATE_LIMITED"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
QUERY_NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST"
BAD_REQUEST = "BAD_REQUEST"
TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
NOT_FOUND = "NOT_FOUND"


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
