"""Refill rounds: concurrent askers share a round, each key once, each told its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from gateway.invalidation.refill import RefillReport
from gateway.invalidation.rounds import RefillRounds


class Refills:
    """A refill that records each round's keys and can be held open or made to fail."""

    def __init__(self) -> None:
        self.rounds: list[list[str]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.started = asyncio.Event()
        self.failing: set[str] = set()

    async def __call__(self, keys: Sequence[str]) -> RefillReport:
        self.rounds.append(list(keys))
        self.started.set()
        await self.release.wait()
        if "boom" in keys:
            raise RuntimeError("the round failed")
        report = RefillReport()
        for key in keys:
            (report.failed if key in self.failing else report.written).append(key)
        return report


async def test_concurrent_askers_share_one_round_and_each_key_is_refilled_once() -> None:
    refills = Refills()
    rounds = RefillRounds(refills)
    first, second = await asyncio.gather(rounds.refill(["a", "b"]), rounds.refill(["b", "c", "c"]))
    assert refills.rounds == [["a", "b", "c"]]
    assert first.written == ["a", "b"]
    assert second.written == ["b", "c"]


async def test_each_asker_is_told_only_the_outcome_of_its_keys() -> None:
    refills = Refills()
    refills.failing = {"c"}
    rounds = RefillRounds(refills)
    fine, failed = await asyncio.gather(rounds.refill(["a"]), rounds.refill(["c"]))
    assert (fine.written, fine.failed) == (["a"], [])
    assert (failed.written, failed.failed) == ([], ["c"])


async def test_a_key_asked_during_its_round_is_refilled_again_in_a_later_round() -> None:
    refills = Refills()
    refills.release.clear()
    rounds = RefillRounds(refills)
    early = asyncio.create_task(rounds.refill(["a"]))
    await refills.started.wait()  # the round holding "a" runs (and began before this ask)
    late = asyncio.create_task(rounds.refill(["a"]))
    await asyncio.sleep(rounds.window_s * 3)
    refills.release.set()
    await asyncio.gather(early, late)
    assert refills.rounds == [["a"], ["a"]]


async def test_a_failed_round_fails_its_askers_and_the_next_round_still_runs() -> None:
    refills = Refills()
    rounds = RefillRounds(refills)
    with pytest.raises(RuntimeError, match="the round failed"):
        await rounds.refill(["boom", "x"])
    assert (await rounds.refill(["y"])).written == ["y"]


async def test_no_keys_need_no_round() -> None:
    refills = Refills()
    assert await RefillRounds(refills).refill([]) == RefillReport()
    assert refills.rounds == []


async def test_close_fails_the_askers_still_waiting() -> None:
    refills = Refills()
    refills.release.clear()
    rounds = RefillRounds(refills)
    waiting = asyncio.create_task(rounds.refill(["a"]))
    await refills.started.wait()
    await rounds.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
