"""The simulated Red Hat Bugzilla, through Fedora's own client and over plain HTTP.

python-bugzilla talks to it over REST, once as upstream Bugzilla and once as
bugzilla.redhat.com (its RHBZ mode, reached through a loopback adapter so that no
name is looked up). Answers are checked against the world's bugs, and shapes against
real RHBZ answers and bugzilla2fedmsg messages from ``../shared/fixtures``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import bugzilla
import httpx
import pytest
import requests
from bugzilla2fedmsg_schema.schema import MessageV1BZ4
from requests.adapters import HTTPAdapter

from simulator.catalog.model import Bug
from simulator.formats.bugzilla import DEFAULT_FIELDS, EXTRA_FIELDS, bug_json, bug_umb
from simulator.upstreams.bugzilla import DEFAULT_SEARCH_LIMIT, MAX_SEARCH_RESULTS
from simulator.world import World
from tests.conftest import LiveServer, require_shared

RHBZ = "https://bugzilla.redhat.com"
#: Sent to logged-in users only; the gateway reads anonymously.
LOGIN_ONLY = {"update_token"}


class _Loopback(HTTPAdapter):
    """Sends requests for bugzilla.redhat.com to the simulator instead."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        request.url = self.target + (request.url or "").removeprefix(RHBZ)
        return super().send(request, *args, **kwargs)


@pytest.fixture(scope="module")
def bz(sim_server: LiveServer) -> bugzilla.Bugzilla:
    """python-bugzilla as for any upstream Bugzilla 5, over REST."""
    return bugzilla.Bugzilla(sim_server.url + "/bugzilla/rest", force_rest=True, use_creds=False)


@pytest.fixture(scope="module")
def rhbz(sim_server: LiveServer) -> Iterator[bugzilla.Bugzilla]:
    """python-bugzilla in its bugzilla.redhat.com mode (extra fields, list conversions)."""
    session = requests.Session()
    session.mount(RHBZ, _Loopback(sim_server.url))
    client = bugzilla.Bugzilla(
        f"{RHBZ}/bugzilla/rest", force_rest=True, use_creds=False, requests_session=session
    )
    yield client
    session.close()


@pytest.fixture(scope="module")
def http(sim_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim_server.url + "/bugzilla") as client:
        yield client


@pytest.fixture(scope="module")
def busy(world: World) -> str:
    """The component with the most bugs (more than one page of 20)."""
    name = max(world.bugs_by_component, key=lambda c: (len(world.bugs_by_component[c]), c))
    assert len(world.bugs_by_component[name]) > DEFAULT_SEARCH_LIMIT
    return name


def _search(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get("/rest/bug", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["faults"] == []
    return body


def _ids(body: dict[str, Any]) -> list[int]:
    return [bug["id"] for bug in body["bugs"]]


def _time(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _shared(*parts: str) -> Any:
    return json.loads(require_shared(*parts).read_text())


# -- python-bugzilla -----------------------------------------------------------------------------


def test_python_bugzilla_connects_over_rest(bz: bugzilla.Bugzilla) -> None:
    assert bz.is_rest()
    assert (bz.bz_ver_major, bz.bz_ver_minor) == (5, 0)


def test_query_by_component(bz: bugzilla.Bugzilla, world: World, busy: str) -> None:
    query = bz.build_query(
        product="Fedora",
        component=busy,
        status="__open__",
        include_fields=["id", "summary", "status", "assigned_to"],
        limit=0,
    )
    bugs = bz.query(query)
    expected = sorted((b for b in world.bugs_by_component[busy] if b.is_open), key=lambda b: b.id)
    assert [b.id for b in bugs] == [b.id for b in expected]
    for got, bug in zip(bugs, expected, strict=True):
        assert (got.summary, got.status, got.assigned_to) == (bug.summary, bug.status, bug.assignee)


def test_a_search_without_limit_returns_a_first_page(
    bz: bugzilla.Bugzilla, world: World, busy: str
) -> None:
    """bugzilla.redhat.com answers 20 bugs unless asked for more, and says how many matched."""
    bugs, extra = bz.query_return_extra(bz.build_query(component=busy, include_fields=["id"]))
    everything = sorted(b.id for b in world.bugs_by_component[busy])
    assert [b.id for b in bugs] == everything[:DEFAULT_SEARCH_LIMIT]
    assert extra["limit"] == DEFAULT_SEARCH_LIMIT
    assert extra["total_matches"] == len(everything)


def test_getbug(bz: bugzilla.Bugzilla, world: World, busy: str) -> None:
    bug = world.bugs_by_component[busy][0]
    got = bz.getbug(bug.id)
    assert got.id == bug.id
    assert got.summary == bug.summary
    assert (got.status, got.resolution) == (bug.status, bug.resolution)
    assert got.component == [bug.component]  # upstream mode keeps RHBZ's lists
    assert got.version == [bug.version]
    assert got.product == "Fedora"
    assert (got.assigned_to, got.creator) == (bug.assignee, bug.creator)
    assert got.is_open is bug.is_open
    assert _time(got.creation_time) == int(bug.created)
    assert _time(got.last_change_time) == int(bug.changed)
    assert got.keywords == bug.keywords


def test_getbug_of_a_missing_bug(bz: bugzilla.Bugzilla) -> None:
    with pytest.raises(bugzilla.BugzillaError) as raised:
        bz.getbug(1)
    assert raised.value.code == 101
    assert "Bug #1 does not exist." in str(raised.value)


def test_getbugs(bz: bugzilla.Bugzilla, world: World) -> None:
    wanted = sorted(world.bugs)[:30]
    bugs = bz.getbugs([*wanted, 1], include_fields=["id", "summary"])
    assert [b.id for b in bugs] == wanted  # more than 20: an id search is not cut
    assert [b.summary for b in bugs] == [world.bugs[i].summary for i in wanted]


def test_rhbz_mode(rhbz: bugzilla.Bugzilla, world: World, busy: str) -> None:
    bug = next(b for b in world.bugs_by_component[busy] if not b.is_open)
    got = rhbz.getbug(bug.id)
    assert (got.component, got.components) == (bug.component, [bug.component])
    assert (got.version, got.versions) == (bug.version, [bug.version])
    assert got.flags == []
    assert got.description.startswith(f"Description of problem:\n{bug.summary}")
    assert got.comments[0]["text"] == got.description
    assert got.weburl == f"{RHBZ}/show_bug.cgi?id={bug.id}"
    assert got.cf_last_closed is not None


def test_rhbz_keyword_query(rhbz: bugzilla.Bugzilla, world: World, busy: str) -> None:
    """python-bugzilla sends keywords as a boolean chart (field0-0-0 etc.)."""
    query = rhbz.build_query(product="Fedora", component=busy, keywords="FTBFS", limit=0)
    got = sorted(b.id for b in rhbz.query(query))
    assert got == sorted(b.id for b in world.bugs_by_component[busy] if "FTBFS" in b.keywords)


def test_comments(bz: bugzilla.Bugzilla, world: World) -> None:
    bug = next(b for b in world.bugs.values() if b.resolution == "ERRATA")
    body = bz.get_comments([bug.id])
    comments = body["bugs"][str(bug.id)]["comments"]
    assert comments[0]["creator"] == bug.creator
    assert comments[0]["count"] == 0
    assert _time(comments[0]["creation_time"]) == int(bug.created)


# -- every search parameter ----------------------------------------------------------------------


def test_ids(http: httpx.Client, world: World) -> None:
    ids = sorted(world.bugs)[5:9]
    assert _ids(_search(http, id=",".join(map(str, reversed(ids))))) == ids
    assert _ids(_search(http, id=[str(ids[0]), f"{ids[1]},999"])) == ids[:2]


def test_components_repeat_or_comma(http: httpx.Client, world: World, busy: str) -> None:
    other = sorted(c for c in world.bugs_by_component if c != busy)[0]
    expected = sorted(b.id for c in (busy, other) for b in world.bugs_by_component[c])
    assert _ids(_search(http, component=[busy, other], limit=0)) == expected
    assert _ids(_search(http, component=f"{busy},{other}", limit=0)) == expected
    assert _search(http, component="no-such-component")["bugs"] == []


@pytest.mark.parametrize(
    ("status", "wanted"),
    [
        ("__open__", lambda b: b.is_open),
        ("__closed__", lambda b: not b.is_open),
        ("__all__", lambda b: True),
        ("NEW,ASSIGNED", lambda b: b.status in ("NEW", "ASSIGNED")),
    ],
)
def test_status(http: httpx.Client, world: World, busy: str, status: str, wanted: Any) -> None:
    body = _search(http, component=busy, status=status, limit=0)
    assert _ids(body) == sorted(b.id for b in world.bugs_by_component[busy] if wanted(b))
    assert body["total_matches"] == len(body["bugs"])


def test_product_and_resolution(http: httpx.Client, world: World, busy: str) -> None:
    bugs = world.bugs_by_component[busy]
    resolution = next(b.resolution for b in bugs if b.resolution)
    assert _ids(_search(http, component=busy, resolution=resolution, limit=0)) == sorted(
        b.id for b in bugs if b.resolution == resolution
    )
    assert _ids(_search(http, component=busy, resolution="---", limit=0)) == sorted(
        b.id for b in bugs if not b.resolution
    )
    assert _search(http, component=busy, product="Fedora EPEL")["bugs"] == []
    assert len(_search(http, component=busy, product="Fedora", limit=0)["bugs"]) == len(bugs)


def test_changed_and_created_since(http: httpx.Client, world: World, busy: str) -> None:
    bugs = world.bugs_by_component[busy]
    middle = sorted(b.changed for b in bugs)[len(bugs) // 2]
    since = datetime.fromtimestamp(middle, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(_search(http, component=busy, last_change_time=since, limit=0)) == sorted(
        b.id for b in bugs if b.changed >= int(middle)
    )
    day = datetime.fromtimestamp(middle, UTC).strftime("%Y-%m-%d")
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    assert _ids(_search(http, component=busy, creation_time=day, limit=0)) == sorted(
        b.id for b in bugs if b.created >= start
    )


def test_limit_offset_and_the_cap(http: httpx.Client, world: World) -> None:
    everything = sorted(world.bugs)
    pages = [_ids(_search(http, product="Fedora", limit=7, offset=o)) for o in range(0, 21, 7)]
    assert [i for page in pages for i in page] == everything[:21]
    capped = _search(http, product="Fedora", limit=0, include_fields="id")
    assert capped["limit"] == MAX_SEARCH_RESULTS
    assert _ids(capped) == everything[:MAX_SEARCH_RESULTS]
    assert capped["total_matches"] == len(everything)
    assert _search(http, product="Fedora", limit=10**6)["limit"] == MAX_SEARCH_RESULTS


def test_paging_past_the_cap_by_bug_id(http: httpx.Client, world: World) -> None:
    """The way python-bugzilla's redhat_query_all example pages: f1=bug_id o1=greaterthan."""
    seen: list[int] = []
    last = 0
    while True:
        page = _ids(
            _search(
                http,
                product="Fedora",
                include_fields="id",
                limit=0,
                order="bug_id",
                f1="bug_id",
                o1="greaterthan",
                v1=str(last),
            )
        )
        if not page:
            break
        seen += page
        last = page[-1]
    assert seen == sorted(world.bugs)


def test_order(http: httpx.Client, world: World, busy: str) -> None:
    body = _search(http, component=busy, order="last_change_time DESC", limit=0)
    expected = sorted(world.bugs_by_component[busy], key=lambda b: b.id)
    expected.sort(key=lambda b: b.changed, reverse=True)
    assert _ids(body) == [b.id for b in expected]
    body = _search(http, component=busy, order="bug_id DESC", limit=0)
    assert _ids(body) == sorted(_ids(body), reverse=True)


def test_include_and_exclude_fields(http: httpx.Client, busy: str) -> None:
    def keys(**params: Any) -> set[str]:
        return set(_search(http, component=busy, limit=1, **params)["bugs"][0])

    people = {f"{p}_detail" for p in ("assigned_to", "creator", "qa_contact", "cc")}
    default = set(DEFAULT_FIELDS) | people
    assert keys() == default
    assert keys(include_fields="_default") == default
    assert keys(include_fields="id,summary,assigned_to") == {
        "id",
        "summary",
        "assigned_to",
        "assigned_to_detail",
    }
    assert keys(include_fields=["id", "status"]) == {"id", "status"}
    assert keys(include_fields="_all") == default | set(EXTRA_FIELDS)
    assert keys(include_fields="_extra") == set(EXTRA_FIELDS)
    assert keys(include_fields="_custom") == {f for f in DEFAULT_FIELDS if f.startswith("cf_")}
    assert keys(extra_fields="flags") == default | {"flags"}
    assert keys(exclude_fields="cc,summary") == default - {"cc", "cc_detail", "summary"}
    assert keys(exclude_fields="_custom") == {f for f in default if not f.startswith("cf_")}
    assert keys(include_fields="id,summary", exclude_fields="summary") == {"id"}


def test_other_fields(http: httpx.Client, world: World, busy: str) -> None:
    bug = world.bugs_by_component[busy][0]
    bugs = world.bugs_by_component[busy]
    assert _ids(_search(http, component=busy, creator=bug.creator, limit=0)) == sorted(
        b.id for b in bugs if b.creator == bug.creator
    )
    assert _ids(_search(http, component=busy, severity=bug.severity, limit=0)) == sorted(
        b.id for b in bugs if b.severity == bug.severity
    )
    assert _ids(_search(http, component=busy, version=bug.version, limit=0)) == sorted(
        b.id for b in bugs if b.version == bug.version
    )
    word = bug.summary.split()[-1]
    assert _ids(_search(http, component=busy, summary=word.upper(), limit=0)) == sorted(
        b.id for b in bugs if word.lower() in b.summary.lower()
    )


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "code"),
    [
        ("GET", "/rest/bug/1", {}, 404, 101),
        ("GET", "/rest/bug/not-an-alias", {}, 400, 100),
        ("GET", "/rest/bug", {"limit": "many"}, 400, 52),
        ("GET", "/rest/bug", {"id": "12,x"}, 400, 52),
        ("GET", "/rest/bug", {"last_change_time": "yesterday"}, 400, 56),
        ("GET", "/rest/bug", {"f1": "no_such_field", "o1": "equals", "v1": "x"}, 400, 108),
        ("GET", "/rest/nothing/here", {}, 404, 32614),
        ("POST", "/rest/bug", {}, 401, 410),
    ],
)
def test_errors(
    http: httpx.Client, method: str, path: str, params: dict[str, str], status: int, code: int
) -> None:
    response = http.request(method, path, params=params)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "code", "message", "documentation"}
    assert (body["error"], body["code"]) == (True, code)
    assert isinstance(body["message"], str)
    if code == 101:
        assert body["message"] == "Bug #1 does not exist."


def test_version_and_product(http: httpx.Client, world: World) -> None:
    assert http.get("/rest/version").json()["version"].startswith("5.0")
    (product,) = http.get("/rest/product/get", params={"names": "Fedora"}).json()["products"]
    assert product["name"] == "Fedora"
    versions = {v["name"] for v in product["versions"]}
    assert {str(r.version) for r in world.active_releases() if not r.is_rawhide} <= versions
    assert "rawhide" in versions
    components = {c["name"] for c in product["components"]}
    assert components == {p.name for p in world.packages.values() if not p.retired}
    assert http.get("/rest/product/get").json() == {"products": []}
    assert http.get("/rest/product_accessible").json()["ids"]


# -- shapes of real answers and messages ----------------------------------------------------------


def _same_types(ours: dict[str, Any], real: dict[str, Any], where: str) -> None:
    for key, value in real.items():
        assert key in ours, f"{where}: {key} missing"
        if value is not None and ours[key] is not None:
            assert type(ours[key]) is type(value), f"{where}: {key}"
            if isinstance(value, dict) and value:
                _same_types(ours[key], value, f"{where}.{key}")
            if isinstance(value, list) and value and isinstance(value[0], dict) and ours[key]:
                _same_types(ours[key][0], value[0], f"{where}.{key}[0]")


def test_the_bug_has_rhbzs_shape(http: httpx.Client, world: World) -> None:
    (real,) = _shared("fixtures", "bugzilla", "GET_rest_bug_1694158_fedora.json")["bugs"]
    bug = next(b for b in world.bugs.values() if not b.is_open)  # the real one is closed
    (ours,) = http.get(f"/rest/bug/{bug.id}").json()["bugs"]
    assert set(ours) == set(real) - LOGIN_ONLY
    _same_types(ours, {k: v for k, v in real.items() if k not in LOGIN_ONLY}, "bug")


def test_include_fields_has_rhbzs_shape(http: httpx.Client, world: World) -> None:
    recorded = _shared("fixtures", "bugzilla", "GET_rest_bug_search_include_fields.json")
    fields = recorded["request_params"]["include_fields"]
    real = recorded["response"]["bugs"][0]
    ours = _search(http, id=sorted(world.bugs)[0], include_fields=",".join(fields))["bugs"][0]
    assert set(ours) == set(real)
    _same_types(ours, real, "bug")


def _message(bug: Bug, world: World) -> dict[str, Any]:
    return {
        "bug": bug_umb(bug, world),
        "event": {
            "action": "create",
            "target": "bug",
            "routing_key": "bug.create",
            "bug_id": bug.id,
            "change_set": "1.2.3",
            "time": float(int(bug.created)),
            "user": {"login": bug.creator, "id": 1, "real_name": "x"},
            "changes": [],
            "who": bug.creator,
        },
    }


def test_bus_bug_has_the_relayed_shape(world: World) -> None:
    """bug_umb matches bugzilla2fedmsg's bz4compat bodies and validates against its schema."""
    for name in ("bugzilla.bug.new.body.json", "bugzilla.bug.update.body.json"):
        real = _shared("fixtures", "bus", name)["bug"]
        for bug in (
            next(b for b in world.bugs.values() if b.is_open),
            next(b for b in world.bugs.values() if not b.is_open),
        ):
            ours = bug_umb(bug, world)
            assert set(ours) == set(real)
            _same_types(ours, real, name)
            MessageV1BZ4(topic="bugzilla.bug.new", body=_message(bug, world)).validate()


def test_bus_and_rest_agree(world: World) -> None:
    bug = next(b for b in world.bugs.values() if not b.is_open)
    rest, bus = bug_json(bug, world=world), bug_umb(bug, world)
    assert bus["component"] == rest["component"][0]
    assert bus["version"]["name"] == rest["version"][0]
    assert bus["status"]["name"] == rest["status"]
    assert bus["assigned_to"] == rest["assigned_to"]
    assert bus["reporter"]["login"] == rest["creator"]
    assert bus["reporter"]["id"] == rest["creator_detail"]["id"]
    assert bus["creation_time"] == _time(rest["creation_time"])
    assert bus["last_change_time"] == _time(rest["last_change_time"])
    assert bus["cc"] == rest["cc"]
    assert bus["weburl"] == f"{RHBZ}/show_bug.cgi?id={bug.id}"
    assert bus["cf_fixed_in"] == rest["cf_fixed_in"]


def test_updates_fill_fixed_in(world: World) -> None:
    """Bugs closed by a bodhi update name its build, and bodhi's comment follows."""
    closed = [
        (u, b)
        for u in world.updates.values()
        for b in u.bug_ids
        if world.bugs[b].resolution == "ERRATA"
    ]
    assert closed
    update, bug_id = closed[0]
    rest = bug_json(world.bugs[bug_id], ["cf_fixed_in", "comments"], world=world)
    nvrs = {b.nvr for b in world.update_builds(update)}
    assert rest["cf_fixed_in"] in nvrs
    assert update.alias in rest["comments"][-1]["text"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"f1": "bug_id", "o1": "lessthan", "v1": "abc"}, 52),
        ({"f1": "short_desc", "o1": "regexp", "v1": "("}, 58),
    ],
)
def test_bad_search_conditions_are_bugzilla_errors(
    http: httpx.Client, params: dict[str, str], code: int
) -> None:
    response = http.get("/rest/bug", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] is True
    assert body["code"] == code
