"""The simulated koji hub, driven by Fedora's own client library over real HTTP.

Every answer is checked against the world's records: the hub must render what the
world holds, in koji's shapes, with koji's errors.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import itertools
import re
import xmlrpc.client
from collections.abc import Iterator
from typing import Any

import httpx
import koji
import pytest

from simulator.app import Simulation, create_app
from simulator.catalog.model import Build, BuildState, Package
from simulator.formats.koji import koji_time
from simulator.upstreams.koji import KOJI_VERSION
from simulator.world import World
from tests.conftest import LiveServer, free_port

KOJI_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$")


def _result(content: bytes) -> Any:
    """The one value of an XML-RPC response; a fault raises ``xmlrpc.client.Fault``."""
    (value,), _ = xmlrpc.client.loads(content)
    return value


@pytest.fixture(scope="module")
def hub_url(sim_server: LiveServer) -> str:
    return sim_server.url + "/kojihub"


@pytest.fixture
def session(hub_url: str) -> koji.ClientSession:
    return koji.ClientSession(hub_url)


@pytest.fixture(scope="module")
def busy_package(world: World) -> Package:
    """The package with the most builds, one of them failed."""
    candidates = [
        world.packages_by_id[pid]
        for pid, builds in world.builds_by_package.items()
        if any(b.state is BuildState.FAILED for b in builds)
    ]
    return max(candidates, key=lambda p: len(world.builds_by_package[p.id]))


def _parse_time(text: str) -> float:
    assert KOJI_TIME.match(text), text
    return dt.datetime.fromisoformat(text).timestamp()


def _rpc(url: str, method: str, *params: Any) -> httpx.Response:
    """A raw call, marshalled as koji's client does (``<i8>`` for big ints)."""
    body = koji.xmlrpcplus.dumps(params, method, allow_none=1)
    return httpx.post(url, content=body.encode(), headers={"Content-Type": "text/xml"})


# -- versions and the HTTP surface ------------------------------------------------------


def test_versions_and_headers(session: koji.ClientSession, hub_url: str) -> None:
    assert session.getAPIVersion() == 1
    assert session.getKojiVersion() == KOJI_VERSION
    assert session.hub_version_str == KOJI_VERSION  # read from the Koji-Version header

    response = _rpc(hub_url, "getAPIVersion")
    assert response.status_code == 200
    assert response.headers["koji-version"] == KOJI_VERSION
    assert response.headers["content-type"].startswith("text/xml")
    assert _result(response.content) == 1

    refused = httpx.get(hub_url)
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"


def test_unknown_method_and_bad_arguments(session: koji.ClientSession) -> None:
    with pytest.raises(koji.GenericError, match="Invalid method: noSuchCall"):
        session.noSuchCall()
    with pytest.raises(koji.ParameterError, match="missing 1 required positional argument"):
        session.getBuild()
    with pytest.raises(koji.ParameterError, match="unexpected keyword argument 'bogus'"):
        session.getBuild(1, bogus=True)
    with pytest.raises(koji.ParameterError, match="positional arguments but 4 were given"):
        session.getBuild(1, True, 3)
    assert koji.ParameterError.faultCode == 1019


def test_list_methods(session: koji.ClientSession) -> None:
    methods = set(session.system.listMethods())
    assert {"getBuild", "listBuilds", "getLatestBuilds", "listTagged", "getTaskInfo"} <= methods
    assert {"getUser", "listPackages", "listTags", "getPackageID", "_listapi"} <= methods
    api = {entry["name"]: entry for entry in session._listapi()}
    assert api["getBuild"]["args"] == ["buildInfo", ["strict", False]]


# -- builds -------------------------------------------------------------------------------


def test_get_build_renders_the_world_record(
    session: koji.ClientSession, world: World, busy_package: Package
) -> None:
    build = world.builds_by_package[busy_package.id][-1]
    info = session.getBuild(build.id)
    owner = world.users[build.owner]
    assert (info["id"], info["build_id"], info["nvr"]) == (build.id, build.id, build.nvr)
    assert (info["package_id"], info["package_name"], info["name"]) == (
        busy_package.id,
        busy_package.name,
        busy_package.name,
    )
    assert (info["version"], info["release"], info["epoch"]) == (
        build.version,
        build.release,
        build.epoch,
    )
    assert (info["owner_id"], info["owner_name"]) == (owner.id, owner.name)
    assert info["state"] == int(build.state)
    assert type(info["state"]) is int
    assert (info["task_id"], info["creation_event_id"]) == (build.task_id, build.creation_event)
    url = f"git+https://src.fedoraproject.org/rpms/{busy_package.name}.git#{build.commit}"
    assert info["source"] == url
    assert info["extra"] == {"source": {"original_url": url}}
    assert (info["volume_id"], info["volume_name"], info["draft"]) == (0, "DEFAULT", False)
    assert info["cg_id"] is None
    assert info["promotion_time"] is None
    assert build.completed is not None
    assert info["completion_ts"] == pytest.approx(build.completed, abs=1e-6)
    assert _parse_time(info["completion_time"]) == pytest.approx(build.completed, abs=1e-6)
    assert _parse_time(info["creation_time"]) == pytest.approx(build.created, abs=1e-6)
    assert info["start_ts"] == pytest.approx(build.created, abs=1e-6)


def test_get_build_by_nvr_and_by_map(session: koji.ClientSession, world: World) -> None:
    build = next(iter(world.builds.values()))
    assert session.getBuild(build.nvr)["id"] == build.id
    nvr_map = {"name": build.name, "version": build.version, "release": build.release}
    assert session.getBuild(nvr_map)["id"] == build.id


def test_get_build_missing(session: koji.ClientSession) -> None:
    assert session.getBuild("no-such-nvr-1-1") is None
    assert session.getBuild(1) is None
    with pytest.raises(koji.GenericError) as raised:
        session.getBuild("no-such-nvr-1-1", strict=True)
    assert str(raised.value) == "No such build: 'no-such-nvr-1-1'"
    assert raised.value.faultCode == 1000
    with pytest.raises(koji.GenericError, match=r"^No such build: 1$"):
        session.getBuild(1, strict=True)
    with pytest.raises(koji.GenericError, match="invalid format: nodashes"):
        session.getBuild("nodashes")


def test_list_builds_of_a_package(
    session: koji.ClientSession, world: World, busy_package: Package
) -> None:
    expected = [b.id for b in reversed(world.builds_by_package[busy_package.id])]
    by_name = session.listBuilds(packageID=busy_package.name, queryOpts={"order": "-build_id"})
    assert [row["build_id"] for row in by_name] == expected
    assert all("id" not in row and "cg_id" not in row for row in by_name)
    by_id = session.listBuilds(busy_package.id, queryOpts={"order": "-build_id"})
    assert [row["build_id"] for row in by_id] == expected
    count = session.listBuilds(packageID=busy_package.id, queryOpts={"countOnly": True})
    assert count == len(expected)
    failed = session.listBuilds(packageID=busy_package.id, state=int(BuildState.FAILED))
    failed_ids = {b.id for b in world.builds_by_package[busy_package.id] if b.state == 3}
    assert failed_ids
    assert {row["build_id"] for row in failed} == failed_ids
    assert session.listBuilds(packageID="no-such-package") == []


def test_list_builds_pagination(
    session: koji.ClientSession, world: World, busy_package: Package
) -> None:
    expected = [b.id for b in reversed(world.builds_by_package[busy_package.id])]
    pages: list[int] = []
    for offset in range(0, len(expected), 3):
        opts = {"order": "-build_id", "limit": 3, "offset": offset}
        page = session.listBuilds(packageID=busy_package.id, queryOpts=opts)
        assert len(page) == min(3, len(expected) - offset)
        pages += [row["build_id"] for row in page]
    assert pages == expected
    opts = {"countOnly": True, "offset": 2, "limit": 3}
    assert session.listBuilds(packageID=busy_package.id, queryOpts=opts) == 3


def test_list_builds_ordering(
    session: koji.ClientSession, world: World, busy_package: Package
) -> None:
    rows = session.listBuilds(packageID=busy_package.id, queryOpts={"order": "-completion_time"})
    stamps = [row["completion_ts"] for row in rows]
    assert stamps == sorted(stamps, reverse=True)
    rows = session.listBuilds(packageID=busy_package.id, queryOpts={"order": "nvr,-build_id"})
    keys = [(row["nvr"], -row["build_id"]) for row in rows]
    assert keys == sorted(keys)
    as_lists = session.listBuilds(
        packageID=busy_package.id, queryOpts={"order": "build_id", "limit": 1, "asList": True}
    )
    columns = sorted(session.listBuilds(packageID=busy_package.id)[0])
    first = world.builds_by_package[busy_package.id][0]
    assert as_lists[0][columns.index("build_id")] == first.id


def test_invalid_order_is_a_fault(session: koji.ClientSession, busy_package: Package) -> None:
    with pytest.raises(xmlrpc.client.Fault) as raised:
        session.listBuilds(packageID=busy_package.id, queryOpts={"order": "-bogus"})
    assert raised.value.faultCode == 1
    assert raised.value.faultString.endswith("Invalid order: bogus")
    # counting never orders, so koji does not check the order either
    opts = {"order": "bogus", "countOnly": True}
    assert session.listBuilds(packageID=busy_package.id, queryOpts=opts) > 0


def test_list_builds_global_newest_first(session: koji.ClientSession, world: World) -> None:
    newest = sorted(world.builds)[-5:][::-1]
    rows = session.listBuilds(queryOpts={"order": "-build_id", "limit": 5})
    assert [row["build_id"] for row in rows] == newest
    oldest = sorted(world.builds)[2:4]
    rows = session.listBuilds(queryOpts={"limit": 2, "offset": 2})
    assert [row["build_id"] for row in rows] == oldest
    assert session.listBuilds(queryOpts={"countOnly": True}) == len(world.builds)


def test_list_builds_by_user_prefix_and_pattern(
    session: koji.ClientSession, world: World, busy_package: Package
) -> None:
    owner = world.builds_by_package[busy_package.id][-1].owner
    expected = {b.id for b in world.builds.values() if b.owner == owner}
    assert {row["build_id"] for row in session.listBuilds(userID=owner)} == expected
    user_id = world.users[owner].id
    assert session.listBuilds(userID=user_id, queryOpts={"countOnly": True}) == len(expected)

    prefix = busy_package.name[:3]
    like = prefix.lower().replace("_", "?") + "*"  # ILIKE: "_" is a wildcard
    named = {b.id for b in world.builds.values() if fnmatch.fnmatchcase(b.name.lower(), like)}
    assert busy_package.id in {world.builds[i].package_id for i in named}
    assert {row["build_id"] for row in session.listBuilds(prefix=prefix.upper())} == named
    pattern = f"{busy_package.name}-*.fc4?"
    matched = {b.id for b in world.builds.values() if fnmatch.fnmatchcase(b.nvr, pattern)}
    assert matched
    assert {row["build_id"] for row in session.listBuilds(pattern=pattern)} == matched


def test_list_builds_time_filters(session: koji.ClientSession, world: World) -> None:
    builds = sorted(world.builds.values(), key=lambda b: b.created)
    middle = builds[len(builds) // 2].created
    text = dt.datetime.fromtimestamp(middle, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    whole = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC).timestamp()

    def count(**filters: Any) -> int:
        result: int = session.listBuilds(queryOpts={"countOnly": True}, **filters)
        return result

    assert count(createdAfter=middle) == sum(1 for b in builds if b.created > middle)
    assert count(createdBefore=text) == sum(1 for b in builds if b.created < whole)
    done = [b.completed for b in builds if b.completed is not None]
    assert count(completeBefore=middle) == sum(1 for c in done if c < middle)
    assert count(completeAfter=text) == sum(1 for c in done if c > whole)
    with pytest.raises(koji.ParameterError):
        session.listBuilds(createdBefore="not a date")


# -- tags ----------------------------------------------------------------------------------


def test_get_latest_builds_follows_inheritance(
    session: koji.ClientSession, world: World, busy_package: Package
) -> None:
    for release in world.active_releases():
        for tag in (release.dist_tag, release.stable_tag, release.testing_tag):
            if tag not in world.tags:  # rawhide has no updates-testing
                continue
            expected = world.latest_tagged(tag, busy_package.id)
            rows = session.getLatestBuilds(tag, package=busy_package.name)
            assert [row["build_id"] for row in rows] == ([expected.id] if expected else [])
            if expected is None:
                continue
            row = rows[0]
            holder = next(t for t in world.tag_chain(tag) if expected.has_tag(t))
            assert (row["tag_name"], row["tag_id"]) == (holder, world.tags[holder].id)
            entry = next(e for e in expected.tags if e.active and e.tag == holder)
            assert row["create_event"] == entry.event
            assert row["state"] == 1
            assert row["nvr"] == expected.nvr
            assert not {key for key in row if key.endswith("_ts")}
            assert "source" not in row


def test_get_latest_builds_for_a_whole_tag(session: koji.ClientSession, world: World) -> None:
    tag = world.rawhide.dist_tag
    rows = session.getLatestBuilds(tag)
    assert sorted(row["build_id"] for row in rows) == sorted(b.id for b in world.latest_in_tag(tag))
    with pytest.raises(koji.GenericError, match="No such entry in table tag: f99"):
        session.getLatestBuilds("f99")


def test_list_tagged(session: koji.ClientSession, world: World, busy_package: Package) -> None:
    tag = world.rawhide.dist_tag
    direct = [b.id for b in world.tagged(tag, busy_package.id)]
    rows = session.listTagged(tag, package=busy_package.name)
    assert [row["build_id"] for row in rows] == direct
    events = [row["create_event"] for row in rows]
    assert events == sorted(events, reverse=True)
    latest = session.listTagged(tag, package=busy_package.name, latest=True)
    assert [row["build_id"] for row in latest] == direct[:1]
    with_extra = session.listTagged(tag, package=busy_package.name, extra=True)
    assert all(
        row["extra"]["source"]["original_url"].endswith("#" + world.builds[row["id"]].commit)
        for row in with_extra
    )
    inherited = session.listTagged("rawhide", inherit=True, package=busy_package.name)
    assert [row["build_id"] for row in inherited] == direct
    everything = session.listTagged(tag, prefix=busy_package.name[:2].upper())
    assert set(direct) <= {row["build_id"] for row in everything}
    with pytest.raises(koji.GenericError, match="No such tagInfo: 'nope'"):
        session.listTagged("nope")
    assert session.listTagged("nope", strict=False) == []


def test_list_tags(session: koji.ClientSession, world: World, busy_package: Package) -> None:
    build = world.builds_by_package[busy_package.id][-1]
    rows = session.listTags(build=build.id)
    assert {row["name"] for row in rows} == set(build.active_tags())
    assert all(row["id"] == world.tags[row["name"]].id for row in rows)
    with pytest.raises(koji.GenericError, match="No such build: 1"):
        session.listTags(build=1)
    listed = session.listTags(package=busy_package.name, queryOpts={"order": "-name"})
    names = [row["name"] for row in listed]
    assert names == sorted(names, reverse=True)
    assert world.rawhide.dist_tag in names
    assert all(world.tags[name].parent is None for name in names)  # lists live on base tags
    owner = world.users[busy_package.owner]
    assert all((row["owner_id"], row["owner_name"]) == (owner.id, owner.name) for row in listed)
    assert len(session.listTags()) == len(world.tags)


# -- tasks, users, packages ------------------------------------------------------------------


def test_get_task_info(session: koji.ClientSession, world: World, busy_package: Package) -> None:
    builds = world.builds_by_package[busy_package.id]
    done = next(b for b in builds if b.state is BuildState.COMPLETE)
    failed = next(b for b in builds if b.state is BuildState.FAILED)
    info = session.getTaskInfo(done.task_id, request=True)
    assert (info["id"], info["method"], info["state"]) == (done.task_id, "build", 2)
    assert info["owner"] == world.users[done.owner].id
    assert info["request"] == [
        f"git+https://src.fedoraproject.org/rpms/{done.name}.git#{done.commit}",
        done.target,
        {},
    ]
    assert info["completion_ts"] == pytest.approx(done.completed, abs=1e-6)
    assert "request" not in session.getTaskInfo(done.task_id)
    assert session.getTaskInfo(failed.task_id)["state"] == 5
    many = session.getTaskInfo([done.task_id, 1, failed.task_id])
    assert [t and t["id"] for t in many] == [done.task_id, None, failed.task_id]
    assert session.getTaskInfo(1) is None
    with pytest.raises(koji.GenericError, match="No such task: 1"):
        session.getTaskInfo(1, strict=True)
    with pytest.raises(koji.ParameterError):
        session.getTaskInfo("one")


def test_get_user(session: koji.ClientSession, world: World, busy_package: Package) -> None:
    user = world.users[busy_package.owner]
    expected = {
        "id": user.id,
        "name": user.name,
        "status": 0,
        "usertype": 0,
        "krb_principals": [f"{user.name}@FEDORAPROJECT.ORG"],
    }
    assert session.getUser(user.name) == expected
    assert session.getUser(user.id) == expected
    assert session.getUser(f"{user.name}@FEDORAPROJECT.ORG") == expected
    assert "krb_principals" not in session.getUser(user.name, krb_princs=False)
    assert session.getUser("nobody-here") is None
    with pytest.raises(koji.GenericError, match="No such user: 'nobody-here'"):
        session.getUser("nobody-here", strict=True)


def test_packages(session: koji.ClientSession, world: World, busy_package: Package) -> None:
    assert session.getPackage(busy_package.name) == {
        "id": busy_package.id,
        "name": busy_package.name,
    }
    assert session.getPackage(busy_package.id) == session.getPackage(busy_package.name)
    assert session.getPackageID(busy_package.name) == busy_package.id
    assert session.getPackageID("no-such-package") is None
    with pytest.raises(koji.GenericError, match="No such package name: no-such-package"):
        session.getPackageID("no-such-package", strict=True)
    assert session.listPackages(queryOpts={"countOnly": True}) == len(world.packages)
    prefix = busy_package.name[:4]
    rows = session.listPackages(prefix=prefix, queryOpts={"order": "-package_name"})
    like = prefix.lower().replace("_", "?") + "*"
    expected = sorted(
        (n for n in world.packages if fnmatch.fnmatchcase(n.lower(), like)), reverse=True
    )
    assert busy_package.name in expected
    assert [row["package_name"] for row in rows] == expected
    listing = session.listPackages(pkgID=busy_package.name, with_dups=True)
    roots = {
        world.tag_chain(t)[-1]
        for b in world.builds_by_package[busy_package.id]
        for t in b.active_tags()
    }
    assert {row["tag_name"] for row in listing} == roots
    assert {row["package_id"] for row in listing} == {busy_package.id}
    # rawhide's package list sits on its base tag: every package tagged in its family
    tag = world.rawhide.dist_tag
    family = [name for name in world.tags if world.tag_chain(name)[-1] == tag]
    expected_ids = {pid for name in family for pid in world.packages_in_tag(name)}
    in_tag = session.listPackages(tagID=f"{tag}-signing-pending", inherited=True)
    assert {row["package_id"] for row in in_tag} == expected_ids
    assert {row["tag_name"] for row in in_tag} == {tag}
    assert session.listPackages(tagID=f"{tag}-signing-pending") == []


# -- multicall and keyword arguments ---------------------------------------------------------


def test_legacy_multicall_with_a_fault(
    session: koji.ClientSession, world: World, busy_package: Package
) -> None:
    build = world.builds_by_package[busy_package.id][-1]
    session.multicall = True
    session.getBuild(build.nvr)
    session.getBuild("no-such-nvr-1-1", strict=True)
    session.listBuilds(packageID=busy_package.id, queryOpts={"countOnly": True})
    session.getBuild()
    results = session.multiCall(strict=False)
    assert len(results) == 4
    assert isinstance(results[0], list)
    assert results[0][0]["id"] == build.id
    assert results[1]["faultCode"] == 1000
    assert results[1]["faultString"] == "No such build: 'no-such-nvr-1-1'"
    assert results[1]["traceback"][-1] == "koji.GenericError: No such build: 'no-such-nvr-1-1'\n"
    assert results[2] == [len(world.builds_by_package[busy_package.id])]
    assert results[3]["faultCode"] == 1019


def test_multicall_session(
    session: koji.ClientSession, world: World, busy_package: Package
) -> None:
    with session.multicall() as m:
        package = m.getPackage(busy_package.name)
        count = m.listBuilds(packageID=busy_package.id, queryOpts={"countOnly": True})
        page = m.listBuilds(packageID=busy_package.id, queryOpts={"order": "-build_id", "limit": 2})
    assert package.result == {"id": busy_package.id, "name": busy_package.name}
    assert count.result == len(world.builds_by_package[busy_package.id])
    newest = [b.id for b in world.builds_by_package[busy_package.id][-2:]][::-1]
    assert [row["build_id"] for row in page.result] == newest

    with (
        pytest.raises(koji.GenericError, match="No such build"),
        session.multicall(strict=True) as strict,
    ):
        strict.getBuild("no-such-nvr-1-1", strict=True)


def test_system_multicall_and_wire_kwargs(
    hub_url: str, world: World, busy_package: Package
) -> None:
    calls = [
        {"methodName": "getPackageID", "params": [busy_package.name]},
        {
            "methodName": "listBuilds",
            "params": [
                {
                    "packageID": busy_package.id,
                    "state": 1,
                    "__starstar": True,
                    "queryOpts": {"order": "-completion_time", "limit": 1},
                }
            ],
        },
        {"methodName": "noSuchCall", "params": []},
    ]
    response = _rpc(hub_url, "system.multicall", calls)
    results = _result(response.content)
    assert results[0] == [busy_package.id]
    complete = [b for b in world.builds_by_package[busy_package.id] if b.state == 1]
    newest = max(complete, key=lambda b: b.completed or 0.0)
    assert [row["build_id"] for row in results[1][0]] == [newest.id]
    assert results[2]["faultString"] == "Invalid method: noSuchCall"


def test_faults_on_the_wire(hub_url: str) -> None:
    body = _rpc(hub_url, "getBuild", "no-such-nvr-1-1", {"strict": True, "__starstar": True})
    with pytest.raises(xmlrpc.client.Fault) as raised:
        _result(body.content)
    assert (raised.value.faultCode, raised.value.faultString) == (
        1000,
        "No such build: 'no-such-nvr-1-1'",
    )
    garbage = httpx.post(hub_url, content=b"<methodCall><oops")
    with pytest.raises(xmlrpc.client.Fault) as raised:
        _result(garbage.content)
    assert raised.value.faultCode == 1


# -- a world with a build in progress and 64-bit ids -------------------------------------------


@pytest.fixture
def busy_world(fresh_world: World) -> Iterator[tuple[World, Build, Build, LiveServer]]:
    """A world with one build still BUILDING and one whose ids need ``<i8>``."""
    world = fresh_world
    package = max(world.packages.values(), key=lambda p: len(world.builds_by_package[p.id]))
    last = world.builds_by_package[package.id][-1]
    building = world.add_build(
        Build(
            id=next(world.counters.build),
            package_id=package.id,
            name=package.name,
            version=last.version,
            release=last.release.replace(".fc", ".99.fc"),
            epoch=last.epoch,
            state=BuildState.BUILDING,
            owner=last.owner,
            task_id=next(world.counters.task),
            created=world.now - 60.0,
            completed=None,
            creation_event=world.next_event(),
            target="rawhide",
        )
    )
    world.counters.build = itertools.count(2**33)  # ids keep growing, now past 32 bits
    huge = world.add_build(
        Build(
            id=next(world.counters.build),
            package_id=package.id,
            name=package.name,
            version=last.version,
            release=last.release.replace(".fc", ".100.fc"),
            epoch=None,
            state=BuildState.COMPLETE,
            owner=last.owner,
            task_id=2**34 + 5,
            created=world.now - 30.0,
            completed=world.now - 20.0,
            creation_event=world.next_event(),
            target="rawhide",
        )
    )
    with LiveServer(create_app(Simulation(world)), free_port()) as server:
        yield world, building, huge, server


def test_building_builds_sort_first_descending(
    busy_world: tuple[World, Build, Build, LiveServer],
) -> None:
    _, building, _, server = busy_world
    session = koji.ClientSession(server.url + "/kojihub")
    rows = session.listBuilds(
        packageID=building.package_id, queryOpts={"order": "-completion_time"}
    )
    assert rows[0]["build_id"] == building.id
    assert rows[0]["state"] == 0
    assert rows[0]["completion_time"] is None
    assert rows[0]["completion_ts"] is None
    ascending = session.listBuilds(
        packageID=building.package_id, queryOpts={"order": "completion_time"}
    )
    assert ascending[-1]["build_id"] == building.id
    top = session.listBuilds(queryOpts={"order": "-completion_ts", "limit": 1})
    assert top[0]["build_id"] == building.id
    task = session.getTaskInfo(building.task_id)
    assert (task["state"], task["waiting"], task["completion_time"]) == (1, True, None)
    assert session.listBuilds(state=0) == [session.listBuilds(taskID=building.task_id)[0]]


def test_sixty_four_bit_ids(busy_world: tuple[World, Build, Build, LiveServer]) -> None:
    _, _, huge, server = busy_world
    url = server.url + "/kojihub"
    session = koji.ClientSession(url)
    info = session.getBuild(huge.id)
    assert (info["id"], info["task_id"]) == (2**33, 2**34 + 5)
    assert session.getTaskInfo(2**34 + 5)["id"] == 2**34 + 5
    raw = _rpc(url, "getBuild", 2**33)
    assert b"<i8>8589934592</i8>" in raw.content
    assert b"<i8>17179869189</i8>" in raw.content
    assert b"<int>0</int>" in raw.content  # small ints stay plain


def test_new_builds_are_found_after_the_first_query(
    busy_world: tuple[World, Build, Build, LiveServer],
) -> None:
    world, building, _, server = busy_world
    session = koji.ClientSession(server.url + "/kojihub")
    assert session.getTaskInfo(building.task_id)["id"] == building.task_id
    later = world.add_build(
        Build(
            id=next(world.counters.build),
            package_id=building.package_id,
            name=building.name,
            version=building.version,
            release=building.release + ".1",
            epoch=building.epoch,
            state=BuildState.FAILED,
            owner="releng",
            task_id=next(world.counters.task),
            created=world.now,
            completed=world.now + 5,
            creation_event=world.next_event(),
            target="rawhide",
        )
    )
    assert session.getTaskInfo(later.task_id)["state"] == 5
    assert (
        session.listBuilds(userID="releng", queryOpts={"order": "-build_id", "limit": 1})[0][
            "build_id"
        ]
        == later.id
    )


# -- times ------------------------------------------------------------------------------------


def test_koji_time_format() -> None:
    assert koji_time(1686295936.160696) == "2023-06-09 07:32:16.160696+00:00"
    assert koji_time(1445252997.0) == "2015-10-19 11:09:57+00:00"
    assert koji_time(None) is None
