"""Ask every upstream at once: a package's fields are loaded a level early, together.

``package(name)`` and ``packages(names)`` ask koji whether each package exists, and
only then would their fields ask for builds, updates, bugs, metadata and owners — a
second round trip for every upstream. Reading the selection ahead,
:func:`prefetch_packages` starts the loads those fields will make in the same tick as
the existence question: each upstream is asked once, all of them at the same time
(koji's questions share one multicall), and each field's own load finds its answer
waiting in the operation's dataloader. Only the keys must agree, so each field's key is
made here from the selection's arguments exactly as its resolver makes it.

A selection the look-ahead cannot read (a bad argument) is left to its resolver, which
reports it; a prefetched answer nobody awaits (the package turned out unknown) is
dropped quietly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from clients import bodhi, koji
from gateway.context import Info
from gateway.errors import GatewayError
from gateway.resolvers.channels import channels
from gateway.resolvers.koji import RAWHIDE_TAG
from gateway.resolvers.loaders import Loaders
from gateway.resolvers.pages import Window
from gateway.resolvers.queries import (
    BranchQuery,
    BugsQuery,
    BuildsQuery,
    LatestQuery,
    UpdatesQuery,
)

__all__ = ["prefetch_packages"]

#: What one selected field of ``Package`` loads for one package.
Plan = Callable[[Loaders, str, dict[str, Any], Sequence[bodhi.Release]], list[Awaitable[Any]]]


async def prefetch_packages(info: Info, names: Iterable[str]) -> None:
    """Start the loads the selected fields of these packages will make.

    Returns once they are all queued, before the current tick ends, so the caller's own
    load joins the same batches. ``latestBuilds`` and ``versions`` need the releases
    first; they are awaited here (a field-cache hit on a running gateway).
    """
    names = list(names)
    selections = list(_fields(info.selected_fields[0].selections if info.selected_fields else []))
    loaders = info.context.loaders
    releases: Sequence[bodhi.Release] = ()
    if any(selection.name in _NEEDS_RELEASES for selection in selections):
        try:
            releases = await loaders.releases.load("all")
        except Exception:  # the fields report it when they ask themselves
            releases = ()
    for selection in selections:
        plan = _PLANS.get(selection.name)
        if plan is None:
            continue
        for name in names:
            try:
                loads = plan(loaders, name, selection.arguments, releases)
            except (GatewayError, KeyError, TypeError, ValueError):
                break  # the field's own resolver reports the bad argument
            for load in loads:
                asyncio.ensure_future(load).add_done_callback(_observed)


def _builds(loaders: Loaders, name: str, args: dict[str, Any], _: Any) -> list[Awaitable[Any]]:
    first = args.get("first")
    window = Window.of(None if first is None else int(first), args.get("after"))
    state = args.get("state")
    if isinstance(state, str):  # a literal: the schema's name, which is koji's
        state = koji.BuildState[state]
    elif state is not None:  # a variable: the schema's member
        state = state.to_koji()
    return [loaders.builds.load(BuildsQuery(name, window, state=state))]


def _updates(loaders: Loaders, name: str, args: dict[str, Any], _: Any) -> list[Awaitable[Any]]:
    first = args.get("first")
    window = Window.of(None if first is None else int(first), args.get("after"))
    status = args.get("status")
    if isinstance(status, str):  # a literal: the schema's name of bodhi's value
        status = bodhi.UpdateStatus(status.lower())
    elif status is not None:  # a variable: the schema's member
        status = status.to_bodhi()
    query = UpdatesQuery(name, window, status=status, release=args.get("release"))
    return [loaders.updates.load(query)]


def _bugs(loaders: Loaders, name: str, args: dict[str, Any], _: Any) -> list[Awaitable[Any]]:
    first = args.get("first")
    window = Window.of(None if first is None else int(first), args.get("after"), default=20)
    return [loaders.bugs.load(BugsQuery(name, window, is_open=args.get("open", True)))]


def _latest(
    loaders: Loaders, name: str, _: dict[str, Any], releases: Sequence[bodhi.Release]
) -> list[Awaitable[Any]]:
    return [loaders.latest.load(LatestQuery(c.tag, name)) for c in channels(releases)]


def _license(loaders: Loaders, name: str, _: dict[str, Any], __: Any) -> list[Awaitable[Any]]:
    return [loaders.latest.load(LatestQuery(RAWHIDE_TAG, name))]  # where license starts


def _project(loaders: Loaders, name: str, _: dict[str, Any], __: Any) -> list[Awaitable[Any]]:
    return [loaders.project.load(name)]


def _metadata(loaders: Loaders, name: str, _: dict[str, Any], __: Any) -> list[Awaitable[Any]]:
    return [loaders.source.load(BranchQuery("rawhide", name, name))]


_NEEDS_RELEASES = frozenset({"latestBuilds", "versions"})
_PLANS: dict[str, Plan] = {
    "builds": _builds,
    "updates": _updates,
    "bugs": _bugs,
    "latestBuilds": _latest,
    "versions": _latest,
    "license": _license,
    "maintainers": _project,
    "orphaned": _project,
    "summary": _metadata,
    "description": _metadata,
    "url": _metadata,
    "subpackages": _metadata,
}


def _fields(selections: list[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def _observed(future: asyncio.Future[Any]) -> None:
    """A prefetch nobody awaits (its package turned out unknown) must not warn."""
    if not future.cancelled():
        future.exception()
