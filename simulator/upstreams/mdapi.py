"""The simulated mdapi (being written)."""

from __future__ import annotations

from starlette.applications import Starlette

from simulator.world import World


def create_app(world: World) -> Starlette:
    return Starlette()
