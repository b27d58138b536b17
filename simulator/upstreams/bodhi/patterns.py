"""SQL ``LIKE`` and ``ILIKE`` patterns, as bodhi's queries apply them to names."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["containing", "like_pattern"]


def like_pattern(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """SQL ``LIKE`` as a regular expression for ``fullmatch``: ``%`` any run, ``_`` any one."""
    wildcards = {"%": ".*", "_": "."}
    regex = "".join(wildcards.get(char) or re.escape(char) for char in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def containing(text: str, *, ignore_case: bool = False) -> Callable[[str], bool]:
    """``LIKE '%text%'`` (``ILIKE`` with ``ignore_case``) as a test of one string."""
    if "%" in text or "_" in text:
        pattern = like_pattern(text, ignore_case=ignore_case)
        return lambda value: pattern.search(value) is not None
    if ignore_case:
        needle = text.lower()
        return lambda value: needle in value.lower()
    return lambda value: text in value
