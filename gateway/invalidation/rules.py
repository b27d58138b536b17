"""Pure rules from a decoded bus event to what it changed: tags, packages, reasons, subject.

:func:`tags_for` gives the tags whose entries the event makes stale (tags come from
:mod:`gateway.invalidation.keys` only), :func:`packages_of` the source or binary
package names that changed (subscriptions and the search index),
:func:`reasons_of` short words for the change feed, and :func:`subject_of` the one build,
update or bug the event is about (what a subscription shows). The rules follow
reference/UPSTREAMS.md section 7 and read the events' schema-style properties
(``packages``, ``nvr``, ``users``), never raw bodies. No I/O; the same event always
gives the same answer, so a duplicated message invalidates the same tags twice.

A package's tag names the upstream whose answers the event changes (``package(name)@koji``
below is ``keys.package(name, "koji")``): a build's messages make koji's answers about the
package stale, not bodhi's updates, dist-git's maintainers or mdapi's description, which
change with those services' own messages.

=================  ==================  =========================================  ===========
event              applies when        tags                                       reasons
=================  ==================  =========================================  ===========
BuildStateChanged  koji instance is    package(name)@koji, nvr, build(id)†,       build
                   ``primary``         user(owner)† (for ``User.builds``)
Tagged             koji instance is    package(name)@koji, package(name)@mdapi,   tag
                   ``primary``         nvr, build(id)†
UpdateChanged      always              update(alias)†, package(name)@bodhi and    update
                                       nvr of every build, incl. an edit's new    (+ comment)
                                       and removed ones; build(id) of CI
                                       artifacts;
                                       release(name)†, release(branch)†;
                                       bug(id) for an edit's new bugs
OverrideChanged    always              package(name)@koji, nvr, build(id)†        override
BugChanged         always              bug(id), component(c) for the current      bug
                                       and any former component
OwnershipChanged   namespace ``rpms``  package(name)@pagure, user(u) for the      owner, or
                   and not a fork      users the message names (none for pushes)  commit
RepoUpdated        always              branch(branch, n) for every listed name,   repo
                                       package(n)@mdapi for those that can be
                                       package names (not capability names)
Unknown            never               none                                       none
=================  ==================  =========================================  ===========

† when the message carries it. An event that does not apply has no tags, no
packages and no reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from clients.koji import BuildState
from gateway.invalidation import keys
from gateway.invalidation.feed import Subject
from gateway.invalidation.keys import Tag
from gateway.invalidation.messages import (
    BugChanged,
    BuildStateChanged,
    Event,
    KojiBuildEvent,
    OverrideChanged,
    OwnershipChanged,
    RepoUpdated,
    Tagged,
    Unknown,
    UpdateChanged,
)

__all__ = ["RULES", "Rule", "packages_of", "reasons_of", "subject_of", "tags_for"]

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Rule(Generic[E]):
    """What one kind of event changes."""

    tags: Callable[[E], Iterable[Tag]]
    packages: Callable[[E], Iterable[str]]
    reasons: Callable[[E], tuple[str, ...]]
    applies: Callable[[E], bool] = lambda _: True
    subject: Callable[[E], Subject] = lambda _: Subject()


def tags_for(event: Event) -> frozenset[Tag]:
    """The tags whose cache entries ``event`` makes stale."""
    rule = _rule(event)
    return frozenset(rule.tags(event)) if rule is not None else frozenset()


def packages_of(event: Event) -> frozenset[str]:
    """The package names ``event`` changed (mdapi's may be binary package names)."""
    rule = _rule(event)
    return frozenset(rule.packages(event)) if rule is not None else frozenset()


def reasons_of(event: Event) -> tuple[str, ...]:
    """Words for the change feed: ``build``, ``tag``, ``update``, ``bug``, ``owner``…"""
    rule = _rule(event)
    return rule.reasons(event) if rule is not None else ()


def subject_of(event: Event) -> Subject:
    """The build, update or bug ``event`` is about; empty when it is about none."""
    rule = _rule(event)
    return rule.subject(event) if rule is not None else Subject()


def _rule(event: Event) -> Rule[Any] | None:
    rule = RULES.get(type(event))
    return rule if rule is not None and rule.applies(event) else None


# -- koji -----------------------------------------------------------------------------------


def _primary(event: KojiBuildEvent) -> bool:
    """Secondary-architecture hubs (``ppc``, ``s390``, ``arm``) are not the builds we serve."""
    return event.instance == "primary"


def _build_tags(event: BuildStateChanged) -> Iterable[Tag]:
    yield from _koji_build(event)
    if event.owner:
        yield keys.user(event.owner)


def _build_subject(event: BuildStateChanged) -> Subject:
    return Subject(
        build=event.build_id,
        nvr=str(event.nvr),
        previous_state=_state_name(event.old),
        state=_state_name(event.new),
    )


def _state_name(state: int | None) -> str | None:
    try:
        return BuildState(state).name if state is not None else None
    except ValueError:
        return None


def _koji_build(event: KojiBuildEvent) -> Iterable[Tag]:
    yield keys.package(event.name, "koji")
    yield keys.nvr(str(event.nvr))
    if event.build_id is not None:
        yield keys.build(event.build_id)


def _tag_tags(event: Tagged) -> Iterable[Tag]:
    yield from _koji_build(event)
    # what a tag holds is what its repository will hold: mdapi's answers (versions,
    # changelogs, files) follow, and mdapi announces its refresh with a message of its own
    yield keys.package(event.name, "mdapi")


# -- bodhi ----------------------------------------------------------------------------------


def _update_tags(event: UpdateChanged) -> Iterable[Tag]:
    if event.alias:
        yield keys.update(event.alias)
    for nvr in event.all_nvrs:
        yield keys.package(nvr.name, "bodhi")
        yield keys.nvr(str(nvr))
    yield from map(keys.build, event.build_ids)
    for release in (event.release, event.branch):
        if release:
            yield keys.release(release)
    yield from map(keys.bug, event.new_bugs)


def _update_reasons(event: UpdateChanged) -> tuple[str, ...]:
    return ("update", "comment") if event.comment is not None else ("update",)


def _update_subject(event: UpdateChanged) -> Subject:
    return Subject(update=event.alias, release=event.release or event.branch)


def _override_tags(event: OverrideChanged) -> Iterable[Tag]:
    yield keys.package(event.nvr.name, "koji")  # the override tag is koji's
    yield keys.nvr(str(event.nvr))
    if event.build_id is not None:
        yield keys.build(event.build_id)


# -- Bugzilla, dist-git, mdapi --------------------------------------------------------------


def _bug_tags(event: BugChanged) -> Iterable[Tag]:
    yield keys.bug(event.bug_id)
    yield from map(keys.component, (*event.components, *event.former_components))


def _bug_subject(event: BugChanged) -> Subject:
    return Subject(bug=event.bug_id, new=event.new)


def _in_rpms(event: OwnershipChanged) -> bool:
    return event.namespace == "rpms" and not event.fork


def _ownership_tags(event: OwnershipChanged) -> Iterable[Tag]:
    yield keys.package(event.package, "pagure")
    yield from map(keys.user, event.users)


def _ownership_reasons(event: OwnershipChanged) -> tuple[str, ...]:
    return ("commit",) if event.pushed else ("owner",)


def _repo_tags(event: RepoUpdated) -> Iterable[Tag]:
    for name in event.packages:
        yield keys.branch(event.branch, name)
    yield from (keys.package(name, "mdapi") for name in event.package_names)


def _words(*words: str) -> Callable[[object], tuple[str, ...]]:
    return lambda _: words


def _nothing(_: object) -> tuple[()]:
    return ()


#: The table: one rule per event type (see the module docstring).
RULES: Mapping[type[Event], Rule[Any]] = {
    BuildStateChanged: Rule(
        _build_tags, lambda e: e.packages, _words("build"), _primary, _build_subject
    ),
    Tagged: Rule(_tag_tags, lambda e: e.packages, _words("tag"), _primary),
    UpdateChanged: Rule(
        _update_tags, lambda e: e.packages, _update_reasons, subject=_update_subject
    ),
    OverrideChanged: Rule(_override_tags, lambda e: e.packages, _words("override")),
    BugChanged: Rule(_bug_tags, lambda e: e.packages, _words("bug"), subject=_bug_subject),
    OwnershipChanged: Rule(_ownership_tags, lambda e: e.packages, _ownership_reasons, _in_rpms),
    RepoUpdated: Rule(_repo_tags, lambda e: e.package_names, _words("repo")),
    Unknown: Rule(_nothing, _nothing, _nothing, lambda _: False),
}
