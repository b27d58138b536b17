"""The simulated hub's RPMs: ``listRPMs``, ``getRPM`` and ``getRPMHeaders``, against the world.

A build's RPMs are its source RPM and the binaries the world's package builds
(:func:`simulator.catalog.detail.binaries`); their headers carry the package's
license, summary and URL.
"""

from __future__ import annotations

import re
import xmlrpc.client
from collections.abc import Iterator

import koji
import pytest

from simulator.catalog.detail import binaries, family
from simulator.catalog.model import Build, BuildState, Package
from simulator.formats.koji import RPMS_PER_BUILD
from simulator.upstreams.koji import RootExports
from simulator.upstreams.koji.codec import GenericError
from simulator.world import World
from tests.conftest import LiveServer

RPM_KEYS = {
    "id",
    "name",
    "version",
    "release",
    "nvr",
    "arch",
    "epoch",
    "draft",
    "payloadhash",
    "size",
    "buildtime",
    "build_id",
    "buildroot_id",
    "external_repo_id",
    "external_repo_name",
    "metadata_only",
    "extra",
}


@pytest.fixture(scope="module")
def hub_url(sim_server: LiveServer) -> str:
    return sim_server.url + "/kojihub"


@pytest.fixture
def session(hub_url: str) -> koji.ClientSession:
    return koji.ClientSession(hub_url)


def _complete(world: World, package: Package) -> Build:
    return next(
        b for b in reversed(world.builds_by_package[package.id]) if b.state is BuildState.COMPLETE
    )


def _packages(world: World) -> Iterator[Package]:
    for package in world.packages.values():
        if any(b.state is BuildState.COMPLETE for b in world.builds_by_package[package.id]):
            yield package


@pytest.fixture(scope="module")
def plain(world: World) -> Package:
    """A package of plain name with subpackages: its own binary and others."""
    return next(p for p in _packages(world) if family(p.name) == "plain" and len(binaries(p)) >= 3)


@pytest.fixture(scope="module")
def python(world: World) -> Package:
    """A python- source package: it builds python3-*, no binary of its own name."""
    return next(
        p
        for p in _packages(world)
        if p.name.startswith("python-") and p.name not in {s.name for s in binaries(p)}
    )


@pytest.fixture(scope="module")
def failed(world: World) -> Build:
    return next(b for b in world.builds.values() if b.state is BuildState.FAILED)


# -- listRPMs -----------------------------------------------------------------------------


def test_list_rpms_is_the_srpm_then_the_binaries(
    session: koji.ClientSession, world: World, plain: Package
) -> None:
    build = _complete(world, plain)
    rows = session.listRPMs(buildID=build.id)
    specs = binaries(plain)
    assert [(r["name"], r["arch"]) for r in rows] == [
        (plain.name, "src"),
        *((s.name, s.arch) for s in specs),
    ]
    assert [r["id"] for r in rows] == [build.id * RPMS_PER_BUILD + i for i in range(len(rows))]
    for row in rows:
        assert set(row) == RPM_KEYS
        assert (row["version"], row["release"], row["epoch"]) == (
            build.version,
            build.release,
            build.epoch,
        )
        assert row["nvr"] == f"{row['name']}-{build.version}-{build.release}"
        assert row["build_id"] == build.id
        assert (row["external_repo_id"], row["external_repo_name"]) == (0, "INTERNAL")
        assert row["draft"] is False
        assert row["metadata_only"] is False
        assert len(row["payloadhash"]) == 32
        assert row["size"] > 0
        assert build.created <= row["buildtime"] <= (build.completed or build.created)
    assert len({row["payloadhash"] for row in rows}) == len(rows)
    assert session.listRPMs(buildID=build.id) == rows  # the same ids, every time


def test_list_rpms_filters_arches_by_one_name_or_a_list(
    session: koji.ClientSession, world: World, plain: Package
) -> None:
    build = _complete(world, plain)
    (src,) = session.listRPMs(buildID=build.id, arches="src")
    assert (src["name"], src["arch"]) == (plain.name, "src")
    archful = {s.arch for s in binaries(plain)}
    listed = session.listRPMs(buildID=build.id, arches=["src", *archful])
    assert len(listed) == 1 + len(binaries(plain))
    assert session.listRPMs(buildID=build.id, arches=["s390x"]) == []
    with pytest.raises(koji.GenericError, match='Invalid type for "arches" parameter'):
        session.listRPMs(buildID=build.id, arches=5)


def test_list_rpms_of_builds_without_rpms(
    session: koji.ClientSession, failed: Build, world: World
) -> None:
    assert session.listRPMs(buildID=failed.id) == []
    assert session.listRPMs(buildID=1) == []
    build = next(iter(world.builds.values()))
    # buildroots, images and hosts are not simulated; no build is a draft
    assert session.listRPMs(buildID=build.id, imageID=1) == []
    assert session.listRPMs(buildID=build.id, draft=True) == []


def test_list_rpms_query_opts_and_buildroots(
    session: koji.ClientSession, world: World, plain: Package
) -> None:
    build = _complete(world, plain)
    rows = session.listRPMs(buildID=build.id)
    assert session.listRPMs(buildID=build.id, queryOpts={"countOnly": True}) == len(rows)
    newest = session.listRPMs(buildID=build.id, queryOpts={"order": "-id", "limit": 2})
    assert [r["id"] for r in newest] == [r["id"] for r in rows[::-1][:2]]
    by_name = session.listRPMs(buildID=build.id, queryOpts={"order": "name,arch"})
    assert [r["name"] for r in by_name] == sorted(r["name"] for r in rows)
    (srpm_root,) = session.listRPMs(buildrootID=rows[0]["buildroot_id"])
    assert srpm_root == rows[0]
    assert session.listRPMs(buildrootID=rows[1]["buildroot_id"]) == rows[1:]
    with pytest.raises(xmlrpc.client.Fault, match="Invalid order: size2"):  # a bare Exception
        session.listRPMs(buildID=build.id, queryOpts={"order": "size2"})


def test_list_build_rpms_by_nvr(session: koji.ClientSession, world: World, plain: Package) -> None:
    build = _complete(world, plain)
    assert session.listBuildRPMs(build.nvr) == session.listRPMs(buildID=build.id)
    with pytest.raises(koji.GenericError, match="No such build: 'nope-1-1'"):
        session.listBuildRPMs("nope-1-1")


def test_rpm_ids_are_unique_across_builds(world: World) -> None:
    hub = RootExports(world)
    seen: set[int] = set()
    for build in list(world.builds.values())[:400]:
        rows = hub.listRPMs(buildID=build.id)
        assert isinstance(rows, list)
        ids = {row["id"] for row in rows}
        assert not ids & seen
        seen |= ids


# -- getRPM -------------------------------------------------------------------------------


def test_get_rpm_by_id_nvra_and_map(
    session: koji.ClientSession, world: World, python: Package
) -> None:
    build = _complete(world, python)
    rows = session.listRPMs(buildID=build.id)
    for row in rows:
        expected = {key: value for key, value in row.items() if key != "nvr"}
        assert session.getRPM(row["id"]) == expected
        assert session.getRPM(f"{row['nvr']}.{row['arch']}") == expected
        assert session.getRPM(f"{row['nvr']}.{row['arch']}.rpm") == expected
        rpminfo = {k: row[k] for k in ("name", "version", "release", "arch")}
        assert session.getRPM(rpminfo) == expected
        assert session.getRPM(row["id"], multi=True) == [expected]


def test_get_rpm_unknown(session: koji.ClientSession, world: World, python: Package) -> None:
    build = _complete(world, python)
    assert session.getRPM(build.id * RPMS_PER_BUILD + RPMS_PER_BUILD - 1) is None
    assert session.getRPM(f"{build.nvr}.x86_64") is None  # the source name is no binary
    assert session.getRPM("nope-1-1.noarch", multi=True) == []
    with pytest.raises(koji.GenericError, match=r"No such rpm: \{'id': 5\}"):
        session.getRPM(5, strict=True)
    with pytest.raises(koji.GenericError, match="invalid format: nodots"):
        session.getRPM("nodots")
    with pytest.raises(koji.GenericError, match="Invalid type for rpminfo"):
        session.getRPM([1])
    with pytest.raises(koji.GenericError, match="No such entry in table external_repo: elsewhere"):
        session.getRPM(f"{build.nvr}.src@elsewhere")


# -- getRPMHeaders ------------------------------------------------------------------------


def test_rpm_headers_carry_the_license_of_the_world(
    session: koji.ClientSession, world: World, plain: Package, python: Package
) -> None:
    noarch = next(p for p in _packages(world) if p.arch == "noarch")
    for package in (plain, python, noarch):
        build = _complete(world, package)
        (src,) = session.listRPMs(buildID=build.id, arches="src")
        headers = session.getRPMHeaders(rpmID=src["id"], headers=["license"])
        assert headers == {"license": package.license}
        header = session.getRPMHeaders(src["id"], None, None, ["name", "version", "url", "arch"])
        assert header == {
            "name": package.name,
            "version": build.version,
            "url": package.url,
            "arch": package.arch or "x86_64",  # a source RPM's header names its build arch
        }


def test_rpm_headers_of_binaries(session: koji.ClientSession, world: World, plain: Package) -> None:
    build = _complete(world, plain)
    rows = session.listRPMs(buildID=build.id)
    for row, spec in zip(rows[1:], binaries(plain), strict=True):
        headers = session.getRPMHeaders(rpmID=row["id"])
        assert headers["Name"] == spec.name
        assert headers["Arch"] == spec.arch
        assert headers["Summary"] == spec.summary
        assert headers["License"] == plain.license
        assert (headers["Version"], headers["Release"], headers["Epoch"]) == (
            build.version,
            build.release,
            build.epoch,
        )
        assert headers["Description"]


def test_rpm_header_names_are_case_insensitive(
    session: koji.ClientSession, world: World, plain: Package
) -> None:
    build = _complete(world, plain)
    nvra = f"{build.nvr}.src"
    asked = ["LICENSE", "License", "summary", "NoSuchHeader", "BUILDHOST"]
    assert session.getRPMHeaders(rpmID=nvra, headers=asked) == {
        "LICENSE": plain.license,
        "License": plain.license,
        "summary": plain.summary,
    }  # names the simulation does not know are left out


def test_rpm_headers_of_unknown_rpms_and_tasks(session: koji.ClientSession) -> None:
    assert session.getRPMHeaders(rpmID=7, headers=["license"]) == {}
    with pytest.raises(koji.GenericError, match=r"No such rpm: \{'id': 7\}"):
        session.getRPMHeaders(rpmID=7, headers=["license"], strict=True)
    with pytest.raises(koji.GenericError, match="either rpmID or taskID and filepath"):
        session.getRPMHeaders(headers=["license"])
    with pytest.raises(koji.GenericError, match="filepath must be specified with taskID"):
        session.getRPMHeaders(taskID=120000001)
    with pytest.raises(koji.GenericError, match=r"Invalid filepath: \.\./x\.rpm"):
        session.getRPMHeaders(taskID=120000001, filepath="../x.rpm")
    assert session.getRPMHeaders(taskID=120000001, filepath="x.src.rpm") == {}
    with pytest.raises(koji.GenericError, match="Missing rpm file: /mnt/koji/work/tasks/1/"):
        session.getRPMHeaders(taskID=120000001, filepath="x.src.rpm", strict=True)


def test_a_deleted_build_keeps_its_rpms_but_not_their_headers(fresh_world: World) -> None:
    hub = RootExports(fresh_world)
    build = next(b for b in fresh_world.builds.values() if b.state is BuildState.COMPLETE)
    build.state = BuildState.DELETED
    rows = hub.listRPMs(buildID=build.id)
    assert isinstance(rows, list)
    assert rows
    assert hub.getRPMHeaders(rpmID=rows[0]["id"], headers=["license"]) == {}
    with pytest.raises(GenericError, match=f"Build {re.escape(build.nvr)} is deleted"):
        hub.getRPMHeaders(rpmID=rows[0]["id"], headers=["license"], strict=True)


def test_rpm_calls_in_one_multicall(
    session: koji.ClientSession, world: World, python: Package
) -> None:
    build = _complete(world, python)
    with session.multicall() as m:
        listed = m.listRPMs(buildID=build.id, arches="src")
        headers = m.getRPMHeaders(rpmID=build.id * RPMS_PER_BUILD, headers=["license"])
    assert [r["name"] for r in listed.result] == [python.name]
    assert headers.result == {"license": python.license}
