"""Paging: the slice of a listing one page shows, and how many pages there are."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["page_count", "paged"]


def page_count(total: int, rows_per_page: int) -> int:
    return math.ceil(total / rows_per_page)


def paged(items: Sequence[Any], page: int, rows_per_page: int) -> Sequence[Any]:
    start = (page - 1) * rows_per_page
    return items[start : start + rows_per_page]
