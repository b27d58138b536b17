"""Request ids, and one log line per HTTP request.

:class:`RequestLog` (the outermost middleware) gives each request an id: the client's
``X-Request-ID`` when it is a safe one (:func:`accepted_request_id`: at most 128
characters of ``[A-Za-z0-9._:=+/-]``), else a new one. The id goes back in the response's
``X-Request-ID`` header, and is the request's while it is handled: :func:`current_request`
returns its :class:`RequestRecord` (a :mod:`contextvars` variable), which the logging
filter of :mod:`gateway.observability.logs` stamps on every log record. When the request
ends, one line is logged on ``gateway.access`` (method, path, status, duration, the
GraphQL operation, its field-cache reads, its cost when the answer reports one, its error
codes) and the request is counted in the metrics.

What the GraphQL answer said is read by :class:`GraphQLRecorder`, the innermost
middleware, from the answer's own JSON (before compression, before a ``304`` replaces
it): ``extensions.cache``, ``extensions.cost`` and each error's ``extensions.code``.
:class:`OperationRecorder`, a schema extension, notes the operation's type and name; an
answer replayed without execution (``extensions.cache.replayed``) is a query, and its
name is read from the request.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from gateway.observability.metrics import Metrics

__all__ = [
    "REQUEST_ID_HEADER",
    "GraphQLRecorder",
    "OperationRecorder",
    "RequestLog",
    "RequestRecord",
    "accepted_request_id",
    "current_request",
    "new_request_id",
]

access_log = logging.getLogger("gateway.access")

REQUEST_ID_HEADER = "x-request-id"

_SAFE_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")

#: Paths probed or scraped every few seconds: their lines are logged at DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

#: The most of an answer read for the log line (a larger one passes unread).
_MAX_ANSWER = 8 * 2**20
#: The most of a request read for its ``operationName``.
_MAX_ASKED = 2**20


@dataclass(slots=True)
class RequestRecord:
    """What is known of one HTTP request while it is handled, for its log line and metrics."""

    request_id: str
    operation_type: str | None = None
    operation_name: str | None = None
    #: ``extensions.cache`` of the GraphQL answer: hits, misses, stale.
    cache: dict[str, int] | None = None
    replayed: bool = False
    #: ``extensions.cost`` of the GraphQL answer, as it said it.
    cost: object = None
    #: ``extensions.code`` of each error of the answer (``None`` for an error without one).
    error_codes: list[str | None] = field(default_factory=list)
    #: Whether the answer was a GraphQL one (JSON from the GraphQL endpoint).
    graphql: bool = False


_current: ContextVar[RequestRecord | None] = ContextVar("gateway_request", default=None)


def current_request() -> RequestRecord | None:
    """The request being handled in this context, if any."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str | None:
    """``value`` if it is fit to be a request id (bounded, safe characters), else ``None``."""
    if value is None:
        return None
    value = value.strip()
    return value if _SAFE_ID.fullmatch(value) else None


class RequestLog:
    """The request id, the log line and the request metrics; see the module documentation."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER)
        record = RequestRecord(accepted_request_id(given) or new_request_id())
        status = 500  # what the client gets if the app fails before it answers

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = record.request_id
            await send(message)

        token = _current.set(record)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            try:
                self._finish(scope, record, status, seconds)
            finally:
                _current.reset(token)

    def _finish(self, scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None)
        if self.metrics is not None:
            self.metrics.request(
                method=scope["method"],
                route=template if isinstance(template, str) else None,
                status=status,
                seconds=seconds,
                record=record,
            )
        path = scope["path"]
        level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
        if not access_log.isEnabledFor(level):
            return
        fields: dict[str, object] = {
            "request_id": record.request_id,
            "method": scope["method"],
            "path": _printable(path),
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
        }
        summary = ""
        if record.graphql:
            name = _printable(record.operation_name) if record.operation_name else None
            fields["operation_type"] = record.operation_type
            fields["operation_name"] = name
            cache = record.cache
            if cache is not None:
                fields["cache"] = {**cache, "replayed": record.replayed}
                reads = "/".join(str(cache.get(kind, 0)) for kind in ("hits", "misses", "stale"))
                summary += f" cache={reads}" + (" replayed" if record.replayed else "")
            if record.cost is not None:
                fields["cost"] = record.cost
            if record.error_codes:
                fields["errors"] = len(record.error_codes)
                fields["error_codes"] = sorted({code or "-" for code in record.error_codes})
            summary = f" {record.operation_type or '-'} {name or '-'}{summary}"
        access_log.log(
            level,
            "%s %s %d %.1f ms%s",
            scope["method"],
            fields["path"],
            status,
            seconds * 1000,
            summary,
            extra=fields,
        )


class GraphQLRecorder:
    """Reads the GraphQL request and answer on ``path`` into the :class:`RequestRecord`.

    Everything passes through as it comes; only copies of the bodies are kept (up to
    1 MiB of the request, 8 MiB of the answer) and read once the answer is complete.
    """

    def __init__(self, app: ASGIApp, *, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = _current.get()
        if scope["type"] != "http" or scope["path"] != self.path or record is None:
            await self.app(scope, receive, send)
            return
        asked = bytearray()
        answer: list[bytes] = []
        inspecting = False
        size = 0

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(asked) <= _MAX_ASKED:
                asked.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal inspecting, size
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                inspecting = "json" in headers.get("content-type", "") and (
                    "content-encoding" not in headers
                )
                record.graphql = record.graphql or inspecting  # not GraphiQL's page
            elif message["type"] == "http.response.body" and inspecting:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > _MAX_ANSWER:
                    inspecting, answer[:] = False, []
                else:
                    answer.append(chunk)
                    if not message.get("more_body", False):
                        _read_answer(record, b"".join(answer))
            await send(message)

        await self.app(scope, receiving, sending)
        if record.replayed:
            record.operation_type = record.operation_type or "query"
        if record.operation_name is None and len(asked) <= _MAX_ASKED:
            record.operation_name = _asked_operation(scope, bytes(asked))


class OperationRecorder(SchemaExtension):
    """Notes the type and name of each executed operation in the :class:`RequestRecord`."""

    def on_operation(self) -> Iterator[None]:
        yield
        record = _current.get()
        if record is None:
            return
        context = self.execution_context
        with contextlib.suppress(Exception):  # no document, or no such operation: unknown
            record.operation_type = context.operation_type.value
        with contextlib.suppress(Exception):
            record.operation_name = context.operation_name


def _read_answer(record: RequestRecord, body: bytes) -> None:
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return
    if not isinstance(answer, dict):
        return
    extensions = answer.get("extensions")
    if isinstance(extensions, dict):
        cache = extensions.get("cache")
        if isinstance(cache, dict):
            record.cache = {
                name: value
                for name in ("hits", "misses", "stale")
                if isinstance(value := cache.get(name), int)
            }
            record.replayed = cache.get("replayed") is True
        record.cost = extensions.get("cost")
    errors = answer.get("errors")
    if isinstance(errors, list):
        for error in errors:
            extra = error.get("extensions") if isinstance(error, dict) else None
            code = extra.get("code") if isinstance(extra, dict) else None
            record.error_codes.append(code if isinstance(code, str) else None)


def _asked_operation(scope: Scope, body: bytes) -> str | None:
    """The ``operationName`` the client sent (query string, or a JSON body)."""
    name: object = QueryParams(scope.get("query_string", b"")).get("operationName")
    if name is None and body[:1] == b"{":
        try:
            asked = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        name = asked.get("operationName") if isinstance(asked, dict) else None
    return name if isinstance(name, str) and name else None


def _printable(text: str, limit: int = 256) -> str:
    """``text`` cut to ``limit`` characters, control characters escaped (no forged lines)."""
    cut = text[:limit]
    if cut.isprintable():
        return cut
    return cut.encode("unicode_escape").decode("ascii")
