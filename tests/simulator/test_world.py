"""World consistency: the invariants every upstream view relies on, for any seed."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.catalog.loader import generated_world
from simulator.catalog.model import BuildState, UpdateStatus
from simulator.world import World

worlds = st.builds(
    lambda seed, size: generated_world(seed=seed, size=size),
    seed=st.integers(min_value=0, max_value=2**31),
    size=st.integers(min_value=20, max_value=90),
)
consistency = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _expected_tag(world: World, release_name: str, status: UpdateStatus, target: str) -> str | None:
    release = world.releases[release_name]
    if target == "rawhide":  # bodhi's automatic update of a rawhide build
        return release.dist_tag if status is UpdateStatus.STABLE else None
    return {
        UpdateStatus.PENDING: release.candidate_tag,
        UpdateStatus.TESTING: release.testing_tag,
        UpdateStatus.STABLE: release.stable_tag,
    }.get(status)


@consistency
@given(world=worlds)
def test_every_update_build_exists_and_carries_the_tag_its_status_implies(world: World) -> None:
    for update in world.updates.values():
        assert update.build_ids
        for build_id in update.build_ids:
            build = world.builds[build_id]
            assert build.state is BuildState.COMPLETE
            assert build.release.endswith(f".fc{world.releases[update.release].version}")
            expected = _expected_tag(world, update.release, update.status, build.target)
            if expected is not None:
                assert build.has_tag(expected), (update.alias, update.status, build.active_tags())
            if update.status in (UpdateStatus.OBSOLETE, UpdateStatus.UNPUSHED):
                release = world.releases[update.release]
                assert not build.has_tag(release.testing_tag)


@consistency
@given(world=worlds)
def test_latest_builds_agree_with_update_states(world: World) -> None:
    for release in world.releases.values():
        if release.is_rawhide or release.state == "archived":
            continue
        for name, updates in world.updates_by_package.items():
            package = world.packages[name]
            mine = [
                u
                for u in updates
                if u.release == release.name and world.builds[u.build_ids[0]].target != "rawhide"
            ]
            stable = [u for u in mine if u.status is UpdateStatus.STABLE]
            latest_stable = world.latest_tagged(release.stable_tag, package.id)
            if stable:
                newest = max(stable, key=lambda u: (u.date_stable or 0, u.id))
                assert latest_stable is not None
                assert latest_stable.id in newest.build_ids, (name, release.name)
            testing = [u for u in mine if u.status is UpdateStatus.TESTING]
            latest_testing = world.latest_tagged(release.testing_tag, package.id)
            if testing:
                assert latest_testing is not None
                assert any(latest_testing.id in u.build_ids for u in testing)
            elif latest_testing is not None:
                # nothing in testing: the testing view inherits the stable one
                assert latest_testing == latest_stable


@consistency
@given(world=worlds)
def test_every_bug_belongs_to_a_package_and_every_package_is_in_rawhide(world: World) -> None:
    for bug in world.bugs.values():
        assert bug.component in world.packages
        assert bug.created <= bug.changed <= world.now
        assert bug.is_open == (bug.resolution == "")
    rawhide = world.rawhide
    for package in world.packages.values():
        latest = world.latest_tagged("rawhide", package.id)
        assert latest is not None, package.name
        assert latest.state is BuildState.COMPLETE
        assert latest.has_tag(rawhide.dist_tag) or latest.has_tag("rawhide")


@consistency
@given(world=worlds)
def test_ids_grow_with_time_and_indexes_agree(world: World) -> None:
    builds = sorted(world.builds.values(), key=lambda b: b.id)
    for earlier, later in itertools.pairwise(builds):
        assert earlier.created <= later.created + 4 * 86_400  # mass rebuilds spread over 4 days
    for package_id, per_package in world.builds_by_package.items():
        assert [b.id for b in per_package] == sorted(b.id for b in per_package)
        assert all(b.package_id == package_id for b in per_package)
    for nvr, build in world.builds_by_nvr.items():
        assert build.nvr == nvr
    for alias, update in world.updates.items():
        assert update.alias == alias
        year = int(alias.split("-")[1])
        assert 2022 <= year <= 2026


def test_the_default_releases_are_f43_to_f45_and_rawhide_f46() -> None:
    world = generated_world(size=30)
    active = {r.name: r.state for r in world.active_releases()}
    assert active == {"F46": "pending", "F45": "current", "F44": "current", "F43": "current"}
    assert world.rawhide.name == "F46"
    for tag in (
        "f45",
        "f45-updates",
        "f45-updates-testing",
        "f45-updates-candidate",
        "rawhide",
        "f46",
    ):
        assert tag in world.tags
    assert world.tag_chain("f45-updates-testing") == ["f45-updates-testing", "f45-updates", "f45"]


def test_generation_is_deterministic_by_seed() -> None:
    first, second = generated_world(seed=11, size=80), generated_world(seed=11, size=80)
    other = generated_world(seed=12, size=80)
    assert [b.nvr for b in first.builds.values()] == [b.nvr for b in second.builds.values()]
    assert list(first.updates) == list(second.updates)
    assert list(first.packages) != list(other.packages)


def test_the_default_catalog_looks_like_fedora() -> None:
    world = generated_world(size=2000)
    names = list(world.packages)
    prefixes = ("python-", "rust-", "golang-", "perl-", "ghc-", "nodejs-", "texlive-", "R-", "php-")
    for prefix in prefixes:
        share = sum(n.startswith(prefix) for n in names) / len(names)
        assert 0.005 < share < 0.3, prefix
    plain = sum(not n.startswith(prefixes) for n in names) / len(names)
    assert 0.15 < plain < 0.45
    orphaned = sum(p.owner == "orphan" for p in world.packages.values()) / len(names)
    assert 0.01 < orphaned < 0.1
    builds = sorted(len(v) for v in world.builds_by_package.values())
    assert builds[len(builds) // 2] < 12  # most packages: a few builds
    assert builds[-1] > 60  # a busy few: many
    kernel = world.packages["kernel"]
    assert len(world.bugs_by_component["kernel"]) >= 100
    assert len(world.builds_by_package[kernel.id]) > 50
