"""The update query: ``GET /updates/``'s parameters read into filters, and run.

:func:`parse_update_query` turns the parameters into an :class:`UpdateQuery` (where
to look, what to keep, which page); :func:`run_update_query` picks the smallest
newest-first candidate list the index has for it and pages through the matches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from simulator.catalog.model import Update
from simulator.formats.bodhi import test_gating_status
from simulator.upstreams.bodhi.enums import (
    CONTENT_TYPES,
    DEFAULT_ROWS_PER_PAGE,
    GATING_STATUSES,
    MAX_ROWS_PER_PAGE,
    UPDATE_REQUESTS,
    UPDATE_SEVERITIES,
    UPDATE_STATUSES,
    UPDATE_SUGGESTIONS,
    UPDATE_TYPES,
)
from simulator.upstreams.bodhi.index import UpdateIndex, newest_first_key
from simulator.upstreams.bodhi.params import Params
from simulator.upstreams.bodhi.patterns import containing
from simulator.upstreams.bodhi.validators import (
    bug_ids,
    check_known,
    resolve_release,
    resolve_releases,
)
from simulator.world import World

__all__ = ["Predicate", "UpdateQuery", "parse_update_query", "run_update_query"]

Predicate = Callable[[Update], bool]


@dataclass(slots=True)
class UpdateQuery:
    """A validated ``GET /updates/``: where to look, what to keep, which page."""

    page: int
    rows_per_page: int
    chrome: bool
    display_user: bool
    packages: list[str] | None = None
    releases: set[str] | None = None
    users: list[str] | None = None
    aliases: list[str] | None = None
    builds: list[str] | None = None
    predicates: list[Predicate] = field(default_factory=list)

    def keep(self, predicate: Predicate) -> None:
        self.predicates.append(predicate)


def _attribute_is(name: str, value: str) -> Predicate:
    def keep(update: Update) -> bool:
        return bool(getattr(update, name) == value)

    return keep


def _scalar_filters(query: UpdateQuery, params: Params) -> None:
    """``request``, ``type``, ``severity``, ``suggest``, ``content_type``, ``status``..."""
    request = params.choice("request", UPDATE_REQUESTS)
    if request is not None:
        query.keep(lambda u: u.request == request)
    for name, choices in (("type", UPDATE_TYPES), ("severity", UPDATE_SEVERITIES)):
        value = params.choice(name, choices)
        if value is not None:
            query.keep(_attribute_is(name, value))
    suggest = params.choice("suggest", UPDATE_SUGGESTIONS)
    if suggest is not None:
        query.keep(lambda u: suggest == "unspecified")
    content_type = params.choice("content_type", CONTENT_TYPES)
    if content_type is not None:
        query.keep(lambda u: content_type == "rpm")
    statuses = params.choices("status", UPDATE_STATUSES)
    if statuses is not None:
        wanted = set(statuses)
        query.keep(lambda u: u.status in wanted)
    gating = params.choices("gating", GATING_STATUSES)
    if gating is not None:
        gates = set(gating)
        query.keep(lambda u: test_gating_status(u) in gates)


def _flag_filters(query: UpdateQuery, params: Params) -> None:
    """``critpath``, ``locked``, ``pushed``, ``from_side_tag``."""
    critpath = params.flag("critpath")
    if critpath is not None:
        query.keep(lambda u: u.critpath == critpath)
    locked = params.flag("locked")
    if locked:
        query.keep(lambda u: False)  # nothing is ever locked in a compose here
    pushed = params.flag("pushed")
    if pushed is not None:
        query.keep(lambda u: (u.pushed is not None and u.status != "unpushed") == pushed)
    from_side_tag = params.flag("from_side_tag")
    if from_side_tag:
        query.keep(lambda u: False)  # no update comes from a side tag


_MOMENTS: dict[str, Callable[[Update], float | None]] = {
    "submitted": lambda u: u.submitted,
    "modified": lambda u: u.modified,
    "pushed": lambda u: u.pushed,
    "approved": lambda u: None,
}


def _in_window(
    moment: Callable[[Update], float | None], since: float | None, before: float | None
) -> Predicate:
    def keep(update: Update) -> bool:
        value = moment(update)
        if value is None:
            return False
        return (since is None or value >= since) and (before is None or value < before)

    return keep


def _moment_filters(query: UpdateQuery, params: Params) -> None:
    """``<field>_since`` (inclusive) and ``<field>_before`` (exclusive) for four dates."""
    for name, moment in _MOMENTS.items():
        since = params.moment(f"{name}_since")
        before = params.moment(f"{name}_before")
        if since is not None or before is not None:
            query.keep(_in_window(moment, since, before))


def _text_filters(query: UpdateQuery, params: Params, world: World) -> None:
    """``like`` (``LIKE`` on build NVRs) and ``search`` (``ILIKE`` on NVRs and the alias)."""
    like = params.text("like")
    if like is not None:
        strict = containing(like)
        query.keep(lambda u: any(strict(nvr) for nvr in _nvrs(world, u)))
    search = params.text("search")
    if search is not None:
        loose = containing(search, ignore_case=True)
        query.keep(lambda u: loose(u.alias) or any(loose(nvr) for nvr in _nvrs(world, u)))


def _identity_filters(query: UpdateQuery, params: Params, world: World) -> None:
    """``packages``, ``releases``, ``release``, ``user``, ``alias``, ``builds``, ``bugs``..."""
    query.packages = params.items("packages")
    releases = params.items("releases")
    release = params.text("release")
    query.users = params.items("user")
    query.aliases = _merge(params.items("alias"), params.items("updateid"))
    query.builds = params.items("builds")
    if params.errors:
        return  # cornice runs the validators below only on what the schema accepted
    check_known(params, "packages", "packages", query.packages, world.packages.__contains__)
    release_name = resolve_release(world, params, release)
    query.releases = resolve_releases(world, params, releases)
    check_known(params, "user", "users", query.users, world.users.__contains__)
    bugs = bug_ids(params)
    if query.packages is not None:
        names = set(query.packages)
        query.keep(lambda u: any(b.name in names for b in world.update_builds(u)))
    if query.releases is not None:
        chosen = query.releases
        query.keep(lambda u: u.release in chosen)
    if release_name is not None:
        query.keep(lambda u: u.release == release_name)
    if query.users is not None:
        users = set(query.users)
        query.keep(lambda u: u.submitter in users)
    if query.aliases is not None:
        aliases = set(query.aliases)
        query.keep(lambda u: u.alias in aliases)
    if query.builds is not None:
        nvrs = set(query.builds)
        query.keep(lambda u: any(nvr in nvrs for nvr in _nvrs(world, u)))
    if bugs is not None:
        wanted = set(bugs)
        query.keep(lambda u: not wanted.isdisjoint(u.bug_ids))


def _merge(first: list[str] | None, second: list[str] | None) -> list[str] | None:
    if first is None and second is None:
        return None
    return [*(first or ()), *(second or ())]


def parse_update_query(world: World, params: Params) -> UpdateQuery:
    """Read ``GET /updates/``'s parameters; problems end up in ``params.errors``."""
    query = UpdateQuery(
        page=params.integer("page", 1, 1),
        rows_per_page=params.integer("rows_per_page", DEFAULT_ROWS_PER_PAGE, 1, MAX_ROWS_PER_PAGE),
        chrome=params.flag("chrome", True) is not False,
        display_user=params.flag("display_user", True) is not False,
    )
    _scalar_filters(query, params)
    _flag_filters(query, params)
    _moment_filters(query, params)
    _text_filters(query, params, world)
    _identity_filters(query, params, world)
    return query


def _candidates(index: UpdateIndex, query: UpdateQuery) -> Sequence[Update]:
    """The smallest newest-first list of updates that holds every match of the query."""
    world = index.world
    options: list[tuple[Sequence[Update], bool]] = []  # (updates, already newest first)
    if query.aliases is not None:
        options.append(([world.updates[a] for a in query.aliases if a in world.updates], False))
    if query.builds is not None:
        options.append((_updates_of_builds(world, query.builds), False))
    if query.packages is not None:
        options.append(
            ([u for name in query.packages for u in world.updates_by_package.get(name, ())], False)
        )
    for keys, listings in ((query.users, index.by_user), (query.releases, index.by_release)):
        if keys is not None:
            lists = [listings.get(key, []) for key in keys]
            options.append((lists[0], True) if len(lists) == 1 else (_chain(lists), False))
    if not options:
        return index.newest_first
    updates, ordered = min(options, key=lambda option: len(option[0]))
    if ordered:
        return updates
    return sorted({u.alias: u for u in updates}.values(), key=newest_first_key)


def _chain(lists: list[list[Update]]) -> list[Update]:
    return [update for listing in lists for update in listing]


def _updates_of_builds(world: World, nvrs: list[str]) -> list[Update]:
    updates = []
    for nvr in nvrs:
        build = world.builds_by_nvr.get(nvr)
        update = world.update_by_build.get(build.id) if build is not None else None
        if update is not None:
            updates.append(update)
    return updates


def _all_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    return lambda update: all(keep(update) for keep in predicates)


def run_update_query(index: UpdateIndex, query: UpdateQuery) -> tuple[list[Update], int]:
    """The requested page of matching updates, newest first, and the number of matches."""
    index.sync()
    candidates = _candidates(index, query)
    start = (query.page - 1) * query.rows_per_page
    stop = start + query.rows_per_page
    if not query.predicates:
        return list(candidates[start:stop]), len(candidates)
    page: list[Update] = []
    total = 0
    keep = _all_of(query.predicates)
    for update in candidates:
        if keep(update):
            if start <= total < stop:
                page.append(update)
            total += 1
    return page, total


def _nvrs(world: World, update: Update) -> Iterable[str]:
    return (world.builds[build_id].nvr for build_id in update.build_ids)
