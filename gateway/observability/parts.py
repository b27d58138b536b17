"""The live parts of a gateway that readiness and the scrape-time metrics look at."""

from __future__ import annotations

from typing import Protocol

from clients import Upstreams
from gateway.invalidation.feed import ChangeFeed
from gateway.invalidation.store import FieldCache
from gateway.resolvers.cached import FieldReads
from gateway.responses import ResponseCache
from gateway.search.service import PackageSearch
from gateway.subscriptions.hub import Hub

__all__ = ["GatewayParts"]


class GatewayParts(Protocol):
    """What a gateway holds while its lifespan runs (each ``None`` before and after)."""

    upstreams: Upstreams | None
    cache: FieldCache | None
    reads: FieldReads | None
    responses: ResponseCache | None
    feed: ChangeFeed | None
    hub: Hub | None
    search: PackageSearch | None
