"""The field cache under test: in memory, and on the test Redis in a namespace of its own.

Redis tests use ``GATEWAY_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``); each test
gets a fresh key namespace and deletes only the keys under it afterwards. An unreachable
Redis skips those tests locally and fails them under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.exceptions
from redis.asyncio import Redis

from gateway.invalidation.memory import MemoryFieldCache
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.invalidation.store import FieldCache, Hook
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Backend:
    """One store, and as many handles on it as a test wants (one per simulated replica)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.namespace = f"test:{uuid.uuid4().hex}:"
        self._memory: MemoryFieldCache | None = None
        self._clients: list[Redis] = []

    async def open(self, *, hook: Hook | None = None) -> FieldCache:
        """A handle on the store: for Redis, over a connection pool of its own."""
        if self.name == "memory":
            if self._memory is None:
                self._memory = MemoryFieldCache()
            return self._memory
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=10)
        if not self._clients:
            await _reachable(client)
        self._clients.append(client)
        return RedisFieldCache(client, namespace=self.namespace, hook=hook)

    @property
    def redis(self) -> Redis:
        """A raw client for tests that look at or tamper with the stored keys."""
        return self._clients[0]

    def key(self, key: str) -> str:
        return f"{self.namespace}{key}"

    async def close(self) -> None:
        if self._clients:
            client = self._clients[0]
            batch: list[bytes] = []
            async for key in client.scan_iter(match=f"{self.namespace}*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    await client.unlink(*batch)
                    batch.clear()
            if batch:
                await client.unlink(*batch)
        for client in self._clients:
            await client.aclose()
        self._clients = []


#: Why the test Redis could not be reached, once found out (the suite stops trying).
_unreachable: list[BaseException] = []


async def _reachable(client: Redis) -> None:
    if not _unreachable:
        try:
            await asyncio.wait_for(client.ping(), 5)
            return
        except (OSError, TimeoutError, redis.exceptions.RedisError) as exc:
            _unreachable.append(exc)
    await client.aclose()
    if IN_CI:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI=true: {_unreachable[0]!r}")
    pytest.skip(f"Redis at {REDIS_URL} is unreachable: {_unreachable[0]!r}")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    store = Backend(request.param)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def cache(backend: Backend) -> FieldCache:
    return await backend.open()


@pytest.fixture
async def redis_backend() -> AsyncIterator[Backend]:
    """The Redis store alone, for what only Redis has (scripts, a lost memory, no TTLs)."""
    store = Backend("redis")
    try:
        yield store
    finally:
        await store.close()
