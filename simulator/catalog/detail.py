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
"""

from __future__ import annotations

import re
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from random import Random

from simulator.catalog.model import Build, BuildState, Package, Release
from simulator.world import World

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

PYTHON = "3.14"
GHC = "9.10"
_PERL_COMPAT = "perl(:MODULE_COMPAT_5.40.0)"
_LIBC = "libc.so.6()(64bit)"
_DAY = 86_400
_RELENG = ("Fedora Release Engineering", "releng@fedoraproject.org")

#: Capabilities the toolchain packages provide, when the world has them.
_CORE_PROVIDES: dict[str, tuple[str, ...]] = {
    "glibc": (_LIBC, "libc.so.6(GLIBC_2.34)(64bit)", "libm.so.6()(64bit)", "rtld(GNU_HASH)"),
    "bash": ("/bin/sh", "/bin/bash", "/usr/bin/sh"),
    "python3.14": ("python3", "python(abi)", "/usr/bin/python3"),
    "perl": ("perl-interpreter", _PERL_COMPAT, "perl(strict)", "perl(warnings)"),
    "rust": ("cargo", "rust-std-static"),
    "golang": ("go-filesystem", "go-rpm-macros"),
    "nodejs22": ("nodejs", "npm", "nodejs-packaging"),
    "php": ("php(language)", "php-cli"),
    "texlive": ("texlive-base", "tex(latex)"),
    "gcc": ("libgcc_s.so.1()(64bit)", "libstdc++.so.6()(64bit)"),
    "openssl": ("libssl.so.3()(64bit)", "libcrypto.so.3()(64bit)"),
    "zlib-ng": ("libz.so.1()(64bit)",),
    "systemd": ("systemd-rpm-macros", "libsystemd.so.0()(64bit)"),
}
_FIXED_VERSIONS: dict[str, tuple[str, str]] = {"python(abi)": ("EQ", PYTHON)}

_FAMILIES: tuple[tuple[str, str], ...] = (
    ("python-", "python"),
    ("rust-", "rust"),
    ("golang-", "golang"),
    ("perl-", "perl"),
    ("ghc-", "ghc"),
    ("nodejs-", "nodejs"),
    ("texlive-", "texlive"),
    ("R-", "R"),
    ("php-", "php"),
)
#: Families whose source package builds no binary of its own name.
_HEADLESS = frozenset({"python", "rust", "golang"})
_NOARCH_ROLES = frozenset({"doc", "crate", "feature", "gosource"})
_VALID_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_DIST = re.compile(r"\.(?:fc|el)\d+$")
_BRANCH_TARGET = re.compile(r"^f(\d+)-candidate$")
_DIST_VERSION = re.compile(r"\.fc(\d+)")


# -- records -----------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class _Rel:
    """A dependency before it meets a build: how its version columns are filled.

    ``key`` is what the reverse index files it under: the capability itself, or for a
    rich dependency the first capability inside it.
    """

    key: str
    how: str = "bare"  # bare | evr | version | lt-evr | fixed | ge-target | rich-target | rich
    target: str | None = None  # source package whose build in the branch sets a bound
    text: str | None = None  # the full rich expression for how == "rich"


# -- pure naming rules -----------------------------------------------------------------


def family(name: str) -> str:
    """The packaging ecosystem of a source package, from its name prefix."""
    for prefix, fam in _FAMILIES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return fam
    return "plain"


def _stem(name: str) -> str:
    fam = family(name)
    if fam == "plain":
        return name
    return name.split("-", 1)[1]


def _libstem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "", _stem(name).lower()) or "x"
    return stem.removeprefix("lib") or stem


def _role(fam: str, name: str) -> str:
    if fam == "python" and name.startswith("python3-"):
        return "python3"
    if fam == "rust" and name.endswith("-devel"):
        return "feature" if "+" in name else "crate"
    if fam == "golang" and name.endswith("-devel"):
        return "gosource"
    for suffix in ("-doc", "-devel", "-libs", "-tools", "-prof"):
        if name.endswith(suffix):
            return suffix[1:]
    return "extra"


def binaries(package: Package) -> tuple[BinarySpec, ...]:
    """The binary RPMs of ``package``: its own name unless headless, then its subpackages."""
    fam = family(package.name)
    subs = [s for s in package.subpackages if _VALID_NAME.match(s.name) and s.name != package.name]
    specs: list[BinarySpec] = []
    if fam not in _HEADLESS or not subs:
        specs.append(BinarySpec(package.name, package.summary, "main", _arch(package, "main")))
    seen = {package.name}
    for sub in subs:
        if sub.name in seen:
            continue
        seen.add(sub.name)
        role = _role(fam, sub.name)
        specs.append(BinarySpec(sub.name, sub.summary, role, _arch(package, role)))
    return tuple(specs)


def _arch(package: Package, role: str) -> str:
    return "noarch" if package.arch == "noarch" or role in _NOARCH_ROLES else "x86_64"


def _python_dist(binary: str) -> str:
    return re.sub(r"[-_.]+", "-", binary.removeprefix("python3-")).lower()


def _crate(binary: str, source: str) -> tuple[str, str | None]:
    body = binary.removeprefix("rust-").removesuffix("-devel")
    crate, _, feature = body.partition("+")
    return (crate or _stem(source)), (feature or None)


def _perl_module(name: str) -> str:
    return "::".join(name.removeprefix("perl-").split("-"))


def _php_composer(name: str) -> str:
    vendor, _, project = name.removeprefix("php-").partition("-")
    return f"{vendor.lower()}/{(project or vendor).lower()}"


def _rng(seed: int, *parts: object) -> Random:
    """A generator determined by the world seed and ``parts`` (stable across processes)."""
    return Random(":".join([str(seed), *map(str, parts)]))


def _soname(seed: int, source: str) -> str:
    major = _rng(seed, source, "soname").randint(0, 4)
    return f"lib{_libstem(source)}.so.{major}"


def _strip_dist(release: str) -> str:
    return _DIST.sub("", release)


def _epoch(build: Build) -> str:
    return str(build.epoch or 0)


# -- repositories -------------------------------------------------------------------------


def _active(world: World) -> dict[str, Release]:
    live = ("current", "pending", "frozen")
    return {r.branch: r for r in world.releases.values() if r.state in live}


def branches(world: World) -> list[str]:
    """mdapi's ``/branches``: every active branch, ``koji``, and their ``src_`` twins."""
    names = list(_active(world))
    if "rawhide" in names:
        names.append("koji")
    names += [f"src_{name}" for name in list(names) if name != "koji"]
    return sorted(names)


def repos(world: World, branch: str) -> tuple[Repo, ...] | None:
    """The repositories of ``branch`` in mdapi's search order, or None for an unknown branch."""
    source = branch.startswith("src_")
    name = branch.removeprefix("src_")
    if name == "koji" and not source:
        name = "rawhide"
    release = _active(world).get(name)
    if release is None:
        return None
    if release.is_rawhide:
        head = "rawhide" if "rawhide" in world.tags else release.dist_tag
        return (Repo(branch, "release", tuple(world.tag_chain(head)), source),)
    return (
        Repo(branch, "updates-testing", (release.testing_tag,), source),
        Repo(branch, "updates", (release.stable_tag,), source),
        Repo(branch, "release", (release.dist_tag,), source),
    )


def build_in(world: World, repo: Repo, package_id: int) -> Build | None:
    """The build of a package that ``repo`` carries: its newest tagging there."""
    for tag in repo.tags:
        build = next(world.tagged(tag, package_id), None)
        if build is not None:
            return build
    return None


# -- descriptions ---------------------------------------------------------------------------

_CLOSINGS: dict[str, tuple[str, ...]] = {
    "python": (
        f"It is packaged for Python {PYTHON} and installs as an importable module.",
        "The module has no mandatory compiled dependencies and is tested upstream "
        "against current CPython releases.",
    ),
    "rust": ("This package contains the crate sources, for building other Rust packages.",),
    "golang": ("This package contains the Go source code, for building other Go packages.",),
    "perl": ("The module is packaged from its CPAN distribution.",),
    "ghc": ("This package provides the Haskell library built with the Glasgow Haskell Compiler.",),
    "nodejs": ("The module is packaged from the npm registry.",),
    "texlive": ("The package is part of the TeX Live distribution.",),
    "R": ("The package is packaged from CRAN.",),
    "php": ("The library uses a Composer-compatible autoloader.",),
    "plain": (
        "It aims to be small, fast and easy to integrate with existing tools.",
        "It is configured through plain text files and works well in scripts.",
        "Its command line interface follows the usual GNU conventions.",
        "It is portable, well documented and maintained by an active upstream community.",
    ),
}


def description(seed: int, package: Package) -> str:
    """The package's description, or a realistic paragraph built from its summary."""
    if package.description:
        return package.description
    rng = _rng(seed, package.name, "description")
    fam = family(package.name)
    summary = package.summary.rstrip(". ") or package.name
    sentences = [f"{summary}."]
    if package.url:
        sentences.append(f"The {package.name} project is developed upstream at {package.url}.")
    closing = rng.choice(_CLOSINGS[fam])
    sentences.append(closing)
    others = [s for s in _CLOSINGS["plain"] if s != closing]
    if rng.random() < 0.4:
        sentences.append(rng.choice(others))
    return textwrap.fill(" ".join(sentences), width=76)


def _binary_description(seed: int, package: Package, spec: BinarySpec) -> str:
    name = package.name
    match spec.role:
        case "main" | "python3" | "gosource":
            return description(seed, package)
        case "crate":
            crate, _ = _crate(spec.name, name)
            return (
                f"This package contains library source intended for building other packages "
                f'which use the "{crate}" crate.'
            )
        case "feature":
            crate, feature = _crate(spec.name, name)
            return (
                f'This metapackage enables feature "{feature}" for the Rust {crate} crate, by '
                f"pulling in any additional dependencies needed by that feature."
            )
        case "devel":
            return (
                f"The {spec.name} package contains libraries and header files for "
                f"developing applications that use {name}."
            )
        case "libs":
            return f"The {spec.name} package contains the shared libraries of {name}."
        case "doc":
            return f"This package contains the documentation for {name}."
        case "tools":
            return f"The {spec.name} package contains command line tools shipped with {name}."
        case "prof":
            return f"This package provides the Haskell {name} profiling library."
        case _:
            return f"{spec.summary.rstrip('.')}."


# -- the world index: binary names, dependency pools, reverse relations ----------------------


class _WorldIndex:
    """What the detail generator needs to know about the whole world, built once."""

    def __init__(self, world: World) -> None:
        self.size = len(world.packages)
        self.binary_owner: dict[str, int] = {}
        self.specs: dict[int, tuple[BinarySpec, ...]] = {}
        pools: dict[str, list[str]] = {}
        for package in sorted(world.packages.values(), key=lambda p: p.name):
            specs = binaries(package)
            self.specs[package.id] = specs
            for spec in specs:
                self.binary_owner.setdefault(spec.name, package.id)
            if not package.retired:
                for pool in _pools_of(package, specs):
                    pools.setdefault(pool, []).append(package.name)
        self.pools: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in pools.items()}
        self.devel = frozenset(self.pools.get("devel", ()))
        self._reverse: _ReverseIndex | None = None
        self._lock = threading.Lock()

    def reverse(self, world: World) -> _ReverseIndex:
        """Relations of binaries, and of SRPMs (BuildRequires) as ``src:requires``."""
        with self._lock:
            if self._reverse is None:
                self._reverse = _reverse_index(self, world)
            return self._reverse


def _pools_of(package: Package, specs: tuple[BinarySpec, ...]) -> list[str]:
    fam = family(package.name)
    roles = {s.role for s in specs}
    if fam == "python":
        return ["python"] if "python3" in roles else []
    if fam == "rust":
        return ["rust"] if "crate" in roles else []
    if fam == "golang":
        return ["golang"] if "gosource" in roles else []
    if fam != "plain":
        return [fam] if "main" in roles else []
    if package.name in _CORE_PROVIDES:
        return []
    pools = ["plain"] if "main" in roles else []
    if roles & {"libs", "devel"}:
        pools.append("lib")
    if "devel" in roles:
        pools.append("devel")
    return pools


class _ReverseIndex:
    """Which source packages have a relation of some kind to a capability.

    Capabilities are filed under their ``hash()``, and a package id stands alone until
    a second one joins it: the index of 23,000 packages stays around 20 MB. A hash
    collision only adds a candidate, which the exact match at lookup time drops.
    """

    def __init__(self) -> None:
        self._tables: dict[str, dict[int, int | list[int]]] = {}

    def add(self, kind: str, rows: list[_Rel], package_id: int) -> None:
        table = self._tables.setdefault(kind, {})
        for rel in rows:
            key = hash(rel.key)
            found = table.get(key)
            if found is None:
                table[key] = package_id
            elif isinstance(found, int):
                if found != package_id:
                    table[key] = [found, package_id]
            elif found[-1] != package_id:
                found.append(package_id)

    def candidates(self, kind: str, capability: str) -> list[int]:
        found = self._tables.get(kind, {}).get(hash(capability))
        if found is None:
            return []
        return [found] if isinstance(found, int) else found


def _reverse_index(ix: _WorldIndex, world: World) -> _ReverseIndex:
    index = _ReverseIndex()
    for package in world.packages.values():
        relations = _Relations(ix, world.seed, package)
        for rels in relations.per_binary.values():
            for kind, rows in rels.items():
                index.add(kind, rows, package.id)
        index.add("src:requires", relations.build_requires, package.id)
    return index


# -- dependency relations --------------------------------------------------------------------


class _Relations:
    """The dependency relations of every binary of a source package, and its BuildRequires."""

    def __init__(self, ix: _WorldIndex, seed: int, package: Package) -> None:
        self.package = package
        self.seed = seed
        self.fam = family(package.name)
        self.specs = ix.specs.get(package.id) or binaries(package)
        self.roles = {s.role: s for s in self.specs}
        self.targets = _targets(ix, seed, package, self.fam)
        self.devel = ix.devel
        self.per_binary: dict[str, dict[str, list[_Rel]]] = {
            spec.name: self._binary(spec) for spec in self.specs
        }
        self.build_requires = self._build_requires()

    # -- per binary

    def _binary(self, spec: BinarySpec) -> dict[str, list[_Rel]]:
        rng = _rng(self.seed, spec.name, "weak")
        rels: dict[str, list[_Rel]] = {kind: [] for kind in KINDS}
        rels["provides"] = self._provides(spec)
        rels["requires"] = self._requires(spec)
        if spec.role != "doc" and rng.random() < 0.08:
            rels["obsoletes"].append(_Rel(f"{spec.name}-compat", "lt-evr"))
        if spec.role in ("main", "extra") and rng.random() < 0.04:
            rels["conflicts"].append(_Rel(f"{spec.name}-legacy", "bare"))
        self._weak(spec, rng, rels)
        return rels

    def _provides(self, spec: BinarySpec) -> list[_Rel]:
        rels = [_Rel(spec.name, "evr")]
        if spec.arch == "x86_64":
            rels.append(_Rel(f"{spec.name}(x86-64)", "evr"))
        name = self.package.name
        match spec.role:
            case "python3":
                dist = _python_dist(spec.name)
                rels += [
                    _Rel(f"python-{dist}", "evr"),
                    _Rel(f"python{PYTHON}-{dist}", "evr"),
                    _Rel(f"python3dist({dist})", "version"),
                    _Rel(f"python{PYTHON}dist({dist})", "version"),
                ]
            case "crate":
                rels.append(_Rel(f"crate({_crate(spec.name, name)[0]})", "version"))
            case "feature":
                crate, feature = _crate(spec.name, name)
                rels.append(_Rel(f"crate({crate}/{feature})", "version"))
            case "gosource":
                path = _go_path_of(self.package.name)
                rels += [_Rel(f"golang({path})", "evr"), _Rel(f"golang-ipath({path})", "evr")]
            case "main":
                rels += self._main_provides()
            case "libs":
                rels.append(_Rel(f"{_soname(self.seed, name)}()(64bit)"))
            case "devel" if self.fam == "plain":
                rels.append(_Rel(f"pkgconfig({_libstem(name)})", "version"))
        return rels

    def _main_provides(self) -> list[_Rel]:
        name = self.package.name
        core = _CORE_PROVIDES.get(name)
        if core is not None:
            return [_Rel(cap, "fixed" if cap in _FIXED_VERSIONS else "bare") for cap in core]
        match self.fam:
            case "perl":
                return [_Rel(f"perl({_perl_module(name)})", "version")]
            case "nodejs":
                return [_Rel(f"npm({_stem(name)})", "version")]
            case "R":
                return [_Rel(f"R({_stem(name)})", "version")]
            case "php":
                return [_Rel(f"php-composer({_php_composer(name)})", "version")]
            case "texlive":
                return [_Rel(f"tex({_stem(name)}.sty)")]
            case "plain" if "libs" not in self.roles and "devel" in self.roles:
                return [_Rel(f"{_soname(self.seed, name)}()(64bit)")]
        return []

    def _requires(self, spec: BinarySpec) -> list[_Rel]:
        rels: list[_Rel] = []
        if spec.arch == "x86_64" and spec.role not in ("devel", "prof"):
            rels.append(_Rel(_LIBC))
        match spec.role:
            case "python3":
                rels.append(_Rel("python(abi)", "fixed"))
                rels += [
                    _Rel(f"python3dist({_python_dist(_python3_of(t))})", "bare", t)
                    for t in self.targets.get("python", ())
                ]
            case "crate" | "feature":
                rels += self._crate_requires(spec)
            case "gosource":
                rels.append(_Rel("go-filesystem"))
                rels += [_Rel(f"golang({_go_path_of(t)})") for t in self.targets.get("golang", ())]
            case "main":
                rels += self._main_requires(spec)
            case "devel":
                base = self.roles.get("libs") or self.roles.get("main")
                if base is not None:
                    rels.append(_Rel(_arched(base), "evr"))
                rels += [_Rel(f"{t}-devel") for t in self.targets.get("lib", ()) if t in self.devel]
            case "tools" | "extra" | "prof":
                base = self.roles.get("main") or self.roles.get("libs")
                if spec.role == "prof":
                    base = self.roles.get("devel") or base
                if base is not None:
                    rels.append(_Rel(_arched(base), "evr"))
        return rels

    def _crate_requires(self, spec: BinarySpec) -> list[_Rel]:
        rels = [_Rel("cargo")]
        if spec.role == "feature":
            crate, _ = _crate(spec.name, self.package.name)
            return [*rels, _Rel(f"crate({crate})", "version")]
        rels += [
            _Rel(f"crate({_crate_of(target)}/default)", "rich-target", target)
            for target in self.targets.get("rust", ())
        ]
        return rels

    def _main_requires(self, spec: BinarySpec) -> list[_Rel]:
        rels: list[_Rel] = []
        match self.fam:
            case "perl":
                rels += [_Rel(_PERL_COMPAT), _Rel("perl(strict)"), _Rel("perl(warnings)")]
                rels += [_Rel(f"perl({_perl_module(t)})") for t in self.targets.get("perl", ())]
            case "nodejs":
                rels.append(_Rel("nodejs"))
                rels += [
                    _Rel(f"npm({_stem(t)})", "ge-target", t) for t in self.targets.get("nodejs", ())
                ]
            case "R":
                rels.append(_Rel("R-core"))
                rels += [_Rel(f"R({_stem(t)})") for t in self.targets.get("R", ())]
            case "php":
                rels.append(_Rel("php(language)", "fixed"))
                rels += [
                    _Rel(f"php-composer({_php_composer(t)})", "ge-target", t)
                    for t in self.targets.get("php", ())
                ]
            case "texlive":
                rels.append(_Rel("texlive-base"))
                rels += [_Rel(f"tex({_stem(t)}.sty)") for t in self.targets.get("texlive", ())]
            case "ghc":
                rels += [_Rel(t) for t in self.targets.get("ghc", ())]
            case "plain":
                libs = self.roles.get("libs")
                if libs is not None:
                    rels.append(_Rel(_arched(libs), "evr"))
                rels += [
                    _Rel(f"{_soname(self.seed, t)}()(64bit)") for t in self.targets.get("lib", ())
                ]
                rels += [_Rel(t) for t in self.targets.get("plain", ())]
        if self.fam == "plain" and spec.arch == "noarch":
            rels = [r for r in rels if not r.key.endswith("(64bit)")]
        return rels

    def _weak(self, spec: BinarySpec, rng: Random, rels: dict[str, list[_Rel]]) -> None:
        main = self.roles.get("main")
        if spec.role in ("main", "python3"):
            for target in self.targets.get("weak", ()):
                rels["recommends"].append(_Rel(self._capability(target), "bare"))
            doc = self.roles.get("doc")
            if doc is not None and rng.random() < 0.3:
                rels["suggests"].append(_Rel(doc.name))
        if main is None or spec.role not in ("tools", "extra"):
            return
        roll = rng.random()
        if roll < 0.1:
            rich = f"({main.name} and bash-completion)"
            rels["supplements"].append(_Rel(main.name, "rich", text=rich))
        elif roll < 0.16:
            rels["enhances"].append(_Rel(main.name))

    def _capability(self, target: str) -> str:
        match self.fam:
            case "python":
                return f"python3dist({_python_dist(_python3_of(target))})"
            case "rust":
                return f"crate({_crate_of(target)}/default)"
            case "golang":
                return f"golang({_go_path_of(target)})"
            case "perl":
                return f"perl({_perl_module(target)})"
        return target

    # -- the source package

    def _build_requires(self) -> list[_Rel]:
        rng = _rng(self.seed, self.package.name, "buildrequires")
        rels = [_Rel(name) for name in _TOOLCHAIN.get(self.fam, ())]
        if self.fam == "plain":
            rels += [
                _Rel(rng.choice(("gcc", "gcc-c++"))),
                _Rel(rng.choice(("make", "meson", "cmake"))),
            ]
            rels += [
                _Rel(f"pkgconfig({_libstem(t)})")
                for t in self.targets.get("lib", ())
                if t in self.devel
            ]
        elif self.fam == "python":
            rels += [
                _Rel(f"python3dist({_python_dist(_python3_of(t))})")
                for t in self.targets.get("python", ())
            ]
        elif self.fam == "rust":
            rels += [
                _Rel(f"crate({_crate_of(t)}/default)", "rich-target", t)
                for t in self.targets.get("rust", ())
            ]
        elif self.fam == "perl":
            rels += [_Rel(f"perl({_perl_module(t)})") for t in self.targets.get("perl", ())]
        return rels


_TOOLCHAIN: dict[str, tuple[str, ...]] = {
    "python": ("python3-devel", "pyproject-rpm-macros", "python3dist(pytest)"),
    "rust": ("cargo-rpm-macros",),
    "golang": ("go-rpm-macros",),
    "perl": ("perl-generators", "perl-interpreter", "perl(ExtUtils::MakeMaker)", "make"),
    "ghc": ("ghc-Cabal-devel", "ghc-rpm-macros"),
    "nodejs": ("nodejs-packaging",),
    "texlive": ("texlive-base",),
    "R": ("R-devel",),
    "php": ("php-fedora-autoloader-devel",),
    "plain": (),
}


def _arched(spec: BinarySpec) -> str:
    return f"{spec.name}(x86-64)" if spec.arch == "x86_64" else spec.name


def _python3_of(source: str) -> str:
    return "python3-" + source.removeprefix("python-")


def _crate_of(source: str) -> str:
    return source.removeprefix("rust-")


_GO_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "gopkg": "gopkg.in"}


def _go_path_of(source: str) -> str:
    """The import path a ``golang-<host>-<owner>-<project>`` name stands for."""
    parts = source.removeprefix("golang-").split("-", 2)
    return "/".join([_GO_HOSTS.get(parts[0], parts[0]), *parts[1:]])


_TARGET_POOLS: dict[str, tuple[tuple[str, int], ...]] = {
    "python": (("python", 4),),
    "rust": (("rust", 4),),
    "golang": (("golang", 3),),
    "perl": (("perl", 3),),
    "plain": (("lib", 3), ("plain", 2)),
}


def _targets(ix: _WorldIndex, seed: int, package: Package, fam: str) -> dict[str, tuple[str, ...]]:
    """Other source packages this one depends on, chosen by name: stable across builds."""
    if package.name in _CORE_PROVIDES:
        return {}  # the toolchain depends on itself only
    rng = _rng(seed, package.name, "deps")
    out: dict[str, tuple[str, ...]] = {}
    for pool, most in _TARGET_POOLS.get(fam, ((fam, 2),)):
        out[pool] = _pick(rng, ix.pools.get(pool, ()), rng.randint(0, most), package.name)
    weak_pool = "plain" if fam == "plain" else fam
    if rng.random() < 0.2:
        out["weak"] = _pick(rng, ix.pools.get(weak_pool, ()), 1, package.name)
    return out


def _pick(rng: Random, pool: tuple[str, ...], count: int, exclude: str) -> tuple[str, ...]:
    if not pool:
        return ()
    chosen = {pool[rng.randrange(len(pool))] for _ in range(count)}
    chosen.discard(exclude)
    return tuple(sorted(chosen))


# -- files ---------------------------------------------------------------------------------------


def _files(seed: int, package: Package, spec: BinarySpec, build: Build) -> tuple[FileGroup, ...]:
    entries = _FileTree()
    rng = _rng(seed, spec.name, "files")
    name, version = package.name, build.version
    stem = _stem(name)
    if spec.role in ("main", "libs", "python3", "gosource", "crate"):
        entries.license(spec.name)
    match spec.role:
        case "main":
            _main_files(entries, rng, seed, package, spec, build)
        case "libs":
            _library(entries, seed, name, version, "/usr/lib64")
        case "devel":
            _devel_files(entries, package, build)
        case "doc":
            entries.tree(
                f"/usr/share/doc/{spec.name}", ("html/index.html", "html/api.html", "README.md")
            )
        case "tools":
            entries.file(f"/usr/bin/{stem}-{rng.choice(('cli', 'ctl', 'tool', 'admin'))}")
        case "prof":
            entries.file(
                f"/usr/lib64/ghc-{GHC}/lib/x86_64-linux-ghc-{GHC}/{stem}-{version}/"
                f"{stem.capitalize()}.p_hi"
            )
        case "python3":
            _python_files(entries, rng, spec, build)
        case "crate" | "feature":
            _crate_files(entries, spec, package, build)
        case "gosource":
            path = _go_path_of(package.name)
            base = path.rsplit("/", 1)[-1].replace("-", "")
            entries.tree(
                f"/usr/share/gocode/src/{path}", (".goipath", "go.mod", "doc.go", f"{base}.go")
            )
        case _:
            entries.tree(f"/usr/share/{spec.name}", ("data.json",))
    return entries.groups()


def _main_files(
    entries: _FileTree,
    rng: Random,
    seed: int,
    package: Package,
    spec: BinarySpec,
    build: Build,
) -> None:
    name, stem, version = package.name, _stem(package.name), build.version
    entries.doc(spec.name)
    match family(name):
        case "perl":
            module = _perl_module(name).split("::")
            entries.tree("/usr/share/perl5/vendor_perl", ("/".join(module) + ".pm",), own=False)
            entries.file(f"/usr/share/man/man3/{'::'.join(module)}.3pm.gz")
        case "nodejs":
            entries.tree(
                f"/usr/lib/node_modules/{stem}", ("package.json", "index.js", "lib/util.js")
            )
        case "texlive":
            entries.tree(f"/usr/share/texlive/texmf-dist/tex/latex/{stem}", (f"{stem}.sty",))
        case "R":
            root = "/usr/share/R/library" if spec.arch == "noarch" else "/usr/lib64/R/library"
            entries.tree(
                f"{root}/{stem}", ("DESCRIPTION", "NAMESPACE", f"R/{stem}", f"R/{stem}.rdb")
            )
        case "php":
            vendor, _, project = _php_composer(name).partition("/")
            entries.tree(
                f"/usr/share/php/{vendor.capitalize()}/{project.capitalize()}",
                ("autoload.php", "Client.php"),
            )
        case "ghc":
            entries.file(
                f"/usr/lib64/ghc-{GHC}/lib/x86_64-linux-ghc-{GHC}/libHS{stem}-{version}-ghc{GHC}.so"
            )
        case _:
            _plain_files(entries, rng, seed, package, spec, build)


def _plain_files(
    entries: _FileTree,
    rng: Random,
    seed: int,
    package: Package,
    spec: BinarySpec,
    build: Build,
) -> None:
    name = package.name
    extra = rng.sample(("ctl", "daemon", "convert", "check"), rng.randint(0, 2))
    for tool in (name, *(f"{name}-{word}" for word in extra)):
        entries.file(f"/usr/bin/{tool}")
        entries.file(f"/usr/share/man/man1/{tool}.1.gz")
    if rng.random() < 0.3:
        entries.tree(f"/etc/{name}", (f"{name}.conf",))
    if spec.arch == "noarch":
        return
    if rng.random() < 0.2:
        entries.file(f"/usr/lib/systemd/system/{name}.service")
    roles = {s.role for s in binaries(package)}
    if "devel" in roles and "libs" not in roles:  # the library ships in the main package
        _library(entries, seed, name, build.version, "/usr/lib64")


def _library(entries: _FileTree, seed: int, source: str, version: str, libdir: str) -> None:
    name = _soname(seed, source)
    numeric = ".".join(p for p in re.split(r"[^0-9]+", version) if p)[:16] or "0"
    entries.file(f"{libdir}/{name}")
    entries.file(f"{libdir}/{name}.{numeric}")


def _devel_files(entries: _FileTree, package: Package, build: Build) -> None:
    stem = _libstem(package.name)
    if family(package.name) == "ghc":
        entries.file(
            f"/usr/lib64/ghc-{GHC}/lib/package.conf.d/{_stem(package.name)}-{build.version}.conf"
        )
        return
    entries.tree(f"/usr/include/{stem}", (f"{stem}.h", "version.h"))
    entries.file(f"/usr/lib64/lib{stem}.so")
    entries.file(f"/usr/lib64/pkgconfig/{stem}.pc")


def _python_files(entries: _FileTree, rng: Random, spec: BinarySpec, build: Build) -> None:
    dist = _python_dist(spec.name)
    module = dist.replace("-", "_")
    libdir = "lib" if spec.arch == "noarch" else "lib64"
    site = f"/usr/{libdir}/python{PYTHON}/site-packages"
    tag = f"cpython-{PYTHON.replace('.', '')}"
    sources = [
        "__init__",
        *rng.sample(("core", "utils", "cli", "parser", "types"), rng.randint(1, 3)),
    ]
    files = [f"{s}.py" for s in sources]
    files += [f"__pycache__/{s}.{tag}{opt}.pyc" for s in sources for opt in ("", ".opt-1")]
    if spec.arch == "x86_64":
        files.append(f"_speedups.{tag}-x86_64-linux-gnu.so")
    entries.tree(f"{site}/{module}", tuple(files))
    entries.tree(
        f"{site}/{module}-{build.version}.dist-info",
        ("INSTALLER", "METADATA", "top_level.txt", "licenses/LICENSE"),
    )
    entries.doc(spec.name)


def _crate_files(entries: _FileTree, spec: BinarySpec, package: Package, build: Build) -> None:
    crate, _ = _crate(spec.name, package.name)
    root = f"/usr/share/cargo/registry/{crate}-{build.version}"
    if spec.role == "feature":
        entries.file(f"{root}/Cargo.toml", kind="g")
        return
    entries.tree(root, (".cargo-checksum.json", "Cargo.toml", "LICENSE", "README.md", "src/lib.rs"))


class _FileTree:
    """Collects paths, then groups them by directory the way filelists.sqlite does."""

    def __init__(self) -> None:
        self._paths: dict[str, str] = {}

    def file(self, path: str, kind: str = "f") -> None:
        self._paths.setdefault(path, kind)

    def directory(self, path: str) -> None:
        self._paths[path] = "d"

    def tree(self, root: str, relative: tuple[str, ...], *, own: bool = True) -> None:
        if own:
            self.directory(root)
        for rel in relative:
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                if own:
                    self.directory(f"{root}/{'/'.join(parts[:depth])}")
            self.file(f"{root}/{rel}")

    def license(self, binary: str) -> None:
        self.tree(f"/usr/share/licenses/{binary}", ("LICENSE",))

    def doc(self, binary: str) -> None:
        self.tree(f"/usr/share/doc/{binary}", ("README.md",))

    def groups(self) -> tuple[FileGroup, ...]:
        by_dir: dict[str, list[tuple[str, str]]] = {}
        for path, kind in self._paths.items():
            dirname, _, base = path.rpartition("/")
            by_dir.setdefault(dirname or "/", []).append((base, kind))
        rows = []
        for dirname in sorted(by_dir):
            entries = sorted(by_dir[dirname])
            rows.append(
                FileGroup(dirname, tuple(e[0] for e in entries), "".join(e[1] for e in entries))
            )
        return tuple(rows)


def _source_files(package: Package, build: Build) -> tuple[FileGroup, ...]:
    names = (f"{package.name}-{build.version}.tar.gz", f"{package.name}.spec")
    return (FileGroup("", names, "ff"),)


# -- changelog -------------------------------------------------------------------------------


def _lineage(build: Build) -> tuple[str, int]:
    """Which dist-git branch a build came from: ("branch", NN) or ("rawhide", dist)."""
    match = _BRANCH_TARGET.match(build.target)
    if match:
        return "branch", int(match.group(1))
    found = _DIST_VERSION.search(build.release)
    return "rawhide", int(found.group(1)) if found else 0


def _in_lineage(build: Build, line: tuple[str, int]) -> bool:
    kind, version = _lineage(build)
    if kind == "branch":
        return line == ("branch", version)
    return version <= line[1]


def changelog(world: World, package: Package, build: Build) -> tuple[ChangelogEntry, ...]:
    """The spec changelog of ``build``: one entry per earlier build of its dist-git branch."""
    line = _lineage(build)
    entries = []
    for other in world.builds_by_package.get(package.id, ()):
        if other is not build and (
            other.state is not BuildState.COMPLETE
            or other.created > build.created
            or not _in_lineage(other, line)
        ):
            continue
        entries.append(_entry(world, other))
    entries.sort(key=lambda e: (e.date, e.build_id), reverse=True)
    return tuple(entries)


def _entry(world: World, build: Build) -> ChangelogEntry:
    if build.owner == "releng":
        who, email = _RELENG
    else:
        user = world.users.get(build.owner)
        who = user.fullname if user else build.owner
        email = user.email if user else f"{build.owner}@fedoraproject.org"
    epoch = f"{build.epoch}:" if build.epoch else ""
    lines = [line.strip() for line in (build.changelog or "Rebuilt").splitlines() if line.strip()]
    text = "\n".join(line if line.startswith("-") else f"- {line}" for line in lines)
    day = int(build.created // _DAY) * _DAY + _DAY // 2
    return ChangelogEntry(
        f"{who} <{email}>",
        f"{epoch}{build.version}-{_strip_dist(build.release)}",
        day,
        text,
        build.id,
    )


# -- rendering -----------------------------------------------------------------------------------


class PackageDetail:
    """A source package as one repository carries it: its build and binary RPMs."""

    def __init__(
        self,
        store: RepositoryDetail,
        package: Package,
        repo: Repo,
        build: Build,
        relations: _Relations,
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
                _binary_description(seed, package, s),
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
            return _source_files(self.package, self.build)
        return _files(self._store.world.seed, self.package, spec, self.build)

    @cached_property
    def changelog(self) -> tuple[ChangelogEntry, ...]:
        return changelog(self._store.world, self.package, self.build)

    def _render(self, rel: _Rel) -> Dependency:
        build = self.build
        match rel.how:
            case "evr":
                return Dependency(rel.key, "EQ", _epoch(build), build.version, build.release)
            case "version":
                return Dependency(rel.key, "EQ", "0", build.version)
            case "lt-evr":
                return Dependency(rel.key, "LT", _epoch(build), build.version, build.release)
            case "fixed":
                flags, version = _FIXED_VERSIONS.get(rel.key, ("GE", "8.1"))
                return Dependency(rel.key, flags, "0", version)
            case "rich":
                return Dependency(rel.text or rel.key)
            case "ge-target" | "rich-target":
                return self._bounded(rel)
        return Dependency(rel.key)

    def _bounded(self, rel: _Rel) -> Dependency:
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


class RepositoryDetail:
    """Lazily materialized repository detail of one world, with a small LRU of answers.

    Answers are keyed by (package, build, branch, source), so a new build moving into
    a repository is picked up on the next request without any invalidation.
    """

    def __init__(self, world: World, *, cache_size: int = 256) -> None:
        self.world = world
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[int, int, str, bool], PackageDetail] = OrderedDict()
        self._lock = threading.RLock()
        self._index: _WorldIndex | None = None

    def __len__(self) -> int:
        return len(self._cache)

    # -- the world index

    @property
    def index(self) -> _WorldIndex:
        with self._lock:
            if self._index is None or self._index.size != len(self.world.packages):
                self._index = _WorldIndex(self.world)
            return self._index

    # -- lookups

    def repos(self, branch: str) -> tuple[Repo, ...] | None:
        return repos(self.world, branch)

    def locate(self, branch: str, package: Package) -> tuple[Repo, Build] | None:
        """The first repository of ``branch`` carrying ``package``, and its build there."""
        for repo in repos(self.world, branch) or ():
            build = build_in(self.world, repo, package.id)
            if build is not None:
                return repo, build
        return None

    def detail(
        self, package: Package, repo: Repo, build: Build, *, remember: bool = True
    ) -> PackageDetail:
        key = (package.id, build.id, repo.branch, repo.source)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        made = PackageDetail(
            self, package, repo, build, _Relations(self.index, self.world.seed, package)
        )
        if remember:
            with self._lock:
                self._cache[key] = made
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return made

    def package(self, branch: str, name: str) -> tuple[PackageDetail, Binary] | None:
        """mdapi ``pkg``: the binary called ``name`` (a source name on ``src_`` branches)."""
        repo_list = repos(self.world, branch)
        if not repo_list:
            return None
        source = repo_list[0].source
        owner = self.world.packages.get(name) if source else self._owner(name)
        if owner is None:
            return None
        located = self.locate(branch, owner)
        if located is None:
            return None
        detail = self.detail(owner, *located)
        binary = detail.binary(name)
        return (detail, binary) if binary is not None else None

    def source_package(self, branch: str, name: str) -> tuple[PackageDetail, Binary] | None:
        """mdapi ``srcpkg``: a binary of the SRPM ``name``, the one of the same name if any.

        mdapi matches ``rpm_sourcerpm`` against ``<name>-[0-9]``, so a source whose
        version does not start with a digit (texlive's ``svn12345``) is not found.
        """
        package = self.world.packages.get(name)
        if package is None:
            return None
        located = self.locate(branch, package)
        if located is None or not located[1].version[:1].isdigit():
            return None
        detail = self.detail(package, *located)
        binary = detail.binary(name) or detail.binary(detail.binary_names[0])
        return (detail, binary) if binary is not None else None

    def dependents(self, branch: str, kind: str, name: str) -> list[tuple[PackageDetail, Binary]]:
        """mdapi's reverse lookups: binaries with a ``kind`` entry named exactly ``name``.

        Like mdapi, only the first repository of the branch with any match answers.
        """
        repo_list = repos(self.world, branch)
        if not repo_list or kind not in KINDS:
            return []
        source = repo_list[0].source
        if source and kind != "requires":
            return []  # a source repository has BuildRequires and nothing else
        table = "src:requires" if source else kind
        candidates = self.index.reverse(self.world).candidates(table, _index_key(name))
        for repo in repo_list:
            hits = list(self._matches(repo, candidates, kind, name))
            if hits:
                return hits
        return []

    def target_build(self, branch: str, source: str) -> Build | None:
        package = self.world.packages.get(source)
        if package is None:
            return None
        located = self.locate(branch.removeprefix("src_"), package)
        return located[1] if located else None

    # -- helpers

    def _owner(self, binary: str) -> Package | None:
        package_id = self.index.binary_owner.get(binary)
        return self.world.packages_by_id.get(package_id) if package_id is not None else None

    def _matches(
        self, repo: Repo, candidates: list[int], kind: str, name: str
    ) -> Iterator[tuple[PackageDetail, Binary]]:
        for package_id in candidates:
            package = self.world.packages_by_id.get(package_id)
            build = build_in(self.world, repo, package_id) if package else None
            if package is None or build is None:
                continue
            detail = self.detail(package, repo, build, remember=False)
            for binary in detail.binaries:
                if any(dep.name == name for dep in binary.dependencies[kind]):
                    yield detail, binary


def _index_key(name: str) -> str:
    """The capability a reverse lookup is filed under (the first one inside a rich dep)."""
    if name.startswith("("):
        inner = name[1:].split(" ", 1)[0]
        return inner.lstrip("(")
    return name
