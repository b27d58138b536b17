"""Bug fields as a search sees them: each column's value, and the names that reach it.

Columns are Bugzilla's database names (``bug_status``, ``short_desc``, ``delta_ts``);
REST and UI names (``status``, ``summary``, ``last_change_time``) are aliases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.catalog.model import Bug
from simulator.formats.bugzilla import QA_CONTACT, cc, op_sys, platform, whiteboard
from simulator.upstreams.bugzilla.errors import BugzillaError

__all__ = ["ALIASES", "FIELDS", "TIME_FIELDS", "Getter", "column_of"]

Getter = Callable[[Bug], Any]

FIELDS: dict[str, Getter] = {
    "bug_id": lambda b: b.id,
    "alias": lambda b: [],
    "assigned_to": lambda b: b.assignee,
    "reporter": lambda b: b.creator,
    "qa_contact": lambda b: QA_CONTACT,
    "cc": cc,
    "bug_status": lambda b: b.status,
    "resolution": lambda b: b.resolution,
    "product": lambda b: b.product,
    "classification": lambda b: "Fedora",
    "component": lambda b: b.component,
    "version": lambda b: b.version,
    "bug_severity": lambda b: b.severity,
    "priority": lambda b: b.priority,
    "short_desc": lambda b: b.summary,
    "keywords": lambda b: list(b.keywords),
    "creation_ts": lambda b: b.created,
    "delta_ts": lambda b: b.changed,
    "status_whiteboard": whiteboard,
    "op_sys": op_sys,
    "rep_platform": platform,
    "target_milestone": lambda b: "---",
    "bug_file_loc": lambda b: "",
}
#: REST names (and a few UI ones) for the columns above.
ALIASES = {
    "id": "bug_id",
    "status": "bug_status",
    "severity": "bug_severity",
    "summary": "short_desc",
    "creator": "reporter",
    "creation_time": "creation_ts",
    "last_change_time": "delta_ts",
    "changeddate": "delta_ts",
    "opendate": "creation_ts",
    "whiteboard": "status_whiteboard",
    "platform": "rep_platform",
    "url": "bug_file_loc",
    "assignee": "assigned_to",
    "bug number": "bug_id",
    "last changed": "delta_ts",
    "importance": "priority",
}
TIME_FIELDS = frozenset({"creation_ts", "delta_ts"})


def column_of(name: str) -> str:
    key = name.strip().lower()
    column = ALIASES.get(key, key)
    if column not in FIELDS:
        raise BugzillaError(108, f"Can't use {name} as a field name.")
    return column
