"""``Endpoint``: one upstream service behind a shared, pooled ``httpx.AsyncClient``.

Every client talks HTTP through an endpoint, which owns the rules all upstreams
share: absolute URLs under the service's base URL, retries for idempotent calls
(:class:`~clients.retry.RetryPolicy`), and the translation of transport failures
and HTTP statuses into :mod:`clients.errors`:

* connection errors, timeouts, 5xx and 429 are retried, then raise
  ``UpstreamUnavailable``;
* :meth:`Endpoint.send` hands back every other answer for the client to read,
  and :meth:`Endpoint.check` turns an unexpected one into ``UpstreamNotFound``
  (404) or ``UpstreamError`` (other statuses);
* :meth:`Endpoint.json` decodes a body or raises ``UpstreamBadResponse``.

The endpoint never opens or closes the ``httpx.AsyncClient``; whoever made it
(:class:`clients.pool.Upstreams`, a test) owns its lifetime.

An :data:`Observer` set on :attr:`Endpoint.observer` is told of every attempt (an
:class:`Exchange`: upstream, method, seconds, status or error), so that a caller can
measure upstream latency and failures without this package knowing how.

A :class:`~clients.breaker.CircuitBreaker` set on :attr:`Endpoint.breaker` admits or
refuses every attempt (``CircuitOpen``, never retried; an attempt that opens the circuit,
a 429 with ``Retry-After`` among them, raises it too, so the call does not wait for a retry
the circuit would refuse) and is told its outcome: a failure when it raised
``UpstreamUnavailable``; for an answer, a success, except that a 2xx answer
is judged by its body: a success once a client decoded it (:meth:`Endpoint.decode`,
:meth:`Endpoint.readable`), a failure when it is garbage (:meth:`Endpoint.json`,
:meth:`Endpoint.bad_response`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote
from weakref import WeakSet

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from clients.breaker import CircuitBreaker, CircuitState
from clients.errors import (
    CircuitOpen,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamUnavailable,
)
from clients.retry import RetryPolicy, parse_retry_after

__all__ = ["USER_AGENT", "Endpoint", "Exchange", "Observer", "Params", "segment"]

log = logging.getLogger(__name__)

#: What the gateway calls itself in ``User-Agent``.
USER_AGENT = "fedora-gateway/0.1"

#: Query parameters: pairs, so that a key may repeat (``component=a&component=b``).
Params = Sequence[tuple[str, str | int]]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One attempt at an upstream request, as an :data:`Observer` sees it.

    ``status`` is the HTTP status when there was an answer; ``error`` what the attempt
    raised (a retried attempt is an exchange of its own).
    """

    upstream: str
    method: str
    seconds: float
    status: int | None
    error: UpstreamError | None = None


#: Told of every attempt (metrics); it must be quick, and what it raises is ignored.
Observer = Callable[[Exchange], None]


def segment(value: str | int) -> str:
    """``value`` quoted for use as one path segment (``gtk+`` → ``gtk%2B``)."""
    return quote(str(value), safe="")


class Endpoint:
    """One upstream service: its name, base URL, HTTP client and retry policy."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        upstream: str,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        observer: Observer | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.upstream = upstream
        self.retry = retry if retry is not None else RetryPolicy()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self.observer = observer
        self.breaker = breaker
        #: 2xx answers whose body no client has judged yet (for the breaker).
        self._unjudged: WeakSet[httpx.Response] = WeakSet()

    def __repr__(self) -> str:
        return f"Endpoint({self.upstream!r}, {self.base_url!r})"

    def url(self, path: str = "") -> str:
        """The absolute URL of ``path`` (which starts with ``/``) under the base URL."""
        return self.base_url + path

    async def send(
        self,
        method: str,
        path: str = "",
        *,
        params: Params | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one request, retrying transient failures when the call is idempotent.

        Returns the response whatever its status, except the transient ones
        (5xx, 429), which raise ``UpstreamUnavailable`` once the retries are spent.
        """
        request = self.http.build_request(
            method,
            self.url(path),
            params=tuple(params) if params is not None else None,
            content=content,
            headers={**self.headers, **(headers or {})},
        )
        retrying = self.retry.retrying(self.upstream, idempotent=idempotent)
        async for attempt in retrying:
            with attempt:
                return await self._guarded(request)
        raise AssertionError("tenacity neither returned nor raised")  # pragma: no cover

    async def _guarded(self, request: httpx.Request) -> httpx.Response:
        """One attempt, admitted and counted by the :attr:`breaker` when there is one."""
        breaker = self.breaker
        if breaker is None:
            return await self._observed(request)
        probe = breaker.admit()
        try:
            response = await self._observed(request)
        except (UpstreamUnavailable, UpstreamBadResponse) as error:
            breaker.failed(error, probe=probe)
            if isinstance(error, UpstreamUnavailable) and breaker.state is CircuitState.OPEN:
                # this attempt opened it (or a Retry-After did): no retry would be let through
                raise CircuitOpen(
                    f"{error.message}; circuit open for {breaker.remaining_s:.1f} s",
                    upstream=self.upstream,
                    url=error.url,
                    status=error.status,
                    retry_after=breaker.remaining_s or None,
                ) from error
            raise
        except BaseException:
            breaker.abandon(probe=probe)
            raise
        if response.is_success and not probe:
            self._unjudged.add(response)  # its body decides
        else:
            breaker.succeeded(probe=probe)
        return response

    async def _observed(self, request: httpx.Request) -> httpx.Response:
        """One attempt, told to the :attr:`observer` when there is one."""
        observer = self.observer
        if observer is None:
            return await self._attempt(request)
        started = time.perf_counter()
        try:
            response = await self._attempt(request)
        except UpstreamError as error:
            self._tell(observer, request.method, started, error.status, error)
            raise
        self._tell(observer, request.method, started, response.status_code, None)
        return response

    def _tell(
        self,
        observer: Observer,
        method: str,
        started: float,
        status: int | None,
        error: UpstreamError | None,
    ) -> None:
        seconds = time.perf_counter() - started
        try:
            observer(Exchange(self.upstream, method, seconds, status, error))
        except Exception:
            log.debug("the observer of %s failed", self.upstream, exc_info=True)

    async def _attempt(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        try:
            response = await self.http.send(request)
        except httpx.TimeoutException as exc:
            raise UpstreamUnavailable(
                f"timed out ({type(exc).__name__})", upstream=self.upstream, url=url
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(
                f"connection failed ({type(exc).__name__}: {exc})", upstream=self.upstream, url=url
            ) from exc
        except httpx.DecodingError as exc:
            raise UpstreamBadResponse(
                f"undecodable body ({exc})", upstream=self.upstream, url=url
            ) from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"request failed ({type(exc).__name__}: {exc})", upstream=self.upstream, url=url
            ) from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise UpstreamUnavailable(
                f"HTTP {status}",
                upstream=self.upstream,
                url=str(response.url),
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return response

    def check(self, response: httpx.Response) -> httpx.Response:
        """``response`` when it succeeded; otherwise the matching ``UpstreamError``."""
        status = response.status_code
        if 200 <= status < 300:
            return response
        url = str(response.url)
        if status == 404:
            raise UpstreamNotFound(
                "not found (HTTP 404)", upstream=self.upstream, url=url, status=404
            )
        raise UpstreamError(
            f"unexpected HTTP {status}: {_excerpt(response)}",
            upstream=self.upstream,
            url=url,
            status=status,
        )

    def json(self, response: httpx.Response) -> object:
        """The decoded JSON body of ``response``, or ``UpstreamBadResponse``."""
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise self.bad_response(
                f"body is not JSON ({exc}): {_excerpt(response)}", response
            ) from exc

    def readable(self, response: httpx.Response) -> None:
        """Tell the breaker that a client read ``response``: the upstream answered."""
        if response in self._unjudged:
            self._unjudged.discard(response)
            if self.breaker is not None:
                self.breaker.succeeded()

    async def get_json(self, path: str, *, params: Params | None = None) -> object:
        """``GET path`` expecting a 2xx JSON answer."""
        response = self.check(await self.send("GET", path, params=params))
        return self.json(response)

    def decode(self, model: type[M], raw: object, response: httpx.Response | None = None) -> M:
        """``raw`` validated as ``model``; ``UpstreamBadResponse`` when it has another shape."""
        try:
            decoded = model.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "top"
            raise self.bad_response(
                f"not a {model.__name__}: {exc.error_count()} error(s), first at {where}: "
                f"{first['msg']}",
                response,
            ) from exc
        if response is not None:
            self.readable(response)
        return decoded

    def bad_response(
        self, message: str, response: httpx.Response | None = None
    ) -> UpstreamBadResponse:
        """An ``UpstreamBadResponse`` about ``response`` (for shape errors found by a client);
        counted against the breaker when ``response`` is a 2xx answer not yet judged."""
        error = UpstreamBadResponse(
            message,
            upstream=self.upstream,
            url=str(response.url) if response is not None else self.base_url,
            status=response.status_code if response is not None else None,
        )
        if response is not None and response in self._unjudged:
            self._unjudged.discard(response)
            if self.breaker is not None:
                self.breaker.failed(error)
        return error


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    text = response.content[:limit].decode("utf-8", "replace")
    return repr(text) + ("…" if len(response.content) > limit else "")
