"""The typed context of one GraphQL operation: its dataloaders and its request."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from gateway.resolvers.cached import CacheStats
from gateway.resolvers.loaders import Loaders


@dataclass
class Context:
    loaders: Loaders
    cache: CacheStats = field(default_factory=CacheStats)
    request: Request | WebSocket | None = None
    response: Response | None = None
    extensions: dict[str, object] = field(default_factory=dict)


Info = strawberry.Info[Context, None]
