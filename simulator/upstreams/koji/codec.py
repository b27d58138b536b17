"""The koji hub's conventions: its XML-RPC dialect, its faults, its query options.

koji speaks plain XML-RPC with a few rules of its own (``koji/xmlrpcplus.py``,
``kojihub/kojixmlrpc.py``): ``<nil/>`` is on, integers beyond 32 bits travel as
``<i8>``, datetimes are sent as ``isoformat(" ")`` strings, keyword arguments ride
in a trailing struct flagged ``__starstar``, and errors are faults whose code names
a ``koji.GenericError`` subclass. Its listing calls share ``queryOpts``
(``kojihub/db.py QueryProcessor``), SQL ``ILIKE`` patterns and time arguments.

All of that is independent of what the hub holds; :mod:`simulator.upstreams.koji`
has the calls, which read the simulated world.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import re
import xmlrpc.client
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "DateTime",
    "Fault",
    "GenericError",
    "KojiMarshaller",
    "ParameterError",
    "QueryOpts",
    "Row",
    "as_int",
    "columns",
    "decode_args",
    "dumps_fault",
    "dumps_response",
    "epoch",
    "fault_of",
    "glob",
    "like",
    "loads_call",
    "multicall_fault",
    "ordered",
    "parse_nvr",
    "query_rows",
]

T = TypeVar("T")
Row = dict[str, Any]

Fault = xmlrpc.client.Fault
DateTime = xmlrpc.client.DateTime

_MAXI8 = 2**63 - 1
_MINI8 = -(2**63)
_XML_HEADER = "<?xml version='1.0'?>\n"
_Write = Callable[[str], object]


class GenericError(Exception):
    """``koji.GenericError``: the fault every anticipated hub error raises."""

    fault_code = 1000

    @classmethod
    def koji_name(cls) -> str:
        return f"koji.{cls.__name__}"


class ParameterError(GenericError):
    """``koji.ParameterError``: the call's arguments do not fit the method."""

    fault_code = 1019


def _dump_int(marshaller: xmlrpc.client.Marshaller, value: int, write: _Write) -> None:
    if value > _MAXI8 or value < _MINI8:
        raise OverflowError("long int exceeds XML-RPC limits")
    if xmlrpc.client.MININT <= value <= xmlrpc.client.MAXINT:
        xmlrpc.client.Marshaller.dump_int(marshaller, value, write)
        return
    write("<value><i8>")
    write(str(int(value)))
    write("</i8></value>\n")


def _dump_datetime(marshaller: xmlrpc.client.Marshaller, value: dt.datetime, write: _Write) -> None:
    marshaller.dump_unicode(value.isoformat(" "), write)


_DISPATCH = xmlrpc.client.Marshaller.dispatch.copy()
_DISPATCH[int] = _dump_int
_DISPATCH[dt.datetime] = _dump_datetime


class KojiMarshaller(xmlrpc.client.Marshaller):
    """``kojixmlrpc.Marshaller``: ``<i8>`` for 64-bit ints, datetimes as strings."""

    def __init__(self, encoding: str | None = "utf-8", allow_none: bool = True) -> None:
        super().__init__(encoding, allow_none)
        self.dispatch = _DISPATCH


def loads_call(body: bytes) -> tuple[str | None, tuple[Any, ...]]:
    """The method name and the positional parameters of a ``<methodCall>``."""
    params, method = xmlrpc.client.loads(body)
    return method, params


def decode_args(params: tuple[Any, ...] | list[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Split off the trailing ``{"__starstar": True, ...}`` struct as keyword arguments."""
    args = tuple(params)
    if args and isinstance(args[-1], dict) and args[-1].get("__starstar", False):
        opts = {key: value for key, value in args[-1].items() if key != "__starstar"}
        return args[:-1], opts
    return args, {}


def dumps_response(value: Any) -> bytes:
    """A ``<methodResponse>`` carrying ``value``."""
    return _envelope(KojiMarshaller().dumps((value,)))


def dumps_fault(code: int, message: str) -> bytes:
    """A ``<methodResponse>`` carrying a ``<fault>``."""
    return _envelope(KojiMarshaller().dumps(Fault(code, message)))


def _envelope(data: str) -> bytes:
    # The wrapping ``xmlrpc.client.dumps`` and ``koji.xmlrpcplus.dumps`` put around
    # a marshalled response; the stdlib function cannot take another marshaller.
    return f"{_XML_HEADER}<methodResponse>\n{data}</methodResponse>\n".encode()


def fault_of(exc: Exception) -> tuple[int, str]:
    """What a single call's fault says about ``exc`` (``ModXMLRPCRequestHandler._log_exception``).

    koji's own errors report their message; anything else reports its class too,
    as a hub without ``KojiDebug``/``KojiTraceback`` does.
    """
    if isinstance(exc, Fault):
        return exc.faultCode, exc.faultString
    if isinstance(exc, GenericError):
        return exc.fault_code, str(exc)
    return 1, f"{type(exc)}: {exc}"


def multicall_fault(exc: Exception) -> dict[str, Any]:
    """One failed call's entry in a ``multiCall`` result (``ModXMLRPCRequestHandler.multiCall``)."""
    if isinstance(exc, Fault):
        return {"faultCode": exc.faultCode, "faultString": exc.faultString}
    code = exc.fault_code if isinstance(exc, GenericError) else 1
    name = exc.koji_name() if isinstance(exc, GenericError) else type(exc).__name__
    return {
        "faultCode": code,
        "faultString": ", ".join(str(arg) for arg in exc.args),
        "traceback": ["Traceback (most recent call last):\n", "  ...\n", f"{name}: {exc}\n"],
    }


# -- queryOpts -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryOpts:
    """koji's ``queryOpts`` (``kojihub/db.py QueryProcessor``), checked against a call's columns."""

    order: tuple[tuple[str, bool], ...] = ()  # (alias, descending)
    offset: int = 0
    limit: int = 0  # 0: no limit, as ``LIMIT`` is only written when the option is truthy
    count_only: bool = False
    as_list: bool = False

    @classmethod
    def parse(cls, opts: Any, columns: Mapping[str, str]) -> QueryOpts:
        """Read ``opts``; ``columns`` maps every accepted name (alias or column) to its alias."""
        if opts is None:
            return cls()
        if not isinstance(opts, dict):
            raise ParameterError(f"Invalid queryOpts: {opts!r}")
        count_only = bool(opts.get("countOnly"))
        order: list[tuple[str, bool]] = []
        if opts.get("order") and not count_only:  # counting skips the ORDER BY, and its check
            for name in str(opts["order"]).split(","):
                descending = name.startswith("-")
                name = name.removeprefix("-")
                if name not in columns:
                    raise Exception(f"Invalid order: {name}")  # koji raises a bare Exception
                order.append((columns[name], descending))
        return cls(
            tuple(order),
            _int_opt(opts, "offset"),
            _int_opt(opts, "limit"),
            count_only,
            bool(opts.get("asList")),
        )

    @property
    def window(self) -> int | None:
        """How many leading rows the page needs, or None for all."""
        return self.offset + self.limit if self.limit else None

    def page(self, items: Iterable[T]) -> list[T]:
        return list(itertools.islice(items, self.offset, self.window))

    def count(self, total: int) -> int:
        remaining = max(0, total - self.offset)
        return min(remaining, self.limit) if self.limit else remaining

    def shape(self, rows: list[Row]) -> list[Any]:
        """Rows as maps, or with ``asList`` as lists in column order (columns sort by alias)."""
        if not self.as_list:
            return rows
        return [[row[key] for key in sorted(row)] for row in rows]


def _int_opt(opts: Mapping[str, Any], name: str) -> int:
    value = opts.get(name)
    if not value:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParameterError(f"Invalid value for {name}: {value!r}")
    return int(value)


def _nulls(value: Any) -> tuple[bool, Any]:
    """A sort key that orders like PostgreSQL: NULLs last ascending, first descending."""
    return (value is None, value)


def ordered(
    items: Iterable[T],
    order: tuple[tuple[str, bool], ...],
    key_of: Callable[[str], Callable[[T], Any]],
    window: int | None,
) -> list[T]:
    """``items`` in ``order``; only the first ``window`` of them when that is set."""
    if len(order) == 1 and window is not None:
        alias, descending = order[0]
        key = key_of(alias)
        pick = heapq.nlargest if descending else heapq.nsmallest
        return pick(window, items, key=lambda item: _nulls(key(item)))
    result = list(items)
    for alias, descending in reversed(order):  # stable sorts, least significant key first
        key = key_of(alias)
        result.sort(key=lambda item: _nulls(key(item)), reverse=descending)
    return result if window is None else result[:window]


def query_rows(rows: list[Row], opts: QueryOpts) -> list[Any] | int:
    """``queryOpts`` on rows already rendered (tags, package listings)."""
    if opts.count_only:
        return opts.count(len(rows))
    if opts.order:
        rows = ordered(rows, opts.order, _row_key, opts.window)
    return opts.shape(opts.page(rows))


def _row_key(alias: str) -> Callable[[Row], Any]:
    return lambda row: row[alias]


def columns(aliases: Iterable[str], names: Mapping[str, str] | None = None) -> dict[str, str]:
    """What ``order`` may name: a call's aliases, and its SQL column names mapped to them."""
    accepted = {alias: alias for alias in aliases}
    accepted.update(names or {})
    return accepted


# -- arguments --------------------------------------------------------------------


def like(pattern: str) -> re.Pattern[str]:
    """A SQL ``ILIKE`` pattern (``%``, ``_``, backslash escapes) as a regular expression."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def glob(pattern: str) -> re.Pattern[str]:
    """A glob as koji turns it into ``ILIKE`` (``_prepareSearchTerms``)."""
    escaped = pattern.replace("\\", "\\\\").replace("_", r"\_").replace("?", "_").replace("*", "%")
    return like(escaped)


def epoch(value: Any, name: str) -> float:
    """A time filter: epoch seconds, or a ``'YYYY-MM-DD HH:MM:SS'`` string (UTC unless zoned)."""
    if isinstance(value, bool):
        raise ParameterError(f"Invalid time for {name}: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = value.value if isinstance(value, DateTime) else value
    if not isinstance(text, str):
        raise ParameterError(f"Invalid time for {name}: {value!r}")
    try:
        parsed = _parse_time(text.strip())
    except ValueError:
        raise ParameterError(f"Invalid time for {name}: {text!r}") from None
    return parsed


def _parse_time(text: str) -> float:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = dt.datetime.strptime(text, "%Y%m%dT%H:%M:%S")  # an XML-RPC dateTime.iso8601
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def as_int(value: Any) -> int:
    """koji's ``convert_value(value, cast=int)``."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ParameterError(
            f"Invalid type for value '{value}': {type(value)}, expected type {int}"
        ) from None


def parse_nvr(nvr: str) -> tuple[str, str, str]:
    """``koji.parse_NVR``: split at the last two dashes; an ``epoch:`` prefix is dropped."""
    release_at = nvr.rfind("-")
    if release_at in (-1, len(nvr) - 1):
        raise GenericError(f"invalid format: {nvr}")
    version_at = nvr.rfind("-", 0, release_at)
    if version_at in (-1, release_at - 1):
        raise GenericError(f"invalid format: {nvr}")
    name = nvr[:version_at]
    name = name.split(":", 1)[1] if ":" in name else name
    return name, nvr[version_at + 1 : release_at], nvr[release_at + 1 :]
