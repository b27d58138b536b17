"""Bug.search: parameters parsed into a :class:`Search`, run on the world, and ordered.

A search by ``id`` or ``component`` scans only those bugs; every other parameter
adds a condition. Results are ordered by bug id unless ``order`` says otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from simulator.catalog.model import Bug
from simulator.formats.bugzilla import CLOSED_STATUSES, OPEN_STATUSES
from simulator.upstreams.bugzilla.conditions import (
    Predicate,
    any_of,
    charts,
    compare,
    status_set,
    substrings,
)
from simulator.upstreams.bugzilla.errors import BugzillaError
from simulator.upstreams.bugzilla.fields import ALIASES, FIELDS, TIME_FIELDS
from simulator.upstreams.bugzilla.params import param_values, parse_time
from simulator.world import World

__all__ = ["Search", "parse_search", "sort_bugs"]

_SEVERITIES = ("urgent", "high", "medium", "low", "unspecified")
_STATUS_ORDER = {name: i for i, name in enumerate((*OPEN_STATUSES, *CLOSED_STATUSES))}


@dataclass
class Search:
    """A parsed Bug.search: the candidates to scan and the conditions they must meet."""

    ids: list[int] | None = None
    components: list[str] | None = None
    conditions: list[Predicate] = field(default_factory=list)

    def run(self, world: World) -> list[Bug]:
        if self.ids is not None:
            candidates: Iterable[Bug] = (
                world.bugs[i] for i in dict.fromkeys(self.ids) if i in world.bugs
            )
        elif self.components is not None:
            candidates = (
                bug
                for name in dict.fromkeys(self.components)
                for bug in world.bugs_by_component.get(name, ())
            )
        else:
            candidates = world.bugs.values()
        return [bug for bug in candidates if all(check(bug) for check in self.conditions)]


_EXACT_PARAMS: dict[tuple[str, ...], str] = {
    ("product",): "product",
    ("resolution",): "resolution",
    ("version",): "version",
    ("severity", "bug_severity"): "bug_severity",
    ("priority",): "priority",
    ("creator", "reporter"): "reporter",
    ("assigned_to",): "assigned_to",
    ("qa_contact",): "qa_contact",
    ("classification",): "classification",
    ("op_sys",): "op_sys",
    ("platform", "rep_platform"): "rep_platform",
    ("target_milestone",): "target_milestone",
    ("url", "bug_file_loc"): "bug_file_loc",
    ("alias",): "alias",
}
_SUBSTRING_PARAMS: dict[tuple[str, ...], str] = {
    ("summary", "short_desc"): "short_desc",
    ("whiteboard", "status_whiteboard"): "status_whiteboard",
}


def parse_search(params: QueryParams) -> Search:
    search = Search()
    ids = param_values(params, "id", "bug_id")
    if ids:
        if not all(re.fullmatch(r"\d+", i) for i in ids):
            raise BugzillaError(52, "Invalid parameter passed to Bug.search: It must be numeric.")
        search.ids = [int(i) for i in ids]
    components = param_values(params, "component")
    if components:
        search.components = components
    statuses = param_values(params, "status", "bug_status")
    if statuses:
        search.conditions.append(any_of(FIELDS["bug_status"], status_set(statuses)))
    for names, column in _EXACT_PARAMS.items():
        wanted = param_values(params, *names)
        if column == "resolution":  # "---" is how Bugzilla spells "no resolution"
            wanted = ["" if v == "---" else v for v in wanted]
        if wanted:
            search.conditions.append(any_of(FIELDS[column], wanted))
    for names, column in _SUBSTRING_PARAMS.items():
        parts = [v.lower() for v in param_values(params, *names, split=False)]
        if parts:
            search.conditions.append(substrings(FIELDS[column], parts))
    for name, column in (("creation_time", "creation_ts"), ("last_change_time", "delta_ts")):
        since = params.get(name)
        if since:
            search.conditions.append(compare(FIELDS[column], "greaterthaneq", parse_time(since)))
    search.conditions += charts(params)
    return search


def sort_bugs(bugs: list[Bug], order: str | None) -> list[Bug]:
    """Bugzilla's ``order``: columns with ASC/DESC, always settled by bug id."""
    bugs = sorted(bugs, key=lambda b: b.id)
    if not order:
        return bugs
    keys: list[tuple[Callable[[Bug], Any], bool]] = []
    for item in order.split(","):
        words = item.strip().split()
        if not words:
            continue
        descending = words[-1].upper() == "DESC"
        name = " ".join(w for w in words if w.upper() not in ("ASC", "DESC")).lower()
        for column in ("priority", "bug_severity") if name == "importance" else (name,):
            key = _sort_key(ALIASES.get(column, column))
            if key is not None:
                keys.append((key, descending))
    for key, descending in reversed(keys):
        bugs.sort(key=key, reverse=descending)
    return bugs


def _sort_key(column: str) -> Callable[[Bug], Any] | None:
    """How a column sorts: workflow order for statuses, rank for severity and priority."""
    if column == "bug_status":
        return lambda b: _STATUS_ORDER.get(b.status, 99)
    get = FIELDS.get(column)
    if get is None:
        return None  # Bugzilla drops columns it cannot sort by
    if column in ("bug_severity", "priority"):
        return lambda b: _SEVERITIES.index(get(b)) if get(b) in _SEVERITIES else 99
    if column == "bug_id" or column in TIME_FIELDS:
        return get
    return lambda b: str(get(b)).lower()
