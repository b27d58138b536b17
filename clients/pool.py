"""``Upstreams``: the five clients, each on its own pooled ``httpx.AsyncClient``.

Open them once per process (the app's lifespan, the worker, a command) and share
them; closing the context closes every connection pool::

    async with Upstreams.open(
        koji_url="http://127.0.0.1:8100/kojihub", mdapi_url="http://127.0.0.1:8100/mdapi",
        bodhi_url=..., bugzilla_url=..., pagure_url=..., upstream_timeout_s=10.0,
    ) as upstreams:
        build = await upstreams.koji.get_build("bash-5.2.37-1.fc45")

    async with Upstreams.from_settings(settings) as upstreams:  # gateway.settings.Settings
        ...

``from_settings`` takes any object with the settings' attribute names
(:class:`UpstreamSettings`), so this package never imports the gateway.

``breaker`` gives each client a circuit breaker of its own (:mod:`clients.breaker`) under
that policy; ``open`` makes none unless asked, ``from_settings`` one per the settings.

Each upstream gets a pool of its own, so a slow Bugzilla cannot take the
connections koji needs. The clients speak httpx; underneath, connections are aiohttp's
(``httpx_aiohttp.AiohttpTransport``): httpcore's pool checks every pooled connection with
two system calls on each request, so its cost per request grew with the pool (measured on
a reindex: 2.3 ms of CPU per request with 20 connections, 1.3 ms with 4; aiohttp's: 1.0 ms
with either). ``transport`` replaces the network for every client
(``httpx.MockTransport``, ``httpx.ASGITransport``); the limits then do not apply.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from httpx_aiohttp import AiohttpTransport

from clients.bodhi.client import BODHI_URL, BodhiClient
from clients.breaker import BreakerPolicy, CircuitBreaker
from clients.bugzilla.client import BUGZILLA_URL, BugzillaClient
from clients.endpoint import USER_AGENT, Endpoint
from clients.koji.client import KOJI_URL, KojiClient
from clients.mdapi.client import MDAPI_URL, MdapiClient
from clients.pagure.client import PAGURE_URL, PagureClient
from clients.retry import RetryPolicy

__all__ = ["UpstreamSettings", "Upstreams", "breaker_policy"]


class UpstreamSettings(Protocol):
    """What :meth:`Upstreams.from_settings` reads: the gateway's settings, by name."""

    @property
    def koji_url(self) -> object: ...
    @property
    def mdapi_url(self) -> object: ...
    @property
    def bodhi_url(self) -> object: ...
    @property
    def bugzilla_url(self) -> object: ...
    @property
    def pagure_url(self) -> object: ...
    @property
    def upstream_timeout_s(self) -> float: ...
    @property
    def breaker(self) -> bool: ...
    @property
    def breaker_failures(self) -> int: ...
    @property
    def breaker_failure_ratio(self) -> float: ...
    @property
    def breaker_window(self) -> int: ...
    @property
    def breaker_cooldown_s(self) -> float: ...
    @property
    def breaker_max_retry_after_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Upstreams:
    """One client per upstream service."""

    koji: KojiClient
    mdapi: MdapiClient
    bodhi: BodhiClient
    bugzilla: BugzillaClient
    pagure: PagureClient

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        *,
        koji_url: str = KOJI_URL,
        mdapi_url: str = MDAPI_URL,
        bodhi_url: str = BODHI_URL,
        bugzilla_url: str = BUGZILLA_URL,
        pagure_url: str = PAGURE_URL,
        upstream_timeout_s: float = 10.0,
        connect_timeout_s: float | None = None,
        max_connections: int = 20,
        retry: RetryPolicy | None = None,
        koji_max_batch: int = 500,
        transport: httpx.AsyncBaseTransport | None = None,
        breaker: BreakerPolicy | None = None,
    ) -> AsyncIterator[Upstreams]:
        """The five clients, open until the context ends.

        ``upstream_timeout_s`` bounds each phase of one request (connect, write, read and
        the wait for a pooled connection; ``connect_timeout_s`` overrides the
        first); ``retry`` says how often an idempotent call is tried.
        """
        connect = upstream_timeout_s if connect_timeout_s is None else connect_timeout_s
        timeout = httpx.Timeout(upstream_timeout_s, connect=connect)
        limits = httpx.Limits(max_connections=max_connections)
        async with AsyncExitStack() as stack:

            async def pool() -> httpx.AsyncClient:
                client = httpx.AsyncClient(
                    timeout=timeout,
                    transport=transport or AiohttpTransport(limits=limits),
                    headers={"User-Agent": USER_AGENT},
                    follow_redirects=False,
                )
                return await stack.enter_async_context(client)

            upstreams = cls(
                koji=KojiClient(await pool(), koji_url, retry=retry, max_batch=koji_max_batch),
                mdapi=MdapiClient(await pool(), mdapi_url, retry=retry),
                bodhi=BodhiClient(await pool(), bodhi_url, retry=retry),
                bugzilla=BugzillaClient(await pool(), bugzilla_url, retry=retry),
                pagure=PagureClient(await pool(), pagure_url, retry=retry),
            )
            if breaker is not None:
                for endpoint in upstreams.endpoints():
                    endpoint.breaker = CircuitBreaker(endpoint.upstream, breaker)
            yield upstreams

    def endpoints(self) -> tuple[Endpoint, ...]:
        """The five clients' endpoints, in a fixed order."""
        return (
            self.koji.endpoint,
            self.mdapi.endpoint,
            self.bodhi.endpoint,
            self.bugzilla.endpoint,
            self.pagure.endpoint,
        )

    @classmethod
    def from_settings(
        cls, settings: UpstreamSettings, **options: Any
    ) -> AbstractAsyncContextManager[Upstreams]:
        """:meth:`open` with the URLs, timeout and breaker of ``settings``; ``options`` as for
        ``open`` (and winning over the settings)."""
        options.setdefault("breaker", breaker_policy(settings))
        return cls.open(
            koji_url=str(settings.koji_url),
            mdapi_url=str(settings.mdapi_url),
            bodhi_url=str(settings.bodhi_url),
            bugzilla_url=str(settings.bugzilla_url),
            pagure_url=str(settings.pagure_url),
            upstream_timeout_s=settings.upstream_timeout_s,
            **options,
        )


def breaker_policy(settings: UpstreamSettings) -> BreakerPolicy | None:
    """The breaker policy ``settings`` ask for (``None`` when breakers are off)."""
    if not settings.breaker:
        return None
    return BreakerPolicy(
        failures=settings.breaker_failures,
        failure_ratio=settings.breaker_failure_ratio,
        window=settings.breaker_window,
        cooldown_s=settings.breaker_cooldown_s,
        max_retry_after_s=settings.breaker_max_retry_after_s,
    )
