"""Fedora bus deliveries decoded into small typed events; one topic registry.

A fedora-messaging delivery is a routing key ``<prefix>.<topic>``, headers, a UTF-8
JSON object body and a message id. :func:`decode` strips the configured prefix
(``org.fedoraproject.prod`` by default; pass ``org.fedoraproject.stg`` for staging),
looks the topic up in :data:`TOPICS` and lets that decoder read the body into one of
the events below. The schema packages (bodhi-messages, koji-fedoramessaging-messages,
…) are not runtime dependencies, so the bodies are read here, field by field, and
each event offers the ``packages`` its schema class would (bodhi's
``BuildV1.package``, bugzilla2fedmsg's component minus pseudo-components, pagure's
``rpms`` namespace). A topic the gateway does not use decodes to :class:`Unknown`
without its body being read.

=============================================  ===================================
topic (after the prefix)                       event
=============================================  ===================================
``buildsys.build.state.change``                :class:`BuildStateChanged`
``buildsys.tag`` / ``buildsys.untag``          :class:`Tagged` (``untagged``)
``bodhi.update.request.*``, ``.complete.*``,   :class:`UpdateChanged` (update at
``.edit``, ``.eject``, ``.karma.threshold.*``  ``body.update``)
``.requirements_met.stable``, ``.status...``
``bodhi.update.comment``                       :class:`UpdateChanged` (update at
                                               ``body.comment.update``)
``bodhi.buildroot_override.tag`` / ``.untag``  :class:`OverrideChanged`
``bugzilla.bug.new`` / ``bugzilla.bug.update`` :class:`BugChanged`
``pagure.project.*`` (ACL, edit, new, delete)  :class:`OwnershipChanged`
``pagure.git.receive``, ``git.receive``        :class:`OwnershipChanged` (``pushed``)
``mdapi.repo.update``                          :class:`RepoUpdated`
anything else                                  :class:`Unknown`
=============================================  ===================================

Errors: a body that is not JSON, not an object, lacks a field the event needs, or
has a field of the wrong type raises :class:`MalformedMessageError` (a
``ValueError``) naming the topic and the field; no other exception escapes
:func:`decode`, whatever the bytes. Fields that are absent in older shapes
(``build_id`` in 2013 tag messages, ``alias`` in 2015 bodhi updates, ``instance``)
are optional; fields the gateway does not read are never checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from clients.nvr import NVR

__all__ = [
    "PROD_PREFIX",
    "STG_PREFIX",
    "TOPICS",
    "BugChanged",
    "BuildStateChanged",
    "BusEvent",
    "Event",
    "KojiBuildEvent",
    "MalformedMessageError",
    "OverrideChanged",
    "OwnershipChanged",
    "RepoUpdated",
    "Tagged",
    "Unknown",
    "UpdateChanged",
    "UpdateComment",
    "decode",
    "topic_of",
]

PROD_PREFIX = "org.fedoraproject.prod"
STG_PREFIX = "org.fedoraproject.stg"

#: Bugzilla components that are not Fedora packages (bugzilla2fedmsg-schema's list).
NOT_PACKAGES = frozenset(
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


class MalformedMessageError(ValueError):
    """The body of a known topic cannot be read: not JSON, not an object, or a bad field."""

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"{topic}: {reason}")
        self.topic = topic
        self.reason = reason


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BusEvent:
    """What every event carries: its topic (without prefix), message id and send time."""

    topic: str
    message_id: str | None = None
    sent_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class KojiBuildEvent(BusEvent):
    """What every koji message about one build carries."""

    build_id: int | None
    name: str
    version: str
    release: str
    owner: str | None = None
    instance: str = "primary"

    @property
    def nvr(self) -> NVR:
        return NVR(self.name, self.version, self.release)

    @property
    def packages(self) -> tuple[str, ...]:
        return (self.name,)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildStateChanged(KojiBuildEvent):
    """koji: a build changed state (``old`` is None when it was created)."""

    old: int | None
    new: int
    task_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tagged(KojiBuildEvent):
    """koji: a build was tagged into (or, ``untagged``, out of) ``tag``."""

    tag: str
    untagged: bool
    user: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateComment:
    """The comment of a ``bodhi.update.comment`` message."""

    author: str | None
    karma: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateChanged(BusEvent):
    """bodhi: an update was requested, pushed, edited, commented on, gated…

    ``release`` is bodhi's release name (``F45``) and ``branch`` its dist-git branch
    when the body carries the full release JSON; ``build_ids`` are known only from
    the CI message's artifact; ``karma_status`` is the karma threshold reached.
    """

    alias: str | None
    release: str | None
    nvrs: tuple[NVR, ...]
    status: str | None
    request: str | None
    branch: str | None = None
    submitter: str | None = None
    agent: str | None = None
    new_builds: tuple[NVR, ...] = ()
    removed_builds: tuple[NVR, ...] = ()
    new_bugs: tuple[int, ...] = ()
    build_ids: tuple[int, ...] = ()
    karma_status: str | None = None
    comment: UpdateComment | None = None

    @property
    def all_nvrs(self) -> tuple[NVR, ...]:
        """The update's builds, then those an edit added or removed, each once."""
        return tuple(dict.fromkeys((*self.nvrs, *self.new_builds, *self.removed_builds)))

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(nvr.name for nvr in self.all_nvrs))


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideChanged(BusEvent):
    """bodhi: a buildroot override was created (or ``expired``) for a build."""

    nvr: NVR
    build_id: int | None = None
    submitter: str | None = None
    expired: bool = False

    @property
    def packages(self) -> tuple[str, ...]:
        return (self.nvr.name,)


@dataclass(frozen=True, slots=True, kw_only=True)
class BugChanged(BusEvent):
    """Bugzilla: a bug was filed (``new``) or changed; ``former_components`` it left."""

    bug_id: int
    components: tuple[str, ...]
    product: str | None
    new: bool
    former_components: tuple[str, ...] = ()

    @property
    def component(self) -> str:
        return self.components[0]

    @property
    def packages(self) -> tuple[str, ...]:
        names = dict.fromkeys((*self.components, *self.former_components))
        return tuple(name for name in names if name not in NOT_PACKAGES)


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnershipChanged(BusEvent):
    """dist-git: a project's access or metadata changed, or (``pushed``) it got commits.

    ``users`` are the accounts whose role may have changed: the agent, the project's
    owner and the user the message adds or removes (none for pushes).
    """

    package: str
    namespace: str | None
    fork: bool = False
    pushed: bool = False
    agent: str | None = None
    users: tuple[str, ...] = ()

    @property
    def packages(self) -> tuple[str, ...]:
        return (self.package,) if self.namespace == "rpms" and not self.fork else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoUpdated(BusEvent):
    """mdapi: the metadata of ``branch`` changed for ``packages``.

    The names are hints: mdapi lists binary RPM names and, now and then, capability
    names (``python3dist(requests)``); :attr:`package_names` keeps those that can be
    package names.
    """

    branch: str
    packages: tuple[str, ...]

    @property
    def package_names(self) -> tuple[str, ...]:
        return tuple(name for name in self.packages if _is_package_name(name))


@dataclass(frozen=True, slots=True, kw_only=True)
class Unknown(BusEvent):
    """A topic the gateway does not use; its body was not read."""


Event = (
    BuildStateChanged
    | Tagged
    | UpdateChanged
    | OverrideChanged
    | BugChanged
    | OwnershipChanged
    | RepoUpdated
    | Unknown
)

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")


def _is_package_name(name: str) -> bool:
    return bool(name) and name[0] not in ".-" and all(char in _NAME_CHARS for char in name)


# -- decoding -------------------------------------------------------------------------------


def topic_of(routing_key: str, prefix: str = PROD_PREFIX) -> str:
    """The topic of a routing key: the key without ``<prefix>.`` (a bare topic as is)."""
    return routing_key.removeprefix(f"{prefix}.") if prefix else routing_key


def decode(
    routing_key: str,
    headers: Mapping[str, object] | None,
    body: bytes,
    message_id: str | None = None,
    *,
    prefix: str = PROD_PREFIX,
) -> Event:
    """Decode one delivery; :class:`MalformedMessageError` if a known topic's body is bad."""
    topic = topic_of(routing_key, prefix)
    sent_at = _header_text((headers or {}).get("sent-at"))
    decoder = TOPICS.get(topic)
    if decoder is None:
        return Unknown(topic=topic, message_id=message_id, sent_at=sent_at)
    try:
        event = decoder(_Fields(_json_object(body), "body"), topic)
    except _InvalidError as error:
        raise MalformedMessageError(topic, str(error)) from None
    return replace(event, message_id=message_id, sent_at=sent_at)


def _json_object(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except RecursionError:
        raise _InvalidError("body nests too deeply") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise _InvalidError(f"body is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise _InvalidError(f"body is {_kind(data)}, not a JSON object")
    return data


def _header_text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


class _InvalidError(Exception):
    """A field is missing or has the wrong type (becomes MalformedMessageError)."""


_MISSING: Any = object()


def _kind(value: object) -> str:
    if value is _MISSING:
        return "nothing"
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    return names.get(type(value), "a list" if isinstance(value, list) else "an object")


def _readable(text: str) -> bool:
    """Non-empty and encodable (no lone surrogates from ``\\ud800`` escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(text)


class _Fields:
    """Typed reads of one JSON object; failures name the field's path."""

    __slots__ = ("_data", "_path")

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self._data = data
        self._path = path

    def _fail(self, key: str, expected: str, value: object) -> NoReturn:
        raise _InvalidError(f"{self._path}.{key}: expected {expected}, got {_kind(value)}")

    def has(self, key: str) -> bool:
        return self._data.get(key) is not None

    def obj(self, key: str) -> _Fields:
        value = self._data.get(key, _MISSING)
        if not isinstance(value, dict):
            self._fail(key, "an object", value)
        return _Fields(value, f"{self._path}.{key}")

    def maybe_obj(self, key: str) -> _Fields | None:
        return self.obj(key) if self.has(key) else None

    def text(self, key: str) -> str:
        value = self._data.get(key, _MISSING)
        if not isinstance(value, str) or not _readable(value):
            self._fail(key, "a non-empty string", value)
        return value

    def maybe_text(self, key: str) -> str | None:
        """An optional string: missing, null and empty are None."""
        return self.text(key) if self.has(key) and self._data[key] != "" else None

    def integer(self, key: str) -> int:
        value = self._data.get(key, _MISSING)
        if type(value) is not int:
            self._fail(key, "an integer", value)
        return value

    def maybe_int(self, key: str) -> int | None:
        return self.integer(key) if self.has(key) else None

    def nullable_text(self, key: str) -> str | None:
        """A string that must be present but may be null."""
        if key not in self._data:
            self._fail(key, "a string or null", _MISSING)
        return self.maybe_text(key)

    def items(self, key: str, *, required: bool = True) -> list[object]:
        value = self._data.get(key, _MISSING)
        if not required and (value is None or value is _MISSING):
            return []
        if not isinstance(value, list):
            self._fail(key, "a list", value)
        return value

    def objs(self, key: str, *, required: bool = True) -> list[_Fields]:
        rows = []
        for index, row in enumerate(self.items(key, required=required)):
            if not isinstance(row, dict):
                self._fail(f"{key}[{index}]", "an object", row)
            rows.append(_Fields(row, f"{self._path}.{key}[{index}]"))
        return rows

    def texts(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        """Strings of a list; empty strings are skipped."""
        rows = []
        for index, row in enumerate(self.items(key, required=required)):
            if not isinstance(row, str) or (row and not _readable(row)):
                self._fail(f"{key}[{index}]", "a string", row)
            if row:
                rows.append(row)
        return tuple(rows)

    def ints(self, key: str, *, required: bool = True) -> tuple[int, ...]:
        rows = []
        for index, row in enumerate(self.items(key, required=required)):
            if type(row) is not int:
                self._fail(f"{key}[{index}]", "an integer", row)
            rows.append(row)
        return tuple(rows)

    def nvr(self, key: str) -> NVR:
        return _parse_nvr(self.text(key), f"{self._path}.{key}")

    def nvrs(self, key: str) -> tuple[NVR, ...]:
        """NVR strings of an optional list."""
        rows = self.texts(key, required=False)
        return tuple(_parse_nvr(row, f"{self._path}.{key}[{i}]") for i, row in enumerate(rows))

    def name_of(self, key: str) -> str | None:
        """A name given as a string, ``{"name": …}`` or a list of names (Bugzilla shapes)."""
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, dict):
            return self.obj(key).text("name")
        if isinstance(value, list):
            names = self.texts(key)
            return names[0] if names else None
        return self.text(key)


def _parse_nvr(text: str, path: str) -> NVR:
    try:
        return NVR.parse(text)
    except ValueError:
        raise _InvalidError(f"{path}: {text!r} is not a name-version-release") from None


def _unique(names: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))


# -- one decoder per topic family -----------------------------------------------------------

Decoder = Callable[[_Fields, str], Event]


def _build_state_change(body: _Fields, topic: str) -> Event:
    return BuildStateChanged(
        topic=topic,
        build_id=body.maybe_int("build_id"),
        name=body.text("name"),
        version=body.text("version"),
        release=body.text("release"),
        old=body.maybe_int("old"),
        new=body.integer("new"),
        owner=body.maybe_text("owner"),
        instance=body.maybe_text("instance") or "primary",
        task_id=body.maybe_int("task_id"),
    )


def _tag(body: _Fields, topic: str) -> Event:
    return Tagged(
        topic=topic,
        tag=body.text("tag"),
        build_id=body.maybe_int("build_id"),
        name=body.text("name"),
        version=body.text("version"),
        release=body.text("release"),
        untagged=topic == "buildsys.untag",
        instance=body.maybe_text("instance") or "primary",
        user=body.maybe_text("user"),
        owner=body.maybe_text("owner"),
    )


def _update(body: _Fields, topic: str) -> Event:
    return _update_event(body, body.obj("update"), topic, None)


def _update_comment(body: _Fields, topic: str) -> Event:
    comment = body.obj("comment")
    user = comment.maybe_obj("user")
    author = comment.maybe_text("author") or (user.maybe_text("name") if user else None)
    note = UpdateComment(author=author, karma=comment.maybe_int("karma") or 0)
    event = _update_event(body, comment.obj("update"), topic, note)
    if event.alias is None:
        event = replace(event, alias=comment.maybe_text("update_alias"))
    return event


def _update_event(
    body: _Fields, update: _Fields, topic: str, comment: UpdateComment | None
) -> UpdateChanged:
    release = update.maybe_obj("release")
    user = update.maybe_obj("user")
    artifact = body.maybe_obj("artifact")
    karma = topic.startswith("bodhi.update.karma.")
    return UpdateChanged(
        topic=topic,
        alias=update.nullable_text("alias"),  # null in 2015-era updates
        release=release.text("name") if release else None,
        branch=release.maybe_text("branch") if release else None,
        nvrs=tuple(build.nvr("nvr") for build in update.objs("builds")),
        status=update.maybe_text("status"),
        request=update.maybe_text("request"),
        submitter=user.maybe_text("name") if user else None,
        agent=body.maybe_text("agent"),
        new_builds=body.nvrs("new_builds"),
        removed_builds=body.nvrs("removed_builds"),
        new_bugs=body.ints("new_bugs", required=False),
        build_ids=tuple(
            build_id
            for build in (artifact.objs("builds", required=False) if artifact else [])
            if (build_id := build.maybe_int("id")) is not None
        ),
        karma_status=body.maybe_text("status") if karma else None,
        comment=comment,
    )


def _override(body: _Fields, topic: str) -> Event:
    override = body.obj("override")
    build = override.maybe_obj("build")
    nvr = override.nvr("nvr") if override.has("nvr") or build is None else build.nvr("nvr")
    submitter = override.maybe_obj("submitter")
    build_id = override.maybe_int("build_id")
    return OverrideChanged(
        topic=topic,
        nvr=nvr,
        build_id=build_id if build_id is not None or build is None else build.maybe_int("id"),
        submitter=submitter.maybe_text("name") if submitter else None,
        expired=topic.endswith(".untag"),
    )


def _bug(body: _Fields, topic: str) -> Event:
    bug = body.obj("bug")
    component = bug.name_of("component") or bug.text("component")
    event = body.maybe_obj("event")
    changes = event.objs("changes", required=False) if event else []
    former = [c.maybe_text("removed") for c in changes if c.maybe_text("field") == "component"]
    created = event is not None and event.maybe_text("routing_key") == "bug.create"
    return BugChanged(
        topic=topic,
        bug_id=bug.integer("id"),
        components=(component,),
        product=bug.name_of("product"),
        new=topic == "bugzilla.bug.new" or created,
        former_components=tuple(c for c in _unique(former) if c != component),
    )


def _project(body: _Fields, topic: str) -> Event:
    project = body.obj("project")
    owner = project.maybe_obj("user")
    agent = body.maybe_text("agent")
    named = (body.maybe_text("new_user"), body.maybe_text("removed_user"))
    return OwnershipChanged(
        topic=topic,
        package=project.text("name"),
        namespace=project.maybe_text("namespace"),
        fork=project.maybe_obj("parent") is not None,
        agent=agent,
        users=_unique((agent, owner.maybe_text("name") if owner else None, *named)),
    )


def _pagure_push(body: _Fields, topic: str) -> Event:
    repo = body.obj("repo")
    return OwnershipChanged(
        topic=topic,
        package=repo.text("name"),
        namespace=repo.maybe_text("namespace"),
        fork=repo.maybe_obj("parent") is not None,
        pushed=True,
        agent=body.maybe_text("agent"),
    )


def _git_push(body: _Fields, topic: str) -> Event:
    commit = body.obj("commit")
    return OwnershipChanged(
        topic=topic,
        package=commit.text("repo"),
        namespace=commit.maybe_text("namespace"),
        pushed=True,
        agent=body.maybe_text("agent") or commit.maybe_text("username"),
    )


def _repo_update(body: _Fields, topic: str) -> Event:
    return RepoUpdated(
        topic=topic, branch=body.text("name"), packages=_unique(body.texts("packages"))
    )


def _registry() -> dict[str, Decoder]:
    topics: dict[str, Decoder] = {
        "buildsys.build.state.change": _build_state_change,
        "buildsys.tag": _tag,
        "buildsys.untag": _tag,
        "bodhi.update.comment": _update_comment,
        "bodhi.buildroot_override.tag": _override,
        "bodhi.buildroot_override.untag": _override,
        "bugzilla.bug.new": _bug,
        "bugzilla.bug.update": _bug,
        "pagure.git.receive": _pagure_push,
        "git.receive": _git_push,
        "mdapi.repo.update": _repo_update,
    }
    updates = (
        *(f"request.{r}" for r in ("testing", "stable", "unpush", "obsolete", "revoke", "batched")),
        "complete.testing",
        "complete.stable",
        "edit",
        "eject",
        "karma.threshold.reach",
        "requirements_met.stable",
        "status.testing.koji-build-group.build.complete",
    )
    topics.update({f"bodhi.update.{suffix}": _update for suffix in updates})
    projects = (
        "new",
        "edit",
        "deleted",
        "user.added",
        "user.access.updated",
        "user.removed",
        "group.added",
        "group.access.updated",
        "group.removed",
    )
    topics.update({f"pagure.project.{suffix}": _project for suffix in projects})
    return topics


#: The one topic registry: topic (without prefix) -> the decoder of its body.
TOPICS: Mapping[str, Decoder] = _registry()
