"""KojiClient over a fake hub: the XML-RPC dialect, multicall batching, faults and bad bodies."""

from __future__ import annotations

import datetime as dt
import xmlrpc.client
from typing import Any

import httpx
import pytest

from clients import KojiFault, RetryPolicy, UpstreamBadResponse, UpstreamError, koji
from tests.clients.fakes import mock_http

HUB = "https://koji.example.org/kojihub"


def build_map(
    build_id: int = 2600001, *, nvr: str = "zsh-5.9-8.fc45", **changes: Any
) -> dict[str, Any]:
    """A build as ``getBuild`` returns it."""
    name, version, release = nvr.rsplit("-", 2)
    build: dict[str, Any] = {
        "id": build_id,
        "build_id": build_id,
        "package_id": 4321,
        "package_name": name,
        "name": name,
        "version": version,
        "release": release,
        "epoch": None,
        "nvr": nvr,
        "draft": False,
        "state": 1,
        "task_id": 130000001,
        "owner_id": 77,
        "owner_name": "kdudka",
        "volume_id": 0,
        "volume_name": "DEFAULT",
        "creation_event_id": 120000001,
        "creation_time": "2026-03-01 10:00:00.250000+00:00",
        "creation_ts": 1772359200.25,
        "start_time": "2026-03-01 10:00:00+00:00",
        "completion_time": "2026-03-01 10:20:30.5+00:00",
        "completion_ts": 1772360430.5,
        "source": f"git+https://src.fedoraproject.org/rpms/{name}.git#abc123",
        "extra": None,
        "cg_id": None,
        "cg_name": None,
    }
    build.update(changes)
    return build


def respond(value: Any) -> httpx.Response:
    body = xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True)
    return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/xml"})


def respond_fault(code: int, text: str) -> httpx.Response:
    body = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True)
    return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/xml"})


class Hub:
    """A fake hub: answers each call with ``answer(method, params)`` and keeps the requests."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params, method = xmlrpc.client.loads(request.content)
        assert method is not None
        self.calls.append((method, params))
        result: httpx.Response = self.answer(method, params)
        return result

    def client(self, **options: Any) -> koji.KojiClient:
        return koji.KojiClient(mock_http(self), HUB, retry=RetryPolicy.none(), **options)


def multicall_hub(answer_one: Any) -> Hub:
    """A hub whose ``multiCall`` answers each call with ``[result]`` or a fault struct."""

    def answer(method: str, params: tuple[Any, ...]) -> httpx.Response:
        assert method == "multiCall"
        (batch,) = params
        return respond([answer_one(call["methodName"], call["params"]) for call in batch])

    return Hub(answer)


async def test_get_build_decodes_the_build_map() -> None:
    hub = Hub(lambda method, params: respond(build_map()))
    build = await hub.client().get_build("zsh-5.9-8.fc45")
    assert hub.calls == [("getBuild", ("zsh-5.9-8.fc45",))]
    assert hub.requests[0].headers["content-type"] == "text/xml"
    assert hub.requests[0].url == HUB
    assert build is not None
    assert (build.id, build.nvr, build.name, build.version, build.release) == (
        2600001,
        "zsh-5.9-8.fc45",
        "zsh",
        "5.9",
        "8.fc45",
    )
    assert build.state is koji.BuildState.COMPLETE
    assert build.owner_name == "kdudka"
    assert build.package_id == 4321
    assert build.task_id == 130000001
    assert build.creation_time == dt.datetime(2026, 3, 1, 10, 0, 0, 250000, tzinfo=dt.UTC)
    assert build.start_time == dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
    assert build.completion_time == dt.datetime(2026, 3, 1, 10, 20, 30, 500000, tzinfo=dt.UTC)
    assert str(build.parsed_nvr) == build.nvr


async def test_an_unknown_build_is_none_not_an_error() -> None:
    hub = Hub(lambda method, params: respond(None))
    assert await hub.client().get_build(1) is None


async def test_keyword_arguments_travel_as_a_starstar_struct() -> None:
    row = build_map()
    del row["id"]  # listBuilds rows only carry build_id
    hub = Hub(lambda method, params: respond([row]))
    builds = await hub.client().list_builds(
        "zsh", state=koji.BuildState.FAILED, limit=10, offset=20
    )
    assert [b.id for b in builds] == [2600001]
    assert hub.calls == [
        (
            "listBuilds",
            (
                {
                    "packageID": "zsh",
                    "state": 3,
                    "queryOpts": {"order": "-build_id", "limit": 10, "offset": 20},
                    "__starstar": True,
                },
            ),
        )
    ]


async def test_count_builds_asks_for_count_only() -> None:
    hub = Hub(lambda method, params: respond(42))
    assert await hub.client().count_builds(4321) == 42
    assert hub.calls[0][1] == (
        {"packageID": 4321, "queryOpts": {"countOnly": True}, "__starstar": True},
    )


async def test_large_integers_travel_as_i8() -> None:
    hub = Hub(lambda method, params: respond(None))
    await hub.client().get_build(2**40)
    assert b"<i8>1099511627776</i8>" in hub.requests[0].content
    assert hub.calls == [("getBuild", (2**40,))]


async def test_a_fault_of_a_single_call_raises_koji_fault() -> None:
    hub = Hub(lambda method, params: respond_fault(1000, "No such build: 'x-1-1'"))
    with pytest.raises(KojiFault) as caught:
        await hub.client().list_tags("x-1-1")
    assert caught.value.fault_code == 1000
    assert caught.value.fault_string == "No such build: 'x-1-1'"
    assert caught.value.method == "listTags"
    assert isinstance(caught.value, UpstreamError)


async def test_a_fault_inside_a_multicall_stays_in_its_place() -> None:
    def answer_one(method: str, params: list[Any]) -> object:
        if method == "getLatestBuilds":
            return {
                "faultCode": 1000,
                "faultString": "No such entry in table tag: f99",
                "traceback": ["Traceback (most recent call last):\n", "GenericError: ...\n"],
            }
        if method == "getBuild":
            return [build_map(params[0])]
        return [[{"id": 7, "name": "f45", "arches": None, "locked": False, "perm": None}]]

    hub = multicall_hub(answer_one)
    client = hub.client()
    results = await client.multicall(
        [
            koji.calls.get_build(11),
            koji.calls.get_latest_builds("f99", "zsh"),
            koji.calls.list_tags(11),
            koji.calls.get_build(12),
        ]
    )
    assert len(hub.requests) == 1
    first, fault, tags, last = results
    assert isinstance(first, koji.Build)
    assert first.id == 11
    assert isinstance(fault, KojiFault)
    assert fault.fault_code == 1000
    assert fault.method == "getLatestBuilds"
    assert tags == [koji.Tag(id=7, name="f45")]
    assert isinstance(last, koji.Build)
    assert last.id == 12
    (method, (batch,)) = hub.calls[0]
    assert method == "multiCall"
    assert batch[1] == {
        "methodName": "getLatestBuilds",
        "params": ["f99", {"package": "zsh", "__starstar": True}],
    }


async def test_a_result_of_the_wrong_shape_fails_only_its_call() -> None:
    def answer_one(method: str, params: list[Any]) -> object:
        return [{"id": "not a number"}] if params[0] == 2 else [build_map(params[0])]

    results = (
        await multicall_hub(answer_one)
        .client()
        .batch([koji.calls.get_build(1), koji.calls.get_build(2)])
    )
    assert isinstance(results[0], koji.Build)
    assert isinstance(results[1], UpstreamBadResponse)


async def test_a_multicall_answer_of_the_wrong_length_is_a_bad_response() -> None:
    hub = Hub(lambda method, params: respond([[None]]))
    with pytest.raises(UpstreamBadResponse, match="2 calls answered with 1"):
        await hub.client().multicall([koji.calls.get_build(1), koji.calls.get_build(2)])


async def test_an_empty_batch_sends_nothing() -> None:
    hub = Hub(lambda method, params: respond([]))
    assert await hub.client().batch([]) == []
    assert hub.requests == []


async def test_a_batch_is_split_into_multicalls_of_max_batch_and_keeps_order() -> None:
    hub = multicall_hub(lambda method, params: [build_map(params[0])])
    results = await hub.client(max_batch=2).batch([koji.calls.get_build(i) for i in range(1, 6)])
    assert [r.id for r in results if isinstance(r, koji.Build)] == [1, 2, 3, 4, 5]
    assert [len(params[0]) for _, params in hub.calls] == [2, 2, 1]


async def test_typed_calls_decode_tags_users_tasks_and_tagged_builds() -> None:
    answers: dict[str, object] = {
        "getLatestBuilds": [
            {**build_map(), "tag_id": 36, "tag_name": "f46", "create_event": 120000009}
        ],
        "getPackageID": 4321,
        "getUser": {"id": 77, "name": "kdudka", "status": 0, "usertype": 0, "krb_principals": []},
        "getTaskInfo": {
            "id": 130000001,
            "state": 2,
            "method": "build",
            "arch": "noarch",
            "owner": 77,
            "parent": None,
            "create_time": "2026-03-01 10:00:00+00:00",
            "completion_time": "2026-03-01 10:20:30+00:00",
            "request": ["git+https://src.fedoraproject.org/rpms/zsh.git#abc123", "rawhide", {}],
        },
    }
    hub = Hub(lambda method, params: respond(answers[method]))
    client = hub.client()
    (latest,) = await client.get_latest_builds("rawhide", "zsh")
    assert (latest.tag_name, latest.tag_id, latest.nvr) == ("f46", 36, "zsh-5.9-8.fc45")
    assert await client.get_package_id("zsh") == 4321
    user = await client.get_user("kdudka")
    assert user is not None
    assert user.name == "kdudka"
    task = await client.get_task_info(130000001, request=True)
    assert task is not None
    assert task.state is koji.TaskState.CLOSED
    assert task.request is not None
    assert task.request[1] == "rawhide"
    assert hub.calls[-1] == ("getTaskInfo", (130000001, {"request": True, "__starstar": True}))


async def test_garbage_xml_is_a_bad_response() -> None:
    truncated = b"<?xml version='1.0'?><methodResponse><params><param><value><struct><member>"
    hub = Hub(lambda method, params: httpx.Response(200, content=truncated))
    with pytest.raises(UpstreamBadResponse):
        await hub.client().get_build(1)
    with pytest.raises(UpstreamBadResponse):
        await hub.client().multicall([koji.calls.get_build(1)])


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Service Temporarily Unavailable</body></html>",
        b"<?xml version='1.0'?><methodResponse><params></params></methodResponse>",
        b"<?xml version='1.0'?><methodResponse><params><param><value><int>x</int>"
        b"</value></param></params></methodResponse>",
        b"<?xml version='1.0'?><!DOCTYPE m [<!ENTITY a 'aaaa'>]><methodResponse><params><param>"
        b"<value><string>&a;</string></value></param></params></methodResponse>",
    ],
    ids=["html", "no-value", "bad-int", "dtd"],
)
async def test_bodies_that_are_not_xmlrpc_are_bad_responses(body: bytes) -> None:
    hub = Hub(lambda method, params: httpx.Response(200, content=body))
    with pytest.raises(UpstreamBadResponse):
        await hub.client().get_build(1)


async def test_a_build_of_the_wrong_shape_is_a_bad_response() -> None:
    hub = Hub(lambda method, params: respond(build_map(state=9)))
    with pytest.raises(UpstreamBadResponse, match="getBuild"):
        await hub.client().get_build(1)


async def test_hub_posts_are_retried_as_idempotent_reads(retry: RetryPolicy) -> None:
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        return httpx.Response(500) if len(seen) == 1 else respond(build_map())

    client = koji.KojiClient(mock_http(handler), HUB, retry=retry)
    build = await client.get_build(2600001)
    assert build is not None
    assert len(seen) == 2


def test_calls_are_values() -> None:
    assert koji.calls.get_build(1) == koji.calls.get_build(1)
    assert koji.calls.get_build(1) != koji.calls.get_build(2)
    call = koji.calls.list_tagged("f45", package="zsh", latest=True)
    assert call.params == ["f45", {"package": "zsh", "latest": True, "__starstar": True}]
