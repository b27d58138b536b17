"""The backends a process runs with, chosen by the settings: Redis or in-process memory for
the field cache, Elasticsearch or the embedded engine for search."""

from __future__ import annotations

import logging

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.invalidation.fallback import FallbackFieldCache
from gateway.invalidation.memory import MemoryFieldCache
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.invalidation.store import FieldCache
from gateway.search.embedded import EmbeddedSearchIndex
from gateway.search.port import SearchIndex
from gateway.settings import Settings

log = logging.getLogger(__name__)


#: Connections to Redis one process may hold; past that, commands wait for one to free up.
REDIS_CONNECTIONS = 64


def redis_client(url: str, *, timeout_s: float | None = None) -> Redis:
    """A client whose pool *waits* when all its connections are busy.

    A refill or a cold page sends one command per entry, concurrently; redis-py's default
    pool raises once its connections run out, which would fail the whole batch. With
    ``timeout_s`` a connection attempt and each reply are waited for that long, and a command
    that failed so is not tried again (the caller decides what a Redis that does not answer
    means); otherwise redis-py's defaults hold.
    """
    options: dict[str, object] = {}
    if timeout_s is not None:
        options = {
            "socket_timeout": timeout_s,
            "socket_connect_timeout": timeout_s,
            "retry": Retry(NoBackoff(), 0),
        }
    pool = BlockingConnectionPool.from_url(
        url, max_connections=REDIS_CONNECTIONS, timeout=30, **options
    )
    return Redis.from_pool(pool)  # closing the client closes its connections too


def field_cache(settings: Settings) -> FieldCache:
    """Redis when ``GATEWAY_REDIS_URL`` is set (with an in-process fallback while it is down:
    :mod:`gateway.invalidation.fallback`), else a byte-budgeted in-process cache."""
    if settings.redis_url:
        client = redis_client(settings.redis_url, timeout_s=settings.redis_timeout_s)
        return FallbackFieldCache(
            RedisFieldCache(client, owns_client=True),
            fallback_bytes=settings.redis_fallback_bytes,
            fallback_ttl_s=settings.redis_fallback_ttl_s,
            probe_interval_s=settings.redis_probe_interval_s,
        )
    return MemoryFieldCache(max_bytes=settings.memory_cache_bytes)


def search_index(settings: Settings) -> SearchIndex:
    """Elasticsearch when ``GATEWAY_ELASTICSEARCH_URL`` is set, else the embedded engine."""
    if settings.elasticsearch_url:
        from gateway.search.elastic import ElasticsearchIndex

        return ElasticsearchIndex(settings.elasticsearch_url, alias=settings.search_alias)
    return EmbeddedSearchIndex(settings.search_dir)
