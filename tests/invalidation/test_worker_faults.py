"""The invalidation worker under faults, as processes on real Redis and real RabbitMQ.

The production shape of ``test_production.py``: ``fedora-gateway simulate`` publishes the
world's events to RabbitMQ, ``fedora-gateway worker`` consumes them into the Redis field
cache, and ``fedora-gateway serve`` fills that cache from users' queries over HTTP. Then:

1. two workers on one queue share a burst, with the same guarantees;
2. duplicated, reordered, malformed and unknown messages: the cache converges, each
   malformed message is dead-lettered once, unknown topics are acked, the worker goes on;
3. a worker killed with SIGKILL in the middle of a burst, then restarted;
4. the broker closes the worker's connection (``rabbitmqctl close_connection``): it
   reconnects, nothing published around the break is lost, and it reconciles.

After each, :func:`assert_cache_matches_truth` compares *every* live key in Redis with what
the upstreams (the simulator) answer now, through the worker's own upstream loaders.

Three regression tests at the end reproduce, deterministically, two bugs the worker once
had: more than 100 Redis commands at once on a pool that refused the 101st (``POOL_BUG``),
and a refill refused by a newer invalidation being dropped, leaving the entry stale
(``REFUSED_BUG``).

Isolation: the module runs in a RabbitMQ virtual host of its own (no other test's simulator
reaches its queues, its events reach no other test's worker; deleted at the end with all it
holds), with one queue per test (deleted at the end of the test), and in a Redis database
of its own (claimed with a marker key while empty, emptied before each test, flushed at the
end). The break closes only this module's worker connections, found by virtual host and
connection name (never ``close_all_connections``). Workers are the real ``worker`` command;
which of them handled what is read from the line it logs per settled delivery. Under
``CI=true`` a missing broker, ``rabbitmqctl`` or Redis fails the module.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import redis
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from redis.asyncio import BlockingConnectionPool
from redis.asyncio import Redis as AsyncRedis
from yarl import URL

from clients import Upstreams
from gateway.app import create_app
from gateway.invalidation import keys, messages
from gateway.invalidation.keys import Recipe
from gateway.invalidation.redisstore import RedisFieldCache
from gateway.invalidation.store import FieldCache, check_tags
from gateway.resolvers.cached import CacheStats, FieldReads
from gateway.resolvers.kinds import kind_of
from gateway.resolvers.upstream import UpstreamLoaders
from tests.conftest import AMQP_URL, IN_CI, LiveServer, free_port, upstream_env
from tests.gateway.conftest import settings_for
from tests.invalidation.conftest import REDIS_URL

pytestmark = [pytest.mark.rabbitmq, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
PREFIX = messages.PROD_PREFIX
#: Databases never claimed: 0 holds the namespaced tests, test_production.py flushes 11.
_TAKEN_DATABASES = frozenset({0, 11, 12, 13})  # 13: tests/limits
_CLAIM = "fedora-gateway:test-worker-faults:claim"
#: Kinds of mutation the control API performs, cycled over the packages of a burst.
KINDS = ("build", "build_failed", "update", "bug", "owner", "repo")

POOL_BUG = (
    "the worker sends one Redis command per live entry at once (Invalidator.invalidate "
    "gathers a lease per entry, Refiller._kind a put per entry) on the client that "
    "service.run_worker makes with Redis.from_url, whose redis-py 8 asyncio pool holds at "
    "most 100 connections and raises MaxConnectionsError instead of waiting: past 100 "
    "entries the handler fails every time (dead-lettered after 5 tries, the invalidation "
    "lost) and the reconciliation fails (and is not tried again)"
)
REFUSED_BUG = (
    "Invalidator.invalidate ignores RefillReport.refused: a refill whose value newly carries "
    "a tag (a user's builds page gaining the new build) is refused when a later message "
    "invalidates that tag during the fetch, and that message's handler does not refill the "
    "entry (it was not yet a member of the tag), so the entry stays stale, with old data "
    "and old tags, until someone reads it"
)
#: The logger of the worker's one line per settled delivery:
#: ``settled handled|dropped|failed <message id> <redelivered> <routing key>``.
SETTLED_LOGGER = "gateway.invalidation.consumer"


class PoolExhaustedError(Exception):
    """The regression of ``POOL_BUG``: the Redis pool refused a command."""


class StaleAfterSettleError(Exception):
    """The regression of ``REFUSED_BUG``: entries stale after the worker settled."""


#: Many variants of a package page: every kind of cached field, pages and filters.
PAGE = """
query Page($name: String!, $after: String) {
  package(name: $name) {
    name summary license subpackages
    maintainers { name builds(first: 3) { totalCount nodes { nvr state } } }
    builds(first: 10) {
      totalCount pageInfo { endCursor }
      nodes { id nvr state tags update { alias status } }
    }
    failed: builds(first: 5, state: FAILED) { totalCount nodes { nvr } }
    later: builds(first: 10, after: $after) { totalCount nodes { nvr } }
    latestBuilds { tag channel build { nvr } }
    versions { release { name } stable testing }
    updates(first: 10) {
      totalCount nodes { alias status request karma builds { nvr } bugs { id status } }
    }
    testing: updates(first: 5, status: TESTING) { totalCount nodes { alias } }
    bugs(first: 20) { totalCount nodes { id status summary } }
    closed: bugs(first: 5, open: false) { totalCount nodes { id } }
    changelog(first: 3) { text version }
  }
  releases { name }
}
"""


# -- processes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """One delivery a traced worker settled."""

    outcome: str  # handled | dropped | failed
    message_id: str
    redelivered: bool
    routing_key: str


class Process:
    """A ``python -m <module> ...`` child with its output in a file."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._out = log.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", *argv],
            env=env,
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        self.killed = False

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def traces(self) -> list[Trace]:
        found = []
        for line in self.output().splitlines():
            _, marker, settled = line.partition(f"{SETTLED_LOGGER}: settled ")
            if marker:
                outcome, message_id, redelivered, routing_key = settled.split(" ", 3)
                found.append(Trace(outcome, message_id, redelivered == "1", routing_key))
        return found

    def count(self, text: str) -> int:
        return sum(text in line for line in self.output().splitlines())

    def check(self) -> None:
        """Fail with the process's output if it died without being killed."""
        if not self.killed and not self.alive:
            pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no drain, no acks, no clean-up."""
        self.killed = True
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._out.close()


def _clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without its GATEWAY_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(extra)
    return env


# -- RabbitMQ through rabbitmqctl ---------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true forbids skipping")
    pytest.skip(reason)


def _rabbitmqctl(*args: str) -> str:
    path = shutil.which("rabbitmqctl")
    if path is None:
        _unavailable("rabbitmqctl is not on PATH")
    assert path is not None
    done = subprocess.run(
        [path, "-q", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout


class Broker:
    """This module's virtual host on the test broker."""

    def __init__(self) -> None:
        self.vhost = f"fedora-gateway-worker-faults-{uuid.uuid4().hex[:10]}"
        base = URL(AMQP_URL)
        self.user = base.user or "guest"
        self.url = str(base.with_path(f"/{self.vhost}"))
        #: What the workers use: reconnect after 0.3 s rather than aio-pika's 5 s.
        self.worker_url = str(URL(self.url).update_query(reconnect_interval="0.3"))

    def create(self) -> None:
        try:
            _rabbitmqctl("add_vhost", self.vhost)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            _unavailable(f"the broker cannot be managed with rabbitmqctl: {error}")
        _rabbitmqctl("set_permissions", "-p", self.vhost, self.user, ".*", ".*", ".*")

    def delete(self) -> None:
        _rabbitmqctl("delete_vhost", self.vhost)

    def depth(self, queue: str) -> tuple[int, int] | None:
        """(messages, of which unacknowledged) in ``queue``; ``None`` when it does not exist."""
        listing = _rabbitmqctl(
            *("list_queues", "-p", self.vhost, "--no-table-headers"),
            *("name", "messages", "messages_unacknowledged"),
        )
        for line in listing.splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[0] == queue:
                return int(parts[1]), int(parts[2])
        return None

    def close_worker_connections(self, reason: str = "worker-faults test") -> int:
        """Have the broker close this vhost's worker connections; how many it closed."""
        listing = _rabbitmqctl(
            "list_connections", "--no-table-headers", "pid", "vhost", "client_properties"
        )
        closed = 0
        for line in listing.splitlines():
            pid, _, rest = line.partition("\t")
            vhost, _, properties = rest.partition("\t")
            if vhost == self.vhost and '{"connection_name","fedora-gateway worker"}' in properties:
                _rabbitmqctl("close_connection", pid, reason)
                closed += 1
        return closed


# -- Redis ----------------------------------------------------------------------------------


class Database:
    """A Redis database of this module's own: claimed while empty, flushed at the end."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex
        self.number: int | None = None
        self.client: redis.Redis | None = None

    @property
    def url(self) -> str:
        return str(URL(REDIS_URL).with_path(f"/{self.number}"))

    def claim(self) -> None:
        for number in range(15, 0, -1):
            if number in _TAKEN_DATABASES:
                continue
            client = redis.Redis.from_url(
                str(URL(REDIS_URL).with_path(f"/{number}")), socket_connect_timeout=5
            )
            try:
                if client.set(_CLAIM, self.token, nx=True) and client.dbsize() == 1:
                    self.number, self.client = number, client
                    return
                if client.get(_CLAIM) == self.token.encode():
                    client.delete(_CLAIM)  # not empty after all: give it back
            except (OSError, redis.exceptions.RedisError) as error:
                client.close()
                _unavailable(f"Redis at {REDIS_URL} is unreachable: {error!r}")
            client.close()
        _unavailable("no empty Redis database to claim")

    def reset(self) -> None:
        """Empty the database (each test starts from an empty cache), keeping the claim."""
        assert self.client is not None
        assert self.client.get(_CLAIM) == self.token.encode(), "someone else uses the database"
        self.client.flushdb()
        self.client.set(_CLAIM, self.token)

    def release(self) -> None:
        if self.client is None:
            return
        if self.client.get(_CLAIM) == self.token.encode():
            self.client.flushdb()
        self.client.close()


# -- the system -----------------------------------------------------------------------------


@dataclass
class System:
    broker: Broker
    database: Database
    simulator: str
    gateway: str
    truth: str
    logs: Path
    packages: list[str]
    upstream_env: dict[str, str] = field(default_factory=dict)

    def worker(self, queue: str, name: str, prefetch: int | None = None) -> Process:
        env = _clean_env(
            **self.upstream_env,
            GATEWAY_REDIS_URL=self.database.url,
            GATEWAY_AMQP_URL=self.broker.worker_url,
            GATEWAY_WORKER_QUEUE=queue,
            **({"GATEWAY_WORKER_PREFETCH": str(prefetch)} if prefetch else {}),
        )
        return Process(
            name,
            ["gateway.cli", "--log-level", "INFO", "worker"],
            env,
            self.logs / f"{name}-{uuid.uuid4().hex[:6]}.log",
        )


def _wait_http(url: str, processes: Sequence[Process], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        for process in processes:
            process.check()
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come up"
        time.sleep(0.1)


def _busy_packages(simulator: str, truth: str, count: int) -> list[str]:
    """The packages with the most builds, updates and bugs among the first hundred."""
    names = list(httpx.get(f"{simulator}/pagure/extras/pagure_owner_alias.json").json()["rpms"])
    body = httpx.post(
        f"{truth}/graphql",
        json={
            "query": """query($names: [String!]!) { packages(names: $names) { name
              builds(first: 1) { totalCount } updates(first: 1) { totalCount }
              bugs(first: 1) { totalCount } } }""",
            "variables": {"names": names[:100]},
        },
        timeout=60,
    ).json()
    assert "errors" not in body, body["errors"]
    rows = [p for p in body["data"]["packages"] if p and p["updates"]["totalCount"]]
    rows.sort(
        key=lambda p: (
            -(p["builds"]["totalCount"] + p["updates"]["totalCount"] + p["bugs"]["totalCount"])
        )
    )
    assert len(rows) >= count, "the world has too few busy packages"
    return [p["name"] for p in rows[:count]]


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    broker = Broker()
    broker.create()
    database = Database()
    processes: list[Process] = []
    truth_server: LiveServer | None = None
    try:
        database.claim()
        logs = tmp_path_factory.mktemp("worker-faults")
        sim_port, gateway_port = free_port(), free_port()
        simulator = f"http://127.0.0.1:{sim_port}"
        urls = upstream_env(simulator)
        processes.append(
            Process(
                "simulator",
                [
                    *("gateway.cli", "--log-level", "WARNING", "simulate"),
                    *("--port", str(sim_port), "--size", "300", "--events-per-minute", "0"),
                ],
                _clean_env(GATEWAY_AMQP_URL=broker.url),
                logs / "simulator.log",
            )
        )
        processes.append(
            Process(
                "gateway",
                ["gateway.cli", "--log-level", "WARNING", "serve", "--port", str(gateway_port)],
                _clean_env(**urls, GATEWAY_REDIS_URL=database.url),
                logs / "gateway.log",
            )
        )
        truth_app = create_app(settings_for(simulator, field_cache=False))
        truth_server = LiveServer(truth_app, free_port()).__enter__()
        _wait_http(f"{simulator}/_sim/world", processes)
        _wait_http(f"http://127.0.0.1:{gateway_port}/healthz", processes)
        yield System(
            broker=broker,
            database=database,
            simulator=simulator,
            gateway=f"http://127.0.0.1:{gateway_port}",
            truth=truth_server.url,
            logs=logs,
            packages=_busy_packages(simulator, truth_server.url, 16),
            upstream_env=urls,
        )
    finally:
        for process in processes:
            process.stop()
        if truth_server is not None:
            truth_server.__exit__(None, None, None)
        broker.delete()
        database.release()


# -- per test: a connection to the vhost, a queue, workers, the store, the truth --------------


@dataclass
class Bus:
    """The test's own connection to the module's vhost: publish, inspect, capture."""

    connection: AbstractRobustConnection
    broker: Broker
    queue: str

    @property
    def dead_letter_queue(self) -> str:
        return keys.dead_letter_queue(self.queue)

    async def publish(
        self, routing_key: str, body: bytes, headers: dict[str, Any], message_id: str
    ) -> None:
        channel = await self.connection.channel()
        try:
            exchange = await channel.get_exchange("amq.topic")
            await exchange.publish(
                aio_pika.Message(
                    body,
                    headers=headers,
                    message_id=message_id,
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=routing_key,
            )
        finally:
            await channel.close()

    async def consumers(self) -> int:
        channel = await self.connection.channel()
        try:
            declared = await channel.declare_queue(self.queue, passive=True)
            return declared.declaration_result.consumer_count or 0
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return 0
        finally:
            if not channel.is_closed:
                await channel.close()


@pytest.fixture
async def bus(system: System) -> AsyncIterator[Bus]:
    connection = await asyncio.wait_for(aio_pika.connect_robust(system.broker.url), 10)
    queue = f"worker-faults.{uuid.uuid4().hex[:12]}"
    try:
        yield Bus(connection, system.broker, queue)
    finally:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.queue_delete(keys.dead_letter_queue(queue))
        await channel.close()
        await connection.close()


class Workers:
    """Starts traced workers on the test's queue; the fixture stops them all at the end."""

    def __init__(self, system: System, queue: str) -> None:
        self.system = system
        self.queue = queue
        self.started: list[Process] = []

    def start(self, name: str, prefetch: int | None = None) -> Process:
        process = self.system.worker(self.queue, name, prefetch)
        self.started.append(process)
        return process


@pytest.fixture
def workers(system: System, bus: Bus) -> Iterator[Workers]:
    started = Workers(system, bus.queue)
    try:
        yield started
    finally:
        for process in started.started:
            process.stop()


@pytest.fixture
async def store(system: System) -> AsyncIterator[FieldCache]:
    """The module's Redis field cache, emptied for the test (before any worker starts)."""
    system.database.reset()
    # A pool that waits: the test's own reads must not run into POOL_BUG either.
    pool = BlockingConnectionPool.from_url(system.database.url, max_connections=50, timeout=60)
    cache = RedisFieldCache(AsyncRedis.from_pool(pool), owns_client=True)
    try:
        yield cache
    finally:
        await cache.close()


@pytest.fixture
async def upstreams(system: System) -> AsyncIterator[Upstreams]:
    async with Upstreams.from_settings(settings_for(system.simulator)) as clients:
        yield clients


@pytest.fixture
async def http(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        try:
            yield client
        finally:  # the simulator is the module's: leave it without latency
            await client.post(f"{system.simulator}/_sim/faults", json={"profile": "none"})


# -- the comparison with the truth ---------------------------------------------------------------


@dataclass
class Comparison:
    """Every live key of the store against the upstreams' answer for its recipe now."""

    keys: int = 0
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    #: Entries not marked stale whose value differs: served as fresh, and wrong.
    wrong: list[str] = field(default_factory=list)
    #: Entries not marked stale without the tags a fill of the truth would give them.
    mistagged: list[str] = field(default_factory=list)


async def compare_cache_with_truth(cache: FieldCache, upstreams: Upstreams) -> Comparison:
    names = await cache.live_keys(since=0)
    entries = await cache.get_many(names, record=False)
    loaders = UpstreamLoaders.of(upstreams)  # fresh: nothing remembered from earlier reads
    recipes = [Recipe.parse(name) for name in names]
    kinds = [kind_of(recipe) for recipe in recipes]
    queries = [kind.key(recipe) for kind, recipe in zip(kinds, recipes, strict=True)]
    truths = await asyncio.gather(
        *(kind.loader(loaders).load(query) for kind, query in zip(kinds, queries, strict=True))
    )
    report = Comparison(keys=len(names))
    for name, entry, kind, query, truth in zip(names, entries, kinds, queries, truths, strict=True):
        if entry is None:
            report.missing.append(name)
        elif entry.stale:
            report.stale.append(name)
        else:
            if kind.decode(entry.value) != kind.decode(kind.encode(truth)):
                report.wrong.append(name)
            if set(entry.tags) != set(check_tags(kind.tags(query, truth))):
                report.mistagged.append(name)
    return report


async def read_through_the_cache(cache: FieldCache, upstreams: Upstreams, names: list[str]) -> None:
    """Read ``names`` as a gateway does (``gateway.resolvers.cached``): stale ones are filled,
    unless another holds their lease (then they are served stale, and filled by a later read)."""
    reads = FieldReads(cache)
    loaders = UpstreamLoaders.of(upstreams)
    stats = CacheStats()
    loads = []
    for name in names:
        recipe = Recipe.parse(name)
        kind = kind_of(recipe)
        loads.append(reads.loader(kind, kind.loader(loaders), stats).load(kind.key(recipe)))
    await asyncio.gather(*loads)


async def assert_cache_matches_truth(
    cache: FieldCache, upstreams: Upstreams, *, at_least: int = 1, stale_ok: bool = False
) -> Comparison:
    """Every live key has its entry, fresh, equal to the upstreams' answer now and tagged as
    a fill of that answer would tag it.

    With ``stale_ok``, entries marked stale are accepted if reading them refills them (they
    are read as a gateway reads, and must then pass like the others); an entry served as
    fresh that differs from the upstreams is never accepted. Returns the first comparison.
    """
    report = await compare_cache_with_truth(cache, upstreams)
    assert report.keys >= at_least, f"only {report.keys} live keys: the test read too little"
    assert not report.missing, f"{len(report.missing)} keys have no entry: {report.missing[:5]}"
    assert not report.wrong, (
        f"{len(report.wrong)} of {report.keys} entries are served as fresh but differ from "
        f"the upstreams: {report.wrong[:5]}"
    )
    assert not report.mistagged, f"wrong tags on {report.mistagged[:5]}"
    if report.stale and stale_ok:
        deadline = time.monotonic() + 30  # a killed worker's leases expire after 15 s
        stale = report.stale
        while stale:
            await read_through_the_cache(cache, upstreams, stale)
            again = await compare_cache_with_truth(cache, upstreams)
            assert (again.missing, again.wrong, again.mistagged) == ([], [], []), again
            stale = again.stale
            assert time.monotonic() < deadline, f"reading did not refill {stale[:5]}"
            await asyncio.sleep(0.5 if stale else 0)
        return report
    assert not report.stale, (
        f"{len(report.stale)} of {report.keys} entries stale after the worker settled: "
        f"{report.stale[:5]}"
    )
    return report


# -- steps ------------------------------------------------------------------------------------


async def _query(http: httpx.AsyncClient, url: str, name: str, after: str | None) -> Any:
    response = await http.post(
        f"{url}/graphql", json={"query": PAGE, "variables": {"name": name, "after": after}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body


async def read_pages(http: httpx.AsyncClient, url: str, names: Iterable[str]) -> list[Any]:
    """Each package's page, then its page with the second page of builds: live variants.

    One page at a time: a gateway reading many at once runs into ``POOL_BUG`` as well (its
    cached loaders also gather a lease and a write per key) and leaves entries unwritten.
    """
    pages = []
    for name in names:
        first = await _query(http, url, name, None)
        cursor = first["data"]["package"]["builds"]["pageInfo"]["endCursor"]
        pages.append([first, await _query(http, url, name, cursor)])
    return pages


async def read_variants(http: httpx.AsyncClient, url: str, name: str, count: int) -> None:
    """``count`` variants of one package's builds (page sizes and states), all live."""
    variants = [(size, "") for size in range(1, 101)]
    variants += [
        (size, f", state: {state}") for state in ("COMPLETE", "FAILED") for size in range(1, 101)
    ]
    fields = [
        f"v{index}: builds(first: {size}{state}) {{ totalCount }}"
        for index, (size, state) in enumerate(variants[:count])
    ]
    for start in range(0, len(fields), 10):  # 10 at a time: see read_pages, and the alias limit
        selection = " ".join(fields[start : start + 10])
        query = f"query($name: String!) {{ package(name: $name) {{ {selection} }} }}"
        response = await http.post(
            f"{url}/graphql", json={"query": query, "variables": {"name": name}}
        )
        body = response.json()
        assert "errors" not in body, body["errors"]


@dataclass
class Burst:
    """The mutations a test asked for, and the bus messages the worker must handle."""

    results: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0

    @property
    def ids(self) -> set[str]:
        """Ids of the published messages whose topics the worker's queue is bound to."""
        return {
            message_id
            for result in self.results
            for message_id, topic in zip(result["message_ids"], result["topics"], strict=True)
            if topic in messages.TOPICS
        }


async def mutate(
    http: httpx.AsyncClient, simulator: str, packages: Sequence[str], count: int, *, offset: int = 0
) -> Burst:
    """``count`` mutations at once, kinds cycled over ``packages``."""
    plan = [
        (KINDS[(offset + i) % len(KINDS)], packages[(offset + i) % len(packages)])
        for i in range(count)
    ]
    responses = await asyncio.gather(
        *(
            http.post(f"{simulator}/_sim/events", json={"type": kind, "package": name})
            for kind, name in plan
        )
    )
    burst = Burst()
    for response in responses:
        if response.status_code == 409:  # nothing to do for that kind on that package now
            burst.refused += 1
            continue
        assert response.status_code == 200, response.text
        burst.results.append(response.json())
    assert len(burst.results) >= count * 2 // 3, f"{burst.refused} of {count} mutations refused"
    assert burst.ids
    return burst


async def until_some_entry_is_stale(store: FieldCache, within: float = 30.0) -> None:
    """Wait until a live entry is invalidated and not yet refilled: a refill in progress."""
    deadline = time.monotonic() + within
    while True:
        live = await store.live_keys(since=0)
        if any(e is not None and e.stale for e in await store.get_many(live, record=False)):
            return
        assert time.monotonic() < deadline, "timed out waiting for a refill in progress"
        await asyncio.sleep(0.01)


async def eventually(check: Callable[[], bool], what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def consuming(
    bus: Bus, running: Sequence[Process], count: int = 1, *, new_queue: bool = True
) -> None:
    """Wait until ``count`` consumers are registered on the queue.

    On a new queue, also until the worker that created it reconciled (its start-up gap).
    """
    deadline = time.monotonic() + 40
    while await bus.consumers() < count:
        for process in running:
            process.check()
        assert time.monotonic() < deadline, "the workers did not start consuming"
        await asyncio.sleep(0.1)
    if new_queue:
        await eventually(
            lambda: sum(p.count("reconciled ") for p in running) >= 1,
            "the start-up reconciliation",
        )


def handled(processes: Iterable[Process]) -> Counter[str]:
    """How many times each message id was handled, over every process given."""
    return Counter(t.message_id for p in processes for t in p.traces() if t.outcome == "handled")


def outcomes(processes: Iterable[Process], outcome: str) -> list[Trace]:
    return [t for p in processes for t in p.traces() if t.outcome == outcome]


async def settle(
    bus: Bus,
    running: Sequence[Process],
    expected: set[str],
    *,
    also: Sequence[Process] = (),
    dead_letters: bool = False,
) -> None:
    """Wait until every expected message was handled and the queue holds nothing, acked or
    not; then, unless ``dead_letters`` are expected, check that none was dead-lettered.

    ``also`` are earlier lives of the workers, whose traces count but which may be dead.
    """
    deadline = time.monotonic() + 60
    while True:
        for process in running:
            process.check()
        done = set(handled([*running, *also]))
        if expected <= done:
            depth = await asyncio.to_thread(bus.broker.depth, bus.queue)
            assert depth is not None, "the queue is gone"
            if depth == (0, 0):
                break
        assert time.monotonic() < deadline, (
            f"not settled: {len(expected - done)} of {len(expected)} messages unhandled, "
            f"queue {await asyncio.to_thread(bus.broker.depth, bus.queue)}"
        )
        await asyncio.sleep(0.2)
    if not dead_letters:
        dead = await asyncio.to_thread(bus.broker.depth, bus.dead_letter_queue)
        assert dead is not None
        assert dead[0] == 0, f"{dead[0]} messages were dead-lettered: invalidations lost"


async def slow_upstreams(http: httpx.AsyncClient, simulator: str, latency_ms: float) -> None:
    plan = {"latency_ms": latency_ms}
    response = await http.post(
        f"{simulator}/_sim/faults",
        json=dict.fromkeys(("koji", "mdapi", "bodhi", "bugzilla", "pagure"), plan),
    )
    assert response.status_code == 200, response.text


# -- 1. two workers share one queue ----------------------------------------------------------


async def test_two_workers_share_a_burst_and_keep_every_live_key_fresh(
    system: System,
    bus: Bus,
    workers: Workers,
    store: FieldCache,
    upstreams: Upstreams,
    http: httpx.AsyncClient,
) -> None:
    packages = system.packages[:6]
    pair = [workers.start("worker-a"), workers.start("worker-b")]
    await consuming(bus, pair, count=2)
    await read_pages(http, system.gateway, packages)

    burst = await mutate(http, system.simulator, packages, 30)
    await settle(bus, pair, burst.ids)

    shares = [set(handled([worker])) & burst.ids for worker in pair]
    assert all(shares), f"a worker handled nothing: {[len(s) for s in shares]}"
    assert shares[0] | shares[1] == burst.ids
    assert not outcomes(pair, "dropped")
    assert not outcomes(pair, "failed")
    await assert_cache_matches_truth(store, upstreams, at_least=200)

    # What users see: nothing stale, the same data as the upstreams.
    served = await read_pages(http, system.gateway, packages)
    truth = await read_pages(http, system.truth, packages)
    for pages, true_pages in zip(served, truth, strict=True):
        for page, true_page in zip(pages, true_pages, strict=True):
            assert page["extensions"]["cache"]["stale"] == 0
            assert page["data"] == true_page["data"]


# -- 2. duplicates, reordering, malformed and unknown messages --------------------------------


def _malformed_variants(original: AbstractIncomingMessage) -> list[bytes]:
    return [
        original.body[: len(original.body) // 2],  # truncated
        b"[]",  # JSON, not an object
        b"{}",  # an object without any field the event needs
        b"\xff\xfe not UTF-8",
        b"[" * 100_000,  # nests deeper than any parser recurses
    ]


async def _capture(
    bus: Bus, make: Callable[[], Awaitable[Burst]]
) -> tuple[Burst, list[AbstractIncomingMessage]]:
    """The burst ``make()`` causes, and copies of its messages (from a queue of the test's own)."""
    channel = await bus.connection.channel()
    capture = await channel.declare_queue(exclusive=True, auto_delete=True)
    await capture.bind("amq.topic", routing_key=f"{PREFIX}.#")
    burst = await make()
    copies: list[AbstractIncomingMessage] = []
    async with asyncio.timeout(20):
        while not burst.ids <= {m.message_id for m in copies}:
            message = await capture.get(timeout=5, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            if message.message_id in burst.ids:
                copies.append(message)
    await capture.delete(if_unused=False, if_empty=False)
    await channel.close()
    return burst, copies


async def test_duplicated_reordered_malformed_and_unknown_messages(
    system: System,
    bus: Bus,
    workers: Workers,
    store: FieldCache,
    upstreams: Upstreams,
    http: httpx.AsyncClient,
) -> None:
    packages = system.packages[6:10]
    worker = workers.start("worker")
    await consuming(bus, [worker])
    await read_pages(http, system.gateway, packages)

    # Real messages, handled once, and copies of them.
    first, originals = await _capture(bus, lambda: mutate(http, system.simulator, packages, 12))
    await settle(bus, [worker], first.ids)

    # Malformed bodies on known topics (an original of each topic lends its headers).
    malformed: dict[str, tuple[str, bytes, dict[str, Any]]] = {}
    for original in {m.routing_key: m for m in originals}.values():
        routing_key = original.routing_key or ""
        for body in _malformed_variants(original):
            headers = dict(original.headers)
            with pytest.raises(messages.MalformedMessageError):  # the premise
                messages.decode(routing_key, headers, body)
            malformed[str(uuid.uuid4())] = (routing_key, body, headers)
    # Unknown topics: one the queue is bound to (a binding left by an older worker whose rules
    # read more topics), with bodies that are not even objects, and one nobody binds.
    leftover = f"{PREFIX}.gateway.test.retired.topic"
    channel = await bus.connection.channel()
    queue = await channel.declare_queue(bus.queue, passive=True)
    await queue.bind("amq.topic", routing_key=leftover)
    await channel.close()
    unknown = {str(uuid.uuid4()): body for body in (b'{"hello": "world"}', b"not json", b"[]")}

    # The replay: every original twice, shuffled (so reordered) among the bad ones.
    replay: list[tuple[str, bytes, dict[str, Any], str]] = [
        (m.routing_key or "", m.body, dict(m.headers), m.message_id or "")
        for m in originals
        for _ in range(2)
    ]
    replay += [(key, body, headers, i) for i, (key, body, headers) in malformed.items()]
    severity = {"fedora_messaging_severity": 20}
    replay += [(leftover, body, severity, i) for i, body in unknown.items()]
    replay.append((f"{PREFIX}.copr.build.end", b"{}", severity, str(uuid.uuid4())))
    random.Random(7).shuffle(replay)
    for routing_key, body, headers, message_id in replay:
        await bus.publish(routing_key, body, headers, message_id)
    # Fresh events after all of that: the worker goes on serving.
    second = await mutate(http, system.simulator, packages, 8, offset=3)
    await settle(bus, [worker], second.ids | set(unknown), dead_letters=True)
    await eventually(
        lambda: all(handled([worker])[i] == 3 for i in first.ids), "the replayed copies"
    )

    dropped = Counter(t.message_id for t in outcomes([worker], "dropped"))
    assert dropped == Counter(set(malformed)), "each malformed message dropped once, not retried"
    assert not outcomes([worker], "failed")
    times = handled([worker])
    assert all(times[i] == 1 for i in unknown), "unknown topics are acked, not dead-lettered"
    assert all(times[i] == 1 for i in second.ids)

    # The dead-letter queue holds the malformed messages, each once, rejected, as they were.
    channel = await bus.connection.channel()
    dead_queue = await channel.declare_queue(bus.dead_letter_queue, passive=True)
    dead: dict[str, AbstractIncomingMessage] = {}
    async with asyncio.timeout(20):
        while len(dead) < len(malformed):
            letter = await dead_queue.get(timeout=5, fail=False)
            if letter is None:
                await asyncio.sleep(0.05)
                continue
            await letter.ack()
            assert letter.message_id not in dead, "a malformed message was dead-lettered twice"
            dead[letter.message_id or ""] = letter
    await asyncio.sleep(0.5)
    assert await dead_queue.get(timeout=5, fail=False) is None, "more dead letters than bad ones"
    await channel.close()
    assert set(dead) == set(malformed)
    for message_id, letter in dead.items():
        death: Any = letter.headers["x-death"]
        assert death[0]["reason"] == "rejected"
        assert list(death[0]["routing-keys"]) == [malformed[message_id][0]]
        assert letter.body == malformed[message_id][1]

    assert worker.alive
    await assert_cache_matches_truth(store, upstreams, at_least=100)


# -- 3. SIGKILL in the middle of a burst --------------------------------------------------------


async def test_a_worker_killed_mid_burst_and_restarted_leaves_every_live_key_right(
    system: System,
    bus: Bus,
    workers: Workers,
    store: FieldCache,
    upstreams: Upstreams,
    http: httpx.AsyncClient,
) -> None:
    packages = system.packages[10:16]
    # a few deliveries at a time: the burst takes many refill rounds, one of them is cut
    first_life = workers.start("worker-first-life", prefetch=8)
    await consuming(bus, [first_life])
    await read_pages(http, system.gateway, packages)

    await slow_upstreams(http, system.simulator, 400)  # refills take a while: kill inside them
    before = await mutate(http, system.simulator, packages, 30)
    await eventually(lambda: len(handled([first_life])) >= 5, "the first handled messages")
    # refills go in rounds: kill while a round's entries are invalidated and not yet refilled
    await until_some_entry_is_stale(store)
    first_life.kill()
    assert not before.ids <= set(handled([first_life])), "the burst was over before the kill"
    half_done = await compare_cache_with_truth(store, upstreams)

    while_dead = await mutate(http, system.simulator, packages, 10, offset=2)
    await slow_upstreams(http, system.simulator, 0)
    second_life = workers.start("worker-second-life")
    await consuming(bus, [second_life], new_queue=False)
    await settle(bus, [second_life], before.ids | while_dead.ids, also=[first_life])

    assert half_done.stale, "the kill left no entry invalidated and not yet refilled (premise)"
    redelivered = {t.message_id for t in second_life.traces() if t.redelivered}
    assert redelivered & before.ids, "none of the messages the killed worker held came back"
    assert not outcomes([second_life], "failed")
    await assert_cache_matches_truth(store, upstreams, at_least=200)


# -- 4. the broker closes the worker's connection -----------------------------------------------


async def test_a_broken_connection_loses_no_invalidation_and_reconciles(
    system: System,
    bus: Bus,
    workers: Workers,
    store: FieldCache,
    upstreams: Upstreams,
    http: httpx.AsyncClient,
) -> None:
    packages = system.packages[:3] + system.packages[12:15]
    worker = workers.start("worker")
    await consuming(bus, [worker])
    await read_pages(http, system.gateway, packages)

    await slow_upstreams(http, system.simulator, 300)  # handlers are in flight at the break
    before = await mutate(http, system.simulator, packages, 12)
    await eventually(lambda: len(handled([worker])) >= 1, "the first handled message")
    assert await asyncio.to_thread(system.broker.close_worker_connections) == 1
    during = await mutate(http, system.simulator, packages, 12, offset=1)  # queued meanwhile
    await eventually(lambda: worker.count("reconnected to the broker") == 1, "the reconnection")
    await eventually(lambda: worker.count("reconciled ") == 2, "the reconciliation", within=60)
    after = await mutate(http, system.simulator, packages, 6, offset=2)
    await slow_upstreams(http, system.simulator, 0)
    await settle(bus, [worker], before.ids | during.ids | after.ids)

    assert await bus.consumers() == 1
    lines = worker.output().splitlines()
    broken = next(i for i, line in enumerate(lines) if "lost the broker connection" in line)
    assert any("reconnected to the broker" in line for line in lines[broken:])
    assert any("reconciling the live entries" in line for line in lines[broken:])
    assert not worker.count("on_reconnect hook failed")
    assert not outcomes([worker], "failed")
    await assert_cache_matches_truth(store, upstreams, at_least=200)


# -- the bugs --------------------------------------------------------------------------------------


async def test_a_message_reaching_more_than_a_hundred_live_entries_is_handled(
    system: System,
    bus: Bus,
    workers: Workers,
    store: FieldCache,
    upstreams: Upstreams,
    http: httpx.AsyncClient,
) -> None:
    """A popular package easily has more than 100 live variants (pages, sizes, filters)."""
    name = system.packages[0]
    worker = workers.start("worker")
    await consuming(bus, [worker])
    await read_variants(http, system.gateway, name, 120)
    assert len(await store.live([keys.package(name, "koji")], since=0)) > 100  # the premise

    event = await mutate(http, system.simulator, [name], 1)  # a build: some 15 messages
    await eventually(
        lambda: bool(outcomes([worker], "failed")) or set(handled([worker])) >= event.ids,
        "the event",
    )
    if worker.count("MaxConnectionsError"):
        # Requeued; the fifth failure dead-letters the message, and the entries the failed
        # lease step never invalidated stay wrong, looking fresh, for good.
        raise PoolExhaustedError(worker.tail(40))
    await settle(bus, [worker], event.ids)
    await assert_cache_matches_truth(store, upstreams, at_least=120, stale_ok=True)


async def test_a_gap_reconciles_more_than_a_hundred_live_entries_of_one_kind(
    system: System,
    bus: Bus,
    workers: Workers,
    store: FieldCache,
    upstreams: Upstreams,
    http: httpx.AsyncClient,
) -> None:
    """Events while the worker's queue does not exist are lost; a worker starting on a new
    queue knows it and reconciles every live entry."""
    name = system.packages[0]
    await read_variants(http, system.gateway, name, 120)
    await mutate(http, system.simulator, [name], 3)  # no queue yet: nobody hears of these
    outdated = await compare_cache_with_truth(store, upstreams)
    assert outdated.keys >= 120
    assert outdated.wrong, "the premise: the gap left entries wrong (and looking fresh)"

    worker = workers.start("worker")
    await eventually(
        lambda: worker.count("reconciled ") + worker.count("on_reconnect hook failed") > 0,
        "the reconciliation of the new queue's gap",
    )
    if worker.count("on_reconnect hook failed") and worker.count("MaxConnectionsError"):
        raise PoolExhaustedError(worker.tail(40))
    await assert_cache_matches_truth(store, upstreams, at_least=120, stale_ok=True)


async def test_a_refill_refused_by_a_newer_invalidation_is_done_again(
    system: System,
    bus: Bus,
    workers: Workers,
    store: FieldCache,
    upstreams: Upstreams,
    http: httpx.AsyncClient,
) -> None:
    """A build's owner has a live page of their builds. The build's first messages (state
    changes, carrying the owner) refill that page, which now holds the new build; its later
    messages (tagging, carrying the build, not the owner) invalidate the build's tag while
    that refill is still fetching, so the refill is refused, and they do not refill the page."""
    name = system.packages[1]
    worker = workers.start("worker")
    await consuming(bus, [worker])
    query = """query($name: String!) { package(name: $name) {
        maintainers { name builds(first: 3) { nodes { nvr } } } } }"""
    response = await http.post(
        f"{system.gateway}/graphql", json={"query": query, "variables": {"name": name}}
    )
    maintainers = {m["name"] for m in response.json()["data"]["package"]["maintainers"]}

    await slow_upstreams(http, system.simulator, 1000)  # refills fetch for a second
    event = await mutate(http, system.simulator, [name], 1)  # a build by one of them
    await settle(bus, [worker], event.ids)
    await slow_upstreams(http, system.simulator, 0)
    built = await http.post(
        f"{system.truth}/graphql",
        json={
            "query": "query($nvr: String!) { build(nvr: $nvr) { owner { name } } }",
            "variables": {"nvr": event.results[0]["changed"]["nvr"]},
        },
    )
    assert built.json()["data"]["build"]["owner"]["name"] in maintainers  # the premise
    assert not outcomes([worker], "failed")
    report = await compare_cache_with_truth(store, upstreams)
    assert (report.missing, report.wrong, report.mistagged) == ([], [], [])
    if report.stale:
        raise StaleAfterSettleError(f"stale after the worker settled: {report.stale}")
    await assert_cache_matches_truth(store, upstreams)
