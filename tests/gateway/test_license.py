"""``Package.license``: the License header of the source RPM of the newest rawhide build."""

from __future__ import annotations

from typing import Any

import pytest

from clients import KojiFault
from gateway.resolvers.koji import KojiLoaders
from simulator.catalog.detail import binaries
from simulator.catalog.model import Package
from simulator.world import World
from tests.clients.test_koji import Hub, build_map
from tests.clients.test_koji_rpms import multicall_hub
from tests.gateway.conftest import GraphQLClient

LICENSE = "query($name: String!) { package(name: $name) { name license } }"
LICENSES = "query($names: [String!]!) { packages(names: $names) { name license } }"


def _in_rawhide(world: World) -> list[Package]:
    """Packages with a build in koji's ``rawhide`` tag (with its inheritance), by name."""
    return [
        package
        for package in sorted(world.packages.values(), key=lambda p: p.name)
        if world.latest_tagged("rawhide", package.id) is not None
    ]


@pytest.fixture(scope="module")
def in_rawhide(world: World) -> list[Package]:
    packages = _in_rawhide(world)
    assert len(packages) >= 20, "the test world has too few packages in rawhide"
    return packages


def test_license_is_the_world_license(
    gql: GraphQLClient, world: World, in_rawhide: list[Package]
) -> None:
    headless = next(
        p
        for p in in_rawhide
        if p.name.startswith("python-") and p.name not in {s.name for s in binaries(p)}
    )
    noarch = next(p for p in in_rawhide if p.arch == "noarch")
    for package in [headless, noarch, *in_rawhide[:4]]:
        data = gql.data(LICENSE, {"name": package.name})
        assert data["package"] == {"name": package.name, "license": package.license}


def test_licenses_of_twenty_packages_cost_three_koji_requests(
    gql: GraphQLClient, in_rawhide: list[Package]
) -> None:
    chosen = in_rawhide[20:40] if len(in_rawhide) >= 40 else in_rawhide[:20]
    names = [p.name for p in chosen]
    gql.reset_stats()
    data = gql.data(LICENSES, {"names": names})
    requests = gql.requests()
    assert data["packages"] == [{"name": p.name, "license": p.license} for p in chosen]
    # whether the packages exist and their rawhide builds; their SRPMs; the SRPMs' headers
    assert requests.get("koji", 0) <= 3
    assert set(requests) <= {"koji"}


# -- the loader over a fake hub -------------------------------------------------------------


def _hub(headers: Any, *, built: bool = True) -> Hub:
    """A hub with one rawhide build of zsh and its SRPM; ``getRPMHeaders`` answers ``headers``."""

    def answer(method: str, params: list[Any]) -> Any:
        if method == "getLatestBuilds":
            tagged = {**build_map(), "tag_id": 1, "tag_name": "rawhide", "create_event": 9}
            return [[tagged] if built else []]
        if method == "listRPMs":
            return [
                [
                    {
                        "id": 26_000_010_000,
                        "name": "zsh",
                        "version": "5.9",
                        "release": "8.fc45",
                        "epoch": None,
                        "arch": "src",
                        "build_id": 2600001,
                    }
                ]
            ]
        assert method == "getRPMHeaders"
        return headers

    return multicall_hub(answer)


def _loaders(hub: Hub) -> KojiLoaders:
    return KojiLoaders(hub.client())


async def test_the_loader_asks_three_multicalls_for_the_srpm_license() -> None:
    hub = _hub([{"license": "MIT AND BSD-3-Clause"}])
    assert await _loaders(hub).license.load("zsh") == "MIT AND BSD-3-Clause"
    assert [call["methodName"] for request in hub.calls for call in request[1][0]] == [
        "getLatestBuilds",
        "listRPMs",
        "getRPMHeaders",
    ]
    (_, (batch,)) = hub.calls[2]
    assert batch[0]["params"] == [
        {"rpmID": 26_000_010_000, "headers": ["license"], "__starstar": True}
    ]


@pytest.mark.parametrize("headers", [[{}], [{"license": ""}], [{"license": None}]])
async def test_no_header_or_an_empty_one_is_null(headers: Any) -> None:
    assert await _loaders(_hub(headers)).license.load("zsh") is None


async def test_no_rawhide_build_is_null_without_asking_further() -> None:
    hub = _hub([{"license": "MIT"}], built=False)
    assert await _loaders(hub).license.load("zsh") is None
    assert len(hub.calls) == 1


async def test_a_fault_of_a_step_is_an_error_not_a_null() -> None:
    hub = _hub({"faultCode": 1000, "faultString": "Missing rpm file: /mnt/koji/x.src.rpm"})
    with pytest.raises(KojiFault, match="Missing rpm file"):
        await _loaders(hub).license.load("zsh")
