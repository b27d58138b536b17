"""Where the simulated world publishes its bus messages (being written)."""

from __future__ import annotations

from typing import Any, Protocol


class Publisher(Protocol):
    async def publish(self, message: Any) -> None: ...


class InProcessBus:
    async def publish(self, message: Any) -> None:
        return None
