"""bodhi's vocabulary: the enums of its models, and its paging limits.

The enums are listed in their declaration order (``bodhi/server/models.py``), the
order colander names them in its error messages.
"""

from __future__ import annotations

__all__ = [
    "CONTENT_TYPES",
    "DEFAULT_ROWS_PER_PAGE",
    "GATING_STATUSES",
    "MAX_ROWS_PER_PAGE",
    "RELEASE_STATES",
    "UPDATE_REQUESTS",
    "UPDATE_SEVERITIES",
    "UPDATE_STATUSES",
    "UPDATE_SUGGESTIONS",
    "UPDATE_TYPES",
]

# bodhi's enums (``models.py``), in their declaration order as colander lists them.
UPDATE_STATUSES = (
    "pending",
    "testing",
    "stable",
    "unpushed",
    "obsolete",
    "side_tag_active",
    "side_tag_expired",
)
UPDATE_REQUESTS = ("testing", "obsolete", "unpush", "revoke", "stable")
UPDATE_TYPES = ("bugfix", "security", "newpackage", "enhancement", "unspecified")
UPDATE_SEVERITIES = ("unspecified", "urgent", "high", "medium", "low")
UPDATE_SUGGESTIONS = ("unspecified", "reboot", "logout")
CONTENT_TYPES = ("rpm", "module", "container", "flatpak")
GATING_STATUSES = (
    "waiting",
    "ignored",
    "queued",
    "running",
    "passed",
    "failed",
    "greenwave_failed",
)
RELEASE_STATES = ("disabled", "pending", "frozen", "current", "archived")

MAX_ROWS_PER_PAGE = 1000
DEFAULT_ROWS_PER_PAGE = 20
