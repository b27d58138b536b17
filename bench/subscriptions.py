"""GraphQL subscriptions on one gateway process: latency, memory, shared vs one-per-subscriber.

Run with ``.venv/bin/python bench/subscriptions.py`` (about ten minutes at the default
sizes on two cores: 13 fresh server processes, two of them serving an overloaded baseline;
``--no-memory-probe`` saves about three). Options: ``--steps 200,1000,2000``,
``--events 6 --rate 2`` (``bug`` events per step), ``--kinds bug,build`` and
``--other-events 3 --other-rate 0.5`` (the other kinds, many changes each),
``--baseline-events 3``, ``--shapes one,spread``, ``--layouts 1,20``,
``--variants hub,strawberry``, ``--ws``, ``--deflate`` (off by default, as the gateway
serves), ``--no-memory-probe``, ``--json`` (the table as JSON on stdout, the printed table
on stderr).

Targets, at 2,000 subscribers on one process: delivery p99 <= 1 s with nothing lost, and
at most 50 KB of RSS per idle subscription.

Each server is the demo composition (gateway, embedded invalidation worker, in-process
change feed, simulated Fedora with the ``fast`` fault profile, a generated world of
``--world-size`` 400 packages; measurements start once the search index the gateway builds
at start-up is ready), run by
``bench/_live_server.py`` in its own subprocess; the WebSocket clients run here. A fresh
server is started for every (shape, connection layout, variant), so its RSS before any
subscription is its own:

* shapes: every subscriber on one package (one operation: one shared execution), or ten
  subscribers per package over ``max(steps) / 10`` packages;
* layouts: one connection per subscriber, or ``--per-connection`` (20) per connection;
* variants: ``hub``, the gateway as it is, and ``strawberry``, the baseline: the same
  gateway whose WebSocket route on ``/graphql`` is strawberry's own ``GraphQL`` view (same
  schema, same context and change feed): one execution per subscriber.

Per server: the fields the document reads are put in the cache by queries, a few events
are fired with no subscriber (the CPU floor of an event: simulator, worker, refill), and
the RSS is read (median of three readings, no forced gc). Subscribers are then opened step
by step up to the largest step; once they are settled and idle the RSS is read again:
``(RSS_after - RSS_before) / N`` is the memory per idle subscription. Then, from the
largest step down (closing connections between steps), events are fired at a steady rate
on the subscribed packages; every delivered ``next`` is timed as ``receive_time - at``,
``at`` being when the worker took the bus message, before it invalidated and refilled the
cache: an upper bound of the delivery latency after the refill. Delivered is compared with
expected: for each subscriber, the changes the feed published for its package.

The memory probe then compares uvicorn's WebSocket implementations with and without
permessage-deflate (2,000 subscribers, one connection each, on one package) and breaks the
memory of the default configuration down by the file that allocated it (tracemalloc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

RUNNER = Path(__file__).with_name("_live_server.py")
ROOT = Path(__file__).resolve().parent.parent

DOCUMENT = (
    "subscription Changed($n: String!) { packageChanged(name: $n) "
    "{ at topic reasons package { name latestBuilds { build { nvr } } } } }"
)
WARM_QUERY = "query Warm($n: String!) { package(name: $n) { name latestBuilds { build { nvr } } } }"

P99_TARGET_MS = 1000.0
KB_TARGET = 50.0
SHAPES = {"one": "1 package", "spread": "10/package"}
VARIANTS = ("hub", "strawberry")
#: uvicorn's WebSocket implementations compared by the memory probe (``auto`` is the sans-I/O one).
PROBED_WS = ("websockets-sansio", "websockets")


def raise_nofile() -> int:
    """Raise the soft limit of open files to the hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0..1) of ``values``; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def bounded(coroutines: Iterable[Any], limit: int) -> None:
    """Await the coroutines, at most ``limit`` at a time."""
    gate = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> None:
        async with gate:
            await coroutine

    await asyncio.gather(*(one(c) for c in coroutines))


# -- the server ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerOptions:
    variant: str = "hub"
    ws: str = "auto"
    deflate: bool = False
    world_size: int = 400
    tracemalloc: bool = False


class Server:
    """``bench/_live_server.py`` in a subprocess, and an HTTP client to it."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.port, self.sim_port = free_ports(2)
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        self.control = f"http://127.0.0.1:{self.sim_port}"
        self.http = httpx.AsyncClient(timeout=300, trust_env=False)
        self._process: asyncio.subprocess.Process | None = None
        self._stderr: TextIO | None = None

    async def __aenter__(self) -> Server:
        self._stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in __aexit__)
        options = self.options
        command = [
            sys.executable,
            str(RUNNER),
            f"--port={self.port}",
            f"--sim-port={self.sim_port}",
            f"--variant={options.variant}",
            f"--ws={options.ws}",
            f"--world-size={options.world_size}",
            "--deflate" if options.deflate else "--no-deflate",
            *(["--tracemalloc"] if options.tracemalloc else []),
        ]
        self._process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=self._stderr
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), 180)
        if not line:
            self._stderr.seek(0)
            raise RuntimeError(f"the server did not start:\n{self._stderr.read()[-4000:]}")
        ready = json.loads(line)
        log(f"server {options} ready (pid {ready['pid']}, open files {ready['nofile']})")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._stderr is not None:
            self._stderr.close()

    async def stats(self) -> dict[str, Any]:
        response = await self.http.get(f"{self.control}/_bench/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def packages(self, count: int) -> list[str]:
        response = await self.http.get(f"{self.control}/_bench/packages", params={"count": count})
        response.raise_for_status()
        names: list[str] = response.json()
        if len(names) < count:
            raise RuntimeError(f"the world has {len(names)} live packages, {count} wanted")
        return names

    async def event(self, kind: str, package: str) -> int:
        """Fire one simulator event; the bus messages it published (0 if refused)."""
        response = await self.http.post(
            f"{self.control}/_sim/events", json={"type": kind, "package": package}
        )
        if response.status_code != 200:
            log(f"event {kind} on {package} refused: {response.status_code} {response.text}")
            return 0
        return len(response.json()["message_ids"])

    async def warm(self, package: str) -> None:
        """Read the subscription's fields once, so they are cached and live."""
        response = await self.http.post(
            f"http://127.0.0.1:{self.port}/graphql",
            json={"query": WARM_QUERY, "variables": {"n": package}},
        )
        response.raise_for_status()

    async def rss(self, readings: int = 3, interval: float = 0.5) -> float:
        """The median of a few RSS readings of the server process, in bytes."""
        values = []
        for index in range(readings):
            if index:
                await asyncio.sleep(interval)
            values.append(float((await self.stats())["rss"]))
        return statistics.median(values)

    async def settle(self, subs: Sequence[Sub], within: float = 120) -> None:
        """Wait until the server holds exactly these subscriptions, each reading the feed."""
        wanted = len(subs)
        readers = wanted if self.options.variant == "strawberry" else len({s.package for s in subs})
        deadline = time.monotonic() + within
        while True:
            stats = await self.stats()
            held = wanted if self.options.variant == "strawberry" else stats["subscribers"]
            if (held, stats["feed_subscribers"]) == (wanted, readers):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"server holds {held, stats['feed_subscribers']} subscriptions")
            await asyncio.sleep(0.2)

    async def until_search_ready(self, within: float = 300) -> None:
        """Wait for the search index the gateway builds in the background at start-up."""
        started = time.monotonic()
        while not (await self.stats())["search_ready"]:
            if time.monotonic() - started > within:
                raise TimeoutError("the search index was not built in time")
            await asyncio.sleep(0.25)
        log(f"  search index ready after {time.monotonic() - started:.1f} s more")

    def executions(self, stats: dict[str, Any]) -> int:
        key = "baseline_executions" if self.options.variant == "strawberry" else "results"
        return int(stats[key])

    async def memory_mark(self) -> None:
        (await self.http.post(f"{self.control}/_bench/memory/mark")).raise_for_status()

    async def memory_diff(self, top: int) -> dict[str, Any]:
        response = await self.http.get(f"{self.control}/_bench/memory/diff", params={"top": top})
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


# -- the clients ---------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Sub:
    """One subscription and what it received during the current phase."""

    sid: str
    package: str
    delivered: int = 0
    resyncs: int = 0
    errors: int = 0
    stale: int = 0

    def reset(self) -> None:
        self.delivered = self.resyncs = self.errors = self.stale = 0


@dataclass(slots=True)
class Tally:
    """What all the clients received: latencies while recording, deliveries in total."""

    latencies: list[float] = field(default_factory=list)
    recording: bool = False
    delivered: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_delivered(self, count: int, *, stall_s: float, deadline: float) -> None:
        """Wait for ``count`` deliveries in total; give up after ``stall_s`` without any."""
        while self.delivered < count:
            remaining = min(stall_s, deadline - time.monotonic())
            if remaining <= 0:
                return
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                return


class Client:
    """One WebSocket connection (graphql-transport-ws) holding some subscriptions."""

    def __init__(self, url: str, subs: list[Sub], tally: Tally) -> None:
        self.url = url
        self.subs = subs
        self.by_id = {sub.sid: sub for sub in subs}
        self.tally = tally
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        # compression: permessage-deflate offered, as browsers do.
        ws = await connect(
            self.url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            ping_interval=None,
            proxy=None,
            open_timeout=120,
        )
        self._ws = ws
        await ws.send('{"type":"connection_init"}')
        ack = orjson.loads(await ws.recv())
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")
        for sub in self.subs:
            message = {
                "id": sub.sid,
                "type": "subscribe",
                "payload": {"query": DOCUMENT, "variables": {"n": sub.package}},
            }
            await ws.send(orjson.dumps(message).decode())
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        ws = self._ws
        assert ws is not None
        tally = self.tally
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                now = time.time()
                message = orjson.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    sub = self.by_id[message["id"]]
                    payload = message["payload"]
                    if payload.get("errors"):
                        sub.errors += 1
                    if ((payload.get("extensions") or {}).get("cache") or {}).get("stale"):
                        sub.stale += 1
                    change = (payload.get("data") or {}).get("packageChanged")
                    if change is None:
                        continue
                    if change["topic"] == "resync":
                        sub.resyncs += 1
                        continue
                    sub.delivered += 1
                    tally.delivered += 1
                    tally.changed.set()
                    if tally.recording:
                        at = datetime.fromisoformat(change["at"]).timestamp()
                        tally.latencies.append(now - at)
                elif kind in ("error", "complete"):
                    self.by_id[message["id"]].errors += 1
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


# -- phases and scenarios ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    steps: tuple[int, ...] = (200, 1000, 2000)
    per_connection: int = 20
    kinds: tuple[str, ...] = ("bug", "build")
    events: int = 6
    rate: float = 2.0
    other_events: int = 3
    other_rate: float = 0.5
    baseline_events: int = 3
    world_size: int = 400
    ws: str = "auto"
    deflate: bool = False
    stall_s: float = 15.0
    drain_s: float = 300.0
    seed: int = 7

    def schedule(self, variant: str, kind: str) -> tuple[int, float]:
        """How many events of ``kind`` a phase fires, and at what rate per second."""
        if kind == "bug":
            return (self.events if variant == "hub" else self.baseline_events), self.rate
        count = self.other_events if variant == "hub" else max(1, self.baseline_events // 2)
        return count, self.other_rate

    def fires(self, variant: str, kind: str, step: int) -> bool:
        """``bug`` at every step; the other kinds (many changes each) at the smallest and
        largest steps, and for the baseline at the smallest only."""
        if kind == "bug":
            return True
        steps = {min(self.steps), max(self.steps)} if variant == "hub" else {min(self.steps)}
        return step in steps


@dataclass(frozen=True, slots=True)
class Scenario:
    shape: str
    per_connection: int
    variant: str


@dataclass(slots=True)
class Row:
    shape: str
    per_connection: int
    variant: str
    ws: str
    deflate: bool
    kind: str
    subscribers: int
    connections: int
    events: int
    rate: float
    messages: int
    delivered: int
    expected: int
    lost: int
    resyncs: int
    errors: int
    stale: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    executions_per_event: float
    cpu_ms_per_event: float
    cpu_floor_ms_per_event: float
    client_cpu_ms_per_event: float
    kb_per_idle_subscription: float
    rss_before_mb: float
    p99_met: bool
    memory_met: bool
    ratio_executions: float | None = None
    ratio_cpu: float | None = None
    ratio_p99: float | None = None
    ratio_kb: float | None = None


@dataclass(slots=True)
class Outcome:
    events: int
    messages: int
    expected: int
    delivered: int
    lost: int
    resyncs: int
    errors: int
    stale: int
    latencies: list[float]
    executions: int
    cpu_s: float
    client_cpu_s: float


class Phase:
    """Events fired on the subscribed packages, and what the subscribers got."""

    def __init__(self, server: Server, subs: list[Sub], tally: Tally, options: Options) -> None:
        self.server = server
        self.subs = subs
        self.tally = tally
        self.options = options

    async def run(self, kind: str, targets: list[str], rate: float) -> Outcome:
        server, tally, subs = self.server, self.tally, self.subs
        for sub in subs:
            sub.reset()
        tally.latencies = []
        delivered_before = tally.delivered
        before = await server.stats()
        client_cpu = time.process_time()
        tally.recording = True
        loop = asyncio.get_running_loop()
        start = loop.time()
        fired: list[asyncio.Task[int]] = []
        for index, package in enumerate(targets):
            await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
            fired.append(asyncio.create_task(server.event(kind, package)))
        sent = sum(await asyncio.gather(*fired))
        deadline = time.monotonic() + self.options.drain_s
        # The worker has handled every message: the feed has published all it will.
        while True:
            stats = await server.stats()
            if stats["processed"] >= before["processed"] + sent or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        counts = {
            name: stats["by_package"].get(name, 0) - before["by_package"].get(name, 0)
            for name in {sub.package for sub in subs}
        }
        expected = sum(counts[sub.package] for sub in subs)
        await tally.wait_delivered(
            delivered_before + expected, stall_s=self.options.stall_s, deadline=deadline
        )
        after = await server.stats()
        tally.recording = False
        return Outcome(
            events=len(targets),
            messages=sent,
            expected=expected,
            delivered=sum(sub.delivered for sub in subs),
            lost=sum(max(0, counts[sub.package] - sub.delivered) for sub in subs),
            resyncs=sum(sub.resyncs for sub in subs),
            errors=sum(sub.errors for sub in subs),
            stale=sum(sub.stale for sub in subs),
            latencies=tally.latencies,
            executions=server.executions(after) - server.executions(before),
            cpu_s=after["cpu_s"] - before["cpu_s"],
            client_cpu_s=time.process_time() - client_cpu,
        )


def packages_of(shape: str, names: list[str], count: int) -> list[str]:
    """The package of each subscriber, by index: all on the first, or ten per package."""
    if shape == "one":
        return [names[0]] * count
    return [names[index // 10] for index in range(count)]


def event_targets(shape: str, packages: list[str], count: int, rng: random.Random) -> list[str]:
    """``count`` packages to fire events on, among the subscribed ``packages``."""
    if shape == "one":
        return [packages[0]] * count
    return rng.sample(packages, count) if count <= len(packages) else rng.choices(packages, k=count)


async def open_clients(
    server: Server, subs: list[Sub], per_connection: int, tally: Tally
) -> list[Client]:
    clients = [
        Client(server.ws_url, subs[first : first + per_connection], tally)
        for first in range(0, len(subs), per_connection)
    ]
    await bounded((client.open() for client in clients), 64)
    return clients


async def prepare(
    server: Server, scenario: Scenario, options: Options, names: list[str], tally: Tally
) -> tuple[dict[str, float], float]:
    """Warm the server; the CPU floor of each kind of event, and the RSS before subscribers."""
    await bounded((server.warm(name) for name in names), 16)
    await server.until_search_ready()
    # One connection and one delivery first, so that lazily built code paths exist
    # before the RSS is read.
    warm_subs = [
        Sub(str(i), names[i % len(names)]) for i in range(min(scenario.per_connection, 20))
    ]
    warm = await open_clients(server, warm_subs, len(warm_subs), tally)
    await server.settle(warm_subs)
    await Phase(server, warm_subs, tally, options).run("bug", [names[0]], 1)
    for client in warm:
        await client.close()
    await server.settle([])
    rng = random.Random(options.seed)
    floors: dict[str, float] = {}
    for kind in options.kinds:
        count, rate = options.schedule("hub", kind)
        count = min(count, 3 if kind == "bug" else 1)
        targets = event_targets(scenario.shape, names, count, rng)
        outcome = await Phase(server, [], tally, options).run(kind, targets, rate)
        floors[kind] = outcome.cpu_s * 1000 / max(1, outcome.events)
    await asyncio.sleep(1.0)
    return floors, await server.rss()


async def run_scenario(
    scenario: Scenario,
    options: Options,
) -> list[Row]:
    """One server: its idle memory per subscription at each step, then its phases."""
    top = max(options.steps)
    per = scenario.per_connection
    server_options = ServerOptions(
        scenario.variant, options.ws, options.deflate, options.world_size
    )
    rows: list[Row] = []
    tally = Tally()
    async with Server(server_options) as server:
        names = await server.packages(max(1, top // 10))
        floors, rss_before = await prepare(server, scenario, options, names, tally)

        clients: list[Client] = []
        subs: list[Sub] = []
        kb: dict[int, float] = {}
        for step in sorted(options.steps):
            packages = packages_of(scenario.shape, names, step)
            fresh = [Sub(str(index), packages[index]) for index in range(len(subs), step)]
            started = time.monotonic()
            clients += await open_clients(server, fresh, per, tally)
            subs += fresh
            await server.settle(subs)
            log(
                f"  {step} subscribers on {len(clients)} connections, "
                f"settled in {time.monotonic() - started:.1f} s"
            )
            await asyncio.sleep(1.0)
            kb[step] = (await server.rss() - rss_before) / step / 1024

        rng = random.Random(options.seed + 1)
        for step in sorted(options.steps, reverse=True):
            keep = math.ceil(step / per)
            await bounded((client.close() for client in clients[keep:]), 64)
            clients, subs = clients[:keep], subs[:step]
            await server.settle(subs)
            subscribed = sorted({sub.package for sub in subs})
            for kind in options.kinds:
                if not options.fires(scenario.variant, kind, step):
                    continue
                count, rate = options.schedule(scenario.variant, kind)
                targets = event_targets(scenario.shape, subscribed, count, rng)
                outcome = await Phase(server, subs, tally, options).run(kind, targets, rate)
                row = row_of(scenario, server_options, kind, step, keep, rate, outcome)
                row.cpu_floor_ms_per_event = floors.get(kind, math.nan)
                row.kb_per_idle_subscription = kb[step]
                row.memory_met = kb[step] <= KB_TARGET
                row.rss_before_mb = rss_before / 2**20
                rows.append(row)
                log(
                    f"  {kind} x{row.events} at {step}: {row.delivered}/{row.expected} "
                    f"p50 {row.p50_ms:.0f} ms p99 {row.p99_ms:.0f} ms, "
                    f"{outcome.executions} executions, {outcome.cpu_s:.2f} s CPU"
                )
        await bounded((client.close() for client in clients), 64)
    return rows


def row_of(
    scenario: Scenario,
    server: ServerOptions,
    kind: str,
    step: int,
    connections: int,
    rate: float,
    outcome: Outcome,
) -> Row:
    events = max(1, outcome.events)
    p99 = percentile(outcome.latencies, 0.99) * 1000
    return Row(
        shape=scenario.shape,
        per_connection=scenario.per_connection,
        variant=scenario.variant,
        ws=server.ws,
        deflate=server.deflate,
        kind=kind,
        subscribers=step,
        connections=connections,
        events=outcome.events,
        rate=rate,
        messages=outcome.messages,
        delivered=outcome.delivered,
        expected=outcome.expected,
        lost=outcome.lost,
        resyncs=outcome.resyncs,
        errors=outcome.errors,
        stale=outcome.stale,
        p50_ms=percentile(outcome.latencies, 0.50) * 1000,
        p99_ms=p99,
        max_ms=max(outcome.latencies, default=math.nan) * 1000,
        executions_per_event=outcome.executions / events,
        cpu_ms_per_event=outcome.cpu_s * 1000 / events,
        cpu_floor_ms_per_event=math.nan,
        client_cpu_ms_per_event=outcome.client_cpu_s * 1000 / events,
        kb_per_idle_subscription=math.nan,
        rss_before_mb=math.nan,
        p99_met=p99 <= P99_TARGET_MS and outcome.lost == 0,
        memory_met=False,
    )


# -- where the memory of idle connections goes ----------------------------------------------


async def memory_probe(options: Options) -> tuple[list[Row], dict[str, Any]]:
    """uvicorn's WebSocket implementations, with and without permessage-deflate; then a
    tracemalloc breakdown of the default configuration."""
    count = max(options.steps)
    probe = replace(options, steps=(count,), kinds=("bug",), events=3)
    rows: list[Row] = []
    for ws in PROBED_WS:
        for deflate in (True, False):
            log(f"memory probe: ws={ws} permessage-deflate={deflate}")
            rows += await run_scenario(
                Scenario("one", 1, "hub"), replace(probe, ws=ws, deflate=deflate)
            )
    log("memory probe: tracemalloc breakdown of the default configuration")
    breakdown: dict[str, Any] = {}
    server_options = ServerOptions(
        "hub", options.ws, options.deflate, options.world_size, tracemalloc=True
    )
    tally = Tally()
    async with Server(server_options) as server:
        names = await server.packages(1)
        await prepare(server, Scenario("one", 1, "hub"), replace(probe, kinds=()), names, tally)
        await server.memory_mark()
        subs = [Sub(str(index), names[0]) for index in range(count)]
        clients = await open_clients(server, subs, 1, tally)
        await server.settle(subs)
        await asyncio.sleep(1.0)
        breakdown = await server.memory_diff(top=14)
        breakdown["subscribers"] = count
        await bounded((client.close() for client in clients), 64)
    return rows, breakdown


# -- the table -----------------------------------------------------------------------------


def with_ratios(rows: list[Row]) -> list[Row]:
    """Rows ordered hub then baseline; each baseline row gets its baseline/hub ratios."""
    index = {(r.shape, r.per_connection, r.kind, r.subscribers, r.variant): r for r in rows}
    ordered: list[Row] = []
    for key in sorted(
        {(r.shape, r.per_connection, r.kind, r.subscribers) for r in rows},
        key=lambda k: (list(SHAPES).index(k[0]), k[1], k[2] != "bug", k[2], k[3]),
    ):
        hub = index.get((*key, "hub"))
        base = index.get((*key, "strawberry"))
        if hub is not None:
            ordered.append(hub)
        if base is not None:
            if hub is not None:
                base.ratio_executions = _ratio(base.executions_per_event, hub.executions_per_event)
                base.ratio_cpu = _ratio(base.cpu_ms_per_event, hub.cpu_ms_per_event)
                base.ratio_p99 = _ratio(base.p99_ms, hub.p99_ms)
                if hub.kb_per_idle_subscription >= 1:  # below, the ratio is noise
                    base.ratio_kb = _ratio(
                        base.kb_per_idle_subscription, hub.kb_per_idle_subscription
                    )
            ordered.append(base)
    return ordered


def _ratio(a: float, b: float) -> float | None:
    if b <= 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def _x(value: float | None) -> str:
    return "" if value is None else f"x{value:.1f}"


HEADER = (
    f"{'shape':<11}{'subs/conn':>9}{'variant':>11}{'kind':>6}{'subs':>6}{'conns':>6}"
    f"{'events':>7}{'delivered/expected':>20}{'p50 ms':>8}{'p99 ms':>8}{'exec/ev':>9}"
    f"{'CPU ms/ev':>10}{'KB/sub':>8}  {'p99<=1s':<8}{'KB<=50':<8}"
)
RATIOS = f"{'exec':>7}{'CPU':>7}{'p99':>7}{'KB':>6}"


def line_of(r: Row) -> str:
    lost = f" -{r.lost}" if r.lost else ""
    return (
        f"{SHAPES[r.shape]:<11}{r.per_connection:>9}{r.variant:>11}{r.kind:>6}"
        f"{r.subscribers:>6}{r.connections:>6}{r.events:>7}"
        f"{f'{r.delivered}/{r.expected}{lost}':>20}{r.p50_ms:>8.0f}{r.p99_ms:>8.0f}"
        f"{r.executions_per_event:>9.1f}{r.cpu_ms_per_event:>10.0f}"
        f"{r.kb_per_idle_subscription:>8.1f}  {'met' if r.p99_met else 'MISSED':<8}"
        f"{'met' if r.memory_met else 'MISSED':<8}"
    )


def render(rows: list[Row], options: Options) -> str:
    bug_n, bug_rate = options.schedule("hub", "bug")
    other_n, other_rate = options.schedule("hub", "build")
    lines = [
        "Subscriptions on one gateway process "
        f"(uvicorn ws={options.ws}, permessage-deflate {'on' if options.deflate else 'off'}; "
        f"bug: {bug_n} events per step at {bug_rate:g}/s, baseline {options.baseline_events}; "
        f"other kinds: {other_n} at {other_rate:g}/s at the smallest and largest steps, "
        f"baseline {options.schedule('strawberry', 'build')[0]} at the smallest)",
        "hub = the gateway (one execution per distinct operation); strawberry = strawberry's "
        "own WebSocket handler (one execution per subscriber); ratios: strawberry/hub",
        HEADER + RATIOS,
        "-" * len(HEADER + RATIOS),
    ]
    lines += [
        line_of(r)
        + f"{_x(r.ratio_executions):>7}{_x(r.ratio_cpu):>7}{_x(r.ratio_p99):>7}"
        + f"{_x(r.ratio_kb):>6}"
        for r in rows
    ]
    return "\n".join([*lines, "", *notes(rows)])


def notes(rows: list[Row]) -> list[str]:
    floors = {
        kind: sorted(r.cpu_floor_ms_per_event for r in rows if r.kind == kind)
        for kind in dict.fromkeys(r.kind for r in rows)
    }
    floor_text = ", ".join(f"{kind} {v[0]:.0f}-{v[-1]:.0f} ms" for kind, v in floors.items() if v)
    out = [
        "delivered/expected: -N = N deliveries lost (expected = the changes the feed published "
        "for each subscriber's package, summed over subscribers).",
        "Latency = receive_time - at, at = when the worker took the bus message, before it "
        "invalidated and refilled the cache:",
        "  an upper bound of the latency after the refill (it includes the refill, and the "
        "clients' own reading in this process).",
        "exec/ev = executions of the subscription per event (hub: Hub.results; baseline: "
        "changes handed to strawberry's executions).",
        "CPU ms/ev = the whole server process (simulator, worker, refill included) from the "
        f"first event to the last delivery; with no subscriber: {floor_text}.",
        "KB/sub = (RSS with N idle subscriptions open - RSS before any) / N, no forced gc.",
    ]
    layouts = sorted({r.per_connection for r in rows})
    top = max((r.subscribers for r in rows), default=0)
    if len(layouts) == 2:
        one, many = layouts
        for variant in VARIANTS:
            for shape in SHAPES:
                pick = {
                    r.per_connection: r.kb_per_idle_subscription
                    for r in rows
                    if (r.variant, r.shape, r.subscribers) == (variant, shape, top)
                }
                if one in pick and many in pick:
                    conn_kb = (pick[one] - pick[many]) / (1 / one - 1 / many)
                    sub_kb = pick[one] - conn_kb / one
                    per_sub = f"{sub_kb:.1f} KB" if sub_kb > 0 else "~0 KB (below the noise)"
                    out.append(
                        f"Idle memory, {variant}, {SHAPES[shape]}, {top} subscribers: about "
                        f"{conn_kb:.0f} KB per connection + {per_sub} per subscription."
                    )
    saturated = [
        f"{SHAPES[r.shape]} {r.per_connection}/conn {r.variant} {r.kind} {r.subscribers} "
        f"({r.cpu_ms_per_event:.0f} + {r.client_cpu_ms_per_event:.0f} ms)"
        for r in rows
        if r.cpu_ms_per_event > 1000 / r.rate
        or r.cpu_ms_per_event + r.client_cpu_ms_per_event > 2000 / r.rate
    ]
    if saturated:
        out.append(
            "Saturated (server CPU per event over the interval between events, or server + "
            "client CPU over two cores' worth): their latency grows with every event fired: "
            + "; ".join(saturated)
            + "."
        )
    out.append(
        f"Over all rows: {sum(r.lost for r in rows)} lost, {sum(r.resyncs for r in rows)} "
        f"resync notices, {sum(r.errors for r in rows)} errors, "
        f"{sum(r.stale for r in rows)} payloads served from stale cache entries; the client "
        f"side used up to {max((r.client_cpu_ms_per_event for r in rows), default=0):.0f} ms "
        "CPU per event."
    )
    return out


def render_probe(rows: list[Row], breakdown: dict[str, Any]) -> str:
    lines = [
        "",
        "Memory probe: idle RSS per subscription, one connection each, all on one package, hub; "
        "clients offer permessage-deflate (as browsers do)",
        f"{'uvicorn ws':<19}{'deflate':<9}{'subs':>6}{'KB/sub':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'CPU ms/ev':>10}  KB<=50",
    ]
    lines += [
        f"{r.ws:<19}{'on' if r.deflate else 'off':<9}{r.subscribers:>6}"
        f"{r.kb_per_idle_subscription:>8.1f}{r.p50_ms:>8.0f}{r.p99_ms:>8.0f}"
        f"{r.cpu_ms_per_event:>10.0f}  {'met' if r.memory_met else 'MISSED'}"
        for r in rows
    ]
    if breakdown:
        count = breakdown["subscribers"]
        lines += [
            "",
            f"Python allocations grown by {count} idle connections+subscriptions (tracemalloc, "
            "by allocating file; excludes allocator overhead):",
            f"  total {breakdown['total'] / count / 1024:.1f} KB per subscription",
        ]
        for item in breakdown["top"]:
            lines.append(
                f"  {item['bytes'] / count / 1024:>7.1f} KB {item['blocks'] / count:>6.1f} "
                f"blocks  {item['file']}"
            )
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------


def _finite(value: Any) -> Any:
    """``value`` with NaN floats as ``None``, for strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


async def run(
    options: Options,
    shapes: Sequence[str],
    layouts: Sequence[int],
    variants: Sequence[str],
    probe: bool,
) -> tuple[list[Row], list[Row], dict[str, Any]]:
    rows: list[Row] = []
    for shape in shapes:
        for per in layouts:
            for variant in variants:
                scenario = Scenario(shape, per, variant)
                log(f"scenario {scenario}")
                rows += await run_scenario(scenario, options)
    probe_rows, breakdown = await memory_probe(options) if probe else ([], {})
    return with_ratios(rows), probe_rows, breakdown


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = Options()
    parser.add_argument("--steps", default="200,1000,2000", help="subscriber counts")
    parser.add_argument("--per-connection", type=int, default=defaults.per_connection)
    parser.add_argument("--shapes", default="one,spread", help="one, spread, or both")
    parser.add_argument("--layouts", default="", help="subscriptions per connection (1,20)")
    parser.add_argument("--variants", default="hub,strawberry", help="hub, strawberry, or both")
    parser.add_argument("--kinds", default="bug,build", help="event kinds")
    parser.add_argument("--events", type=int, default=defaults.events, help="bug events")
    parser.add_argument("--rate", type=float, default=defaults.rate, help="bug events per s")
    parser.add_argument("--other-events", type=int, default=defaults.other_events)
    parser.add_argument("--other-rate", type=float, default=defaults.other_rate)
    parser.add_argument("--baseline-events", type=int, default=defaults.baseline_events)
    parser.add_argument("--world-size", type=int, default=defaults.world_size)
    parser.add_argument("--ws", default=defaults.ws, help="uvicorn's WebSocket implementation")
    parser.add_argument("--deflate", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--memory-probe", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--stall", type=float, default=defaults.stall_s, help="seconds")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--json", action="store_true", help="the table as JSON on stdout")
    args = parser.parse_args()
    nofile = raise_nofile()
    steps = tuple(int(s) for s in args.steps.split(","))
    if nofile < max(steps) + 256:
        sys.exit(f"{max(steps)} sockets do not fit in {nofile} open files")
    options = Options(
        steps=steps,
        per_connection=args.per_connection,
        kinds=tuple(args.kinds.split(",")),
        events=args.events,
        rate=args.rate,
        other_events=args.other_events,
        other_rate=args.other_rate,
        baseline_events=args.baseline_events,
        world_size=args.world_size,
        ws=args.ws,
        deflate=args.deflate,
        stall_s=args.stall,
        seed=args.seed,
    )
    layouts = (
        [int(x) for x in args.layouts.split(",")] if args.layouts else [1, args.per_connection]
    )
    started = time.monotonic()
    rows, probe_rows, breakdown = asyncio.run(
        run(options, args.shapes.split(","), layouts, args.variants.split(","), args.memory_probe)
    )
    table = render(rows, options)
    if probe_rows or breakdown:
        table += "\n" + render_probe(probe_rows, breakdown)
    table += f"\n\nran {time.monotonic() - started:.0f} s on {os.cpu_count()} CPUs"
    if args.json:
        print(table, file=sys.stderr)
        document = {
            "options": asdict(options),
            "targets": {"p99_ms": P99_TARGET_MS, "kb_per_idle_subscription": KB_TARGET},
            "rows": [asdict(r) for r in rows],
            "memory_probe": [asdict(r) for r in probe_rows],
            "memory_breakdown": breakdown,
        }
        print(json.dumps(_finite(document)))
    else:
        print(table)


if __name__ == "__main__":
    main()
