"""``KojiClient``: koji's hub over XML-RPC, carried by httpx, with multicall batching.

One call is one ``POST`` of a ``<methodCall>`` to the hub URL
(``https://koji.fedoraproject.org/kojihub``). Many calls travel as one
``multiCall``, whose answer holds each call's result or fault in order: a fault
stays in its call's place as a :class:`~clients.errors.KojiFault`, so one unknown
tag does not fail the builds asked for beside it. The dataloaders send one
multicall per resolver level through :meth:`KojiClient.batch`.

Every hub method used here is a read, so every request is retried as idempotent
although it is a ``POST``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx

from clients.endpoint import Endpoint
from clients.errors import KojiFault, UpstreamBadResponse, UpstreamError
from clients.koji import calls, codec
from clients.koji.calls import Call
from clients.koji.models import RPM, Build, BuildState, Tag, TaggedBuild, Task, User
from clients.retry import RetryPolicy

__all__ = ["KOJI_URL", "KojiClient"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Fedora's hub.
KOJI_URL = "https://koji.fedoraproject.org/kojihub"

_XML = {"Content-Type": "text/xml", "Accept": "text/xml"}


class KojiClient:
    """koji's hub: typed calls, one at a time or batched in multicalls."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str = KOJI_URL,
        *,
        retry: RetryPolicy | None = None,
        max_batch: int = 500,
    ) -> None:
        """``max_batch`` is the most calls :meth:`batch` puts in one multicall."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.endpoint = Endpoint(http, base_url, upstream="koji", retry=retry)
        self.max_batch = max_batch

    def __repr__(self) -> str:
        return f"KojiClient({self.endpoint.base_url!r})"

    # -- transport ---------------------------------------------------------------------

    async def _post(self, method: str, params: Sequence[object]) -> tuple[object, str]:
        """The decoded answer to one ``<methodCall>``, and the URL it came from."""
        response = self.endpoint.check(
            await self.endpoint.send("POST", content=codec.dumps_call(method, params), headers=_XML)
        )
        url = str(response.url)
        try:
            decoded = codec.loads_response(response.content)
        except codec.Fault as fault:
            self.endpoint.readable(response)  # a fault is an answer: the hub is alive
            raise KojiFault(fault.faultCode, fault.faultString, method=method, url=url) from None
        except codec.DecodeError as exc:
            raise self.endpoint.bad_response(f"{method}: {exc}", response) from exc
        self.endpoint.readable(response)
        return decoded, url

    async def call(self, call: Call[T]) -> T:
        """Send one call on its own; a fault raises :class:`~clients.errors.KojiFault`."""
        raw, url = await self._post(call.method, call.params)
        return call.decode(raw, url=url)

    async def multicall(self, calls: Sequence[Call[T]]) -> list[T | UpstreamError]:
        """Send ``calls`` in ONE HTTP request; results in order.

        A call the hub answered with a fault is a :class:`~clients.errors.KojiFault`
        in its place; a result of the wrong shape is an ``UpstreamBadResponse`` in
        its place. A failure of the request as a whole (unreachable hub, a body
        that is not a multicall answer) raises.
        """
        if not calls:
            return []
        batch = [{"methodName": call.method, "params": call.params} for call in calls]
        raw, url = await self._post(codec.MULTICALL, [batch])
        if not isinstance(raw, list) or len(raw) != len(calls):
            size = len(raw) if isinstance(raw, list) else type(raw).__name__
            raise UpstreamBadResponse(
                f"multiCall of {len(calls)} calls answered with {size} results",
                upstream="koji",
                url=url,
            )
        return [_outcome(call, item, url) for call, item in zip(calls, raw, strict=True)]

    async def batch(self, calls: Sequence[Call[T]]) -> list[T | UpstreamError]:
        """:meth:`multicall`, split into requests of at most ``max_batch`` calls.

        The requests run concurrently; results come back in the order of ``calls``.
        When one request fails as a whole, its error is raised once all have ended.
        """
        if len(calls) <= self.max_batch:
            return await self.multicall(calls)
        chunks = [calls[i : i + self.max_batch] for i in range(0, len(calls), self.max_batch)]
        answers = await asyncio.gather(
            *(self.multicall(chunk) for chunk in chunks), return_exceptions=True
        )
        outcomes: list[T | UpstreamError] = []
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
            outcomes.extend(answer)
        return outcomes

    # -- typed calls ---------------------------------------------------------------------

    async def get_build(self, build: int | str) -> Build | None:
        """A build by id or NVR; ``None`` when koji does not know it."""
        return await self.call(calls.get_build(build))

    async def list_builds(
        self,
        package: int | str,
        *,
        state: BuildState | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[Build]:
        """A page of a package's builds (by package id or name), newest first."""
        return await self.call(calls.list_builds(package, state=state, limit=limit, offset=offset))

    async def count_builds(self, package: int | str, *, state: BuildState | None = None) -> int:
        """How many builds a package has (in ``state``, when given)."""
        return await self.call(calls.count_builds(package, state=state))

    async def get_latest_builds(self, tag: str, package: str | None = None) -> list[TaggedBuild]:
        """The latest build per package in ``tag`` (only ``package``'s, when given)."""
        return await self.call(calls.get_latest_builds(tag, package))

    async def list_tagged(
        self, tag: str, *, package: str | None = None, latest: bool = False, inherit: bool = False
    ) -> list[TaggedBuild]:
        """Builds tagged into ``tag``, most recently tagged first."""
        return await self.call(
            calls.list_tagged(tag, package=package, latest=latest, inherit=inherit)
        )

    async def list_tags(self, build: int | str) -> list[Tag]:
        """The tags a build is in; ``KojiFault`` for an unknown build."""
        return await self.call(calls.list_tags(build))

    async def list_rpms(
        self, build_id: int, *, arches: str | Sequence[str] | None = None
    ) -> list[RPM]:
        """The RPMs of a build (only those of ``arches``, when given; ``"src"``: the SRPM)."""
        return await self.call(calls.list_rpms(build_id, arches=arches))

    async def get_rpm_headers(self, rpm_id: int, headers: Sequence[str]) -> dict[str, object]:
        """Headers of one RPM by name (``["license"]``); ``{}`` for an unknown RPM."""
        return await self.call(calls.get_rpm_headers(rpm_id, headers))

    async def get_package_id(self, name: str) -> int | None:
        """A package's koji id; ``None`` when unknown."""
        return await self.call(calls.get_package_id(name))

    async def get_user(self, user: int | str) -> User | None:
        """A koji user by id or name; ``None`` when unknown."""
        return await self.call(calls.get_user(user))

    async def get_task_info(self, task_id: int, *, request: bool = False) -> Task | None:
        """A task; with ``request``, its decoded call. ``None`` when unknown."""
        return await self.call(calls.get_task_info(task_id, request=request))


def _outcome(call: Call[T], item: Any, url: str) -> T | UpstreamError:
    """One multicall entry: ``[result]`` on success, a fault struct on failure."""
    if isinstance(item, list) and len(item) == 1:
        try:
            return call.decode(item[0], url=url)
        except UpstreamBadResponse as exc:
            return exc
    if isinstance(item, dict) and "faultCode" in item:
        code, text = item.get("faultCode"), item.get("faultString", "")
        if isinstance(code, int) and isinstance(text, str):
            return KojiFault(code, text, method=call.method, url=url)
    log.warning("koji: unreadable multicall entry for %s: %.200r", call.method, item)
    return UpstreamBadResponse(
        f"{call.method}: multicall entry is neither [result] nor a fault", upstream="koji", url=url
    )
