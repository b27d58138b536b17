"""Dependency relations: what each binary of a source package provides and requires.

:class:`Relations` decides, per binary, its provides, requires, obsoletes, conflicts
and weak dependencies, and the source package's BuildRequires, as :class:`Relation`
rows that do not yet know a build: the versions are filled in when a repository's
build renders them (:mod:`simulator.catalog.detail.package`).
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING

from simulator.catalog.detail.naming import (
    binaries,
    crate_feature,
    family,
    go_path_of,
    libstem_of,
    perl_module,
    php_composer,
    python_dist,
    seeded_rng,
    soname,
    stem_of,
)
from simulator.catalog.detail.records import KINDS, BinarySpec
from simulator.catalog.detail.targets import targets
from simulator.catalog.detail.toolchain import (
    CORE_PROVIDES,
    FIXED_VERSIONS,
    LIBC,
    PERL_COMPAT,
    PYTHON,
    TOOLCHAIN,
)
from simulator.catalog.model import Package

if TYPE_CHECKING:
    from simulator.catalog.detail.index import WorldIndex

__all__ = ["Relation", "Relations"]


@dataclass(frozen=True, slots=True)
class Relation:
    """A dependency before it meets a build: how its version columns are filled.

    ``key`` is what the reverse index files it under: the capability itself, or for a
    rich dependency the first capability inside it.
    """

    key: str
    how: str = "bare"  # bare | evr | version | lt-evr | fixed | ge-target | rich-target | rich
    target: str | None = None  # source package whose build in the branch sets a bound
    text: str | None = None  # the full rich expression for how == "rich"


class Relations:
    """The dependency relations of every binary of a source package, and its BuildRequires."""

    def __init__(self, ix: WorldIndex, seed: int, package: Package) -> None:
        self.package = package
        self.seed = seed
        self.fam = family(package.name)
        self.specs = ix.specs.get(package.id) or binaries(package)
        self.roles = {s.role: s for s in self.specs}
        self.targets = targets(ix, seed, package, self.fam)
        self.devel = ix.devel
        self.per_binary: dict[str, dict[str, list[Relation]]] = {
            spec.name: self._binary(spec) for spec in self.specs
        }
        self.build_requires = self._build_requires()

    # -- per binary

    def _binary(self, spec: BinarySpec) -> dict[str, list[Relation]]:
        rng = seeded_rng(self.seed, spec.name, "weak")
        rels: dict[str, list[Relation]] = {kind: [] for kind in KINDS}
        rels["provides"] = self._provides(spec)
        rels["requires"] = self._requires(spec)
        if spec.role != "doc" and rng.random() < 0.08:
            rels["obsoletes"].append(Relation(f"{spec.name}-compat", "lt-evr"))
        if spec.role in ("main", "extra") and rng.random() < 0.04:
            rels["conflicts"].append(Relation(f"{spec.name}-legacy", "bare"))
        self._weak(spec, rng, rels)
        return rels

    def _provides(self, spec: BinarySpec) -> list[Relation]:
        rels = [Relation(spec.name, "evr")]
        if spec.arch == "x86_64":
            rels.append(Relation(f"{spec.name}(x86-64)", "evr"))
        name = self.package.name
        match spec.role:
            case "python3":
                dist = python_dist(spec.name)
                rels += [
                    Relation(f"python-{dist}", "evr"),
                    Relation(f"python{PYTHON}-{dist}", "evr"),
                    Relation(f"python3dist({dist})", "version"),
                    Relation(f"python{PYTHON}dist({dist})", "version"),
                ]
            case "crate":
                rels.append(Relation(f"crate({crate_feature(spec.name, name)[0]})", "version"))
            case "feature":
                crate, feature = crate_feature(spec.name, name)
                rels.append(Relation(f"crate({crate}/{feature})", "version"))
            case "gosource":
                path = go_path_of(self.package.name)
                rels += [
                    Relation(f"golang({path})", "evr"),
                    Relation(f"golang-ipath({path})", "evr"),
                ]
            case "main":
                rels += self._main_provides()
            case "libs":
                rels.append(Relation(f"{soname(self.seed, name)}()(64bit)"))
            case "devel" if self.fam == "plain":
                rels.append(Relation(f"pkgconfig({libstem_of(name)})", "version"))
        return rels

    def _main_provides(self) -> list[Relation]:
        name = self.package.name
        core = CORE_PROVIDES.get(name)
        if core is not None:
            return [Relation(cap, "fixed" if cap in FIXED_VERSIONS else "bare") for cap in core]
        match self.fam:
            case "perl":
                return [Relation(f"perl({perl_module(name)})", "version")]
            case "nodejs":
                return [Relation(f"npm({stem_of(name)})", "version")]
            case "R":
                return [Relation(f"R({stem_of(name)})", "version")]
            case "php":
                return [Relation(f"php-composer({php_composer(name)})", "version")]
            case "texlive":
                return [Relation(f"tex({stem_of(name)}.sty)")]
            case "plain" if "libs" not in self.roles and "devel" in self.roles:
                return [Relation(f"{soname(self.seed, name)}()(64bit)")]
        return []

    def _requires(self, spec: BinarySpec) -> list[Relation]:
        rels: list[Relation] = []
        if spec.arch == "x86_64" and spec.role not in ("devel", "prof"):
            rels.append(Relation(LIBC))
        match spec.role:
            case "python3":
                rels.append(Relation("python(abi)", "fixed"))
                rels += [
                    Relation(f"python3dist({python_dist(_python3_of(t))})", "bare", t)
                    for t in self.targets.get("python", ())
                ]
            case "crate" | "feature":
                rels += self._crate_requires(spec)
            case "gosource":
                rels.append(Relation("go-filesystem"))
                rels += [
                    Relation(f"golang({go_path_of(t)})") for t in self.targets.get("golang", ())
                ]
            case "main":
                rels += self._main_requires(spec)
            case "devel":
                base = self.roles.get("libs") or self.roles.get("main")
                if base is not None:
                    rels.append(Relation(_arched(base), "evr"))
                rels += [
                    Relation(f"{t}-devel") for t in self.targets.get("lib", ()) if t in self.devel
                ]
            case "tools" | "extra" | "prof":
                base = self.roles.get("main") or self.roles.get("libs")
                if spec.role == "prof":
                    base = self.roles.get("devel") or base
                if base is not None:
                    rels.append(Relation(_arched(base), "evr"))
        return rels

    def _crate_requires(self, spec: BinarySpec) -> list[Relation]:
        rels = [Relation("cargo")]
        if spec.role == "feature":
            crate, _ = crate_feature(spec.name, self.package.name)
            return [*rels, Relation(f"crate({crate})", "version")]
        rels += [
            Relation(f"crate({_crate_of(target)}/default)", "rich-target", target)
            for target in self.targets.get("rust", ())
        ]
        return rels

    def _main_requires(self, spec: BinarySpec) -> list[Relation]:
        rels: list[Relation] = []
        match self.fam:
            case "perl":
                rels += [
                    Relation(PERL_COMPAT),
                    Relation("perl(strict)"),
                    Relation("perl(warnings)"),
                ]
                rels += [Relation(f"perl({perl_module(t)})") for t in self.targets.get("perl", ())]
            case "nodejs":
                rels.append(Relation("nodejs"))
                rels += [
                    Relation(f"npm({stem_of(t)})", "ge-target", t)
                    for t in self.targets.get("nodejs", ())
                ]
            case "R":
                rels.append(Relation("R-core"))
                rels += [Relation(f"R({stem_of(t)})") for t in self.targets.get("R", ())]
            case "php":
                rels.append(Relation("php(language)", "fixed"))
                rels += [
                    Relation(f"php-composer({php_composer(t)})", "ge-target", t)
                    for t in self.targets.get("php", ())
                ]
            case "texlive":
                rels.append(Relation("texlive-base"))
                rels += [
                    Relation(f"tex({stem_of(t)}.sty)") for t in self.targets.get("texlive", ())
                ]
            case "ghc":
                rels += [Relation(t) for t in self.targets.get("ghc", ())]
            case "plain":
                libs = self.roles.get("libs")
                if libs is not None:
                    rels.append(Relation(_arched(libs), "evr"))
                rels += [
                    Relation(f"{soname(self.seed, t)}()(64bit)")
                    for t in self.targets.get("lib", ())
                ]
                rels += [Relation(t) for t in self.targets.get("plain", ())]
        if self.fam == "plain" and spec.arch == "noarch":
            rels = [r for r in rels if not r.key.endswith("(64bit)")]
        return rels

    def _weak(self, spec: BinarySpec, rng: Random, rels: dict[str, list[Relation]]) -> None:
        main = self.roles.get("main")
        if spec.role in ("main", "python3"):
            for target in self.targets.get("weak", ()):
                rels["recommends"].append(Relation(self._capability(target), "bare"))
            doc = self.roles.get("doc")
            if doc is not None and rng.random() < 0.3:
                rels["suggests"].append(Relation(doc.name))
        if main is None or spec.role not in ("tools", "extra"):
            return
        roll = rng.random()
        if roll < 0.1:
            rich = f"({main.name} and bash-completion)"
            rels["supplements"].append(Relation(main.name, "rich", text=rich))
        elif roll < 0.16:
            rels["enhances"].append(Relation(main.name))

    def _capability(self, target: str) -> str:
        match self.fam:
            case "python":
                return f"python3dist({python_dist(_python3_of(target))})"
            case "rust":
                return f"crate({_crate_of(target)}/default)"
            case "golang":
                return f"golang({go_path_of(target)})"
            case "perl":
                return f"perl({perl_module(target)})"
        return target

    # -- the source package

    def _build_requires(self) -> list[Relation]:
        rng = seeded_rng(self.seed, self.package.name, "buildrequires")
        rels = [Relation(name) for name in TOOLCHAIN.get(self.fam, ())]
        if self.fam == "plain":
            rels += [
                Relation(rng.choice(("gcc", "gcc-c++"))),
                Relation(rng.choice(("make", "meson", "cmake"))),
            ]
            rels += [
                Relation(f"pkgconfig({libstem_of(t)})")
                for t in self.targets.get("lib", ())
                if t in self.devel
            ]
        elif self.fam == "python":
            rels += [
                Relation(f"python3dist({python_dist(_python3_of(t))})")
                for t in self.targets.get("python", ())
            ]
        elif self.fam == "rust":
            rels += [
                Relation(f"crate({_crate_of(t)}/default)", "rich-target", t)
                for t in self.targets.get("rust", ())
            ]
        elif self.fam == "perl":
            rels += [Relation(f"perl({perl_module(t)})") for t in self.targets.get("perl", ())]
        return rels


def _arched(spec: BinarySpec) -> str:
    return f"{spec.name}(x86-64)" if spec.arch == "x86_64" else spec.name


def _python3_of(source: str) -> str:
    return "python3-" + source.removeprefix("python-")


def _crate_of(source: str) -> str:
    return source.removeprefix("rust-")
