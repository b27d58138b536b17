"""The two GraphQL-over-WebSocket subprotocols: their message names and close codes.

``graphql-transport-ws`` is the protocol of the ``graphql-ws`` library (the one browsers
and GraphiQL speak today); ``graphql-ws`` is the older protocol of Apollo's
``subscriptions-transport-ws``, kept for the clients that still speak it (gql's
``WebsocketsTransport`` by default, older Apollo clients). They differ in names and in a
few rules, and share everything else; a :class:`Dialect` holds the differences.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["DIALECTS", "GRAPHQL_TRANSPORT_WS", "GRAPHQL_WS", "Close", "Dialect", "negotiate"]


class Close(enum.IntEnum):
    """Close codes, as graphql-transport-ws defines them (and 1009 from RFC 6455)."""

    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    INIT_TIMEOUT = 4408
    SUBSCRIBER_EXISTS = 4409
    TOO_MANY_INITIALISATION_REQUESTS = 4429
    MESSAGE_TOO_BIG = 1009


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one subprotocol names things."""

    name: str
    subscribe: str
    stop: str
    next: str
    #: Client messages that close the connection gracefully.
    terminate: str | None
    #: graphql-transport-ws carries a list of errors in ``error``; the legacy protocol one.
    error_list: bool
    #: The legacy protocol keeps connections open with periodic ``ka`` messages.
    keep_alive: str | None
    #: The legacy protocol answers a refused ``connection_init`` with this message.
    connection_error: str | None


GRAPHQL_TRANSPORT_WS = Dialect(
    name="graphql-transport-ws",
    subscribe="subscribe",
    stop="complete",
    next="next",
    terminate=None,
    error_list=True,
    keep_alive=None,
    connection_error=None,
)

GRAPHQL_WS = Dialect(
    name="graphql-ws",
    subscribe="start",
    stop="stop",
    next="data",
    terminate="connection_terminate",
    error_list=False,
    keep_alive="ka",
    connection_error="connection_error",
)

#: Preferred first.
DIALECTS = (GRAPHQL_TRANSPORT_WS, GRAPHQL_WS)


def negotiate(offered: list[str]) -> Dialect | None:
    """The dialect to speak among the subprotocols a client offered, preferring the newer."""
    for dialect in DIALECTS:
        if dialect.name in offered:
            return dialect
    return None
