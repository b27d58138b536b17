"""The update index: the world's updates newest first, all and per release and user."""

from __future__ import annotations

import bisect
import itertools

from simulator.catalog.model import Update
from simulator.world import World

__all__ = ["UpdateIndex", "newest_first_key"]


def newest_first_key(update: Update) -> tuple[float, int]:
    return (-update.submitted, -update.id)


class UpdateIndex:
    """The world's updates newest first: all of them, and per release and per submitter.

    Bodhi orders every update query by ``date_submitted DESC``. The index sorts once and
    then follows the world, which only ever adds updates, so a query without filters
    reads its page straight off the list and one for a release or a submitter scans
    only that release's or that user's updates.
    """

    #: Past this many new updates, sorting afresh is cheaper than inserting one by one.
    REBUILD_AT = 256

    def __init__(self, world: World) -> None:
        self.world = world
        self.newest_first: list[Update] = []
        self.by_release: dict[str, list[Update]] = {}
        self.by_user: dict[str, list[Update]] = {}
        self._count = 0

    def sync(self) -> None:
        """Take in the updates the world gained since the last call."""
        count = len(self.world.updates)
        if count == self._count:
            return
        fresh = list(itertools.islice(self.world.updates.values(), self._count, None))
        self._count = count
        if len(fresh) > self.REBUILD_AT:
            self._rebuild()
            return
        for update in fresh:
            for listing in (
                self.newest_first,
                self._listing(self.by_release, update.release),
                self._listing(self.by_user, update.submitter),
            ):
                bisect.insort(listing, update, key=newest_first_key)

    def _rebuild(self) -> None:
        self.newest_first = sorted(self.world.updates.values(), key=newest_first_key)
        self.by_release, self.by_user = {}, {}
        for update in self.newest_first:
            self._listing(self.by_release, update.release).append(update)
            self._listing(self.by_user, update.submitter).append(update)

    @staticmethod
    def _listing(index: dict[str, list[Update]], key: str) -> list[Update]:
        return index.setdefault(key, [])
