"""The schema, assembled once: the Query root and the execution extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache

from gateway.schema.extensions import ErrorCodes
from gateway.schema.query import Query


def build_schema() -> strawberry.Schema:
    extensions: list[Any] = [
        ParserCache(maxsize=1024),
        ValidationCache(maxsize=1024),
        QueryDepthLimiter(max_depth=12),
        MaxTokensLimiter(max_token_count=5000),
        ErrorCodes,
    ]
    return strawberry.Schema(query=Query, extensions=extensions)
