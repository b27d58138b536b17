"""BodhiClient over a fake bodhi: updates of many packages, unknown names, releases, errors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from clients import NVR, RetryPolicy, UpstreamError, UpstreamNotFound, bodhi
from tests.clients.fakes import json_response, mock_http

BODHI = "https://bodhi.example.org"
KNOWN = {"zsh", "tmux", "fish"}


def update_json(alias: str, *nvrs: str, **changes: Any) -> dict[str, Any]:
    update: dict[str, Any] = {
        "alias": alias,
        "updateid": alias,
        "title": " and ".join(nvrs),
        "status": "testing",
        "request": "stable",
        "type": "bugfix",
        "severity": "medium",
        "karma": 2,
        "stable_karma": 3,
        "unstable_karma": -3,
        "critpath": False,
        "notes": "Fixes the prompt.",
        "date_submitted": "2026-05-04 08:09:10",
        "date_modified": None,
        "date_testing": "2026-05-05 01:02:03",
        "date_stable": None,
        "date_pushed": "2026-05-05 01:02:03",
        "url": f"https://bodhi.fedoraproject.org/updates/{alias}",
        "release": {"name": "F45", "long_name": "Fedora 45", "version": "45", "branch": "f45"},
        "user": {"id": 9, "name": "qa-person", "email": "qa@example.org", "groups": []},
        "builds": [{"nvr": nvr, "release_id": 45, "signed": True, "type": "rpm"} for nvr in nvrs],
        "bugs": [{"bug_id": 2400001, "title": "prompt broken", "security": False}],
        "comments": [],
    }
    update.update(changes)
    return update


class Bodhi:
    """A fake ``/updates/``: 400 when any package is unknown, else one update per package."""

    def __init__(self, *, describe: bool = True) -> None:
        self.describe = describe
        self.queries: list[dict[str, list[str]]] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = parse_qs(request.url.query.decode())
        self.queries.append(query)
        names = query.get("packages", [""])[0].split(",")
        bad = [name for name in names if name and name not in KNOWN]
        if bad:
            description = f"Invalid packages specified: {', '.join(bad)}"
            error = {
                "location": "querystring",
                "name": "packages",
                "description": description if self.describe else "Bad request",
            }
            return json_response({"status": "error", "errors": [error]}, 400)
        updates = [update_json(f"FEDORA-2026-{name}", f"{name}-1.0-1.fc45") for name in names]
        rows = int(query.get("rows_per_page", ["20"])[0])
        return json_response(
            {
                "updates": updates[:rows],
                "page": int(query.get("page", ["1"])[0]),
                "pages": -(-len(updates) // rows),
                "rows_per_page": rows,
                "total": len(updates),
                "chrome": True,
            }
        )

    def client(self) -> bodhi.BodhiClient:
        return bodhi.BodhiClient(mock_http(self), BODHI, retry=RetryPolicy.none())


async def test_updates_of_many_packages_come_from_one_request() -> None:
    fake = Bodhi()
    page = await fake.client().list_updates(
        packages=["zsh", "tmux"], status=[bodhi.UpdateStatus.TESTING, "stable"], rows_per_page=50
    )
    assert len(fake.requests) == 1
    assert fake.requests[0].url.path == "/updates/"
    assert fake.requests[0].headers["accept"] == "application/json"
    assert fake.queries[0]["packages"] == ["zsh,tmux"]
    assert fake.queries[0]["status"] == ["testing,stable"]
    assert [u.packages for u in page.updates] == [("zsh",), ("tmux",)]
    assert (page.total, page.pages, page.page, page.unknown_packages) == (2, 1, 1, ())


async def test_one_unknown_package_does_not_fail_the_others() -> None:
    fake = Bodhi()
    page = await fake.client().list_updates(packages=["zsh", "nope", "tmux", "gone"])
    assert [u.alias for u in page.updates] == ["FEDORA-2026-zsh", "FEDORA-2026-tmux"]
    assert page.unknown_packages == ("nope", "gone")
    assert [q["packages"] for q in fake.queries] == [["zsh,nope,tmux,gone"], ["zsh,tmux"]]


async def test_unknown_names_are_found_by_asking_alone_when_the_error_is_unreadable() -> None:
    fake = Bodhi(describe=False)
    page = await fake.client().list_updates(packages=["fish", "nope"])
    assert [u.alias for u in page.updates] == ["FEDORA-2026-fish"]
    assert page.unknown_packages == ("nope",)
    assert fake.queries[-1]["packages"] == ["fish"]


async def test_only_unknown_packages_give_an_empty_page_not_an_error() -> None:
    page = await Bodhi().client().list_updates(packages=["nope"])
    assert page.updates == ()
    assert page.total == 0
    assert page.unknown_packages == ("nope",)


async def test_a_400_about_another_parameter_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        error = {"location": "querystring", "name": "releases", "description": "Invalid releases"}
        return json_response({"status": "error", "errors": [error]}, 400)

    client = bodhi.BodhiClient(mock_http(handler), BODHI, retry=RetryPolicy.none())
    with pytest.raises(UpstreamError) as caught:
        await client.list_updates(packages=["zsh"], releases=["F99"])
    assert caught.value.status == 400


async def test_a_bodhi_outage_is_an_error_not_an_empty_page(retry: RetryPolicy) -> None:
    client = bodhi.BodhiClient(mock_http(lambda request: httpx.Response(503)), BODHI, retry=retry)
    with pytest.raises(UpstreamError):
        await client.list_updates(packages=["zsh"])


async def test_an_update_is_decoded_with_its_flattenings() -> None:
    raw = update_json("FEDORA-2026-0a1b2c3d4e", "zsh-5.9-8.fc45", "zsh-html-5.9-8.fc45")

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/updates/FEDORA-2026-0a1b2c3d4e"
        return json_response({"update": raw, "can_edit": False})

    client = bodhi.BodhiClient(mock_http(handler), BODHI)
    update = await client.get_update("FEDORA-2026-0a1b2c3d4e")
    assert update.release == "F45"
    assert update.submitter == "qa-person"
    assert update.builds == (NVR("zsh", "5.9", "8.fc45"), NVR("zsh-html", "5.9", "8.fc45"))
    assert update.packages == ("zsh", "zsh-html")
    assert update.bug_ids == (2400001,)
    assert update.status is bodhi.UpdateStatus.TESTING
    assert update.request is bodhi.UpdateRequest.STABLE
    assert update.date_submitted == dt.datetime(2026, 5, 4, 8, 9, 10, tzinfo=dt.UTC)
    assert update.date_pushed == dt.datetime(2026, 5, 5, 1, 2, 3, tzinfo=dt.UTC)
    assert (update.karma, update.stable_karma) == (2, 3)


async def test_an_unknown_alias_is_not_found() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/zsh"):  # a package name: bodhi redirects
            return httpx.Response(302, headers={"Location": f"{BODHI}/updates/?packages=zsh"})
        error = {"location": "url", "name": "id", "description": "Invalid update id"}
        return json_response({"status": "error", "errors": [error]}, 404)

    client = bodhi.BodhiClient(mock_http(handler), BODHI)
    with pytest.raises(UpstreamNotFound):
        await client.get_update("FEDORA-2026-ffffffffff")
    with pytest.raises(UpstreamNotFound):
        await client.get_update("zsh")


async def test_releases_are_read_from_every_page() -> None:
    def release(name: str, version: str) -> dict[str, Any]:
        return {
            "name": name,
            "long_name": f"Fedora {version}",
            "version": version,
            "branch": f"f{version}",
            "state": "current",
            "released_on": "2026-04-14",
            "eol": None,
        }

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        rows = [release("F44", "44")] if page == 1 else [release("F45", "45")]
        return json_response({"releases": rows, "page": page, "pages": 2, "total": 2})

    client = bodhi.BodhiClient(mock_http(handler), BODHI)
    releases = await client.list_releases(states=["current"])
    assert [r.name for r in releases] == ["F44", "F45"]
    assert releases[0].released_on == dt.date(2026, 4, 14)
