"""The server side of ``bench/subscriptions.py``: the demo composition in its own process.

Started by the bench as ``python bench/_live_server.py --port P --sim-port S [options]``.
It builds what ``fedora-gateway demo`` builds (gateway, embedded invalidation worker,
in-process change feed, simulated Fedora with the ``fast`` fault profile, no background
events) and serves it with a uvicorn configuration of the bench's choosing. Two extra
routes on the simulator's port report what the bench measures:

``GET /_bench/stats``
    the hub's counters, the feed's, the executions of live operations, this process's RSS
    and CPU time, and how many changes the feed published per package;
``GET /_bench/packages?count=N``
    N live packages of the world, sorted by name;
``POST /_bench/memory/mark``, ``GET /_bench/memory/diff?top=N``
    with ``--tracemalloc``: the Python allocations grown since the mark, by file.

``--variant strawberry`` replaces the gateway's WebSocket route on ``/graphql`` by
strawberry's own ``GraphQL`` view, with the same context as the hub's executions: one
execution per subscriber, the baseline. It prints one JSON line once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import sysconfig
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway.app import create_app
from gateway.backends import field_cache
from gateway.context import Context
from gateway.demo import combined, demo_settings, embedded_worker, listening_socket
from gateway.invalidation.feed import Change, FeedItem, MemoryFeed
from gateway.schema.schema import build_schema
from gateway.subscriptions.hub import Hub
from simulator.app import create_app as create_simulator
from simulator.bus import InProcessBus
from simulator.server import build_simulation

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


def raise_nofile() -> int:
    """Raise the soft limit of open files to the hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class RecordingFeed(MemoryFeed):
    """The in-process feed, counting what it publishes per package."""

    def __init__(self) -> None:
        super().__init__()
        self.by_package: Counter[str] = Counter()

    async def publish(self, change: Change) -> None:
        self.by_package.update(change.packages)
        await super().publish(change)


class Executions:
    """Executions of live operations run by strawberry's handler (the baseline)."""

    count = 0


class CountingContext(Context):
    """The hub's context, counting each change a live operation re-executes for."""

    async def changes(
        self, wanted: Callable[[Change], bool], *, resync: bool = False
    ) -> AsyncIterator[FeedItem]:
        async for item in super().changes(wanted, resync=resync):
            Executions.count += 1
            yield item


class BaselineView(GraphQL[Context, None]):
    """Strawberry's own WebSocket handler: one execution per subscription."""

    def __init__(self, hub: Callable[[], Hub]) -> None:
        super().__init__(build_schema(), graphql_ide=None)
        self._hub = hub

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = self._hub().context()
        assert isinstance(context, Context)
        values = {item.name: getattr(context, item.name) for item in fields(context) if item.init}
        return CountingContext(**{**values, "request": request})


def build(args: argparse.Namespace) -> Starlette:
    simulation = build_simulation(catalog="generated", size=args.world_size, profile=args.profile)
    if not isinstance(simulation.bus, InProcessBus):
        raise TypeError("the bench runs on the in-process bus")
    settings = replace_settings(demo_settings(HOST, args.sim_port))
    feed = RecordingFeed()
    gateway = create_app(
        settings,
        cache=field_cache(settings),
        lifespan=embedded_worker(simulation.bus, feed, settings),
        feed=feed,
    )
    if args.variant == "strawberry":
        view = BaselineView(lambda: gateway.state.hub)
        routes = gateway.router.routes
        for index, route in enumerate(routes):
            if isinstance(route, WebSocketRoute) and route.path == "/graphql":
                routes[index] = WebSocketRoute("/graphql", view)
                break
        else:
            raise RuntimeError("the gateway has no WebSocket route on /graphql")
    simulator = create_simulator(simulation)
    process = psutil.Process()

    async def stats(request: Request) -> Response:
        hub: Hub = gateway.state.hub
        memory = process.memory_info()
        cpu = process.cpu_times()
        counts = gateway.state.invalidator.counts
        return JSONResponse(
            {
                "streams": len(hub.streams),
                "subscribers": hub.subscribers,
                "connections": hub.connections,
                "results": hub.results,
                "dropped": hub.dropped,
                "baseline_executions": Executions.count,
                "feed_subscribers": feed.subscribers,
                "published": feed.published,
                "processed": counts["handled"] + counts["ignored"] + counts["malformed"],
                "by_package": dict(feed.by_package),
                "rss": memory.rss,
                "cpu_s": cpu.user + cpu.system,
                "tasks": len(asyncio.all_tasks()),
                "search_ready": getattr(getattr(gateway.state, "search", None), "ready", True),
            }
        )

    marks: list[tracemalloc.Snapshot] = []

    async def memory_mark(request: Request) -> Response:
        if not tracemalloc.is_tracing():
            return JSONResponse({"error": "start the server with --tracemalloc"}, 409)
        marks[:] = [tracemalloc.take_snapshot()]
        return JSONResponse({"traced": tracemalloc.get_traced_memory()[0]})

    async def memory_diff(request: Request) -> Response:
        """Python allocations grown since the mark, by the file that allocated them."""
        if not marks:
            return JSONResponse({"error": "no mark"}, 409)
        top = int(request.query_params.get("top", "15"))
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        diff = snapshot.compare_to(marks[0], "filename")
        total = sum(stat.size_diff for stat in diff)
        return JSONResponse(
            {
                "total": total,
                "top": [
                    {
                        "file": _short(stat.traceback[0].filename),
                        "bytes": stat.size_diff,
                        "blocks": stat.count_diff,
                    }
                    for stat in diff[:top]
                ],
            }
        )

    async def packages(request: Request) -> Response:
        count = int(request.query_params.get("count", "200"))
        names = sorted(p.name for p in simulation.world.packages.values() if not p.retired)
        return JSONResponse(names[:count])

    simulator.router.routes.extend(
        [
            Route("/_bench/stats", stats),
            Route("/_bench/packages", packages),
            Route("/_bench/memory/mark", memory_mark, methods=["POST"]),
            Route("/_bench/memory/diff", memory_diff),
        ]
    )
    return combined(gateway, simulator, port=args.port, simulator_port=args.sim_port)


def _short(filename: str) -> str:
    """A file name from the site-packages or the repository on, not the full path."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    for root in (str(ROOT), sysconfig.get_paths()["stdlib"]):
        if filename.startswith(root + os.sep):
            return filename[len(root) + 1 :]
    return filename


def replace_settings(settings: Any) -> Any:
    """Enough subscriptions per connection for the bench's layouts."""
    return settings.model_copy(update={"ws_max_subscriptions": 1000, "redis_url": None})


async def serve(args: argparse.Namespace) -> None:
    app = build(args)
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        ws=args.ws,
        ws_per_message_deflate=args.deflate,
        backlog=4096,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(
        server.serve(
            sockets=[
                listening_socket(HOST, args.port, backlog=4096),
                listening_socket(HOST, args.sim_port, backlog=4096),
            ]
        )
    )
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.05)
    print(json.dumps({"ready": True, "pid": os.getpid(), "nofile": args.nofile}), flush=True)
    await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sim-port", type=int, required=True)
    parser.add_argument("--variant", choices=("hub", "strawberry"), default="hub")
    parser.add_argument("--ws", default="auto", help="uvicorn's WebSocket implementation")
    parser.add_argument("--deflate", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--world-size", type=int, default=None, help="packages (demo: 23,000)")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations")
    parser.add_argument("--profile", default="fast", help="the simulator's fault profile")
    args = parser.parse_args()
    args.nofile = raise_nofile()
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    print(f"server ran {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
