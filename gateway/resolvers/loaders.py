"""The dataloaders of one GraphQL request, made fresh for each request.

Resolvers reach upstreams only through these: a level of the query asks each
upstream once (a koji multicall, one bodhi ``/updates/`` request, one Bugzilla
search), and the same question asked twice in a request is asked once.
"""

from __future__ import annotations

from dataclasses import dataclass

from clients import Upstreams
from gateway.resolvers.bodhi import BodhiLoaders
from gateway.resolvers.bugzilla import BugzillaLoaders
from gateway.resolvers.koji import KojiLoaders
from gateway.resolvers.mdapi import MdapiLoaders, PagureLoaders


@dataclass(frozen=True, slots=True)
class Loaders:
    koji: KojiLoaders
    bodhi: BodhiLoaders
    bugzilla: BugzillaLoaders
    mdapi: MdapiLoaders
    pagure: PagureLoaders

    @classmethod
    def of(cls, upstreams: Upstreams) -> Loaders:
        return cls(
            koji=KojiLoaders(upstreams.koji),
            bodhi=BodhiLoaders(upstreams.bodhi),
            bugzilla=BugzillaLoaders(upstreams.bugzilla),
            mdapi=MdapiLoaders(upstreams.mdapi),
            pagure=PagureLoaders(upstreams.pagure),
        )
