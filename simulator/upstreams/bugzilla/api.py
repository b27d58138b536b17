"""The REST resources: version, Bug.search, one bug, its comments, and the products."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from simulator.catalog.model import Bug
from simulator.formats.bugzilla import QA_CONTACT, bug_json, comments, user_detail, version_id
from simulator.upstreams.bugzilla.errors import BugzillaError
from simulator.upstreams.bugzilla.params import field_filter, param_integer, param_values
from simulator.upstreams.bugzilla.responses import json_response
from simulator.upstreams.bugzilla.search import parse_search, sort_bugs
from simulator.world import World

__all__ = ["DEFAULT_SEARCH_LIMIT", "MAX_SEARCH_RESULTS", "PRODUCTS", "VERSION", "BugzillaAPI"]

#: Bugs a search returns without ``limit`` (bugzilla.redhat.com since September 2021).
DEFAULT_SEARCH_LIMIT = 20
#: Bugzilla's ``max_search_results`` on bugzilla.redhat.com: the cap for ``limit=0`` too.
MAX_SEARCH_RESULTS = 1000
VERSION = "5.0.4.rh100"
PRODUCTS = {"Fedora": 1, "Fedora EPEL": 2}


@dataclass
class BugzillaAPI:
    world: World
    default_limit: int = DEFAULT_SEARCH_LIMIT
    max_results: int = MAX_SEARCH_RESULTS

    async def version(self, request: Request) -> Response:
        return json_response({"version": VERSION})

    async def search(self, request: Request) -> Response:
        params = request.query_params
        if request.method != "GET":
            raise BugzillaError(410, "You must log in before using this part of Bugzilla.", 401)
        search = parse_search(params)
        limit, offset = self._paging(params, by_id_only=search.ids is not None)
        found = sort_bugs(search.run(self.world), params.get("order"))
        fields = field_filter(params)
        page = found[offset : offset + limit]
        bugs = [bug_json(bug, fields, world=self.world) for bug in page]
        return json_response(
            {"bugs": bugs, "faults": [], "limit": limit, "total_matches": len(found)}
        )

    async def bug(self, request: Request) -> Response:
        if request.method != "GET":
            raise BugzillaError(410, "You must log in before using this part of Bugzilla.", 401)
        bug = self._bug(request.path_params["bug_id"])
        fields = field_filter(request.query_params)
        return json_response({"bugs": [bug_json(bug, fields, world=self.world)], "faults": []})

    async def comments(self, request: Request) -> Response:
        bug = self._bug(request.path_params["bug_id"])
        body = {"bugs": {str(bug.id): {"comments": comments(bug, self.world)}}, "comments": {}}
        return json_response(body)

    async def product(self, request: Request) -> Response:
        params = request.query_params
        names = param_values(params, "names") + param_values(params, "name")
        if "name" in request.path_params:
            names.append(request.path_params["name"])
        ids = {int(i) for i in param_values(params, "ids") if i.isdigit()}
        chosen = [n for n, i in PRODUCTS.items() if n in names or i in ids]
        include = set(param_values(params, "include_fields"))
        products = [self._product(name, include) for name in chosen]
        return json_response({"products": products})

    async def product_ids(self, request: Request) -> Response:
        return json_response({"ids": sorted(PRODUCTS.values())})

    def _paging(self, params: QueryParams, *, by_id_only: bool) -> tuple[int, int]:
        limit = param_integer(params, "limit")
        offset = param_integer(params, "offset") or 0
        if offset < 0:
            raise BugzillaError(52, "Invalid parameter passed to Bug.search: It must be numeric.")
        if limit is None:
            limit = self.max_results if by_id_only else self.default_limit
        if limit <= 0 or limit > self.max_results:
            limit = self.max_results
        return limit, offset

    def _bug(self, ident: str) -> Bug:
        if ident.isdigit():
            found = self.world.bugs.get(int(ident))
            if found is None:
                raise BugzillaError(101, f"Bug #{int(ident)} does not exist.", 404)
            return found
        raise BugzillaError(100, f"'{ident}' is not a valid bug number nor an alias to a bug.")

    def _product(self, name: str, include: set[str]) -> dict[str, Any]:
        world = self.world
        numbered = sorted(
            (r for r in world.releases.values() if not r.is_rawhide), key=lambda r: r.version
        )
        versions = [(str(r.version), r.state != "archived") for r in numbered]
        product = {
            "id": PRODUCTS[name],
            "name": name,
            "description": "Fedora is a Linux-based operating system.",
            "classification": "Fedora",
            "is_active": True,
            "default_milestone": "---",
            "has_unconfirmed": False,
            "versions": [
                {"id": version_id(v), "name": v, "sort_key": 0, "is_active": active}
                for v, active in [*versions, ("rawhide", True)]
            ],
            "milestones": [{"id": 1, "name": "---", "sort_key": 0, "is_active": True}],
            "components": [
                self._component(pkg.id, pkg.name, pkg.summary, pkg.owner)
                for pkg in sorted(world.packages.values(), key=lambda p: p.name)
                if not pkg.retired
            ],
        }
        if include:
            product = {k: v for k, v in product.items() if k in include or k in ("id", "name")}
        return product

    def _component(self, ident: int, name: str, summary: str, owner: str) -> dict[str, Any]:
        login = f"{'extras-orphan' if owner == 'orphan' else owner}@fedoraproject.org"
        return {
            "id": 100_000 + ident,
            "name": name,
            "description": summary,
            "default_assigned_to": login,
            "default_qa_contact": QA_CONTACT,
            "sort_key": 0,
            "is_active": True,
            "flag_types": {"bug": [], "attachment": []},
            "default_assigned_to_detail": user_detail(login, self.world),
        }
