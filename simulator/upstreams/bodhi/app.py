"""The bodhi app: the update, release and override routes over one world."""

from __future__ import annotations

from starlette.applications import Starlette

from simulator.upstreams.bodhi import overrides, releases, updates
from simulator.world import World

__all__ = ["create_app"]


def create_app(world: World) -> Starlette:
    """The bodhi REST API over ``world``, to be mounted at ``/bodhi``."""
    return Starlette(
        routes=[*updates.routes(world), *releases.routes(world), *overrides.routes(world)]
    )
