"""The koji hub's XML-RPC dialect, on the standard library's codec.

koji speaks plain XML-RPC with a few rules of its own (``koji/xmlrpcplus.py``,
``kojihub/kojixmlrpc.py``): ``<nil/>`` is on, integers beyond 32 bits travel as
``<i8>``, datetimes are sent as ``isoformat(" ")`` strings, keyword arguments ride
in a trailing struct flagged ``__starstar``, and errors are faults whose code names
a ``koji.GenericError`` subclass. This module holds those rules and the fault
classes; :mod:`simulator.upstreams.koji` holds the calls.
"""

from __future__ import annotations

import datetime as dt
import xmlrpc.client
from collections.abc import Callable
from typing import Any, ClassVar

__all__ = [
    "Fault",
    "GenericError",
    "KojiMarshaller",
    "ParameterError",
    "decode_args",
    "dumps_fault",
    "dumps_response",
    "fault_of",
    "loads_call",
    "multicall_fault",
]

Fault = xmlrpc.client.Fault

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


class KojiMarshaller(xmlrpc.client.Marshaller):
    """``kojixmlrpc.Marshaller``: ``<i8>`` for 64-bit ints, datetimes as strings."""

    dispatch: ClassVar[dict[Any, Callable[[Any, Any, _Write], None]]] = {
        **xmlrpc.client.Marshaller.dispatch,
        int: _dump_int,
        dt.datetime: _dump_datetime,
    }


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
    return _envelope(KojiMarshaller("utf-8", allow_none=True).dumps((value,)))


def dumps_fault(code: int, message: str) -> bytes:
    """A ``<methodResponse>`` carrying a ``<fault>``."""
    return _envelope(KojiMarshaller("utf-8", allow_none=True).dumps(Fault(code, message)))


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
