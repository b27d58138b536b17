"""Fixtures of the client tests."""

from __future__ import annotations

import pytest

from clients import RetryPolicy
from tests.clients.fakes import Waits


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def retry(waits: Waits) -> RetryPolicy:
    """Three attempts, full-jitter backoff and a 5 s ``Retry-After`` cap, without sleeping."""
    return RetryPolicy(
        attempts=3, backoff_s=0.1, max_backoff_s=1.0, max_retry_after_s=5.0, sleep=waits
    )
