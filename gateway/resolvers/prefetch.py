"""Ask koji early: builds of packages travel with the question whether they exist.

``package(name)`` and ``packages(names)`` ask koji whether each package exists;
their ``builds`` field would ask koji again one level down. Reading the selection
ahead, these functions load the builds windows the selection will ask for in the
same tick, so both questions share one multicall, and the field's own load finds
the answer waiting in its dataloader. ``license`` starts from the newest rawhide
build, which is asked for the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from clients import koji
from gateway.context import Info
from gateway.errors import GatewayError
from gateway.resolvers.koji import RAWHIDE_TAG
from gateway.resolvers.pages import Window
from gateway.resolvers.queries import BuildsQuery, LatestQuery


def prefetch_builds(info: Info, names: Iterable[str]) -> None:
    names = list(names)
    loader = info.context.loaders.builds
    for selection in _fields(info.selected_fields[0].selections if info.selected_fields else []):
        if selection.name != "builds":
            continue
        query = _query(selection.arguments)
        if query is None:
            continue
        for name in names:
            future = asyncio.ensure_future(
                loader.load(BuildsQuery(name, query.window, state=query.state))
            )
            future.add_done_callback(_observed)


def prefetch_license(info: Info, names: Iterable[str]) -> None:
    """Load the newest rawhide builds ``license`` starts from, when the selection has it."""
    selections = info.selected_fields[0].selections if info.selected_fields else []
    if not any(selection.name == "license" for selection in _fields(selections)):
        return
    loader = info.context.loaders.latest
    for name in names:
        future = asyncio.ensure_future(loader.load(LatestQuery(RAWHIDE_TAG, name)))
        future.add_done_callback(_observed)


def _fields(selections: list[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def _query(arguments: dict[str, Any]) -> BuildsQuery | None:
    """The query of a ``builds`` selection (literal arguments arrive as text)."""
    try:
        first = arguments.get("first")
        window = Window.of(None if first is None else int(first), arguments.get("after"))
        state = arguments.get("state")
        return BuildsQuery(None, window, state=koji.BuildState[state] if state else None)
    except (GatewayError, KeyError, TypeError, ValueError):
        return None  # the field's own resolver reports the bad argument


def _observed(future: asyncio.Future[Any]) -> None:
    """A prefetch nobody awaits (its package turned out unknown) must not warn."""
    if not future.cancelled():
        future.exception()
