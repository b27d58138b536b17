"""Per-package repository detail, materialized lazily: what mdapi serves beyond koji.

The world records source packages and their builds. A repository also knows every
binary RPM a build produced: its description, files, dependencies (requires,
provides, obsoletes, conflicts and the weak ones) and the changelog. Generating all
of that for 23,000 packages up front would cost memory nobody needs, so
:class:`RepositoryDetail` derives it on demand, deterministically from the world's
seed, the package and the build that sits in the repository, and keeps only a small
LRU of recent answers.

Repositories follow Fedora's composes and mdapi's files:

* ``rawhide`` (and ``koji``, the buildroot) is one repository, ``release``, made of
  koji tag ``rawhide`` with its inheritance (``f46``);
* a branched release ``fNN`` has three, searched newest first as mdapi does:
  ``updates-testing`` (builds tagged ``fNN-updates-testing``), ``updates``
  (``fNN-updates``) and ``release`` (``fNN``). The first that has the package wins,
  so the build found for a branch is exactly koji's
  ``getLatestBuilds("fNN-updates-testing", package)``;
* ``src_<branch>`` holds the source RPMs of the same builds; their ``requires``
  are the BuildRequires.

Dependency targets are other packages of the world (chosen per source package by
name, so they are stable across builds), which gives reverse lookups
(``/rawhide/requires/python3dist(x)``) real answers.

The package splits that work by concept: :mod:`~.records` (the rows),
:mod:`~.repositories` (branches and the tags behind them), :mod:`~.naming` (families,
binaries and derived names), :mod:`~.toolchain`, :mod:`~.descriptions`,
:mod:`~.relations` and :mod:`~.targets` (dependencies), :mod:`~.index` (the world-wide
indexes), :mod:`~.files`, :mod:`~.changelogs`, :mod:`~.package` (one rendered source
package) and :mod:`~.store` (:class:`RepositoryDetail`, the facade with its LRU).
"""

from __future__ import annotations

from simulator.catalog.detail.changelogs import changelog as changelog
from simulator.catalog.detail.descriptions import description
from simulator.catalog.detail.naming import binaries, family
from simulator.catalog.detail.package import PackageDetail
from simulator.catalog.detail.records import (
    KINDS,
    Binary,
    BinarySpec,
    ChangelogEntry,
    Dependency,
    FileGroup,
    Repo,
)
from simulator.catalog.detail.repositories import branches, repos
from simulator.catalog.detail.repositories import build_in as build_in
from simulator.catalog.detail.store import RepositoryDetail
from simulator.catalog.detail.toolchain import GHC as GHC
from simulator.catalog.detail.toolchain import PYTHON as PYTHON

__all__ = [
    "KINDS",
    "Binary",
    "BinarySpec",
    "ChangelogEntry",
    "Dependency",
    "FileGroup",
    "PackageDetail",
    "Repo",
    "RepositoryDetail",
    "binaries",
    "branches",
    "description",
    "family",
    "repos",
]
