"""Naming rules: a source package's family, the binary RPMs it builds, derived names.

Everything here is a pure function of names (and, for what is random, of the world's
seed): the packaging ecosystem a name prefix stands for, the binary RPMs and their
roles, and the names Fedora's packaging guidelines derive from a package name
(Python distributions, crates, Perl modules, Composer packages, Go import paths,
sonames).
"""

from __future__ import annotations

import re
from random import Random

from simulator.catalog.detail.records import BinarySpec
from simulator.catalog.model import Build, Package

__all__ = [
    "binaries",
    "crate_feature",
    "epoch_of",
    "family",
    "go_path_of",
    "libstem_of",
    "perl_module",
    "php_composer",
    "python_dist",
    "seeded_rng",
    "soname",
    "stem_of",
    "strip_dist",
]

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


def family(name: str) -> str:
    """The packaging ecosystem of a source package, from its name prefix."""
    for prefix, fam in _FAMILIES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return fam
    return "plain"


def stem_of(name: str) -> str:
    fam = family(name)
    if fam == "plain":
        return name
    return name.split("-", 1)[1]


def libstem_of(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "", stem_of(name).lower()) or "x"
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


def python_dist(binary: str) -> str:
    return re.sub(r"[-_.]+", "-", binary.removeprefix("python3-")).lower()


def crate_feature(binary: str, source: str) -> tuple[str, str | None]:
    body = binary.removeprefix("rust-").removesuffix("-devel")
    crate, _, feature = body.partition("+")
    return (crate or stem_of(source)), (feature or None)


def perl_module(name: str) -> str:
    return "::".join(name.removeprefix("perl-").split("-"))


def php_composer(name: str) -> str:
    vendor, _, project = name.removeprefix("php-").partition("-")
    return f"{vendor.lower()}/{(project or vendor).lower()}"


def seeded_rng(seed: int, *parts: object) -> Random:
    """A generator determined by the world seed and ``parts`` (stable across processes)."""
    return Random(":".join([str(seed), *map(str, parts)]))


def soname(seed: int, source: str) -> str:
    major = seeded_rng(seed, source, "soname").randint(0, 4)
    return f"lib{libstem_of(source)}.so.{major}"


def strip_dist(release: str) -> str:
    return _DIST.sub("", release)


def epoch_of(build: Build) -> str:
    return str(build.epoch or 0)


_GO_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "gopkg": "gopkg.in"}


def go_path_of(source: str) -> str:
    """The import path a ``golang-<host>-<owner>-<project>`` name stands for."""
    parts = source.removeprefix("golang-").split("-", 2)
    return "/".join([_GO_HOSTS.get(parts[0], parts[0]), *parts[1:]])
