"""Cache keys read back into the recipes that made them; tags are stable strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.invalidation import keys
from gateway.invalidation.keys import Recipe

args = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=30))
names = st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True)


@given(
    type=st.sampled_from(["Package", "Build", "Update", "Bug", "Query"]),
    id=st.text(max_size=40),
    field=names,
    arguments=st.dictionaries(names, args, max_size=5),
)
def test_a_key_parses_back_into_its_recipe(
    type: str, id: str, field: str, arguments: dict[str, keys.Arg]
) -> None:
    recipe = Recipe.of(type, id, field, **arguments)
    assert Recipe.parse(recipe.key) == recipe


def test_arguments_are_normalized_by_name() -> None:
    one = Recipe.of("Package", "bash", "builds", first=10, after=None, state="COMPLETE")
    two = Recipe.of("Package", "bash", "builds", state="COMPLETE", after=None, first=10)
    assert one == two
    assert one.key == two.key == "v2:f:Package:bash:builds:after=~&first=#10&state=COMPLETE"
    assert Recipe.of("Package", "bash", "builds", first="10").key != one.key


def test_keys_of_other_versions_are_refused() -> None:
    with pytest.raises(ValueError, match="not a v2 field key"):
        Recipe.parse("v1:f:Package:bash:builds:")
    with pytest.raises(ValueError):
        Recipe.parse("nonsense")


def test_tags() -> None:
    assert keys.package("bash", "koji") == "pkg.koji:bash"
    assert keys.package("bash", "pagure") == "pkg.pagure:bash"
    with pytest.raises(ValueError, match="unknown source"):
        keys.package("bash", "datagrepper")
    assert keys.build(123) == "build:123"
    assert keys.update("FEDORA-2026-1a2b3c4d5e") == "update:FEDORA-2026-1a2b3c4d5e"
    assert keys.component("kernel") == "component:kernel"
    assert keys.release("F45") == keys.release("f45") == "release:f45"
    assert keys.generation_key(keys.package("bash", "koji")) == "v2:g:pkg.koji:bash"
