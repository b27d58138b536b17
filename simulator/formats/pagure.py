"""Pagure's JSON for the world's packages as dist-git projects (src.fedoraproject.org).

``project_json`` is ``Project.to_json(public=True, api=True)`` of
``Pagure/pagure:pagure/lib/model.py``: the ``rpms/<name>`` project with its owner
(``access_users.owner``, always ``[project.user.username]``), the other access levels
for users and groups, and dates as strings of epoch seconds. The REST API in
:mod:`simulator.upstreams.pagure` serves it, and ``pagure.*`` bus messages embed it.
"""

from __future__ import annotations

from typing import Any

from simulator.catalog.model import Package
from simulator.world import World

__all__ = [
    "DISTGIT_URL",
    "NAMESPACE",
    "access_groups",
    "access_users",
    "maintainers",
    "project_json",
    "user_json",
]

DISTGIT_URL = "https://src.fedoraproject.org"
NAMESPACE = "rpms"


def user_json(world: World, name: str) -> dict[str, Any]:
    """``User.to_json(public=True)``: name, full name and the user's page."""
    user = world.users.get(name)
    return {
        "name": name,
        "fullname": user.fullname if user is not None else name,
        "url_path": f"user/{name}",
        "full_url": f"{DISTGIT_URL}/user/{name}",
    }


def _distinct(names: list[str], *, without: set[str]) -> list[str]:
    return sorted({name for name in names if name not in without})


def access_users(package: Package) -> dict[str, list[str]]:
    """The users per access level; the owner is listed only as ``owner``."""
    admins = _distinct(package.admins, without={package.owner})
    committers = _distinct(package.committers, without={package.owner, *admins})
    return {
        "owner": [package.owner],
        "admin": admins,
        "commit": committers,
        "collaborator": [],
        "ticket": [],
    }


def access_groups(package: Package) -> dict[str, list[str]]:
    """The groups per access level; Fedora's SIGs get commit access."""
    return {"admin": [], "commit": sorted(set(package.groups)), "collaborator": [], "ticket": []}


def maintainers(package: Package) -> list[str]:
    """Everyone with commit access or more, owner first (``pagure_owner_alias.json``)."""
    users = access_users(package)
    return [*users["owner"], *users["admin"], *users["commit"]]


def project_json(world: World, package: Package) -> dict[str, Any]:
    """``Project.to_json(public=True, api=True)`` of the package's ``rpms/`` repository."""
    created = str(int(package.created))
    return {
        "id": package.id,
        "name": package.name,
        "fullname": f"{NAMESPACE}/{package.name}",
        "url_path": f"{NAMESPACE}/{package.name}",
        "full_url": f"{DISTGIT_URL}/{NAMESPACE}/{package.name}",
        "description": package.summary,
        "namespace": NAMESPACE,
        "parent": None,
        "date_created": created,
        "date_modified": created,
        "user": user_json(world, package.owner),
        "access_users": access_users(package),
        "access_groups": access_groups(package),
        "tags": [],
        "priorities": {},
        "custom_keys": [],
        "close_status": [],
        "milestones": {},
    }
