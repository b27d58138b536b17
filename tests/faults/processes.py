"""Private Redis and RabbitMQ servers that a test may kill, pause and restart.

Never the shared ones (Redis on 6379, RabbitMQ on 5672): each private server listens on a
free loopback port of its own, keeps its data in a temporary directory, and is started,
signalled and stopped by its process id only. A missing ``redis-server`` or
``rabbitmq-server`` skips the test locally and fails it under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI, free_port

#: Where Debian keeps RabbitMQ's own scripts (``/usr/sbin``'s wrappers switch to the
#: ``rabbitmq`` user, whose cookie and directories a private node must not share).
_RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


def require(program: str) -> str:
    """The path of ``program``; skips locally, fails under ``CI=true``, when it is missing."""
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/lib/rabbitmq/bin")
    if path is None:
        reason = f"{program} is not installed"
        if IN_CI:
            pytest.fail(f"{reason}, and CI=true forbids skipping")
        pytest.skip(reason)
    return path


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen[bytes]) -> float:
    """Seconds until ``port`` accepts connections; fails if ``process`` exits first."""
    started = time.monotonic()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"nothing listens on {port} after {timeout} s")
        time.sleep(0.02)


class PrivateRedis:
    """``redis-server --port P --save '' --appendonly no`` on a free port of its own."""

    def __init__(self, directory: Path) -> None:
        self.binary = require("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start it (again, empty); returns the seconds it took to listen."""
        assert self.process is None or self.process.poll() is not None
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return wait_for_port(self.port, timeout=10, process=self.process)

    def kill(self) -> None:
        """SIGKILL: its memory is gone."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)  # a paused server cannot die by SIGTERM
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


class PrivateRabbit:
    """A RabbitMQ node of its own: its name, ports, cookie, data and logs.

    Stopped with SIGTERM (a clean shutdown) and started again on the same data directory,
    so durable queues and persistent messages survive, as they do on a real restart.
    """

    def __init__(self, directory: Path) -> None:
        require("rabbitmq-server")
        self.server = str(_RABBITMQ_BIN / "rabbitmq-server")
        if not Path(self.server).exists():
            self.server = require("rabbitmq-server")
        self.port = free_port()
        self.node = f"fgfaults{self.port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.directory = directory
        home = directory / "home"
        for sub in ("home", "mnesia", "log"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        (directory / "enabled_plugins").write_text("[].\n")
        (directory / "rabbitmq.conf").write_text("")
        (directory / "rabbitmq-env.conf").write_text("")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")},
            "HOME": str(home),  # the Erlang cookie of this node alone
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(directory / "pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log = (directory / "server.out").open("ab")

    def start(self) -> float:
        """Start the node; returns the seconds until it accepted connections."""
        assert self.process is None or self.process.poll() is not None
        self.process = subprocess.Popen(
            [self.server], env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        return wait_for_port(self.port, timeout=120, process=self.process)

    def stop(self) -> float:
        """Stop the node cleanly; returns the seconds it took."""
        process = self.process
        if process is None or process.poll() is not None:
            return 0.0
        started = time.monotonic()
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        return time.monotonic() - started

    def close(self) -> None:
        self.stop()
        self._log.close()
