"""Windows into newest-first lists, and the opaque cursors that name them.

Every list field is a connection with ``first`` (1..100) and ``after``; the cursor
of an item is its position in the list, encoded so clients treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.errors import BadInputError

T = TypeVar("T")

MAX_FIRST = 100
_PREFIX = "o:"


@dataclass(frozen=True, slots=True)
class Window:
    """Items ``offset`` to ``offset + limit`` of a list."""

    offset: int
    limit: int

    @classmethod
    def of(cls, first: int | None, after: str | None, *, default: int = 10) -> Window:
        """The window ``first`` items after the cursor ``after`` (``None``: the defaults)."""
        first = default if first is None else first
        if not 1 <= first <= MAX_FIRST:
            raise BadInputError(f"first must be between 1 and {MAX_FIRST}, not {first}")
        return cls(offset=0 if after is None else decode_cursor(after) + 1, limit=first)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One window of a list, and the length of the whole list."""

    items: Sequence[T]
    offset: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self.offset + len(self.items) - 1) if self.items else None

    @classmethod
    def of(cls, items: Sequence[T], window: Window) -> Page[T]:
        """The window of a list held whole."""
        return cls(items[window.offset : window.offset + window.limit], window.offset, len(items))


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadInputError(f"invalid cursor {cursor!r}") from None
    if not text.startswith(_PREFIX) or not text[len(_PREFIX) :].isdigit():
        raise BadInputError(f"invalid cursor {cursor!r}")
    return int(text[len(_PREFIX) :])
