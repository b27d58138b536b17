"""The backends a process runs with, chosen by the settings: Redis or in-process memory for
the field cache, Elasticsearch or the embedded engine for search."""

from __future__ import annotations

import logging

from redis.asyncio import BlockingConnectionPool, Redis

from gateway.invalidation.memory import MemoryFieldCache
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.invalidation.store import FieldCache
from gateway.search.embedded import EmbeddedSearchIndex
from gateway.search.port import SearchIndex
from gateway.settings import Settings

log = logging.getLogger(__name__)


#: Connections to Redis one process may hold; past that, commands wait for one to free up.
REDIS_CONNECTIONS = 64


def redis_client(url: str) -> Redis:
    """A client whose pool *waits* when all its connections are busy.

    A refill or a cold page sends one command per entry, concurrently; redis-py's default
    pool raises once its connections run out, which would fail the whole batch.
    """
    pool = BlockingConnectionPool.from_url(url, max_connections=REDIS_CONNECTIONS, timeout=30)
    return Redis.from_pool(pool)  # closing the client closes its connections too


def field_cache(settings: Settings) -> FieldCache:
    """Redis when ``GATEWAY_REDIS_URL`` is set, else a byte-budgeted in-process cache."""
    if settings.redis_url:
        return RedisFieldCache(redis_client(settings.redis_url), owns_client=True)
    return MemoryFieldCache(max_bytes=settings.memory_cache_bytes)


def search_index(settings: Settings) -> SearchIndex:
    """Elasticsearch when ``GATEWAY_ELASTICSEARCH_URL`` is set, else the embedded engine."""
    if settings.elasticsearch_url:
        from gateway.search.elastic import ElasticsearchIndex

        return ElasticsearchIndex(settings.elasticsearch_url, alias=settings.search_alias)
    return EmbeddedSearchIndex(settings.search_dir)
