"""Connections: ``{ nodes, pageInfo { hasNextPage endCursor }, totalCount }``."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.resolvers.pages import Page, encode_cursor


@strawberry.type(description="Where a page of a list starts and ends, and whether more follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool
    start_cursor: str | None

    @classmethod
    def of(cls, page: Page[Any]) -> PageInfo:
        return cls(
            has_next_page=page.has_next,
            end_cursor=page.end_cursor,
            has_previous_page=page.offset > 0,
            start_cursor=encode_cursor(page.offset) if page.items else None,
        )
