"""PagureClient over a fake src.fedoraproject.org: ownership and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from clients import RetryPolicy, UpstreamBadResponse, UpstreamNotFound, pagure
from tests.clients.fakes import json_response, mock_http

SRC = "https://src.example.org"


def project_json(**changes: Any) -> dict[str, Any]:
    project: dict[str, Any] = {
        "id": 31337,
        "name": "zsh",
        "fullname": "rpms/zsh",
        "namespace": "rpms",
        "full_url": "https://src.fedoraproject.org/rpms/zsh",
        "description": "Powerful interactive shell",
        "date_created": "1600000000",
        "date_modified": "1700000000",
        "user": {"name": "kdudka", "fullname": "K D"},
        "access_users": {
            "owner": ["kdudka"],
            "admin": ["svashisht"],
            "commit": ["lzaoral", "svashisht"],
            "collaborator": ["helper"],
            "ticket": ["triager"],
        },
        "access_groups": {
            "admin": [],
            "commit": ["shells-sig"],
            "collaborator": [],
            "ticket": ["qa"],
        },
    }
    project.update(changes)
    return project


def client_for(handler: Any) -> pagure.PagureClient:
    return pagure.PagureClient(mock_http(handler), SRC, retry=RetryPolicy.none())


async def test_a_project_flattens_its_access_lists() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/0/rpms/zsh"
        return json_response(project_json())

    project = await client_for(handler).get_project("zsh")
    assert project.owner == "kdudka"
    assert project.admins == ("svashisht",)
    assert project.committers == ("lzaoral", "svashisht")
    assert project.collaborators == ("helper",)
    assert project.groups == ("shells-sig",)
    assert project.maintainers == ("kdudka", "svashisht", "lzaoral", "helper")
    assert project.date_modified == dt.datetime.fromtimestamp(1700000000, tz=dt.UTC)
    assert project.description == "Powerful interactive shell"
    assert not project.orphaned


async def test_an_orphan_is_not_a_maintainer() -> None:
    orphaned = project_json(access_users={"owner": ["orphan"], "admin": [], "commit": ["x"]})
    project = await client_for(lambda request: json_response(orphaned)).get_project("zsh")
    assert project.orphaned
    assert project.maintainers == ("x",)


async def test_an_unknown_project_is_not_found() -> None:
    body = {"error": "Project not found", "error_code": "ENOPROJECT"}
    with pytest.raises(UpstreamNotFound):
        await client_for(lambda request: json_response(body, 404)).get_project("nope")


async def test_a_project_without_an_owner_is_a_bad_response() -> None:
    body = project_json(access_users={"owner": []})
    with pytest.raises(UpstreamBadResponse):
        await client_for(lambda request: json_response(body)).get_project("zsh")
