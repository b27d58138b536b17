"""What src.fedoraproject.org (Pagure dist-git) returns, as records: projects.

A project's access lists are flattened: ``owner`` is ``access_users.owner[0]``
(the package's main admin, ``"orphan"`` when orphaned), ``admins``,
``committers`` and ``collaborators`` are the other user levels, ``groups`` every
group with commit access or more. Dates are epoch seconds written as strings.
"""

from __future__ import annotations

from pydantic import AliasChoices, AliasPath, Field, RootModel, field_validator

from clients.record import Record
from clients.timestamps import Timestamp

__all__ = ["ORPHAN", "Project"]

#: The owner of an orphaned package.
ORPHAN = "orphan"

_GROUP_LEVELS = ("admin", "commit", "collaborator")


class Project(Record):
    """A dist-git repository (``/api/0/<namespace>/<name>``)."""

    name: str
    namespace: str | None = None
    description: str | None = None
    full_url: str | None = None
    date_created: Timestamp | None = None
    date_modified: Timestamp | None = None
    owner: str = Field(
        validation_alias=AliasChoices(AliasPath("access_users", "owner", 0), "owner")
    )
    admins: tuple[str, ...] = Field(
        default=(), validation_alias=AliasChoices(AliasPath("access_users", "admin"), "admins")
    )
    committers: tuple[str, ...] = Field(
        default=(), validation_alias=AliasChoices(AliasPath("access_users", "commit"), "committers")
    )
    collaborators: tuple[str, ...] = Field(
        default=(),
        validation_alias=AliasChoices(AliasPath("access_users", "collaborator"), "collaborators"),
    )
    groups: tuple[str, ...] = Field(
        default=(), validation_alias=AliasChoices("access_groups", "groups")
    )

    @field_validator("groups", mode="before")
    @classmethod
    def _group_names(cls, value: object) -> object:
        # pagure: {"admin": [...], "commit": [...], "collaborator": [...], "ticket": [...]}
        if isinstance(value, dict):
            names: list[object] = []
            for level in _GROUP_LEVELS:
                members = value.get(level) or []
                names += members if isinstance(members, list) else [members]
            return list(dict.fromkeys(names))
        return value

    @property
    def orphaned(self) -> bool:
        return self.owner == ORPHAN

    @property
    def maintainers(self) -> tuple[str, ...]:
        """Everyone with commit access or more, the owner first (an orphan owner left out)."""
        people = (self.owner, *self.admins, *self.committers, *self.collaborators)
        return tuple(name for name in dict.fromkeys(people) if name != ORPHAN)


class OwnerAlias(RootModel[dict[str, dict[str, list[str]]]]):
    """``pagure_owner_alias.json``: namespace -> project -> its maintainers."""
