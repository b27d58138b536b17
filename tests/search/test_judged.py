"""The judged set itself: well-formed, varied enough, and no query judged twice."""

from __future__ import annotations

from collections import Counter

from tests.search.relevance import load_judged

KINDS = {"name", "subpackage", "prefix", "typo", "words"}


def test_the_judged_set_is_well_formed() -> None:
    judged = load_judged()
    assert len(judged) >= 60
    assert {q.kind for q in judged} == KINDS
    assert all(count >= 10 for count in Counter(q.kind for q in judged).values())
    assert len({q.text for q in judged}) == len(judged)
    assert all(q.text.strip() and q.expect for q in judged)
    assert all(q.expect not in q.also for q in judged)
