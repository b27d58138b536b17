"""The repository detail of one world: lookups as mdapi makes them, with a small LRU."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

from simulator.catalog.detail.index import WorldIndex
from simulator.catalog.detail.naming import binaries
from simulator.catalog.detail.package import PackageDetail
from simulator.catalog.detail.records import KINDS, Binary, Repo
from simulator.catalog.detail.relations import Relations
from simulator.catalog.detail.repositories import build_in, repos
from simulator.catalog.model import Build, Package
from simulator.world import World

__all__ = ["RepositoryDetail"]


class RepositoryDetail:
    """Lazily materialized repository detail of one world, with a small LRU of answers.

    Answers are keyed by (package, build, branch, repository, source) and the package's
    text, so a build moving into another repository, or a package described anew (the
    ``describe`` mutation), is picked up on the next request without any invalidation.
    """

    def __init__(self, world: World, *, cache_size: int = 256) -> None:
        self.world = world
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[object, ...], PackageDetail] = OrderedDict()
        self._lock = threading.RLock()
        self._index: WorldIndex | None = None

    def __len__(self) -> int:
        return len(self._cache)

    # -- the world index

    @property
    def index(self) -> WorldIndex:
        with self._lock:
            if self._index is None or self._index.size != len(self.world.packages):
                self._index = WorldIndex(self.world)
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
        key = (package.id, build.id, repo.branch, repo.kind, repo.source, *_text(package))
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
            self._current_specs(package)
        made = PackageDetail(
            self, package, repo, build, Relations(self.index, self.world.seed, package)
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

    def _current_specs(self, package: Package) -> None:
        """The index's binaries of ``package`` with their current summaries.

        The index is remade only when the world gains packages; a new summary keeps every
        binary's name and role, so replacing this package's entry is enough.
        """
        specs = self.index.specs
        known = specs.get(package.id)
        if known is None:
            return
        fresh = binaries(package)
        if fresh != known and [s.name for s in fresh] == [s.name for s in known]:
            specs[package.id] = fresh

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


def _text(package: Package) -> tuple[str, str | None, tuple[str, ...]]:
    """What a package's answers say of it: summaries and description."""
    return package.summary, package.description, tuple(s.summary for s in package.subpackages)


def _index_key(name: str) -> str:
    """The capability a reverse lookup is filed under (the first one inside a rich dep)."""
    if name.startswith("("):
        inner = name[1:].split(" ", 1)[0]
        return inner.lstrip("(")
    return name
