"""The simulated bodhi: its REST API over the world's updates, releases and overrides.

Served under ``/bodhi`` as ``https://bodhi.fedoraproject.org`` serves it: ``GET
/updates/``, ``/updates/{alias}``, ``/releases/``, ``/releases/{name}``, ``/overrides/``
and ``/overrides/{nvr}``. Query parameters are read as bodhi's colander schemas read
them (``bodhi-server/bodhi/server/schemas.py``: lists repeated or comma- or
space-separated, ``true``/``1`` booleans, ``rows_per_page`` within 1..1000) and checked
as its cornice validators check them (``validators.py``: an unknown package, release or
user is a 400, not an empty list). Errors are cornice's ``{"status": "error", "errors":
[{"location", "name", "description"}]}``.

Each resource is negotiated as bodhi's views are: JSON for ``application/json`` and for
clients that accept anything (``*/*``, what ``requests`` under ``bodhi-client`` and
``httpx`` send), JSONP for ``application/javascript``, and an HTML page for a browser's
``text/html``.
"""

from __future__ import annotations

import bisect
import html
import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from simulator.catalog.model import Override, Release, Update
from simulator.formats.bodhi import (
    override_json,
    release_id,
    release_json,
    test_gating_status,
    update_json,
)
from simulator.world import World

__all__ = [
    "Params",
    "UpdateIndex",
    "UpdateQuery",
    "create_app",
    "negotiate",
    "parse_update_query",
    "run_update_query",
]

# bodhi's enums (``models.py``), in their declaration order as colander lists them.
UPDATE_STATUSES = (
    "pending",
    "testing",
    "stable",
    "unpushed",
    "obsolete",
    "side_tag_active",
    "side_tag_expired",
)
UPDATE_REQUESTS = ("testing", "obsolete", "unpush", "revoke", "stable")
UPDATE_TYPES = ("bugfix", "security", "newpackage", "enhancement", "unspecified")
UPDATE_SEVERITIES = ("unspecified", "urgent", "high", "medium", "low")
UPDATE_SUGGESTIONS = ("unspecified", "reboot", "logout")
CONTENT_TYPES = ("rpm", "module", "container", "flatpak")
GATING_STATUSES = (
    "waiting",
    "ignored",
    "queued",
    "running",
    "passed",
    "failed",
    "greenwave_failed",
)
RELEASE_STATES = ("disabled", "pending", "frozen", "current", "archived")

MAX_ROWS_PER_PAGE = 1000
DEFAULT_ROWS_PER_PAGE = 20

Predicate = Callable[[Update], bool]
ErrorList = list[dict[str, str]]


# -- the update index ----------------------------------------------------------------------


def _newest_first(update: Update) -> tuple[float, int]:
    return (-update.submitted, -update.id)


class UpdateIndex:
    """The world's updates newest first: all of them, and per release and per submitter.

    Bodhi orders every update query by ``date_submitted DESC``. The index sorts once and
    then follows the world, which only ever adds updates, so a query without filters
    reads its page straight off the list and one for a release or a submitter scans
    only that release's or that user's updates.
    """

    #: Past this many new updates, sorting afresh is cheaper than inserting one by one.
    REBUILD_AT = 256

    def __init__(self, world: World) -> None:
        self.world = world
        self.newest_first: list[Update] = []
        self.by_release: dict[str, list[Update]] = {}
        self.by_user: dict[str, list[Update]] = {}
        self._count = 0

    def sync(self) -> None:
        """Take in the updates the world gained since the last call."""
        count = len(self.world.updates)
        if count == self._count:
            return
        fresh = list(itertools.islice(self.world.updates.values(), self._count, None))
        self._count = count
        if len(fresh) > self.REBUILD_AT:
            self._rebuild()
            return
        for update in fresh:
            for listing in (
                self.newest_first,
                self._listing(self.by_release, update.release),
                self._listing(self.by_user, update.submitter),
            ):
                bisect.insort(listing, update, key=_newest_first)

    def _rebuild(self) -> None:
        self.newest_first = sorted(self.world.updates.values(), key=_newest_first)
        self.by_release, self.by_user = {}, {}
        for update in self.newest_first:
            self._listing(self.by_release, update.release).append(update)
            self._listing(self.by_user, update.submitter).append(update)

    @staticmethod
    def _listing(index: dict[str, list[Update]], key: str) -> list[Update]:
        return index.setdefault(key, [])


# -- query strings, as colander and cornice read them ----------------------------------------


def _error(location: str, name: str, description: str) -> dict[str, str]:
    return {"location": location, "name": name, "description": description}


def _split(values: Iterable[str]) -> list[str]:
    """bodhi's ``util.splitter``: values separated by commas or whitespace."""
    return " ".join(values).replace(",", " ").split()


class Params:
    """One request's query string read through bodhi's schema nodes.

    Every accessor returns the value or the node's default and records colander's
    message for a value it cannot take, under the parameter's name (``status.1`` for
    the second element of a list), as cornice reports them.
    """

    def __init__(self, request: Request) -> None:
        self._query = request.query_params
        self.errors: ErrorList = []

    def invalid(self, name: str, description: str) -> None:
        self.errors.append(_error("querystring", name, description))

    def text(self, name: str) -> str | None:
        values = self._query.getlist(name)
        value = values[-1].strip() if values else ""
        return value or None

    def items(self, name: str) -> list[str] | None:
        items = _split(self._query.getlist(name))
        return items or None

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in ("false", "0"):
            return False
        if raw.lower() in ("true", "1"):
            return True
        self.invalid(name, f'"{raw}" is neither in (false, 0) nor in (true, 1)')
        return default

    def integer(self, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        value = self._number(name, raw)
        if value is None:
            return default
        if value < minimum:
            self.invalid(name, f"{value} is less than minimum value {minimum}")
        elif maximum is not None and value > maximum:
            self.invalid(name, f"{value} is greater than maximum value {maximum}")
        else:
            return value
        return default

    def integers(self, name: str) -> list[int] | None:
        items = self.items(name)
        if items is None:
            return None
        numbers = [self._number(f"{name}.{i}", item) for i, item in enumerate(items)]
        return [n for n in numbers if n is not None]

    def _number(self, name: str, raw: str) -> int | None:
        try:
            return int(raw)
        except ValueError:
            self.invalid(name, f'"{raw}" is not a number')
            return None

    def choice(self, name: str, choices: Sequence[str]) -> str | None:
        raw = self.text(name)
        if raw is not None and raw not in choices:
            self.invalid(name, f'"{raw}" is not one of {", ".join(choices)}')
            return None
        return raw

    def choices(self, name: str, choices: Sequence[str]) -> list[str] | None:
        items = self.items(name)
        for i, item in enumerate(items or ()):
            if item not in choices:
                self.invalid(f"{name}.{i}", f'"{item}" is not one of {", ".join(choices)}')
        return items

    def moment(self, name: str) -> float | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            self.invalid(name, "Invalid date")
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _like(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """SQL ``LIKE`` as a regular expression for ``fullmatch``: ``%`` any run, ``_`` any one."""
    wildcards = {"%": ".*", "_": "."}
    regex = "".join(wildcards.get(char) or re.escape(char) for char in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _containing(text: str, *, ignore_case: bool = False) -> Callable[[str], bool]:
    """``LIKE '%text%'`` (``ILIKE`` with ``ignore_case``) as a test of one string."""
    if "%" in text or "_" in text:
        pattern = _like(text, ignore_case=ignore_case)
        return lambda value: pattern.search(value) is not None
    if ignore_case:
        needle = text.lower()
        return lambda value: needle in value.lower()
    return lambda value: text in value


def _nvrs(world: World, update: Update) -> Iterable[str]:
    return (world.builds[build_id].nvr for build_id in update.build_ids)


def _pages(total: int, rows_per_page: int) -> int:
    return math.ceil(total / rows_per_page)


# -- validators: names that must exist in the world ------------------------------------------


def _find_release(world: World, name: str) -> Release | None:
    """A release by name, upper-cased name or version (``F45``, ``f45``, ``45``)."""
    for release in world.releases.values():
        if name in (release.name, str(release.version)) or release.name == name.upper():
            return release
    return None


_RELEASE_GROUPS = {
    "__current__": ("current",),
    "__pending__": ("pending", "frozen"),
    "__archived__": ("archived",),
}


def _resolve_releases(world: World, params: Params, names: list[str] | None) -> set[str] | None:
    if names is None:
        return None
    found: set[str] = set()
    bad: list[str] = []
    for name in names:
        if name in _RELEASE_GROUPS:
            states = _RELEASE_GROUPS[name]
            found.update(r.name for r in world.releases.values() if r.state in states)
        elif (release := _find_release(world, name)) is not None:
            found.add(release.name)
        else:
            bad.append(name)
    if bad:
        params.invalid("releases", f"Invalid releases specified: {', '.join(bad)}")
    return found


def _resolve_release(world: World, params: Params, name: str | None) -> str | None:
    if name is None:
        return None
    release = _find_release(world, name)
    if release is None:
        params.invalid("release", f"Invalid release specified: {name}")
        return None
    return release.name


def _check_known(
    params: Params, param: str, kind: str, names: list[str] | None, known: Callable[[str], bool]
) -> None:
    bad = [name for name in names or () if not known(name)]
    if bad:
        params.invalid(param, f"Invalid {kind} specified: {', '.join(bad)}")


def _bug_ids(params: Params) -> list[int] | None:
    bugs = params.items("bugs")
    if bugs is None:
        return None
    try:
        return [int(bug) for bug in bugs]
    except ValueError:
        params.invalid("bugs", f"Invalid bug ID specified: {bugs!r}")
        return None


# -- the update query ----------------------------------------------------------------------


@dataclass(slots=True)
class UpdateQuery:
    """A validated ``GET /updates/``: where to look, what to keep, which page."""

    page: int
    rows_per_page: int
    chrome: bool
    display_user: bool
    packages: list[str] | None = None
    releases: set[str] | None = None
    users: list[str] | None = None
    aliases: list[str] | None = None
    builds: list[str] | None = None
    predicates: list[Predicate] = field(default_factory=list)

    def keep(self, predicate: Predicate) -> None:
        self.predicates.append(predicate)


def _attribute_is(name: str, value: str) -> Predicate:
    def keep(update: Update) -> bool:
        return bool(getattr(update, name) == value)

    return keep


def _scalar_filters(query: UpdateQuery, params: Params) -> None:
    """``request``, ``type``, ``severity``, ``suggest``, ``content_type``, ``status``..."""
    request = params.choice("request", UPDATE_REQUESTS)
    if request is not None:
        query.keep(lambda u: u.request == request)
    for name, choices in (("type", UPDATE_TYPES), ("severity", UPDATE_SEVERITIES)):
        value = params.choice(name, choices)
        if value is not None:
            query.keep(_attribute_is(name, value))
    suggest = params.choice("suggest", UPDATE_SUGGESTIONS)
    if suggest is not None:
        query.keep(lambda u: suggest == "unspecified")
    content_type = params.choice("content_type", CONTENT_TYPES)
    if content_type is not None:
        query.keep(lambda u: content_type == "rpm")
    statuses = params.choices("status", UPDATE_STATUSES)
    if statuses is not None:
        wanted = set(statuses)
        query.keep(lambda u: u.status in wanted)
    gating = params.choices("gating", GATING_STATUSES)
    if gating is not None:
        gates = set(gating)
        query.keep(lambda u: test_gating_status(u) in gates)


def _flag_filters(query: UpdateQuery, params: Params) -> None:
    """``critpath``, ``locked``, ``pushed``, ``from_side_tag``."""
    critpath = params.flag("critpath")
    if critpath is not None:
        query.keep(lambda u: u.critpath == critpath)
    locked = params.flag("locked")
    if locked:
        query.keep(lambda u: False)  # nothing is ever locked in a compose here
    pushed = params.flag("pushed")
    if pushed is not None:
        query.keep(lambda u: (u.pushed is not None and u.status != "unpushed") == pushed)
    from_side_tag = params.flag("from_side_tag")
    if from_side_tag:
        query.keep(lambda u: False)  # no update comes from a side tag


_MOMENTS: dict[str, Callable[[Update], float | None]] = {
    "submitted": lambda u: u.submitted,
    "modified": lambda u: u.modified,
    "pushed": lambda u: u.pushed,
    "approved": lambda u: None,
}


def _in_window(
    moment: Callable[[Update], float | None], since: float | None, before: float | None
) -> Predicate:
    def keep(update: Update) -> bool:
        value = moment(update)
        if value is None:
            return False
        return (since is None or value >= since) and (before is None or value < before)

    return keep


def _moment_filters(query: UpdateQuery, params: Params) -> None:
    """``<field>_since`` (inclusive) and ``<field>_before`` (exclusive) for four dates."""
    for name, moment in _MOMENTS.items():
        since = params.moment(f"{name}_since")
        before = params.moment(f"{name}_before")
        if since is not None or before is not None:
            query.keep(_in_window(moment, since, before))


def _text_filters(query: UpdateQuery, params: Params, world: World) -> None:
    """``like`` (``LIKE`` on build NVRs) and ``search`` (``ILIKE`` on NVRs and the alias)."""
    like = params.text("like")
    if like is not None:
        strict = _containing(like)
        query.keep(lambda u: any(strict(nvr) for nvr in _nvrs(world, u)))
    search = params.text("search")
    if search is not None:
        loose = _containing(search, ignore_case=True)
        query.keep(lambda u: loose(u.alias) or any(loose(nvr) for nvr in _nvrs(world, u)))


def _identity_filters(query: UpdateQuery, params: Params, world: World) -> None:
    """``packages``, ``releases``, ``release``, ``user``, ``alias``, ``builds``, ``bugs``..."""
    query.packages = params.items("packages")
    releases = params.items("releases")
    release = params.text("release")
    query.users = params.items("user")
    query.aliases = _merge(params.items("alias"), params.items("updateid"))
    query.builds = params.items("builds")
    if params.errors:
        return  # cornice runs the validators below only on what the schema accepted
    _check_known(params, "packages", "packages", query.packages, world.packages.__contains__)
    release_name = _resolve_release(world, params, release)
    query.releases = _resolve_releases(world, params, releases)
    _check_known(params, "user", "users", query.users, world.users.__contains__)
    bugs = _bug_ids(params)
    if query.packages is not None:
        names = set(query.packages)
        query.keep(lambda u: any(b.name in names for b in world.update_builds(u)))
    if query.releases is not None:
        chosen = query.releases
        query.keep(lambda u: u.release in chosen)
    if release_name is not None:
        query.keep(lambda u: u.release == release_name)
    if query.users is not None:
        users = set(query.users)
        query.keep(lambda u: u.submitter in users)
    if query.aliases is not None:
        aliases = set(query.aliases)
        query.keep(lambda u: u.alias in aliases)
    if query.builds is not None:
        nvrs = set(query.builds)
        query.keep(lambda u: any(nvr in nvrs for nvr in _nvrs(world, u)))
    if bugs is not None:
        wanted = set(bugs)
        query.keep(lambda u: not wanted.isdisjoint(u.bug_ids))


def _merge(first: list[str] | None, second: list[str] | None) -> list[str] | None:
    if first is None and second is None:
        return None
    return [*(first or ()), *(second or ())]


def parse_update_query(world: World, params: Params) -> UpdateQuery:
    """Read ``GET /updates/``'s parameters; problems end up in ``params.errors``."""
    query = UpdateQuery(
        page=params.integer("page", 1, 1),
        rows_per_page=params.integer("rows_per_page", DEFAULT_ROWS_PER_PAGE, 1, MAX_ROWS_PER_PAGE),
        chrome=params.flag("chrome", True) is not False,
        display_user=params.flag("display_user", True) is not False,
    )
    _scalar_filters(query, params)
    _flag_filters(query, params)
    _moment_filters(query, params)
    _text_filters(query, params, world)
    _identity_filters(query, params, world)
    return query


def _candidates(index: UpdateIndex, query: UpdateQuery) -> Sequence[Update]:
    """The smallest newest-first list of updates that holds every match of the query."""
    world = index.world
    options: list[tuple[Sequence[Update], bool]] = []  # (updates, already newest first)
    if query.aliases is not None:
        options.append(([world.updates[a] for a in query.aliases if a in world.updates], False))
    if query.builds is not None:
        options.append((_updates_of_builds(world, query.builds), False))
    if query.packages is not None:
        options.append(
            ([u for name in query.packages for u in world.updates_by_package.get(name, ())], False)
        )
    for keys, listings in ((query.users, index.by_user), (query.releases, index.by_release)):
        if keys is not None:
            lists = [listings.get(key, []) for key in keys]
            options.append((lists[0], True) if len(lists) == 1 else (_chain(lists), False))
    if not options:
        return index.newest_first
    updates, ordered = min(options, key=lambda option: len(option[0]))
    if ordered:
        return updates
    return sorted({u.alias: u for u in updates}.values(), key=_newest_first)


def _chain(lists: list[list[Update]]) -> list[Update]:
    return [update for listing in lists for update in listing]


def _updates_of_builds(world: World, nvrs: list[str]) -> list[Update]:
    updates = []
    for nvr in nvrs:
        build = world.builds_by_nvr.get(nvr)
        update = world.update_by_build.get(build.id) if build is not None else None
        if update is not None:
            updates.append(update)
    return updates


def _all_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    return lambda update: all(keep(update) for keep in predicates)


def run_update_query(index: UpdateIndex, query: UpdateQuery) -> tuple[list[Update], int]:
    """The requested page of matching updates, newest first, and the number of matches."""
    index.sync()
    candidates = _candidates(index, query)
    start = (query.page - 1) * query.rows_per_page
    stop = start + query.rows_per_page
    if not query.predicates:
        return list(candidates[start:stop]), len(candidates)
    page: list[Update] = []
    total = 0
    keep = _all_of(query.predicates)
    for update in candidates:
        if keep(update):
            if start <= total < stop:
                page.append(update)
            total += 1
    return page, total


# -- releases and overrides ------------------------------------------------------------------


def _release_filters(world: World, params: Params) -> list[Callable[[Release], bool]] | None:
    """``GET /releases/``'s filters, or None when a parameter was refused."""
    ids = params.integers("ids")
    name = params.text("name")
    aliases = params.items("updates")
    packages = params.items("packages")
    states = params.choices("state", RELEASE_STATES)
    exclude_archived = params.flag("exclude_archived")
    if params.errors:
        return None
    _check_known(params, "updates", "updates", aliases, world.updates.__contains__)
    _check_known(params, "packages", "packages", packages, world.packages.__contains__)
    if params.errors:
        return None
    keep: list[Callable[[Release], bool]] = []
    if ids is not None:
        keep.append(lambda r: release_id(r) in ids)
    if name is not None:
        pattern = _like(name)
        keep.append(lambda r: bool(pattern.fullmatch(r.name)))
    if aliases is not None:
        used = {world.updates[alias].release for alias in aliases}
        keep.append(lambda r: r.name in used)
    if packages is not None:
        of_packages = {
            u.release for name in packages for u in world.updates_by_package.get(name, ())
        }
        keep.append(lambda r: r.name in of_packages)
    if exclude_archived:
        keep.append(lambda r: r.state != "archived")
    if states is not None:
        keep.append(lambda r: r.state in states)
    return keep


def _override_filters(world: World, params: Params) -> list[Callable[[Override], bool]] | None:
    """``GET /overrides/``'s filters, or None when a parameter was refused."""
    nvrs = params.items("builds")
    expired = params.flag("expired")
    packages = params.items("packages")
    releases = params.items("releases")
    users = params.items("user")
    like, search = params.text("like"), params.text("search")
    if params.errors:
        return None
    _check_known(params, "packages", "packages", packages, world.packages.__contains__)
    chosen = _resolve_releases(world, params, releases)
    _check_known(params, "user", "users", users, world.users.__contains__)
    if params.errors:
        return None

    def nvr(override: Override) -> str:
        return world.builds[override.build_id].nvr

    keep: list[Callable[[Override], bool]] = []
    if expired is not None:
        keep.append(lambda o: (o.expired is not None) == expired)
    if nvrs is not None:
        keep.append(lambda o: nvr(o) in nvrs)
    if packages is not None:
        keep.append(lambda o: world.builds[o.build_id].name in packages)
    if chosen is not None:
        keep.append(lambda o: o.release in chosen)
    if like is not None:
        strict = _containing(like)
        keep.append(lambda o: strict(nvr(o)))
    if search is not None:
        loose = _containing(search, ignore_case=True)
        keep.append(lambda o: loose(nvr(o)))
    if users is not None:
        keep.append(lambda o: o.submitter in users)
    return keep


def _latest_override(world: World, nvr: str) -> Override | None:
    build = world.builds_by_nvr.get(nvr)
    if build is None:
        return None
    overrides = [o for o in world.overrides.values() if o.build_id == build.id]
    return max(overrides, key=lambda o: (o.submitted, o.id), default=None)


# -- content negotiation and rendering -------------------------------------------------------

_OFFERS = (
    ("application/json", "json"),
    ("text/json", "json"),
    ("application/javascript", "jsonp"),
    ("text/html", "html"),
)
_JSONP_CALLBACK = re.compile(r"[$A-Za-z_][$\w.\[\]]*")


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
    for offer, kind in _OFFERS:
        rank = _rank(offer, ranges)
        if rank[0] > 0 and rank > chosen_rank:
            chosen, chosen_rank = kind, rank
    return chosen


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - Fedora Updates System</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _render(
    request: Request, kind: str, payload: Any, page: Callable[[], str], status: int = 200
) -> Response:
    if kind == "html":
        return HTMLResponse(page(), status_code=status)
    if kind == "jsonp":
        callback = request.query_params.get("callback")
        if callback is not None:
            if not _JSONP_CALLBACK.fullmatch(callback):
                return HTMLResponse(
                    _page("400 Bad Request", "<p>Invalid JSONP callback function name.</p>"),
                    status_code=400,
                )
            text = f"/**/{callback}({orjson.dumps(payload).decode()});"
            return Response(text, status_code=status, media_type="application/javascript")
    return JSONResponse(payload, status_code=status)


def _error_response(request: Request, kind: str, errors: ErrorList, status: int = 400) -> Response:
    def page() -> str:
        items = "".join(
            f"<li>{html.escape(e['name'])}: {html.escape(e['description'])}</li>" for e in errors
        )
        return _page(f"{status} Error", f"<ul>{items}</ul>")

    return _render(request, kind, {"status": "error", "errors": errors}, page, status)


def _not_acceptable() -> Response:
    offers = [offer for offer, _ in _OFFERS]
    description = f"Accept header should be one of {offers}"
    return JSONResponse(
        {"status": "error", "errors": [_error("header", "Accept", description)]}, status_code=406
    )


# -- HTML pages ----------------------------------------------------------------------------


def _updates_page(base: str, updates: list[dict[str, Any]], body: dict[str, Any]) -> str:
    rows = [
        (
            _link(f"{base}updates/{u['alias']}", u["alias"]),
            html.escape(u["title"]),
            html.escape(u["release"]["name"]),
            html.escape(u["status"]),
            html.escape(u["date_submitted"] or ""),
        )
        for u in updates
    ]
    summary = f"<p>{body['total']} updates, page {body['page']} of {body['pages']}</p>"
    return _page(
        "Updates", summary + _table(("Update", "Builds", "Release", "Status", "Submitted"), rows)
    )


def _update_page(update: dict[str, Any]) -> str:
    fields = (
        "title",
        "status",
        "request",
        "type",
        "severity",
        "karma",
        "date_submitted",
        "date_pushed",
    )
    details = "".join(
        f"<dt>{name}</dt><dd>{html.escape(str(update[name]))}</dd>" for name in fields
    )
    notes = f"<pre>{html.escape(update['notes'])}</pre>"
    return _page(update["alias"], f"<dl>{details}</dl>{notes}")


def _releases_page(releases: list[dict[str, Any]]) -> str:
    rows = [
        (
            html.escape(r["name"]),
            html.escape(r["long_name"]),
            html.escape(r["state"]),
            html.escape(r["branch"]),
        )
        for r in releases
    ]
    return _page("Releases", _table(("Name", "Long name", "State", "Branch"), rows))


def _overrides_page(overrides: list[dict[str, Any]]) -> str:
    rows = [
        (
            html.escape(o["nvr"]),
            html.escape(o["submitter"]["name"]),
            html.escape(o["expiration_date"] or ""),
            html.escape(o["expired_date"] or ""),
        )
        for o in overrides
    ]
    return _page("Buildroot overrides", _table(("Build", "Submitter", "Expires", "Expired"), rows))


# -- the app -------------------------------------------------------------------------------


def _paged(items: Sequence[Any], page: int, rows_per_page: int) -> Sequence[Any]:
    start = (page - 1) * rows_per_page
    return items[start : start + rows_per_page]


def create_app(world: World) -> Starlette:
    """The bodhi REST API over ``world``, to be mounted at ``/bodhi``."""
    index = UpdateIndex(world)

    def accepted(request: Request) -> str | None:
        return negotiate(request.headers.get("accept"))

    async def list_updates(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return _not_acceptable()
        params = Params(request)
        query = parse_update_query(world, params)
        if params.errors:
            return _error_response(request, kind, params.errors)
        updates, total = run_update_query(index, query)
        rendered = [update_json(world, update) for update in updates]
        body = {
            "updates": rendered,
            "page": query.page,
            "pages": _pages(total, query.rows_per_page),
            "rows_per_page": query.rows_per_page,
            "total": total,
            "chrome": query.chrome,
            "display_user": query.display_user,
            "display_request": True,
            "package": query.packages[0] if query.packages else None,
        }
        base = str(request.base_url)
        return _render(request, kind, body, lambda: _updates_page(base, rendered, body))

    async def get_update(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return _not_acceptable()
        ident = request.path_params["ident"]
        update = world.updates.get(ident)
        if update is not None:
            rendered = update_json(world, update)
            body = {"update": rendered, "can_edit": False, "ci_allowed": False}
            return _render(request, kind, body, lambda: _update_page(rendered))
        if ident in world.packages:
            location = f"{request.base_url}updates/?{urlencode({'packages': ident})}"
            return RedirectResponse(location, status_code=302)
        return _error_response(request, kind, [_error("url", "id", "Invalid update id")], 404)

    async def list_releases(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return _not_acceptable()
        params = Params(request)
        page = params.integer("page", 1, 1)
        rows_per_page = params.integer("rows_per_page", DEFAULT_ROWS_PER_PAGE, 1, MAX_ROWS_PER_PAGE)
        keep = _release_filters(world, params)
        if keep is None:
            return _error_response(request, kind, params.errors)
        matches = [
            r
            for r in sorted(world.releases.values(), key=lambda r: r.name)
            if all(test(r) for test in keep)
        ]
        rendered = [release_json(r) for r in _paged(matches, page, rows_per_page)]
        body = {
            "releases": rendered,
            "page": page,
            "pages": _pages(len(matches), rows_per_page),
            "rows_per_page": rows_per_page,
            "total": len(matches),
        }
        return _render(request, kind, body, lambda: _releases_page(rendered))

    async def get_release(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return _not_acceptable()
        release = world.releases.get(request.path_params["name"])
        if release is None:
            return _error_response(request, kind, [_error("body", "name", "No such release")], 404)
        rendered = release_json(release)
        return _render(request, kind, rendered, lambda: _releases_page([rendered]))

    async def list_overrides(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return _not_acceptable()
        params = Params(request)
        page = params.integer("page", 1, 1)
        rows_per_page = params.integer("rows_per_page", DEFAULT_ROWS_PER_PAGE, 1, MAX_ROWS_PER_PAGE)
        chrome = params.flag("chrome", True) is not False
        display_user = params.flag("display_user", True) is not False
        keep = _override_filters(world, params)
        if keep is None:
            return _error_response(request, kind, params.errors)
        newest = sorted(world.overrides.values(), key=lambda o: (-o.submitted, -o.id))
        matches = [o for o in newest if all(test(o) for test in keep)]
        rendered = [override_json(world, o) for o in _paged(matches, page, rows_per_page)]
        body = {
            "overrides": rendered,
            "page": page,
            "pages": _pages(len(matches), rows_per_page),
            "rows_per_page": rows_per_page,
            "total": len(matches),
            "chrome": chrome,
            "display_user": display_user,
        }
        return _render(request, kind, body, lambda: _overrides_page(rendered))

    async def get_override(request: Request) -> Response:
        kind = accepted(request)
        if kind is None:
            return _not_acceptable()
        nvr = request.path_params["nvr"]
        if nvr not in world.builds_by_nvr:
            return _error_response(request, kind, [_error("url", "nvr", "No such build")], 404)
        override = _latest_override(world, nvr)
        if override is None:
            errors = [_error("url", "nvr", "No buildroot override for this build")]
            return _error_response(request, kind, errors, 404)
        rendered = override_json(world, override)
        return _render(request, kind, {"override": rendered}, lambda: _overrides_page([rendered]))

    return Starlette(
        routes=[
            Route("/updates/", list_updates, methods=["GET"]),
            Route("/updates/{ident}", get_update, methods=["GET"]),
            Route("/releases/", list_releases, methods=["GET"]),
            Route("/releases/{name}", get_release, methods=["GET"]),
            Route("/overrides/", list_overrides, methods=["GET"]),
            Route("/overrides/{nvr}", get_override, methods=["GET"]),
        ]
    )
