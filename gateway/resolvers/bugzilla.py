"""Bugzilla reads, batched: the bugs of many components in one search."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from strawberry.dataloader import DataLoader

from clients import BugzillaClient, UpstreamError, bugzilla
from gateway.resolvers.pages import Page
from gateway.resolvers.queries import BugsQuery

#: The most bugs Red Hat Bugzilla returns for one search.
MAX_BUGS = 1000


class BugzillaLoaders:
    def __init__(self, client: BugzillaClient) -> None:
        self.client = client
        self.bugs = DataLoader(self._bugs)
        self.bug = DataLoader(self._by_id)

    async def _bugs(self, queries: list[BugsQuery]) -> list[Page[bugzilla.Bug] | BaseException]:
        groups: dict[bool | None, list[BugsQuery]] = defaultdict(list)
        for query in queries:
            groups[query.is_open].append(query)
        answers: dict[BugsQuery, Page[bugzilla.Bug] | BaseException] = {}
        await asyncio.gather(*(self._group(o, members, answers) for o, members in groups.items()))
        return [answers[query] for query in queries]

    async def _group(
        self,
        is_open: bool | None,
        queries: list[BugsQuery],
        answers: dict[BugsQuery, Page[bugzilla.Bug] | BaseException],
    ) -> None:
        components = list(dict.fromkeys(q.component for q in queries))
        try:
            page = await self.client.search_bugs(components, is_open=is_open, limit=MAX_BUGS)
        except UpstreamError as error:
            for query in queries:
                answers[query] = error
            return
        per_component: dict[str, list[bugzilla.Bug]] = {name: [] for name in components}
        for bug in page.bugs:
            if bug.component in per_component:
                per_component[bug.component].append(bug)
        complete = len(page.bugs) < MAX_BUGS or page.total == len(page.bugs)
        alone = []
        for query in queries:
            if complete:
                answers[query] = Page.of(per_component[query.component], query.window)
            else:
                alone.append(query)
        await asyncio.gather(*(self._alone(query, answers) for query in alone))

    async def _alone(
        self, query: BugsQuery, answers: dict[BugsQuery, Page[bugzilla.Bug] | BaseException]
    ) -> None:
        window = query.window
        try:
            page = await self.client.search_bugs(
                [query.component], is_open=query.is_open, limit=window.limit, offset=window.offset
            )
            total = page.total
            if total is None:
                total = await self.client.count_bugs([query.component], is_open=query.is_open)
        except UpstreamError as error:
            answers[query] = error
            return
        answers[query] = Page(page.bugs, window.offset, total)

    async def _by_id(self, ids: list[int]) -> list[bugzilla.Bug | BaseException | None]:
        try:
            bugs = await self.client.get_bugs(ids)
        except UpstreamError as error:
            return [error] * len(ids)
        found = {bug.id: bug for bug in bugs}
        return [found.get(bug_id) for bug_id in ids]
