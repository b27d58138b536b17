"""Upstreams: five clients on five pools, opened and closed together."""

from __future__ import annotations

import xmlrpc.client

import httpx
import pytest
from pydantic import HttpUrl

from clients import BodhiClient, KojiClient, RetryPolicy, UpstreamError, Upstreams
from gateway.settings import Settings
from tests.clients.fakes import json_response


def fedora(request: httpx.Request) -> httpx.Response:
    """Every upstream at once, by host."""
    host = request.url.host
    if host == "koji.test":
        body = xmlrpc.client.dumps((7,), methodresponse=True)
        return httpx.Response(200, content=body.encode())
    if host == "bodhi.test":
        return json_response(
            {"updates": [], "total": 0, "page": 1, "pages": 0, "rows_per_page": 20}
        )
    if host == "mdapi.test":
        return json_response(["rawhide"])
    if host == "bugzilla.test":
        return json_response({"bugs": [], "faults": [], "total_matches": 0})
    return httpx.Response(404, json={"error": "Project not found", "error_code": "ENOPROJECT"})


async def test_the_five_clients_share_nothing_and_close_together() -> None:
    async with Upstreams.open(
        koji_url="http://koji.test/kojihub",
        mdapi_url="http://mdapi.test/",
        bodhi_url="http://bodhi.test",
        bugzilla_url="http://bugzilla.test",
        pagure_url="http://pagure.test",
        upstream_timeout_s=3.0,
        transport=httpx.MockTransport(fedora),
    ) as upstreams:
        assert isinstance(upstreams.koji, KojiClient)
        assert isinstance(upstreams.bodhi, BodhiClient)
        assert await upstreams.koji.get_package_id("zsh") == 7
        assert (await upstreams.bodhi.list_updates(packages=["zsh"])).total == 0
        assert await upstreams.mdapi.list_branches() == ["rawhide"]
        assert await upstreams.bugzilla.count_bugs(["zsh"]) == 0
        with pytest.raises(UpstreamError):
            await upstreams.pagure.get_project("zsh")
        pools = [
            client.endpoint.http
            for client in (
                upstreams.koji,
                upstreams.mdapi,
                upstreams.bodhi,
                upstreams.bugzilla,
                upstreams.pagure,
            )
        ]
        assert len({id(pool) for pool in pools}) == 5
        assert pools[0].timeout == httpx.Timeout(3.0)
        assert upstreams.mdapi.endpoint.base_url == "http://mdapi.test"
    assert all(pool.is_closed for pool in pools)


async def test_defaults_are_the_real_services() -> None:
    async with Upstreams.open() as upstreams:
        assert upstreams.koji.endpoint.base_url == "https://koji.fedoraproject.org/kojihub"
        assert upstreams.mdapi.endpoint.base_url == "https://mdapi.fedoraproject.org"
        assert upstreams.bodhi.endpoint.base_url == "https://bodhi.fedoraproject.org"
        assert upstreams.bugzilla.endpoint.base_url == "https://bugzilla.redhat.com"
        assert upstreams.pagure.endpoint.base_url == "https://src.fedoraproject.org"


async def test_the_gateway_settings_open_the_upstreams() -> None:
    settings = Settings(
        koji_url=HttpUrl("http://127.0.0.1:8100/kojihub"),
        mdapi_url=HttpUrl("http://127.0.0.1:8100/mdapi"),
        bodhi_url=HttpUrl("http://127.0.0.1:8100/bodhi"),
        bugzilla_url=HttpUrl("http://127.0.0.1:8100/bugzilla"),
        pagure_url=HttpUrl("https://src.fedoraproject.org"),
        upstream_timeout_s=4.0,
    )
    async with Upstreams.from_settings(settings, retry=RetryPolicy.none()) as upstreams:
        assert upstreams.koji.endpoint.base_url == "http://127.0.0.1:8100/kojihub"
        assert upstreams.mdapi.endpoint.base_url == "http://127.0.0.1:8100/mdapi"
        assert upstreams.pagure.endpoint.base_url == "https://src.fedoraproject.org"
        assert upstreams.bodhi.endpoint.http.timeout == httpx.Timeout(4.0)
        assert upstreams.bugzilla.endpoint.retry.attempts == 1
