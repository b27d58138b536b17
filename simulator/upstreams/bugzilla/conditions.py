"""Search conditions: what a bug must satisfy, from parameters and custom-search charts.

Charts are Bugzilla's advanced search: ``f1``/``o1``/``v1`` conditions joined by
``j_top``, and the older ``field0-0-0``/``type0-0-0``/``value0-0-0`` boolean charts,
with the operators of ``Bugzilla/Search.pm``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from starlette.datastructures import QueryParams

from simulator.catalog.model import Bug
from simulator.formats.bugzilla import CLOSED_STATUSES, OPEN_STATUSES
from simulator.upstreams.bugzilla.errors import BugzillaError
from simulator.upstreams.bugzilla.fields import FIELDS, TIME_FIELDS, Getter, column_of
from simulator.upstreams.bugzilla.params import parse_time

__all__ = ["Predicate", "any_of", "charts", "compare", "status_set", "substrings"]

Predicate = Callable[[Bug], bool]


def any_of(getter: Getter, wanted: Iterable[str]) -> Predicate:
    values = {v.lower() for v in wanted}

    def check(bug: Bug) -> bool:
        found = getter(bug)
        items = found if isinstance(found, list) else [found]
        return any(str(item).lower() in values for item in items)

    return check


def status_set(values: list[str]) -> set[str]:
    out: set[str] = set()
    for value in values:
        match value:
            case "__open__":
                out.update(OPEN_STATUSES)
            case "__closed__":
                out.update(CLOSED_STATUSES)
            case "__all__":
                out.update((*OPEN_STATUSES, *CLOSED_STATUSES))
            case _:
                out.add(value.upper())
    return out


def _words(found: Any) -> set[str]:
    items = found if isinstance(found, list) else re.split(r"[\s,]+", str(found))
    return {str(item).lower() for item in items if str(item)}


def _chart(column: str, operator: str, value: str) -> Predicate:
    """One custom-search condition, as Bugzilla's ``Search.pm`` operators read."""
    get = FIELDS[column]
    if column in TIME_FIELDS and operator not in ("isempty", "isnotempty"):
        when = parse_time(value)
        return compare(get, operator, when)
    if column == "bug_id" and operator in (
        "lessthan",
        "lessthaneq",
        "greaterthan",
        "greaterthaneq",
    ):
        return compare(get, operator, _number(value))
    low = value.lower()

    def text(bug: Bug) -> str:
        found = get(bug)
        return ", ".join(map(str, found)) if isinstance(found, list) else str(found)

    match operator:
        case "equals":
            return any_of(get, [value])
        case "notequals":
            return _negate(any_of(get, [value]))
        case "anyexact":
            return any_of(get, [v.strip() for v in value.split(",")])
        case "substring":
            return lambda b: low in text(b).lower()
        case "casesubstring":
            return lambda b: value in text(b)
        case "notsubstring":
            return lambda b: low not in text(b).lower()
        case "anywords":
            return lambda b: bool(_words(get(b)) & _words(value))
        case "allwords":
            return lambda b: _words(value) <= _words(get(b))
        case "nowords":
            return lambda b: not _words(get(b)) & _words(value)
        case "regexp" | "notregexp":
            try:
                pattern = re.compile(value, re.IGNORECASE)
            except re.error as exc:
                raise BugzillaError(
                    58, f"The regular expression you provided {value!r} is not valid: {exc}"
                ) from None

            def matches(bug: Bug) -> bool:
                return bool(pattern.search(text(bug)))

            return matches if operator == "regexp" else _negate(matches)
        case "isempty":
            return lambda b: not text(b)
        case "isnotempty":
            return lambda b: bool(text(b))
        case "lessthan" | "lessthaneq" | "greaterthan" | "greaterthaneq":
            return compare(text, operator, value)
        case "changedafter" | "changedbefore":
            return compare(
                FIELDS["delta_ts"],
                "greaterthaneq" if operator == "changedafter" else "lessthaneq",
                parse_time(value),
            )
    raise BugzillaError(32000, f"Can't use {operator} as an operator.")


def _number(value: str) -> float:
    if not value.strip():
        return 0.0
    try:
        return float(value)
    except ValueError:
        raise BugzillaError(
            52, "Invalid parameter passed to Bug.search: It must be numeric."
        ) from None


def compare(get: Callable[[Bug], Any], operator: str, bound: Any) -> Predicate:
    tests: dict[str, Callable[[Any, Any], bool]] = {
        "lessthan": lambda a, b: a < b,
        "lessthaneq": lambda a, b: a <= b,
        "greaterthan": lambda a, b: a > b,
        "greaterthaneq": lambda a, b: a >= b,
        "equals": lambda a, b: a == b,
        "notequals": lambda a, b: a != b,
    }
    test = tests.get(operator)
    if test is None:
        raise BugzillaError(32000, f"Can't use {operator} as an operator.")
    return lambda bug: test(get(bug), bound)


def _negate(predicate: Predicate) -> Predicate:
    return lambda bug: not predicate(bug)


def charts(params: QueryParams) -> list[Predicate]:
    """``fN/oN/vN`` conditions (joined by ``j_top``) and ``fieldA-B-C`` boolean charts."""
    out: list[Predicate] = []
    custom: list[Predicate] = []
    for key in params:
        match = re.fullmatch(r"f(\d+)", key)
        if match and params[key] not in ("OP", "CP", "noop", ""):
            n = match.group(1)
            custom.append(
                _chart(
                    column_of(params[key]), params.get(f"o{n}", "equals"), params.get(f"v{n}", "")
                )
            )
    if custom:
        if params.get("j_top", "AND").upper() == "OR":
            out.append(_either(custom))
        else:
            out += custom
    rows: dict[tuple[str, str], list[Predicate]] = {}
    for key in params:
        match = re.fullmatch(r"field(\d+)-(\d+)-(\d+)", key)
        if match and params[key] not in ("noop", ""):
            suffix = key.removeprefix("field")
            rows.setdefault((match.group(1), match.group(2)), []).append(
                _chart(
                    column_of(params[key]),
                    params.get(f"type{suffix}", "equals"),
                    params.get(f"value{suffix}", ""),
                )
            )
    out += [_either(row) for row in rows.values()]
    return out


def _either(predicates: list[Predicate]) -> Predicate:
    return lambda bug: any(check(bug) for check in predicates)


def substrings(get: Getter, parts: list[str]) -> Predicate:
    return lambda bug: any(part in str(get(bug)).lower() for part in parts)
