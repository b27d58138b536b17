"""Bugzilla's WebService errors: a code, a message, and the HTTP status REST answers with.

The codes are Bugzilla's (``Bugzilla/WebService/Constants.pm``): 101 (no such bug)
is a 404, 32614 (no such REST resource) a 404, 410 (log in first) a 401, and the
rest a 400.
"""

from __future__ import annotations

__all__ = ["BugzillaError"]


class BugzillaError(Exception):
    """A WebService error: its Bugzilla code, message and the HTTP status REST uses."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
