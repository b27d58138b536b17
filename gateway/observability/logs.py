"""How a process logs: text for people, or one JSON object a line; request ids on both.

``configure_logging`` installs one stderr handler on the root logger (as
:func:`logging.basicConfig` would, and only when the root has none), with the
:class:`RequestIdFilter`; ``use_log_format`` then picks its format from the settings
(``GATEWAY_LOG_FORMAT``):

- ``text``: ``2026-05-01 12:00:00,123 INFO gateway.access: POST /graphql 200 3.2 ms …``,
  with `` [request id]`` at the end of a line logged while a request is handled;
- ``json`` (python-json-logger): ``{"time": …, "level": "INFO", "logger": "gateway.access",
  "message": …, "request_id": …}`` and every ``extra`` field of the record (the request line
  has ``method``, ``path``, ``status``, ``duration_ms``, ``operation_type``,
  ``operation_name``, ``cache``, ``cost``, ``errors``).
"""

from __future__ import annotations

import logging
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

from gateway.observability.requests import current_request

__all__ = [
    "LogFormat",
    "RequestIdFilter",
    "TextFormatter",
    "configure_logging",
    "formatter",
    "use_log_format",
]

LogFormat = Literal["text", "json"]

#: The name of the handler ``configure_logging`` installs.
_HANDLER = "fedora-gateway"
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps ``request_id`` on each record logged while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            current = current_request()
            if current is not None:
                record.request_id = current.request_id
        return True


class TextFormatter(logging.Formatter):
    """The plain format, with `` [request id]`` when the record has one."""

    def __init__(self) -> None:
        super().__init__(_TEXT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 -- logging's name
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


def formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return TextFormatter()


def configure_logging(level: str = "INFO", log_format: LogFormat = "text") -> None:
    """Log to stderr at ``level``, unless the root logger already has a handler."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.set_name(_HANDLER)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level.upper())


def use_log_format(log_format: LogFormat) -> None:
    """Switch the handler ``configure_logging`` installed to ``log_format``."""
    for handler in logging.getLogger().handlers:
        if handler.get_name() == _HANDLER:
            handler.setFormatter(formatter(log_format))
