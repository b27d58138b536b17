"""What a package's repository metadata says, per branch: changelog, files, dependencies."""

from __future__ import annotations

import datetime as dt
import enum

import strawberry

from clients import mdapi


@strawberry.type(description="One entry of a package's RPM changelog.")
class ChangelogEntry:
    author: str
    date: dt.datetime
    text: str
    version: str | None

    @classmethod
    def from_mdapi(cls, entry: mdapi.ChangelogEntry) -> ChangelogEntry:
        return cls(author=entry.author, date=entry.date, text=entry.text, version=entry.evr)


@strawberry.enum(description="What a path in a package is.")
class FileType(enum.Enum):
    FILE = "f"
    DIRECTORY = "d"
    GHOST = "g"


@strawberry.type(description="A path one of the package's binary RPMs owns.")
class FileEntry:
    path: str
    type: FileType
    subpackage: str


@strawberry.enum(description="The eight kinds of RPM dependency.")
class DependencyKind(enum.Enum):
    REQUIRES = "requires"
    PROVIDES = "provides"
    OBSOLETES = "obsoletes"
    CONFLICTS = "conflicts"
    ENHANCES = "enhances"
    RECOMMENDS = "recommends"
    SUGGESTS = "suggests"
    SUPPLEMENTS = "supplements"


@strawberry.type(description="A dependency of one of the package's binary RPMs.")
class Dependency:
    name: str
    flags: str | None
    version: str | None
    subpackage: str

    @classmethod
    def from_mdapi(cls, row: mdapi.Dependency, subpackage: str) -> Dependency:
        return cls(name=row.name, flags=row.flags, version=row.evr, subpackage=subpackage)
