"""Files: the filelists of a binary RPM, laid out as its family's packages lay them out.

Paths are grouped by directory the way ``filelists.sqlite`` stores them, one
:class:`~simulator.catalog.detail.records.FileGroup` per directory.
"""

from __future__ import annotations

import re
from random import Random

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
from simulator.catalog.detail.records import BinarySpec, FileGroup
from simulator.catalog.detail.toolchain import GHC, PYTHON
from simulator.catalog.model import Build, Package

__all__ = ["binary_files", "source_files"]


def binary_files(
    seed: int, package: Package, spec: BinarySpec, build: Build
) -> tuple[FileGroup, ...]:
    entries = _FileTree()
    rng = seeded_rng(seed, spec.name, "files")
    name, version = package.name, build.version
    stem = stem_of(name)
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
            path = go_path_of(package.name)
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
    name, stem, version = package.name, stem_of(package.name), build.version
    entries.doc(spec.name)
    match family(name):
        case "perl":
            module = perl_module(name).split("::")
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
            vendor, _, project = php_composer(name).partition("/")
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
    name = soname(seed, source)
    numeric = ".".join(p for p in re.split(r"[^0-9]+", version) if p)[:16] or "0"
    entries.file(f"{libdir}/{name}")
    entries.file(f"{libdir}/{name}.{numeric}")


def _devel_files(entries: _FileTree, package: Package, build: Build) -> None:
    stem = libstem_of(package.name)
    if family(package.name) == "ghc":
        entries.file(
            f"/usr/lib64/ghc-{GHC}/lib/package.conf.d/{stem_of(package.name)}-{build.version}.conf"
        )
        return
    entries.tree(f"/usr/include/{stem}", (f"{stem}.h", "version.h"))
    entries.file(f"/usr/lib64/lib{stem}.so")
    entries.file(f"/usr/lib64/pkgconfig/{stem}.pc")


def _python_files(entries: _FileTree, rng: Random, spec: BinarySpec, build: Build) -> None:
    dist = python_dist(spec.name)
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
    crate, _ = crate_feature(spec.name, package.name)
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


def source_files(package: Package, build: Build) -> tuple[FileGroup, ...]:
    names = (f"{package.name}-{build.version}.tar.gz", f"{package.name}.spec")
    return (FileGroup("", names, "ff"),)
