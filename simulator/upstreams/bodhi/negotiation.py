"""Content negotiation as bodhi's views do it: JSON, JSONP or an HTML page.

JSON answers ``application/json`` and clients that accept anything (``*/*``, what
``requests`` under ``bodhi-client`` and ``httpx`` send), JSONP
``application/javascript``, and an HTML page a browser's ``text/html``.
"""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["OFFERS", "accepted", "negotiate"]

OFFERS = (
    ("application/json", "json"),
    ("text/json", "json"),
    ("application/javascript", "jsonp"),
    ("text/html", "html"),
)


def _media_ranges(accept: str) -> list[tuple[str, str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *options = (piece.strip() for piece in part.split(";"))
        kind, slash, subtype = media.partition("/")
        if not slash:
            continue
        quality = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((kind.lower(), subtype.lower(), quality))
    return ranges


def _rank(offer: str, ranges: list[tuple[str, str, float]]) -> tuple[float, int]:
    """The quality the client gives ``offer`` (its most specific range) and that specificity."""
    kind, _, subtype = offer.partition("/")
    best = (0.0, -1)
    for range_kind, range_subtype, quality in ranges:
        if (range_kind, range_subtype) == (kind, subtype):
            specificity = 2
        elif range_kind == kind and range_subtype == "*":
            specificity = 1
        elif (range_kind, range_subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def negotiate(accept: str | None) -> str | None:
    """``"json"``, ``"jsonp"`` or ``"html"`` for an ``Accept`` header; None if none fits.

    The client's preference decides; among equals JSON wins, so ``*/*`` gets JSON and a
    browser's ``text/html,...,*/*;q=0.8`` gets the page.
    """
    if accept is None or not accept.strip():
        return "json"
    ranges = _media_ranges(accept)
    if not ranges:
        return "json"  # an unreadable header counts as none, as WebOb reads it
    chosen, chosen_rank = None, (0.0, -1)
    for offer, kind in OFFERS:
        rank = _rank(offer, ranges)
        if rank[0] > 0 and rank > chosen_rank:
            chosen, chosen_rank = kind, rank
    return chosen


def accepted(request: Request) -> str | None:
    """The negotiated kind of answer for ``request``; None if nothing it accepts fits."""
    return negotiate(request.headers.get("accept"))
