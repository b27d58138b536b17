"""``BodhiClient``: bodhi's REST API (``/updates/``, ``/releases/``).

bodhi renders HTML unless asked for JSON, so every request sends
``Accept: application/json``.

Updates of many packages come from one request (``packages=a,b,c``), but bodhi
answers 400 when *any* of the names is unknown to it (``Invalid packages
specified: a, c``). :meth:`BodhiClient.list_updates` reads the unknown names off
the error, drops them and asks again, so one unknown name never fails the others;
the page reports the dropped names in ``unknown_packages``. When the error cannot
be read, the client asks about each name alone to find the unknown ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import httpx

from clients.bodhi.models import Release, Update, UpdatesPage, UpdateStatus
from clients.endpoint import Endpoint, Params, segment
from clients.errors import UpstreamError, UpstreamNotFound
from clients.record import Record
from clients.retry import RetryPolicy

__all__ = ["BODHI_URL", "BodhiClient"]

log = logging.getLogger(__name__)

#: Fedora's bodhi.
BODHI_URL = "https://bodhi.fedoraproject.org"

_INVALID_PACKAGES = "Invalid packages specified:"
#: The most rows bodhi serves per page.
MAX_ROWS_PER_PAGE = 1000


class BodhiClient:
    """bodhi: updates and releases."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str = BODHI_URL,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.endpoint = Endpoint(
            http, base_url, upstream="bodhi", retry=retry, headers={"Accept": "application/json"}
        )

    def __repr__(self) -> str:
        return f"BodhiClient({self.endpoint.base_url!r})"

    async def list_updates(
        self,
        *,
        packages: Sequence[str] = (),
        releases: Sequence[str] = (),
        status: Sequence[UpdateStatus | str] = (),
        builds: Sequence[str] = (),
        aliases: Sequence[str] = (),
        page: int = 1,
        rows_per_page: int = 20,
    ) -> UpdatesPage:
        """One page of updates matching every filter given, newest submission first.

        Names in ``packages`` that bodhi does not know are left out of the query
        and listed in the page's ``unknown_packages``; when no known name is left,
        the page is empty (those packages have no updates in bodhi).
        """
        if not 1 <= rows_per_page <= MAX_ROWS_PER_PAGE:
            raise ValueError(f"rows_per_page must be within 1..{MAX_ROWS_PER_PAGE}")
        filters: list[tuple[str, str | int]] = [
            (key, ",".join(str(value) for value in values))
            for key, values in (
                ("releases", releases),
                ("status", status),
                ("builds", builds),
                ("alias", aliases),
            )
            if values
        ]
        filters += [("page", page), ("rows_per_page", rows_per_page)]
        wanted = list(dict.fromkeys(packages))
        unknown: list[str] = []
        probed = False
        while True:
            if packages and not wanted:
                return UpdatesPage(
                    updates=(),
                    total=0,
                    page=page,
                    pages=0,
                    rows_per_page=rows_per_page,
                    unknown_packages=tuple(unknown),
                )
            params = [("packages", ",".join(wanted))] if wanted else []
            response = await self.endpoint.send("GET", "/updates/", params=params + filters)
            if response.status_code != 400 or not wanted:
                raw = self.endpoint.json(self.endpoint.check(response))
                found = self.endpoint.decode(UpdatesPage, raw, response)
                return found.model_copy(update={"unknown_packages": tuple(unknown)})
            rejected = self._rejected_packages(response, wanted)
            if rejected is None:  # a 400 about something else than packages
                self.endpoint.check(response)
            if not rejected:
                if probed:
                    raise self.endpoint.bad_response(
                        "bodhi keeps rejecting packages it accepts one by one", response
                    )
                rejected = await self._probe_unknown(wanted)
                probed = True
            log.info("bodhi: leaving out unknown packages %s", ", ".join(rejected))
            unknown += rejected
            wanted = [name for name in wanted if name not in rejected]

    async def get_update(self, alias: str) -> Update:
        """An update by alias; ``UpstreamNotFound`` when bodhi has none."""
        response = await self.endpoint.send("GET", f"/updates/{segment(alias)}")
        if response.is_redirect:  # a package name: bodhi redirects to its update list
            raise UpstreamNotFound(
                f"no update {alias!r}", upstream="bodhi", url=str(response.url), status=404
            )
        raw = self.endpoint.json(self.endpoint.check(response))
        if not isinstance(raw, dict):
            raise self.endpoint.bad_response("an update answer is a JSON object", response)
        return self.endpoint.decode(Update, raw.get("update"), response)

    async def list_releases(
        self, *, states: Sequence[str] = (), exclude_archived: bool = False
    ) -> list[Release]:
        """Every release (in ``states``, when given), by name; all pages are read."""
        params: list[tuple[str, str | int]] = []
        if states:
            params.append(("state", ",".join(states)))
        if exclude_archived:
            params.append(("exclude_archived", "true"))
        releases: list[Release] = []
        page, pages = 1, 1
        while page <= pages:
            query: Params = [*params, ("page", page), ("rows_per_page", 100)]
            response = self.endpoint.check(
                await self.endpoint.send("GET", "/releases/", params=query)
            )
            raw = self.endpoint.json(response)
            listing = self.endpoint.decode(_ReleasesPage, raw, response)
            releases.extend(listing.releases)
            page, pages = page + 1, listing.pages
        return releases

    async def get_release(self, name: str) -> Release:
        """A release by name (``"F45"``); ``UpstreamNotFound`` when unknown."""
        response = self.endpoint.check(
            await self.endpoint.send("GET", f"/releases/{segment(name)}")
        )
        return self.endpoint.decode(Release, self.endpoint.json(response), response)

    # -- reading errors ---------------------------------------------------------------

    def _rejected_packages(self, response: httpx.Response, wanted: list[str]) -> list[str] | None:
        """The names a 400 rejects: ``[]`` if unreadable, ``None`` if not about packages."""
        try:
            body: Any = self.endpoint.json(response)
            errors = body["errors"]
        except (UpstreamError, KeyError, TypeError):
            return []
        rejected: list[str] = []
        about_packages = False
        for error in errors if isinstance(errors, list) else []:
            if not isinstance(error, dict) or error.get("name") != "packages":
                continue
            about_packages = True
            text = str(error.get("description", ""))
            if text.startswith(_INVALID_PACKAGES):
                names = (n.strip() for n in text.removeprefix(_INVALID_PACKAGES).split(","))
                rejected += [name for name in names if name in wanted and name not in rejected]
        if not about_packages:
            return None
        return rejected

    async def _probe_unknown(self, wanted: list[str]) -> list[str]:
        """The names bodhi rejects when asked about each alone."""

        async def rejects(name: str) -> bool:
            params: Params = [("packages", name), ("rows_per_page", 1)]
            response = await self.endpoint.send("GET", "/updates/", params=params)
            if response.status_code == 400:
                return True
            self.endpoint.check(response)
            return False

        verdicts = await asyncio.gather(*(rejects(name) for name in wanted))
        return [name for name, rejected in zip(wanted, verdicts, strict=True) if rejected]


class _ReleasesPage(Record):
    releases: list[Release]
    pages: int
