"""The simulated bodhi, driven by Fedora's own ``bodhi-client`` and by plain HTTP.

Every answer is checked against the world's records: bodhi must list what the world
holds, newest first, in bodhi's JSON, and refuse what bodhi refuses with cornice's
error body. Shapes are compared with real bodhi responses from ``../shared/fixtures``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from bodhi.client.bindings import BodhiClient, BodhiClientException
from bodhi.client.oidcclient import OIDCClient

from simulator.app import Simulation, create_app
from simulator.catalog.loader import generated_world
from simulator.catalog.model import Comment, Override, Update, UpdateStatus
from simulator.formats.bodhi import bodhi_time, comment_json, update_json
from simulator.upstreams import bodhi
from simulator.world import World
from tests.conftest import TEST_WORLD_SIZE, LiveServer, free_port, require_shared

BODHI_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
JSON = {"Accept": "application/json"}


def _newest_first(updates: list[Update]) -> list[str]:
    return [u.alias for u in sorted(updates, key=lambda u: (u.submitted, u.id), reverse=True)]


def _fixture(name: str) -> Any:
    return json.loads(require_shared("fixtures", "bodhi", name).read_text())


def _offline_discovery(self: OIDCClient, id_provider: str) -> None:
    """Stand-in for the OpenID discovery ``BodhiClient()`` fetches on construction.

    The client reads the identity provider's metadata before any call, even
    anonymous ones; nothing here reaches id.fedoraproject.org, so the endpoints are
    named but never used: every query below is anonymous.
    """
    self.metadata = {
        "token_endpoint": f"{id_provider}/Token",
        "authorization_endpoint": f"{id_provider}/Authorization",
        "userinfo_endpoint": f"{id_provider}/UserInfo",
    }


@pytest.fixture(scope="module")
def bodhi_url(sim_server: LiveServer) -> str:
    return sim_server.url + "/bodhi"


@pytest.fixture(scope="module")
def http(bodhi_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bodhi_url, headers=JSON) as client:
        yield client


def _bodhi_client(url: str, storage: Path) -> BodhiClient:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OIDCClient, "_get_provider_metadata", _offline_discovery)
        return BodhiClient(base_url=url + "/", oidc_storage_path=str(storage / "oidc.json"))


@pytest.fixture(scope="module")
def client(bodhi_url: str, tmp_path_factory: pytest.TempPathFactory) -> BodhiClient:
    return _bodhi_client(bodhi_url, tmp_path_factory.mktemp("bodhi"))


@pytest.fixture(scope="module")
def busy_package(world: World) -> str:
    """The package with the most updates."""
    return max(world.updates_by_package, key=lambda name: len(world.updates_by_package[name]))


def _get(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get("/updates/", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _all_aliases(http: httpx.Client, **params: Any) -> list[str]:
    body = _get(http, rows_per_page=1000, **params)
    assert body["pages"] <= 1
    return [u["alias"] for u in body["updates"]]


def _error(response: httpx.Response, status: int = 400) -> list[dict[str, str]]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    errors: list[dict[str, str]] = body["errors"]
    return errors


# -- bodhi-client --------------------------------------------------------------------------


def test_client_queries_a_package(client: BodhiClient, world: World, busy_package: str) -> None:
    result = client.query(packages=busy_package, rows_per_page=5)
    expected = _newest_first(world.updates_by_package[busy_package])
    assert result.total == len(expected)
    assert result.pages == math.ceil(len(expected) / 5)
    assert result.package == busy_package
    assert [u.alias for u in result.updates] == expected[:5]
    for update in result.updates:
        assert all(build.nvr.rsplit("-", 2)[0] == busy_package for build in update.builds)


def test_client_pages_through_a_package(
    client: BodhiClient, world: World, busy_package: str
) -> None:
    expected = _newest_first(world.updates_by_package[busy_package])
    seen: list[str] = []
    page = 1
    while True:
        result = client.query(packages=busy_package, rows_per_page=3, page=page)
        assert result.page == page
        seen += [u.alias for u in result.updates]
        if page >= result.pages:
            break
        page += 1
    assert seen == expected


def test_client_queries_release_and_status(client: BodhiClient, world: World) -> None:
    result = client.query(releases=["F45"], status="stable", rows_per_page=10)
    expected = _newest_first(
        [u for u in world.updates.values() if u.release == "F45" and u.status == "stable"]
    )
    assert result.total == len(expected)
    assert [u.alias for u in result.updates] == expected[:10]
    assert {u.release.name for u in result.updates} == {"F45"}


def test_client_reports_bodhis_error(client: BodhiClient) -> None:
    with pytest.raises(BodhiClientException, match="Invalid packages specified: no-such-pkg"):
        client.query(packages="no-such-pkg")


def test_client_gets_releases(client: BodhiClient, world: World) -> None:
    result = client.get_releases(exclude_archived=True, rows_per_page=100)
    expected = sorted(r.name for r in world.releases.values() if r.state != "archived")
    assert [r.name for r in result.releases] == expected
    assert result.total == len(expected)
    for release in result.releases:
        assert release.dist_tag == world.releases[release.name].dist_tag
        assert release.state == world.releases[release.name].state


def test_update_str_renders_a_served_update(client: BodhiClient, world: World) -> None:
    update = next(u for u in world.updates.values() if u.comments)
    served = client.query(updateid=update.alias).updates[0]
    text = client.update_str(served, minimal=True)  # the CLI's one-line summary
    assert world.update_builds(update)[0].nvr in text
    assert update.status.value in text


# -- the list, its order and its pages ------------------------------------------------------


def test_updates_newest_first_with_pages(http: httpx.Client, world: World) -> None:
    expected = _newest_first(list(world.updates.values()))
    first = _get(http, rows_per_page=7)
    assert first["total"] == len(expected)
    assert first["pages"] == math.ceil(len(expected) / 7)
    assert [u["alias"] for u in first["updates"]] == expected[:7]
    third = _get(http, rows_per_page=7, page=3)
    assert [u["alias"] for u in third["updates"]] == expected[14:21]
    beyond = _get(http, rows_per_page=7, page=first["pages"] + 1)
    assert beyond["updates"] == []
    assert beyond["total"] == len(expected)


def test_list_response_matches_bodhis(http: httpx.Client) -> None:
    real = _fixture("GET_updates_query_response.json")
    body = _get(http, rows_per_page=1)
    assert set(body) == set(real)
    assert (body["chrome"], body["display_user"], body["display_request"]) == (True, True, True)
    assert body["package"] is None
    assert body["rows_per_page"] == 1


@pytest.mark.parametrize("rows", ["1", "1000"])
def test_rows_per_page_bounds_are_accepted(http: httpx.Client, world: World, rows: str) -> None:
    body = _get(http, rows_per_page=rows)
    assert len(body["updates"]) == min(int(rows), len(world.updates))


@pytest.mark.parametrize(
    ("params", "name", "description"),
    [
        ({"rows_per_page": "0"}, "rows_per_page", "0 is less than minimum value 1"),
        ({"rows_per_page": "1001"}, "rows_per_page", "1001 is greater than maximum value 1000"),
        ({"page": "0"}, "page", "0 is less than minimum value 1"),
        ({"page": "two"}, "page", '"two" is not a number'),
        ({"critpath": "maybe"}, "critpath", '"maybe" is neither in (false, 0) nor in (true, 1)'),
        ({"submitted_since": "yesterday"}, "submitted_since", "Invalid date"),
        (
            {"request": "later"},
            "request",
            '"later" is not one of testing, obsolete, unpush, revoke, stable',
        ),
        (
            {"type": "feature"},
            "type",
            '"feature" is not one of bugfix, security, newpackage, enhancement, unspecified',
        ),
        (
            {"severity": "dire"},
            "severity",
            '"dire" is not one of unspecified, urgent, high, medium, low',
        ),
        (
            {"status": "testing,shipped"},
            "status.1",
            '"shipped" is not one of pending, testing, stable, unpushed, obsolete, '
            "side_tag_active, side_tag_expired",
        ),
        ({"releases": "F99,f45,F1"}, "releases", "Invalid releases specified: F99, F1"),
        ({"release": "rawhide"}, "release", "Invalid release specified: rawhide"),
        ({"user": "nobody-at-all"}, "user", "Invalid users specified: nobody-at-all"),
        ({"bugs": "123,abc"}, "bugs", "Invalid bug ID specified: ['123', 'abc']"),
    ],
)
def test_invalid_parameters_are_400(
    http: httpx.Client, params: dict[str, str], name: str, description: str
) -> None:
    errors = _error(http.get("/updates/", params=params))
    assert errors == [{"location": "querystring", "name": name, "description": description}]


def test_every_validator_reports(http: httpx.Client) -> None:
    params = {"packages": "nope", "releases": "F99", "user": "nobody-at-all", "bugs": "x"}
    errors = _error(http.get("/updates/", params=params))
    assert [e["name"] for e in errors] == ["packages", "releases", "user", "bugs"]


def test_unknown_packages_are_400_not_empty(http: httpx.Client, busy_package: str) -> None:
    errors = _error(http.get("/updates/", params={"packages": f"{busy_package},nope-a nope-b"}))
    assert errors == [
        {
            "location": "querystring",
            "name": "packages",
            "description": "Invalid packages specified: nope-a, nope-b",
        }
    ]


# -- every filter against the world --------------------------------------------------------


@pytest.mark.parametrize("spelling", ["F44", "f44", "44"])
def test_release_by_name_lower_case_or_version(
    http: httpx.Client, world: World, spelling: str
) -> None:
    expected = _newest_first([u for u in world.updates.values() if u.release == "F44"])
    body = _get(http, releases=spelling, rows_per_page=5)
    assert body["total"] == len(expected)
    assert [u["alias"] for u in body["updates"]] == expected[:5]
    assert _get(http, release=spelling, rows_per_page=1)["total"] == len(expected)


@pytest.mark.parametrize(
    ("special", "states"),
    [
        ("__current__", {"current"}),
        ("__pending__", {"pending", "frozen"}),
        ("__archived__", {"archived"}),
    ],
)
def test_release_groups(http: httpx.Client, world: World, special: str, states: set[str]) -> None:
    names = {r.name for r in world.releases.values() if r.state in states}
    expected = [u for u in world.updates.values() if u.release in names]
    body = _get(http, releases=special, rows_per_page=3)
    assert body["total"] == len(expected)
    assert {u["release"]["name"] for u in body["updates"]} <= names


def test_releases_repeated_or_comma_separated(http: httpx.Client, world: World) -> None:
    expected = len([u for u in world.updates.values() if u.release in ("F43", "F46")])
    assert _get(http, releases="F43,F46")["total"] == expected
    assert _get(http, releases=["F43", "F46"])["total"] == expected
    assert _get(http, releases="F43 F46")["total"] == expected


def test_status_list(http: httpx.Client, world: World) -> None:
    wanted = {UpdateStatus.TESTING, UpdateStatus.PENDING, UpdateStatus.OBSOLETE}
    expected = _newest_first([u for u in world.updates.values() if u.status in wanted])
    assert _all_aliases(http, status=["testing", "pending,obsolete"]) == expected


@pytest.mark.parametrize(
    ("param", "attribute"), [("request", "request"), ("type", "type"), ("severity", "severity")]
)
def test_single_value_filters(http: httpx.Client, world: World, param: str, attribute: str) -> None:
    values = sorted({getattr(u, attribute) for u in world.updates.values()} - {None})
    assert values, f"the world has no update with a {attribute}"
    for value in values:
        expected = _newest_first(
            [u for u in world.updates.values() if getattr(u, attribute) == value]
        )
        body = _get(http, **{param: value}, rows_per_page=4)
        assert body["total"] == len(expected), value
        assert [u["alias"] for u in body["updates"]] == expected[:4]


def test_user(http: httpx.Client, world: World, busy_package: str) -> None:
    submitter = world.updates_by_package[busy_package][-1].submitter
    expected = _newest_first([u for u in world.updates.values() if u.submitter == submitter])
    assert _all_aliases(http, user=submitter) == expected
    body = _get(http, user=submitter, rows_per_page=5)
    assert {u["user"]["name"] for u in body["updates"]} == {submitter}


def test_alias_updateid_and_builds(http: httpx.Client, world: World, busy_package: str) -> None:
    picked = world.updates_by_package[busy_package][:3]
    aliases = [u.alias for u in picked]
    assert _all_aliases(http, alias=",".join(aliases)) == _newest_first(picked)
    assert _all_aliases(http, updateid=aliases[0]) == [aliases[0]]
    nvrs = [world.update_builds(u)[0].nvr for u in picked]
    assert _all_aliases(http, builds=" ".join(nvrs)) == _newest_first(picked)
    assert _all_aliases(http, builds="no-such-build-1-1.fc45") == []


def test_bugs(http: httpx.Client, world: World) -> None:
    with_bugs = [u for u in world.updates.values() if u.bug_ids]
    assert with_bugs, "the world has no update that fixes a bug"
    bug = with_bugs[0].bug_ids[0]
    expected = _newest_first([u for u in world.updates.values() if bug in u.bug_ids])
    body = _get(http, bugs=str(bug))
    assert [u["alias"] for u in body["updates"]] == expected
    fixed = body["updates"][0]["bugs"]
    assert {"bug_id": bug, "title": world.bugs[bug].summary} in [
        {"bug_id": b["bug_id"], "title": b["title"]} for b in fixed
    ]


@pytest.mark.parametrize("value", ["true", "1", "false", "0"])
def test_critpath_and_pushed(http: httpx.Client, world: World, value: str) -> None:
    flag = value in ("true", "1")
    critical = [u for u in world.updates.values() if u.critpath == flag]
    assert _get(http, critpath=value)["total"] == len(critical)
    pushed = [
        u
        for u in world.updates.values()
        if (u.pushed is not None and u.status != UpdateStatus.UNPUSHED) == flag
    ]
    body = _get(http, pushed=value, rows_per_page=50)
    assert body["total"] == len(pushed)
    assert all(u["pushed"] is flag for u in body["updates"])


def test_locked_and_side_tags_match_nothing(http: httpx.Client, world: World) -> None:
    assert _get(http, locked="true")["total"] == 0
    assert _get(http, locked="false")["total"] == len(world.updates)
    assert _get(http, from_side_tag="true")["total"] == 0


def test_submitted_and_modified_windows(http: httpx.Client, world: World) -> None:
    ordered = sorted(world.updates.values(), key=lambda u: u.submitted)
    middle = ordered[len(ordered) // 2].submitted
    cut = datetime.fromtimestamp(int(middle), UTC)
    since = [u for u in ordered if u.submitted >= int(middle)]
    before = [u for u in ordered if u.submitted < int(middle)]
    assert _get(http, submitted_since=cut.isoformat())["total"] == len(since)
    assert _get(http, submitted_before=cut.strftime("%Y-%m-%d %H:%M:%S"))["total"] == len(before)
    modified = [u for u in ordered if u.modified is not None and u.modified >= int(middle)]
    assert _get(http, modified_since=cut.isoformat())["total"] == len(modified)
    day = cut.date().isoformat()
    start = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
    assert _get(http, submitted_since=day)["total"] == len(
        [u for u in ordered if u.submitted >= start]
    )


def test_like_and_search(http: httpx.Client, world: World, busy_package: str) -> None:
    stem = busy_package.replace("_", "").replace("%", "")
    needle = stem[: max(3, len(stem) // 2)]

    def nvrs(update: Update) -> list[str]:
        return [b.nvr for b in world.update_builds(update)]

    def like(text: str) -> int:
        return len([u for u in world.updates.values() if any(text in n for n in nvrs(u))])

    def ilike(text: str) -> int:
        low = text.lower()
        return len(
            [
                u
                for u in world.updates.values()
                if low in u.alias.lower() or any(low in n.lower() for n in nvrs(u))
            ]
        )

    assert like(needle) > 0
    assert _get(http, like=needle)["total"] == like(needle)
    assert _get(http, like=needle.upper())["total"] == like(needle.upper())  # LIKE is exact
    assert _get(http, search=needle.upper())["total"] == ilike(needle)  # ILIKE is not
    alias = world.updates_by_package[busy_package][0].alias
    assert alias in _all_aliases(http, search=alias[-8:].lower())
    wildcard = f"{needle[0]}_{needle[2:]}"
    assert _get(http, like=wildcard)["total"] >= like(needle)  # ``_`` is any one character


def test_combined_filters_intersect(http: httpx.Client, world: World, busy_package: str) -> None:
    expected = _newest_first(
        [
            u
            for u in world.updates_by_package[busy_package]
            if u.release in ("F44", "F45") and u.status == UpdateStatus.STABLE
        ]
    )
    got = _all_aliases(http, packages=busy_package, releases="F44,F45", status="stable")
    assert got == expected


# -- one update ----------------------------------------------------------------------------


def test_one_update(http: httpx.Client, world: World) -> None:
    update = max(world.updates.values(), key=lambda u: (len(u.comments), len(u.bug_ids)))
    response = http.get(f"/updates/{update.alias}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"update", "can_edit", "ci_allowed"}
    assert (body["can_edit"], body["ci_allowed"]) == (False, False)
    served = body["update"]
    builds = world.update_builds(update)
    nvrs = sorted(b.nvr for b in builds)
    assert served["alias"] == served["updateid"] == update.alias
    assert served["title"] == " ".join(nvrs)
    assert served["url"] == f"https://bodhi.fedoraproject.org/updates/{update.alias}"
    assert served["version_hash"] == hashlib.sha1(" ".join(nvrs).encode()).hexdigest()
    assert [b["nvr"] for b in served["builds"]] == nvrs
    assert served["status"] == update.status.value
    assert served["request"] == update.request
    assert served["karma"] == update.karma
    assert served["user"]["name"] == update.submitter
    assert served["user"]["id"] == world.users[update.submitter].id
    assert served["release"]["name"] == update.release
    assert served["date_submitted"] == bodhi_time(update.submitted)
    assert served["date_pushed"] == bodhi_time(update.pushed)
    assert [c["id"] for c in served["comments"]] == [
        c.id for c in sorted(update.comments, key=lambda c: c.at)
    ]
    assert [c["karma"] for c in served["comments"]] == [
        c.karma for c in sorted(update.comments, key=lambda c: c.at)
    ]
    assert [b["bug_id"] for b in served["bugs"]] == sorted(update.bug_ids)
    assert [b["title"] for b in served["bugs"]] == [
        world.bugs[b].summary for b in sorted(update.bug_ids)
    ]


def test_update_json_has_bodhis_fields_and_types(http: httpx.Client, world: World) -> None:
    real = _fixture("GET_updates_alias_response.json")["update"]
    legacy = {"submitter", "date_locked"}  # dropped by bodhi since the recording
    update = next(u for u in world.updates.values() if u.comments)
    served = http.get(f"/updates/{update.alias}").json()["update"]
    assert set(real) - legacy <= set(served)
    for key, value in real.items():
        if key in legacy or value is None or served[key] is None:
            continue
        assert type(served[key]) is type(value), key
    for key in ("date_submitted", "date_testing", "date_stable", "date_pushed"):
        assert served[key] is None or BODHI_TIME.match(served[key]), key
    assert set(real["release"]) <= set(served["release"])
    assert set(real["user"]) == set(served["user"])
    assert set(real["comments"][0]) <= set(served["comments"][0])
    assert set(real["builds"][0]) <= set(served["builds"][0])
    recorded = _fixture("GET_updates_query_response.json")["updates"][0]["bugs"][0]
    fixing = next(u for u in world.updates.values() if u.bug_ids)
    bug = http.get(f"/updates/{fixing.alias}").json()["update"]["bugs"][0]
    assert set(bug) == set(recorded)
    assert all(type(bug[key]) is type(value) for key, value in recorded.items())


def test_package_name_redirects_to_its_updates(
    http: httpx.Client, bodhi_url: str, busy_package: str
) -> None:
    response = http.get(f"/updates/{busy_package}", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"{bodhi_url}/updates/?packages={busy_package}"
    followed = http.get(f"/updates/{busy_package}", follow_redirects=True)
    assert followed.json()["package"] == busy_package


def test_unknown_update_is_404(http: httpx.Client) -> None:
    errors = _error(http.get("/updates/FEDORA-2026-0000000000"), 404)
    assert errors == [{"location": "url", "name": "id", "description": "Invalid update id"}]


# -- content negotiation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        "text/json",
        "application/json, text/javascript, */*; q=0.01",
    ],
)
def test_json_for_api_clients(bodhi_url: str, accept: str | None) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = httpx.get(f"{bodhi_url}/updates/", params={"rows_per_page": 1}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert len(response.json()["updates"]) == 1


@pytest.mark.parametrize(
    "accept", ["text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]
)
def test_html_for_browsers(bodhi_url: str, world: World, accept: str) -> None:
    newest = _newest_first(list(world.updates.values()))[0]
    response = httpx.get(f"{bodhi_url}/updates/", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert newest in response.text
    one = httpx.get(f"{bodhi_url}/updates/{newest}", headers={"Accept": accept})
    assert one.headers["content-type"].startswith("text/html")
    assert f"<h1>{newest}</h1>" in one.text
    missing = httpx.get(f"{bodhi_url}/updates/FEDORA-2026-0000000000", headers={"Accept": accept})
    assert missing.status_code == 404
    assert "Invalid update id" in missing.text


def test_jsonp_and_unacceptable(bodhi_url: str, world: World) -> None:
    headers = {"Accept": "application/javascript"}
    response = httpx.get(f"{bodhi_url}/releases/F45", params={"callback": "show"}, headers=headers)
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.text.startswith("/**/show(")
    assert response.text.endswith(");")
    assert json.loads(response.text[len("/**/show(") : -2])["name"] == "F45"
    refused = httpx.get(f"{bodhi_url}/updates/", headers={"Accept": "image/png"})
    assert refused.status_code == 406


def test_negotiation_rules() -> None:
    assert bodhi.negotiate("*/*") == "json"
    assert bodhi.negotiate("text/*") == "json"
    assert bodhi.negotiate("text/html;q=0.9, application/json;q=0.5") == "html"
    assert bodhi.negotiate("application/json;q=0") is None
    assert bodhi.negotiate("garbage") == "json"  # unreadable: as if there were none


# -- releases ------------------------------------------------------------------------------


def test_releases_list_and_filters(http: httpx.Client, world: World) -> None:
    names = sorted(world.releases)
    body = http.get("/releases/").json()
    assert set(body) == set(_fixture("GET_releases_query_response.json"))
    assert [r["name"] for r in body["releases"]] == names
    assert body["total"] == len(names)
    current = sorted(r.name for r in world.releases.values() if r.state == "current")
    assert [r["name"] for r in http.get("/releases/?state=current").json()["releases"]] == current
    like = http.get("/releases/", params={"name": "F4_"}).json()["releases"]
    assert [r["name"] for r in like] == [n for n in names if re.fullmatch(r"F4.", n)]
    assert http.get("/releases/", params={"name": "f4%"}).json()["total"] == 0  # LIKE is exact
    ids = http.get("/releases/", params={"ids": "44,45"}).json()["releases"]
    assert [r["version"] for r in ids] == ["44", "45"]
    paged = http.get("/releases/", params={"rows_per_page": 2, "page": 2}).json()
    assert [r["name"] for r in paged["releases"]] == names[2:4]
    assert paged["pages"] == math.ceil(len(names) / 2)


def test_releases_of_packages_and_updates(
    http: httpx.Client, world: World, busy_package: str
) -> None:
    expected = sorted({u.release for u in world.updates_by_package[busy_package]})
    body = http.get("/releases/", params={"packages": busy_package}).json()
    assert [r["name"] for r in body["releases"]] == expected
    alias = world.updates_by_package[busy_package][0].alias
    body = http.get("/releases/", params={"updates": alias}).json()
    assert [r["name"] for r in body["releases"]] == [world.updates[alias].release]
    errors = _error(http.get("/releases/", params={"packages": "nope"}))
    assert errors[0]["description"] == "Invalid packages specified: nope"
    errors = _error(http.get("/releases/", params={"state": "gone"}))
    assert errors[0]["name"] == "state.0"


def test_one_release_against_bodhis(http: httpx.Client, world: World) -> None:
    real = _fixture("GET_releases_name_F27.json")
    for release in world.releases.values():
        served = http.get(f"/releases/{release.name}").json()
        assert set(served) == set(real)
        assert served["version"] == str(release.version)
        assert served["branch"] == release.branch
        assert served["candidate_tag"] == release.candidate_tag
        assert served["composed_by_bodhi"] is not release.is_rawhide
        for key, value in real.items():
            if value is not None and served[key] is not None:
                assert type(served[key]) is type(value), key
    errors = _error(http.get("/releases/F99"), 404)
    assert errors == [{"location": "body", "name": "name", "description": "No such release"}]


# -- buildroot overrides -------------------------------------------------------------------


@pytest.fixture(scope="module")
def override_world() -> World:
    """A world of its own with buildroot overrides, active and expired."""
    world = generated_world(size=TEST_WORLD_SIZE)
    builds = sorted(
        (
            b
            for u in world.updates.values()
            if u.release in ("F44", "F45")
            for b in world.update_builds(u)
        ),
        key=lambda b: b.id,
    )[-6:]
    submitters = sorted(world.packages[b.name].owner for b in builds)
    for i, build in enumerate(builds):
        release = "F44" if build.release.endswith("fc44") else "F45"
        at = world.now - (10 - i) * 86400
        world.add_override(
            Override(
                id=next(world.counters.override),
                build_id=build.id,
                release=release,
                submitter=submitters[i] if submitters[i] != "orphan" else "releng",
                notes=f"Needed to build {build.name} dependents",
                submitted=at,
                expires=at + 7 * 86400,
                expired=at + 7 * 86400 if i < 3 else None,
            )
        )
    return world


@pytest.fixture(scope="module")
def override_http(override_world: World) -> Iterator[httpx.Client]:
    with (
        LiveServer(create_app(Simulation(override_world)), free_port()) as server,
        httpx.Client(base_url=server.url + "/bodhi", headers=JSON) as http,
    ):
        yield http


def _override_nvrs(world: World, overrides: list[Override]) -> list[str]:
    newest = sorted(overrides, key=lambda o: (o.submitted, o.id), reverse=True)
    return [world.builds[o.build_id].nvr for o in newest]


def test_overrides_list(override_http: httpx.Client, override_world: World) -> None:
    world = override_world
    overrides = list(world.overrides.values())
    body = override_http.get("/overrides/").json()
    assert set(body) == set(_fixture("GET_overrides_query_response.json"))
    assert [o["nvr"] for o in body["overrides"]] == _override_nvrs(world, overrides)
    active = [o for o in overrides if o.expired is None]
    got = override_http.get("/overrides/", params={"expired": "false"}).json()
    assert [o["nvr"] for o in got["overrides"]] == _override_nvrs(world, active)
    assert all(o["expired_date"] is None for o in got["overrides"])
    f45 = [o for o in overrides if o.release == "F45"]
    got = override_http.get("/overrides/", params={"releases": "f45"}).json()
    assert [o["nvr"] for o in got["overrides"]] == _override_nvrs(world, f45)
    one = overrides[0]
    build = world.builds[one.build_id]
    got = override_http.get("/overrides/", params={"builds": build.nvr}).json()
    assert [o["nvr"] for o in got["overrides"]] == [build.nvr]
    got = override_http.get("/overrides/", params={"packages": build.name}).json()
    assert [o["nvr"] for o in got["overrides"]] == _override_nvrs(
        world, [o for o in overrides if world.builds[o.build_id].name == build.name]
    )
    mine = [o for o in overrides if o.submitter == one.submitter]
    got = override_http.get("/overrides/", params={"user": one.submitter}).json()
    assert [o["nvr"] for o in got["overrides"]] == _override_nvrs(world, mine)
    paged = override_http.get("/overrides/", params={"rows_per_page": 4, "page": 2}).json()
    assert (paged["pages"], len(paged["overrides"])) == (2, 2)


def test_overrides_through_bodhi_client(
    override_http: httpx.Client, override_world: World, tmp_path: Path
) -> None:
    client = _bodhi_client(str(override_http.base_url).rstrip("/"), tmp_path)
    result = client.list_overrides(expired=True)
    expired = [o for o in override_world.overrides.values() if o.expired is not None]
    assert [o.nvr for o in result.overrides] == _override_nvrs(override_world, expired)
    line = client.override_str(result.overrides[0])
    assert result.overrides[0].submitter.name in line


def test_one_override(override_http: httpx.Client, override_world: World) -> None:
    world = override_world
    override = next(iter(world.overrides.values()))
    build = world.builds[override.build_id]
    served = override_http.get(f"/overrides/{build.nvr}").json()
    real = _fixture("GET_overrides_nvr_response.json")
    assert set(served) == set(real)
    body = served["override"]
    assert set(real["override"]) - {"caveats"} <= set(body)
    assert body["nvr"] == body["build"]["nvr"] == build.nvr
    assert body["submitter"]["name"] == override.submitter
    assert body["submission_date"] == bodhi_time(override.submitted)
    assert body["expiration_date"] == bodhi_time(override.expires)
    assert body["expired_date"] == bodhi_time(override.expired)
    missing = _error(override_http.get("/overrides/nope-1-1.fc45"), 404)
    assert missing == [{"location": "url", "name": "nvr", "description": "No such build"}]
    plain = next(
        b
        for b in world.builds.values()
        if b.id not in {o.build_id for o in world.overrides.values()}
    )
    errors = _error(override_http.get(f"/overrides/{plain.nvr}"), 404)
    assert errors[0]["description"] == "No buildroot override for this build"


def test_override_filters_validate(override_http: httpx.Client) -> None:
    errors = _error(override_http.get("/overrides/", params={"packages": "nope", "user": "x-y"}))
    assert [e["name"] for e in errors] == ["packages", "user"]


# -- the index follows the world -----------------------------------------------------------


async def test_new_updates_are_listed_first(fresh_world: World) -> None:
    world = fresh_world
    app = bodhi.create_app(world)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bodhi", headers=JSON) as c:
        before = (await c.get("/updates/", params={"rows_per_page": 1})).json()
        build = max(world.builds.values(), key=lambda b: b.id)
        update = world.add_update(
            Update(
                id=next(world.counters.update),
                alias="FEDORA-2026-feedc0ffee",
                release="F45",
                build_ids=[build.id],
                status=UpdateStatus.PENDING,
                request="testing",
                type="bugfix",
                severity="unspecified",
                submitter=build.owner,
                submitted=world.now + 60,
                modified=None,
                notes="A fresh update",
            )
        )
        after = (await c.get("/updates/", params={"rows_per_page": 1})).json()
        assert after["total"] == before["total"] + 1
        assert after["updates"][0]["alias"] == update.alias
        mine = (await c.get("/updates/", params={"user": build.owner})).json()
        assert mine["updates"][0]["alias"] == update.alias
        f45 = (await c.get("/updates/", params={"releases": "F45", "status": "pending"})).json()
        assert update.alias in [u["alias"] for u in f45["updates"]]


# -- the formats the bus shares ------------------------------------------------------------


def test_comment_json_nests_its_update(world: World) -> None:
    update = next(u for u in world.updates.values() if u.comments)
    comment: Comment = update.comments[0]
    body = comment_json(world, update, comment)
    real = json.loads(
        require_shared(
            "fixtures", "fedmsg_era", "bodhi.update.comment_2019_prod.envelope.json"
        ).read_text()
    )["msg"]["comment"]
    assert set(real) <= set(body)
    assert body["update_alias"] == update.alias
    assert body["author"] == comment.user
    assert body["user"]["name"] == comment.user
    assert body["timestamp"] == bodhi_time(comment.at)
    assert "comments" not in body["update"]
    assert body["update"]["alias"] == update.alias
    whole = update_json(world, update)
    assert {k: v for k, v in whole.items() if k != "comments"} == body["update"]


def test_bodhi_time() -> None:
    assert bodhi_time(None) is None
    assert bodhi_time(1559062462.9) == "2019-05-28 16:54:22"
