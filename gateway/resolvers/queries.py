"""The keys of the dataloaders: one value per question an upstream answers.

Each is frozen and hashable, so equal questions in one request are asked once.
"""

from __future__ import annotations

from dataclasses import dataclass

from clients import bodhi, koji
from gateway.resolvers.pages import Window


@dataclass(frozen=True, slots=True)
class BuildsQuery:
    """A window of a package's builds (or a user's), newest first."""

    package: str | None
    window: Window
    state: koji.BuildState | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class LatestQuery:
    """The newest build of a package in a tag, along koji's inheritance."""

    tag: str
    package: str


@dataclass(frozen=True, slots=True)
class UpdatesQuery:
    """A window of a package's updates, newest submission first."""

    package: str
    window: Window
    status: bodhi.UpdateStatus | None = None
    release: str | None = None


@dataclass(frozen=True, slots=True)
class BugsQuery:
    """A window of a component's bugs, most recently changed first."""

    component: str
    window: Window
    is_open: bool | None = True


@dataclass(frozen=True, slots=True)
class BranchQuery:
    """A package in one mdapi branch (``rawhide``, ``f45``).

    ``name`` is what mdapi is asked for (a source or a binary RPM); ``package`` is the
    source package it belongs to, when known, which the field cache tags it with.
    """

    branch: str
    name: str
    package: str | None = None
