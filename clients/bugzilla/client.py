"""``BugzillaClient``: Red Hat Bugzilla's REST API (``/rest/bug``).

Bugs of many components come from one search (``component=a&component=b``),
restricted to Fedora's products and to open or closed bugs with Bugzilla's
``__open__``/``__closed__`` status aliases, newest change first. Searches ask
only for the fields :class:`~clients.bugzilla.models.Bug` reads
(``include_fields``). Bugzilla reports errors as
``{"error": true, "code": 101, "message": "Bug #1 does not exist."}``; code 101
("does not exist") becomes ``UpstreamNotFound``.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from clients.bugzilla.models import Bug, BugsPage
from clients.endpoint import Endpoint, Params, segment
from clients.errors import UpstreamError, UpstreamNotFound
from clients.record import Record
from clients.retry import RetryPolicy

__all__ = ["BUGZILLA_URL", "FEDORA_PRODUCTS", "BugzillaClient"]

#: Red Hat's Bugzilla.
BUGZILLA_URL = "https://bugzilla.redhat.com"
#: The products whose bugs are Fedora package bugs.
FEDORA_PRODUCTS = ("Fedora", "Fedora EPEL")
#: The fields a search asks for: what ``Bug`` reads.
BUG_FIELDS = (
    "id",
    "summary",
    "status",
    "resolution",
    "severity",
    "priority",
    "product",
    "component",
    "version",
    "creation_time",
    "last_change_time",
    "assigned_to",
    "is_open",
)
#: Newest change first (Bugzilla's ``order`` takes buglist column names).
NEWEST_CHANGE_FIRST = "changeddate DESC,bug_id DESC"

_DOES_NOT_EXIST = 101


class BugzillaClient:
    """Red Hat Bugzilla: bug searches and single bugs."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str = BUGZILLA_URL,
        *,
        retry: RetryPolicy | None = None,
        products: Sequence[str] = FEDORA_PRODUCTS,
    ) -> None:
        self.endpoint = Endpoint(
            http, base_url, upstream="bugzilla", retry=retry, headers={"Accept": "application/json"}
        )
        self.products = tuple(products)

    def __repr__(self) -> str:
        return f"BugzillaClient({self.endpoint.base_url!r})"

    async def search_bugs(
        self,
        components: Sequence[str],
        *,
        is_open: bool | None = None,
        limit: int = 20,
        offset: int = 0,
        order: str = NEWEST_CHANGE_FIRST,
    ) -> BugsPage:
        """A page of the bugs filed against any of ``components``, newest change first.

        ``is_open`` True: open bugs only; False: closed only; None: both.
        ``limit`` is at most Bugzilla's ``max_search_results`` (1,000 on RHBZ).
        """
        if not components:
            return BugsPage(bugs=(), total=0, offset=offset, limit=limit)
        params: Params = [
            *self._filters(components, is_open),
            ("include_fields", ",".join(BUG_FIELDS)),
            ("limit", limit),
            ("offset", offset),
            ("order", order),
        ]
        response = await self._get("/rest/bug", params)
        page = self.endpoint.decode(BugsPage, self.endpoint.json(response), response)
        return page.model_copy(update={"offset": offset, "limit": limit})

    async def count_bugs(self, components: Sequence[str], *, is_open: bool | None = None) -> int:
        """How many bugs the search of :meth:`search_bugs` finds.

        Read from ``total_matches`` of a one-bug page; a Bugzilla that does not
        report it is asked with ``count_only``.
        """
        if not components:
            return 0
        filters = self._filters(components, is_open)
        params: Params = [*filters, ("include_fields", "id"), ("limit", 1)]
        response = await self._get("/rest/bug", params)
        total = self.endpoint.decode(_Total, self.endpoint.json(response), response).total_matches
        if total is not None:
            return total
        response = await self._get("/rest/bug", [*filters, ("count_only", 1)])
        return self.endpoint.decode(_Count, self.endpoint.json(response), response).bug_count

    async def get_bug(self, bug_id: int) -> Bug:
        """One bug; ``UpstreamNotFound`` when it does not exist."""
        response = await self._get(
            f"/rest/bug/{segment(bug_id)}", [("include_fields", ",".join(BUG_FIELDS))]
        )
        bugs = self.endpoint.decode(_Bugs, self.endpoint.json(response), response).bugs
        if not bugs:
            raise UpstreamNotFound(
                f"no bug {bug_id}", upstream="bugzilla", url=str(response.url), status=404
            )
        return bugs[0]

    async def get_bugs(self, bug_ids: Sequence[int]) -> list[Bug]:
        """The bugs among ``bug_ids`` that exist, in one search; absent ids are left out."""
        if not bug_ids:
            return []
        params: Params = [
            ("id", ",".join(str(bug_id) for bug_id in dict.fromkeys(bug_ids))),
            ("include_fields", ",".join(BUG_FIELDS)),
            ("limit", len(bug_ids)),
        ]
        return await self._bugs(params)

    # -- requests ------------------------------------------------------------------------

    def _filters(self, components: Sequence[str], is_open: bool | None) -> list[tuple[str, str]]:
        params = [("product", product) for product in self.products]
        params += [("component", component) for component in dict.fromkeys(components)]
        if is_open is not None:
            params.append(("status", "__open__" if is_open else "__closed__"))
        return params

    async def _bugs(self, params: Params) -> list[Bug]:
        response = await self._get("/rest/bug", params)
        return list(self.endpoint.decode(_Bugs, self.endpoint.json(response), response).bugs)

    async def _get(self, path: str, params: Params) -> httpx.Response:
        """A 2xx answer to ``GET path``; Bugzilla's error bodies become errors."""
        response = await self.endpoint.send("GET", path, params=params)
        if response.is_success:
            return response
        try:
            error = self.endpoint.decode(_Error, self.endpoint.json(response), response)
        except UpstreamError:
            self.endpoint.check(response)
            raise
        url = str(response.url)
        if error.code == _DOES_NOT_EXIST or response.status_code == 404:
            raise UpstreamNotFound(
                error.message, upstream="bugzilla", url=url, status=response.status_code
            )
        raise UpstreamError(
            f"error {error.code}: {error.message}",
            upstream="bugzilla",
            url=url,
            status=response.status_code,
        )


class _Bugs(Record):
    bugs: tuple[Bug, ...]


class _Total(Record):
    total_matches: int | None = None


class _Count(Record):
    bug_count: int


class _Error(Record):
    code: int | None = None
    message: str = "unknown error"
