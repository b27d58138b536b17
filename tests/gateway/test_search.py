"""Search through the gateway: the index built from the upstreams at start-up, kept current by
the worker from bus events, rebuilt by ``fedora-gateway reindex``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.catalog.loader import generated_world
from tests.conftest import LiveServer, upstream_env
from tests.subscriptions.conftest import LiveSystem

SEARCH = """
query($q: String!, $release: String) {
  search(query: $q, first: 5, release: $release) {
    totalCount
    nodes { name matched subpackage package { name } }
  }
}
"""


class Searching(LiveSystem):
    def search(self, text: str, release: str | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": SEARCH, "variables": {"q": text, "release": release}},
            timeout=30,
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        found: dict[str, Any] = body["data"]["search"]
        return found


@pytest.fixture(scope="module")
def system() -> Iterator[Searching]:
    searching = Searching(generated_world(size=300), search_build_on_start=True)
    with searching.server:
        searching.wait_for(lambda: searching.gateway.state.search.ready, timeout=60)
        yield searching
    searching.sim.close()


def _with_subpackage(system: Searching) -> tuple[str, str]:
    for package in sorted(system.world.packages.values(), key=lambda p: p.name):
        detail = system.sim.get(f"/mdapi/rawhide/srcpkg/{package.name}")
        if detail.status_code != 200:
            continue
        others = [n for n in detail.json().get("co-packages", []) if n != package.name]
        if others:
            return package.name, others[0]
    raise AssertionError("no package with a sub-package")


def test_the_index_is_built_from_the_upstreams_at_start_up(system: Searching) -> None:
    name = sorted(system.world.packages)[3]
    found = system.search(name)
    assert found["nodes"][0] == {
        "name": name,
        "matched": "name",
        "subpackage": None,
        "package": {"name": name},
    }


def test_a_subpackage_name_leads_to_its_source_package(system: Searching) -> None:
    source, subpackage = _with_subpackage(system)
    first = system.search(subpackage)["nodes"][0]
    assert (first["name"], first["subpackage"]) == (source, subpackage)
    assert first["matched"] in {"name", "subpackage"}  # a sub-package may share the name


def test_a_typo_finds_the_package(system: Searching) -> None:
    name = next(n for n in sorted(system.world.packages) if len(n) > 8)
    typo = name[:3] + name[4:]  # one letter dropped
    assert name in [hit["name"] for hit in system.search(typo)["nodes"]]


def test_a_new_package_is_found_without_a_reindex(system: Searching) -> None:
    name = "sorbet-dashboard-tool"
    assert name not in [hit["name"] for hit in system.search(name)["nodes"]]
    system.event(
        "package",
        package=name,
        summary="Track frozen dessert stocks",
        description="A terminal dashboard for sorbet inventories.",
    )
    system.wait_for(lambda: system.search(name)["nodes"][:1] != [], timeout=20)
    first = system.search(name)["nodes"][0]
    assert (first["name"], first["matched"]) == (name, "name")
    assert name in [hit["name"] for hit in system.search("sorbet inventories")["nodes"]]


def test_a_new_description_is_found_without_a_reindex(system: Searching) -> None:
    """Only mdapi's repository update says so: no dist-git message names the package."""
    name = next(
        n
        for n in sorted(system.world.packages)[13:]
        if not system.world.packages[n].retired
        and system.sim.get(f"/mdapi/rawhide/srcpkg/{n}").status_code == 200
    )
    index = system.gateway.state.search.index

    def names(text: str) -> list[str]:
        return [hit["name"] for hit in system.search(text)["nodes"]]

    def summary() -> str:
        found = asyncio.run(index.get(name))
        assert found is not None
        return found.summary

    assert name not in names("zyxquorbant")
    system.event("describe", package=name, description="Renders zyxquorbant lattices.")
    system.wait_for(lambda: name in names("zyxquorbant"), timeout=20)
    first = system.search("zyxquorbant")["nodes"][0]
    assert (first["name"], first["matched"]) == (name, "text")

    system.event(
        "describe",
        package=name,
        summary="Plots flimbergast curves",
        description="Draws flimbergast charts.",
    )
    system.wait_for(lambda: name in names("flimbergast"), timeout=20)
    assert name not in names("zyxquorbant")  # the old description is gone from the index
    assert summary() == "Plots flimbergast curves"


def test_a_new_owner_reaches_the_index(system: Searching) -> None:
    name = sorted(system.world.packages)[11]
    index = system.gateway.state.search.index

    def maintainers() -> tuple[str, ...]:
        found = asyncio.run(index.get(name))
        assert found is not None
        return tuple(found.maintainers)

    owner = system.event("owner", package=name)["changed"]["owner"]
    system.wait_for(lambda: owner in maintainers(), timeout=20)
    assert maintainers()[0] == owner


def test_a_package_retired_in_rawhide_leaves_rawhide_only(system: Searching) -> None:
    name = sorted(system.world.packages)[7]
    assert system.search(name, release="rawhide")["nodes"][0]["name"] == name
    system.event("retire", package=name)
    system.wait_for(
        lambda: name not in [hit["name"] for hit in system.search(name, "rawhide")["nodes"]],
        timeout=20,
    )
    assert system.search(name, release="f45")["nodes"][0]["name"] == name


def test_a_package_retired_everywhere_leaves_the_index(system: Searching) -> None:
    name = sorted(system.world.packages)[9]
    releases = httpx.post(
        f"{system.url}/graphql", json={"query": "{ releases { branch } }"}, timeout=30
    ).json()["data"]["releases"]
    system.event("retire", package=name, branches=[r["branch"] for r in releases])
    system.wait_for(
        lambda: name not in [hit["name"] for hit in system.search(name)["nodes"]], timeout=20
    )


def test_reindex_rebuilds_an_index_on_disk(tmp_path: Path, sim_server: LiveServer) -> None:
    env = {
        **os.environ,
        "GATEWAY_SEARCH_DIR": str(tmp_path / "search"),
        **upstream_env(sim_server.url),
    }
    started = time.monotonic()
    done = _reindex(env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("indexed "), done.stdout
    assert int(done.stdout.split()[1]) > 100
    assert time.monotonic() - started < 120
    again = _reindex(env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split()[1] == done.stdout.split()[1]


def test_reindex_without_an_index_to_rebuild_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    done = _reindex(env)
    assert done.returncode != 0
    assert "GATEWAY_SEARCH_DIR" in done.stderr


def _reindex(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "reindex"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
