"""The public API of ``clients`` is deliberate: every public name exported, nothing else."""

from __future__ import annotations

import importlib
import types
from pathlib import Path

import pytest

PACKAGES = [
    "clients",
    "clients.koji",
    "clients.bodhi",
    "clients.bugzilla",
    "clients.mdapi",
    "clients.pagure",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_every_public_member(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert len(module.__all__) == len(exported)
    assert exported <= set(vars(module))
    # every public class, function and constant is exported (submodules may stay implicit)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and attr != "annotations"
        and not isinstance(value, types.ModuleType)
    }
    assert public <= exported


def test_clients_imports_nothing_of_the_gateway_or_the_simulator() -> None:
    root = Path(importlib.import_module("clients").__file__ or "").parent
    for source in root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for package in ("gateway", "simulator"):
            assert f"import {package}" not in text, source
            assert f"from {package}" not in text, source
