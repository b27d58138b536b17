"""The records of repository detail: repositories, binaries and their table rows.

Each mirrors a row (or a group of rows) of the repodata mdapi serves: a repository of
a branch, a binary RPM with its dependency tables, a filelists row, a changelog entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "KINDS",
    "Binary",
    "BinarySpec",
    "ChangelogEntry",
    "Dependency",
    "FileGroup",
    "Repo",
]

#: The dependency kinds of repodata, in mdapi's order.
KINDS: tuple[str, ...] = (
    "conflicts",
    "obsoletes",
    "provides",
    "requires",
    "enhances",
    "recommends",
    "suggests",
    "supplements",
)


@dataclass(frozen=True, slots=True)
class Repo:
    """One repository of a branch: which koji tags feed it and what mdapi calls it."""

    branch: str  # "rawhide", "f45", "koji", "src_f45"
    kind: str  # "updates-testing" | "updates" | "release"
    tags: tuple[str, ...]  # searched in order; the first tagging found is the build
    source: bool = False


@dataclass(frozen=True, slots=True)
class Dependency:
    """One row of a dependency table (``flags`` is EQ/LT/LE/GT/GE or None)."""

    name: str
    flags: str | None = None
    epoch: str | None = None
    version: str | None = None
    release: str | None = None


@dataclass(frozen=True, slots=True)
class FileGroup:
    """One filelists row: a directory and the entries directly in it (f, d or g each)."""

    dirname: str
    filenames: tuple[str, ...]
    filetypes: str


@dataclass(frozen=True, slots=True)
class ChangelogEntry:
    author: str  # "Jane Doe <jdoe@fedoraproject.org>"
    evr: str  # "3.10-2", without the dist tag, as in a spec file
    date: int  # noon UTC of the day, as rpm stores changelog dates
    text: str  # "- Update to 3.10"
    build_id: int


@dataclass(frozen=True, slots=True)
class BinarySpec:
    """A binary RPM a source package builds, independent of any build."""

    name: str
    summary: str
    role: str  # main, libs, devel, doc, tools, prof, python3, crate, feature, gosource, extra
    arch: str  # "x86_64" | "noarch" | "src"


@dataclass(frozen=True, slots=True)
class Binary:
    name: str
    arch: str
    summary: str
    description: str
    dependencies: Mapping[str, tuple[Dependency, ...]]
