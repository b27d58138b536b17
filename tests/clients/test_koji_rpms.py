"""KojiClient's RPM calls: ``listRPMs`` and ``getRPMHeaders``, over a fake hub and the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import koji.xmlrpcplus
import pytest

from clients import KojiFault, RetryPolicy, UpstreamBadResponse
from clients import koji as kojiclient
from simulator.catalog.model import BuildState
from simulator.world import World
from tests.clients.test_koji import Hub
from tests.conftest import LiveServer

#: RPM ids beyond 32 bits travel as ``<i8>``.
BIG_ID = 26_000_010_001


def rpm_row(rpm_id: int = BIG_ID, *, name: str = "zsh", arch: str = "x86_64") -> dict[str, Any]:
    """A row of ``listRPMs``."""
    return {
        "id": rpm_id,
        "name": name,
        "version": "5.9",
        "release": "8.fc45",
        "nvr": f"{name}-5.9-8.fc45",
        "arch": arch,
        "epoch": None,
        "draft": False,
        "payloadhash": "0123456789abcdef0123456789abcdef",
        "size": 3379441,
        "buildtime": 1772360000,
        "build_id": 2600001,
        "buildroot_id": 5200003,
        "external_repo_id": 0,
        "external_repo_name": "INTERNAL",
        "metadata_only": False,
        "extra": None,
    }


def respond(value: Any) -> httpx.Response:
    """An answer marshalled as the hub marshals it: ints beyond 32 bits as ``<i8>``."""
    body = koji.xmlrpcplus.dumps((value,), methodresponse=1, allow_none=1)
    return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/xml"})


def multicall_hub(answer_one: Any) -> Hub:
    """A hub whose ``multiCall`` answers each call with ``[result]`` or a fault struct."""

    def answer(method: str, params: tuple[Any, ...]) -> httpx.Response:
        assert method == "multiCall"
        (batch,) = params
        return respond([answer_one(call["methodName"], call["params"]) for call in batch])

    return Hub(answer)


def _kwargs(params: tuple[Any, ...]) -> dict[str, Any]:
    *positional, options = params
    assert positional == []
    assert options.pop("__starstar") is True
    return dict(options)


async def test_list_rpms_sends_build_and_arches_and_decodes_rows() -> None:
    hub = Hub(lambda method, params: respond([rpm_row(arch="src"), rpm_row(BIG_ID + 1)]))
    rpms = await hub.client().list_rpms(2600001, arches="src")
    ((method, params),) = hub.calls
    assert method == "listRPMs"
    assert _kwargs(params) == {"buildID": 2600001, "arches": "src"}
    assert [r.id for r in rpms] == [BIG_ID, BIG_ID + 1]
    src = rpms[0]
    assert (src.name, src.version, src.release, src.epoch, src.arch, src.build_id) == (
        "zsh",
        "5.9",
        "8.fc45",
        None,
        "src",
        2600001,
    )
    assert src.nvra == "zsh-5.9-8.fc45.src"


async def test_list_rpms_takes_several_arches_or_none() -> None:
    hub = Hub(lambda method, params: respond([]))
    client = hub.client()
    assert await client.list_rpms(7, arches=["noarch", "x86_64"]) == []
    assert await client.list_rpms(7) == []
    assert _kwargs(hub.calls[0][1]) == {"buildID": 7, "arches": ["noarch", "x86_64"]}
    assert _kwargs(hub.calls[1][1]) == {"buildID": 7}


async def test_get_rpm_headers_sends_the_names_and_returns_the_map() -> None:
    hub = Hub(lambda method, params: respond({"license": "MIT", "url": None}))
    headers = await hub.client().get_rpm_headers(BIG_ID, ["license", "url"])
    ((method, params),) = hub.calls
    assert method == "getRPMHeaders"
    assert _kwargs(params) == {"rpmID": BIG_ID, "headers": ["license", "url"]}
    assert f"<i8>{BIG_ID}</i8>".encode() in hub.requests[0].content
    assert headers == {"license": "MIT", "url": None}


async def test_rpm_calls_share_a_multicall_and_keep_faults_in_place() -> None:
    def answer(method: str, params: list[Any]) -> Any:
        options = params[-1]
        if method == "listRPMs":
            return [[rpm_row(arch="src")]]
        if options["rpmID"] == 1:
            return {"faultCode": 1000, "faultString": "No such rpm: {'id': 1}"}
        return [{"license": "GPL-2.0-or-later"}]

    hub = multicall_hub(answer)
    listed, headers, fault = await hub.client().batch(
        [
            kojiclient.calls.list_rpms(2600001, arches="src"),
            kojiclient.calls.get_rpm_headers(BIG_ID, ["license"]),
            kojiclient.calls.get_rpm_headers(1, ["license"]),
        ]
    )
    assert len(hub.requests) == 1
    assert isinstance(listed, list)
    assert [r.arch for r in listed] == ["src"]
    assert headers == {"license": "GPL-2.0-or-later"}
    assert isinstance(fault, KojiFault)
    assert fault.fault_string == "No such rpm: {'id': 1}"


async def test_rpm_answers_of_the_wrong_shape_are_bad_responses() -> None:
    hub = Hub(lambda method, params: respond([{"id": "x"}]))
    with pytest.raises(UpstreamBadResponse, match="listRPMs"):
        await hub.client().list_rpms(1)
    hub = Hub(lambda method, params: respond(["license"]))
    with pytest.raises(UpstreamBadResponse, match="getRPMHeaders"):
        await hub.client().get_rpm_headers(1, ["license"])


def test_calls_with_equal_arguments_are_equal() -> None:
    assert (
        kojiclient.calls.list_rpms(1, arches=["src"]).params
        == kojiclient.calls.list_rpms(1, arches=("src",)).params
    )
    assert kojiclient.calls.get_rpm_headers(1, ["license"]) == kojiclient.calls.get_rpm_headers(
        1, ("license",)
    )


# -- against the simulator ----------------------------------------------------------------


@pytest.fixture
async def client(sim_server: LiveServer) -> AsyncIterator[kojiclient.KojiClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield kojiclient.KojiClient(http, f"{sim_server.url}/kojihub", retry=RetryPolicy.none())


async def test_the_license_of_source_rpms_is_the_world_license(
    client: kojiclient.KojiClient, world: World
) -> None:
    packages = [
        p
        for p in world.packages.values()
        if any(b.state is BuildState.COMPLETE for b in world.builds_by_package[p.id])
    ]
    chosen = [
        next(p for p in packages if p.name.startswith("python-")),
        next(p for p in packages if p.arch == "noarch"),
        *packages[:3],
    ]
    for package in chosen:
        build = next(
            b
            for b in reversed(world.builds_by_package[package.id])
            if b.state is BuildState.COMPLETE
        )
        (src,) = await client.list_rpms(build.id, arches="src")
        assert (src.name, src.version, src.release, src.arch, src.build_id) == (
            package.name,
            build.version,
            build.release,
            "src",
            build.id,
        )
        assert await client.get_rpm_headers(src.id, ["license"]) == {"license": package.license}
        everything = await client.list_rpms(build.id)
        assert everything[0] == src
        assert all(r.arch != "src" for r in everything[1:])
    assert await client.get_rpm_headers(3, ["license"]) == {}
