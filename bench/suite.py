"""The benchmark suite: the gateway against its baselines, in one run, on one table.

Run with ``.venv/bin/python bench/suite.py`` (about four and a half minutes on two cores;
``--quick`` about two). Options: ``--only P1,P3`` (phases P1..P5; ``MEM`` comes with
P1), ``--quick`` (shorter loads, fewer pages and events), ``--connections``,
``--duration``, ``--json`` (the table as JSON on stdout, the printed table on stderr),
``--keep-logs`` (keep the children's output). Needs ``wrk`` (``apt-get install wrk``),
``redis-server``, and for P4/P5 a RabbitMQ broker on 127.0.0.1:5672 (guest/guest) that
``rabbitmqctl`` manages.

Everything runs as separate processes on free ports, in the production composition:
``fedora-gateway simulate`` (the generated world of 23,000 packages, the ``fedora``
latency profile, no background events, publishing to a RabbitMQ virtual host made for the
run), ``fedora-gateway serve`` (one uvicorn worker) and ``fedora-gateway worker`` on a
private ``redis-server``, and the baseline gateway ``bench/_naive_server.py`` (the same
schema without the field cache, the response cache, batching or memoization: one
upstream request per resolver call). The pages read are drawn from the world
(``bench/_suite_world.py``): packages with builds, updates and open bugs, each read by one
phase only, so "cold" means never read before. Every figure is printed next to its
baseline from the same run, the ratio baseline/gateway, and its target.

P1 warm package page
    The page query (:data:`PAGE`) of 50 packages, warmed, then driven by ``wrk`` (one
    thread, a Lua script cycling over the packages): p50 and p99 under a steady load of
    two connections for half of ``--duration`` seconds, then requests/s with
    ``--connections`` connections (which saturate the one worker: their p50 is the queue,
    shown in the note) for ``--duration`` seconds. Baseline: the same data assembled by a
    frontend from the upstreams directly (``clients.Upstreams``: mdapi, dist-git, one koji
    multicall, bodhi, Bugzilla, fired concurrently per
    page; the releases read once beforehand), as many pages at once as wrk has connections,
    for the same duration: p50, p99, pages/s. Targets: p50 <= 5 ms, >= 500 req/s, p50 at
    least 50x lower than the baseline's.
MEM
    The ``serve`` process's RSS (/proc VmRSS) during P1's load, and the Redis bytes per
    cached page (``used_memory`` growth over P1's warm-up / pages warmed).
P2 cold package page
    Pages of packages never read before, one at a time, on the gateway and on the naive
    baseline, with the upstream requests of each page from the simulator's
    ``/_sim/stats``. The latencies are set to fixed values, the ``fedora`` profile's
    medians (koji 180, mdapi 120, bodhi 350, Bugzilla 700, dist-git 150 ms), so that "the
    slowest upstream" is a known constant (Bugzilla, 700 ms). Targets: at most one request
    per upstream per page; latency at most the slowest upstream + 20 ms.
P3 batched list
    ``packages(names: [100 names]) { name builds(first: 10) {...} updates(first: 10) {...} }``
    cold, then warm, on the gateway, and on the naive baseline (``fedora`` profile):
    upstream requests and latency. Target: one request per upstream, cold.
P4 freshness
    Events replayed through the simulator's control API (build, update, bug in turn, one a
    second, each on its own warm package) with the simulator publishing to RabbitMQ and the
    worker consuming; after each event a reader polls the package's page (every 40 ms for
    3 s, longer until fresh) and checks it for the change the event's answer reports (the
    new build's NVR and state and its update; the update's status, request and karma; the
    bug's status, or its leaving the open list). Event-to-fresh = the answer time of the
    first read showing the change minus the time the event's answer (after its messages
    were published) came back; a stale read is a read answered after the event without the
    change. Fixed latencies as in P2. Baseline: fedora-packages' design, a 5-minute TTL
    response cache in front of the naive gateway, read at the same instants: each page's
    entry was filled from the naive gateway before the replay at a uniformly random phase
    of its TTL (as a steady state of continuous readers leaves it) and is refilled from
    the naive gateway when it expires; its event-to-fresh is the time to the next expiry
    plus the naive page latency. Targets: no stale read answered later than the slowest
    upstream + 200 ms after its event; p50 event-to-fresh at most the latency of the
    upstream the change comes from + 50 ms (build and update: bodhi, 350 ms; bug:
    Bugzilla, 700 ms).
P5 mass-rebuild burst
    Pages of some packages are warmed (live keys); then ``POST /_sim/rebuild`` makes releng
    rebuild those and other packages, three messages per build, about 10,000 messages
    through RabbitMQ. Messages per second from the request to the worker having settled
    every message (its log) with the queue empty; the upstream requests of the refills
    (``/_sim/stats``, nobody else reads meanwhile) against the live keys of the rebuilt
    packages; nothing lost: queue empty, no dead letter, and every warmed package's page
    shows the build koji now has as its newest. Target: >= 1,000 messages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import orjson
from redis.asyncio import Redis

from bench._suite_infra import ROOT, System, log
from clients import UpstreamNotFound, Upstreams, koji

PHASES = ("P1", "P2", "P3", "P4", "P5")
UPSTREAMS = ("koji", "mdapi", "bodhi", "bugzilla", "pagure")

_PACKAGE = """name summary description url
    maintainers { name } latestBuilds { tag build { id nvr state completedAt } }
    builds(first: 10) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id nvr state owner { name } completedAt } }
    updates(first: 10) { totalCount
      nodes { alias title status type severity karma submittedAt release { name } } }
    bugs(first: 20) { totalCount
      nodes { id summary status severity priority updatedAt assignee isOpen } }
    versions { release { name } stable testing }"""
#: The package page (P1, P2, P5): the package, maintainers, latestBuilds, builds(first: 10),
#: updates(first: 10), bugs(first: 20), versions.
PAGE = f"query Page($name: String!) {{ package(name: $name) {{ {_PACKAGE} }} }}"
#: The page with ``license``, which koji answers only in three dependent steps (the newest
#: rawhide build, its source RPM, that RPM's header): measured beside P2.
PAGE_WITH_LICENSE = (
    f"query Page($name: String!) {{ package(name: $name) {{ license {_PACKAGE} }} }}"
)
#: The page for many packages at once (warming P4's and P5's pages: the same cache keys).
PAGES = f"query Pages($names: [String!]!) {{ packages(names: $names) {{ {_PACKAGE} }} }}"
#: P4's readers: the page, with the update's ``request`` (a stable request shows nowhere else).
READ_PAGE = PAGE.replace("karma submittedAt", "karma request submittedAt")
#: P3's batched list.
LIST = (
    "query List($names: [String!]!) { packages(names: $names) { name "
    "builds(first: 10) { nodes { nvr state } } updates(first: 10) { nodes { alias status } } } }"
)


# -- options and results -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    phases: tuple[str, ...] = PHASES
    quick: bool = False
    connections: int = 8
    duration_s: float = 15.0
    p1_packages: int = 50
    p2_pages: int = 8
    p3_names: int = 100
    p4_events: int = 75
    p4_rate: float = 1.0
    p4_window_s: float = 3.0
    p4_poll_s: float = 0.04
    p4_ttl_s: float = 300.0
    p5_messages: int = 10_000
    p5_warm: int = 200
    world_size: int | None = None
    seed: int = 7

    @classmethod
    def quick_ones(cls, **changes: Any) -> Options:
        values: dict[str, Any] = {
            "quick": True,
            "duration_s": 6.0,
            "p1_packages": 30,
            "p2_pages": 3,
            "p4_events": 24,
            "p5_messages": 3_000,
            "p5_warm": 60,
        }
        values.update(changes)
        return cls(**values)


@dataclass(slots=True)
class Row:
    phase: str
    what: str
    value: float | None
    baseline: float | None = None
    unit: str = ""
    #: how many times better the gateway is: baseline / value (or value / baseline for rates)
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Run:
    system: System
    http: httpx.AsyncClient
    options: Options
    full: list[str]
    others: list[str]
    medians: dict[str, float] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    _next: int = 0
    _next_other: int = 0

    def take(self, count: int) -> list[str]:
        """``count`` packages with builds, updates and open bugs that no phase read yet."""
        if self._next + count > len(self.full):
            raise RuntimeError(f"the world has too few full packages for {count} more")
        names = self.full[self._next : self._next + count]
        self._next += count
        return names

    def take_others(self, count: int) -> list[str]:
        names = self.others[self._next_other : self._next_other + count]
        self._next_other += len(names)
        return names

    def add(self, row: Row) -> None:
        self.rows.append(row)

    @property
    def gateway(self) -> str:
        return self.system.gateway_url

    @property
    def naive(self) -> str:
        return self.system.naive_url

    @property
    def sim(self) -> str:
        return self.system.simulator_url


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0..1); NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def ratio(baseline: float | None, value: float | None) -> float | None:
    if baseline is None or value is None or value <= 0 or math.isnan(baseline + value):
        return None
    return baseline / value


# -- talking to the system -----------------------------------------------------------------


async def gql(
    http: httpx.AsyncClient, url: str, document: str, variables: dict[str, Any]
) -> tuple[float, dict[str, Any]]:
    """POST one operation; (seconds, the answer's JSON)."""
    started = time.perf_counter()
    response = await http.post(
        f"{url}/graphql",
        content=orjson.dumps({"query": document, "variables": variables}),
        headers={"content-type": "application/json"},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    body: dict[str, Any] = orjson.loads(response.content)
    return elapsed, body


def errors_of(body: dict[str, Any]) -> list[str]:
    return [str(e.get("message")) for e in body.get("errors") or []]


def cache_of(body: dict[str, Any]) -> dict[str, Any]:
    return dict((body.get("extensions") or {}).get("cache") or {})


async def sim_stats(run: Run) -> dict[str, int]:
    """Requests per upstream since the last reset."""
    response = await run.http.get(f"{run.sim}/_sim/stats")
    response.raise_for_status()
    return {name: int(v["requests"]) for name, v in response.json().items()}


async def sim_reset(run: Run) -> None:
    (await run.http.delete(f"{run.sim}/_sim/stats")).raise_for_status()


async def sim_faults(run: Run, settings: dict[str, Any]) -> dict[str, Any]:
    response = await run.http.post(f"{run.sim}/_sim/faults", json=settings)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


async def fixed_medians(run: Run) -> None:
    """Every upstream answers in exactly the ``fedora`` profile's median."""
    await sim_faults(run, {u: {"latency_ms": m} for u, m in run.medians.items()})


async def fedora_profile(run: Run) -> None:
    await sim_faults(run, {"profile": "fedora"})


def slowest(run: Run) -> tuple[str, float]:
    name = max(run.medians, key=lambda u: run.medians[u])
    return name, run.medians[name]


async def bounded(coroutines: Sequence[Awaitable[Any]], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(coroutine: Awaitable[Any]) -> Any:
        async with gate:
            return await coroutine

    return list(await asyncio.gather(*(one(c) for c in coroutines)))


async def warm_pages(run: Run, names: Sequence[str], *, chunk: int = 25) -> None:
    """Read the page of each package once (batched), so its entries are cached and live."""

    async def read(part: Sequence[str]) -> None:
        _, body = await gql(run.http, run.gateway, PAGES, {"names": list(part)})
        if errors_of(body):
            raise RuntimeError(f"warming {part[0]}..: {errors_of(body)[:3]}")

    parts = [names[i : i + chunk] for i in range(0, len(names), chunk)]
    await bounded([read(p) for p in parts], 4)


async def page_check(run: Run, names: Sequence[str]) -> dict[str, int]:
    """Read each page again: the field-cache reads summed (all hits when warm)."""
    total = {"hits": 0, "misses": 0, "stale": 0, "replayed": 0, "errors": 0}

    async def one(name: str) -> None:
        _, body = await gql(run.http, run.gateway, PAGE, {"name": name})
        cache = cache_of(body)
        for key in ("hits", "misses", "stale"):
            total[key] += int(cache.get(key, 0))
        total["replayed"] += int(bool(cache.get("replayed")))
        total["errors"] += len(errors_of(body))

    await bounded([one(n) for n in names], 8)
    return total


# -- P1: the warm page under load ----------------------------------------------------------

_WRK_SCRIPT = """-- generated by bench/suite.py: POST the page query, cycling over the packages
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {
%(bodies)s
}
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/graphql", nil, bodies[(n %% #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "mean_us": %%f, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
"""


def wrk_script(names: Sequence[str], path: Path) -> None:
    bodies = []
    for name in names:
        body = orjson.dumps({"query": PAGE, "variables": {"name": name}}).decode()
        if "]==]" in body:
            raise ValueError(f"cannot quote {name!r} for Lua")
        bodies.append(f"  [==[{body}]==],")
    path.write_text(_WRK_SCRIPT % {"bodies": "\n".join(bodies)})


async def run_wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    process = await asyncio.create_subprocess_exec(
        *(wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"),
        *("--timeout", "10s", "-s", str(script), f"{url}/graphql"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    text = out.decode(errors="replace")
    for line in text.splitlines():
        if line.startswith("WRKJSON "):
            result: dict[str, Any] = json.loads(line[len("WRKJSON ") :])
            result["output"] = text
            return result
    raise RuntimeError(f"wrk printed no result:\n{text}\n{err.decode(errors='replace')}")


async def sample_rss(run: Run, samples: list[int], stop: asyncio.Event) -> None:
    assert run.system.gateway is not None
    while not stop.is_set():
        with contextlib.suppress(OSError, RuntimeError):
            samples.append(run.system.gateway.rss_bytes())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def redis_used_memory(run: Run) -> int:
    client: Redis = Redis.from_url(run.system.redis.url)
    try:
        info = await client.info("memory")
        return int(info["used_memory"])
    finally:
        await client.aclose()


class Frontend:
    """The P1 baseline: a package page assembled by a frontend from the upstreams directly."""

    def __init__(self, upstreams: Upstreams, tags: list[str]) -> None:
        self.up = upstreams
        self.tags = tags

    @classmethod
    async def tags_of(cls, upstreams: Upstreams) -> list[str]:
        """The koji tags of the active releases (stable, and testing where bodhi composes)."""
        tags = ["rawhide"]
        for release in await upstreams.bodhi.list_releases():
            if release.state not in ("current", "pending", "frozen"):
                continue
            if release.stable_tag and release.stable_tag not in tags:
                tags.append(release.stable_tag)
            if release.testing_tag and release.composed_by_bodhi:
                tags.append(release.testing_tag)
        return tags

    async def _koji(self, name: str) -> None:
        calls: list[koji.calls.Call[Any]] = [
            koji.calls.get_latest_builds(tag, package=name) for tag in self.tags
        ]
        calls += [koji.calls.list_builds(name, limit=10), koji.calls.count_builds(name)]
        await self.up.koji.multicall(calls)

    async def _mdapi(self, name: str) -> None:
        """The summary, description and URL: the source package, else the binary one."""
        try:
            await self.up.mdapi.get_source_package("rawhide", name)
        except UpstreamNotFound:  # mdapi finds a source by "<name>-<digit>", as the gateway
            await self.up.mdapi.get_package("rawhide", name)

    async def page(self, name: str) -> bool:
        """Every upstream part of the page, concurrently; whether all of them answered."""
        up = self.up
        answers = await asyncio.gather(
            self._mdapi(name),
            up.pagure.get_project(name),
            self._koji(name),
            up.bodhi.list_updates(packages=[name], rows_per_page=10),
            up.bugzilla.search_bugs([name], is_open=True, limit=20),
            return_exceptions=True,
        )
        return not any(isinstance(a, BaseException) for a in answers)


def open_upstreams(run: Run, max_connections: int = 20) -> AbstractAsyncContextManager[Upstreams]:
    """The project's own clients, on the simulator."""
    env = run.system.upstream_env()
    return Upstreams.open(
        koji_url=env["GATEWAY_KOJI_URL"],
        mdapi_url=env["GATEWAY_MDAPI_URL"],
        bodhi_url=env["GATEWAY_BODHI_URL"],
        bugzilla_url=env["GATEWAY_BUGZILLA_URL"],
        pagure_url=env["GATEWAY_PAGURE_URL"],
        max_connections=max_connections,
    )


async def frontend_load(
    run: Run, names: Sequence[str], concurrency: int, seconds: float
) -> dict[str, Any]:
    async with open_upstreams(run, max_connections=2 * concurrency) as up:
        frontend = Frontend(up, await Frontend.tags_of(up))
        await frontend.page(names[0])  # connections open
        latencies: list[float] = []
        failed = 0
        loop = asyncio.get_running_loop()
        started = loop.time()
        stop_at = started + seconds

        async def worker(index: int) -> None:
            nonlocal failed
            while loop.time() < stop_at:
                name = names[index % len(names)]
                index += concurrency
                begun = time.perf_counter()
                ok = await frontend.page(name)
                latencies.append(time.perf_counter() - begun)
                failed += not ok

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = loop.time() - started
    return {
        "pages": len(latencies),
        "failed": failed,
        "seconds": elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "pages_per_s": len(latencies) / elapsed,
        "tags": frontend.tags,
    }


#: wrk's connections for P1's latency figures: a steady load below the single worker's
#: saturation (with more, p50 is the queue: connections / throughput).
LATENCY_CONNECTIONS = 2


async def phase_p1(run: Run) -> None:
    options = run.options
    names = run.take(options.p1_packages)
    memory_before = await redis_used_memory(run)
    log(f"P1: warming {len(names)} package pages")
    await bounded([gql(run.http, run.gateway, PAGE, {"name": n}) for n in names], 8)
    memory_after = await redis_used_memory(run)
    check = await page_check(run, names)
    if check["errors"]:
        raise RuntimeError(f"P1: the warm pages answer errors: {check}")
    script = run.system.logdir / "page.lua"
    wrk_script(names, script)
    assert run.system.gateway is not None
    rss_idle = run.system.gateway.rss_bytes()
    samples: list[int] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(run, samples, stop))
    quiet_s = max(3.0, options.duration_s / 2)
    log(f"P1: wrk, {LATENCY_CONNECTIONS} connections, {quiet_s:.0f} s (latency)")
    quiet = await run_wrk(run.gateway, script, LATENCY_CONNECTIONS, quiet_s)
    log(f"P1: wrk, {options.connections} connections, {options.duration_s:.0f} s (throughput)")
    try:
        wrk = await run_wrk(run.gateway, script, options.connections, options.duration_s)
    finally:
        stop.set()
        await sampler
    after = await page_check(run, names[:10])
    log(f"P1: baseline frontend, {options.connections} pages at once, {options.duration_s:.0f} s")
    base = await frontend_load(run, names, options.connections, options.duration_s)
    rps = wrk["requests"] / (wrk["duration_us"] / 1e6)
    p50, p99 = quiet["p50_us"] / 1000, quiet["p99_us"] / 1000
    wrk_errors = sum(
        load[k] for load in (quiet, wrk) for k in ("connect", "read", "write", "status", "timeout")
    )
    p50_ratio = ratio(base["p50_ms"], p50)
    conns = f"wrk -c{LATENCY_CONNECTIONS}"
    run.add(
        Row(
            "P1",
            f"warm page p50 ({conns}; baseline frontend)",
            p50,
            base["p50_ms"],
            "ms",
            p50_ratio,
            "<= 5 ms; >= 50x",
            p50 <= 5 and (p50_ratio or 0) >= 50,
            f"saturated (wrk -c{options.connections}): p50 {wrk['p50_us'] / 1000:.1f} ms, "
            f"p99 {wrk['p99_us'] / 1000:.1f} ms",
        )
    )
    run.add(Row("P1", "warm page p99", p99, base["p99_ms"], "ms", ratio(base["p99_ms"], p99)))
    run.add(
        Row(
            "P1",
            "throughput (gateway req/s; baseline pages/s)",
            rps,
            base["pages_per_s"],
            "/s",
            rps / base["pages_per_s"] if base["pages_per_s"] else None,
            ">= 500/s",
            rps >= 500 and wrk_errors == 0,
            f"{wrk['requests']} requests, {wrk_errors} errors; baseline {base['pages']} pages, "
            f"{base['failed']} incomplete",
        )
    )
    peak = max(samples, default=rss_idle)
    pages = len(names)
    run.add(
        Row(
            "MEM",
            "serve RSS under P1 load (peak)",
            peak / 2**20,
            unit="MB",
            note=f"{rss_idle / 2**20:.0f} MB idle after warm-up",
        )
    )
    run.add(
        Row(
            "MEM",
            "Redis bytes per cached page",
            (memory_after - memory_before) / pages / 1024,
            unit="KB",
            note=f"used_memory +{(memory_after - memory_before) / 2**20:.1f} MB for {pages} pages",
        )
    )
    run.details["P1"] = {
        "packages": names,
        "warm_check": check,
        "after_load_check": after,
        "wrk_latency": {k: v for k, v in quiet.items() if k != "output"},
        "wrk": {k: v for k, v in wrk.items() if k != "output"},
        "wrk_output": wrk["output"],
        "baseline": base,
        "rss_samples": samples,
        "redis_used_memory": [memory_before, memory_after],
    }


# -- P2: cold pages ------------------------------------------------------------------------


#: P2's extra cold pages that ask for the license too.
LICENSE_PAGES = 3


async def phase_p2(run: Run) -> None:
    first, *names = run.take(run.options.p2_pages + 1)
    licensed = run.take(LICENSE_PAGES)
    upstream, latency = slowest(run)
    await fixed_medians(run)
    results: dict[str, list[dict[str, Any]]] = {"gateway": [], "naive": []}
    try:
        # Not measured: what every page shares (the releases) is read once, by another page,
        # as on a gateway that has been running; the connection pools are open.
        for url in (run.gateway, run.naive):
            await gql(run.http, url, PAGE, {"name": first})
        for name in names:
            for variant, url in (("gateway", run.gateway), ("naive", run.naive)):
                await sim_reset(run)
                seconds, body = await gql(run.http, url, PAGE, {"name": name})
                stats = await sim_stats(run)
                results[variant].append(
                    {
                        "package": name,
                        "ms": seconds * 1000,
                        "requests": {u: stats.get(u, 0) for u in UPSTREAMS},
                        "errors": errors_of(body),
                        "cache": cache_of(body),
                    }
                )
            log(
                f"P2: {name}: gateway {results['gateway'][-1]['ms']:.0f} ms "
                f"{results['gateway'][-1]['requests']}, naive {results['naive'][-1]['ms']:.0f} ms"
            )
        license_ms: list[float] = []
        license_koji: list[int] = []
        for name in licensed:
            await sim_reset(run)
            seconds, _ = await gql(run.http, run.gateway, PAGE_WITH_LICENSE, {"name": name})
            license_ms.append(seconds * 1000)
            license_koji.append((await sim_stats(run)).get("koji", 0))
    finally:
        await fedora_profile(run)
    gw, nv = results["gateway"], results["naive"]
    gw_ms = [r["ms"] for r in gw]
    nv_ms = [r["ms"] for r in nv]
    bound = latency + 20
    fixed = "fixed medians"
    run.add(
        Row(
            "P2",
            f"cold page p50 ({len(names)} pages, {fixed})",
            statistics.median(gw_ms),
            statistics.median(nv_ms),
            "ms",
            ratio(statistics.median(nv_ms), statistics.median(gw_ms)),
            f"<= {bound:.0f} ms",
            statistics.median(gw_ms) <= bound,
        )
    )
    run.add(
        Row(
            "P2",
            "cold page max",
            max(gw_ms),
            max(nv_ms),
            "ms",
            ratio(max(nv_ms), max(gw_ms)),
            f"<= {bound:.0f} ms",
            max(gw_ms) <= bound,
        )
    )
    run.add(
        Row(
            "P2",
            f"cold page p50 minus slowest upstream ({upstream} {latency:.0f} ms)",
            statistics.median(gw_ms) - latency,
            statistics.median(nv_ms) - latency,
            "ms",
            None,
            "<= 20 ms",
            statistics.median(gw_ms) - latency <= 20,
        )
    )
    for name in UPSTREAMS:
        worst = max(r["requests"][name] for r in gw)
        mean_naive = statistics.mean(r["requests"][name] for r in nv)
        run.add(
            Row(
                "P2",
                f"requests per cold page, {name} (max; naive: mean)",
                worst,
                mean_naive,
                "",
                ratio(mean_naive, worst),
                "<= 1",
                worst <= 1,
            )
        )
    totals = [sum(r["requests"].values()) for r in gw]
    naive_totals = [sum(r["requests"].values()) for r in nv]
    errors = sum(len(r["errors"]) for r in gw), sum(len(r["errors"]) for r in nv)
    run.add(
        Row(
            "P2",
            "requests per cold page, all upstreams (mean)",
            statistics.mean(totals),
            statistics.mean(naive_totals),
            "",
            ratio(statistics.mean(naive_totals), statistics.mean(totals)),
            note=f"GraphQL errors: gateway {errors[0]}, naive {errors[1]}",
        )
    )
    run.add(
        Row(
            "P2",
            f"cold page with license ({len(license_ms)} pages): p50",
            statistics.median(license_ms),
            unit="ms",
            note=f"koji requests per page: {license_koji} (the license is three dependent "
            "koji calls)",
        )
    )
    run.details["P2"] = {
        "latency_ms": run.medians,
        "pages": results,
        "license": {"ms": license_ms, "koji": license_koji},
    }


# -- P3: the batched list ------------------------------------------------------------------


async def phase_p3(run: Run) -> None:
    names = run.take(run.options.p3_names)
    variables = {"names": names}

    async def measure(url: str, repeat: int = 1) -> dict[str, Any]:
        await sim_reset(run)
        times, bodies = [], []
        for _ in range(repeat):
            seconds, body = await gql(run.http, url, LIST, variables)
            times.append(seconds * 1000)
            bodies.append(body)
        stats = await sim_stats(run)
        body = bodies[-1]
        return {
            "ms": statistics.median(times),
            "all_ms": times,
            "requests": {u: stats.get(u, 0) / repeat for u in UPSTREAMS},
            "errors": errors_of(body),
            "cache": cache_of(body),
            "packages": sum(1 for p in (body.get("data") or {}).get("packages") or [] if p),
        }

    log(f"P3: {len(names)} names, cold")
    cold = await measure(run.gateway)
    warm = await measure(run.gateway, repeat=5)
    log("P3: naive baseline")
    naive = await measure(run.naive)
    used = [u for u in UPSTREAMS if cold["requests"][u] or naive["requests"][u]]
    for name in used:
        run.add(
            Row(
                "P3",
                f"{len(names)}-name list, cold: {name} requests",
                cold["requests"][name],
                naive["requests"][name],
                "",
                ratio(naive["requests"][name], cold["requests"][name]),
                "<= 1",
                cold["requests"][name] <= 1,
            )
        )
    cold_total = sum(cold["requests"].values())
    naive_total = sum(naive["requests"].values())
    run.add(
        Row(
            "P3",
            "list, cold: all upstream requests",
            cold_total,
            naive_total,
            "",
            ratio(naive_total, cold_total),
            note=f"warm: {sum(warm['requests'].values()):.0f} requests",
        )
    )
    run.add(
        Row(
            "P3",
            "list latency, cold (fedora profile)",
            cold["ms"],
            naive["ms"],
            "ms",
            ratio(naive["ms"], cold["ms"]),
            note=f"errors: gateway {len(cold['errors'])}, naive {len(naive['errors'])}",
        )
    )
    run.add(
        Row(
            "P3",
            "list latency, warm (median of 5)",
            warm["ms"],
            naive["ms"],
            "ms",
            ratio(naive["ms"], warm["ms"]),
            note=f"cache {warm['cache']}",
        )
    )
    run.details["P3"] = {"names": names, "cold": cold, "warm": warm, "naive": naive}


# -- P4: freshness -------------------------------------------------------------------------

Check = Callable[[dict[str, Any]], bool]


def _package(body: dict[str, Any]) -> dict[str, Any]:
    return dict((body.get("data") or {}).get("package") or {})


def _nodes(page: dict[str, Any], field_name: str) -> list[dict[str, Any]]:
    return list((page.get(field_name) or {}).get("nodes") or [])


def change_check(kind: str, changed: dict[str, Any], before: dict[str, Any]) -> Check:
    """Whether a page shows what the event changed (its answer's ``changed``)."""
    if kind == "build":
        nvr, state, alias = changed["nvr"], changed.get("state", "COMPLETE"), changed.get("update")

        def build(body: dict[str, Any]) -> bool:
            page = _package(body)
            built = any(n["nvr"] == nvr and n["state"] == state for n in _nodes(page, "builds"))
            return built and (
                alias is None or any(u["alias"] == alias for u in _nodes(page, "updates"))
            )

        return build
    if kind == "update":
        alias = changed["alias"]
        status = str(changed.get("status", "")).upper()
        expected: dict[str, Any] = {"status": status}
        if "request" in changed:
            expected["request"] = changed["request"]
        if "karma" in changed:
            expected["karma"] = changed["karma"]
        nvr = changed.get("nvr") if changed.get("step") == "submitted" else None
        obsoleted = changed.get("obsoleted")

        def update(body: dict[str, Any]) -> bool:
            page = _package(body)
            nodes = {u["alias"]: u for u in _nodes(page, "updates")}
            node = nodes.get(alias)
            if node is None or any(node.get(k) != v for k, v in expected.items()):
                return False
            if obsoleted in nodes and nodes[obsoleted]["status"] != "OBSOLETE":
                return False
            return nvr is None or any(n["nvr"] == nvr for n in _nodes(page, "builds"))

        return update
    if kind == "bug":
        bug_id, status = changed["bug_id"], changed["status"]
        total_before = int((_package(before).get("bugs") or {}).get("totalCount") or 0)

        def bug(body: dict[str, Any]) -> bool:
            page = _package(body)
            nodes = {b["id"]: b for b in _nodes(page, "bugs")}
            total = int((page.get("bugs") or {}).get("totalCount") or 0)
            if status == "CLOSED":
                return bug_id not in nodes and total == total_before - 1
            node = nodes.get(bug_id)
            return node is not None and node["status"] == status

        return bug
    raise ValueError(f"no check for {kind}")


#: The upstream each kind of change is read from (its refill's slowest part).
CHANGE_UPSTREAM = {"build": "bodhi", "update": "bodhi", "bug": "bugzilla"}


class TTLCache:
    """P4's baseline, fedora-packages' design: whole pages kept for ``ttl`` seconds.

    A model of its steady state under continuous readers, read at the same instants as
    the gateway: each page was filled from the naive gateway (its body, and the page
    latency ``L``) at a uniformly random phase of its TTL, and is refilled from the
    upstreams every ``ttl`` seconds from then on, a refill showing the world as it was when
    the refill began and landing ``L`` later. A read is stale until the first refill begun
    after the event has landed.
    """

    def __init__(self, run: Run, ttl: float, rng: random.Random) -> None:
        self.run = run
        self.ttl = ttl
        self.rng = rng
        self.entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self.fetch_ms: list[float] = []

    async def fill(self, name: str, now: float) -> None:
        """Filled from the naive gateway, at a random phase of its TTL before ``now``."""
        seconds, body = await gql(self.run.http, self.run.naive, READ_PAGE, {"name": name})
        if errors_of(body):
            raise RuntimeError(f"the naive gateway fails {name}: {errors_of(body)[:2]}")
        self.fetch_ms.append(seconds * 1000)
        self.entries[name] = (now - self.rng.uniform(0, self.ttl), body)

    def body(self, name: str) -> dict[str, Any]:
        return self.entries[name][1]

    def fresh_at(self, name: str, event_at: float) -> float:
        """When the first refill begun after ``event_at`` lands."""
        phase = self.entries[name][0]
        begins = phase + self.ttl * max(0, math.ceil((event_at - phase) / self.ttl))
        return begins + statistics.median(self.fetch_ms) / 1000


@dataclass(slots=True)
class Event:
    kind: str
    package: str
    status: int = 0
    changed: dict[str, Any] = field(default_factory=dict)
    sent: float = 0.0
    answered: float = 0.0
    invisible: bool = False
    fresh_s: float | None = None  # event-to-fresh (answer time of the first fresh read)
    last_stale_s: float | None = None  # answer time of the last stale read
    reads: int = 0
    stale: int = 0
    flaps: int = 0  # stale reads after a fresh one
    base_reads: int = 0
    base_stale: int = 0
    base_fresh_s: float | None = None
    error: str | None = None


async def follow(run: Run, event: Event, check: Check, ttl: TTLCache) -> None:
    """Poll the page after the event; grade each read, and the baseline's at the same instant."""
    options = run.options
    loop = asyncio.get_running_loop()
    base = event.answered
    give_up = base + 30.0
    seen_fresh = False
    while True:
        begun = loop.time()
        _, body = await gql(run.http, run.gateway, READ_PAGE, {"name": event.package})
        done = loop.time()
        fresh = check(body) and not errors_of(body)
        event.reads += 1
        if fresh:
            if event.fresh_s is None:
                event.fresh_s = done - base
            seen_fresh = True
        else:
            event.stale += 1
            event.last_stale_s = done - base
            event.flaps += seen_fresh
        event.base_reads += 1
        event.base_stale += begun < ttl.fresh_at(event.package, base)
        if (done >= base + options.p4_window_s and seen_fresh) or done >= give_up:
            return
        await asyncio.sleep(max(0.0, begun + options.p4_poll_s - loop.time()))


async def fire(run: Run, event: Event) -> dict[str, Any]:
    """The event through the control API; the page before it, for the check."""
    loop = asyncio.get_running_loop()
    _, before = await gql(run.http, run.gateway, READ_PAGE, {"name": event.package})
    event.sent = loop.time()
    response = await run.http.post(
        f"{run.sim}/_sim/events", json={"type": event.kind, "package": event.package}
    )
    event.answered = loop.time()
    event.status = response.status_code
    if response.status_code == 200:
        event.changed = dict(response.json().get("changed") or {})
    else:
        event.error = response.text[:200]
    return before


async def phase_p4(run: Run) -> None:
    options = run.options
    if run.system.worker is None:
        raise RuntimeError(f"P4 needs the worker (RabbitMQ): {run.system.bus_error}")
    kinds = ("build", "update", "bug")
    schedule = [kinds[i % 3] for i in range(options.p4_events)]
    names = run.take(options.p4_events + 15)
    spares = names[options.p4_events :]
    rng = random.Random(options.seed)
    ttl = TTLCache(run, options.p4_ttl_s, rng)
    await fixed_medians(run)
    try:
        log(f"P4: warming {len(names)} pages, and the baseline's TTL cache from the naive server")
        loop = asyncio.get_running_loop()
        start_guess = loop.time()
        await asyncio.gather(
            warm_pages(run, names),
            bounded([ttl.fill(n, start_guess) for n in names[: options.p4_events]], 12),
        )
        check = await page_check(run, names[:5])
        log(f"P4: warm check {check}; replaying {len(schedule)} events at {options.p4_rate}/s")
        events: list[Event] = []
        followers: list[asyncio.Task[None]] = []
        queue = list(names[: options.p4_events])
        started = loop.time()

        async def one(kind: str, package: str) -> None:
            event = Event(kind, package)
            events.append(event)
            before = await fire(run, event)
            while event.status == 409 and spares:  # the package cannot take this event
                event.package = spares.pop(0)
                if event.package not in ttl.entries:
                    await ttl.fill(event.package, event.sent)
                before = await fire(run, event)
            if event.status != 200:
                return
            verdict = change_check(kind, event.changed, before)
            if verdict(before) or verdict(ttl.body(event.package)):
                event.invisible = True  # nothing on the page to wait for
                return
            event.base_fresh_s = ttl.fresh_at(event.package, event.answered) - event.answered
            await follow(run, event, verdict, ttl)

        for index, kind in enumerate(schedule):
            await asyncio.sleep(max(0.0, started + index / options.p4_rate - loop.time()))
            followers.append(asyncio.create_task(one(kind, queue[index])))
        await asyncio.gather(*followers)
        replay_s = loop.time() - started
    finally:
        await fedora_profile(run)
    p4_rows(run, events, ttl, replay_s)


def p4_rows(run: Run, events: list[Event], ttl: TTLCache, replay_s: float) -> None:
    graded = [e for e in events if e.status == 200 and not e.invisible]
    refused = [e for e in events if e.status != 200]
    invisible = [e for e in events if e.invisible]
    never = [e for e in graded if e.fresh_s is None]
    fresh = [e.fresh_s * 1000 for e in graded if e.fresh_s is not None]
    base = [e.base_fresh_s * 1000 for e in graded if e.base_fresh_s is not None]
    reads = sum(e.reads for e in graded)
    stale = sum(e.stale for e in graded)
    base_reads = sum(e.base_reads for e in graded)
    base_stale = sum(e.base_stale for e in graded)
    last_stale = max((e.last_stale_s or 0.0) * 1000 for e in graded) if graded else math.nan
    upstream, latency = slowest(run)
    bound = latency + 200
    p50 = percentile(fresh, 0.5)
    run.add(
        Row(
            "P4",
            f"event-to-fresh p50 ({len(graded)} events; baseline 5-min TTL)",
            p50,
            percentile(base, 0.5),
            "ms",
            ratio(percentile(base, 0.5), p50),
            note=f"{len(never)} never fresh within 30 s",
        )
    )
    run.add(
        Row(
            "P4",
            "event-to-fresh p99",
            percentile(fresh, 0.99),
            percentile(base, 0.99),
            "ms",
            ratio(percentile(base, 0.99), percentile(fresh, 0.99)),
        )
    )
    for kind in ("build", "update", "bug"):
        mine = [e.fresh_s * 1000 for e in graded if e.kind == kind and e.fresh_s is not None]
        theirs = [e.base_fresh_s * 1000 for e in graded if e.kind == kind and e.base_fresh_s]
        name = CHANGE_UPSTREAM[kind]
        target = run.medians[name] + 50
        value = percentile(mine, 0.5)
        run.add(
            Row(
                "P4",
                f"event-to-fresh p50, {kind} ({len(mine)}; from {name})",
                value,
                percentile(theirs, 0.5),
                "ms",
                ratio(percentile(theirs, 0.5), value),
                f"<= {target:.0f} ms",
                bool(mine) and value <= target,
                f"max {max(mine, default=math.nan):.0f} ms",
            )
        )
    run.add(
        Row(
            "P4",
            "latest stale read after its event",
            last_stale,
            max(base, default=math.nan),
            "ms",
            ratio(max(base, default=math.nan), last_stale),
            f"<= {bound:.0f} ms ({upstream} + 200)",
            not math.isnan(last_stale) and last_stale <= bound and not never,
        )
    )
    run.add(
        Row(
            "P4",
            "stale reads after events (fraction)",
            100 * stale / reads if reads else math.nan,
            100 * base_stale / base_reads if base_reads else math.nan,
            "%",
            ratio(base_stale / base_reads, stale / reads) if stale and base_reads else None,
            note=(
                f"{stale}/{reads} vs {base_stale}/{base_reads}; "
                f"{sum(e.flaps for e in graded)} stale after fresh; {len(refused)} refused, "
                f"{len(invisible)} not visible on the page; replay {replay_s:.0f} s"
            ),
        )
    )
    run.details["P4"] = {
        "events": [asdict(e) for e in events],
        "baseline_fetch_ms": ttl.fetch_ms,
        "latency_ms": run.medians,
    }


# -- P5: the mass-rebuild burst ------------------------------------------------------------


async def live_keys(run: Run, names: Sequence[str]) -> tuple[int, int]:
    """(live entries tagged with these packages, all live entries) in the field cache."""
    from gateway.invalidation import keys
    from gateway.invalidation.redisstore import RedisFieldCache

    client: Redis = Redis.from_url(run.system.redis.url)
    cache = RedisFieldCache(client)
    try:
        since = time.time() - 7 * 86_400
        tags = [keys.package(n, source) for n in names for source in sorted(keys.SOURCES)]
        mine = await cache.live(tags, since=since)
        every = await cache.live_keys(since)
        return len(mine), len(every)
    finally:
        await client.aclose()


async def newest_builds(run: Run, names: Sequence[str]) -> dict[str, int | None]:
    """What koji says now: each package's newest build id (one multicall)."""
    async with open_upstreams(run) as up:
        answers = await up.koji.batch([koji.calls.list_builds(n, limit=1) for n in names])
    newest: dict[str, int | None] = {}
    for name, answer in zip(names, answers, strict=True):
        newest[name] = answer[0].id if isinstance(answer, list) and answer else None
    return newest


async def phase_p5(run: Run) -> None:
    options = run.options
    system = run.system
    if system.worker is None or system.vhost is None:
        raise RuntimeError(f"P5 needs the worker (RabbitMQ): {system.bus_error}")
    builds = math.ceil(options.p5_messages / 3)
    warm = run.take(min(options.p5_warm, builds))
    rebuilt = warm + run.take_others(builds - len(warm))
    random.Random(options.seed).shuffle(rebuilt)
    log(f"P5: warming {len(warm)} pages")
    await warm_pages(run, warm)
    check = await page_check(run, warm[:10])
    live_mine, live_all = await live_keys(run, warm)
    leftover = await system.drain()  # what earlier phases published is handled first
    before = system.settled()
    procs = {
        p.name: p
        for p in (system.worker, system.simulator, system.redis.proc, system.gateway)
        if p is not None
    }
    cpu_before = {name: p.cpu_seconds() for name, p in procs.items()}
    await sim_reset(run)
    log(f"P5: rebuilding {len(rebuilt)} packages ({len(set(rebuilt))} distinct)")
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await run.http.post(
        f"{run.sim}/_sim/rebuild", json={"packages": rebuilt, "count": len(rebuilt)}, timeout=900
    )
    response.raise_for_status()
    answer = response.json()
    published_at = loop.time() - started
    messages = int(answer["messages"])
    deadline = started + (120 if options.quick else 420)
    settled: dict[str, int] = {}
    done_at = math.nan
    timeline: list[tuple[float, int]] = []  # (seconds since the request, messages settled)
    while loop.time() < deadline:
        system.worker.check()
        settled = {k: v - before.get(k, 0) for k, v in system.settled().items()}
        timeline.append((loop.time() - started, sum(settled.values())))
        if timeline[-1][1] >= messages:
            done_at = timeline[-1][0]
            break
        await asyncio.sleep(0.1)
    cpu = {name: p.cpu_seconds() - cpu_before[name] for name, p in procs.items()}
    queue = await system.drain(within=30)  # settled means acked: the queue should be empty
    stats = await sim_stats(run)
    queues = await asyncio.to_thread(system.vhost.queues)
    dead = queues.get(f"{system.queue}.dead-letter", (0, 0, 0))[0]
    log(f"P5: {sum(settled.values())} of {messages} settled in {done_at:.1f} s; queue {queue}")
    halves = [
        next((t for t, n in timeline if n >= share * messages), math.nan) for share in (0.5, 0.9)
    ]
    truth = await newest_builds(run, warm)
    shown: dict[str, int | None] = {}
    reads = {"hits": 0, "misses": 0, "stale": 0}

    async def read(part: Sequence[str]) -> None:
        _, body = await gql(run.http, run.gateway, PAGES, {"names": list(part)})
        for key in reads:
            reads[key] += int(cache_of(body).get(key, 0))
        for page in (body.get("data") or {}).get("packages") or []:
            nodes = _nodes(page or {}, "builds")
            shown[page["name"]] = nodes[0]["id"] if nodes else None

    await bounded([read(warm[i : i + 25]) for i in range(0, len(warm), 25)], 4)
    wrong = [n for n in warm if shown.get(n) != truth.get(n) or truth.get(n) is None]
    rate = messages / done_at if done_at == done_at and done_at > 0 else math.nan
    lost = messages - settled.get("handled", 0)
    refills = sum(stats.values())
    run.add(
        Row(
            "P5",
            f"mass rebuild: {messages} messages through RabbitMQ",
            rate,
            None,
            "msg/s",
            None,
            ">= 1,000/s",
            rate >= 1000,
            f"published in {published_at:.1f} s; settled: 50% at {halves[0]:.1f} s, 90% at "
            f"{halves[1]:.1f} s, all at {done_at:.1f} s; CPU s: "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items()),
        )
    )
    run.add(
        Row(
            "P5",
            f"refill requests per live key ({live_mine} keys, {len(warm)} pages)",
            refills / live_mine if live_mine else math.nan,
            None,
            "",
            note=", ".join(f"{u} {stats.get(u, 0)}" for u in UPSTREAMS if stats.get(u))
            + f" requests; per warm package rebuilt (3 messages): {refills / len(warm):.1f} "
            f"requests for {live_mine / len(warm):.1f} live keys; {live_all} live keys in all",
        )
    )
    nothing_lost = lost == 0 and queue == (0, 0) and dead == 0 and not wrong
    run.add(
        Row(
            "P5",
            "lost: not handled / dead letters / stale warm pages",
            lost,
            None,
            "",
            None,
            "0 / 0 / 0, queue empty",
            nothing_lost,
            f"{dead} dead letters, queue (messages, unacked) {queue}, {len(wrong)} of "
            f"{len(warm)} warm pages not showing koji's newest build; reads {reads}",
        )
    )
    run.details["P5"] = {
        "answer": answer,
        "settled": settled,
        "cpu_seconds": cpu,
        "timeline": timeline,
        "leftover_before": leftover,
        "queue": queue,
        "dead_letters": dead,
        "upstream_requests": stats,
        "live_keys": {"rebuilt": live_mine, "all": live_all},
        "warm_check": check,
        "verify_reads": reads,
        "wrong": wrong[:20],
    }


# -- the table -----------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    magnitude = abs(value)
    if magnitude >= 100 or value == int(value):
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(value: float | None, unit: str) -> str:
    text = _number(value)
    return text if text == "-" or not unit else f"{text} {unit}"


def render(rows: list[Row], header: list[str]) -> str:
    widths = (6, 58, 12, 12, 8, 28, 7)
    titles = ("phase", "what", "gateway", "baseline", "ratio", "target", "met")
    line = (
        f"{titles[0]:<{widths[0]}}{titles[1]:<{widths[1]}}{titles[2]:>{widths[2]}}"
        f"{titles[3]:>{widths[3]}}{titles[4]:>{widths[4]}}  {titles[5]:<{widths[5]}}{titles[6]}"
    )
    out = [*header, "", line, "-" * (len(line) + 4)]
    for r in rows:
        met = "" if r.met is None else ("met" if r.met else "MISSED")
        ratio_text = "" if r.ratio is None else f"x{_number(r.ratio)}"
        out.append(
            f"{r.phase:<{widths[0]}}{r.what[: widths[1] - 1]:<{widths[1]}}"
            f"{_cell(r.value, r.unit):>{widths[2]}}{_cell(r.baseline, r.unit):>{widths[3]}}"
            f"{ratio_text:>{widths[4]}}  {r.target:<{widths[5]}}{met}"
        )
        if r.note:
            out.append(f"{'':<{widths[0]}}  {r.note}")
    return "\n".join(out)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# -- main ----------------------------------------------------------------------------------

PHASE_RUNNERS: dict[str, Callable[[Run], Awaitable[None]]] = {
    "P1": phase_p1,
    "P2": phase_p2,
    "P3": phase_p3,
    "P4": phase_p4,
    "P5": phase_p5,
}


async def sample_world(size: int | None) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "_suite_world.py"),
        *(["--size", str(size)] if size else []),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"sampling the world failed:\n{err.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out)
    return result


async def run_suite(options: Options, logdir: Path) -> tuple[list[Row], dict[str, Any]]:
    bus = any(p in options.phases for p in ("P4", "P5"))
    naive = any(p in options.phases for p in ("P2", "P3", "P4"))
    system = System(logdir, bus=bus, naive=naive, world_size=options.world_size)
    details: dict[str, Any] = {}
    rows: list[Row] = []
    try:
        log("starting redis, the simulator (fedora profile) and sampling its world")
        await system.start_simulator()
        world, _ = await asyncio.gather(sample_world(options.world_size), system.wait_simulator())
        async with httpx.AsyncClient(timeout=120, trust_env=False) as http:
            answer = (await http.get(f"{system.simulator_url}/_sim/world")).json()
            if answer["sizes"] != world["sizes"]:
                raise RuntimeError(f"the sampled world differs: {answer['sizes']} {world['sizes']}")
            faults = (await http.get(f"{system.simulator_url}/_sim/faults")).json()
            log(f"world {answer['sizes']}; starting serve, worker, naive baseline")
            await system.start_services()
            run = Run(system, http, options, world["full"], world["live"])
            run.medians = {u: float(faults[u]["latency_ms"]) for u in UPSTREAMS}
            details["world"] = answer
            details["fedora_profile"] = faults
            if system.naive is not None:
                ready = system.naive.output().strip().splitlines()[0]
                details["naive_server"] = json.loads(ready)
            for phase in PHASES:
                if phase not in options.phases:
                    continue
                began = time.monotonic()
                log(f"{phase}: start")
                try:
                    await PHASE_RUNNERS[phase](run)
                except Exception as error:
                    log(f"{phase} failed: {error!r}")
                    run.add(Row(phase, f"FAILED: {error!r}"[:200], None, met=False))
                    with contextlib.suppress(Exception):
                        await fedora_profile(run)
                details.setdefault("phase_seconds", {})[phase] = time.monotonic() - began
                for proc in system.procs:
                    proc.check()
            rows = run.rows
            details.update(run.details)
    finally:
        log("stopping everything")
        await asyncio.to_thread(system.stop)
    return rows, details


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="phases to run, e.g. P1,P3 (default: all)")
    parser.add_argument("--quick", action="store_true", help="shorter loads, fewer pages")
    parser.add_argument("--connections", type=int, default=None, help="wrk connections (8)")
    parser.add_argument("--duration", type=float, default=None, help="P1 seconds (15)")
    parser.add_argument("--world-size", type=int, default=None, help="packages (23,000)")
    parser.add_argument("--json", action="store_true", help="the table as JSON on stdout")
    parser.add_argument("--keep-logs", action="store_true", help="keep the children's output")
    args = parser.parse_args()
    phases = tuple(p.strip().upper() for p in args.only.split(",") if p.strip()) or PHASES
    phases = tuple("P1" if p == "MEM" else p for p in phases)
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        parser.error(f"unknown phases {unknown}; known: {', '.join(PHASES)} (and MEM)")
    if "P1" in phases and shutil.which("wrk") is None:
        sys.exit("P1 drives the gateway with wrk, which is not installed: apt-get install wrk")
    changes: dict[str, Any] = {"phases": phases}
    if args.connections:
        changes["connections"] = args.connections
    if args.duration:
        changes["duration_s"] = args.duration
    if args.world_size:
        changes["world_size"] = args.world_size
    options = Options.quick_ones(**changes) if args.quick else Options(**changes)
    logdir = Path(tempfile.mkdtemp(prefix="fedora-gateway-suite-"))
    started = time.monotonic()
    try:
        rows, details = asyncio.run(run_suite(options, logdir))
    finally:
        if not args.keep_logs:
            shutil.rmtree(logdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    world = details.get("world", {}).get("sizes", {})
    header = [
        f"fedora-gateway benchmark suite{' (--quick)' if options.quick else ''}: "
        f"{', '.join(options.phases)}; ran {elapsed:.0f} s on {os.cpu_count()} CPUs",
        f"world: generated, {world.get('packages', '?')} packages, {world.get('builds', '?')} "
        "builds; simulator latency profile 'fedora' (P2 and P4: fixed at its medians "
        + ", ".join(f"{u} {m:.0f}" for u, m in _medians(details).items())
        + " ms)",
        "ratio = how many times better the gateway is than the baseline (baseline/gateway; "
        "for rates gateway/baseline)",
    ]
    naive = details.get("naive_server")
    if naive is not None:
        header.append(
            "naive baseline (P2-P4): no field or response cache, every DataLoader "
            "max_batch_size=1 cache=False, prefetch off ("
            + (", ".join(naive.get("prefetch_off") or []) or "none found")
            + ")"
        )
    if args.keep_logs:
        header.append(f"logs: {logdir}")
    table = render(rows, header)
    if args.json:
        print(table, file=sys.stderr)
        document = {
            "options": asdict(options),
            "seconds": elapsed,
            "rows": [asdict(r) for r in rows],
            "details": details,
        }
        print(json.dumps(_finite(document), default=str))
    else:
        print(table)


def _medians(details: dict[str, Any]) -> dict[str, float]:
    profile = details.get("fedora_profile") or {}
    return {u: float(profile[u]["latency_ms"]) for u in UPSTREAMS if u in profile}


if __name__ == "__main__":
    main()
