"""The real Fedora catalog: seeds and world read from ../shared/data at run time.

The expectations are read from the same files, here, at run time: nothing of the
data is copied into the repository. The seeds and the world are built once per module.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from simulator.catalog import calendar
from simulator.catalog.real import (
    BUGS_FILE,
    END_MARGIN,
    ENV_SHARED_DIR,
    HISTORY_FILE,
    PACKAGES_FILE,
    CatalogDataMissingError,
    default_data_dir,
    real_seeds,
    real_world,
    resolve_data_dir,
)
from simulator.catalog.seed import Change, PackageSeed
from simulator.world import World
from tests.conftest import require_shared

NOW = calendar.DEFAULT_NOW
START = NOW - calendar.HISTORY_YEARS * 365 * 86_400
CLEAN_VERSION = re.compile(r"[A-Za-z0-9._+~^]+")


# -- the data, read the way a reader of the README would -------------------------------------


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return require_shared("data", PACKAGES_FILE).parent


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(data_dir / PACKAGES_FILE, "rb") as lines:
        return {row["name"]: row for row in map(orjson.loads, lines)}


@pytest.fixture(scope="module")
def history_rows(data_dir: Path) -> list[dict[str, str]]:
    with gzip.open(data_dir / HISTORY_FILE, "rt", encoding="utf-8", newline="") as text:
        return list(csv.DictReader(text))


@pytest.fixture(scope="module")
def seeds(data_dir: Path) -> dict[str, PackageSeed]:
    return {seed.name: seed for seed in real_seeds(data_dir, now=NOW)}


@pytest.fixture(scope="module")
def real(data_dir: Path) -> World:
    return real_world(data_dir, now=NOW)


def _final_version(seed: PackageSeed) -> str:
    versions = [entry.version for entry in seed.history if entry.change is Change.VERSION]
    return versions[-1] if versions else seed.version


# -- packages ------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_every_package_of_the_list_is_a_live_seed(
    seeds: dict[str, PackageSeed], rows: dict[str, dict[str, Any]]
) -> None:
    assert rows.keys() <= seeds.keys()
    assert not any(seeds[name].retired for name in rows)
    assert len(rows) > 20_000


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["bash", "kernel", "python-requests", "glibc", "systemd"])
def test_real_names_and_metadata(
    seeds: dict[str, PackageSeed], rows: dict[str, dict[str, Any]], name: str
) -> None:
    if name not in rows:
        pytest.skip(f"{name} is not in this snapshot of the data")
    seed, row = seeds[name], rows[name]
    assert seed.summary == row["summary"]
    assert seed.license == row["license"]
    assert seed.url == (row["url"] or "")
    assert seed.description == row["description"]
    assert seed.arch == ("noarch" if row["buildarch"] == "noarch" else None)
    assert seed.epoch == (int(row["epoch"]) if row["epoch"] is not None else None)


@pytest.mark.shared_data
def test_metadata_of_every_package(
    seeds: dict[str, PackageSeed], rows: dict[str, dict[str, Any]]
) -> None:
    for name, row in rows.items():
        seed = seeds[name]
        assert seed.summary == (row["summary"] or name), name
        assert seed.license == row["license"], name
        assert seed.arch == ("noarch" if row["buildarch"] == "noarch" else None), name


@pytest.mark.shared_data
def test_groups_follow_the_ecosystem_prefix(seeds: dict[str, PackageSeed]) -> None:
    assert seeds["python-requests"].groups == ["python-packagers-sig"]
    assert seeds["bash"].groups == []
    rust = [seed for name, seed in seeds.items() if name.startswith("rust-")]
    assert rust
    assert all(seed.groups == ["rust-sig"] for seed in rust)


@pytest.mark.shared_data
def test_subpackage_names_are_real(
    seeds: dict[str, PackageSeed], rows: dict[str, dict[str, Any]]
) -> None:
    assert [s.name for s in seeds["bash"].subpackages] == [
        s["name"] for s in rows["bash"]["subpackages"]
    ]
    for name, row in rows.items():
        real_names = [s["name"] for s in row["subpackages"] if "%" not in s["name"]]
        names = [s.name for s in seeds[name].subpackages]
        assert set(real_names) <= set(names), name
        assert all("%" not in sub for sub in names), name


@pytest.mark.shared_data
def test_owners_from_the_owner_alias(
    data_dir: Path, seeds: dict[str, PackageSeed], rows: dict[str, dict[str, Any]]
) -> None:
    alias: dict[str, list[str]] = json.loads((data_dir / "pagure_owner_alias.json").read_text())[
        "rpms"
    ]
    checked = 0
    for name in rows:
        people = alias.get(name, [])
        seed = seeds[name]
        if not people or people[0] == "orphan":
            assert seed.owner == "orphan", name
        else:
            assert seed.owner == people[0], name
            checked += 1
        team = {seed.owner, *seed.admins, *seed.committers} - {"orphan"}
        assert team == set(people) - {"orphan"}, name
    assert checked > 15_000
    assert seeds["bash"].owner == alias["bash"][0]


# -- history ---------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_version_is_the_list_version_without_later_change(
    seeds: dict[str, PackageSeed], rows: dict[str, dict[str, Any]]
) -> None:
    unchanged = 0
    for name, row in rows.items():
        if not CLEAN_VERSION.fullmatch(row["version"]):
            continue  # a version the spec parser left with unexpanded macros
        seed = seeds[name]
        if not any(entry.change is Change.VERSION for entry in seed.history):
            assert seed.version == row["version"], name
            unchanged += 1
        assert _final_version(seed) == row["version"], name
    assert unchanged > 5_000


@pytest.mark.shared_data
def test_history_is_time_ordered_inside_the_window(seeds: dict[str, PackageSeed]) -> None:
    entries = 0
    for seed in seeds.values():
        times = [entry.at for entry in seed.history]
        assert times == sorted(times), seed.name
        assert len(set(times)) == len(times), seed.name
        if times:
            assert times[0] >= START, seed.name
            assert times[-1] <= NOW - END_MARGIN, seed.name
            assert seed.created < times[0], seed.name
        entries += len(times)
    assert entries > 50_000


@pytest.mark.shared_data
def test_history_ends_just_before_now(seeds: dict[str, PackageSeed]) -> None:
    last = max(entry.at for seed in seeds.values() for entry in seed.history)
    assert NOW - END_MARGIN - 86_400 <= last <= NOW - END_MARGIN


@pytest.mark.shared_data
def test_version_updates_and_bumps(
    seeds: dict[str, PackageSeed], history_rows: list[dict[str, str]]
) -> None:
    bash = [row for row in history_rows if row["package"] == "bash"]
    updates = [row["version"] for row in bash if row["event"] == "version_update"]
    history = seeds["bash"].history
    assert [e.version for e in history if e.change is Change.VERSION] == updates
    assert seeds["bash"].version == bash[0]["version"]  # the baseline
    assert all(e.author is None or " " not in e.author for s in seeds.values() for e in s.history)


@pytest.mark.shared_data
def test_mass_rebuild_rows_are_no_history(
    seeds: dict[str, PackageSeed], history_rows: list[dict[str, str]]
) -> None:
    mass = [
        row
        for row in history_rows
        if row["event"] in ("release_bump", "spec_edit")
        and "_Mass_Rebuild" in row["changelog_text"]
    ]
    assert len(mass) > 40_000
    builds = sum(
        1 for row in history_rows if row["event"] in ("version_update", "release_bump", "spec_edit")
    )
    entries = sum(len(seed.history) for seed in seeds.values())
    assert entries <= builds - len(mass)
    assert not any("Mass_Rebuild" in e.changelog for s in seeds.values() for e in s.history)


@pytest.mark.shared_data
def test_added_and_removed_packages(
    seeds: dict[str, PackageSeed],
    rows: dict[str, dict[str, Any]],
    history_rows: list[dict[str, str]],
) -> None:
    removed = {row["package"] for row in history_rows if row["event"] == "removed"}
    gone = removed - rows.keys()
    assert gone
    assert all(seeds[name].retired for name in gone)
    first: dict[str, dict[str, str]] = {}
    for row in history_rows:
        first.setdefault(row["package"], row)
    added = [row for name, row in first.items() if row["event"] == "added" and name in rows]
    assert added
    for row in added:
        seed = seeds[row["package"]]
        assert START <= seed.created <= NOW, row["package"]
        if CLEAN_VERSION.fullmatch(row["version"]):
            assert seed.version == row["version"], row["package"]


# -- bugs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portingdb(data_dir: Path) -> list[dict[str, str]]:
    path = require_shared("data", BUGS_FILE)
    with path.open(encoding="utf-8", newline="") as text:
        return list(csv.DictReader(text))


@pytest.mark.shared_data
def test_real_bugs_keep_their_ids(
    seeds: dict[str, PackageSeed], portingdb: list[dict[str, str]]
) -> None:
    known = [row for row in portingdb if row["package"] in seeds]
    assert known
    for row in known[:200]:
        bugs = seeds[row["package"]].bugs
        assert bugs is not None
        bug = next(b for b in bugs if b.bug_id == int(row["bug_id"]))
        assert (bug.summary, bug.status, bug.resolution) == (
            row["short_desc"],
            row["status"],
            row["resolution"],
        )
        assert START <= bug.created <= bug.changed <= NOW
    with_bugs = {row["package"] for row in portingdb}
    assert all(seed.bugs is None for name, seed in seeds.items() if name not in with_bugs)


# -- the world -------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_world_serves_a_real_bug(real: World, portingdb: list[dict[str, str]]) -> None:
    row = next(
        (r for r in portingdb if r["package"] == "python-requests"),
        next(r for r in portingdb if r["package"] in real.packages),
    )
    bug = real.bugs[int(row["bug_id"])]
    assert bug.component == row["package"]
    assert bug.summary == row["short_desc"]


@pytest.mark.shared_data
def test_world_latest_rawhide_build_is_the_list_version(
    real: World, rows: dict[str, dict[str, Any]]
) -> None:
    rawhide = real.rawhide.dist_tag
    for name in ("bash", "kernel", "python-requests", "glibc"):
        if name not in rows:
            continue
        build = real.latest_tagged(rawhide, real.packages[name].id)
        assert build is not None
        assert build.version == rows[name]["version"]
    assert real.packages["bash"].summary == rows["bash"]["summary"]


@pytest.mark.shared_data
def test_world_mass_rebuilds_come_from_the_calendar(real: World) -> None:
    mass = [b for b in real.builds.values() if b.changelog and "_Mass_Rebuild" in b.changelog]
    assert mass
    assert all(b.owner == "releng" and b.target.endswith("-rebuild") for b in mass)


# -- where the data is -----------------------------------------------------------------------


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(CatalogDataMissingError) as caught:
        real_world(missing)
    assert isinstance(caught.value, FileNotFoundError)
    message = str(caught.value)
    assert str(missing) in message
    assert ENV_SHARED_DIR in message


def test_env_variable_points_at_the_shared_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_SHARED_DIR, str(tmp_path))
    assert default_data_dir() == tmp_path / "data"
    with pytest.raises(CatalogDataMissingError, match=re.escape(str(tmp_path / "data"))):
        resolve_data_dir()


def test_default_is_the_shared_directory_next_to_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_SHARED_DIR, raising=False)
    repo = Path(__file__).resolve().parents[2]
    assert default_data_dir() == repo.parent / "shared" / "data"


@pytest.mark.shared_data
def test_a_shared_directory_is_accepted_for_its_data(data_dir: Path) -> None:
    assert resolve_data_dir(data_dir.parent) == data_dir
    assert resolve_data_dir(data_dir) == data_dir
