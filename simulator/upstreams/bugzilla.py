"""The simulated Red Hat Bugzilla: the REST API under ``/rest``, as bugzilla.redhat.com.

* ``GET /rest/bug``: Bug.search. List parameters repeat or comma-separate; ``status``
  understands ``__open__``, ``__closed__`` and ``__all__``; ``creation_time`` and
  ``last_change_time`` mean "at or after"; custom-search charts (``f1``/``o1``/``v1``,
  and the older ``field0-0-0``/``type0-0-0``/``value0-0-0``) add conditions;
  ``include_fields``/``exclude_fields``/``extra_fields`` select keys; results are
  ordered by bug id unless ``order`` says otherwise.
* Paging as on bugzilla.redhat.com since 2021: without ``limit`` a search returns at
  most :data:`DEFAULT_SEARCH_LIMIT` (20) bugs; ``limit=0`` or a larger limit means
  :data:`MAX_SEARCH_RESULTS` (1000, Bugzilla's ``max_search_results``); ``offset``
  pages. The answer reports ``limit`` and ``total_matches`` (RHBZ's extension) next
  to ``bugs`` and ``faults``. A search by ``id`` is not cut at 20 (assumed, so
  that ``getbugs()`` of many ids keeps working as it does against RHBZ).
* ``GET /rest/bug/<id>``: one bug; ``/rest/bug/<id>/comment`` its comments.
* ``GET /rest/version``, ``/rest/product/get``, ``/rest/product/<name>``,
  ``/rest/product_{accessible,enterable,selectable}``.
* Errors have Bugzilla's shape ``{"error": true, "code", "message", "documentation"}``
  with its HTTP statuses (101 → 404, unknown resource 32614 → 404, writes without a
  login 410 → 401, the rest 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.catalog.model import Bug
from simulator.formats.bugzilla import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    QA_CONTACT,
    FieldFilter,
    bug_json,
    cc,
    comments,
    op_sys,
    platform,
    user_detail,
    version_id,
    whiteboard,
)
from simulator.world import World

__all__ = ["DEFAULT_SEARCH_LIMIT", "MAX_SEARCH_RESULTS", "VERSION", "BugzillaError", "create_app"]

#: Bugs a search returns without ``limit`` (bugzilla.redhat.com since September 2021).
DEFAULT_SEARCH_LIMIT = 20
#: Bugzilla's ``max_search_results`` on bugzilla.redhat.com: the cap for ``limit=0`` too.
MAX_SEARCH_RESULTS = 1000
VERSION = "5.0.4.rh100"
DOCUMENTATION = "https://bugzilla.redhat.com/docs/en/html/api/index.html"
PRODUCTS = {"Fedora": 1, "Fedora EPEL": 2}

_SEVERITIES = ("urgent", "high", "medium", "low", "unspecified")
_STATUS_ORDER = {name: i for i, name in enumerate((*OPEN_STATUSES, *CLOSED_STATUSES))}


class BugzillaError(Exception):
    """A WebService error: its Bugzilla code, message and the HTTP status REST uses."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _error_response(error: BugzillaError) -> Response:
    body = {
        "error": True,
        "code": error.code,
        "message": error.message,
        "documentation": DOCUMENTATION,
    }
    return _json(body, error.status)


# -- parameters ------------------------------------------------------------------------------


def _values(params: QueryParams, *names: str, split: bool = True) -> list[str]:
    """Every value of ``names``: repeated parameters, each possibly a comma list."""
    out: list[str] = []
    for name in names:
        for raw in params.getlist(name):
            parts = raw.split(",") if split else [raw]
            out += [part.strip() for part in parts if part.strip()]
    return out


def _integer(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?\d+", raw.strip()):
        raise BugzillaError(52, "Invalid parameter passed to Bug.search: It must be numeric.")
    return int(raw)


def _time(value: str) -> float:
    """A Bugzilla date or datetime (``2024-01-31``, ``...T10:00:00Z``), as epoch seconds."""
    text = value.strip().replace(" ", "T").removesuffix("Z")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BugzillaError(56, f"'{value}' is not a legal date.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


# -- fields as search sees them --------------------------------------------------------------

_Getter = Callable[[Bug], Any]

_FIELDS: dict[str, _Getter] = {
    "bug_id": lambda b: b.id,
    "alias": lambda b: [],
    "assigned_to": lambda b: b.assignee,
    "reporter": lambda b: b.creator,
    "qa_contact": lambda b: QA_CONTACT,
    "cc": cc,
    "bug_status": lambda b: b.status,
    "resolution": lambda b: b.resolution,
    "product": lambda b: b.product,
    "classification": lambda b: "Fedora",
    "component": lambda b: b.component,
    "version": lambda b: b.version,
    "bug_severity": lambda b: b.severity,
    "priority": lambda b: b.priority,
    "short_desc": lambda b: b.summary,
    "keywords": lambda b: list(b.keywords),
    "creation_ts": lambda b: b.created,
    "delta_ts": lambda b: b.changed,
    "status_whiteboard": whiteboard,
    "op_sys": op_sys,
    "rep_platform": platform,
    "target_milestone": lambda b: "---",
    "bug_file_loc": lambda b: "",
}
#: REST names (and a few UI ones) for the columns above.
_ALIASES = {
    "id": "bug_id",
    "status": "bug_status",
    "severity": "bug_severity",
    "summary": "short_desc",
    "creator": "reporter",
    "creation_time": "creation_ts",
    "last_change_time": "delta_ts",
    "changeddate": "delta_ts",
    "opendate": "creation_ts",
    "whiteboard": "status_whiteboard",
    "platform": "rep_platform",
    "url": "bug_file_loc",
    "assignee": "assigned_to",
    "bug number": "bug_id",
    "last changed": "delta_ts",
    "importance": "priority",
}
_TIME_FIELDS = frozenset({"creation_ts", "delta_ts"})


def _column(name: str) -> str:
    key = name.strip().lower()
    column = _ALIASES.get(key, key)
    if column not in _FIELDS:
        raise BugzillaError(108, f"Can't use {name} as a field name.")
    return column


# -- conditions --------------------------------------------------------------------------------

_Predicate = Callable[[Bug], bool]


def _any_of(getter: _Getter, wanted: Iterable[str]) -> _Predicate:
    values = {v.lower() for v in wanted}

    def check(bug: Bug) -> bool:
        found = getter(bug)
        items = found if isinstance(found, list) else [found]
        return any(str(item).lower() in values for item in items)

    return check


def _statuses(values: list[str]) -> set[str]:
    out: set[str] = set()
    for value in values:
        match value:
            case "__open__":
                out.update(OPEN_STATUSES)
            case "__closed__":
                out.update(CLOSED_STATUSES)
            case "__all__":
                out.update((*OPEN_STATUSES, *CLOSED_STATUSES))
            case _:
                out.add(value.upper())
    return out


def _words(found: Any) -> set[str]:
    items = found if isinstance(found, list) else re.split(r"[\s,]+", str(found))
    return {str(item).lower() for item in items if str(item)}


def _chart(column: str, operator: str, value: str) -> _Predicate:
    """One custom-search condition, as Bugzilla's ``Search.pm`` operators read."""
    get = _FIELDS[column]
    if column in _TIME_FIELDS and operator not in ("isempty", "isnotempty"):
        when = _time(value)
        return _compare(get, operator, when)
    if column == "bug_id" and operator in (
        "lessthan",
        "lessthaneq",
        "greaterthan",
        "greaterthaneq",
    ):
        return _compare(get, operator, float(value) if value.strip() else 0.0)
    low = value.lower()

    def text(bug: Bug) -> str:
        found = get(bug)
        return ", ".join(map(str, found)) if isinstance(found, list) else str(found)

    match operator:
        case "equals":
            return _any_of(get, [value])
        case "notequals":
            return _negate(_any_of(get, [value]))
        case "anyexact":
            return _any_of(get, [v.strip() for v in value.split(",")])
        case "substring":
            return lambda b: low in text(b).lower()
        case "casesubstring":
            return lambda b: value in text(b)
        case "notsubstring":
            return lambda b: low not in text(b).lower()
        case "anywords":
            return lambda b: bool(_words(get(b)) & _words(value))
        case "allwords":
            return lambda b: _words(value) <= _words(get(b))
        case "nowords":
            return lambda b: not _words(get(b)) & _words(value)
        case "regexp" | "notregexp":
            pattern = re.compile(value, re.IGNORECASE)

            def matches(bug: Bug) -> bool:
                return bool(pattern.search(text(bug)))

            return matches if operator == "regexp" else _negate(matches)
        case "isempty":
            return lambda b: not text(b)
        case "isnotempty":
            return lambda b: bool(text(b))
        case "lessthan" | "lessthaneq" | "greaterthan" | "greaterthaneq":
            return _compare(text, operator, value)
        case "changedafter" | "changedbefore":
            return _compare(
                _FIELDS["delta_ts"],
                "greaterthaneq" if operator == "changedafter" else "lessthaneq",
                _time(value),
            )
    raise BugzillaError(32000, f"Can't use {operator} as an operator.")


def _compare(get: Callable[[Bug], Any], operator: str, bound: Any) -> _Predicate:
    tests: dict[str, Callable[[Any, Any], bool]] = {
        "lessthan": lambda a, b: a < b,
        "lessthaneq": lambda a, b: a <= b,
        "greaterthan": lambda a, b: a > b,
        "greaterthaneq": lambda a, b: a >= b,
        "equals": lambda a, b: a == b,
        "notequals": lambda a, b: a != b,
    }
    test = tests.get(operator)
    if test is None:
        raise BugzillaError(32000, f"Can't use {operator} as an operator.")
    return lambda bug: test(get(bug), bound)


def _negate(predicate: _Predicate) -> _Predicate:
    return lambda bug: not predicate(bug)


def _charts(params: QueryParams) -> list[_Predicate]:
    """``fN/oN/vN`` conditions (joined by ``j_top``) and ``fieldA-B-C`` boolean charts."""
    out: list[_Predicate] = []
    custom: list[_Predicate] = []
    for key in params:
        match = re.fullmatch(r"f(\d+)", key)
        if match and params[key] not in ("OP", "CP", "noop", ""):
            n = match.group(1)
            custom.append(
                _chart(_column(params[key]), params.get(f"o{n}", "equals"), params.get(f"v{n}", ""))
            )
    if custom:
        if params.get("j_top", "AND").upper() == "OR":
            out.append(_either(custom))
        else:
            out += custom
    rows: dict[tuple[str, str], list[_Predicate]] = {}
    for key in params:
        match = re.fullmatch(r"field(\d+)-(\d+)-(\d+)", key)
        if match and params[key] not in ("noop", ""):
            suffix = key.removeprefix("field")
            rows.setdefault((match.group(1), match.group(2)), []).append(
                _chart(
                    _column(params[key]),
                    params.get(f"type{suffix}", "equals"),
                    params.get(f"value{suffix}", ""),
                )
            )
    out += [_either(row) for row in rows.values()]
    return out


def _either(predicates: list[_Predicate]) -> _Predicate:
    return lambda bug: any(check(bug) for check in predicates)


def _substrings(get: _Getter, parts: list[str]) -> _Predicate:
    return lambda bug: any(part in str(get(bug)).lower() for part in parts)


@dataclass
class _Search:
    """A parsed Bug.search: the candidates to scan and the conditions they must meet."""

    ids: list[int] | None = None
    components: list[str] | None = None
    conditions: list[_Predicate] = field(default_factory=list)

    def run(self, world: World) -> list[Bug]:
        if self.ids is not None:
            candidates: Iterable[Bug] = (
                world.bugs[i] for i in dict.fromkeys(self.ids) if i in world.bugs
            )
        elif self.components is not None:
            candidates = (
                bug
                for name in dict.fromkeys(self.components)
                for bug in world.bugs_by_component.get(name, ())
            )
        else:
            candidates = world.bugs.values()
        return [bug for bug in candidates if all(check(bug) for check in self.conditions)]


_EXACT_PARAMS: dict[tuple[str, ...], str] = {
    ("product",): "product",
    ("resolution",): "resolution",
    ("version",): "version",
    ("severity", "bug_severity"): "bug_severity",
    ("priority",): "priority",
    ("creator", "reporter"): "reporter",
    ("assigned_to",): "assigned_to",
    ("qa_contact",): "qa_contact",
    ("classification",): "classification",
    ("op_sys",): "op_sys",
    ("platform", "rep_platform"): "rep_platform",
    ("target_milestone",): "target_milestone",
    ("url", "bug_file_loc"): "bug_file_loc",
    ("alias",): "alias",
}
_SUBSTRING_PARAMS: dict[tuple[str, ...], str] = {
    ("summary", "short_desc"): "short_desc",
    ("whiteboard", "status_whiteboard"): "status_whiteboard",
}


def _parse(params: QueryParams) -> _Search:
    search = _Search()
    ids = _values(params, "id", "bug_id")
    if ids:
        if not all(re.fullmatch(r"\d+", i) for i in ids):
            raise BugzillaError(52, "Invalid parameter passed to Bug.search: It must be numeric.")
        search.ids = [int(i) for i in ids]
    components = _values(params, "component")
    if components:
        search.components = components
    statuses = _values(params, "status", "bug_status")
    if statuses:
        search.conditions.append(_any_of(_FIELDS["bug_status"], _statuses(statuses)))
    for names, column in _EXACT_PARAMS.items():
        wanted = _values(params, *names)
        if column == "resolution":  # "---" is how Bugzilla spells "no resolution"
            wanted = ["" if v == "---" else v for v in wanted]
        if wanted:
            search.conditions.append(_any_of(_FIELDS[column], wanted))
    for names, column in _SUBSTRING_PARAMS.items():
        parts = [v.lower() for v in _values(params, *names, split=False)]
        if parts:
            search.conditions.append(_substrings(_FIELDS[column], parts))
    for name, column in (("creation_time", "creation_ts"), ("last_change_time", "delta_ts")):
        since = params.get(name)
        if since:
            search.conditions.append(_compare(_FIELDS[column], "greaterthaneq", _time(since)))
    search.conditions += _charts(params)
    return search


def _sort(bugs: list[Bug], order: str | None) -> list[Bug]:
    """Bugzilla's ``order``: columns with ASC/DESC, always settled by bug id."""
    bugs = sorted(bugs, key=lambda b: b.id)
    if not order:
        return bugs
    keys: list[tuple[Callable[[Bug], Any], bool]] = []
    for item in order.split(","):
        words = item.strip().split()
        if not words:
            continue
        descending = words[-1].upper() == "DESC"
        name = " ".join(w for w in words if w.upper() not in ("ASC", "DESC")).lower()
        for column in ("priority", "bug_severity") if name == "importance" else (name,):
            key = _sort_key(_ALIASES.get(column, column))
            if key is not None:
                keys.append((key, descending))
    for key, descending in reversed(keys):
        bugs.sort(key=key, reverse=descending)
    return bugs


def _sort_key(column: str) -> Callable[[Bug], Any] | None:
    """How a column sorts: workflow order for statuses, rank for severity and priority."""
    if column == "bug_status":
        return lambda b: _STATUS_ORDER.get(b.status, 99)
    get = _FIELDS.get(column)
    if get is None:
        return None  # Bugzilla drops columns it cannot sort by
    if column in ("bug_severity", "priority"):
        return lambda b: _SEVERITIES.index(get(b)) if get(b) in _SEVERITIES else 99
    if column == "bug_id" or column in _TIME_FIELDS:
        return get
    return lambda b: str(get(b)).lower()


# -- the API -----------------------------------------------------------------------------------


@dataclass
class _Bugzilla:
    world: World
    default_limit: int = DEFAULT_SEARCH_LIMIT
    max_results: int = MAX_SEARCH_RESULTS

    async def version(self, request: Request) -> Response:
        return _json({"version": VERSION})

    async def search(self, request: Request) -> Response:
        params = request.query_params
        if request.method != "GET":
            raise BugzillaError(410, "You must log in before using this part of Bugzilla.", 401)
        search = _parse(params)
        limit, offset = self._paging(params, by_id_only=search.ids is not None)
        found = _sort(search.run(self.world), params.get("order"))
        fields = _fields(params)
        page = found[offset : offset + limit]
        bugs = [bug_json(bug, fields, world=self.world) for bug in page]
        return _json({"bugs": bugs, "faults": [], "limit": limit, "total_matches": len(found)})

    async def bug(self, request: Request) -> Response:
        if request.method != "GET":
            raise BugzillaError(410, "You must log in before using this part of Bugzilla.", 401)
        bug = self._bug(request.path_params["bug_id"])
        fields = _fields(request.query_params)
        return _json({"bugs": [bug_json(bug, fields, world=self.world)], "faults": []})

    async def comments(self, request: Request) -> Response:
        bug = self._bug(request.path_params["bug_id"])
        body = {"bugs": {str(bug.id): {"comments": comments(bug, self.world)}}, "comments": {}}
        return _json(body)

    async def product(self, request: Request) -> Response:
        params = request.query_params
        names = _values(params, "names") + _values(params, "name")
        if "name" in request.path_params:
            names.append(request.path_params["name"])
        ids = {int(i) for i in _values(params, "ids") if i.isdigit()}
        chosen = [n for n, i in PRODUCTS.items() if n in names or i in ids]
        include = set(_values(params, "include_fields"))
        products = [self._product(name, include) for name in chosen]
        return _json({"products": products})

    async def product_ids(self, request: Request) -> Response:
        return _json({"ids": sorted(PRODUCTS.values())})

    def _paging(self, params: QueryParams, *, by_id_only: bool) -> tuple[int, int]:
        limit = _integer(params, "limit")
        offset = _integer(params, "offset") or 0
        if offset < 0:
            raise BugzillaError(52, "Invalid parameter passed to Bug.search: It must be numeric.")
        if limit is None:
            limit = self.max_results if by_id_only else self.default_limit
        if limit <= 0 or limit > self.max_results:
            limit = self.max_results
        return limit, offset

    def _bug(self, ident: str) -> Bug:
        if ident.isdigit():
            found = self.world.bugs.get(int(ident))
            if found is None:
                raise BugzillaError(101, f"Bug #{int(ident)} does not exist.", 404)
            return found
        raise BugzillaError(100, f"'{ident}' is not a valid bug number nor an alias to a bug.")

    def _product(self, name: str, include: set[str]) -> dict[str, Any]:
        world = self.world
        numbered = sorted(
            (r for r in world.releases.values() if not r.is_rawhide), key=lambda r: r.version
        )
        versions = [(str(r.version), r.state != "archived") for r in numbered]
        product = {
            "id": PRODUCTS[name],
            "name": name,
            "description": "Fedora is a Linux-based operating system.",
            "classification": "Fedora",
            "is_active": True,
            "default_milestone": "---",
            "has_unconfirmed": False,
            "versions": [
                {"id": version_id(v), "name": v, "sort_key": 0, "is_active": active}
                for v, active in [*versions, ("rawhide", True)]
            ],
            "milestones": [{"id": 1, "name": "---", "sort_key": 0, "is_active": True}],
            "components": [
                self._component(pkg.id, pkg.name, pkg.summary, pkg.owner)
                for pkg in sorted(world.packages.values(), key=lambda p: p.name)
                if not pkg.retired
            ],
        }
        if include:
            product = {k: v for k, v in product.items() if k in include or k in ("id", "name")}
        return product

    def _component(self, ident: int, name: str, summary: str, owner: str) -> dict[str, Any]:
        login = f"{'extras-orphan' if owner == 'orphan' else owner}@fedoraproject.org"
        return {
            "id": 100_000 + ident,
            "name": name,
            "description": summary,
            "default_assigned_to": login,
            "default_qa_contact": QA_CONTACT,
            "sort_key": 0,
            "is_active": True,
            "flag_types": {"bug": [], "attachment": []},
            "default_assigned_to_detail": user_detail(login, self.world),
        }


def _fields(params: QueryParams) -> FieldFilter:
    include = _values(params, "include_fields")
    return FieldFilter.of(
        include or None, _values(params, "exclude_fields"), _values(params, "extra_fields")
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        error = BugzillaError(410, "You must log in before using this part of Bugzilla.", 401)
    else:
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        resource = path.removeprefix("/rest")
        error = BugzillaError(
            32614, f"A REST API resource was not found for '{request.method} {resource}'.", 404
        )
    return _error_response(error)


async def _bugzilla_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BugzillaError)
    return _error_response(exc)


def create_app(
    world: World,
    *,
    default_limit: int = DEFAULT_SEARCH_LIMIT,
    max_results: int = MAX_SEARCH_RESULTS,
) -> Starlette:
    """Red Hat Bugzilla's REST API over ``world``: mount it at ``/bugzilla``."""
    api = _Bugzilla(world, default_limit, max_results)
    routes = [
        Route("/rest/version", api.version, methods=["GET"]),
        Route("/rest/bug", api.search, methods=["GET", "POST"]),
        Route("/rest/bug/{bug_id}", api.bug, methods=["GET", "PUT"]),
        Route("/rest/bug/{bug_id}/comment", api.comments, methods=["GET"]),
        Route("/rest/product/get", api.product, methods=["GET"]),
        Route("/rest/product", api.product, methods=["GET"]),
        Route("/rest/product/{name}", api.product, methods=["GET"]),
        Route("/rest/product_accessible", api.product_ids, methods=["GET"]),
        Route("/rest/product_enterable", api.product_ids, methods=["GET"]),
        Route("/rest/product_selectable", api.product_ids, methods=["GET"]),
    ]
    handlers = {HTTPException: _http_error, BugzillaError: _bugzilla_error}
    return Starlette(routes=routes, exception_handlers=handlers)
