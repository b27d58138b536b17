"""The bus messages of a package's birth and retirement, as Fedora's publishers send them.

:mod:`simulator.messages` builds the topics of the other kinds; the three only these
two kinds publish are built here, with the headers their schema classes set:

- ``pagure.project.new`` (pagure-messages ``ProjectNewV1``): dist-git created the
  ``rpms/<name>`` project; the body embeds the project as the REST API serves it;
- ``buildsys.package.list.change`` (koji-fedoramessaging-messages ``ListChangeV1``):
  koji added the package to a tag's package list, or blocked it there;
- ``git.receive`` (fedora-messaging-git-hook-messages ``CommitV1``, one message per
  commit): here the commit that retires a package on a branch, which removes every
  file and adds ``dead.package`` with the reason, as ``fedpkg retire`` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from simulator.catalog.model import Package, Release
from simulator.formats import pagure as pagure_format
from simulator.messages import DEBUG, KOJI_BASE_URL, Body, Headers, Message, Schema
from simulator.world import World

__all__ = ["SCHEMAS", "dead_package_commit", "package_list_change", "project_new"]

#: topic -> the schema class Fedora publishes it with (``simulator.messages.SCHEMAS`` style).
SCHEMAS: dict[str, Schema] = {
    "pagure.project.new": Schema("pagure.project.new", "pagure_messages"),
    "buildsys.package.list.change": Schema(
        "koji_fedoramessaging.package.ListChangeV1", "koji_fedoramessaging_messages", DEBUG
    ),
    "git.receive": Schema(
        "fedora_messaging_git_hook.commit.v1", "fedora_messaging_git_hook_messages"
    ),
}

_DISTGIT_PATH = "/srv/git/repositories"


def _create(
    topic: str, body: Body, *, usernames: Iterable[str] = (), packages: Iterable[str] = ()
) -> Message:
    """A message with the headers fedora-messaging derives from the topic's schema."""
    schema = SCHEMAS[topic]
    headers: Headers = {
        "fedora_messaging_schema": schema.name,
        "fedora_messaging_schema_package": schema.package,
        "sent-at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "fedora_messaging_severity": schema.severity,
        "priority": 0,
    }
    headers.update({f"fedora_messaging_user_{name}": True for name in usernames})
    headers.update({f"fedora_messaging_rpm_{name}": True for name in packages})
    return Message(topic=topic, body=body, headers=headers)


# -- pagure (src.fedoraproject.org) ---------------------------------------------------------


def project_new(world: World, package: Package, *, agent: str) -> Message:
    """``pagure.project.new``: ``agent`` had dist-git create the package's project."""
    body: Body = {"agent": agent, "project": pagure_format.project_json(world, package)}
    return _create("pagure.project.new", body, usernames=[agent])


# -- koji -----------------------------------------------------------------------------------


def package_list_change(package: Package, tag: str, *, block: bool) -> Message:
    """``buildsys.package.list.change``: ``packageListAdd`` (or ``packageListBlock``) on ``tag``.

    The koji plugin names the tag, the package and the list owner, and adds
    ``base_url`` and ``instance`` as to every koji message.
    """
    body: Body = {
        "tag": tag,
        "package": package.name,
        "action": "block" if block else "add",
        "owner": package.owner,
        "block": block,
        "extra_arches": None,
        "force": False,
        "update": False,
        "base_url": KOJI_BASE_URL,
        "instance": "primary",
    }
    return _create(
        "buildsys.package.list.change", body, usernames=[package.owner], packages=[package.name]
    )


# -- dist-git's git hook --------------------------------------------------------------------


def dead_package_commit(
    world: World,
    package: Package,
    release: Release,
    *,
    agent: str,
    reason: str,
    at: float,
    version: str,
) -> Message:
    """``git.receive``: ``agent`` retired the package on ``release``'s branch.

    The commit deletes the spec file and ``sources`` and adds ``dead.package``
    holding ``reason``; ``stats`` and ``patch`` describe exactly that change.
    """
    name, branch = package.name, release.branch
    user = world.users.get(agent)
    rev = _sha1(f"{world.seed}:{name}:{branch}:dead.package:{at}")
    spec = _spec_lines(package, version)
    sources = [f"SHA512 ({name}-{version}.tar.gz) = {hashlib.sha512(name.encode()).hexdigest()}"]
    dead = reason.splitlines() or [reason]
    files = {
        "dead.package": _counts(len(dead), 0),
        f"{name}.spec": _counts(0, len(spec)),
        "sources": _counts(0, len(sources)),
    }
    additions = sum(f["additions"] for f in files.values())
    deletions = sum(f["deletions"] for f in files.values())
    patch = "".join(
        (
            _added("dead.package", dead),
            _deleted(f"{name}.spec", spec),
            _deleted("sources", sources),
        )
    )
    commit: dict[str, Any] = {
        "name": user.fullname if user is not None else agent,
        "email": f"{agent}@fedoraproject.org",
        "username": agent,
        "summary": dead[0],
        "message": reason.rstrip("\n") + "\n",
        "stats": {
            "files": files,
            "total": {
                "additions": additions,
                "deletions": deletions,
                "lines": additions + deletions,
                "files": len(files),
            },
        },
        "rev": rev,
        "path": f"{_DISTGIT_PATH}/{pagure_format.NAMESPACE}/{name}.git/",
        "repo": name,
        "namespace": pagure_format.NAMESPACE,
        "branch": branch,
        "patch": patch,
        "date": datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds"),
        "url": f"{pagure_format.DISTGIT_URL}/{pagure_format.NAMESPACE}/{name}/c/{rev}"
        f"?branch={branch}",
    }
    return _create(
        "git.receive", {"agent": agent, "commit": commit}, usernames=[agent], packages=[name]
    )


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _counts(additions: int, deletions: int) -> dict[str, int]:
    return {"additions": additions, "deletions": deletions, "lines": additions + deletions}


def _added(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..{_sha1(path)[:7]}\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def _deleted(path: str, lines: list[str]) -> str:
    body = "".join(f"-{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\ndeleted file mode 100644\n"
        f"index {_sha1(path)[:7]}..0000000\n"
        f"--- a/{path}\n+++ /dev/null\n@@ -1,{len(lines)} +0,0 @@\n{body}"
    )


def _spec_lines(package: Package, version: str) -> list[str]:
    """The spec file the retirement deletes (its head and the usual sections)."""
    first = (package.description or package.summary).splitlines()[0]
    return [
        f"Name:           {package.name}",
        f"Version:        {version}",
        "Release:        %autorelease",
        f"Summary:        {package.summary}",
        f"License:        {package.license}",
        f"URL:            {package.url}",
        "Source:         %{url}/archive/%{version}/%{name}-%{version}.tar.gz",
        "",
        "%description",
        first,
        "",
        "%prep",
        "%autosetup",
        "",
        "%build",
        "%configure",
        "%make_build",
        "",
        "%install",
        "%make_install",
        "",
        "%files",
        "%license LICENSE",
        "",
        "%changelog",
        "%autochangelog",
    ]
