"""bodhi, the updates system: its client and its records (``from clients import bodhi``)."""

from __future__ import annotations

from clients.bodhi.client import BODHI_URL, BodhiClient
from clients.bodhi.models import Release, Update, UpdateRequest, UpdatesPage, UpdateStatus

__all__ = [
    "BODHI_URL",
    "BodhiClient",
    "Release",
    "Update",
    "UpdateRequest",
    "UpdateStatus",
    "UpdatesPage",
]
