"""bodhi reads, batched: the updates of many packages in one ``/updates/`` request.

bodhi lists updates newest submission first for any set of packages at once, so
one request with the largest page bodhi allows answers every package of a level
whose updates fit in it; a package with more than that is asked on its own.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from clients import BodhiClient, UpstreamError, UpstreamNotFound, bodhi
from gateway.resolvers.pages import Page
from gateway.resolvers.queries import UpdatesQuery

#: The most rows bodhi gives in one page.
MAX_ROWS = 1000

_Group = tuple[bodhi.UpdateStatus | None, str | None]


class BodhiLoaders:
    def __init__(self, client: BodhiClient) -> None:
        self.client = client
        self.updates = DataLoader(self._updates)
        self.update = DataLoader(self._by_alias)
        self.update_of_build = DataLoader(self._by_build)
        self.releases = DataLoader(self._releases)

    async def _updates(
        self, queries: list[UpdatesQuery]
    ) -> list[Page[bodhi.Update] | BaseException]:
        groups: dict[_Group, list[UpdatesQuery]] = defaultdict(list)
        for query in queries:
            groups[(query.status, query.release)].append(query)
        answers: dict[UpdatesQuery, Page[bodhi.Update] | BaseException] = {}
        await asyncio.gather(
            *(self._group(group, members, answers) for group, members in groups.items())
        )
        return [answers[query] for query in queries]

    async def _group(
        self,
        group: _Group,
        queries: list[UpdatesQuery],
        answers: dict[UpdatesQuery, Page[bodhi.Update] | BaseException],
    ) -> None:
        status, release = group
        names = list(dict.fromkeys(q.package for q in queries))
        try:
            page = await self.client.list_updates(
                packages=names,
                status=_list(status),
                releases=_list(release),
                rows_per_page=MAX_ROWS,
            )
        except UpstreamError as error:
            for query in queries:
                answers[query] = error
            return
        unknown = set(page.unknown_packages)
        per_package: dict[str, list[bodhi.Update]] = {name: [] for name in names}
        for update in page.updates:
            for name in update.packages:
                if name in per_package:
                    per_package[name].append(update)
        complete = page.total <= len(page.updates)
        overflow: list[UpdatesQuery] = []
        for query in queries:
            if query.package in unknown:
                answers[query] = Page((), query.window.offset, 0)
            elif complete:
                answers[query] = Page.of(per_package[query.package], query.window)
            else:
                overflow.append(query)
        await asyncio.gather(*(self._alone(query, answers) for query in overflow))

    async def _alone(
        self,
        query: UpdatesQuery,
        answers: dict[UpdatesQuery, Page[bodhi.Update] | BaseException],
    ) -> None:
        """A package whose updates did not fit the shared page: its window on its own."""
        window = query.window
        rows = min(MAX_ROWS, window.offset + window.limit)
        if window.offset + window.limit <= MAX_ROWS:
            pages = [(1, rows)]
        else:  # bodhi pages by page number: read the one or two pages that hold the window
            first_page = window.offset // window.limit + 1
            pages = [(first_page, window.limit), (first_page + 1, window.limit)]
        try:
            results = [
                await self.client.list_updates(
                    packages=[query.package],
                    status=_list(query.status),
                    releases=_list(query.release),
                    page=number,
                    rows_per_page=size,
                )
                for number, size in pages
            ]
        except UpstreamError as error:
            answers[query] = error
            return
        base = (pages[0][0] - 1) * pages[0][1]
        updates = [u for result in results for u in result.updates]
        start = window.offset - base
        answers[query] = Page(
            updates[start : start + window.limit], window.offset, results[0].total
        )

    async def _by_alias(self, aliases: list[str]) -> list[bodhi.Update | BaseException | None]:
        try:
            page = await self.client.list_updates(aliases=aliases, rows_per_page=MAX_ROWS)
        except UpstreamError as error:
            return [error] * len(aliases)
        found = {update.alias: update for update in page.updates}
        return [found.get(alias) for alias in aliases]

    async def _by_build(self, nvrs: list[str]) -> list[bodhi.Update | BaseException | None]:
        try:
            page = await self.client.list_updates(builds=nvrs, rows_per_page=MAX_ROWS)
        except UpstreamError as error:
            return [error] * len(nvrs)
        found: dict[str, bodhi.Update] = {}
        for update in reversed(page.updates):  # the newest update of a build wins
            for nvr in update.builds:
                found[str(nvr)] = update
        return [found.get(nvr) for nvr in nvrs]

    async def _releases(self, keys: list[str]) -> list[Sequence[bodhi.Release] | BaseException]:
        try:
            releases = await self.client.list_releases()
        except UpstreamNotFound:
            releases = []
        except UpstreamError as error:
            return [error] * len(keys)
        return [releases] * len(keys)


def _list(value: str | None) -> list[str]:
    return [] if value is None else [value]
