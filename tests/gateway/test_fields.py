"""The rest of the contract, field by field, against what each upstream serves."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simulator.catalog.model import UpdateStatus
from simulator.world import World
from tests.conftest import LiveServer
from tests.gateway.conftest import GraphQLClient


@pytest.fixture
def mdapi(sim_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sim_server.url}/mdapi") as client:
        yield client


def test_repository_fields_are_mdapi_s(
    gql: GraphQLClient, world: World, mdapi: httpx.Client
) -> None:
    name = next(n for n in world.packages if n.startswith("python-"))
    got = gql.data(
        """query($n: String!) { package(name: $n) {
             description url subpackages
             changelog(first: 3) { author date text version }
             f45: changelog(branch: "f45", first: 1) { version }
             files { path type subpackage }
             provides: dependencies(kind: PROVIDES) { name flags version subpackage }
             requires: dependencies { name subpackage } } }""",
        {"n": name},
    )["package"]
    source = mdapi.get(f"/rawhide/srcpkg/{name}").json()
    assert got["description"] == source["description"]
    assert got["url"] == source["url"] == world.packages[name].url
    assert got["subpackages"] == source["co-packages"]
    assert name not in got["subpackages"]  # python-x builds python3-x, not python-x

    main = got["subpackages"][0]
    changelog = mdapi.get(f"/rawhide/changelog/{main}").json()["changelogs"]
    assert [e["text"] for e in got["changelog"]] == [e["changelog"] for e in changelog[:3]]
    assert len(got["f45"]) <= 1

    files = {(f["subpackage"], f["path"]) for f in got["files"]}
    for binary in got["subpackages"]:
        groups = mdapi.get(f"/rawhide/files/{binary}").json()["files"]
        paths = {f"{g['dirname']}/{n}" for g in groups for n in g["filenames"].split("/")}
        assert {p for s, p in files if s == binary} == paths

    binary = mdapi.get(f"/rawhide/pkg/{main}").json()
    assert {d["name"] for d in got["provides"] if d["subpackage"] == main} == {
        d["name"] for d in binary["provides"]
    }
    assert {d["name"] for d in got["requires"] if d["subpackage"] == main} == {
        d["name"] for d in binary["requires"]
    }


def test_update_bug_and_build_fields(gql: GraphQLClient, world: World) -> None:
    update = max(
        (u for u in world.updates.values() if u.bug_ids and u.status is UpdateStatus.STABLE),
        key=lambda u: u.submitted,
    )
    got = gql.data(
        """query($a: String!) { update(alias: $a) {
             alias title status request type severity karma stableKarma submittedAt pushedAt
             notes url submitter { name url } release { name longName version branch state }
             builds { id nvr epoch taskId completedAt startedAt state update { alias } }
             bugs { id summary status resolution severity priority component version createdAt
                    updatedAt assignee isOpen url } } }""",
        {"a": update.alias},
    )["update"]
    assert got["alias"] == update.alias
    assert got["status"] == UpdateStatus(update.status).name
    assert got["type"] == update.type
    assert got["severity"] == update.severity
    assert got["karma"] == update.karma
    assert got["notes"] == update.notes
    assert got["url"] == f"https://bodhi.fedoraproject.org/updates/{update.alias}"
    assert got["submitter"]["name"] == update.submitter
    assert got["release"]["name"] == update.release
    assert got["submittedAt"] is not None
    assert (got["pushedAt"] is None) == (update.pushed is None)
    builds = world.update_builds(update)
    assert [b["nvr"] for b in got["builds"]] == [b.nvr for b in builds]
    assert [b["taskId"] for b in got["builds"]] == [b.task_id for b in builds]
    assert all(b["update"]["alias"] == update.alias for b in got["builds"])
    assert [b["id"] for b in got["bugs"]] == [i for i in update.bug_ids if i in world.bugs]
    for bug in got["bugs"]:
        record = world.bugs[bug["id"]]
        assert bug["component"] == record.component
        assert bug["status"] == record.status
        assert bug["isOpen"] == record.is_open
        assert bug["url"] == f"https://bugzilla.redhat.com/show_bug.cgi?id={record.id}"
