"""A source package as one repository carries it: its build and rendered binary RPMs."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING

from simulator.catalog.detail.changelogs import changelog
from simulator.catalog.detail.descriptions import binary_description, description
from simulator.catalog.detail.files import binary_files, source_files
from simulator.catalog.detail.naming import epoch_of
from simulator.catalog.detail.records import (
    KINDS,
    Binary,
    BinarySpec,
    ChangelogEntry,
    Dependency,
    FileGroup,
    Repo,
)
from simulator.catalog.detail.relations import Relation, Relations
from simulator.catalog.detail.toolchain import FIXED_VERSIONS
from simulator.catalog.model import Build, Package

if TYPE_CHECKING:
    from simulator.catalog.detail.store import RepositoryDetail

__all__ = ["PackageDetail"]


class PackageDetail:
    """A source package as one repository carries it: its build and binary RPMs."""

    def __init__(
        self,
        store: RepositoryDetail,
        package: Package,
        repo: Repo,
        build: Build,
        relations: Relations,
    ) -> None:
        self._store = store
        self.package = package
        self.repo = repo
        self.build = build
        seed = store.world.seed
        if repo.source:
            spec = BinarySpec(package.name, package.summary, "source", "src")
            deps: dict[str, tuple[Dependency, ...]] = dict.fromkeys(KINDS, ())
            deps["requires"] = tuple(self._render(r) for r in relations.build_requires)
            self.binaries: tuple[Binary, ...] = (
                Binary(spec.name, "src", package.summary, description(seed, package), deps),
            )
            self._specs: dict[str, BinarySpec] = {spec.name: spec}
            return
        self._specs = {s.name: s for s in relations.specs}
        self.binaries = tuple(
            Binary(
                s.name,
                s.arch,
                s.summary,
                binary_description(seed, package, s),
                {
                    kind: tuple(self._render(r) for r in rows)
                    for kind, rows in relations.per_binary[s.name].items()
                },
            )
            for s in relations.specs
        )

    @property
    def source_rpm(self) -> str:
        return f"{self.package.name}-{self.build.version}-{self.build.release}.src.rpm"

    @property
    def binary_names(self) -> list[str]:
        """mdapi's ``co-packages``: the distinct binary names built from this SRPM."""
        return sorted(b.name for b in self.binaries)

    def binary(self, name: str) -> Binary | None:
        return next((b for b in self.binaries if b.name == name), None)

    def files(self, name: str) -> tuple[FileGroup, ...]:
        spec = self._specs[name]
        if spec.role == "source":
            return source_files(self.package, self.build)
        return binary_files(self._store.world.seed, self.package, spec, self.build)

    @cached_property
    def changelog(self) -> tuple[ChangelogEntry, ...]:
        return changelog(self._store.world, self.package, self.build)

    def _render(self, rel: Relation) -> Dependency:
        build = self.build
        match rel.how:
            case "evr":
                return Dependency(rel.key, "EQ", epoch_of(build), build.version, build.release)
            case "version":
                return Dependency(rel.key, "EQ", "0", build.version)
            case "lt-evr":
                return Dependency(rel.key, "LT", epoch_of(build), build.version, build.release)
            case "fixed":
                flags, version = FIXED_VERSIONS.get(rel.key, ("GE", "8.1"))
                return Dependency(rel.key, flags, "0", version)
            case "rich":
                return Dependency(rel.text or rel.key)
            case "ge-target" | "rich-target":
                return self._bounded(rel)
        return Dependency(rel.key)

    def _bounded(self, rel: Relation) -> Dependency:
        found = self._store.target_build(self.repo.branch, rel.target or "")
        numbers = [int(p) for p in re.findall(r"\d+", found.version)[:2]] if found else []
        if not numbers:
            return Dependency(rel.key)
        major, minor = [*numbers, 0][:2]
        if rel.how == "ge-target":
            return Dependency(rel.key, "GE", "0", f"{major}.{minor}")
        if major:  # caret semantics, as rust2rpm writes them
            low, high = f"{major}.{minor}.0", f"{major + 1}.0.0"
        else:
            low, high = f"0.{minor}.0", f"0.{minor + 1}.0"
        return Dependency(f"({rel.key} >= {low} with {rel.key} < {high}~)")
