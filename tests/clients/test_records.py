"""Records are frozen and read back their own JSON, so a cache can store them."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from clients import bodhi, bugzilla, koji, mdapi, pagure
from clients.record import Record
from tests.clients.test_bodhi import update_json
from tests.clients.test_bugzilla import bug_json
from tests.clients.test_koji import build_map
from tests.clients.test_mdapi import PACKAGE
from tests.clients.test_pagure import project_json

SAMPLES: list[tuple[type[Record], dict[str, Any]]] = [
    (koji.Build, build_map()),
    (koji.TaggedBuild, {**build_map(), "tag_id": 3, "tag_name": "f45", "create_event": 9}),
    (bodhi.Update, update_json("FEDORA-2026-0a1b2c3d4e", "zsh-5.9-8.fc45")),
    (bugzilla.Bug, bug_json(2400001)),
    (pagure.Project, project_json()),
    (mdapi.Package, {**PACKAGE, "name": "zsh"}),
    (
        mdapi.Files,
        {"files": [{"dirname": "/usr/bin", "filenames": "zsh", "filetypes": "f"}], "repo": "x"},
    ),
    (
        mdapi.Changelog,
        {"changelogs": [{"author": "A <a@b.c> - 1-1", "changelog": "- x", "date": 1}]},
    ),
]


@pytest.mark.parametrize(("model", "raw"), SAMPLES, ids=[m.__name__ for m, _ in SAMPLES])
def test_a_record_reads_back_its_own_json(model: type[Record], raw: dict[str, Any]) -> None:
    record = model.model_validate(raw)
    assert model.model_validate(record.model_dump(mode="json")) == record
    assert model.model_validate_json(record.model_dump_json()) == record


def test_records_are_frozen() -> None:
    build = koji.Build.model_validate(build_map())
    with pytest.raises(pydantic.ValidationError):
        build.nvr = "other-1-1"
