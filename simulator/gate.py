"""The ASGI gate in front of each simulated upstream: counts, delays and faults.

Every request to ``/kojihub``, ``/bodhi``, ... passes one :class:`UpstreamGate`,
which records it in :class:`~simulator.stats.Stats` under an operation name (the
XML-RPC method for koji, the first path segment for the REST services), waits the
upstream's latency and, as its :class:`~simulator.faults.FaultPlan` says, answers
with an error, a throttle, a hang or a malformed body instead of the real answer.
"""

from __future__ import annotations

import asyncio
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.faults import Faults
from simulator.stats import Stats

_METHOD_NAME = re.compile(rb"<methodName>\s*([\w.]+)\s*</methodName>")


class UpstreamGate:
    def __init__(self, app: ASGIApp, *, upstream: str, stats: Stats, faults: Faults) -> None:
        self.app = app
        self.upstream = upstream
        self.stats = stats
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, receive = await _buffered(receive)
        self.stats.record(self.upstream, self._operation(scope, body))
        plan = self.faults.plan(self.upstream)
        delay = plan.delay(self.faults.rng)
        if delay:
            await asyncio.sleep(delay)
        fault = plan.fault(self.faults.rng)
        if fault is None:
            await self.app(scope, receive, send)
            return
        self.stats.record_fault(self.upstream, fault)
        if fault == "timeout":
            await asyncio.sleep(plan.timeout_s)
            return  # the connection closes without an answer
        if fault == "error":
            await _respond(
                send,
                500,
                b"text/html",
                b"<html><body><h1>500 Internal Server Error</h1></body></html>",
            )
        elif fault == "throttle":
            await _respond(
                send,
                429,
                b"text/plain",
                b"Too Many Requests",
                [(b"retry-after", str(plan.retry_after_s).encode())],
            )
        else:
            await self._malformed(scope, send)

    def _operation(self, scope: Scope, body: bytes) -> str:
        if self.upstream == "koji":
            match = _METHOD_NAME.search(body)
            return match.group(1).decode() if match else "unknown"
        root: str = scope.get("root_path", "")
        path: str = scope["path"]
        path = path.removeprefix(root)
        parts = [p for p in path.split("/") if p]
        if self.upstream == "mdapi" and len(parts) >= 2:
            return parts[1]  # /{branch}/pkg/{name}
        if (
            self.upstream in ("bugzilla", "pagure")
            and len(parts) >= 2
            and parts[0] in ("rest", "api")
        ):
            return parts[1] if parts[0] == "rest" else (parts[2] if len(parts) > 2 else parts[1])
        return parts[0] if parts else "root"

    async def _malformed(self, scope: Scope, send: Send) -> None:
        if self.upstream == "koji":
            await _respond(
                send,
                200,
                b"text/xml",
                b"<?xml version='1.0'?><methodResponse><params><param><value><struct><member>",
            )
        else:
            await _respond(send, 200, b"application/json", b'{"updates": [{"alias": "FEDORA-')


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _respond(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
