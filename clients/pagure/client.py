"""``PagureClient``: src.fedoraproject.org's Pagure API (``/api/0/rpms/<name>``).

Pagure has no batch form; callers ask for many projects in parallel. An unknown
project is HTTP 404 (``{"error": "Project not found", "error_code": "ENOPROJECT"}``),
which becomes ``UpstreamNotFound``.
"""

from __future__ import annotations

import httpx

from clients.endpoint import Endpoint, segment
from clients.pagure.models import OwnerAlias, Project
from clients.retry import RetryPolicy

__all__ = ["PAGURE_URL", "PagureClient"]

#: Fedora's dist-git.
PAGURE_URL = "https://src.fedoraproject.org"


class PagureClient:
    """Pagure on dist-git: who owns and maintains a package."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str = PAGURE_URL,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.endpoint = Endpoint(
            http, base_url, upstream="pagure", retry=retry, headers={"Accept": "application/json"}
        )

    def __repr__(self) -> str:
        return f"PagureClient({self.endpoint.base_url!r})"

    async def get_project(self, name: str, *, namespace: str = "rpms") -> Project:
        """A project (by default an rpm's); ``UpstreamNotFound`` when there is none."""
        path = f"/api/0/{segment(namespace)}/{segment(name)}"
        response = self.endpoint.check(await self.endpoint.send("GET", path))
        return self.endpoint.decode(Project, self.endpoint.json(response), response)

    async def owner_alias(self, *, namespace: str = "rpms") -> dict[str, tuple[str, ...]]:
        """Every project's maintainers at once (``/extras/pagure_owner_alias.json``).

        dist-git publishes this file for tools that need everyone's packages; one request
        instead of one per project.
        """
        response = self.endpoint.check(
            await self.endpoint.send("GET", "/extras/pagure_owner_alias.json")
        )
        raw = self.endpoint.decode(OwnerAlias, self.endpoint.json(response), response)
        return {name: tuple(users) for name, users in raw.root.get(namespace, {}).items()}
