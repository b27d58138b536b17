"""Repository detail materialized from the world: repositories, binaries, files, changelogs.

The detail is generated, but never free: the build of each repository is koji's,
changelog entries are the package's builds, dependencies point at packages of the
world, and the same world always yields the same detail.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest

from simulator.catalog.detail import (
    KINDS,
    Binary,
    PackageDetail,
    RepositoryDetail,
    binaries,
    branches,
    description,
    family,
    repos,
)
from simulator.catalog.model import Build, BuildState, Package, Release, Subpackage
from simulator.world import World
from tests.conftest import require_shared


@pytest.fixture(scope="module")
def store(world: World) -> RepositoryDetail:
    return RepositoryDetail(world)


def _branched(world: World) -> list[Release]:
    return [r for r in world.active_releases() if not r.is_rawhide]


def _of_family(world: World, name: str) -> Package:
    return next(
        p
        for p in sorted(world.packages.values(), key=lambda p: p.name)
        if family(p.name) == name and p.subpackages and not p.retired
    )


def _rawhide(store: RepositoryDetail, package: Package) -> PackageDetail:
    located = store.locate("rawhide", package)
    assert located is not None, package.name
    return store.detail(package, *located)


def _all_rawhide(store: RepositoryDetail) -> Iterator[tuple[PackageDetail, Binary]]:
    for package in store.world.packages.values():
        located = store.locate("rawhide", package)
        if located is not None:
            detail = store.detail(package, *located, remember=False)
            for binary in detail.binaries:
                yield detail, binary


# -- repositories ------------------------------------------------------------------------


def test_branches_are_the_active_releases(world: World) -> None:
    active = [r.branch for r in world.releases.values() if r.state in ("current", "pending")]
    expected = sorted([*active, "koji", *(f"src_{b}" for b in active)])
    assert branches(world) == expected
    assert {"rawhide", "f45", "f44", "f43"} <= set(expected)
    archived = [r.branch for r in world.releases.values() if r.state == "archived"]
    assert archived, "the world has archived releases"
    for branch in (*archived, "f99", "epel9", "src_koji", ""):
        assert repos(world, branch) is None


def test_rawhide_is_one_repository_fed_by_the_rawhide_tag(world: World) -> None:
    (repo,) = repos(world, "rawhide") or ()
    assert repo.kind == "release"
    assert repo.tags == ("rawhide", world.rawhide.dist_tag)
    assert repos(world, "koji") is not None


@pytest.mark.parametrize("branch", ["rawhide", "f45", "f44", "f43"])
def test_the_build_of_a_branch_is_kojis_latest(
    world: World, store: RepositoryDetail, branch: str
) -> None:
    """mdapi's newest-repository-first search finds exactly getLatestBuilds of the top tag."""
    release = next(r for r in world.active_releases() if r.branch == branch)
    top = "rawhide" if release.is_rawhide else release.testing_tag
    kinds: Counter[str] = Counter()
    for package in world.packages.values():
        located = store.locate(branch, package)
        koji = world.latest_tagged(top, package.id)
        assert (located[1] if located else None) is koji, package.name
        if located is None:
            continue
        repo, build = located
        kinds[repo.kind] += 1
        if release.is_rawhide:
            assert repo.kind == "release"
        else:
            tag = {
                "updates-testing": release.testing_tag,
                "updates": release.stable_tag,
                "release": release.dist_tag,
            }[repo.kind]
            assert build.has_tag(tag), (package.name, repo.kind)
    assert kinds["release"] > 0
    if not release.is_rawhide:
        assert kinds["updates"] > 0


def test_every_repository_kind_answers_somewhere(world: World, store: RepositoryDetail) -> None:
    seen = {
        located[0].kind
        for release in _branched(world)
        for package in world.packages.values()
        if (located := store.locate(release.branch, package)) is not None
    }
    assert seen == {"updates-testing", "updates", "release"}


def test_a_new_testing_build_moves_the_answer(fresh_world: World) -> None:
    world = fresh_world
    store = RepositoryDetail(world)
    release = _branched(world)[0]
    package, repo, base = next(
        (p, *located)
        for p in world.packages.values()
        if (located := store.locate(release.branch, p)) is not None and located[0].kind == "release"
    )
    before = store.detail(package, repo, base)
    build = world.add_build(
        Build(
            id=next(world.counters.build),
            package_id=package.id,
            name=package.name,
            version=base.version,
            release=f"99.fc{release.version}",
            epoch=base.epoch,
            state=BuildState.COMPLETE,
            owner=package.owner,
            task_id=None,
            created=world.now,
            completed=world.now,
            creation_event=world.next_event(),
            target=f"{release.dist_tag}-candidate",
            changelog="Fix the thing",
        )
    )
    world.tag_build(build, release.testing_tag, user="bodhi", at=world.now)
    located = store.locate(release.branch, package)
    assert located is not None
    repo, found = located
    assert (repo.kind, found) == ("updates-testing", build)
    after = store.detail(package, repo, build)
    assert after is not before
    assert after.changelog[0].build_id == build.id
    assert after.changelog[0].text == "- Fix the thing"
    assert after.binaries[0].dependencies["provides"][0].release == f"99.fc{release.version}"


# -- binaries and dependencies -----------------------------------------------------------------


def test_headless_families_build_only_their_subpackages(world: World) -> None:
    for fam in ("python", "rust", "golang"):
        package = _of_family(world, fam)
        names = [b.name for b in binaries(package)]
        assert package.name not in names
        assert names == [s.name for s in package.subpackages]
    plain = next(p for p in world.packages.values() if family(p.name) == "plain" and p.subpackages)
    assert [b.name for b in binaries(plain)] == [plain.name, *(s.name for s in plain.subpackages)]


def _provided(binary: Binary) -> set[str]:
    return {dep.name for dep in binary.dependencies["provides"]}


def test_provides_name_the_binary_and_its_ecosystem(world: World, store: RepositoryDetail) -> None:
    python = _rawhide(store, _of_family(world, "python"))
    binary = python.binary("python3-" + python.package.name.removeprefix("python-"))
    assert binary is not None
    dist = binary.name.removeprefix("python3-").lower().replace("_", "-")
    assert {binary.name, f"python3dist({dist})", f"python3.14dist({dist})"} <= _provided(binary)
    version = next(d for d in binary.dependencies["provides"] if d.name == f"python3dist({dist})")
    assert (version.flags, version.version, version.release) == ("EQ", python.build.version, None)

    rust = _rawhide(store, _of_family(world, "rust"))
    crate = rust.package.name.removeprefix("rust-")
    devel = rust.binary(f"{rust.package.name}-devel")
    assert devel is not None
    assert f"crate({crate})" in _provided(devel)
    default = rust.binary(f"{rust.package.name}+default-devel")
    assert default is not None
    assert f"crate({crate}/default)" in _provided(default)

    perl = _rawhide(store, next(p for p in world.packages.values() if family(p.name) == "perl"))
    module = "::".join(perl.package.name.removeprefix("perl-").split("-"))
    assert f"perl({module})" in _provided(perl.binaries[0])

    golang = _rawhide(store, _of_family(world, "golang"))
    assert any(name.startswith("golang(") for name in _provided(golang.binaries[0]))

    for detail in (python, rust, perl, golang):
        for one in detail.binaries:
            own = next(d for d in one.dependencies["provides"] if d.name == one.name)
            assert (own.flags, own.version, own.release) == (
                "EQ",
                detail.build.version,
                detail.build.release,
            )
            assert own.epoch == str(detail.build.epoch or 0)


def test_requirements_are_provided_by_other_packages_of_the_world(store: RepositoryDetail) -> None:
    """Every python3dist/perl/golang/crate/soname requirement has a provider in rawhide."""
    providers: dict[str, set[str]] = {}
    requirements: list[tuple[str, str]] = []
    for detail, binary in _all_rawhide(store):
        for dep in binary.dependencies["provides"]:
            providers.setdefault(dep.name, set()).add(detail.package.name)
        for dep in binary.dependencies["requires"]:
            name = dep.name
            if name.startswith("("):  # a rich dependency: its first capability
                name = name[1:].split(" ", 1)[0]
            if name.startswith(("python3dist(", "perl(", "golang(", "crate(", "lib", "npm(")):
                requirements.append((detail.package.name, name))
    assert len(requirements) > 50
    cross = 0
    for source, capability in requirements:
        if capability in ("perl(strict)", "perl(warnings)") or "MODULE_COMPAT" in capability:
            continue
        assert capability in providers, (source, capability)
        cross += source not in providers[capability]
    assert cross > 50, "most requirements point at other packages"


def test_reverse_lookups_find_every_holder(store: RepositoryDetail) -> None:
    by_kind: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    holders: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for detail, binary in _all_rawhide(store):
        for kind in KINDS:
            for dep in binary.dependencies[kind]:
                by_kind[kind][dep.name] += 1
                holders.setdefault((kind, dep.name), set()).add((detail.package.name, binary.name))
    for kind in KINDS:
        assert by_kind[kind], f"nobody {kind} anything"
        for name, _ in by_kind[kind].most_common(3) + by_kind[kind].most_common()[-2:]:
            found = {(d.package.name, b.name) for d, b in store.dependents("rawhide", kind, name)}
            assert found == holders[(kind, name)], (kind, name)
    assert store.dependents("rawhide", "requires", "no-such-capability") == []
    assert store.dependents("f99", "requires", "python(abi)") == []


def test_source_repositories_carry_build_requires(world: World, store: RepositoryDetail) -> None:
    package = _of_family(world, "python")
    located = store.locate("src_rawhide", package)
    assert located is not None
    detail = store.detail(package, *located)
    (srpm,) = detail.binaries
    assert (srpm.name, srpm.arch) == (package.name, "src")
    requires = {d.name for d in srpm.dependencies["requires"]}
    assert "python3-devel" in requires
    assert all(not srpm.dependencies[k] for k in KINDS if k != "requires")
    users = {
        d.package.name for d, _ in store.dependents("src_rawhide", "requires", "python3-devel")
    }
    assert package.name in users
    assert all(family(name) == "python" for name in users)


# -- descriptions, files, changelogs -------------------------------------------------------------


def test_descriptions_are_made_from_the_summary_when_missing(fresh_world: World) -> None:
    world = fresh_world
    package = next(p for p in world.packages.values() if p.description is None)
    made = description(world.seed, package)
    assert package.summary.rstrip(".") in made.replace("\n", " ")
    assert len(made) > len(package.summary) + 40
    assert made == description(world.seed, package)
    package.description = "A package described by its packager."
    store = RepositoryDetail(world)
    detail = _rawhide(store, package)
    assert detail.binaries[0].description == "A package described by its packager."


def test_files_are_grouped_by_directory(world: World, store: RepositoryDetail) -> None:
    for fam in ("python", "rust", "plain", "perl", "golang"):
        detail = _rawhide(store, _of_family(world, fam))
        for binary in detail.binaries:
            groups = detail.files(binary.name)
            assert groups, binary.name
            dirs = [g.dirname for g in groups]
            assert len(dirs) == len(set(dirs))
            for group in groups:
                assert len(group.filenames) == len(group.filetypes) > 0
                assert set(group.filetypes) <= {"f", "d", "g"}
                assert all("/" not in name for name in group.filenames)
    python = _rawhide(store, _of_family(world, "python"))
    binary = python.binaries[0]
    paths = {f"{g.dirname}/{n}" for g in python.files(binary.name) for n in g.filenames}
    assert f"/usr/share/licenses/{binary.name}/LICENSE" in paths
    assert any(
        p.startswith("/usr/lib/python3.14/site-packages/")
        and p.endswith(f"-{python.build.version}.dist-info")
        for p in paths
    )
    rust = _rawhide(store, _of_family(world, "rust"))
    crate = rust.package.name.removeprefix("rust-")
    paths = {
        f"{g.dirname}/{n}" for g in rust.files(f"{rust.package.name}-devel") for n in g.filenames
    }
    assert f"/usr/share/cargo/registry/{crate}-{rust.build.version}/Cargo.toml" in paths


def _evr(build: Build) -> str:
    epoch = f"{build.epoch}:" if build.epoch else ""
    return f"{epoch}{build.version}-{build.release.rsplit('.fc', 1)[0]}"


def test_changelog_lists_the_builds_of_the_branch(world: World, store: RepositoryDetail) -> None:
    package = max(world.packages.values(), key=lambda p: len(world.builds_by_package[p.id]))
    detail = _rawhide(store, package)
    entries = detail.changelog
    assert entries[0].build_id == detail.build.id
    assert [e.date for e in entries] == sorted((e.date for e in entries), reverse=True)
    expected = {
        b.id
        for b in world.builds_by_package[package.id]
        if b.state is BuildState.COMPLETE
        and not b.target.endswith("-candidate")
        and b.created <= detail.build.created
    }
    assert {e.build_id for e in entries} == expected
    for entry in entries:
        build = world.builds[entry.build_id]
        assert entry.evr == _evr(build)
        assert entry.text == f"- {build.changelog}"
        assert entry.date % 86_400 == 43_200
        assert 0 <= build.created - entry.date + 43_200 < 86_400
        if build.owner == "releng":
            assert entry.author == "Fedora Release Engineering <releng@fedoraproject.org>"
        else:
            user = world.users[build.owner]
            assert entry.author == f"{user.fullname} <{user.email}>"


def test_a_branch_changelog_leaves_out_later_rawhide_work(
    world: World, store: RepositoryDetail
) -> None:
    for release in _branched(world):
        for package in world.packages.values():
            located = store.locate(release.branch, package)
            if located is None or located[0].kind != "updates":
                continue
            detail = store.detail(package, *located)
            for entry in detail.changelog:
                build = world.builds[entry.build_id]
                dist = int(build.release.rsplit(".fc", 1)[1])
                assert dist <= release.version, (package.name, build.nvr)
                assert build.target in (
                    "rawhide",
                    f"{release.dist_tag}-candidate",
                ) or build.target.endswith("-rebuild"), build.target
            return
    pytest.fail("no package has an update in a branched release")


# -- the store ----------------------------------------------------------------------------------


def test_the_cache_stays_small_and_answers_are_deterministic(world: World) -> None:
    store = RepositoryDetail(world, cache_size=8)
    packages = sorted(world.packages.values(), key=lambda p: p.name)[:40]
    first = [_rawhide(store, p) for p in packages]
    assert len(store) == 8
    again = _rawhide(store, packages[-1])
    assert again is first[-1]
    other = RepositoryDetail(world)
    for detail in first:
        twin = _rawhide(other, detail.package)
        assert twin.binaries == detail.binaries
        assert twin.changelog == detail.changelog
        for binary in detail.binaries:
            assert twin.files(binary.name) == detail.files(binary.name)


def test_binary_names_follow_fedora_conventions() -> None:
    """Binary names of a real mdapi message map onto the roles the generator knows."""
    body = json.loads(require_shared("fixtures", "bus", "mdapi.repo.update.body.json").read_text())
    names: list[str] = body["packages"]
    for name in names:
        if name.startswith("python3-"):
            source = "python-" + name.removeprefix("python3-")
        elif name.endswith(("-doc", "-devel", "-libs", "-headless", "-debug")):
            source = name.rsplit("-", 1)[0]
        else:
            continue
        package = Package(
            id=1,
            name=source,
            summary="s",
            license="MIT",
            url="",
            owner="o",
            admins=[],
            committers=[],
            groups=[],
            created=0.0,
            subpackages=[Subpackage(name, "s")],
        )
        roles = {b.name: b.role for b in binaries(package)}
        assert name in roles
        if name.startswith("python3-"):
            assert roles[name] == "python3"
        elif name.endswith(("-doc", "-devel", "-libs")):
            assert roles[name] == name.rsplit("-", 1)[1]
