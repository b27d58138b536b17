"""Gateways in process, one per test with the settings it needs, and the limits' Redis.

Redis tests use ``GATEWAY_TEST_REDIS_URL`` with database 13 (kept out of the databases
``tests/invalidation/test_worker_faults.py`` claims) and delete only the keys of the
limits (``fedora-gateway:apq:*``, ``fedora-gateway:rate:*``) before and after. An
unreachable Redis skips them locally and fails them under ``CI=true``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import redis.exceptions
from redis.asyncio import Redis
from yarl import URL

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE = 13
#: The keys the limits write, and only those, are the tests' to delete.
PREFIXES = ("fedora-gateway:apq:", "fedora-gateway:rate:")
#: The address the in-process gateways see requests come from.
CLIENT = ("203.0.113.7", 40000)


def offline(**overrides: Any) -> Settings:
    """A gateway that needs no upstream: no field cache, no search index to build."""
    overrides.setdefault("field_cache", False)
    overrides.setdefault("search_build_on_start", False)
    return Settings(**overrides)


@asynccontextmanager
async def serving(
    settings: Settings, *, client: tuple[str, int] = CLIENT, **options: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a gateway running in this event loop, its lifespan started."""
    app = create_app(settings, **options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def forget_limits(client: Redis) -> None:
    for prefix in PREFIXES:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.unlink(*keys)


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The limits' Redis database, without the limits' keys before and after the test."""
    url = str(URL(REDIS_URL).with_path(f"/{DATABASE}"))
    client: Redis = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
    except (OSError, redis.exceptions.RedisError) as error:
        await client.aclose()
        if IN_CI:
            pytest.fail(f"Redis at {url} is unreachable under CI=true: {error!r}")
        pytest.skip(f"Redis at {url} is unreachable: {error!r}")
    try:
        await forget_limits(client)
        yield url
        await forget_limits(client)
    finally:
        await client.aclose()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client: Redis = Redis.from_url(redis_url)
    yield client
    await client.aclose()
