"""Extensions around execution: stable error codes, and the internals they hide."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from clients import UpstreamError
from gateway.errors import (
    INTERNAL_SERVER_ERROR,
    upstream_extensions,
    upstream_message,
)

log = logging.getLogger(__name__)


class ErrorCodes(SchemaExtension):
    """Give every error an ``extensions.code``; mask what is not meant for clients.

    An upstream failure becomes ``UPSTREAM_*`` with the upstream's name; an error
    the gateway raised on purpose keeps its code; anything else is a fault of ours,
    logged in full and shown as ``INTERNAL_SERVER_ERROR``.
    """

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [self._coded(error) for error in result.errors]

    def _coded(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            if error.extensions and "code" in error.extensions:
                return error
            code = (original.extensions or {}).get("code") if original else None
            return _with(error, error.message, {"code": code or "GRAPHQL_VALIDATION_FAILED"})
        if isinstance(original, UpstreamError):
            return _with(error, upstream_message(original), upstream_extensions(original))
        log.error("internal error at %s", error.path, exc_info=original)
        return _with(error, "Internal server error", {"code": INTERNAL_SERVER_ERROR})


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), **extensions},
    )


class CacheReport(SchemaExtension):
    """``extensions.cache = {hits, misses, stale}``: the field-cache reads of the operation."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        stats = getattr(context, "cache", None)
        return {"cache": stats.as_dict()} if stats is not None else {}
