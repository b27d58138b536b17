"""koji reads, batched: every call of one resolver level travels in one multicall.

:class:`KojiLoaders` keeps one loader of raw hub calls (``calls``); the typed
loaders turn their keys into calls and await them through it, so builds, latest
builds, tags and users asked for at the same level share one HTTP request.

``license`` takes three steps, each joining the multicall of its tick: the newest
rawhide build (the ``latest`` loader), its source RPM (``listRPMs``), and that RPM's
``License`` header (``getRPMHeaders``).

A call whose arguments hold a character XML cannot carry (a control character, U+FFFE,
U+FFFF) is not sent: the hub would refuse the whole multicall, failing every other call
in it, and count as an upstream failure what is the client's. It fails alone, with
``BAD_USER_INPUT``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from clients import KojiClient, UpstreamError, koji
from gateway.errors import BadInputError
from gateway.resolvers.pages import MAX_FIRST, Page, Window
from gateway.resolvers.queries import BuildsQuery, LatestQuery

T = TypeVar("T")

#: The koji tag of rawhide's newest builds.
RAWHIDE_TAG = "rawhide"
#: The RPM header ``Package.license`` reads (rpm's tag names are case-insensitive).
_LICENSE = "license"


#: A multicall is sent once no calls joined it for this long...
QUIET_S = 0.002
#: ...or this long after its first calls, whichever comes first.
WINDOW_S = 0.010

#: What XML 1.0, so XML-RPC, cannot carry.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class _Window:
    """The calls gathered for the next multicall, and its answers, once sent."""

    answers: asyncio.Future[Sequence[Any]]
    opened: float
    calls: list[koji.calls.Call[Any]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


def _call_key(call: koji.calls.Call[Any]) -> tuple[str, str]:
    return call.method, repr(call.params)


class KojiLoaders:
    def __init__(self, client: KojiClient) -> None:
        self.client = client
        self.calls: DataLoader[koji.calls.Call[Any], Any] = DataLoader(
            self._multicall, cache_key_fn=_call_key
        )
        self.package_id = DataLoader(self._package_ids)
        self.builds = DataLoader(self._builds)
        self.build = DataLoader(self._build)
        self.latest = DataLoader(self._latest)
        self.tags = DataLoader(self._tags)
        self.user = DataLoader(self._users)
        self.prefix = DataLoader(self._prefix)
        self.license = DataLoader(self._licenses)
        self._window: _Window | None = None
        self._sending: set[asyncio.Future[None]] = set()

    async def _multicall(self, calls: list[koji.calls.Call[Any]]) -> Sequence[Any]:
        """Send ``calls``, but those XML cannot carry: each of them fails alone."""
        refused = {
            index: _unsendable(char)
            for index, call in enumerate(calls)
            if (char := _not_xml(call.params)) is not None
        }
        if not refused:
            return await self._gather(calls)
        sent = [call for index, call in enumerate(calls) if index not in refused]
        answers = iter(await self._gather(sent) if sent else ())
        return [
            refused[index] if index in refused else next(answers) for index in range(len(calls))
        ]

    async def _gather(self, calls: list[koji.calls.Call[Any]]) -> Sequence[Any]:
        """Send ``calls`` with the other batches of calls that follow them closely.

        The loaders of one level reach koji a little apart — each first reads the field
        cache, whose answers come back milliseconds apart for large batches — so batches
        are gathered into one multicall until none joined for :data:`QUIET_S`, for at most
        :data:`WINDOW_S`.
        """
        loop = asyncio.get_running_loop()
        window = self._window
        if window is None:
            window = self._window = _Window(loop.create_future(), loop.time())
        if window.timer is not None:
            window.timer.cancel()
        send_at = min(loop.time() + QUIET_S, window.opened + WINDOW_S)
        window.timer = loop.call_at(send_at, self._send, window)
        start = len(window.calls)
        window.calls.extend(calls)
        answers = await asyncio.shield(window.answers)
        return answers[start : start + len(calls)]

    def _send(self, window: _Window) -> None:
        self._window = None
        task = asyncio.ensure_future(self._flush(window))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _flush(self, window: _Window) -> None:
        try:
            answers: Sequence[Any] = await self.client.batch(window.calls)
        except UpstreamError as error:
            answers = [error] * len(window.calls)
        except BaseException as error:
            window.answers.set_exception(error)
            raise
        window.answers.set_result(answers)

    async def _each(self, calls: Sequence[koji.calls.Call[T]]) -> list[T | BaseException]:
        answers: list[T | BaseException] = await asyncio.gather(
            *(self.calls.load(c) for c in calls), return_exceptions=True
        )
        return answers

    async def _package_ids(self, names: list[str]) -> list[int | BaseException | None]:
        return await self._each([koji.calls.get_package_id(name) for name in names])

    async def _builds(self, queries: list[BuildsQuery]) -> list[Page[koji.Build] | BaseException]:
        """Windows of one list that overlap are read in one call and sliced.

        A popular package is read in many windows (``first: 1``, ``10``, ``20``, the next
        page…); they share one count and as few listings as cover them, so a level (or a
        refill of every live variant) parses each build once, not once per window.
        """
        spans = _spans(queries)
        calls: list[koji.calls.Call[Any]] = []
        for query, span in spans:
            calls.append(_count(query))
            calls.append(_listing(replace(query, window=span)))
        answers = await self._each(calls)
        read: dict[tuple[str | None, str | None, koji.BuildState | None], list[Any]] = {}
        for index, (query, span) in enumerate(spans):
            read.setdefault(_list_of(query), []).append(
                (span, answers[2 * index], answers[2 * index + 1])
            )
        pages: list[Page[koji.Build] | BaseException] = []
        for query in queries:
            window = query.window
            span, count, builds = next(
                entry
                for entry in read[_list_of(query)]
                if entry[0].offset <= window.offset
                and window.offset + window.limit <= entry[0].offset + entry[0].limit
            )
            failure = next((a for a in (count, builds) if isinstance(a, BaseException)), None)
            if failure is not None:
                pages.append(failure)
                continue
            start = window.offset - span.offset
            pages.append(Page(builds[start : start + window.limit], window.offset, count))
        return pages

    async def _build(self, refs: list[int | str]) -> list[koji.Build | BaseException | None]:
        return await self._each([koji.calls.get_build(ref) for ref in refs])

    async def _latest(
        self, queries: list[LatestQuery]
    ) -> list[koji.TaggedBuild | BaseException | None]:
        answers = await self._each(
            [koji.calls.get_latest_builds(q.tag, package=q.package) for q in queries]
        )
        return [a if isinstance(a, BaseException) else (a[0] if a else None) for a in answers]

    async def _tags(self, build_ids: list[int]) -> list[list[str] | BaseException]:
        answers = await self._each([koji.calls.list_tags(build_id) for build_id in build_ids])
        return [a if isinstance(a, BaseException) else [t.name for t in a] for a in answers]

    async def _users(self, names: list[str]) -> list[koji.User | BaseException | None]:
        return await self._each([koji.calls.get_user(name) for name in names])

    async def _prefix(
        self, prefixes: list[tuple[str, int]]
    ) -> list[list[koji.Package] | BaseException]:
        return await self._each(
            [koji.calls.list_packages(prefix, limit=limit) for prefix, limit in prefixes]
        )

    async def _licenses(self, names: list[str]) -> list[str | BaseException | None]:
        answers: list[str | BaseException | None] = await asyncio.gather(
            *(self._license(name) for name in names), return_exceptions=True
        )
        return answers

    async def _license(self, name: str) -> str | None:
        """The ``License`` header of the source RPM of the package's newest rawhide build."""
        build = await self.latest.load(LatestQuery(RAWHIDE_TAG, name))
        if build is None:
            return None
        rpms: list[koji.RPM] = await self.calls.load(koji.calls.list_rpms(build.id, arches="src"))
        if not rpms:
            return None
        headers: dict[str, object] = await self.calls.load(
            koji.calls.get_rpm_headers(rpms[0].id, [_LICENSE])
        )
        value = headers.get(_LICENSE)
        return (value.strip() or None) if isinstance(value, str) else None


def _not_xml(value: object) -> str | None:
    """The first character XML cannot carry in ``value`` (a call's parameters), if any."""
    if isinstance(value, str):
        found = _NOT_XML.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        value = [*value, *value.values()]
    if isinstance(value, list | tuple):
        return next((char for item in value if (char := _not_xml(item)) is not None), None)
    return None


def _unsendable(char: str) -> BadInputError:
    return BadInputError(f"koji cannot be asked for text holding the character U+{ord(char):04X}")


#: The widest listing that windows are merged into; wider unions are read apart.
MAX_SPAN = 2 * MAX_FIRST


def _list_of(query: BuildsQuery) -> tuple[str | None, str | None, koji.BuildState | None]:
    return query.package, query.owner, query.state


def _spans(queries: Sequence[BuildsQuery]) -> list[tuple[BuildsQuery, Window]]:
    """Per list, the windows that cover all the queries' windows, each at most MAX_SPAN long."""
    by_list: dict[tuple[str | None, str | None, koji.BuildState | None], list[BuildsQuery]] = {}
    for query in queries:
        by_list.setdefault(_list_of(query), []).append(query)
    spans: list[tuple[BuildsQuery, Window]] = []
    for same in by_list.values():
        windows = sorted({q.window for q in same}, key=lambda w: (w.offset, -w.limit))
        start, end = windows[0].offset, windows[0].offset + windows[0].limit
        for window in windows[1:]:
            stop = window.offset + window.limit
            if window.offset <= end and max(end, stop) - start <= MAX_SPAN:
                end = max(end, stop)
                continue
            spans.append((same[0], Window(start, end - start)))
            start, end = window.offset, stop
        spans.append((same[0], Window(start, end - start)))
    return spans


def _count(query: BuildsQuery) -> koji.calls.Call[int]:
    if query.package is not None:
        return koji.calls.count_builds(query.package, state=query.state)
    assert query.owner is not None
    return koji.calls.count_user_builds(query.owner, state=query.state)


def _listing(query: BuildsQuery) -> koji.calls.Call[list[koji.Build]]:
    window = query.window
    if query.package is not None:
        return koji.calls.list_builds(
            query.package, state=query.state, limit=window.limit, offset=window.offset
        )
    assert query.owner is not None
    return koji.calls.list_user_builds(
        query.owner, state=query.state, limit=window.limit, offset=window.offset
    )
