"""The schema, assembled once: the Query and Subscription roots and the execution extensions."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.limits import DocumentLimits, Documents, LimitsExtension
from gateway.observability.requests import OperationRecorder
from gateway.schema.extensions import CacheReport, ErrorCodes
from gateway.schema.query import Query
from gateway.schema.subscription import Subscription


def build_schema(limits: DocumentLimits | None = None) -> strawberry.Schema:
    """The schema, its operations held to ``limits`` (by default, the default limits)."""
    # factories: a fresh extension per operation; the parse and validation caches
    # live in ``documents``, which every operation of the schema shares
    documents = Documents(limits or DocumentLimits())
    extensions: list[Any] = [
        lambda: LimitsExtension(documents),
        ErrorCodes,
        CacheReport,
        OperationRecorder,
    ]
    return strawberry.Schema(query=Query, subscription=Subscription, extensions=extensions)
