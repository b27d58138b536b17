"""The backends a process runs with, chosen by the settings: Redis, or in-process memory."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from gateway.invalidation.memory import MemoryFieldCache
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.invalidation.store import FieldCache
from gateway.settings import Settings

log = logging.getLogger(__name__)


def field_cache(settings: Settings) -> FieldCache:
    """Redis when ``GATEWAY_REDIS_URL`` is set, else a byte-budgeted in-process cache."""
    if settings.redis_url:
        client: Redis = Redis.from_url(settings.redis_url)
        return RedisFieldCache(client, owns_client=True)
    return MemoryFieldCache(max_bytes=settings.memory_cache_bytes)
