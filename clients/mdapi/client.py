"""``MdapiClient``: mdapi, the repository metadata API (``/{branch}/pkg/{name}``, ...).

mdapi has no batch form; callers ask for many packages in parallel. It answers
404 for an unknown package and 400 for an unknown branch; both become
``UpstreamNotFound``.
"""

from __future__ import annotations

import httpx

from clients.endpoint import Endpoint, segment
from clients.errors import UpstreamNotFound
from clients.mdapi.models import Changelog, Files, Package
from clients.record import Record
from clients.retry import RetryPolicy

__all__ = ["MDAPI_URL", "MdapiClient"]

#: Fedora's mdapi.
MDAPI_URL = "https://mdapi.fedoraproject.org"


class MdapiClient:
    """mdapi: packages, files and changelogs per branch."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str = MDAPI_URL,
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.endpoint = Endpoint(
            http, base_url, upstream="mdapi", retry=retry, headers={"Accept": "application/json"}
        )

    def __repr__(self) -> str:
        return f"MdapiClient({self.endpoint.base_url!r})"

    async def list_branches(self) -> list[str]:
        """The branches mdapi knows (``rawhide``, ``f45``, ``src_rawhide``, ...)."""
        response = await self._get("/branches")
        raw = {"branches": self.endpoint.json(response)}
        return list(self.endpoint.decode(_Branches, raw, response).branches)

    async def get_package(self, branch: str, name: str) -> Package:
        """The newest binary package ``name`` in ``branch``."""
        return await self._package("pkg", branch, name)

    async def get_source_package(self, branch: str, name: str) -> Package:
        """The package built from source package ``name`` in ``branch``."""
        return await self._package("srcpkg", branch, name)

    async def get_files(self, branch: str, name: str) -> Files:
        """The paths binary package ``name`` owns in ``branch``."""
        response = await self._get(f"/{segment(branch)}/files/{segment(name)}")
        return self.endpoint.decode(Files, self.endpoint.json(response), response)

    async def get_changelog(self, branch: str, name: str) -> Changelog:
        """The changelog of package ``name`` in ``branch``, newest entry first."""
        response = await self._get(f"/{segment(branch)}/changelog/{segment(name)}")
        return self.endpoint.decode(Changelog, self.endpoint.json(response), response)

    async def _package(self, kind: str, branch: str, name: str) -> Package:
        response = await self._get(f"/{segment(branch)}/{kind}/{segment(name)}")
        raw = self.endpoint.json(response)
        if not isinstance(raw, dict):
            raise self.endpoint.bad_response("a package answer is a JSON object", response)
        return self.endpoint.decode(Package, {**raw, "name": name}, response)

    async def _get(self, path: str) -> httpx.Response:
        response = await self.endpoint.send("GET", path)
        if response.status_code == 400:  # mdapi's answer to a branch it does not have
            raise UpstreamNotFound(
                "unknown branch (HTTP 400)", upstream="mdapi", url=str(response.url), status=400
            )
        return self.endpoint.check(response)


class _Branches(Record):
    branches: tuple[str, ...]
