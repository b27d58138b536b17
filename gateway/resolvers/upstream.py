"""The upstream dataloaders of one operation: every read, batched, straight to the upstreams.

These know nothing of the field cache: :class:`~gateway.resolvers.loaders.Loaders`
puts the cache in front of them for resolvers, and the invalidation worker uses them
directly to refill what an event made stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from clients import Upstreams
from gateway.resolvers.bodhi import BodhiLoaders
from gateway.resolvers.bugzilla import BugzillaLoaders
from gateway.resolvers.koji import KojiLoaders
from gateway.resolvers.mdapi import MdapiLoaders, PagureLoaders


@dataclass(frozen=True, slots=True)
class UpstreamLoaders:
    koji: KojiLoaders
    bodhi: BodhiLoaders
    bugzilla: BugzillaLoaders
    mdapi: MdapiLoaders
    pagure: PagureLoaders

    @classmethod
    def of(cls, upstreams: Upstreams) -> UpstreamLoaders:
        return cls(
            koji=KojiLoaders(upstreams.koji),
            bodhi=BodhiLoaders(upstreams.bodhi),
            bugzilla=BugzillaLoaders(upstreams.bugzilla),
            mdapi=MdapiLoaders(upstreams.mdapi),
            pagure=PagureLoaders(upstreams.pagure),
        )
