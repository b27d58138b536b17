"""Fakes at the transport: mock HTTP clients and a retry policy that never sleeps."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


class Waits(list[float]):
    """The waits a ``RetryPolicy`` asked for, in order (instead of sleeping them)."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def mock_http(handler: Handler) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose every request is answered by ``handler``."""
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def json_response(data: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)
