"""The simulated src.fedoraproject.org (Pagure dist-git) over real HTTP.

Every answer is checked against the world's packages, and field by field against real
Pagure responses and messages from ``../shared/fixtures``: the same keys, the same
types of values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulator.catalog.model import Package
from simulator.world import World
from tests.conftest import LiveServer, require_shared

#: ``Project.to_json(public=True, api=True)`` has no settings; messages do.
MESSAGE_ONLY = {"settings"}


@pytest.fixture(scope="module")
def pagure_url(sim_server: LiveServer) -> str:
    return sim_server.url + "/pagure"


@pytest.fixture(scope="module")
def http(pagure_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pagure_url) as client:
        yield client


def _shared(*parts: str) -> Any:
    return json.loads(require_shared(*parts).read_text())


@pytest.fixture(scope="module")
def team_package(world: World) -> Package:
    """An owned package with admins, committers and a group, as richly staffed as any."""
    return max(
        world.packages.values(),
        key=lambda p: (
            p.owner != "orphan",
            bool(p.groups),
            bool(p.committers),
            len(p.admins),
            p.name,
        ),
    )


@pytest.fixture(scope="module")
def orphaned(world: World) -> Package:
    return next(p for p in world.packages.values() if p.owner == "orphan")


def _get(http: httpx.Client, path: str, **params: Any) -> Any:
    response = http.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def _same_shape(served: dict[str, Any], real: dict[str, Any], where: str) -> None:
    """Every key of the real object is served, with a value of the same JSON type."""
    for key, value in real.items():
        assert key in served, f"{where}: {key} missing"
        if value is not None and served[key] is not None:
            assert type(served[key]) is type(value), f"{where}: {key}"


# -- one project ---------------------------------------------------------------------------


def test_project_against_the_world(http: httpx.Client, team_package: Package) -> None:
    package = team_package
    project = _get(http, f"/api/0/rpms/{package.name}")
    assert project["name"] == package.name
    assert project["fullname"] == project["url_path"] == f"rpms/{package.name}"
    assert project["full_url"] == f"https://src.fedoraproject.org/rpms/{package.name}"
    assert project["namespace"] == "rpms"
    assert project["description"] == package.summary
    assert project["id"] == package.id
    assert project["date_created"] == str(int(package.created))
    assert project["user"]["name"] == package.owner
    assert project["user"]["url_path"] == f"user/{package.owner}"
    users = project["access_users"]
    assert users["owner"] == [package.owner]
    assert users["admin"] == sorted(set(package.admins) - {package.owner})
    assert set(users["commit"]) == set(package.committers) - {package.owner, *package.admins}
    assert project["access_groups"]["commit"] == sorted(package.groups)
    assert "group_details" not in project


def test_project_has_pagures_fields_and_types(http: httpx.Client, team_package: Package) -> None:
    project = _get(http, f"/api/0/rpms/{team_package.name}")
    distgit = _shared(
        "fixtures", "pagure", "distgit_project_rpms_arachne-pnr_from_2017_message.json"
    )
    docstring = _shared("fixtures", "pagure", "GET_api0_project_docstring_sample.json")
    current = _shared("fixtures", "bus", "pagure.project.user.access.updated.body.json")["project"]
    assert set(project) == set(current)  # today's Project.to_json, as pagure-messages tests it
    for where, real in (
        ("distgit 2017", distgit),
        ("api docstring", docstring),
        ("pagure-messages", current),
    ):
        _same_shape(project, {k: v for k, v in real.items() if k not in MESSAGE_ONLY}, where)
        assert set(real["access_users"]) <= set(project["access_users"])
        assert set(real["access_groups"]) <= set(project["access_groups"])
        assert set(real["user"]) <= set(project["user"])
    assert int(project["date_created"]) > 0
    assert int(project["date_modified"]) >= int(project["date_created"])


def test_orphaned_project_is_owned_by_orphan(http: httpx.Client, orphaned: Package) -> None:
    project = _get(http, f"/api/0/rpms/{orphaned.name}")
    assert project["access_users"]["owner"] == ["orphan"]
    assert project["user"]["name"] == "orphan"


def test_expand_group(http: httpx.Client, world: World, team_package: Package) -> None:
    project = _get(http, f"/api/0/rpms/{team_package.name}", expand_group="1")
    details = project["group_details"]
    assert sorted(details) == sorted(team_package.groups)
    for group, members in details.items():
        assert members == sorted(members)
        maintainers = {
            name
            for p in world.packages.values()
            if group in p.groups
            for name in (p.owner, *p.admins, *p.committers)
        } - {"orphan"}
        assert set(members) == maintainers
    assert "group_details" not in _get(http, f"/api/0/rpms/{team_package.name}", expand_group="0")


@pytest.mark.parametrize("path", ["/api/0/rpms/no-such-package", "/api/0/no-namespace"])
def test_unknown_project_is_404(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.json() == {"error": "Project not found", "error_code": "ENOPROJECT"}


@pytest.mark.parametrize("path", ["/api/0/modules/{name}", "/api/0/{name}"])
def test_package_outside_rpms_is_404(http: httpx.Client, team_package: Package, path: str) -> None:
    response = http.get(path.format(name=team_package.name))
    assert response.status_code == 404
    assert response.json() == {"error": "Project not found", "error_code": "ENOPROJECT"}


def test_contributors(http: httpx.Client, team_package: Package) -> None:
    package = team_package
    body = _get(http, f"/api/0/rpms/{package.name}/contributors")
    real = _shared("fixtures", "pagure", "GET_api0_project_contributors_docstring_sample.json")
    assert set(body) == set(real)
    for side in ("users", "groups"):
        assert set(body[side]) == set(real[side])
        _same_shape(body[side], real[side], side)
    assert body["users"]["admin"] == sorted({package.owner, *package.admins})
    assert set(body["users"]["commit"]) == set(package.committers) - {
        package.owner,
        *package.admins,
    }
    assert body["groups"]["commit"] == sorted(package.groups)
    missing = http.get("/api/0/rpms/no-such-package/contributors")
    assert missing.status_code == 404


def test_branches(http: httpx.Client, world: World, team_package: Package) -> None:
    package = team_package
    body = _get(http, f"/api/0/rpms/{package.name}/git/branches")
    expected = ["rawhide"] + [
        r.branch
        for r in world.active_releases()
        if not r.is_rawhide and world.latest_tagged(r.dist_tag, package.id) is not None
    ]
    assert body["branches"] == sorted(expected)
    assert body["total_branches"] == len(expected)
    assert body["default"] == "rawhide"
    assert {b for b in body["branches"] if b != "rawhide"} <= {
        r.branch for r in world.releases.values() if r.state != "archived"
    }
    heads = _get(http, f"/api/0/rpms/{package.name}/git/branches", with_commits="true")
    assert sorted(heads["branches"]) == body["branches"]
    commits = {b.commit for b in world.builds_by_package[package.id]}
    assert set(heads["branches"].values()) <= commits
    assert heads["default"] == {"rawhide": heads["branches"]["rawhide"]}


# -- project lists -------------------------------------------------------------------------


def test_projects_by_owner_paginated(http: httpx.Client, world: World, pagure_url: str) -> None:
    owner = max(
        {p.owner for p in world.packages.values()} - {"orphan"},
        key=lambda o: (sum(p.owner == o for p in world.packages.values()), o),
    )
    owned = sorted(p.name for p in world.packages.values() if p.owner == owner)
    assert len(owned) > 1
    body = _get(http, "/api/0/projects", namespace="rpms", owner=owner, per_page=1)
    assert body["total_projects"] == len(owned)
    assert [p["name"] for p in body["projects"]] == owned[:1]
    pagination = body["pagination"]
    assert pagination["page"] == 1
    assert pagination["per_page"] == 1
    assert pagination["pages"] == len(owned)
    assert pagination["prev"] is None
    assert pagination["first"] == (
        f"{pagure_url}/api/0/projects?per_page=1&namespace=rpms&owner={owner}&page=1"
    )
    assert pagination["last"].endswith(f"&page={len(owned)}")
    following = httpx.get(pagination["next"]).json()
    assert [p["name"] for p in following["projects"]] == owned[1:2]
    assert following["pagination"]["prev"] == pagination["first"]
    assert body["args"] == {
        "tags": [],
        "username": None,
        "fork": None,
        "pattern": None,
        "namespace": "rpms",
        "owner": owner,
        "short": False,
        "page": 1,
        "per_page": 1,
    }
    not_owned = _get(http, "/api/0/projects", owner=f"!{owner}", per_page=1)
    assert not_owned["total_projects"] == len(world.packages) - len(owned)


def test_projects_by_username_pattern_and_short(
    http: httpx.Client, world: World, team_package: Package
) -> None:
    user = team_package.admins[0] if team_package.admins else team_package.owner
    mine = sorted(
        p.name for p in world.packages.values() if user in (p.owner, *p.admins, *p.committers)
    )
    body = _get(http, "/api/0/projects", username=user, per_page=100)
    assert [p["name"] for p in body["projects"]] == mine[:100]
    assert body["total_projects"] == len(mine)
    prefix = team_package.name[:3]
    pattern = [n for n in sorted(world.packages) if n.lower().startswith(prefix.lower())]
    short = _get(http, "/api/0/projects", pattern=f"{prefix}*", short="true", per_page=100)
    assert [p["name"] for p in short["projects"]] == pattern[:100]
    assert set(short["projects"][0]) == {"name", "namespace", "fullname", "description"}
    assert short["projects"][0]["fullname"] == f"rpms/{short['projects'][0]['name']}"
    exact = _get(http, "/api/0/projects", pattern=team_package.name)
    assert [p["name"] for p in exact["projects"]] == [team_package.name]


@pytest.mark.parametrize(
    "params", [{"namespace": "modules"}, {"fork": "true"}, {"tags": "fedora-infra"}]
)
def test_projects_dist_git_does_not_have(http: httpx.Client, params: dict[str, str]) -> None:
    body = _get(http, "/api/0/projects", **params)
    assert (body["total_projects"], body["projects"]) == (0, [])
    assert body["pagination"]["pages"] == 0


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"per_page": "101"}, "EINVALIDPERPAGEVALUE"),
        ({"per_page": "0"}, "EINVALIDPERPAGEVALUE"),
        ({"page": "0"}, "EINVALIDREQ"),
        ({"page": "first"}, "EINVALIDREQ"),
    ],
)
def test_projects_pagination_errors(http: httpx.Client, params: dict[str, str], code: str) -> None:
    response = http.get("/api/0/projects", params=params)
    assert response.status_code == 400
    assert response.json()["error_code"] == code
    assert set(response.json()) == {"error", "error_code"}


def test_projects_default_page_size(http: httpx.Client, world: World) -> None:
    body = _get(http, "/api/0/projects")
    assert body["total_projects"] == len(world.packages)
    assert [p["name"] for p in body["projects"]] == sorted(world.packages)[:20]
    assert body["pagination"]["pages"] == math.ceil(len(world.packages) / 20)


# -- users ---------------------------------------------------------------------------------


def test_user(http: httpx.Client, world: World, team_package: Package) -> None:
    owner = team_package.owner
    body = _get(http, f"/api/0/user/{owner}", per_page=100)
    assert body["user"]["name"] == owner
    assert body["user"]["fullname"] == world.users[owner].fullname
    repos = sorted(
        p.name for p in world.packages.values() if owner in (p.owner, *p.admins, *p.committers)
    )
    assert [r["name"] for r in body["repos"]] == repos[:100]
    assert body["forks"] == []
    assert body["repos_pagination"]["repopage"] == 1
    assert body["repos_pagination"]["pages"] == math.ceil(len(repos) / 100)
    missing = http.get("/api/0/user/no-such-user")
    assert missing.status_code == 404
    assert missing.json() == {"error": "No such user found", "error_code": "ENOUSER"}


# -- the ownership files -------------------------------------------------------------------


def test_owner_alias(http: httpx.Client, world: World) -> None:
    served = _get(http, "/extras/pagure_owner_alias.json")
    real = _shared("data", "pagure_owner_alias.json")
    assert set(served) == set(real)
    assert set(served["rpms"]) == set(world.packages)
    for name, users in served["rpms"].items():
        package = world.packages[name]
        assert users[0] == package.owner
        assert set(users) == {package.owner, *package.admins, *package.committers}
        assert len(users) == len(set(users))
    orphans = [p.name for p in world.packages.values() if p.owner == "orphan"]
    assert orphans
    assert all(served["rpms"][name][0] == "orphan" for name in orphans)
    lonely = [
        p.name
        for p in world.packages.values()
        if p.owner == "orphan" and not p.admins and not p.committers
    ]
    assert all(served["rpms"][name] == ["orphan"] for name in lonely)
    assert all(isinstance(u, str) for users in real["rpms"].values() for u in users)


def test_point_of_contact(http: httpx.Client, world: World) -> None:
    served = _get(http, "/extras/pagure_poc.json")
    assert set(served["rpms"]) == set(world.packages)
    for name, contact in served["rpms"].items():
        assert contact == {"fedora": world.packages[name].owner, "epel": world.packages[name].owner}
