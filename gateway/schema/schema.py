"""The schema, assembled once: the Query and Subscription roots and the execution extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache

from gateway.schema.extensions import CacheReport, ErrorCodes
from gateway.schema.query import Query
from gateway.schema.subscription import Subscription


def build_schema() -> strawberry.Schema:
    # factories: a fresh extension per operation; the parse and validation caches
    # themselves are module-level LRUs that every instance shares
    extensions: list[Any] = [
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxTokensLimiter(max_token_count=5000),
        ErrorCodes,
        CacheReport,
    ]
    return strawberry.Schema(query=Query, subscription=Subscription, extensions=extensions)
