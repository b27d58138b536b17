"""Fedora bus messages, in fedora-messaging's wire format, built from world records.

A :class:`Message` is what fedora-messaging puts on the broker: a topic (published
under the routing key ``org.fedoraproject.prod.<topic>`` on ``amq.topic``), a JSON
object body, and the headers a schema class would set — the schema's entry-point
name (``fedora_messaging_schema``), its distribution, the severity, ``sent-at``,
the priority mirror, and the filter headers ``fedora_messaging_user_<name>`` and
``fedora_messaging_rpm_<package>`` that the schema's ``usernames``/``packages``
properties produce.

The builders below (one per topic) produce the bodies the real publishers send:
koji's fedora-messaging hub plugin, bodhi, bugzilla2fedmsg (bz4compat shape),
src.fedoraproject.org's pagure and mdapi. Record JSON (a bodhi update, a pagure
project, a Bugzilla bug) comes from the upstream renderers in
:mod:`simulator.formats`, so a message carries exactly what the REST API serves.

The schema packages themselves are test dependencies only; this module restates
their entry-point names and filter-header rules, and the tests check the two agree.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulator.catalog.model import Bug, Build, BuildState, Comment, Package, Update
from simulator.formats import bodhi as bodhi_format
from simulator.formats import bugzilla as bugzilla_format
from simulator.formats import koji as koji_format
from simulator.formats import pagure as pagure_format
from simulator.world import World

#: fedora-messaging severities (``fedora_messaging.message``).
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40

#: Fedora production's topic prefix: routing key = ``<prefix>.<topic>``.
TOPIC_PREFIX = "org.fedoraproject.prod"

KOJI_BASE_URL = "https://koji.fedoraproject.org"
KOJI_FILES_URL = "https://kojipkgs.fedoraproject.org/work"

HeaderValue = str | int | bool
Headers = dict[str, HeaderValue]
Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Schema:
    """A fedora-messaging schema class, by its entry-point name and distribution."""

    name: str
    package: str
    severity: int = INFO


_KOJI = "koji_fedoramessaging_messages"
_BODHI = "bodhi_messages"
_BZ = "bugzilla2fedmsg_schema"
_PAGURE = "pagure_messages"

#: topic -> the schema class Fedora publishes it with.
SCHEMAS: dict[str, Schema] = {
    "buildsys.build.state.change": Schema("koji_fedoramessaging.build.BuildStateChangeV1", _KOJI),
    "buildsys.tag": Schema("koji_fedoramessaging.tag.TagV1", _KOJI, DEBUG),
    "buildsys.untag": Schema("koji_fedoramessaging.tag.UntagV1", _KOJI, DEBUG),
    "bodhi.update.request.testing": Schema("bodhi.update.request.testing.v1", _BODHI),
    "bodhi.update.request.stable": Schema("bodhi.update.request.stable.v1", _BODHI),
    "bodhi.update.request.obsolete": Schema("bodhi.update.request.obsolete.v1", _BODHI),
    "bodhi.update.request.unpush": Schema("bodhi.update.request.unpush.v1", _BODHI),
    "bodhi.update.request.revoke": Schema("bodhi.update.request.revoke.v1", _BODHI),
    "bodhi.update.complete.testing": Schema("bodhi.update.complete.testing.v1", _BODHI),
    "bodhi.update.complete.stable": Schema("bodhi.update.complete.stable.v1", _BODHI),
    "bodhi.update.comment": Schema("bodhi.update.comment.v1", _BODHI),
    "bodhi.update.status.testing.koji-build-group.build.complete": Schema(
        "bodhi.update.status.testing.v3", _BODHI, DEBUG
    ),
    "bodhi.update.karma.threshold.reach": Schema("bodhi.update.karma.threshold.v1", _BODHI),
    "bodhi.update.requirements_met.stable": Schema(
        "bodhi.update.requirements_met.stable.v1", _BODHI
    ),
    "bugzilla.bug.new": Schema("bugzilla2fedmsg.messageV1bz4", _BZ),
    "bugzilla.bug.update": Schema("bugzilla2fedmsg.messageV1bz4", _BZ),
    "pagure.project.edit": Schema("pagure.project.edit", _PAGURE),
    "pagure.project.user.added": Schema("pagure.project.user.added", _PAGURE),
    "pagure.project.user.access.updated": Schema("pagure.project.user.access.updated", _PAGURE),
    "pagure.project.user.removed": Schema("pagure.project.user.removed", _PAGURE),
    "mdapi.repo.update": Schema("mdapi.repo.update", "mdapi_messages"),
}


@dataclass(frozen=True, slots=True)
class Message:
    """One message as fedora-messaging publishes it."""

    topic: str  # without the prefix, e.g. "buildsys.tag"
    body: Body
    headers: Headers
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    priority: int = 0

    @classmethod
    def create(
        cls,
        topic: str,
        body: Body,
        *,
        usernames: Iterable[str] = (),
        packages: Iterable[str] = (),
        priority: int = 0,
        sent_at: datetime | None = None,
    ) -> Message:
        """A message with the headers fedora-messaging derives from the topic's schema."""
        schema = SCHEMAS[topic]
        moment = (sent_at or datetime.now(UTC)).replace(microsecond=0)
        headers: Headers = {
            "fedora_messaging_schema": schema.name,
            "fedora_messaging_schema_package": schema.package,
            "sent-at": moment.isoformat(),
            "fedora_messaging_severity": schema.severity,
            "priority": priority,
        }
        headers.update({f"fedora_messaging_user_{name}": True for name in usernames})
        headers.update({f"fedora_messaging_rpm_{name}": True for name in packages})
        return cls(topic=topic, body=body, headers=headers, priority=priority)

    @property
    def routing_key(self) -> str:
        return f"{TOPIC_PREFIX}.{self.topic}"

    @property
    def schema(self) -> str:
        return str(self.headers["fedora_messaging_schema"])

    @property
    def severity(self) -> int:
        return int(self.headers["fedora_messaging_severity"])

    @property
    def sent_at(self) -> str:
        return str(self.headers["sent-at"])

    @property
    def packages(self) -> list[str]:
        """The packages named by the ``fedora_messaging_rpm_*`` filter headers."""
        return _filtered(self.headers, "fedora_messaging_rpm_")

    @property
    def usernames(self) -> list[str]:
        """The users named by the ``fedora_messaging_user_*`` filter headers."""
        return _filtered(self.headers, "fedora_messaging_user_")

    def encoded_body(self) -> bytes:
        """The AMQP payload: the body as UTF-8 JSON, as fedora-messaging encodes it."""
        return json.dumps(self.body).encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The serialized form of ``fedora_messaging.message.dumps`` (topic with prefix)."""
        return {
            "topic": self.routing_key,
            "headers": dict(self.headers),
            "id": self.id,
            "body": self.body,
            "queue": None,
            "priority": self.priority,
        }

    def dumps(self) -> str:
        """One line of the ``fedora-messaging publish`` file format."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        topic = str(data["topic"]).removeprefix(TOPIC_PREFIX + ".")
        return cls(
            topic=topic,
            body=dict(data["body"]),
            headers=dict(data.get("headers") or {}),
            id=str(data.get("id") or uuid.uuid4()),
            priority=int(data.get("priority") or 0),
        )


def dumps(messages: Iterable[Message]) -> str:
    """Messages in the fedora-messaging file format: one JSON object per line."""
    return "".join(message.dumps() + "\n" for message in messages)


def loads(text: str) -> list[Message]:
    return [Message.from_dict(json.loads(line)) for line in text.splitlines() if line.strip()]


def _filtered(headers: Headers, prefix: str) -> list[str]:
    return [
        key.removeprefix(prefix)
        for key, value in headers.items()
        if key.startswith(prefix) and value is True
    ]


def iso(ts: float | None) -> str | None:
    """``datetime.isoformat()`` in UTC, as koji's plugin renders build times."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat()


# -- koji ----------------------------------------------------------------------------------

_SCRUBBED = frozenset({"weight", "start_ts", "create_ts", "completion_ts"})
_TASK_TIMES = ("create_time", "start_time", "completion_time")
_MASS_REBUILD = re.compile(r"^f\d+-rebuild$")
_ELN = re.compile(r"^eln(-.*)?$")


def build_state_change(world: World, build: Build, *, old: BuildState | None) -> Message:
    """``buildsys.build.state.change`` for the build's current state."""
    info = koji_format.build_info(world, build)
    task = _task_block(world, build) if build.task_id is not None else None
    body: Body = {
        "base_url": KOJI_BASE_URL,
        "files_base_url": KOJI_FILES_URL,
        "name": info["name"],
        "version": info["version"],
        "release": info["release"],
        "epoch": info["epoch"],
        "attribute": "state",
        "old": None if old is None else int(old),
        "new": int(build.state),
        "build_id": info["id"],
        "url": f"{KOJI_BASE_URL}/koji/buildinfo?buildID={build.id}",
        "task_id": info["task_id"],
        "request": task["request"] if task is not None else None,
        "owner": info["owner_name"],
        "instance": "primary",
        "completion_time": iso(build.completed),
        "creation_time": iso(build.created),
        "task": task,
    }
    owner = body["owner"]
    return Message.create(
        "buildsys.build.state.change",
        _scrub(body),
        usernames=[owner] if owner else [],
        packages=[build.name],
    )


def _task_block(world: World, build: Build) -> Body:
    """The plugin's full task info: times as whole epoch seconds, owner by name."""
    task = dict(koji_format.task_info(world, build, True))
    for key in _TASK_TIMES:
        stamp = task.get(key.replace("_time", "_ts"))
        if isinstance(stamp, int | float):
            task[key] = float(int(stamp))
        elif task.get(key) is not None:
            task[key] = _koji_seconds(str(task[key]))
    task.setdefault("request", [koji_format.build_source(build), build.target, {}])
    owner = task.get("owner")
    if isinstance(owner, int):
        user = world.users_by_id.get(owner)
        task["owner"] = user.name if user is not None else build.owner
    host = task.get("host_id")
    task["host_name"] = f"buildvm-x86-{host:02d}.rdu3.fedoraproject.org" if host else None
    task["url"] = f"{KOJI_BASE_URL}/koji/taskinfo?taskID={task.get('id', build.task_id)}"
    task.setdefault("result", None)
    task["children"] = []
    return task


def _koji_seconds(text: str) -> float:
    """Whole epoch seconds of a koji time string (``2023-06-09 07:17:25.39+00:00``)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return float(int(moment.timestamp()))


def _scrub(value: Any) -> Any:
    """The plugin's last step: drop float fields that encode differently across hosts."""
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in _SCRUBBED}
    return value


def _tag_body(world: World, build: Build, tag_name: str, user: str) -> Body:
    return {
        "tag": tag_name,
        "name": build.name,
        "version": build.version,
        "release": build.release,
        "user": user,
        "owner": build.owner,
        "tag_id": world.tags[tag_name].id,
        "build_id": build.id,
        "instance": "primary",
        "base_url": KOJI_BASE_URL,
    }


def _tag_priority(tag_name: str) -> int:
    """``TagMessage._choose_priority``: mass rebuilds lowest, ELN next, the rest 2."""
    if _MASS_REBUILD.match(tag_name):
        return 0
    if _ELN.match(tag_name):
        return 1
    return 2


def tag(world: World, build: Build, tag_name: str, *, user: str) -> Message:
    """``buildsys.tag``: ``build`` was tagged into ``tag_name`` by ``user``."""
    return Message.create(
        "buildsys.tag",
        _tag_body(world, build, tag_name, user),
        usernames=[user, build.owner],
        packages=[build.name],
        priority=_tag_priority(tag_name),
    )


def untag(world: World, build: Build, tag_name: str, *, user: str) -> Message:
    """``buildsys.untag``: ``build`` was untagged from ``tag_name`` by ``user``."""
    return Message.create(
        "buildsys.untag",
        _tag_body(world, build, tag_name, user),
        usernames=[user, build.owner],
        packages=[build.name],
        priority=_tag_priority(tag_name),
    )


# -- bodhi ---------------------------------------------------------------------------------

_MENTION = re.compile(r"(?<!\S)(@\w+)")


def _bodhi_headers(
    update_body: Body, agent: str | None, text: str | None = None
) -> tuple[list[str], list[str]]:
    """``UpdateMessage.usernames`` and ``.packages`` for an update message body."""
    users = {agent} if agent else set()
    if text:
        users.update(mention[1:] for mention in _MENTION.findall(text))
    users.add(update_body["user"]["name"])
    packages = [build["nvr"].rsplit("-", 2)[0] for build in update_body["builds"]]
    return sorted(users), packages


def _update_message(topic: str, update_body: Body, extra: Body, agent: str | None) -> Message:
    body: Body = {"update": update_body, **extra}
    usernames, packages = _bodhi_headers(update_body, agent)
    return Message.create(topic, body, usernames=usernames, packages=packages)


def update_request(world: World, update: Update, request: str, *, agent: str) -> Message:
    """``bodhi.update.request.<request>``: ``agent`` set the update's request."""
    return _update_message(
        f"bodhi.update.request.{request}",
        bodhi_format.update_json(world, update),
        {"agent": agent},
        agent,
    )


def update_complete(world: World, update: Update, *, agent: str = "bodhi") -> Message:
    """``bodhi.update.complete.<status>``: the push to testing or stable finished."""
    return _update_message(
        f"bodhi.update.complete.{update.status.value}",
        bodhi_format.update_json(world, update),
        {"agent": agent},
        agent,
    )


def update_comment(world: World, update: Update, comment: Comment) -> Message:
    """``bodhi.update.comment``: the update is nested under ``comment.update``."""
    comment_body = bodhi_format.comment_json(world, update, comment)
    update_body: Body = comment_body["update"]
    body: Body = {"comment": comment_body, "agent": comment.user}
    usernames, packages = _bodhi_headers(update_body, comment.user, comment.text)
    return Message.create("bodhi.update.comment", body, usernames=usernames, packages=packages)


def update_ready_for_testing(
    world: World, update: Update, *, agent: str = "bodhi", retrigger: bool = False
) -> Message:
    """``bodhi.update.status.testing.koji-build-group.build.complete`` (v3), for CI."""
    artifact = {
        "type": "koji-build-group",
        "builds": [
            {"type": "koji-build", "id": b.id, "task_id": b.task_id, "nvr": b.nvr}
            for b in world.update_builds(update)
        ],
    }
    extra: Body = {"artifact": artifact, "agent": agent, "re-trigger": retrigger}
    return _update_message(
        "bodhi.update.status.testing.koji-build-group.build.complete",
        bodhi_format.update_json(world, update),
        extra,
        agent,
    )


def update_karma_threshold(world: World, update: Update, status: str) -> Message:
    """``bodhi.update.karma.threshold.reach``: ``status`` is "stable" or "unstable"."""
    return _update_message(
        "bodhi.update.karma.threshold.reach",
        bodhi_format.update_json(world, update),
        {"status": status},
        None,
    )


def update_requirements_met(world: World, update: Update) -> Message:
    """``bodhi.update.requirements_met.stable``: gating and karma allow a stable push."""
    return _update_message(
        "bodhi.update.requirements_met.stable", bodhi_format.update_json(world, update), {}, None
    )


# -- bugzilla (bugzilla2fedmsg, bz4compat) --------------------------------------------------

_FAS_DOMAIN = "@fedoraproject.org"
_NOT_PACKAGES = frozenset(
    {
        "distribution",
        "LiveCD",
        "LiveCD - FEL",
        "LiveCD - Games",
        "LiveCD - KDE",
        "LiveCD - LXDE",
        "LiveCD - Xfce",
        "Package Review",
    }
)


@dataclass(frozen=True, slots=True)
class BugChange:
    """One row of a Bugzilla change set."""

    field: str
    field_name: str
    removed: str
    added: str

    def to_json(self) -> Body:
        return {
            "field": self.field,
            "removed": self.removed,
            "added": self.added,
            "field_name": self.field_name,
        }


def fas_name(email: str) -> str | None:
    """The FAS account behind a Bugzilla login, when it is a fedoraproject.org address."""
    return email.removesuffix(_FAS_DOMAIN) if email.endswith(_FAS_DOMAIN) else None


def _bz_user(world: World, login: str) -> Body:
    """A Bugzilla account as the UMB message names it: login, id, real name."""
    detail = bugzilla_format.user_detail(login, world)
    return {"login": login, "id": detail["id"], "real_name": detail["real_name"]}


def _bug_event(
    world: World, bug: Bug, *, who: str, action: str, at: float, changes: list[BugChange]
) -> Body:
    routing_key = "bug.create" if action == "create" else "bug.modify"
    digest = int(hashlib.sha1(f"{bug.id}:{at}".encode(), usedforsecurity=False).hexdigest()[:5], 16)
    return {
        "target": "bug",
        "action": action,
        "routing_key": routing_key,
        "bug_id": bug.id,
        "change_set": f"{digest % 90000 + 1000}.{int(at)}.{digest % 99991}",
        "time": float(int(at)),
        "user": _bz_user(world, who),
        "changes": [change.to_json() for change in changes],
        "who": who,
    }


def _umb_headers(bug: Bug, routing_key: str, at: float) -> Body:
    """The STOMP headers of the Red Hat UMB message that bugzilla2fedmsg relayed."""
    destination = f"/topic/VirtualTopic.eng.bugzilla.{routing_key}"
    stamp = int(at * 1000)
    return {
        "destination": destination,
        "original-destination": destination,
        "esbMessageType": "bugzillaNotification",
        "esbSourceSystem": "bugzilla",
        "timestamp": str(stamp),
        "expires": str(stamp + 86_400_000),
        "priority": "4",
        "correlation-id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{bug.id}:{at}")),
        "message-id": f"ID:umb.simulated-{bug.id}-{stamp}",
    }


def _bug_message(
    world: World, bug: Bug, *, who: str, action: str, at: float, changes: list[BugChange]
) -> Message:
    event = _bug_event(world, bug, who=who, action=action, at=at, changes=changes)
    people = (who, bug.assignee, bug.creator)
    usernames = sorted({name for name in map(fas_name, people) if name})
    body: Body = {
        "bug": bugzilla_format.bug_umb(bug, world),
        "event": event,
        "headers": _umb_headers(bug, event["routing_key"], at),
        "agent_name": fas_name(who),
        "usernames": usernames,
    }
    topic = "bugzilla.bug.new" if action == "create" else "bugzilla.bug.update"
    packages = [] if bug.component in _NOT_PACKAGES else [bug.component]
    return Message.create(topic, body, usernames=usernames, packages=packages)


def bug_new(world: World, bug: Bug) -> Message:
    """``bugzilla.bug.new``: the bug's reporter filed it."""
    return _bug_message(world, bug, who=bug.creator, action="create", at=bug.created, changes=[])


def bug_update(world: World, bug: Bug, changes: list[BugChange], *, who: str) -> Message:
    """``bugzilla.bug.update``: ``who`` changed the fields listed in ``changes``."""
    return _bug_message(world, bug, who=who, action="modify", at=bug.changed, changes=changes)


# -- pagure (src.fedoraproject.org) --------------------------------------------------------


def _project_message(
    topic: str, world: World, package: Package, agent: str, extra: Body
) -> Message:
    body: Body = {"agent": agent, "project": pagure_format.project_json(world, package), **extra}
    return Message.create(topic, body, usernames=[agent])


def project_edit(world: World, package: Package, *, agent: str, fields: list[str]) -> Message:
    """``pagure.project.edit``: ``agent`` changed ``fields`` of the project (e.g. its owner)."""
    return _project_message("pagure.project.edit", world, package, agent, {"fields": fields})


def project_user_added(
    world: World, package: Package, *, agent: str, user: str, access: str
) -> Message:
    """``pagure.project.user.added``: ``user`` got ``access`` on every branch."""
    extra: Body = {"new_user": user, "access": access, "branches": None}
    return _project_message("pagure.project.user.added", world, package, agent, extra)


def project_user_access_updated(
    world: World, package: Package, *, agent: str, user: str, access: str
) -> Message:
    """``pagure.project.user.access.updated``: ``user``'s access level is now ``access``."""
    extra: Body = {"new_user": user, "new_access": access, "new_branches": None}
    return _project_message("pagure.project.user.access.updated", world, package, agent, extra)


# -- mdapi ---------------------------------------------------------------------------------


def repo_url(branch: str, *, rawhide: bool) -> str:
    """The repodata path mdapi announces (the filelists database it just read)."""
    digest = hashlib.sha256(f"{branch}:{uuid.uuid4()}".encode()).hexdigest()
    if rawhide:
        base = "fedora/linux/development/rawhide/Everything/x86_64/os"
    else:
        base = f"fedora/linux/updates/{branch.removeprefix('f')}/Everything/x86_64"
    return f"{base}/repodata/{digest}-filelists.sqlite.xz"


def repo_update(branch: str, packages: list[str], *, rawhide: bool) -> Message:
    """``mdapi.repo.update``: mdapi's database for ``branch`` changed for ``packages``."""
    body: Body = {"name": branch, "packages": packages, "url": repo_url(branch, rawhide=rawhide)}
    return Message.create("mdapi.repo.update", body)
