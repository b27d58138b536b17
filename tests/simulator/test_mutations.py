"""Mutations: the world changes first, then Fedora's messages follow, all schema-valid."""

from __future__ import annotations

import asyncio
import time

import pytest

from simulator.bus import InProcessBus
from simulator.catalog.detail import RepositoryDetail, binaries, family
from simulator.catalog.model import BuildState, Package, Update, UpdateStatus
from simulator.messages import Message
from simulator.mutations import KINDS, Mutator, UnknownPackageError
from simulator.world import World
from tests.simulator.test_messages import a_package, assert_fedora_message


@pytest.fixture
def bus() -> InProcessBus:
    return InProcessBus(history=100_000)


@pytest.fixture
def mutator(fresh_world: World, bus: InProcessBus) -> Mutator:
    return Mutator(fresh_world, bus)


def published(bus: InProcessBus, ids: list[str]) -> list[Message]:
    by_id = {m.id: m for m in bus.recent()}
    return [by_id[i] for i in ids]


def check_all(bus: InProcessBus, ids: list[str], package: str | None = None) -> list[Message]:
    """Every message published validates; those about ``package`` name it."""
    batch = published(bus, ids)
    for message in batch:
        loaded = assert_fedora_message(message)
        if package is None:
            continue
        if message.topic.startswith("pagure."):
            assert message.body["project"]["name"] == package
        elif message.topic == "mdapi.repo.update":
            continue  # it lists binary RPMs, not the source (see the repo tests below)
        else:
            assert package in loaded.packages, message.topic
    return batch


def pending_testing(world: World, release_name: str) -> str:
    return f"{world.releases[release_name].testing_tag}-pending"


def expected_tag(world: World, update: Update) -> str | None:
    release = world.releases[update.release]
    return {
        UpdateStatus.PENDING: release.candidate_tag,
        UpdateStatus.TESTING: release.testing_tag,
        UpdateStatus.STABLE: release.stable_tag,
    }.get(update.status)


def assert_consistent(world: World) -> None:
    """The invariants the upstream views rely on (as the world tests state them)."""
    for update in world.updates.values():
        release = world.releases[update.release]
        for build in world.update_builds(update):
            assert build.state is BuildState.COMPLETE
            if build.target == "rawhide":  # bodhi's automatic update of a rawhide build
                if update.status is UpdateStatus.STABLE:
                    assert build.has_tag(release.dist_tag)
                continue
            tag = expected_tag(world, update)
            if tag is not None:
                assert build.has_tag(tag), (update.alias, update.status, build.active_tags())
            if update.status is UpdateStatus.OBSOLETE:
                assert not build.has_tag(release.testing_tag)
    for bug in world.bugs.values():
        assert bug.created <= bug.changed <= world.now
        assert bug.is_open == (bug.resolution == "")
    for package in world.packages.values():
        latest = world.latest_tagged("rawhide", package.id)
        assert latest is not None
        assert latest.state is BuildState.COMPLETE


# -- build and build_failed -----------------------------------------------------------------


async def test_a_build_lives_through_koji_and_bodhi_into_rawhide(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    world = fresh_world
    package = a_package(world)
    before = time.time()
    result = await mutator.apply("build", package.name)
    rawhide = world.rawhide
    build = world.builds[result.changed["build_id"]]
    assert build.nvr == result.changed["nvr"]
    assert build.state is BuildState.COMPLETE
    assert build.release.endswith(f".fc{rawhide.version}")
    assert build.created >= before - 1
    assert world.now >= build.created
    assert world.latest_tagged(rawhide.dist_tag, package.id) is build
    assert world.latest_tagged("rawhide", package.id) is build
    assert build.active_tags() == [rawhide.dist_tag]
    update = world.update_by_build[build.id]
    assert update.alias == result.changed["update"]
    assert update.status is UpdateStatus.STABLE
    assert update.request is None
    assert update.release == rawhide.name

    batch = check_all(bus, result.message_ids, package.name)
    assert result.topics == [m.topic for m in batch]
    states = [
        (m.body["old"], m.body["new"]) for m in batch if m.topic == "buildsys.build.state.change"
    ]
    assert states == [(None, 0), (0, 1)]
    tags = [
        (m.topic, m.body["tag"])
        for m in batch
        if m.topic.startswith("buildsys.") and "tag" in m.body
    ]
    assert tags[0] == ("buildsys.tag", rawhide.candidate_tag)
    assert ("buildsys.tag", rawhide.dist_tag) in tags
    assert tags[-1] == ("buildsys.untag", rawhide.candidate_tag)
    assert "bodhi.update.comment" in result.topics
    assert "bodhi.update.status.testing.koji-build-group.build.complete" in result.topics
    assert_consistent(world)


async def test_a_failed_build_is_never_tagged(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    package = a_package(fresh_world)
    latest = fresh_world.latest_tagged(fresh_world.rawhide.dist_tag, package.id)
    result = await mutator.apply("build_failed", package.name)
    build = fresh_world.builds[result.changed["build_id"]]
    assert build.state is BuildState.FAILED
    assert build.completed is not None
    assert build.active_tags() == []
    assert fresh_world.latest_tagged(fresh_world.rawhide.dist_tag, package.id) is latest
    batch = check_all(bus, result.message_ids, package.name)
    assert [(m.body["old"], m.body["new"]) for m in batch] == [(None, 0), (0, 3)]
    assert batch[1].body["completion_time"] is not None


async def test_a_build_after_a_failed_one_may_reuse_its_nvr(
    mutator: Mutator, fresh_world: World
) -> None:
    package = a_package(fresh_world)
    failed = await mutator.apply("build_failed", package.name)
    nvrs = {failed.changed["nvr"]}
    for _ in range(3):
        nvrs.add((await mutator.apply("build", package.name)).changed["nvr"])
    assert len(nvrs) >= 3  # every completed build has an NVR of its own
    completed = [b for b in fresh_world.builds_by_package[package.id] if b.state.name == "COMPLETE"]
    assert len({b.nvr for b in completed}) == len(completed)


# -- update ---------------------------------------------------------------------------------


async def test_an_update_lives_from_submission_to_stable(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    world = fresh_world
    package = a_package(world)
    steps: list[str] = []
    alias = None
    for _ in range(12):
        result = await mutator.apply("update", package.name)
        check_all(bus, result.message_ids, package.name)
        steps.append(result.changed["step"])
        alias = alias or result.changed["alias"]
        update = world.updates[result.changed["alias"]]
        assert update.alias == alias
        build = world.update_builds(update)[0]
        tag = expected_tag(world, update)
        assert tag is not None
        assert build.has_tag(tag), (steps, build.active_tags())
        assert_consistent(world)
        if update.status is UpdateStatus.STABLE:
            break
    release = world.releases[update.release]
    assert not release.is_rawhide
    assert steps[0] == "submitted"
    assert steps[1] == "testing"
    assert steps[-2:] == ["stable_requested", "stable"]
    assert set(steps[2:-2]) <= {"karma"}
    assert world.latest_tagged(release.stable_tag, package.id) is build
    assert build.active_tags() == [release.stable_tag]
    assert update.date_testing is not None
    assert update.date_stable is not None
    topics = [m.topic for m in bus.recent()]
    for topic in (
        "bodhi.update.request.testing",
        "bodhi.update.complete.testing",
        "bodhi.update.request.stable",
        "bodhi.update.complete.stable",
        "bodhi.update.comment",
    ):
        assert topic in topics
    if steps.count("karma") >= update.stable_karma:
        assert "bodhi.update.karma.threshold.reach" in topics


async def test_a_pending_update_waits_in_the_candidate_tag(
    mutator: Mutator, fresh_world: World
) -> None:
    package = a_package(fresh_world)
    result = await mutator.apply("update", package.name)
    update = fresh_world.updates[result.changed["alias"]]
    assert update.status is UpdateStatus.PENDING
    assert update.request == "testing"
    build = fresh_world.update_builds(update)[0]
    release = fresh_world.releases[update.release]
    assert build.release.endswith(f".fc{release.version}")
    assert set(build.active_tags()) == {
        release.candidate_tag,
        pending_testing(fresh_world, update.release),
    }
    assert result.changed["build_id"] == build.id


async def test_a_new_upstream_version_obsoletes_the_live_update(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    world = fresh_world
    package = a_package(world)
    first = await mutator.apply("update", package.name)
    await mutator.apply("update", package.name)  # to testing
    old = world.updates[first.changed["alias"]]
    old_build = world.update_builds(old)[0]
    for _ in range(40):  # rawhide builds until one brings a new version
        await mutator.apply("build", package.name)
        rawhide = world.latest_tagged(world.rawhide.dist_tag, package.id)
        assert rawhide is not None
        if rawhide.version != old_build.version:
            break
    else:
        pytest.fail("no rawhide build bumped the version")
    result = await mutator.apply("update", package.name)
    assert result.changed["step"] == "submitted"
    assert result.changed["obsoleted"] == old.alias
    assert old.status is UpdateStatus.OBSOLETE
    assert old.request is None
    release = world.releases[old.release]
    assert not old_build.has_tag(release.testing_tag)
    new = world.updates[result.changed["alias"]]
    assert world.update_builds(new)[0].version == rawhide.version
    batch = check_all(bus, result.message_ids, package.name)
    assert any(m.topic == "buildsys.untag" and m.body["tag"] == release.testing_tag for m in batch)
    assert_consistent(world)


# -- bug, owner, repo ---------------------------------------------------------------------


async def test_bugs_are_filed_and_move_along(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    package = a_package(fresh_world)
    actions = []
    for _ in range(10):
        result = await mutator.apply("bug", package.name)
        check_all(bus, result.message_ids, package.name)
        bug = fresh_world.bugs[result.changed["bug_id"]]
        assert bug.component == package.name
        assert bug.status == result.changed["status"]
        assert bug in fresh_world.bugs_by_component[package.name]
        actions.append(result.changed["action"])
        (message,) = published(bus, result.message_ids)
        assert message.body["bug"]["id"] == bug.id
        if result.changed["action"] == "new":
            assert message.topic == "bugzilla.bug.new"
            assert bug.status == "NEW"
        else:
            assert message.topic == "bugzilla.bug.update"
            change = message.body["event"]["changes"][0]
            assert change["field"] == "status"
            assert change["added"] == bug.status
    assert "new" in actions
    assert "update" in actions
    assert_consistent(fresh_world)


async def test_an_owner_change_is_announced_by_dist_git(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    package = a_package(fresh_world)
    old = package.owner
    result = await mutator.apply("owner", package.name)
    new = result.changed["owner"]
    assert package.owner == new != old
    assert result.changed["previous_owner"] == old
    assert old in package.admins
    assert new not in package.admins + package.committers
    assert new in fresh_world.users
    batch = check_all(bus, result.message_ids, package.name)
    assert batch[0].topic == "pagure.project.edit"
    assert batch[0].body["fields"] == ["user"]
    assert batch[0].body["project"]["access_users"]["owner"] == [new]
    assert any(m.topic == "pagure.project.user.added" and m.body["new_user"] == old for m in batch)


async def test_an_orphan_is_adopted(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    orphan = next(p for p in fresh_world.packages.values() if p.owner == "orphan")
    result = await mutator.apply("owner", orphan.name)
    assert orphan.owner == result.changed["owner"] != "orphan"
    assert "orphan" not in orphan.admins
    batch = check_all(bus, result.message_ids, orphan.name)
    assert batch[0].body["agent"] == orphan.owner


async def test_a_repo_update_lists_the_package(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    package = a_package(fresh_world)
    await mutator.apply("build", package.name)
    result = await mutator.apply("repo", package.name)
    assert result.changed["branch"] == "rawhide"
    (message,) = check_all(bus, result.message_ids, package.name)
    assert message.body["name"] == "rawhide"
    assert message.body["packages"] == [spec.name for spec in binaries(package)]
    await mutator.apply("update", package.name)
    await mutator.apply("update", package.name)  # pushed to testing: the branch's repo changed
    branched = await mutator.apply("repo", package.name)
    assert branched.changed["branch"] != "rawhide"
    check_all(bus, branched.message_ids, package.name)


@pytest.mark.parametrize("fam", ["plain", "python", "rust", "golang"])
async def test_a_repo_update_lists_exactly_the_binaries_mdapi_serves(
    fam: str, mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    """Python, Rust and Go sources build no RPM of their own name: mdapi never lists them."""
    store = RepositoryDetail(fresh_world)
    package = next(
        p
        for name, p in sorted(fresh_world.packages.items())
        if family(name) == fam and not p.retired and p.subpackages
    )
    result = await mutator.apply("repo", package.name)
    (message,) = check_all(bus, result.message_ids)
    located = store.locate(message.body["name"], package)
    assert located is not None
    listed = message.body["packages"]
    assert listed == result.changed["packages"]
    assert sorted(listed) == store.detail(package, *located).binary_names
    assert (package.name in listed) == (fam == "plain")


# -- errors, pacing, and many mutations -------------------------------------------------------


async def test_unknown_packages_and_kinds_are_refused(mutator: Mutator) -> None:
    with pytest.raises(UnknownPackageError):
        await mutator.apply("build", "no-such-package-anywhere")
    with pytest.raises(ValueError, match="unknown mutation"):
        await mutator.apply("explode", a_package(mutator.world).name)


async def test_a_retired_package_is_not_built(mutator: Mutator, fresh_world: World) -> None:
    package = a_package(fresh_world)
    package.retired = True
    for kind in ("build", "build_failed", "update"):
        with pytest.raises(ValueError, match="retired"):
            await mutator.apply(kind, package.name)


async def test_state_changes_before_its_message_with_lag_and_steps(
    fresh_world: World, bus: InProcessBus
) -> None:
    mutator = Mutator(fresh_world, bus, step_delay=0.02, lag=0.01)
    package = a_package(fresh_world)
    seen: list[tuple[Message, BuildState]] = []

    async def watch() -> None:
        async with bus.subscribe() as subscription:
            async for message in subscription:
                if message.topic == "buildsys.build.state.change":
                    build = fresh_world.builds[message.body["build_id"]]
                    seen.append((message, build.state))
                if len(seen) == 2:
                    return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0)
    started = time.perf_counter()
    result = await mutator.apply("build", package.name)
    elapsed = time.perf_counter() - started
    await asyncio.wait_for(watcher, 5)
    assert elapsed >= 6 * 0.02 + 7 * 0.01 * 0.9
    assert [(m.body["new"], state) for m, state in seen] == [
        (0, BuildState.BUILDING),
        (1, BuildState.COMPLETE),
    ]
    assert len(result.message_ids) > 10


async def test_many_random_mutations_keep_the_world_consistent(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    names = sorted(p.name for p in fresh_world.packages.values() if not p.retired)[:25]
    count = 0
    for index in range(120):
        kind = KINDS[index % len(KINDS)]
        result = await mutator.apply(kind, names[(index * 7) % len(names)])
        count += len(result.message_ids)
    assert count == len(bus.recent())
    for message in bus.recent():
        assert_fedora_message(message)
    assert_consistent(fresh_world)
    newest: dict[tuple[str, int], Update] = {}
    for update in fresh_world.updates.values():
        release = fresh_world.releases[update.release]
        build = fresh_world.update_builds(update)[0]
        if build.target == "rawhide" or release.state == "archived":
            continue
        if update.status is not UpdateStatus.STABLE:
            continue
        key = (release.stable_tag, build.package_id)
        if key not in newest or _stable_order(update) > _stable_order(newest[key]):
            newest[key] = update
    for (tag, package_id), update in newest.items():
        latest = fresh_world.latest_tagged(tag, package_id)
        assert latest is not None
        assert latest.id in update.build_ids


def _stable_order(update: Update) -> tuple[float, int]:
    return (update.date_stable or 0.0, update.id)


async def test_a_mass_rebuild_publishes_three_messages_per_build(
    mutator: Mutator, bus: InProcessBus, fresh_world: World
) -> None:
    packages: list[Package] = sorted(
        (p for p in fresh_world.packages.values() if not p.retired), key=lambda p: p.name
    )[:40]
    result = await mutator.mass_rebuild(count=100, packages=[p.name for p in packages])
    assert result.builds == 100
    assert len(result.build_ids) == 100
    assert result.messages == 300 == len(bus.recent())
    rawhide = fresh_world.rawhide
    for package in packages:
        latest = fresh_world.latest_tagged(rawhide.dist_tag, package.id)
        assert latest is not None
        assert latest.owner == "releng"
        assert latest.id in result.build_ids
    for message in bus.recent()[:30]:
        assert_fedora_message(message)
    order: dict[int, list[str]] = {}
    for message in bus.recent():
        order.setdefault(message.body["build_id"], []).append(
            message.topic if message.topic == "buildsys.tag" else str(message.body["new"])
        )
    assert all(seq == ["0", "1", "buildsys.tag"] for seq in order.values())
    assert_consistent(fresh_world)
