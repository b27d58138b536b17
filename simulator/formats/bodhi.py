"""Bodhi's JSON for the world's records: updates, releases, users, comments, overrides.

These follow bodhi's model serialization (``bodhi-server/bodhi/server/models.py``:
``BodhiBase.__json__`` and the ``__exclude_columns__``/``__include_extras__`` of each
model). The REST API in :mod:`simulator.upstreams.bodhi` answers with them, and the
bus messages embed them whole, as bodhi's ``FedMsgEncoder`` does, so one update looks
the same wherever a client meets it. Datetimes are bodhi's ``"YYYY-MM-DD HH:MM:SS"``
(UTC, no zone); dates of releases are ``"YYYY-MM-DD"``.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from simulator.catalog.model import Build, Comment, Override, Release, Update, UpdateStatus
from simulator.world import World

__all__ = [
    "BODHI_URL",
    "bodhi_date",
    "bodhi_time",
    "comment_json",
    "meets_testing_requirements",
    "override_json",
    "release_id",
    "release_json",
    "test_gating_status",
    "update_json",
    "update_title",
    "user_json",
]

BODHI_URL = "https://bodhi.fedoraproject.org"
#: Days an update waits in testing before it may go stable without enough karma.
MANDATORY_DAYS = 7
#: Critical path updates wait longer (``critpath.stable_after_days_without_negative_karma``).
CRITPATH_DAYS = 14
_DAY = 86400.0
_SYSTEM_USERS = frozenset({"bodhi"})
_BODHI_AVATAR = "https://apps.fedoraproject.org/img/icons/bodhi-24.png"


def bodhi_time(ts: float | None) -> str | None:
    """A timestamp as bodhi renders datetimes: ``"2019-05-28 16:54:22"`` in UTC."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def bodhi_date(ts: float | None) -> str | None:
    """A timestamp as bodhi renders dates (``released_on``, ``eol``): ``"2026-10-27"``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


# -- releases ------------------------------------------------------------------------------


def release_id(release: Release) -> int:
    """The database id bodhi gives a release; builds refer to it as ``release_id``."""
    return release.version


def release_json(release: Release) -> dict[str, Any]:
    """``Release.__json__``: every column but ``id``, plus ``setting_status``."""
    dist = release.dist_tag
    rawhide = release.is_rawhide
    return {
        "name": release.name,
        "long_name": release.long_name,
        "version": str(release.version),
        "id_prefix": "FEDORA",
        "branch": release.branch,
        "dist_tag": dist,
        "stable_tag": release.stable_tag,
        "testing_tag": release.testing_tag,
        "candidate_tag": release.candidate_tag,
        "pending_signing_tag": f"{dist}-signing-pending",
        "pending_testing_tag": f"{dist}-updates-testing-pending",
        "pending_stable_tag": f"{dist}-updates-pending",
        "override_tag": release.override_tag,
        "mail_template": "fedora_errata_template",
        "state": release.state,
        "composed_by_bodhi": not rawhide,
        "create_automatic_updates": rawhide,
        "package_manager": "dnf",
        "testing_repository": None if rawhide else "updates-testing",
        "released_on": bodhi_date(release.released_on),
        "eol": bodhi_date(release.eol),
        "setting_status": None,
    }


# -- users ---------------------------------------------------------------------------------


def _avatar(name: str) -> str:
    """bodhi's libravatar URL: the SHA-256 of the user's OpenID, 24 pixels, retro default."""
    openid = f"http://{name}.id.fedoraproject.org/"
    digest = hashlib.sha256(openid.encode()).hexdigest()
    return f"https://seccdn.libravatar.org/avatar/{digest}?{urlencode({'s': 24, 'd': 'retro'})}"


def _user_id(world: World, name: str) -> int:
    user = world.users.get(name)
    if user is not None:
        return user.id
    return 1_000_000 + zlib.crc32(name.encode()) % 1_000_000  # never mutate the world to render


def user_json(world: World, name: str) -> dict[str, Any]:
    """``User.__json__``: id, name, email, avatar, openid and the user's groups."""
    if name in _SYSTEM_USERS:
        return {
            "id": _user_id(world, name),
            "name": name,
            "email": None,
            "avatar": _BODHI_AVATAR,
            "openid": f"{name}.id.fedoraproject.org",
            "groups": [],
        }
    return {
        "id": _user_id(world, name),
        "name": name,
        "email": f"{name}@fedoraproject.org",
        "avatar": _avatar(name),
        "openid": f"{name}.id.fedoraproject.org",
        "groups": [{"name": "packager"}],
    }


# -- updates -------------------------------------------------------------------------------


def update_title(builds: list[Build]) -> str:
    """``Update.title``: the NVRs of the update's builds, sorted, joined by spaces."""
    return " ".join(sorted(build.nvr for build in builds))


def _version_hash(builds: list[Build]) -> str:
    return hashlib.sha1(update_title(builds).encode(), usedforsecurity=False).hexdigest()


def test_gating_status(update: Update) -> str:
    """Greenwave's verdict as bodhi records it: waiting until the update left pending."""
    return "waiting" if update.status is UpdateStatus.PENDING else "passed"


def _release_of(world: World, update: Update) -> Release | None:
    return world.releases.get(update.release)


def meets_testing_requirements(world: World, update: Update) -> bool:
    """``Update.meets_testing_requirements``: gating passed, then karma or days in testing."""
    release = _release_of(world, update)
    if release is not None and release.is_rawhide:
        return True  # rawhide has no mandatory time in testing
    if test_gating_status(update) != "passed":
        return False
    if update.karma >= update.stable_karma:
        return True
    if update.date_testing is None:
        return False
    days = CRITPATH_DAYS if update.critpath else MANDATORY_DAYS
    return (world.now - update.date_testing) // _DAY >= days


def _is_pushed(update: Update) -> bool:
    return update.pushed is not None and update.status is not UpdateStatus.UNPUSHED


def _build_json(build: Build, release: Release | None, *, signed: bool) -> dict[str, Any]:
    return {
        "nvr": build.nvr,
        "release_id": release_id(release) if release is not None else None,
        "signed": signed,
        "type": "rpm",
        "epoch": build.epoch or 0,
    }


def _bug_json(world: World, bug_id: int) -> dict[str, Any]:
    bug = world.bugs.get(bug_id)
    return {
        "bug_id": bug_id,
        "title": bug.summary if bug is not None else None,
        "security": bug is not None and "Security" in bug.keywords,
        "parent": False,
        "feedback": [],
    }


def _nested_comment(world: World, update: Update, comment: Comment) -> dict[str, Any]:
    """A comment as it sits inside its update's ``comments``."""
    return {
        "id": comment.id,
        "karma": comment.karma,
        "karma_critpath": 0,
        "text": comment.text,
        "timestamp": bodhi_time(comment.at),
        "update_id": update.id,
        "user_id": _user_id(world, comment.user),
        "user": user_json(world, comment.user),
        "bug_feedback": [],
        "testcase_feedback": [],
    }


def update_json(world: World, update: Update) -> dict[str, Any]:
    """``Update.__json__``: the whole update with its builds, release, user, comments, bugs."""
    release = _release_of(world, update)
    rawhide = release is not None and release.is_rawhide
    builds = sorted(world.update_builds(update), key=lambda build: build.nvr)
    signed = update.status is not UpdateStatus.PENDING
    comments = sorted(update.comments, key=lambda comment: (comment.at, comment.id))
    return {
        "alias": update.alias,
        "updateid": update.alias,
        "title": update_title(builds),
        "display_name": "",
        "status": update.status.value,
        "request": update.request,
        "type": update.type,
        "severity": update.severity,
        "suggest": "unspecified",
        "content_type": "rpm",
        "karma": update.karma,
        "stable_karma": update.stable_karma,
        "unstable_karma": update.unstable_karma,
        "stable_days": 0 if rawhide else (CRITPATH_DAYS if update.critpath else MANDATORY_DAYS),
        "autokarma": update.autokarma,
        "autotime": not rawhide,
        "critpath": update.critpath,
        "critpath_groups": "critical-path-base" if update.critpath else None,
        "locked": False,
        "pushed": _is_pushed(update),
        "close_bugs": True,
        "require_bugs": not rawhide,
        "require_testcases": not rawhide,
        "requirements": "",
        "notes": update.notes,
        "date_submitted": bodhi_time(update.submitted),
        "date_modified": bodhi_time(update.modified),
        "date_approved": None,
        "date_testing": bodhi_time(update.date_testing),
        "date_stable": bodhi_time(update.date_stable),
        "date_pushed": bodhi_time(update.pushed),
        "test_gating_status": test_gating_status(update),
        "from_tag": None,
        "meets_testing_requirements": meets_testing_requirements(world, update),
        "version_hash": _version_hash(builds),
        "url": f"{BODHI_URL}/updates/{update.alias}",
        "release": release_json(release) if release is not None else None,
        "user": user_json(world, update.submitter),
        "builds": [_build_json(build, release, signed=signed) for build in builds],
        "bugs": [_bug_json(world, bug_id) for bug_id in sorted(update.bug_ids)],
        "comments": [_nested_comment(world, update, comment) for comment in comments],
        "test_cases": [],
    }


def comment_json(world: World, update: Update, comment: Comment) -> dict[str, Any]:
    """``Comment.__json__``: the comment, its ``author`` and ``update_alias``, and its update.

    This is the comment of ``GET /comments/`` and of the ``bodhi.update.comment`` message,
    whose body nests the update here (without the update's own comments, as bodhi's
    serializer stops at the back-reference).
    """
    nested = update_json(world, update)
    del nested["comments"]
    return {
        **_nested_comment(world, update, comment),
        "author": comment.user,
        "update_alias": update.alias,
        "update": nested,
    }


# -- buildroot overrides -------------------------------------------------------------------


def override_json(world: World, override: Override) -> dict[str, Any]:
    """``BuildrootOverride.__json__``: the override with its build and submitter."""
    build = world.builds[override.build_id]
    release = world.releases.get(override.release)
    return {
        "build": _build_json(build, release, signed=True),
        "build_id": build.id,
        "nvr": build.nvr,
        "notes": override.notes,
        "submission_date": bodhi_time(override.submitted),
        "expiration_date": bodhi_time(override.expires),
        "expired_date": bodhi_time(override.expired),
        "submitter": user_json(world, override.submitter),
        "submitter_id": _user_id(world, override.submitter),
    }
