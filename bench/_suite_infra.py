"""The processes ``bench/suite.py`` runs against, started on free ports and always stopped.

* a private ``redis-server`` (no persistence) for the field cache and the change feed;
* a private RabbitMQ virtual host on the local broker, made and deleted with ``rabbitmqctl``
  (only when a phase needs the bus);
* ``fedora-gateway simulate`` (the generated world, the ``fedora`` latency profile, no
  background events), publishing to that virtual host;
* ``fedora-gateway serve`` (one uvicorn worker) on the Redis cache;
* ``fedora-gateway worker`` consuming the virtual host into the same Redis;
* ``bench/_naive_server.py``, the baseline gateway (no cache, no batching).

Every child writes its output to a file in a temporary directory; :meth:`Proc.tail` shows
it when something goes wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
AMQP_BASE = os.environ.get("GATEWAY_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any GATEWAY_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(extra)
    return env


class Proc:
    """A child process with its output in a file."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        self.log = logdir / f"{name}.log"
        self._out = self.log.open("wb")
        self.popen = subprocess.Popen(
            list(argv), env=env, cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def check(self) -> None:
        if not self.alive:
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._out.close()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far, from /proc."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        """VmRSS of the process, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for {self.name}")


async def wait_http(url: str, procs: Sequence[Proc], within: float = 120.0) -> None:
    """Until ``url`` answers below 500; fails as soon as one of ``procs`` has exited."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=3, trust_env=False) as http:
        while True:
            for proc in procs:
                proc.check()
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(url)).status_code < 500:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not come up in {within:.0f} s")
            await asyncio.sleep(0.1)


# -- RabbitMQ ------------------------------------------------------------------------------


def rabbitmqctl(*args: str, timeout: float = 60) -> str:
    path = shutil.which("rabbitmqctl")
    if path is None:
        raise RuntimeError("rabbitmqctl is not on PATH (the bus phases manage a virtual host)")
    done = subprocess.run(
        [path, "-q", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout


class Vhost:
    """A RabbitMQ virtual host of the bench's own, deleted with all it holds."""

    def __init__(self) -> None:
        self.name = f"fedora-gateway-bench-{uuid.uuid4().hex[:10]}"
        self.url = f"{AMQP_BASE}/{self.name}"
        self.created = False

    def create(self) -> None:
        rabbitmqctl("add_vhost", self.name)
        self.created = True
        user = AMQP_BASE.split("://", 1)[1].split(":", 1)[0] or "guest"
        rabbitmqctl("set_permissions", "-p", self.name, user, ".*", ".*", ".*")

    def delete(self) -> None:
        if self.created:
            rabbitmqctl("delete_vhost", self.name)
            self.created = False

    def queues(self) -> dict[str, tuple[int, int, int]]:
        """Each queue: (messages, of which unacknowledged, consumers)."""
        listing = rabbitmqctl(
            *("list_queues", "-p", self.name, "--no-table-headers"),
            *("name", "messages", "messages_unacknowledged", "consumers"),
        )
        found = {}
        for line in listing.splitlines():
            parts = line.split("\t")
            if len(parts) == 4 and parts[1].isdigit():
                found[parts[0]] = (int(parts[1]), int(parts[2]), int(parts[3]))
        return found


# -- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` without persistence, as the README asks for."""

    def __init__(self, logdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.logdir = logdir
        self.proc: Proc | None = None

    def start(self) -> None:
        path = shutil.which("redis-server")
        if path is None:
            raise RuntimeError("redis-server is not on PATH (apt-get install redis-server)")
        self.proc = Proc(
            "redis",
            [
                path,
                *("--port", str(self.port), "--bind", HOST),
                *("--save", "", "--appendonly", "no"),
                *("--maxmemory-policy", "noeviction", "--dir", str(self.logdir)),
            ],
            os.environ.copy(),
            self.logdir,
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


# -- the system ----------------------------------------------------------------------------


class System:
    """Everything the phases talk to. Start with :meth:`start`; :meth:`stop` always."""

    def __init__(self, logdir: Path, *, bus: bool, naive: bool, world_size: int | None) -> None:
        self.logdir = logdir
        self.bus = bus
        self.naive_wanted = naive
        self.world_size = world_size
        self.redis = RedisServer(logdir)
        self.vhost = Vhost() if bus else None
        self.sim_port = free_port()
        self.gateway_port = free_port()
        self.naive_port = free_port()
        self.simulator_url = f"http://{HOST}:{self.sim_port}"
        self.gateway_url = f"http://{HOST}:{self.gateway_port}"
        self.naive_url = f"http://{HOST}:{self.naive_port}"
        self.queue = f"fedora-gateway-bench-{uuid.uuid4().hex[:8]}"
        self.simulator: Proc | None = None
        self.gateway: Proc | None = None
        self.worker: Proc | None = None
        self.naive: Proc | None = None
        self.procs: list[Proc] = []
        #: Why the bus phases cannot run (no broker, no rabbitmqctl), if they cannot.
        self.bus_error: str | None = None

    def upstream_env(self) -> dict[str, str]:
        s = self.simulator_url
        return {
            "GATEWAY_KOJI_URL": f"{s}/kojihub",
            "GATEWAY_MDAPI_URL": f"{s}/mdapi",
            "GATEWAY_BODHI_URL": f"{s}/bodhi",
            "GATEWAY_BUGZILLA_URL": f"{s}/bugzilla",
            "GATEWAY_PAGURE_URL": f"{s}/pagure",
        }

    def _cli(self, name: str, args: Sequence[str], env: dict[str, str], level: str) -> Proc:
        proc = Proc(
            name,
            [sys.executable, "-m", "gateway.cli", "--log-level", level, *args],
            clean_env(**env),
            self.logdir,
        )
        self.procs.append(proc)
        return proc

    async def start_simulator(self) -> None:
        """Start the simulator (its world takes about 6 s); :meth:`wait_simulator` waits."""
        self.redis.start()
        assert self.redis.proc is not None
        self.procs.append(self.redis.proc)
        env: dict[str, str] = {}
        if self.vhost is not None:
            try:
                self.vhost.create()
                env["GATEWAY_AMQP_URL"] = self.vhost.url
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
                self.bus_error = str(error)
                log(f"no RabbitMQ virtual host, the bus phases will fail: {error}")
                self.vhost = None
        args = ["simulate", "--port", str(self.sim_port), "--events-per-minute", "0"]
        args += ["--profile", "fedora"]
        if self.world_size:
            args += ["--size", str(self.world_size)]
        self.simulator = self._cli("simulate", args, env, "WARNING")

    async def wait_simulator(self) -> None:
        await wait_http(f"{self.simulator_url}/_sim/world", self.procs, within=180)

    async def start_services(self) -> None:
        """serve, the naive baseline and the worker, once the simulator answers."""
        upstreams = self.upstream_env()
        common = {**upstreams, "GATEWAY_SEARCH_BUILD_ON_START": "false"}
        self.gateway = self._cli(
            "serve",
            ["serve", "--port", str(self.gateway_port)],
            {**common, "GATEWAY_REDIS_URL": self.redis.url},
            "WARNING",
        )
        if self.naive_wanted:
            self.naive = Proc(
                "naive",
                [
                    sys.executable,
                    str(ROOT / "bench" / "_naive_server.py"),
                    "--port",
                    str(self.naive_port),
                ],
                clean_env(**common),
                self.logdir,
            )
            self.procs.append(self.naive)
        if self.vhost is not None:
            self.worker = self._cli(
                "worker",
                ["worker"],
                {
                    **upstreams,
                    "GATEWAY_REDIS_URL": self.redis.url,
                    "GATEWAY_AMQP_URL": self.vhost.url,
                    "GATEWAY_WORKER_QUEUE": self.queue,
                },
                "INFO",  # one line per settled delivery: how P5 counts what it handled
            )
        await wait_http(f"{self.gateway_url}/healthz", self.procs)
        if self.naive is not None:
            await wait_http(f"{self.naive_url}/healthz", self.procs)
        if self.vhost is not None:
            await self.wait_consumer()

    async def wait_consumer(self, within: float = 60.0) -> None:
        """Until the worker consumes its queue: before that, published messages are lost."""
        assert self.vhost is not None
        deadline = time.monotonic() + within
        while True:
            for proc in self.procs:
                proc.check()
            found = await asyncio.to_thread(self.vhost.queues)
            if found.get(self.queue, (0, 0, 0))[2] > 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the worker did not start consuming")
            await asyncio.sleep(0.3)

    async def drain(self, within: float = 120.0) -> tuple[int, int]:
        """Until the worker's queue holds nothing (ready or unacknowledged); what it held."""
        assert self.vhost is not None
        deadline = time.monotonic() + within
        while True:
            messages, unacked, _ = (await asyncio.to_thread(self.vhost.queues)).get(
                self.queue, (0, 0, 0)
            )
            if (messages, unacked) == (0, 0) or time.monotonic() > deadline:
                return messages, unacked
            await asyncio.sleep(0.3)

    def settled(self) -> dict[str, int]:
        """What the worker logged as settled so far, by outcome (handled, dropped, failed)."""
        counts: dict[str, int] = {}
        if self.worker is None:
            return counts
        marker = "gateway.invalidation.consumer: settled "
        for line in self.worker.output().splitlines():
            _, found, rest = line.partition(marker)
            if found:
                outcome = rest.split(" ", 1)[0]
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def stop(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(Exception):
                proc.stop()
        if self.vhost is not None:
            try:
                self.vhost.delete()
            except Exception as error:
                log(f"could not delete the virtual host {self.vhost.name}: {error}")
