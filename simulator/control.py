"""The simulator's control API under ``/_sim/`` (being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from simulator.app import Simulation


def routes(simulation: Simulation) -> list[BaseRoute]:
    return []
