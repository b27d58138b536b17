"""mdapi and dist-git reads: no batch form, so each key is asked in parallel.

A package or branch the service does not know is ``None``, not an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from strawberry.dataloader import DataLoader

from clients import MdapiClient, PagureClient, UpstreamError, UpstreamNotFound, mdapi, pagure
from gateway.resolvers.queries import BranchQuery

K = TypeVar("K")
V = TypeVar("V")


def _parallel(
    fetch: Callable[[K], Awaitable[V]],
) -> Callable[[list[K]], Awaitable[list[V | BaseException | None]]]:
    async def load(keys: list[K]) -> list[V | BaseException | None]:
        return await asyncio.gather(*(_or_none(fetch(key)) for key in keys))

    return load


async def _or_none(answer: Awaitable[V]) -> V | BaseException | None:
    try:
        return await answer
    except UpstreamNotFound:
        return None
    except UpstreamError as error:
        return error


class MdapiLoaders:
    def __init__(self, client: MdapiClient) -> None:
        self.client = client
        self.source = DataLoader(_parallel(self._source))
        self.binary = DataLoader(_parallel(self._binary))
        self.changelog = DataLoader(_parallel(self._changelog))
        self.files = DataLoader(_parallel(self._files))

    async def _source(self, query: BranchQuery) -> mdapi.Package:
        return await self.client.get_source_package(query.branch, query.name)

    async def _binary(self, query: BranchQuery) -> mdapi.Package:
        return await self.client.get_package(query.branch, query.name)

    async def _changelog(self, query: BranchQuery) -> mdapi.Changelog:
        return await self.client.get_changelog(query.branch, query.name)

    async def _files(self, query: BranchQuery) -> mdapi.Files:
        return await self.client.get_files(query.branch, query.name)


class PagureLoaders:
    def __init__(self, client: PagureClient) -> None:
        self.client = client
        self.project = DataLoader(_parallel(self._project))

    async def _project(self, name: str) -> pagure.Project:
        return await self.client.get_project(name)
