"""The clients end to end against the simulated Fedora over real HTTP, checked against its world."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from clients import (
    KojiFault,
    RetryPolicy,
    UpstreamBadResponse,
    UpstreamNotFound,
    Upstreams,
    UpstreamUnavailable,
    bodhi,
    koji,
)
from simulator.app import Simulation, create_app
from simulator.catalog.model import Package
from simulator.world import World
from tests.conftest import LiveServer, free_port


def simulated(base: str, **options: Any) -> AbstractAsyncContextManager[Upstreams]:
    """The five clients on the simulated upstreams served at ``base``."""
    return Upstreams.open(
        koji_url=f"{base}/kojihub",
        mdapi_url=f"{base}/mdapi",
        bodhi_url=f"{base}/bodhi",
        bugzilla_url=f"{base}/bugzilla",
        pagure_url=f"{base}/pagure",
        **options,
    )


@pytest.fixture
async def upstreams(sim_server: LiveServer) -> AsyncIterator[Upstreams]:
    async with simulated(sim_server.url, upstream_timeout_s=10.0) as opened:
        yield opened


def busy_packages(world: World, count: int) -> list[Package]:
    """Packages with several builds, updates and bugs, in name order."""
    chosen = [
        package
        for package in sorted(world.packages.values(), key=lambda p: p.name)
        if len(world.builds_by_package[package.id]) >= 3
        and world.updates_by_package.get(package.name)
        and world.bugs_by_component.get(package.name)
    ]
    assert len(chosen) >= count, "the test world has too few busy packages"
    return chosen[:count]


@pytest.fixture(scope="module")
def package(world: World) -> Package:
    return busy_packages(world, 1)[0]


# -- koji ------------------------------------------------------------------------------------


async def test_koji_builds_of_a_package_newest_first(
    upstreams: Upstreams, world: World, package: Package
) -> None:
    expected = sorted(world.builds_by_package[package.id], key=lambda b: b.id, reverse=True)
    page = await upstreams.koji.list_builds(package.name, limit=3, offset=1)
    assert [b.id for b in page] == [b.id for b in expected[1:4]]
    for got, want in zip(page, expected[1:4], strict=True):
        assert (got.nvr, got.name, got.version, got.release) == (
            want.nvr,
            want.name,
            want.version,
            want.release,
        )
        assert got.state == int(want.state)
        assert got.owner_name == want.owner
        assert got.task_id == want.task_id
        assert got.package_id == package.id
        assert got.epoch == want.epoch
        assert got.creation_time is not None
        assert got.creation_time.timestamp() == pytest.approx(want.created, abs=1e-3)
    assert await upstreams.koji.count_builds(package.id) == len(expected)


async def test_koji_build_by_id_and_nvr_and_its_tags(
    upstreams: Upstreams, world: World, package: Package
) -> None:
    want = max(world.builds_by_package[package.id], key=lambda b: b.id)
    by_id = await upstreams.koji.get_build(want.id)
    by_nvr = await upstreams.koji.get_build(want.nvr)
    assert by_id is not None
    assert by_id == by_nvr
    assert by_id.state is koji.BuildState(int(want.state))
    tags = await upstreams.koji.list_tags(want.id)
    assert sorted(t.name for t in tags) == sorted(want.active_tags())
    assert await upstreams.koji.get_build(f"{package.name}-0-0.no.such") is None


async def test_koji_batch_is_one_multicall_and_keeps_faults_in_place(
    upstreams: Upstreams, simulation: Simulation, world: World, package: Package
) -> None:
    build = max(world.builds_by_package[package.id], key=lambda b: b.id)
    rawhide = world.rawhide.dist_tag
    before = simulation.stats.snapshot().get("koji", {}).get("operations", {})
    results = await upstreams.koji.batch(
        [
            koji.calls.get_build(build.id),
            koji.calls.get_latest_builds("no-such-tag", package.name),
            koji.calls.get_latest_builds(rawhide, package.name),
            koji.calls.get_package_id(package.name),
            koji.calls.get_user(package.owner if package.owner != "orphan" else build.owner),
            koji.calls.get_task_info(build.task_id or 0),
            koji.calls.count_builds(package.name),
        ]
    )
    after = simulation.stats.snapshot()["koji"]["operations"]
    assert isinstance(after, dict)
    assert isinstance(before, dict)
    assert after.get("multiCall", 0) - before.get("multiCall", 0) == 1
    got_build, fault, latest, package_id, user, task, count = results
    assert isinstance(got_build, koji.Build)
    assert got_build.id == build.id
    assert isinstance(fault, KojiFault)
    assert "no-such-tag" in fault.fault_string
    latest_build = world.latest_tagged(rawhide, package.id)
    assert isinstance(latest, list)
    assert [b.id for b in latest] == ([latest_build.id] if latest_build else [])
    assert package_id == package.id
    assert isinstance(user, koji.User)
    assert user.id == world.users[user.name].id
    assert isinstance(task, koji.Task)
    assert task.method == "build"
    assert count == len(world.builds_by_package[package.id])


# -- bodhi -----------------------------------------------------------------------------------


async def test_bodhi_updates_of_several_packages_with_an_unknown_one(
    upstreams: Upstreams, world: World
) -> None:
    first, second = busy_packages(world, 2)
    page = await upstreams.bodhi.list_updates(
        packages=[first.name, "no-such-package-anywhere", second.name], rows_per_page=1000
    )
    expected = {
        update.alias: update
        for name in (first.name, second.name)
        for update in world.updates_by_package[name]
    }
    assert page.unknown_packages == ("no-such-package-anywhere",)
    assert page.total == len(expected)
    assert {u.alias for u in page.updates} == set(expected)
    submitted = [u.date_submitted for u in page.updates]
    assert submitted == sorted(submitted, key=lambda d: d.timestamp() if d else 0, reverse=True)
    for update in page.updates:
        want = expected[update.alias]
        assert update.status == bodhi.UpdateStatus(want.status.value)
        assert update.release == want.release
        assert update.submitter == want.submitter
        assert [str(nvr) for nvr in update.builds] == [b.nvr for b in world.update_builds(want)]
        assert update.bug_ids == tuple(want.bug_ids)
        assert update.stable_karma == want.stable_karma


async def test_bodhi_one_update_and_the_releases(
    upstreams: Upstreams, world: World, package: Package
) -> None:
    want = world.updates_by_package[package.name][-1]
    update = await upstreams.bodhi.get_update(want.alias)
    assert update.alias == want.alias
    assert package.name in update.packages
    with pytest.raises(UpstreamNotFound):
        await upstreams.bodhi.get_update("FEDORA-1999-0000000000")
    releases = await upstreams.bodhi.list_releases()
    assert {r.name for r in releases} == set(world.releases)


# -- Bugzilla --------------------------------------------------------------------------------


async def test_bugzilla_bugs_of_a_component(
    upstreams: Upstreams, world: World, package: Package
) -> None:
    expected = {bug.id: bug for bug in world.bugs_by_component[package.name]}
    page = await upstreams.bugzilla.search_bugs([package.name], limit=1000)
    assert {bug.id for bug in page.bugs} == set(expected)
    assert page.total == len(expected)
    changed = [bug.last_change_time for bug in page.bugs]
    assert changed == sorted(changed, key=lambda d: d.timestamp() if d else 0, reverse=True)
    for bug in page.bugs:
        want = expected[bug.id]
        assert (bug.component, bug.status, bug.is_open) == (package.name, want.status, want.is_open)
        assert bug.summary == want.summary
        assert bug.resolution == (want.resolution or None)
    opened = await upstreams.bugzilla.search_bugs([package.name], is_open=True, limit=1000)
    assert {bug.id for bug in opened.bugs} == {i for i, b in expected.items() if b.is_open}
    assert await upstreams.bugzilla.count_bugs([package.name]) == len(expected)
    one = next(iter(expected.values()))
    assert (await upstreams.bugzilla.get_bug(one.id)).id == one.id
    with pytest.raises(UpstreamNotFound):
        await upstreams.bugzilla.get_bug(1)


# -- pagure and mdapi ------------------------------------------------------------------------


async def test_pagure_ownership(upstreams: Upstreams, world: World, package: Package) -> None:
    project = await upstreams.pagure.get_project(package.name)
    assert project.name == package.name
    assert project.owner == package.owner
    assert set(project.admins) <= set(package.admins)
    assert set(project.admins) | set(project.committers) | {project.owner} == {
        package.owner,
        *package.admins,
        *package.committers,
    }
    assert set(project.groups) == set(package.groups)
    with pytest.raises(UpstreamNotFound):
        await upstreams.pagure.get_project("no-such-package-anywhere")


async def test_mdapi_rawhide_package_is_what_koji_tagged(
    upstreams: Upstreams, world: World, package: Package
) -> None:
    latest = world.latest_tagged(world.rawhide.dist_tag, package.id)
    if latest is None:
        pytest.skip("the package has no rawhide build")
    found = await upstreams.mdapi.get_package("rawhide", package.name)
    assert (found.name, found.version, found.release) == (
        package.name,
        latest.version,
        latest.release,
    )
    assert package.name in found.co_packages
    assert {sub.name for sub in package.subpackages} <= set(found.co_packages)
    changelog = await upstreams.mdapi.get_changelog("rawhide", package.name)
    assert changelog.entries
    files = await upstreams.mdapi.get_files("rawhide", package.name)
    assert files.files
    assert "rawhide" in await upstreams.mdapi.list_branches()
    with pytest.raises(UpstreamNotFound):
        await upstreams.mdapi.get_package("rawhide", "no-such-package-anywhere")
    with pytest.raises(UpstreamNotFound):
        await upstreams.mdapi.get_package("f12", package.name)


# -- faults of the simulated upstreams ---------------------------------------------------------


@pytest.fixture(scope="module")
def faulty(world: World) -> Iterator[tuple[LiveServer, Simulation]]:
    """A simulation of the shared world with faults of its own, on its own port."""
    simulation = Simulation(world)
    with LiveServer(create_app(simulation), free_port()) as server:
        yield server, simulation


@pytest.fixture
def fault_plan(faulty: tuple[LiveServer, Simulation]) -> Iterator[Simulation]:
    _, simulation = faulty
    simulation.faults.update({"profile": "none"})
    simulation.stats.reset()
    yield simulation
    simulation.faults.update({"profile": "none"})


async def test_persistent_server_errors_are_unavailable_after_retries(
    faulty: tuple[LiveServer, Simulation], fault_plan: Simulation, package: Package
) -> None:
    server, _ = faulty
    fault_plan.faults.update({"bodhi": {"error_rate": 1.0}})
    retry = RetryPolicy(attempts=3, backoff_s=0.01, max_backoff_s=0.02)
    async with simulated(server.url, retry=retry) as opened:
        with pytest.raises(UpstreamUnavailable):
            await opened.bodhi.list_updates(packages=[package.name])
    assert fault_plan.stats.requests("bodhi") == 3


async def test_throttling_is_retried_then_unavailable(
    faulty: tuple[LiveServer, Simulation], fault_plan: Simulation, package: Package
) -> None:
    server, _ = faulty
    fault_plan.faults.update({"bugzilla": {"throttle_rate": 1.0, "retry_after_s": 30}})
    retry = RetryPolicy(attempts=2, max_retry_after_s=0.05)
    async with simulated(server.url, retry=retry) as opened:
        with pytest.raises(UpstreamUnavailable) as caught:
            await opened.bugzilla.search_bugs([package.name])
    assert caught.value.status == 429
    assert caught.value.retry_after == 30
    assert fault_plan.stats.requests("bugzilla") == 2


async def test_hung_requests_time_out_as_unavailable(
    faulty: tuple[LiveServer, Simulation], fault_plan: Simulation, package: Package
) -> None:
    server, _ = faulty
    fault_plan.faults.update({"pagure": {"timeout_rate": 1.0, "timeout_s": 2.0}})
    async with simulated(server.url, upstream_timeout_s=0.2, retry=RetryPolicy.none()) as opened:
        with pytest.raises(UpstreamUnavailable, match="timed out"):
            await opened.pagure.get_project(package.name)


async def test_malformed_bodies_are_bad_responses(
    faulty: tuple[LiveServer, Simulation], fault_plan: Simulation, package: Package
) -> None:
    server, _ = faulty
    fault_plan.faults.update({"koji": {"malformed_rate": 1.0}, "mdapi": {"malformed_rate": 1.0}})
    async with simulated(server.url, retry=RetryPolicy.none()) as opened:
        with pytest.raises(UpstreamBadResponse):
            await opened.koji.batch([koji.calls.get_build(1), koji.calls.get_package_id("x")])
        with pytest.raises(UpstreamBadResponse):
            await opened.mdapi.get_package("rawhide", package.name)
