"""What mdapi returns, as records: packages, their dependencies, files and changelogs.

mdapi serves the repository metadata of one branch (``rawhide``, ``f45``,
``src_rawhide``...). Its package object has no name of its own (``basename`` is
the *source* package), so the client sets ``name`` to the name it asked for. Each
of the eight dependency kinds is a list of rows ``{name, epoch, version, release,
flags}``. File listings come grouped by directory (``filenames`` joined by
``/``, one ``filetypes`` letter per file) and are spread out into one
:class:`File` per path. Changelog authors carry the EVR after the e-mail address
(``"Jane Doe <jane@example.org> - 3.10-2"``); it is split off into ``evr``.
"""

from __future__ import annotations

import enum
import re

from pydantic import AliasChoices, Field, field_validator, model_validator

from clients.record import Record
from clients.timestamps import Timestamp

__all__ = [
    "Changelog",
    "ChangelogEntry",
    "Dependency",
    "DependencyKind",
    "File",
    "FileType",
    "Files",
    "Package",
]


class DependencyKind(enum.StrEnum):
    """The eight RPM dependency kinds mdapi indexes."""

    REQUIRES = "requires"
    PROVIDES = "provides"
    OBSOLETES = "obsoletes"
    CONFLICTS = "conflicts"
    ENHANCES = "enhances"
    RECOMMENDS = "recommends"
    SUGGESTS = "suggests"
    SUPPLEMENTS = "supplements"


class Dependency(Record):
    """One dependency row: a capability name and an optional version constraint."""

    name: str
    flags: str | None = None  # EQ, LT, LE, GT, GE
    epoch: str | None = None
    version: str | None = None
    release: str | None = None

    @property
    def evr(self) -> str | None:
        """``[epoch:]version[-release]`` of the constraint, when there is one."""
        if self.version is None:
            return None
        epoch = f"{self.epoch}:" if self.epoch not in (None, "", "0") else ""
        release = f"-{self.release}" if self.release else ""
        return f"{epoch}{self.version}{release}"


class Package(Record):
    """A binary (or source) package in one branch (``/{branch}/pkg/{name}``)."""

    name: str
    basename: str | None = None
    summary: str | None = None
    description: str | None = None
    url: str | None = None
    version: str
    release: str
    epoch: int | None = None
    arch: str | None = None
    co_packages: tuple[str, ...] = Field(
        default=(), validation_alias=AliasChoices("co-packages", "co_packages")
    )
    repo: str | None = None
    requires: tuple[Dependency, ...] = ()
    provides: tuple[Dependency, ...] = ()
    obsoletes: tuple[Dependency, ...] = ()
    conflicts: tuple[Dependency, ...] = ()
    enhances: tuple[Dependency, ...] = ()
    recommends: tuple[Dependency, ...] = ()
    suggests: tuple[Dependency, ...] = ()
    supplements: tuple[Dependency, ...] = ()

    @field_validator("epoch", mode="before")
    @classmethod
    def _blank_epoch(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(*(kind.value for kind in DependencyKind), mode="before")
    @classmethod
    def _no_rows(cls, value: object) -> object:
        return () if value is None else value

    def dependencies(self, kind: DependencyKind) -> tuple[Dependency, ...]:
        """The package's rows of one dependency kind."""
        rows: tuple[Dependency, ...] = getattr(self, kind.value)
        return rows


class FileType(enum.StrEnum):
    """mdapi's one-letter file types."""

    FILE = "f"
    DIRECTORY = "d"
    GHOST = "g"


class File(Record):
    """One path a package owns."""

    path: str
    type: FileType = FileType.FILE


class Files(Record):
    """The paths a package owns (``/{branch}/files/{name}``), from one repo."""

    files: tuple[File, ...]
    repo: str | None = None

    @field_validator("files", mode="before")
    @classmethod
    def _spread(cls, value: object) -> object:
        # mdapi: [{"dirname": "/usr/bin", "filenames": "a/b", "filetypes": "ff"}]
        if not isinstance(value, list | tuple):
            return value
        files: list[object] = []
        for group in value:
            if not (isinstance(group, dict) and "dirname" in group):
                files.append(group)
                continue
            names = str(group.get("filenames") or "")
            types = str(group.get("filetypes") or "")
            if not names:
                continue
            parts = names.split("/")
            if len(types) != len(parts):
                raise ValueError(f"{len(parts)} file names but {len(types)} file types")
            directory = str(group["dirname"]).rstrip("/")
            files += [
                {"path": f"{directory}/{part}", "type": kind}
                for part, kind in zip(parts, types, strict=True)
            ]
        return files


_AUTHOR = re.compile(r"^(?P<who>.*?>)\s*(?:-\s*)?(?P<evr>\S+)?\s*$")


class ChangelogEntry(Record):
    """One changelog entry: who, when, what, and for which version."""

    author: str
    date: Timestamp
    text: str = Field(validation_alias=AliasChoices("changelog", "text"))
    evr: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_author(cls, data: object) -> object:
        if not isinstance(data, dict) or "evr" in data or not isinstance(data.get("author"), str):
            return data
        author: str = data["author"].strip()
        match = _AUTHOR.match(author)
        if match:
            return {**data, "author": match["who"], "evr": match["evr"]}
        who, dash, evr = author.rpartition(" - ")
        if dash and evr and " " not in evr:
            return {**data, "author": who, "evr": evr}
        return data


class Changelog(Record):
    """A package's changelog (``/{branch}/changelog/{name}``), newest entry first."""

    entries: tuple[ChangelogEntry, ...] = Field(
        validation_alias=AliasChoices("changelogs", "files", "entries")
    )
    repo: str | None = None
