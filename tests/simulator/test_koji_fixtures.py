"""The simulated koji hub against recordings of real hubs (``../shared/fixtures/koji``).

Each recorded call is replayed against the simulated world (with ids the world
has): the answer must carry the same keys with the same value types as the real
one, and the values must be the world's. The hand-built wire examples are posted
byte for byte.
"""

from __future__ import annotations

import json
import re
import xmlrpc.client
from pathlib import Path
from typing import Any

import httpx
import koji
import pytest

from simulator.catalog.model import Build, BuildState
from simulator.world import World
from tests.conftest import LiveServer, require_shared

pytestmark = pytest.mark.shared_data

KOJI_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$")


def _fixture(name: str) -> Any:
    path: Path = require_shared("fixtures", "koji", name)
    return json.loads(path.read_text())


def _wire(name: str) -> bytes:
    path: Path = require_shared("fixtures", "koji", "xmlrpc_wire", name)
    return path.read_bytes()


def _assert_same_shape(ours: dict[str, Any], real: dict[str, Any]) -> None:
    """Same keys; where both sides have a value, the same type (and time format)."""
    assert set(ours) == set(real)
    for key, value in real.items():
        if value is None or ours[key] is None:
            continue
        assert type(ours[key]) is type(value), key
        if isinstance(value, str) and KOJI_TIME.match(value):
            assert KOJI_TIME.match(ours[key]), (key, ours[key])


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
def tagged_build(world: World) -> Build:
    """A complete build that sits in a tag, like the recorded ones."""
    return next(
        b for b in reversed(world.builds.values()) if b.state is BuildState.COMPLETE and b.tags
    )


@pytest.mark.parametrize("name", ["getBuild_574_strict.json", "getBuild_628.json"])
def test_get_build_matches_recordings(
    name: str, session: koji.ClientSession, world: World, tagged_build: Build
) -> None:
    recorded = _fixture(name)
    ours = session.getBuild(tagged_build.id, **recorded["kwargs"])
    _assert_same_shape(ours, recorded["result"])
    assert (ours["id"], ours["nvr"]) == (tagged_build.id, tagged_build.nvr)
    assert ours["owner_id"] == world.users[tagged_build.owner].id


def test_get_build_matches_fedora_buildinfo(
    session: koji.ClientSession, tagged_build: Build
) -> None:
    fedora = _fixture("getBuild_fedora_grep-3.11-1.fc39.json")
    ours = session.getBuild(tagged_build.nvr)
    # the recording predates creation_ts, draft and the promotion fields
    _assert_same_shape({k: v for k, v in ours.items() if k in fedora}, fedora)
    source = f"git+https://src.fedoraproject.org/rpms/{tagged_build.name}.git#"
    assert fedora["source"].startswith("git+https://src.fedoraproject.org/rpms/grep.git#")
    assert ours["source"] == source + tagged_build.commit
    assert ours["extra"] == {"source": {"original_url": ours["source"]}}


def test_list_builds_matches_recording(session: koji.ClientSession, world: World) -> None:
    recorded = _fixture("listBuilds_limit10_order-build_id.json")
    ours = session.listBuilds(*recorded["args"], **recorded["kwargs"])
    assert [row["build_id"] for row in ours] == sorted(world.builds)[-10:][::-1]
    for row in ours:
        _assert_same_shape(row, recorded["result"][0])


def test_task_info_matches_recording(
    session: koji.ClientSession, world: World, tagged_build: Build
) -> None:
    recorded = _fixture("getTaskInfo_14330_request.json")
    ours = session.getTaskInfo(tagged_build.task_id, **recorded["kwargs"])
    _assert_same_shape(ours, recorded["result"])
    assert ours["owner"] == world.users[tagged_build.owner].id
    assert [type(part) for part in ours["request"]] == [
        type(part) for part in recorded["result"]["request"]
    ]


def test_user_package_and_tags_match_recordings(
    session: koji.ClientSession, world: World, tagged_build: Build
) -> None:
    user = _fixture("getUser_mikem.json")
    ours = session.getUser(tagged_build.owner, **user["kwargs"])
    _assert_same_shape(ours, user["result"])
    assert ours["id"] == world.users[tagged_build.owner].id

    package = _fixture("getPackage_306.json")
    ours = session.getPackage(tagged_build.package_id)
    assert ours == {"id": tagged_build.package_id, "name": tagged_build.name}
    assert set(ours) == set(package["result"])

    by_build = _fixture("listTags_build_574.json")
    rows = session.listTags(tagged_build.id, **by_build["kwargs"])
    assert {row["name"] for row in rows} == set(tagged_build.active_tags())
    for row in rows:
        _assert_same_shape(row, by_build["result"][0])

    by_package = _fixture("listTags_package_306_paged.json")
    kwargs = dict(by_package["kwargs"], package=tagged_build.package_id)
    rows = session.listTags(*by_package["args"], **kwargs)
    assert [row["name"] for row in rows] == sorted(row["name"] for row in rows)
    for row in rows:
        _assert_same_shape(row, by_package["result"][0])


def test_fault_is_byte_for_byte(hub_url: str) -> None:
    call = xmlrpc.client.dumps(
        ("no-such-nvr-1-1", {"strict": True, "__starstar": True}), "getBuild"
    )
    response = httpx.post(hub_url, content=call.encode())
    assert response.content == _wire("fault_response.xml")


def test_list_builds_request_from_the_wire(
    hub_url: str, session: koji.ClientSession, tagged_build: Build
) -> None:
    body = _wire("listBuilds_request.xml")
    body = body.replace(b"<int>1023</int>", f"<int>{tagged_build.package_id}</int>".encode())
    response = httpx.post(hub_url, content=body, headers={"Content-Type": "text/xml"})
    rows = _result(response.content)
    expected = session.listBuilds(
        packageID=tagged_build.package_id,
        state=1,
        queryOpts={"order": "-completion_time", "limit": 5},
    )
    assert rows == expected
    assert rows, "the package has complete builds"


def test_multicall_request_from_the_wire(hub_url: str, session: koji.ClientSession) -> None:
    response = httpx.post(hub_url, content=_wire("multiCall_request.xml"))
    ours = _result(response.content)
    real = _result(_wire("multiCall_response.xml"))
    assert len(ours) == len(real) == 4
    assert ours[0] == [session.getPackageID("grep")]
    assert ours[1] == [session.getBuild("grep-3.11-1.fc39")]
    assert ours[2]["faultString"] == "No such entry in table tag: f39"  # no f39 in this world
    assert set(ours[2]) == set(real[3])
    assert {k: ours[3][k] for k in ("faultCode", "faultString")} == {
        k: real[3][k] for k in ("faultCode", "faultString")
    }
    assert ours[3]["traceback"][-1] == real[3]["traceback"][-1]


def test_multicall_result_shape_matches_recording(
    session: koji.ClientSession, world: World
) -> None:
    recorded = _fixture("multiCall_listChannels.json")
    packages = list(world.packages_by_id.values())[: len(recorded["result"])]
    with session.multicall() as m:
        calls = [m.listBuilds(packageID=p.id, queryOpts={"limit": 1}) for p in packages]
    results = [call.result for call in calls]
    raw = session._callMethod(
        "multiCall",
        ([{"methodName": "getPackage", "params": [p.id]} for p in packages],),
        {},
    )
    assert [type(entry) for entry in raw] == [type(entry) for entry in recorded["result"]]
    assert all(len(entry) == 1 for entry in raw)
    assert [entry[0]["id"] for entry in raw] == [p.id for p in packages]
    assert [rows[0]["package_id"] for rows in results] == [p.id for p in packages]
