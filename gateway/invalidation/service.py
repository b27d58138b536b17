"""The invalidation worker as a process (``fedora-gateway worker``), or inside a gateway.

In production the worker consumes a durable queue on the broker, writes the Redis field
cache the gateways read, and publishes each change on the Redis change feed every gateway
replica follows. A gateway without Redis keeps its field cache in its own memory; no
other process can invalidate it, so it runs the worker inside itself
(:func:`embedded_amqp_worker`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from starlette.applications import Starlette

from clients import Upstreams
from gateway.backends import redis_client, search_index
from gateway.invalidation.consumer import BusConsumer, Gap
from gateway.invalidation.delivery import Handler
from gateway.invalidation.feed import ChangeFeed, RedisFeed
from gateway.invalidation.messages import TOPICS
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.invalidation.store import FieldCache
from gateway.invalidation.worker import Invalidator
from gateway.search.port import SearchIndex
from gateway.search.updater import SearchUpdater
from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.observability.metrics import Metrics

log = logging.getLogger(__name__)


def bindings(prefix: str) -> list[str]:
    """The routing keys of every topic the rules read."""
    return [f"{prefix}.{topic}" for topic in sorted(TOPICS)]


def consumer_for(
    settings: Settings, invalidator: Invalidator, metrics: Metrics | None = None
) -> BusConsumer:
    """The consumer of ``GATEWAY_AMQP_URL`` for ``invalidator``, counted in ``metrics``."""
    if not settings.amqp_url:
        raise ValueError("the worker needs GATEWAY_AMQP_URL, the broker to consume")

    async def reconcile(gap: Gap) -> None:
        log.warning("the bus was away (%s): reconciling the live entries", gap)
        await invalidator.reconcile()

    handler: Handler = invalidator.handle
    if metrics is not None:
        handler = metrics.bus.observe(handler, prefix=settings.topic_prefix)
    consumer = BusConsumer(
        settings.amqp_url,
        queue=settings.worker_queue,
        bindings=bindings(settings.topic_prefix),
        handler=handler,
        on_reconnect=reconcile,
        prefetch=settings.worker_prefetch,
        retry_backoff=min(0.5, settings.worker_retry_backoff_max_s),
        retry_backoff_max=settings.worker_retry_backoff_max_s,
    )
    if metrics is not None:
        metrics.bus.watch(invalidator, consumer)
    return consumer


def invalidator_for(
    settings: Settings,
    cache: FieldCache,
    upstreams: Upstreams,
    feed: ChangeFeed,
    search: SearchIndex | None = None,
) -> Invalidator:
    return Invalidator(
        cache,
        upstreams,
        feed,
        live_window_s=settings.live_window_s,
        topic_prefix=settings.topic_prefix,
        search=SearchUpdater(search, upstreams) if search is not None else None,
    )


def shared_search(settings: Settings) -> SearchIndex | None:
    """The search index the gateways read, if the worker can reach it: Elasticsearch, or an
    embedded index in ``GATEWAY_SEARCH_DIR`` (on this host). A temporary one nobody reads
    would be kept current for nothing."""
    if settings.elasticsearch_url or settings.search_dir:
        return search_index(settings)
    log.info("no GATEWAY_ELASTICSEARCH_URL or GATEWAY_SEARCH_DIR: the worker leaves search be")
    return None


async def run_worker(settings: Settings, metrics: Metrics | None = None) -> None:
    """Consume until SIGINT or SIGTERM; the Redis cache and change feed are required.

    ``metrics`` counts the bus, the refills and the upstream requests.
    """
    if not settings.redis_url:
        raise ValueError(
            "the worker writes the field cache the gateways read: set GATEWAY_REDIS_URL "
            "(a gateway without Redis runs its worker inside itself)"
        )
    async with AsyncExitStack() as stack:
        client: Redis = redis_client(settings.redis_url)
        stack.push_async_callback(client.aclose)
        cache = RedisFieldCache(client)
        feed = RedisFeed(client)  # published to, never listened to: nobody subscribes here
        stack.push_async_callback(feed.close)
        upstreams = await stack.enter_async_context(Upstreams.from_settings(settings))
        if metrics is not None:
            metrics.watch_upstreams(upstreams)
        search = shared_search(settings)
        if search is not None:
            await search.start()
            stack.push_async_callback(search.close)
        invalidator = invalidator_for(settings, cache, upstreams, feed, search)
        stack.push_async_callback(invalidator.close)
        consumer = consumer_for(settings, invalidator, metrics)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(consumer.stop()))
        log.info("worker consuming %s on %s", settings.worker_queue, "the broker")
        await consumer.run()


def embedded_amqp_worker(
    settings: Settings, feed: ChangeFeed
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """A worker inside a gateway whose field cache is in its own memory."""

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        invalidator = invalidator_for(
            settings, app.state.field_cache, app.state.upstreams, feed, app.state.search.index
        )
        consumer = consumer_for(settings, invalidator, getattr(app.state, "metrics", None))
        app.state.invalidator, app.state.consumer = invalidator, consumer
        await feed.start()
        task = asyncio.create_task(consumer.run(), name="bus consumer")
        try:
            yield
        finally:
            await consumer.stop()
            await asyncio.gather(task, return_exceptions=True)
            await invalidator.close()
            await feed.close()

    return run
