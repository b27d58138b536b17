"""Where the limits keep state, opened for the gateway's lifespan: the persisted documents
and the rate buckets, in Redis with ``GATEWAY_REDIS_URL``, else in process memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.limits.persisted import (
    DocumentStore,
    MemoryDocuments,
    PersistedQueries,
    RedisDocuments,
    load_safelist,
)
from gateway.limits.rate import Buckets, MemoryBuckets, RedisBuckets

if TYPE_CHECKING:
    from gateway.settings import Settings

__all__ = ["LimitStores", "open_stores"]


@dataclass(frozen=True, slots=True)
class LimitStores:
    """The persisted documents, and the rate buckets when rate limiting is on."""

    persisted: PersistedQueries
    buckets: Buckets | None = None


@asynccontextmanager
async def open_stores(settings: Settings) -> AsyncIterator[LimitStores]:
    """The stores the settings ask for; raises ``ValueError`` for a bad safelist."""
    if settings.persisted_documents_only and settings.persisted_documents is None:
        raise ValueError("GATEWAY_PERSISTED_DOCUMENTS_ONLY needs GATEWAY_PERSISTED_DOCUMENTS")
    safelist = load_safelist(settings.persisted_documents) if settings.persisted_documents else {}
    rate = settings.rate_limit_points_per_s
    client = None
    if settings.redis_url and (settings.apq or rate):
        from gateway.backends import redis_client

        # a Redis that does not answer costs an operation at most this long: they pass
        client = redis_client(settings.redis_url, timeout_s=settings.redis_timeout_s)
    try:
        store: DocumentStore | None = None
        if settings.apq:
            store = (
                RedisDocuments(client, ttl_s=settings.apq_ttl_s)
                if client is not None
                else MemoryDocuments(max_bytes=settings.apq_bytes)
            )
        buckets: Buckets | None = None
        if rate:
            capacity = settings.rate_limit_burst
            buckets = (
                RedisBuckets(client, rate=rate, capacity=capacity)
                if client is not None
                else MemoryBuckets(rate=rate, capacity=capacity)
            )
        persisted = PersistedQueries(store, safelist, only=settings.persisted_documents_only)
        yield LimitStores(persisted, buckets)
    finally:
        if client is not None:
            await client.aclose()
