"""The ``package``, ``retire`` and ``describe`` mutations: a package enters, leaves, changes.

``package`` lives a new package's first days as Fedora does: dist-git creates the
``rpms/<name>`` project for the requester (``pagure.project.new``), koji adds the
package to rawhide's package list (``buildsys.package.list.change``), the first build
goes through rawhide's gating like any ``build``, and mdapi, reading the next
compose, announces the package (``mdapi.repo.update``). New packages start in rawhide
only.

``retire`` retires a package in rawhide (or in the given branches): the packager (or
releng, for an orphan) pushes the ``dead.package`` commit to each branch
(``git.receive``), koji blocks the package in each branch's tag (``listPackages``
then shows it ``blocked``, and the tag's builds of it drop out of
``getLatestBuilds``), and mdapi announces it gone from each branch
(``mdapi.repo.update``). A package retired in rawhide cannot be built any more
(:func:`~simulator.mutations.builds.check_open`); one retired in a branched release
gets no new update there.

``describe`` gives a package a new ``Summary`` and/or ``%description``: the packager's
rawhide build of the new spec goes through koji and rawhide's gating like any
``build``, and mdapi, reading the next compose, announces the repository update
(``mdapi.repo.update``). Only then does the package's text change: mdapi reads
composes, not koji, so until that step it still serves the old text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from simulator import messages
from simulator.catalog.detail import binaries, description, family
from simulator.catalog.model import Package, Release, Subpackage
from simulator.messages import Message
from simulator.mutations import notices
from simulator.mutations.builds import Builds, check_open
from simulator.mutations.context import SERVICE_ACCOUNTS, MutationContext
from simulator.mutations.rawhide import RawhideBuilds
from simulator.mutations.result import (
    InvalidOptionsError,
    MutationError,
    MutationResult,
    Stage,
    UnknownPackageError,
    record_build,
)

__all__ = ["Lifecycle"]

#: The options each kind reads from the request (besides ``type`` and ``package``).
PACKAGE_OPTIONS = frozenset({"summary", "description", "subpackages", "owner"})
RETIRE_OPTIONS = frozenset({"branches", "reason"})
DESCRIBE_OPTIONS = frozenset({"summary", "description"})

DEFAULT_REASON = "Retired: no longer maintained"

_VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_MAX_NAME = 200
_NOARCH_FAMILIES = frozenset({"python", "perl", "nodejs", "php", "texlive", "rust", "golang"})
_ROLE_SUMMARIES = {
    "-devel": "Development files for {}",
    "-doc": "Documentation for {}",
    "-libs": "Libraries for {}",
    "-tools": "Command line tools for {}",
}


class Lifecycle:
    """New packages, retirements and new descriptions: dist-git, koji's package lists, mdapi."""

    def __init__(self, context: MutationContext, builds: Builds, rawhide: RawhideBuilds) -> None:
        self.context = context
        self.world = context.world
        self.builds = builds
        self.rawhide = rawhide

    # -- package --------------------------------------------------------------------------

    def package(self, name: str, options: Mapping[str, Any], result: MutationResult) -> list[Stage]:
        """The ``package`` mutation: a new source package, built once in rawhide."""
        _known(options, PACKAGE_OPTIONS)
        _check_name(name, "package")
        if name in self.world.packages:
            raise MutationError(f"{name} already exists")
        package = self._new_package(name, options)
        rawhide = self.world.rawhide
        build = self.builds.new_build(
            package, rawhide, target="rawhide", owner=package.owner, changelog="Initial import"
        )
        record_build(result, build)
        return [
            lambda: self._created(package, result),
            lambda: self._listed(package, rawhide, result),
            *self.rawhide.gated(build, result),
            lambda: self._announced(package, result),
        ]

    def _new_package(self, name: str, options: Mapping[str, Any]) -> Package:
        summary = _text(options, "summary") or f"The {name} package"
        given = _text(options, "description")
        subpackages = _names(options, "subpackages")
        if subpackages is None:
            subpackages = _default_subpackages(name)
        subpackages = [sub for sub in subpackages if sub != name]  # co-packages include it
        for sub in subpackages:
            _check_name(sub, "subpackage")
            if sub in self.world.packages:
                raise MutationError(f"subpackage {sub} is the name of a source package")
        if len(set(subpackages)) != len(subpackages):
            raise InvalidOptionsError("subpackages must not repeat a name")
        owner = self._owner(options)
        package = Package(
            id=next(self.world.counters.package),
            name=name,
            summary=summary,
            license="MIT",
            url=f"https://github.com/{owner}/{name}",
            owner=owner,
            admins=[],
            committers=[],
            groups=[],
            subpackages=[Subpackage(sub, _sub_summary(sub, name, summary)) for sub in subpackages],
            created=self.context.now(),
            arch="noarch" if family(name) in _NOARCH_FAMILIES else None,
        )
        package.description = given or description(self.world.seed, package)
        return package

    def _owner(self, options: Mapping[str, Any]) -> str:
        """The requester: the ``owner`` option (an existing packager), or any packager."""
        owner = _text(options, "owner")
        packagers = self.context.packagers()
        if owner is None:
            if not packagers:
                raise MutationError("no packager can request a package")
            return self.context.rng.choice(packagers)
        if owner not in packagers:
            raise InvalidOptionsError(f"owner {owner!r} is not a packager")
        return owner

    def _created(self, package: Package, result: MutationResult) -> list[Message]:
        """dist-git creates the project for the requester."""
        self.world.add_package(package)
        result.changed.update(
            package_id=package.id,
            owner=package.owner,
            summary=package.summary,
            description=package.description,
            subpackages=[sub.name for sub in package.subpackages],
            co_packages=[spec.name for spec in binaries(package)],
        )
        return [notices.project_new(self.world, package, agent=package.owner)]

    def _listed(self, package: Package, release: Release, result: MutationResult) -> list[Message]:
        """koji adds the package to the release's package list."""
        self.world.list_package(release.dist_tag, package.id)
        result.changed["listed_in"] = [release.dist_tag]
        return [notices.package_list_change(package, release.dist_tag, block=False)]

    def _announced(self, package: Package, result: MutationResult) -> list[Message]:
        """mdapi reads the compose with the first build and announces the package."""
        names = _repo_names(package)
        result.changed.update(branch="rawhide", packages=names)
        return [messages.repo_update("rawhide", names, rawhide=True)]

    # -- retire ---------------------------------------------------------------------------

    def retire(self, name: str, options: Mapping[str, Any], result: MutationResult) -> list[Stage]:
        """The ``retire`` mutation: ``dead.package``, koji's block and mdapi, per branch."""
        _known(options, RETIRE_OPTIONS)
        package = self.world.packages.get(name)
        if package is None:
            raise UnknownPackageError(name)
        releases = self._branches(options)
        for release in releases:
            if (release.is_rawhide and package.retired) or self.world.blocked(
                release.dist_tag, package.id
            ):
                raise MutationError(f"{name} is already retired in {release.branch}")
        reason = _text(options, "reason") or DEFAULT_REASON
        agent = package.owner if package.owner not in SERVICE_ACCOUNTS else "releng"
        return [
            lambda: self._pushed(package, releases, agent, reason, result),
            lambda: self._blocked(package, releases, result),
            lambda: self._gone(package, releases, result),
        ]

    def _branches(self, options: Mapping[str, Any]) -> list[Release]:
        """The releases of the ``branches`` option (default rawhide), rawhide first."""
        open_ = {r.branch: r for r in self.world.releases.values() if r.state != "archived"}
        names = _names(options, "branches")
        if names is None:
            names = ["rawhide"]
        if not names:
            raise InvalidOptionsError("branches must name at least one branch")
        unknown = [n for n in names if n not in open_]
        if unknown:
            raise InvalidOptionsError(
                f"unknown branches: {', '.join(unknown)}; open: {', '.join(sorted(open_))}"
            )
        chosen = [open_[n] for n in dict.fromkeys(names)]
        return sorted(chosen, key=lambda r: (not r.is_rawhide, -r.version))

    def _pushed(
        self,
        package: Package,
        releases: Sequence[Release],
        agent: str,
        reason: str,
        result: MutationResult,
    ) -> list[Message]:
        """The ``dead.package`` commit lands on every branch."""
        now = self.context.now()
        batch = [
            notices.dead_package_commit(
                self.world,
                package,
                release,
                agent=agent,
                reason=reason,
                at=now,
                version=self._version(package, release),
            )
            for release in releases
        ]
        if any(release.is_rawhide for release in releases):
            package.retired = True
        result.changed.update(
            branches=[release.branch for release in releases],
            reason=reason,
            agent=agent,
            commits={m.body["commit"]["branch"]: m.body["commit"]["rev"] for m in batch},
            retired=package.retired,
        )
        return batch

    def _version(self, package: Package, release: Release) -> str:
        build = self.world.latest_tagged(release.dist_tag, package.id)
        if build is None:
            build = self.builds.latest_build(package)
        return build.version if build is not None else "1.0"

    def _blocked(
        self, package: Package, releases: Sequence[Release], result: MutationResult
    ) -> list[Message]:
        """koji blocks the package in every branch's tag."""
        batch = []
        for release in releases:
            self.world.list_package(release.dist_tag, package.id, blocked=True)
            batch.append(notices.package_list_change(package, release.dist_tag, block=True))
        result.changed["blocked_in"] = [release.dist_tag for release in releases]
        return batch

    def _gone(
        self, package: Package, releases: Sequence[Release], result: MutationResult
    ) -> list[Message]:
        """mdapi reads every branch's next compose without the package."""
        names = _repo_names(package)
        result.changed["packages"] = names
        return [
            messages.repo_update(release.branch, names, rawhide=release.is_rawhide)
            for release in releases
        ]

    # -- describe -------------------------------------------------------------------------

    def describe(
        self, name: str, options: Mapping[str, Any], result: MutationResult
    ) -> list[Stage]:
        """The ``describe`` mutation: a rawhide build of the new spec, then mdapi's update."""
        _known(options, DESCRIBE_OPTIONS)
        summary, text = _text(options, "summary"), _text(options, "description")
        if summary is None and text is None:
            raise InvalidOptionsError("describe needs a summary or a description")
        package = self.world.packages.get(name)
        if package is None:
            raise UnknownPackageError(name)
        rawhide = self.world.rawhide
        check_open(self.world, package, rawhide)
        changes = [what for what, given in (("summary", summary), ("description", text)) if given]
        build = self.builds.new_build(
            package, rawhide, target="rawhide", changelog=f"Update {' and '.join(changes)}"
        )
        record_build(result, build)
        return [
            *self.rawhide.gated(build, result),
            lambda: self._redescribed(package, summary, text, result),
        ]

    def _redescribed(
        self, package: Package, summary: str | None, text: str | None, result: MutationResult
    ) -> list[Message]:
        """mdapi reads the compose with the new build: the package's text changes now."""
        if text is None and package.description is None:
            # the old %description stays; only the generated one would follow the summary
            package.description = description(self.world.seed, package)
        if summary is not None:
            for sub in package.subpackages:
                if sub.summary == package.summary:  # %{summary} in the sub-package's section
                    sub.summary = summary
            package.summary = summary
        if text is not None:
            package.description = text
        names = _repo_names(package)
        result.changed.update(
            summary=package.summary,
            description=package.description,
            branch="rawhide",
            packages=names,
        )
        return [messages.repo_update("rawhide", names, rawhide=True)]


# -- options --------------------------------------------------------------------------------


def _known(options: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InvalidOptionsError(
            f"unknown options: {', '.join(unknown)}; expected: {', '.join(sorted(allowed))}"
        )


def _text(options: Mapping[str, Any], key: str) -> str | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidOptionsError(f"{key} must be a non-empty string")
    return value.strip()


def _names(options: Mapping[str, Any], key: str) -> list[str] | None:
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidOptionsError(f"{key} must be a list of names")
    return list(value)


def _check_name(name: str, what: str) -> None:
    if len(name) > _MAX_NAME or not _VALID_NAME.match(name):
        raise InvalidOptionsError(f"{name!r} is not a valid {what} name")


# -- defaults -------------------------------------------------------------------------------


def _default_subpackages(name: str) -> list[str]:
    """The binaries a package of this family usually has besides (or instead of) its own."""
    stem = name.split("-", 1)[1] if "-" in name else name
    match family(name):
        case "python":
            return [f"python3-{stem}"]
        case "rust":
            return [f"rust-{stem}-devel", f"rust-{stem}+default-devel"]
        case "golang":
            return [f"{name}-devel"]
        case "ghc":
            return [f"{name}-devel", f"{name}-prof"]
        case _:
            return []


def _sub_summary(sub: str, name: str, summary: str) -> str:
    for suffix, template in _ROLE_SUMMARIES.items():
        if sub.endswith(suffix):
            return template.format(name)
    return summary


def _repo_names(package: Package) -> list[str]:
    """What mdapi lists: the binary RPMs, and the source name (its ``src_`` row)."""
    return list(dict.fromkeys([package.name, *(spec.name for spec in binaries(package))]))
