"""The one place that builds cache keys and tags.

A cache entry is one resolved field of one entity with its normalized arguments: a
:class:`Recipe` such as ``Package(bash).builds(first=10, after=None, state=None)``.
Its key is a readable string that :meth:`Recipe.parse` turns back into the recipe,
so the invalidation worker can refill an entry knowing nothing but its key.

A :class:`Tag` names an entity an entry depends on (``pkg.koji:bash``, ``build:123``,
``update:FEDORA-2026-1a2b3c4d5e``, ``component:bash``, ``release:f45``). Entries
carry their tags; the rules map bus messages to tags; invalidating a tag bumps its
generation and marks every entry that carries it stale. A package's tag names the
upstream that answered (:data:`SOURCES`): koji's message about a build makes koji's
answers about the package stale, not its dist-git maintainers or mdapi's description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NewType
from urllib.parse import quote, unquote

#: Bumped when the shape of cached values or tags changes: old entries are then never read.
VERSION = "v2"

Arg = str | int | bool | None
Tag = NewType("Tag", str)

_KEY = re.compile(r"^(?P<version>v\d+):f:(?P<type>\w+):(?P<id>[^:]*):(?P<field>\w+):(?P<args>.*)$")


@dataclass(frozen=True, slots=True)
class Recipe:
    """One field of one entity, with its arguments normalized (sorted, defaults applied)."""

    type: str
    id: str
    field: str
    args: tuple[tuple[str, Arg], ...] = ()

    @classmethod
    def of(cls, type: str, id: str | int, field: str, **args: Arg) -> Recipe:
        return cls(type, str(id), field, tuple(sorted(args.items())))

    @property
    def key(self) -> str:
        args = "&".join(f"{name}={_encode(value)}" for name, value in self.args)
        return f"{VERSION}:f:{self.type}:{quote(self.id, safe='')}:{self.field}:{args}"

    def arg(self, name: str) -> Arg:
        return dict(self.args)[name]

    @classmethod
    def parse(cls, key: str) -> Recipe:
        match = _KEY.match(key)
        if match is None or match["version"] != VERSION:
            raise ValueError(f"not a {VERSION} field key: {key!r}")
        args = tuple(
            (name, _decode(value))
            for name, _, value in (part.partition("=") for part in match["args"].split("&") if part)
        )
        return cls(match["type"], unquote(match["id"]), match["field"], args)


def _encode(value: Arg) -> str:
    if value is None:
        return "~"
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if isinstance(value, int):
        return f"#{value}"
    return quote(value, safe="")


def _decode(text: str) -> Arg:
    if text == "~":
        return None
    if text in ("!t", "!f"):
        return text == "!t"
    if text.startswith("#"):
        return int(text[1:])
    return unquote(text)


# -- tags --------------------------------------------------------------------------------


#: The upstreams whose answers about a package carry a package tag of their own.
SOURCES = frozenset({"koji", "bodhi", "mdapi", "pagure"})


def package(name: str, source: str) -> Tag:
    """What ``source`` (one of :data:`SOURCES`) says about a package: ``pkg.koji:bash``."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(SOURCES)}")
    return Tag(f"pkg.{source}:{name}")


def build(build_id: int) -> Tag:
    return Tag(f"build:{build_id}")


def nvr(text: str) -> Tag:
    return Tag(f"nvr:{text}")


def update(alias: str) -> Tag:
    return Tag(f"update:{alias}")


def component(name: str) -> Tag:
    return Tag(f"component:{name}")


def bug(bug_id: int) -> Tag:
    return Tag(f"bug:{bug_id}")


def release(name: str) -> Tag:
    """A release by its lower-case name or branch: ``release:f45``, ``release:rawhide``."""
    return Tag(f"release:{name.lower()}")


def user(name: str) -> Tag:
    return Tag(f"user:{name}")


def branch(name: str, package_name: str) -> Tag:
    """Repository metadata of one package in one mdapi branch."""
    return Tag(f"repo:{name}:{package_name}")


#: bodhi's list of releases: changes when a release is added, branched or retired.
RELEASES = Tag("releases")


def period(index: int) -> Tag:
    """A stretch of time: what the fallback cache (used while Redis is down) tags every
    entry with, and invalidates once the stretch is over."""
    return Tag(f"period:{index}")


# -- store keys ----------------------------------------------------------------------------


def generation_key(tag: Tag) -> str:
    """Where a tag's generation counter lives."""
    return f"{VERSION}:g:{tag}"


def members_key(tag: Tag) -> str:
    """Where the set of entry keys carrying a tag lives."""
    return f"{VERSION}:t:{tag}"


def reads_key() -> str:
    """Where entry keys are scored by when they were last read (the live variants)."""
    return f"{VERSION}:reads"


def clock_key() -> str:
    """Where the invalidation clock lives: the store's epoch and its invalidation counter.

    Every invalidation advances the clock and stamps the tags it names with the new value
    (their generation); a fill's snapshot is the clock before it asks the upstream.
    """
    return f"{VERSION}:clock"


def lease_key(key: str) -> str:
    """Where the short lease on filling one entry lives (one filler across replicas)."""
    return f"{VERSION}:lease:{key}"


def namespaced(namespace: str, key: str) -> str:
    """A store key inside a namespace: several deployments, or tests, sharing one Redis."""
    return f"{namespace}{key}"


# -- bus and change feed names ---------------------------------------------------------------

#: The worker's queue on a broker of our own (on Fedora's public broker it must be a UUID).
WORKER_QUEUE = "fedora-gateway.invalidation"

#: Where messages that a worker rejects go: a durable direct exchange shared by our queues.
DEAD_LETTER_EXCHANGE = "fedora-gateway.dead-letter"


def dead_letter_queue(queue: str) -> str:
    """The queue collecting what ``queue`` dead-letters (routed by ``queue``'s own name)."""
    return f"{queue}.dead-letter"


def change_feed_channel(database: int = 0) -> str:
    """The Redis pub/sub channel on which the worker publishes changes to every replica.

    Pub/sub ignores Redis's database numbers, so the channel names the database whose
    cache the changes concern: two deployments on one server, on two databases, do not
    hear each other.
    """
    return f"{VERSION}:feed:changes" if database == 0 else f"{VERSION}:db{database}:feed:changes"
