"""Names and queries folded the way people type them."""

from __future__ import annotations

import itertools

import pytest

from gateway.search.normalize import distance, fuzziness, key, partitions, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("python-requests", "pythonrequests"),
        ("Python_Requests", "pythonrequests"),
        ("python requests", "pythonrequests"),
        ("gtk+", "gtk"),
        ("d-bus", "dbus"),
        ("python3.14", "python314"),
        ("gcc-c++", "gccc"),
        ("ＦＩＲＥＦＯＸ", "firefox"),
        ("+-_.", ""),
    ],
)
def test_keys_run_the_words_together(text: str, expected: str) -> None:
    assert key(text) == expected


def test_words_split_on_every_separator() -> None:
    assert words("mod_ssl gtk+-Devel python3.14") == ["mod", "ssl", "gtk", "devel", "python3", "14"]


def test_the_typo_budget_grows_with_the_length() -> None:
    assert [fuzziness(n) for n in (1, 2, 3, 5, 6, 20)] == [0, 0, 1, 1, 2, 2]


def test_a_swap_of_neighbours_is_one_edit() -> None:
    assert distance("pyhton", "python", 2) == 1
    assert distance("firefx", "firefox", 2) == 1
    assert distance("abc", "xyzuv", 2) == 3


@pytest.mark.parametrize("length", range(4, 40))
def test_pieces_cover_the_key(length: int) -> None:
    pieces = partitions(length)
    assert len(pieces) == 4
    assert pieces[0][0] == 0
    assert sum(size for _, size in pieces) == length
    assert all(start + size == nxt for (start, size), (nxt, _) in itertools.pairwise(pieces))


def test_short_keys_have_no_pieces() -> None:
    assert partitions(3) == []
