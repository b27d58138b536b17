"""The typed context of one GraphQL operation: its dataloaders, its request, its changes,
and the package search."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from gateway.errors import BadInputError
from gateway.invalidation.feed import Change, ChangeFeed, FeedItem, Resync
from gateway.limits.rate import Admission
from gateway.resolvers.cached import CacheStats
from gateway.resolvers.loaders import Loaders
from gateway.search.service import PackageSearch

#: Fresh dataloaders counting their cache reads in the given stats.
LoadersFactory = Callable[[CacheStats], Loaders]


@dataclass(frozen=True, slots=True)
class Live:
    """What a live operation reads: the change feed, and a way to renew its dataloaders."""

    feed: ChangeFeed
    loaders: LoadersFactory
    #: Changes buffered for one live operation before its oldest are dropped.
    buffer: int = 1000


@dataclass
class Context:
    """What an operation's resolvers share.

    Its dataloaders are made on first use, from ``make_loaders`` and the operation's
    :attr:`cache` stats: an operation answered without executing it needs none.
    """

    make_loaders: LoadersFactory
    cache: CacheStats = field(default_factory=CacheStats)
    request: Request | WebSocket | None = None
    response: Response | None = None
    extensions: dict[str, object] = field(default_factory=dict)
    live: Live | None = None
    search: PackageSearch | None = None
    #: The client's rate bucket, charged each operation's cost (HTTP, rate limiting on).
    admission: Admission | None = None
    _loaders: Loaders | None = field(default=None, init=False, repr=False)

    @property
    def loaders(self) -> Loaders:
        """This operation's dataloaders (for a live operation: of its current change)."""
        if self._loaders is None:
            self._loaders = self.make_loaders(self.cache)
        return self._loaders

    async def changes(
        self, wanted: Callable[[Change], bool], *, resync: bool = False
    ) -> AsyncIterator[FeedItem]:
        """The changes ``wanted`` picks out of the feed (and the gaps, with ``resync``).

        Before each one is handed over the operation gets fresh dataloaders, so what the
        subscription resolves next is read anew from the refilled cache, not remembered
        from the previous change.
        """
        if self.live is None:
            raise BadInputError("subscriptions are served over a WebSocket on /graphql")
        subscription = self.live.feed.subscribe(maxsize=self.live.buffer)
        try:
            async for item in subscription:
                if isinstance(item, Resync) and not resync:
                    continue
                if isinstance(item, Change) and not wanted(item):
                    continue
                self.cache = CacheStats()
                self._loaders = self.live.loaders(self.cache)
                yield item
        finally:
            subscription.close()


Info = strawberry.Info[Context, None]
