"""BugzillaClient over a fake RHBZ: component lists, searches, counts and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from clients import RetryPolicy, UpstreamBadResponse, UpstreamError, UpstreamNotFound, bugzilla
from tests.clients.fakes import json_response, mock_http

RHBZ = "https://bugzilla.example.org"


def bug_json(bug_id: int, **changes: Any) -> dict[str, Any]:
    bug: dict[str, Any] = {
        "id": bug_id,
        "summary": "zsh crashes on startup",
        "status": "ASSIGNED",
        "resolution": "",
        "severity": "high",
        "priority": "unspecified",
        "product": "Fedora",
        "component": ["zsh"],
        "version": ["rawhide"],
        "creation_time": "2026-02-03T04:05:06Z",
        "last_change_time": "2026-02-10T11:12:13",
        "assigned_to": "zsh-maint@example.org",
        "is_open": True,
        "url": "https://github.com/zsh-users/zsh/issues/1",
    }
    bug.update(changes)
    return bug


def client_for(handler: Any) -> bugzilla.BugzillaClient:
    return bugzilla.BugzillaClient(mock_http(handler), RHBZ, retry=RetryPolicy.none())


async def test_a_search_of_many_components_is_one_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        bugs = [bug_json(2400002), bug_json(2400001, component=["tmux"])]
        return json_response({"bugs": bugs, "faults": [], "limit": 2, "total_matches": 7})

    page = await client_for(handler).search_bugs(["zsh", "tmux"], is_open=True, limit=2, offset=4)
    (request,) = seen
    assert request.url.path == "/rest/bug"
    assert request.headers["accept"] == "application/json"
    params = request.url.params
    assert params.get_list("component") == ["zsh", "tmux"]
    assert params.get_list("product") == ["Fedora", "Fedora EPEL"]
    assert params["status"] == "__open__"
    assert params["limit"] == "2"
    assert params["offset"] == "4"
    assert "component" in params["include_fields"].split(",")
    assert [b.component for b in page.bugs] == ["zsh", "tmux"]
    assert (page.total, page.offset, page.limit, page.has_next) == (7, 4, 2, True)


async def test_closed_bugs_and_all_bugs() -> None:
    statuses: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        statuses.append(request.url.params.get("status"))
        return json_response({"bugs": [], "faults": []})

    client = client_for(handler)
    await client.search_bugs(["zsh"], is_open=False)
    await client.search_bugs(["zsh"])
    assert statuses == ["__closed__", None]


async def test_a_bug_is_decoded_from_rhbz_shapes() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/rest/bug/2400001"
        return json_response({"bugs": [bug_json(2400001)], "faults": []})

    bug = await client_for(handler).get_bug(2400001)
    assert bug.component == "zsh"
    assert bug.version == "rawhide"
    assert bug.resolution is None
    assert bug.creation_time == dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    assert bug.last_change_time == dt.datetime(2026, 2, 10, 11, 12, 13, tzinfo=dt.UTC)
    assert bug.is_open
    assert bug.url == "https://bugzilla.redhat.com/show_bug.cgi?id=2400001"


async def test_a_missing_bug_is_not_found() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        error = {
            "error": True,
            "code": 101,
            "message": "Bug #9 does not exist.",
            "documentation": "",
        }
        return json_response(error, 404)

    with pytest.raises(UpstreamNotFound, match="does not exist"):
        await client_for(handler).get_bug(9)


async def test_other_bugzilla_errors_are_upstream_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        error = {"error": True, "code": 108, "message": "Can't use frob as a field name."}
        return json_response(error, 400)

    with pytest.raises(UpstreamError, match="error 108") as caught:
        await client_for(handler).search_bugs(["zsh"], order="frob")
    assert type(caught.value) is UpstreamError


async def test_counting_reads_total_matches_or_falls_back_to_count_only() -> None:
    def with_total(request: httpx.Request) -> httpx.Response:
        return json_response({"bugs": [{"id": 1}], "faults": [], "total_matches": 31})

    def without_total(request: httpx.Request) -> httpx.Response:
        if "count_only" in request.url.params:
            return json_response({"bug_count": "12"})
        return json_response({"bugs": [{"id": 1}], "faults": []})

    assert await client_for(with_total).count_bugs(["zsh"]) == 31
    assert await client_for(without_total).count_bugs(["zsh"], is_open=True) == 12


async def test_bugs_by_id_are_one_search() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["id"] == "5,6"
        return json_response({"bugs": [bug_json(6)], "faults": []})

    assert [bug.id for bug in await client_for(handler).get_bugs([5, 6, 5])] == [6]
    assert await client_for(handler).get_bugs([]) == []


async def test_a_bug_without_a_component_is_a_bad_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response({"bugs": [bug_json(1, component=[])], "faults": []})

    with pytest.raises(UpstreamBadResponse):
        await client_for(handler).search_bugs(["zsh"])
