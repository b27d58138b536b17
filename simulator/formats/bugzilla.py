"""Red Hat Bugzilla's renderings of a bug: the REST bug object and the bus shape.

:func:`bug_json` is what ``GET /rest/bug`` returns on bugzilla.redhat.com (Bugzilla 5
with Red Hat's fields): ``component`` and ``version`` are lists, times are
``2014-09-23T19:12:17Z``, people come as a login plus a ``*_detail`` object,
``flags``, ``description``, ``comments``, ``external_bugs``, ``sub_components`` and
``tags`` are *extra* fields sent only when asked for, and ``include_fields`` /
``exclude_fields`` select keys as Bugzilla's ``filter_wants`` does.

:func:`bug_umb` is the ``bug`` of a ``bugzilla.bug.new``/``.update`` message as
bugzilla2fedmsg relays it with ``bz4compat`` on: ``status`` and ``version`` objects,
``component``/``product``/``assigned_to`` strings, times as epoch floats, ``weburl``.

Both derive everything they add to the world's :class:`~simulator.catalog.model.Bug`
(ids of accounts, flags, whiteboard, comments) from the bug itself, so a bug looks the
same in every answer and every message.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.catalog.model import Bug
from simulator.world import World

__all__ = [
    "BUGZILLA_URL",
    "CLOSED_STATUSES",
    "DEFAULT_FIELDS",
    "EXTRA_FIELDS",
    "OPEN_STATUSES",
    "QA_CONTACT",
    "FieldFilter",
    "bug_json",
    "bug_umb",
    "cc",
    "comments",
    "iso_time",
    "op_sys",
    "platform",
    "user_detail",
    "version_id",
    "whiteboard",
]

BUGZILLA_URL = "https://bugzilla.redhat.com"

#: Red Hat Bugzilla's bug workflow; every status but CLOSED is open.
OPEN_STATUSES: tuple[str, ...] = (
    "NEW",
    "ASSIGNED",
    "POST",
    "MODIFIED",
    "ON_DEV",
    "ON_QA",
    "VERIFIED",
    "RELEASE_PENDING",
)
CLOSED_STATUSES: tuple[str, ...] = ("CLOSED",)
_STATUS_IDS = {name: index for index, name in enumerate((*OPEN_STATUSES, *CLOSED_STATUSES), 1)}

#: Fields returned without ``include_fields`` (RHBZ: everything but the extra fields).
DEFAULT_FIELDS: tuple[str, ...] = (
    "actual_time",
    "alias",
    "assigned_to",
    "blocks",
    "cc",
    "cf_build_id",
    "cf_conditional_nak",
    "cf_cust_facing",
    "cf_devel_whiteboard",
    "cf_doc_type",
    "cf_environment",
    "cf_fixed_in",
    "cf_internal_whiteboard",
    "cf_last_closed",
    "cf_partner",
    "cf_pgm_internal",
    "cf_pm_score",
    "cf_qa_whiteboard",
    "cf_qe_conditional_nak",
    "cf_release_notes",
    "cf_verified",
    "classification",
    "component",
    "creation_time",
    "creator",
    "depends_on",
    "docs_contact",
    "estimated_time",
    "groups",
    "id",
    "is_cc_accessible",
    "is_confirmed",
    "is_creator_accessible",
    "is_open",
    "keywords",
    "last_change_time",
    "op_sys",
    "platform",
    "priority",
    "product",
    "qa_contact",
    "remaining_time",
    "resolution",
    "see_also",
    "severity",
    "status",
    "summary",
    "target_milestone",
    "target_release",
    "url",
    "version",
    "whiteboard",
)
#: RHBZ's extra fields: only with ``include_fields``/``extra_fields`` naming them, or ``_extra``.
EXTRA_FIELDS: tuple[str, ...] = (
    "comments",
    "description",
    "external_bugs",
    "flags",
    "sub_components",
    "tags",
)
#: People fields that bring their ``<field>_detail`` along.
_PEOPLE = ("assigned_to", "creator", "qa_contact", "cc")

QA_CONTACT = "extras-qa@fedoraproject.org"
_ACCOUNTS: dict[str, str] = {
    QA_CONTACT: "Fedora Extras Quality Assurance",
    "extras-orphan@fedoraproject.org": "Orphan Owner",
    "updates@fedoraproject.org": "Fedora Update System",
}
_NEEDINFO_TYPE_ID = 1164


# -- field selection -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """Bugzilla's ``include_fields``/``exclude_fields`` (+ RHBZ ``extra_fields``) rules.

    Without ``include_fields`` a bug has its default fields (custom ``cf_*`` ones
    included); ``_default``, ``_extra``, ``_custom`` and ``_all`` name groups in either
    list; an excluded field or group always loses.
    """

    include: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()
    extra: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        extra: Iterable[str] | None = None,
    ) -> FieldFilter:
        included = frozenset(include) if include is not None else None
        return cls(included or None, frozenset(exclude or ()), frozenset(extra or ()))

    def wants(self, field: str) -> bool:
        groups = _groups(field)
        if field in self.exclude or "_all" in self.exclude or groups & self.exclude:
            return False
        if field in self.extra:
            return True
        if self.include is None:
            return "_extra" not in groups
        return field in self.include or "_all" in self.include or bool(groups & self.include)


def _groups(field: str) -> frozenset[str]:
    if field in EXTRA_FIELDS:
        return frozenset({"_extra"})
    if field.startswith("cf_"):
        return frozenset({"_default", "_custom"})
    return frozenset({"_default"})


# -- shared pieces ---------------------------------------------------------------------------


def iso_time(at: float) -> str:
    """Bugzilla 5's REST time format, ``2014-09-23T19:12:17Z``."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _account_id(login: str) -> int:
    return 100_000 + zlib.crc32(login.encode()) % 900_000


def _real_name(login: str, world: World | None) -> str:
    known = _ACCOUNTS.get(login)
    if known is not None:
        return known
    local, _, domain = login.partition("@")
    user = world.users.get(local) if world is not None and domain == "fedoraproject.org" else None
    return user.fullname if user is not None else local


def user_detail(login: str, world: World | None = None) -> dict[str, Any]:
    """A ``*_detail`` object: the Bugzilla account behind a login."""
    return {
        "email": login,
        "id": _account_id(login),
        "name": login,
        "real_name": _real_name(login, world),
    }


def _umb_user(login: str, world: World | None) -> dict[str, Any]:
    return {"login": login, "id": _account_id(login), "real_name": _real_name(login, world)}


def _digest(bug: Bug) -> int:
    return int.from_bytes(hashlib.blake2b(f"{bug.id}".encode(), digest_size=4).digest(), "big")


def cc(bug: Bug) -> list[str]:
    """The bug's CC list: its reporter and its assignee."""
    return list(dict.fromkeys([bug.creator, bug.assignee]))


def _abrt(bug: Bug) -> bool:
    return bug.summary.startswith("[abrt]")


def op_sys(bug: Bug) -> str:
    return "Linux" if _abrt(bug) else "Unspecified"


def whiteboard(bug: Bug) -> str:
    """ABRT's hash for crash reports, empty otherwise."""
    if not _abrt(bug):
        return ""
    digest = hashlib.sha256(bug.summary.encode()).hexdigest()
    return f"abrt_hash:{digest};reports:{1 + _digest(bug) % 40}"


def platform(bug: Bug) -> str:
    """The hardware field: ABRT reports their architecture."""
    return "x86_64" if _abrt(bug) else "Unspecified"


def _flags(bug: Bug) -> list[dict[str, Any]]:
    """A needinfo on the assignee for some untouched bugs, set by the reporter."""
    if bug.status != "NEW" or _digest(bug) % 5:
        return []
    when = iso_time(bug.created + 3600)
    return [
        {
            "id": 4_000_000 + bug.id % 1_000_000,
            "type_id": _NEEDINFO_TYPE_ID,
            "name": "needinfo",
            "status": "?",
            "setter": bug.creator,
            "requestee": bug.assignee,
            "is_active": True,
            "creation_date": when,
            "modification_date": when,
        }
    ]


def _fixed_in(bug: Bug, world: World | None) -> str:
    """The NVR bodhi wrote into "Fixed In Version" when its update closed the bug."""
    if world is None or bug.is_open:
        return ""
    for update in world.updates_by_package.get(bug.component, ()):
        if bug.id in update.bug_ids:
            for build in world.update_builds(update):
                if build.name == bug.component:
                    return build.nvr
    return ""


def _closing_update(bug: Bug, world: World | None) -> tuple[str, str] | None:
    if world is None or bug.is_open:
        return None
    for update in world.updates_by_package.get(bug.component, ()):
        if bug.id in update.bug_ids:
            release = world.releases.get(update.release)
            return update.alias, release.long_name if release else update.release
    return None


def _description(bug: Bug) -> str:
    return (
        f"Description of problem:\n{bug.summary}\n\n"
        f"Version-Release number of selected component (if applicable):\n{bug.component}\n\n"
        "How reproducible:\nAlways\n\n"
        "Steps to Reproduce:\n1. Install the package\n2. Use it as documented\n\n"
        "Actual results:\nIt fails.\n\nExpected results:\nIt works.\n\nAdditional info:\n"
    )


def comments(bug: Bug, world: World | None = None) -> list[dict[str, Any]]:
    """The bug's comments: the description, and bodhi's note when an update closed it."""
    first = _comment(bug, 0, bug.creator, bug.created, _description(bug))
    out = [first]
    closing = _closing_update(bug, world)
    if closing is not None:
        alias, release = closing
        text = (
            f"{alias} has been pushed to the {release} stable repository.\n"
            "If problem still persists, please make note of it in this bug report."
        )
        out.append(_comment(bug, 1, "updates@fedoraproject.org", bug.changed, text))
    return out


def _comment(bug: Bug, count: int, author: str, at: float, text: str) -> dict[str, Any]:
    when = iso_time(at)
    return {
        "id": bug.id * 8 + count,
        "bug_id": bug.id,
        "attachment_id": None,
        "count": count,
        "creator": author,
        "creator_id": _account_id(author),
        "author": author,
        "creation_time": when,
        "time": when,
        "is_private": False,
        "tags": [],
        "text": text,
    }


# -- the REST bug ----------------------------------------------------------------------------


def _field_values(bug: Bug, world: World | None) -> dict[str, Callable[[], Any]]:
    """Every field of the REST bug, each computed only when the filter wants it."""
    closed = None if bug.is_open else iso_time(bug.changed)
    return {
        "actual_time": lambda: 0.0,
        "alias": list,
        "assigned_to": lambda: bug.assignee,
        "blocks": list,
        "cc": lambda: cc(bug),
        "cf_build_id": str,
        "cf_conditional_nak": list,
        "cf_cust_facing": lambda: "---",
        "cf_devel_whiteboard": str,
        "cf_doc_type": lambda: "If docs needed, set a value",
        "cf_environment": str,
        "cf_fixed_in": lambda: _fixed_in(bug, world),
        "cf_internal_whiteboard": str,
        "cf_last_closed": lambda: closed,
        "cf_partner": list,
        "cf_pgm_internal": str,
        "cf_pm_score": lambda: "0",
        "cf_qa_whiteboard": str,
        "cf_qe_conditional_nak": list,
        "cf_release_notes": str,
        "cf_verified": list,
        "classification": lambda: "Fedora",
        "comments": lambda: comments(bug, world),
        "component": lambda: [bug.component],
        "creation_time": lambda: iso_time(bug.created),
        "creator": lambda: bug.creator,
        "depends_on": list,
        "description": lambda: _description(bug),
        "docs_contact": str,
        "estimated_time": lambda: 0.0,
        "external_bugs": list,
        "flags": lambda: _flags(bug),
        "groups": list,
        "id": lambda: bug.id,
        "is_cc_accessible": lambda: True,
        "is_confirmed": lambda: True,
        "is_creator_accessible": lambda: True,
        "is_open": lambda: bug.is_open,
        "keywords": lambda: list(bug.keywords),
        "last_change_time": lambda: iso_time(bug.changed),
        "op_sys": lambda: op_sys(bug),
        "platform": lambda: platform(bug),
        "priority": lambda: bug.priority,
        "product": lambda: bug.product,
        "qa_contact": lambda: QA_CONTACT,
        "remaining_time": lambda: 0.0,
        "resolution": lambda: bug.resolution,
        "see_also": list,
        "severity": lambda: bug.severity,
        "status": lambda: bug.status,
        "sub_components": dict,
        "summary": lambda: bug.summary,
        "tags": list,
        "target_milestone": lambda: "---",
        "target_release": lambda: ["---"],
        "url": str,
        "version": lambda: [bug.version],
        "whiteboard": lambda: whiteboard(bug),
    }


def bug_json(
    bug: Bug,
    include_fields: Iterable[str] | FieldFilter | None = None,
    *,
    exclude_fields: Iterable[str] | None = None,
    extra_fields: Iterable[str] | None = None,
    world: World | None = None,
) -> dict[str, Any]:
    """The bug as ``GET /rest/bug`` returns it, keys sorted as RHBZ sends them.

    ``world`` lets the bug name its accounts' real names and the build that fixed it
    (``cf_fixed_in``, bodhi's closing comment); without it those stay plain.
    """
    if isinstance(include_fields, FieldFilter):
        wanted = include_fields
    else:
        if isinstance(include_fields, str):  # "id,summary", as a query string has it
            include_fields = include_fields.split(",")
        wanted = FieldFilter.of(include_fields, exclude_fields, extra_fields)
    out: dict[str, Any] = {}
    for field, value in sorted(_field_values(bug, world).items()):
        if not wanted.wants(field):
            continue
        out[field] = value()
        if field in _PEOPLE:
            logins = out[field] if isinstance(out[field], list) else [out[field]]
            details = [user_detail(login, world) for login in logins]
            out[f"{field}_detail"] = details if field == "cc" else details[0]
    return dict(sorted(out.items()))


# -- the bus bug -------------------------------------------------------------------------------

_VERSION_IDS = {"rawhide": 900}


def version_id(version: str) -> int:
    """The id of a Fedora version in RHBZ ("rawhide" included); the product shows the same."""
    if version in _VERSION_IDS:
        return _VERSION_IDS[version]
    return 6_000 + int(version) if version.isdigit() else 899


def bug_umb(bug: Bug, world: World | None = None) -> dict[str, Any]:
    """The ``bug`` of a bugzilla2fedmsg message (bz4compat), times as epoch floats."""
    return {
        "id": bug.id,
        "summary": bug.summary,
        "status": {"id": _STATUS_IDS.get(bug.status, 0), "name": bug.status},
        "resolution": bug.resolution,
        "severity": bug.severity,
        "priority": bug.priority,
        "product": bug.product,
        "component": bug.component,
        "version": {"id": version_id(bug.version), "name": bug.version},
        "classification": "Fedora",
        "creation_time": float(int(bug.created)),
        "last_change_time": float(int(bug.changed)),
        "keywords": list(bug.keywords),
        "flags": [_umb_flag(flag) for flag in _flags(bug)],
        "alias": [],
        "is_private": False,
        "platform": platform(bug),
        "operating_system": op_sys(bug),
        "op_sys": op_sys(bug),
        "url": "",
        "whiteboard": whiteboard(bug),
        "target_milestone": None,
        "reporter": _umb_user(bug.creator, world),
        "qa_contact": _umb_user(QA_CONTACT, world),
        "assigned_to": bug.assignee,
        "creator": bug.creator,
        "cc": cc(bug),
        "weburl": f"{BUGZILLA_URL}/show_bug.cgi?id={bug.id}",
        "cf_fixed_in": _fixed_in(bug, world),
        "cf_last_closed": None if bug.is_open else float(int(bug.changed)),
        "cf_doc_type": "",
        "cf_release_notes": "",
        "cf_environment": "",
        "cf_story_points": "",
        "cf_ovirt_team": "",
        "cf_cloudforms_team": "",
        "cf_type": "",
        "cf_atomic": "",
        "cf_regression_status": "",
        "cf_category": "",
        "cf_documentation_action": "",
        "cf_clone_of": "",
        "cf_crm": "",
        "cf_mount_type": "",
    }


def _umb_flag(flag: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": flag["id"],
        "name": flag["name"],
        "value": flag["status"],
        "setter": flag["setter"],
        "requestee": flag["requestee"],
    }
