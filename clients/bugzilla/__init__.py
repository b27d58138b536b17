"""Red Hat Bugzilla: its client and its records (``from clients import bugzilla``)."""

from __future__ import annotations

from clients.bugzilla.client import BUGZILLA_URL, FEDORA_PRODUCTS, BugzillaClient
from clients.bugzilla.models import BUG_URL, Bug, BugsPage

__all__ = ["BUGZILLA_URL", "BUG_URL", "FEDORA_PRODUCTS", "Bug", "BugsPage", "BugzillaClient"]
