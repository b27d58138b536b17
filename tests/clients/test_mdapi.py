"""MdapiClient over a fake mdapi: packages, dependencies, files, changelogs and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from clients import RetryPolicy, UpstreamBadResponse, UpstreamNotFound, mdapi
from tests.clients.fakes import json_response, mock_http

MDAPI = "https://mdapi.example.org"


def dependency(name: str, flags: str | None = None, version: str | None = None) -> dict[str, Any]:
    release = "8.fc45" if version else None
    return {"name": name, "epoch": "0" if version else None, "version": version,
            "release": release, "flags": flags}  # fmt: skip


PACKAGE = {
    "arch": "x86_64",
    "epoch": "0",
    "version": "5.9",
    "release": "8.fc45",
    "summary": "Powerful interactive shell",
    "description": "The zsh shell is a command interpreter.",
    "basename": "zsh",
    "url": "https://zsh.sourceforge.io/",
    "requires": [dependency("libc.so.6()(64bit)"), dependency("coreutils")],
    "provides": [dependency("zsh", "EQ", "5.9"), dependency("/bin/zsh")],
    "obsoletes": [],
    "conflicts": [],
    "enhances": [],
    "recommends": [],
    "suggests": [],
    "supplements": None,
    "co-packages": ["zsh", "zsh-html"],
    "repo": "updates-testing",
}


def client_for(handler: Any) -> mdapi.MdapiClient:
    return mdapi.MdapiClient(mock_http(handler), MDAPI, retry=RetryPolicy.none())


async def test_a_package_takes_the_name_it_was_asked_for() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/rawhide/pkg/zsh"
        return json_response(PACKAGE)

    package = await client_for(handler).get_package("rawhide", "zsh")
    assert package.name == "zsh"
    assert (package.version, package.release, package.epoch, package.arch) == (
        "5.9",
        "8.fc45",
        0,
        "x86_64",
    )
    assert package.co_packages == ("zsh", "zsh-html")
    assert package.repo == "updates-testing"
    requires = package.dependencies(mdapi.DependencyKind.REQUIRES)
    assert [d.name for d in requires] == ["libc.so.6()(64bit)", "coreutils"]
    provides = package.dependencies(mdapi.DependencyKind.PROVIDES)
    assert (provides[0].flags, provides[0].evr) == ("EQ", "5.9-8.fc45")
    assert provides[1].evr is None
    assert package.supplements == ()


async def test_source_packages_use_srcpkg() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return json_response(PACKAGE)

    await client_for(handler).get_source_package("src_rawhide", "zsh")
    assert paths == ["/src_rawhide/srcpkg/zsh"]


async def test_files_are_spread_out_one_per_path() -> None:
    body = {
        "files": [
            {"dirname": "/usr/bin", "filenames": "rzsh/zsh", "filetypes": "ff"},
            {"dirname": "/usr/share/zsh", "filenames": "site-functions", "filetypes": "d"},
            {"dirname": "/etc", "filenames": "", "filetypes": ""},
        ],
        "repo": "release",
    }
    files = await client_for(lambda request: json_response(body)).get_files("f45", "zsh")
    assert [(f.path, f.type) for f in files.files] == [
        ("/usr/bin/rzsh", mdapi.FileType.FILE),
        ("/usr/bin/zsh", mdapi.FileType.FILE),
        ("/usr/share/zsh/site-functions", mdapi.FileType.DIRECTORY),
    ]
    assert files.repo == "release"


async def test_files_with_mismatched_types_are_a_bad_response() -> None:
    body = {"files": [{"dirname": "/usr/bin", "filenames": "a/b", "filetypes": "f"}]}
    with pytest.raises(UpstreamBadResponse):
        await client_for(lambda request: json_response(body)).get_files("f45", "zsh")


@pytest.mark.parametrize("key", ["changelogs", "files"])
async def test_changelog_entries_split_the_evr_off_the_author(key: str) -> None:
    def entry(author: str, text: str, date: int) -> dict[str, object]:
        return {"author": author, "changelog": text, "date": date}

    body = {
        key: [
            entry("Jane Doe <jane@example.org> - 5.9-8", "- Fix", 1777000000),
            entry("John Roe <john@example.org> 1:5.8-1", "- New", 1700000000),
            entry("Nobody", "- Old", 1600000000),
        ],
        "repo": "release",
    }
    changelog = await client_for(lambda request: json_response(body)).get_changelog("f45", "zsh")
    first, second, third = changelog.entries
    assert (first.author, first.evr, first.text) == (
        "Jane Doe <jane@example.org>",
        "5.9-8",
        "- Fix",
    )
    assert first.date == dt.datetime.fromtimestamp(1777000000, tz=dt.UTC)
    assert (second.author, second.evr) == ("John Roe <john@example.org>", "1:5.8-1")
    assert (third.author, third.evr) == ("Nobody", None)


async def test_unknown_packages_and_branches_are_not_found() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/f12/"):
            return httpx.Response(400, text="400: Bad Request")
        return httpx.Response(404, text="404: Not Found")

    client = client_for(handler)
    with pytest.raises(UpstreamNotFound):
        await client.get_package("rawhide", "nope")
    with pytest.raises(UpstreamNotFound, match="unknown branch"):
        await client.get_changelog("f12", "zsh")


async def test_branches() -> None:
    body = ["f45", "rawhide", "src_rawhide"]
    assert await client_for(lambda request: json_response(body)).list_branches() == body
