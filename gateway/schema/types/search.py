"""``PackageSearchConnection``: packages found by name, sub-package, prefix, typo or words."""

from __future__ import annotations

import strawberry

from gateway.schema.types.connection import PageInfo
from gateway.schema.types.package import Package


@strawberry.type(description="A package found by a search, and why.")
class PackageSearchHit:
    package: Package
    name: str
    matched: str = strawberry.field(
        description="what matched: name, subpackage, prefix, fuzzy (a typo away) or text"
    )
    score: float
    subpackage: str | None = strawberry.field(
        default=None, description="the sub-package whose name matched, when one did"
    )


@strawberry.type(description="A page of search results, best first.")
class PackageSearchConnection:
    nodes: list[PackageSearchHit]
    page_info: PageInfo
    total_count: int
