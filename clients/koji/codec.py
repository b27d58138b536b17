"""koji's XML-RPC dialect on the standard library's codec (``xmlrpc.client``).

The hub speaks plain XML-RPC with a few rules of its own (``koji/xmlrpcplus.py``):
``<nil/>`` is allowed, integers beyond 32 bits travel as ``<i8>``, keyword
arguments ride in a trailing struct flagged ``"__starstar": True``, and a failed
call answers HTTP 200 with a ``<fault>``. This module encodes calls and decodes
answers; it knows nothing about HTTP.

Only the hub's answers are parsed here. Documents with a DTD are refused before
they reach expat, so entity tricks cannot expand inside the gateway.
"""

from __future__ import annotations

import xml.parsers.expat
import xmlrpc.client
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "MULTICALL",
    "DecodeError",
    "Fault",
    "dumps_call",
    "loads_response",
    "params_of",
]

#: The hub's batching method (``system.multicall`` is its alias).
MULTICALL = "multiCall"

Fault = xmlrpc.client.Fault

_MAXI8 = 2**63 - 1
_MINI8 = -(2**63)
_Write = Callable[[str], object]


class DecodeError(ValueError):
    """The hub's answer is not a readable XML-RPC ``<methodResponse>``."""


def _dump_int(marshaller: xmlrpc.client.Marshaller, value: int, write: _Write) -> None:
    if xmlrpc.client.MININT <= value <= xmlrpc.client.MAXINT:
        xmlrpc.client.Marshaller.dump_int(marshaller, value, write)
    elif _MINI8 <= value <= _MAXI8:
        write(f"<value><i8>{int(value)}</i8></value>\n")
    else:
        raise OverflowError(f"{value} exceeds XML-RPC's 64-bit integers")


_DISPATCH = {**xmlrpc.client.Marshaller.dispatch, int: _dump_int}


class _Marshaller(xmlrpc.client.Marshaller):
    """``xmlrpc.client.Marshaller`` with ``<nil/>`` on and ``<i8>`` for 64-bit ints."""

    def __init__(self) -> None:
        super().__init__(encoding="utf-8", allow_none=True)
        self.dispatch = _DISPATCH


def params_of(args: Sequence[object], kwargs: Mapping[str, object]) -> list[object]:
    """Positional parameters with keyword arguments as koji's trailing ``__starstar`` struct."""
    params = list(args)
    if kwargs:
        params.append({**kwargs, "__starstar": True})
    return params


def dumps_call(method: str, params: Sequence[object]) -> bytes:
    """A ``<methodCall>`` document calling ``method`` with ``params``."""
    values: tuple[Any, ...] = tuple(params)
    body = _Marshaller().dumps(values)
    name = xmlrpc.client.escape(method)
    return (
        "<?xml version='1.0'?>\n"
        f"<methodCall>\n<methodName>{name}</methodName>\n{body}</methodCall>\n"
    ).encode()


def loads_response(body: bytes) -> object:
    """The value of a ``<methodResponse>``.

    Raises :class:`Fault` when the answer is a fault, :class:`DecodeError`
    when it is not XML-RPC at all.
    """
    _refuse_dtd(body)
    try:
        values, _ = xmlrpc.client.loads(body)
    except Fault:
        raise
    except (
        xml.parsers.expat.ExpatError,
        xmlrpc.client.ResponseError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
    ) as exc:
        raise DecodeError(f"not an XML-RPC response: {type(exc).__name__}: {exc}") from exc
    if len(values) != 1:
        raise DecodeError(f"an XML-RPC response carries one value, not {len(values)}")
    return values[0]


def _refuse_dtd(body: bytes) -> None:
    if b"<!DOCTYPE" in body[:4096] or b"<!ENTITY" in body:
        raise DecodeError("an XML-RPC response has no DTD; refusing one")
