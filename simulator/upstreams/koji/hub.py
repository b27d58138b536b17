"""The XML-RPC handler: decode a call, run it or a ``multiCall`` batch, encode the answer.

It applies koji's keyword-argument convention, answers the introspection calls
(``_listapi``, ``system.listMethods``, ``system.methodHelp``) and turns errors into
koji's faults (``kojihub/kojixmlrpc.py``).
"""

# The method names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from simulator.upstreams.koji.codec import (
    GenericError,
    ParameterError,
    Row,
    decode_args,
    dumps_fault,
    dumps_response,
    fault_of,
    loads_call,
    multicall_fault,
)
from simulator.upstreams.koji.exports import RootExports
from simulator.world import World

__all__ = ["KojiHub"]

logger = logging.getLogger(__name__)

_MULTICALL_NAMES = frozenset({"multiCall", "system.multicall"})


class KojiHub:
    """``kojixmlrpc``: decode a call, run it (or a ``multiCall`` batch), encode the answer."""

    def __init__(self, world: World) -> None:
        self.exports = RootExports(world)
        self.functions: dict[str, Callable[..., Any]] = {
            name: getattr(self.exports, name)
            for name in dir(self.exports)
            if not name.startswith("_") and callable(getattr(self.exports, name))
        }
        self.functions["_listapi"] = self._listapi
        self.functions["system.listMethods"] = self._list_methods
        self.functions["system.methodSignature"] = self._method_signature
        self.functions["system.methodHelp"] = self._method_help

    def handle(self, body: bytes) -> bytes:
        """One XML-RPC request body in, one response body out (faults included)."""
        return self.answer(body)()

    def answer(self, body: bytes) -> Callable[[], bytes]:
        """Run the call against the world now; the returned function encodes the response.

        The result holds no world records, only fresh maps and lists, so the
        encoding (the slow half of a large answer) may run on another thread.
        """
        try:
            method, params = loads_call(body)
            result = self.dispatch(method, params)
        except Exception as exc:
            return partial(_fault, exc)
        return partial(_encode, result)

    def dispatch(self, method: str | None, params: tuple[Any, ...] | list[Any]) -> Any:
        """Run ``method`` with koji's argument conventions; bad arguments are a ParameterError."""
        if method in _MULTICALL_NAMES:
            function: Callable[..., Any] = self.multiCall
        else:
            found = self.functions.get(method) if method is not None else None
            if found is None:
                raise GenericError(f"Invalid method: {method}")
            function = found
        args, kwargs = decode_args(params)
        try:
            return function(*args, **kwargs)
        except TypeError as exc:
            if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
                raise ParameterError(str(exc)) from None  # the call itself did not fit
            raise

    def multiCall(self, calls: Any) -> list[Any]:
        """Each call's result as ``[result]``, or its fault as a struct; one failure stops none."""
        if not isinstance(calls, list):
            raise ParameterError(f"multiCall expects a list of calls, not {type(calls).__name__}")
        results: list[Any] = []
        for call in calls:
            try:
                result = self.dispatch(call["methodName"], call["params"])
            except Exception as exc:
                results.append(multicall_fault(exc))
            else:
                results.append([result])
        return results

    def _list_methods(self) -> list[str]:
        return list(self.functions)

    def _method_signature(self, method: str) -> str:
        return "signatures not supported"

    def _method_help(self, method: str) -> str:
        function = self.functions.get(method)
        if function is None:
            return ""
        text = f"{method}{_argdesc(function)}"
        if function.__doc__:
            text += f"\ndescription: {function.__doc__}"
        return text

    def _listapi(self) -> list[Row]:
        api: list[Row] = []
        for name, function in self.functions.items():
            parameters = list(inspect.signature(function).parameters.values())
            names = [p.name for p in parameters]
            defaults = [p.default for p in parameters if p.default is not p.empty]
            api.append(
                {
                    "name": name,
                    "doc": function.__doc__,
                    "argspec": [names, None, None, defaults or None, [], None, {}],
                    "argdesc": _argdesc(function),
                    "args": [
                        p.name if p.default is p.empty else [p.name, p.default] for p in parameters
                    ],
                }
            )
        return api


def _encode(result: Any) -> bytes:
    try:
        return dumps_response(result)
    except Exception as exc:  # e.g. an int beyond 64 bits
        return _fault(exc)


def _fault(exc: Exception) -> bytes:
    if not isinstance(exc, GenericError):
        logger.warning("koji call failed", exc_info=exc)
    return dumps_fault(*fault_of(exc))


def _argdesc(function: Callable[..., Any]) -> str:
    parameters = inspect.signature(function).parameters.values()
    shown = [p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in parameters]
    return f"({', '.join(shown)})"
