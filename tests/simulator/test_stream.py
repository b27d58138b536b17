"""The automatic event stream: a steady rate of realistic events, stopped cleanly."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from simulator.bus import InProcessBus
from simulator.mutations import KINDS, MassRebuildResult, Mutator
from simulator.stream import KIND_WEIGHTS, EventStream
from simulator.world import World
from tests.simulator.test_messages import a_package, assert_fedora_message


@pytest.fixture
def bus() -> InProcessBus:
    return InProcessBus(history=100_000)


@pytest.fixture
def mutator(fresh_world: World, bus: InProcessBus) -> Mutator:
    return Mutator(fresh_world, bus)


async def test_the_stream_produces_events_at_roughly_its_rate(
    mutator: Mutator, bus: InProcessBus
) -> None:
    stream = EventStream(mutator, rate_per_minute=1200, seed=3)  # 20 per second
    started = time.monotonic()
    task = stream.start()
    await asyncio.sleep(2.0)
    assert not task.done()
    await stream.stop()
    elapsed = time.monotonic() - started
    assert task.done()
    assert not stream.running
    expected = 20 * elapsed
    assert 0.5 * expected <= stream.emitted <= 1.6 * expected, (stream.emitted, expected)
    assert stream.failed == 0
    assert bus.published > stream.emitted  # most events publish several messages
    for message in bus.recent()[-50:]:
        assert_fedora_message(message)
    after = bus.published
    await asyncio.sleep(0.2)
    assert bus.published == after  # nothing more once stopped


async def test_stopping_waits_for_events_in_flight(fresh_world: World, bus: InProcessBus) -> None:
    slow = Mutator(fresh_world, bus, step_delay=0.05)
    stream = EventStream(slow, rate_per_minute=6000, seed=1, kinds={"build": 1.0})
    stream.start()
    await asyncio.sleep(0.1)
    await stream.stop()
    builds = [m for m in bus.recent() if m.topic == "buildsys.build.state.change"]
    started = {m.body["build_id"] for m in builds if m.body["new"] == 0}
    completed = {m.body["build_id"] for m in builds if m.body["new"] == 1}
    assert started
    assert started == completed  # no build was left half-way
    assert stream.emitted == len(started)


async def test_run_as_a_task_and_stop(mutator: Mutator) -> None:
    stream = EventStream(mutator, rate_per_minute=600, seed=2)
    task = asyncio.create_task(stream.run())
    await asyncio.sleep(0.3)
    await stream.stop()
    await asyncio.wait_for(task, 2)
    assert task.done()
    assert not task.cancelled()


async def test_kinds_follow_their_weights_and_packages_their_activity(mutator: Mutator) -> None:
    stream = EventStream(mutator, seed=5)
    kinds = Counter(stream.choose_kind() for _ in range(20_000))
    assert set(kinds) == set(KINDS)
    total = sum(KIND_WEIGHTS.values())
    for kind, weight in KIND_WEIGHTS.items():
        assert kinds[kind] / 20_000 == pytest.approx(weight / total, abs=0.02)
    world = mutator.world
    picks = Counter(stream.choose_package() for _ in range(20_000))
    assert all(not world.packages[name].retired for name in picks)

    def activity(name: str) -> int:
        return len(world.builds_by_package[world.packages[name].id])

    busy = sorted(world.packages, key=activity)[-20:]
    quiet = sorted(world.packages, key=activity)[:200]
    assert sum(picks[n] for n in busy) / 20 > 3 * sum(picks[n] for n in quiet) / 200


async def test_a_failing_event_is_counted_and_the_stream_goes_on(
    mutator: Mutator, fresh_world: World
) -> None:
    stream = EventStream(mutator, seed=4, kinds={"update": 1.0})
    keep = a_package(fresh_world).name
    for package in fresh_world.packages.values():
        package.retired = package.name != keep  # only one live package left to pick
    for release in fresh_world.releases.values():
        if not release.is_rawhide:
            release.state = "archived"  # no branched release: updates cannot happen
    assert await stream.step() is None
    assert stream.failed == 1
    assert stream.emitted == 0


async def test_a_burst_of_builds_is_a_mass_rebuild(mutator: Mutator, bus: InProcessBus) -> None:
    stream = EventStream(mutator, seed=6)
    result = await stream.burst("build", count=200)
    assert isinstance(result, MassRebuildResult)
    assert result.builds == 200
    assert bus.published == 600
    bugs = await stream.burst("bug", count=5)
    assert isinstance(bugs, list)
    assert len(bugs) == 5
    assert {r.kind for r in bugs} == {"bug"}
    with pytest.raises(ValueError, match="unknown kind"):
        await stream.burst("nope", 1)


def test_bad_settings_are_refused(mutator: Mutator) -> None:
    with pytest.raises(ValueError, match="positive"):
        EventStream(mutator, rate_per_minute=0)
    with pytest.raises(ValueError, match="unknown kinds"):
        EventStream(mutator, kinds={"explode": 1.0})
