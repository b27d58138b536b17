"""The simulated mdapi over real HTTP, field by field against mdapi's documented API.

Versions are checked against koji's tags in the world (mdapi's answer for a branch is
``getLatestBuilds`` of its newest repository), reverse lookups against what the
package endpoints say, and the error bodies against aiohttp's plain-text ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulator.catalog.detail import binaries, family
from simulator.catalog.model import Build, BuildState, Package, Release
from simulator.upstreams.mdapi import create_app
from simulator.world import World
from tests.conftest import LiveServer

KINDS = (
    "conflicts",
    "obsoletes",
    "provides",
    "requires",
    "enhances",
    "recommends",
    "suggests",
    "supplements",
)
#: ``Packages.to_json`` + ``_expand_package_info``: no binary ``name`` field.
PACKAGE_KEYS = {
    "arch",
    "epoch",
    "version",
    "release",
    "summary",
    "description",
    "basename",
    "url",
    *KINDS,
    "co-packages",
    "repo",
}
DEPENDENCY_KEYS = {"name", "epoch", "version", "release", "flags"}


@pytest.fixture(scope="module")
def http(sim_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim_server.url + "/mdapi") as client:
        yield client


def _get(http: httpx.Client, path: str) -> Any:
    response = http.get(path)
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    return response.json()


def _branched(world: World) -> list[Release]:
    return [r for r in world.active_releases() if not r.is_rawhide]


def _live(world: World) -> list[Package]:
    return sorted((p for p in world.packages.values() if not p.retired), key=lambda p: p.name)


def _koji(world: World, release: Release, package: Package) -> Build | None:
    """koji's getLatestBuilds of the branch's newest tag: what mdapi must serve."""
    top = "rawhide" if release.is_rawhide else release.testing_tag
    return world.latest_tagged(top, package.id)


def _repo_of(release: Release, build: Build) -> str:
    if release.is_rawhide:
        return "release"
    for tag, kind in ((release.testing_tag, "updates-testing"), (release.stable_tag, "updates")):
        if build.has_tag(tag):
            return kind
    return "release"


def _check_package(obj: dict[str, Any], package: Package, build: Build) -> None:
    assert set(obj) == PACKAGE_KEYS
    assert obj["basename"] == package.name
    assert (obj["version"], obj["release"]) == (build.version, build.release)
    assert obj["epoch"] == str(build.epoch or 0)
    assert obj["url"] == package.url
    assert isinstance(obj["description"], str)
    assert obj["description"]
    for kind in KINDS:
        assert isinstance(obj[kind], list)
        for dep in obj[kind]:
            assert set(dep) == DEPENDENCY_KEYS
            assert isinstance(dep["name"], str)
            assert dep["flags"] in (None, "EQ", "LT", "LE", "GT", "GE")


# -- branches -----------------------------------------------------------------------------


def test_branches(http: httpx.Client, world: World) -> None:
    active = [r.branch for r in world.releases.values() if r.state in ("current", "pending")]
    assert _get(http, "/branches") == sorted([*active, "koji", *(f"src_{b}" for b in active)])
    assert {"rawhide", "f45", "f44", "f43", "src_rawhide"} <= set(_get(http, "/branches"))


def test_homepage(http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


# -- pkg: versions agree with koji ------------------------------------------------------------


def test_rawhide_packages_are_kojis_latest(http: httpx.Client, world: World) -> None:
    rawhide = world.rawhide
    for package in _live(world)[::3]:
        build = _koji(world, rawhide, package)
        assert build is not None, package.name
        for spec in binaries(package):
            obj = _get(http, f"/rawhide/pkg/{spec.name}")
            _check_package(obj, package, build)
            assert obj["repo"] == "release"
            assert obj["arch"] == spec.arch
            assert obj["summary"] == spec.summary
            assert spec.name in obj["co-packages"]
            assert obj["co-packages"] == sorted(b.name for b in binaries(package))
            provides = {d["name"]: d for d in obj["provides"]}
            assert provides[spec.name]["version"] == build.version
            assert provides[spec.name]["release"] == build.release


@pytest.mark.parametrize("branch", ["f45", "f44", "f43"])
def test_branched_packages_come_from_the_newest_repository(
    http: httpx.Client, world: World, branch: str
) -> None:
    release = next(r for r in _branched(world) if r.branch == branch)
    seen: set[str] = set()
    for index, package in enumerate(_live(world)):
        build = _koji(world, release, package)
        kind = _repo_of(release, build) if build else None
        if build is None or (kind == "release" and index % 7):
            continue  # every update is checked, a sample of the rest
        obj = _get(http, f"/{branch}/pkg/{binaries(package)[0].name}")
        _check_package(obj, package, build)
        assert obj["repo"] == kind, package.name
        seen.add(obj["repo"])
    assert {"updates", "release"} <= seen


def test_testing_builds_win_over_stable_ones(http: httpx.Client, world: World) -> None:
    found = [
        (r, p)
        for r in _branched(world)
        for p in _live(world)
        if next(world.tagged(r.testing_tag, p.id), None) is not None
    ]
    assert found, "some update sits in testing"
    for release, package in found:
        build = next(world.tagged(release.testing_tag, package.id))
        obj = _get(http, f"/{release.branch}/pkg/{binaries(package)[0].name}")
        assert (obj["repo"], obj["version"], obj["release"]) == (
            "updates-testing",
            build.version,
            build.release,
        )


def test_subpackages_name_their_source(http: httpx.Client, world: World) -> None:
    package = next(p for p in _live(world) if family(p.name) == "python")
    python3 = next(s for s in package.subpackages if s.name.startswith("python3-"))
    obj = _get(http, f"/rawhide/pkg/{python3.name}")
    assert obj["basename"] == package.name
    assert obj["summary"] == python3.summary
    assert obj["arch"] == "noarch"
    dist = python3.name.removeprefix("python3-").lower().replace("_", "-")
    assert any(d["name"] == f"python3dist({dist})" for d in obj["provides"])
    assert {
        "name": "python(abi)",
        "epoch": "0",
        "version": "3.14",
        "release": None,
        "flags": "EQ",
    } in obj["requires"]
    assert http.get(f"/rawhide/pkg/{package.name}").status_code == 404  # no such binary


async def test_the_description_is_the_packages(fresh_world: World) -> None:
    world = fresh_world
    package = next(p for p in _live(world) if family(p.name) == "plain")
    package.description = "Written by its packager.\nOn two lines."
    transport = httpx.ASGITransport(app=create_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://mdapi") as client:
        obj = (await client.get(f"/rawhide/pkg/{package.name}")).json()
    assert obj["description"] == "Written by its packager.\nOn two lines."


async def test_a_new_build_is_served_at_once(fresh_world: World) -> None:
    world = fresh_world
    release = _branched(world)[0]
    package = next(p for p in _live(world) if _koji(world, release, p) is not None)
    base = _koji(world, release, package)
    assert base is not None
    transport = httpx.ASGITransport(app=create_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://mdapi") as client:
        name = binaries(package)[0].name
        await client.get(f"/{release.branch}/pkg/{name}")
        build = world.add_build(
            Build(
                id=next(world.counters.build),
                package_id=package.id,
                name=package.name,
                version=base.version,
                release=f"77.fc{release.version}",
                epoch=base.epoch,
                state=BuildState.COMPLETE,
                owner=package.owner,
                task_id=None,
                created=world.now,
                completed=world.now,
                creation_event=world.next_event(),
                target=f"{release.dist_tag}-candidate",
                changelog="Backport a fix",
            )
        )
        world.tag_build(build, release.testing_tag, user="bodhi", at=world.now)
        obj = (await client.get(f"/{release.branch}/pkg/{name}")).json()
        assert (obj["repo"], obj["release"]) == ("updates-testing", build.release)
        log = (await client.get(f"/{release.branch}/changelog/{name}")).json()
        assert log["changelogs"][0]["changelog"] == "- Backport a fix"
        assert log["repo"] == "updates-testing"


# -- srcpkg ----------------------------------------------------------------------------------


def test_srcpkg(http: httpx.Client, world: World) -> None:
    package = next(p for p in _live(world) if family(p.name) == "plain" and p.subpackages)
    build = _koji(world, world.rawhide, package)
    assert build is not None
    obj = _get(http, f"/rawhide/srcpkg/{package.name}")
    _check_package(obj, package, build)
    assert obj["co-packages"] == sorted([package.name, *(s.name for s in package.subpackages)])
    assert obj["provides"][0]["name"] == package.name  # the binary of the source's name
    headless = next(p for p in _live(world) if family(p.name) == "rust")
    obj = _get(http, f"/rawhide/srcpkg/{headless.name}")
    assert obj["basename"] == headless.name
    assert obj["co-packages"] == sorted(s.name for s in headless.subpackages)
    assert http.get("/rawhide/srcpkg/no-such-package").text == "404: Not Found"


def test_srcpkg_needs_a_version_starting_with_a_digit(http: httpx.Client, world: World) -> None:
    """mdapi matches ``<name>-[0-9]``: texlive's ``svnNNNN`` versions are not found."""
    svn = [
        p
        for p in _live(world)
        if (b := _koji(world, world.rawhide, p)) and not b.version[0].isdigit()
    ]
    if not svn:
        pytest.skip("no package with a non-numeric version in this world")
    package = svn[0]
    assert http.get(f"/rawhide/srcpkg/{package.name}").status_code == 404
    assert http.get(f"/rawhide/pkg/{binaries(package)[0].name}").status_code == 200


# -- files and changelog ------------------------------------------------------------------------


def test_files(http: httpx.Client, world: World) -> None:
    package = next(p for p in _live(world) if family(p.name) == "python")
    name = binaries(package)[0].name
    body = _get(http, f"/rawhide/files/{name}")
    assert set(body) == {"files", "repo"}
    assert body["repo"] == "release"
    rows = body["files"]
    assert rows
    assert [r["filenames"] for r in rows] == sorted(r["filenames"] for r in rows)  # ORDER BY
    paths: set[str] = set()
    for row in rows:
        assert set(row) == {"dirname", "filenames", "filetypes"}
        names = row["filenames"].split("/")
        assert len(names) == len(row["filetypes"])
        assert set(row["filetypes"]) <= {"f", "d", "g"}
        paths.update(f"{row['dirname']}/{n}" for n in names)
    assert f"/usr/share/licenses/{name}/LICENSE" in paths
    build = _koji(world, world.rawhide, package)
    assert build is not None
    assert any(
        p.startswith("/usr/lib/python3.14/site-packages/")
        and p.endswith(f"-{build.version}.dist-info")
        for p in paths
    )


def test_changelog(http: httpx.Client, world: World) -> None:
    package = max(_live(world), key=lambda p: len(world.builds_by_package[p.id]))
    build = _koji(world, world.rawhide, package)
    assert build is not None
    body = _get(http, f"/rawhide/changelog/{binaries(package)[0].name}")
    assert set(body) == {"changelogs", "repo"}
    entries = body["changelogs"]
    assert len(entries) > 3
    for entry in entries:
        assert set(entry) == {"author", "changelog", "date"}
        assert isinstance(entry["date"], int)
        assert entry["changelog"].startswith("- ")
    assert [e["date"] for e in entries] == sorted((e["date"] for e in entries), reverse=True)
    newest = entries[0]
    evr = f"{build.epoch}:" if build.epoch else ""
    evr += f"{build.version}-{build.release.rsplit('.fc', 1)[0]}"
    assert newest["author"].endswith(f"> - {evr}")
    assert newest["changelog"] == f"- {build.changelog}"
    owner = "releng" if build.owner == "releng" else world.users[build.owner].name
    assert f"<{owner}@fedoraproject.org>" in newest["author"]
    texts = {e["changelog"] for e in entries}
    history = {
        f"- {b.changelog}"
        for b in world.builds_by_package[package.id]
        if b.state is BuildState.COMPLETE and b.target == "rawhide"
    }
    assert history <= texts | {f"- {build.changelog}"}


# -- reverse lookups ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rawhide_objects(http: httpx.Client, world: World) -> list[dict[str, Any]]:
    """Every binary package of rawhide, as ``/rawhide/pkg`` serves it."""
    return [_get(http, f"/rawhide/pkg/{spec.name}") for p in _live(world) for spec in binaries(p)]


def _identity(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["basename"], obj["provides"][0]["name"]


@pytest.mark.parametrize("kind", KINDS)
def test_reverse_lookups_agree_with_the_packages(
    http: httpx.Client, kind: str, rawhide_objects: list[dict[str, Any]]
) -> None:
    holders: dict[str, set[tuple[str, str]]] = {}
    for obj in rawhide_objects:
        for dep in obj[kind]:
            holders.setdefault(dep["name"], set()).add(_identity(obj))
    assert holders, f"nobody {kind} anything"
    popular = sorted(holders, key=lambda n: (-len(holders[n]), n))
    for name in {*popular[:2], popular[-1]}:
        answer = _get(http, f"/rawhide/{kind}/{name}")
        assert isinstance(answer, list)
        for obj in answer:
            assert set(obj) == PACKAGE_KEYS
            assert any(d["name"] == name for d in obj[kind])
        assert {_identity(obj) for obj in answer} == holders[name], name


def test_reverse_lookups_reach_other_packages(
    http: httpx.Client, rawhide_objects: list[dict[str, Any]]
) -> None:
    """What one package requires, another one provides."""
    required = [
        (obj["basename"], d["name"])
        for obj in rawhide_objects
        for d in obj["requires"]
        if d["name"].startswith(("python3dist(", "perl(", "golang("))
        and "MODULE_COMPAT" not in d["name"]
        and d["name"] not in ("perl(strict)", "perl(warnings)")
        and not d["name"].startswith(obj["basename"] + "(")  # its own arch-specific binary
    ]
    assert required
    for source, capability in required[:25]:
        providers = _get(http, f"/rawhide/provides/{capability}")
        assert providers
        assert all(p["basename"] != source for p in providers)


def test_reverse_lookup_without_match_is_a_400(http: httpx.Client) -> None:
    for path in (
        "/rawhide/requires/no-such-thing",
        "/rawhide/provides/no-such-thing",
        "/nobranch/requires/python(abi)",
    ):
        response = http.get(path)
        assert (response.status_code, response.text) == (400, "400: Bad Request")


def test_source_branches_serve_build_requires(http: httpx.Client, world: World) -> None:
    package = next(p for p in _live(world) if family(p.name) == "python")
    build = _koji(world, world.rawhide, package)
    assert build is not None
    obj = _get(http, f"/src_rawhide/pkg/{package.name}")
    _check_package(obj, package, build)
    assert obj["arch"] == "src"
    assert "python3-devel" in {d["name"] for d in obj["requires"]}
    assert obj["provides"] == []
    users = _get(http, "/src_rawhide/requires/python3-devel")
    assert package.name in {u["basename"] for u in users}
    assert {u["arch"] for u in users} == {"src"}


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/f99/pkg/bash", 400, "400: Bad Request"),
        ("/f42/pkg/bash", 400, "400: Bad Request"),  # archived: mdapi has no database for it
        ("/rawhide/pkg/no-such-package", 404, "404: Not Found"),
        ("/rawhide/files/no-such-package", 404, "404: Not Found"),
        ("/rawhide/changelog/no-such-package", 404, "404: Not Found"),
        ("/rawhide/nonsense/bash", 404, "404: Not Found"),
        ("/nonsense", 404, "404: Not Found"),
    ],
)
def test_errors_have_aiohttps_bodies(http: httpx.Client, path: str, status: int, text: str) -> None:
    response = http.get(path)
    assert (response.status_code, response.text) == (status, text)
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"


def test_only_get(http: httpx.Client) -> None:
    response = http.post("/branches")
    assert (response.status_code, response.text) == (405, "405: Method Not Allowed")
