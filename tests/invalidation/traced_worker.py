"""``fedora-gateway worker``, with one trace line per delivery it settles (for tests).

The worker logs nothing per message, so a test that must tell which of two workers
handled what cannot read it from their logs. This runs the real command (``gateway.cli``'s
``worker``, in this process, with the arguments given) after wrapping
:meth:`~gateway.invalidation.worker.Invalidator.handle` so that each delivery's outcome is
written to stderr: ``TRACE handled|dropped|failed <message id> <redelivered> <routing key>``.
The wrapper only observes: it returns what the handler returns and re-raises what it raises.

``TRACED_WORKER_BLOCKING_POOL=N`` changes one thing that is not observation: the worker's
Redis client then takes its connections from a ``BlockingConnectionPool`` of ``N``, which
waits for a free connection, instead of the pool ``Redis.from_url`` makes, which raises
``MaxConnectionsError`` past 100 connections in use (the bug ``POOL_BUG`` of
``test_worker_faults.py``). Tests that are about other faults use it, until that is fixed.

Run as ``python -m tests.invalidation.traced_worker [--log-level LEVEL] worker``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from gateway.cli import cli
from gateway.invalidation import service
from gateway.invalidation.delivery import Delivery, Drop
from gateway.invalidation.worker import Invalidator

_handle = Invalidator.handle


def _trace(outcome: str, delivery: Delivery) -> None:
    print(
        f"TRACE {outcome} {delivery.message_id or '-'} "
        f"{int(delivery.redelivered)} {delivery.routing_key}",
        file=sys.stderr,
        flush=True,
    )


async def _traced(self: Invalidator, delivery: Delivery) -> None:
    try:
        await _handle(self, delivery)
    except Drop:
        _trace("dropped", delivery)
        raise
    except BaseException:
        _trace("failed", delivery)
        raise
    _trace("handled", delivery)


class _BlockingRedis(Redis):
    """``Redis.from_url`` over a pool that waits for a free connection."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> Redis:  # type: ignore[override]
        size = int(os.environ["TRACED_WORKER_BLOCKING_POOL"])
        pool = BlockingConnectionPool.from_url(url, max_connections=size, timeout=60, **options)
        return Redis.from_pool(pool)


Invalidator.handle = _traced  # type: ignore[method-assign]
if os.environ.get("TRACED_WORKER_BLOCKING_POOL"):
    service.Redis = _BlockingRedis  # type: ignore[attr-defined]

if __name__ == "__main__":
    cli(sys.argv[1:], prog_name="fedora-gateway")
