"""The cacheable reads: for each, its recipe, its tags, and how its value is stored.

Every upstream-derived value the resolvers load goes through one of these kinds. A
kind turns a dataloader key into a :class:`~gateway.invalidation.keys.Recipe` and
back (the worker refills an entry from its key alone), names the tags the value
depends on (some known only once the value is in: the NVR a build id turned out to
have), and stores the value as JSON through a pydantic type adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from pydantic import TypeAdapter
from strawberry.dataloader import DataLoader

from clients import bodhi, bugzilla, koji, mdapi, pagure
from gateway.invalidation import keys
from gateway.invalidation.keys import Recipe, Tag
from gateway.resolvers.pages import Page, Window
from gateway.resolvers.queries import BranchQuery, BugsQuery, BuildsQuery, LatestQuery, UpdatesQuery
from gateway.resolvers.upstream import UpstreamLoaders

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Kind(Generic[K, V]):
    """One cacheable read."""

    name: str
    recipe: Callable[[K], Recipe]
    key: Callable[[Recipe], K]
    tags: Callable[[K, V], Sequence[Tag]]
    adapter: TypeAdapter[Any]
    loader: Callable[[UpstreamLoaders], DataLoader[K, V]]

    def encode(self, value: V) -> bytes:
        return self.adapter.dump_json(value)

    def decode(self, data: bytes) -> V:
        return cast("V", self.adapter.validate_json(data))


# -- koji --------------------------------------------------------------------------------


def _builds_recipe(query: BuildsQuery) -> Recipe:
    state = query.state.name if query.state is not None else None
    window = query.window
    if query.package is not None:
        return Recipe.of(
            "Package",
            query.package,
            "builds",
            offset=window.offset,
            limit=window.limit,
            state=state,
        )
    assert query.owner is not None
    return Recipe.of(
        "User", query.owner, "builds", offset=window.offset, limit=window.limit, state=state
    )


def _builds_key(recipe: Recipe) -> BuildsQuery:
    state = recipe.arg("state")
    window = Window(_int(recipe.arg("offset")), _int(recipe.arg("limit")))
    parsed = koji.BuildState[str(state)] if state is not None else None
    if recipe.type == "Package":
        return BuildsQuery(recipe.id, window, state=parsed)
    return BuildsQuery(None, window, state=parsed, owner=recipe.id)


def _builds_tags(query: BuildsQuery, page: Page[koji.Build]) -> Sequence[Tag]:
    if query.package is not None:
        return [keys.package(query.package, "koji")]
    assert query.owner is not None
    return [keys.user(query.owner), *(keys.build(b.id) for b in page.items)]


def _build_tags(ref: int | str, build: koji.Build | None) -> Sequence[Tag]:
    asked = keys.build(ref) if isinstance(ref, int) else keys.nvr(ref)
    if build is None:
        return [asked]
    return [asked, keys.build(build.id), keys.nvr(build.nvr), keys.package(build.name, "koji")]


def _build_ref(recipe: Recipe) -> int | str:
    return int(recipe.id) if recipe.arg("by") == "id" else recipe.id


def _latest_tags(query: LatestQuery, build: koji.TaggedBuild | None) -> Sequence[Tag]:
    return [keys.package(query.package, "koji")]


# -- mdapi -------------------------------------------------------------------------------


def _repo_recipe(field: str) -> Callable[[BranchQuery], Recipe]:
    def recipe(query: BranchQuery) -> Recipe:
        return Recipe.of("Repo", f"{query.branch}/{query.name}", field, package=query.package)

    return recipe


def _repo_key(recipe: Recipe) -> BranchQuery:
    branch, _, name = recipe.id.partition("/")
    package = recipe.arg("package")
    return BranchQuery(branch, name, package if isinstance(package, str) else None)


def _repo_tags(query: BranchQuery, value: object) -> Sequence[Tag]:
    tags = [keys.branch(query.branch, query.name)]
    if query.package is not None:
        tags.append(keys.package(query.package, "mdapi"))
    if isinstance(value, mdapi.Package):
        if value.basename:
            tags.append(keys.package(value.basename, "mdapi"))
        tags.extend(keys.branch(query.branch, name) for name in value.co_packages)
    return tags


def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise ValueError(f"expected an integer, not {value!r}")
    return value


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: object) -> str:
    return str(value)


PACKAGE_ID: Kind[str, int | None] = Kind(
    "Package.exists",
    lambda name: Recipe.of("Package", name, "exists"),
    lambda recipe: recipe.id,
    lambda name, _: [keys.package(name, "koji")],
    _adapter(int | None),
    lambda up: up.koji.package_id,
)
BUILDS: Kind[BuildsQuery, Page[koji.Build]] = Kind(
    "Package.builds",
    _builds_recipe,
    _builds_key,
    _builds_tags,
    _adapter(Page[koji.Build]),
    lambda up: up.koji.builds,
)
BUILD: Kind[int | str, koji.Build | None] = Kind(
    "Build.record",
    lambda ref: Recipe.of("Build", ref, "record", by="id" if isinstance(ref, int) else "nvr"),
    _build_ref,
    _build_tags,
    _adapter(koji.Build | None),
    lambda up: up.koji.build,
)
LATEST: Kind[LatestQuery, koji.TaggedBuild | None] = Kind(
    "Package.latest",
    lambda q: Recipe.of("Package", q.package, "latest", tag=q.tag),
    lambda recipe: LatestQuery(_text(recipe.arg("tag")), recipe.id),
    _latest_tags,
    _adapter(koji.TaggedBuild | None),
    lambda up: up.koji.latest,
)
TAGS: Kind[int, list[str]] = Kind(
    "Build.tags",
    lambda build_id: Recipe.of("Build", build_id, "tags"),
    lambda recipe: int(recipe.id),
    lambda build_id, _: [keys.build(build_id)],
    _adapter(list[str]),
    lambda up: up.koji.tags,
)
USER: Kind[str, koji.User | None] = Kind(
    "User.record",
    lambda name: Recipe.of("User", name, "record"),
    lambda recipe: recipe.id,
    lambda name, _: [keys.user(name)],
    _adapter(koji.User | None),
    lambda up: up.koji.user,
)

# -- bodhi -------------------------------------------------------------------------------

UPDATES: Kind[UpdatesQuery, Page[bodhi.Update]] = Kind(
    "Package.updates",
    lambda q: Recipe.of(
        "Package",
        q.package,
        "updates",
        offset=q.window.offset,
        limit=q.window.limit,
        status=q.status.value if q.status else None,
        release=q.release,
    ),
    lambda r: UpdatesQuery(
        r.id,
        Window(_int(r.arg("offset")), _int(r.arg("limit"))),
        status=bodhi.UpdateStatus(_text(r.arg("status"))) if r.arg("status") else None,
        release=_text(r.arg("release")) if r.arg("release") else None,
    ),
    lambda q, page: [
        keys.package(q.package, "bodhi"),
        *(keys.update(u.alias) for u in page.items),
    ],
    _adapter(Page[bodhi.Update]),
    lambda up: up.bodhi.updates,
)
UPDATE: Kind[str, bodhi.Update | None] = Kind(
    "Update.record",
    lambda alias: Recipe.of("Update", alias, "record"),
    lambda recipe: recipe.id,
    lambda alias, update: [
        keys.update(alias),
        *(keys.package(name, "bodhi") for name in (update.packages if update else ())),
    ],
    _adapter(bodhi.Update | None),
    lambda up: up.bodhi.update,
)
UPDATE_OF_BUILD: Kind[str, bodhi.Update | None] = Kind(
    "Build.update",
    lambda nvr: Recipe.of("Build", nvr, "update"),
    lambda recipe: recipe.id,
    lambda nvr, update: [keys.nvr(nvr), *([keys.update(update.alias)] if update else [])],
    _adapter(bodhi.Update | None),
    lambda up: up.bodhi.update_of_build,
)
RELEASES: Kind[str, Sequence[bodhi.Release]] = Kind(
    "Query.releases",
    lambda scope: Recipe.of("Query", scope, "releases"),
    lambda recipe: recipe.id,
    lambda scope, _: [keys.RELEASES],
    _adapter(Sequence[bodhi.Release]),
    lambda up: up.bodhi.releases,
)

# -- Bugzilla ----------------------------------------------------------------------------

BUGS: Kind[BugsQuery, Page[bugzilla.Bug]] = Kind(
    "Package.bugs",
    lambda q: Recipe.of(
        "Package",
        q.component,
        "bugs",
        offset=q.window.offset,
        limit=q.window.limit,
        open=q.is_open,
    ),
    lambda r: BugsQuery(
        r.id,
        Window(_int(r.arg("offset")), _int(r.arg("limit"))),
        is_open=_flag(r.arg("open")),
    ),
    lambda q, page: [keys.component(q.component), *(keys.bug(b.id) for b in page.items)],
    _adapter(Page[bugzilla.Bug]),
    lambda up: up.bugzilla.bugs,
)
BUG: Kind[int, bugzilla.Bug | None] = Kind(
    "Bug.record",
    lambda bug_id: Recipe.of("Bug", bug_id, "record"),
    lambda recipe: int(recipe.id),
    lambda bug_id, bug: [keys.bug(bug_id), *([keys.component(bug.component)] if bug else [])],
    _adapter(bugzilla.Bug | None),
    lambda up: up.bugzilla.bug,
)

# -- mdapi and dist-git ------------------------------------------------------------------

SOURCE: Kind[BranchQuery, mdapi.Package | None] = Kind(
    "Repo.source",
    _repo_recipe("source"),
    _repo_key,
    _repo_tags,
    _adapter(mdapi.Package | None),
    lambda up: up.mdapi.source,
)
BINARY: Kind[BranchQuery, mdapi.Package | None] = Kind(
    "Repo.binary",
    _repo_recipe("binary"),
    _repo_key,
    _repo_tags,
    _adapter(mdapi.Package | None),
    lambda up: up.mdapi.binary,
)
CHANGELOG: Kind[BranchQuery, mdapi.Changelog | None] = Kind(
    "Repo.changelog",
    _repo_recipe("changelog"),
    _repo_key,
    _repo_tags,
    _adapter(mdapi.Changelog | None),
    lambda up: up.mdapi.changelog,
)
FILES: Kind[BranchQuery, mdapi.Files | None] = Kind(
    "Repo.files",
    _repo_recipe("files"),
    _repo_key,
    _repo_tags,
    _adapter(mdapi.Files | None),
    lambda up: up.mdapi.files,
)
PROJECT: Kind[str, pagure.Project | None] = Kind(
    "Package.project",
    lambda name: Recipe.of("Package", name, "project"),
    lambda recipe: recipe.id,
    lambda name, project: [
        keys.package(name, "pagure"),
        *(keys.user(u) for u in ((project.owner, *project.admins) if project else ())),
    ],
    _adapter(pagure.Project | None),
    lambda up: up.pagure.project,
)

LICENSE: Kind[str, str | None] = Kind(
    "Package.license",
    lambda name: Recipe.of("Package", name, "license"),
    lambda recipe: recipe.id,
    lambda name, _: [keys.package(name, "koji")],
    _adapter(str | None),
    lambda up: up.koji.license,
)

#: Every kind, by the (type, field) of its recipes: how the worker finds a key's kind.
KINDS: dict[tuple[str, str], Kind[Any, Any]] = {}
for _kind in (
    PACKAGE_ID,
    BUILDS,
    BUILD,
    LATEST,
    TAGS,
    USER,
    UPDATES,
    UPDATE,
    UPDATE_OF_BUILD,
    RELEASES,
    BUGS,
    BUG,
    SOURCE,
    BINARY,
    CHANGELOG,
    FILES,
    PROJECT,
    LICENSE,
):
    _type, _, _field = _kind.name.partition(".")
    KINDS[(_type, _field)] = _kind
KINDS[("User", "builds")] = BUILDS


def kind_of(recipe: Recipe) -> Kind[Any, Any]:
    try:
        return KINDS[(recipe.type, recipe.field)]
    except KeyError:
        raise ValueError(f"no cached field {recipe.type}.{recipe.field}") from None
