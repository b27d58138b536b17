"""Query parameters as Bugzilla's REST API reads them: lists, numbers, times, fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.datastructures import QueryParams

from simulator.formats.bugzilla import FieldFilter
from simulator.upstreams.bugzilla.errors import BugzillaError

__all__ = ["field_filter", "param_integer", "param_values", "parse_time"]


def param_values(params: QueryParams, *names: str, split: bool = True) -> list[str]:
    """Every value of ``names``: repeated parameters, each possibly a comma list."""
    out: list[str] = []
    for name in names:
        for raw in params.getlist(name):
            parts = raw.split(",") if split else [raw]
            out += [part.strip() for part in parts if part.strip()]
    return out


def param_integer(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?\d+", raw.strip()):
        raise BugzillaError(52, "Invalid parameter passed to Bug.search: It must be numeric.")
    return int(raw)


def parse_time(value: str) -> float:
    """A Bugzilla date or datetime (``2024-01-31``, ``...T10:00:00Z``), as epoch seconds."""
    text = value.strip().replace(" ", "T").removesuffix("Z")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BugzillaError(56, f"'{value}' is not a legal date.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def field_filter(params: QueryParams) -> FieldFilter:
    include = param_values(params, "include_fields")
    return FieldFilter.of(
        include or None,
        param_values(params, "exclude_fields"),
        param_values(params, "extra_fields"),
    )
