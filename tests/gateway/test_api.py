"""The GraphQL contract end to end: gateway and simulated upstreams over real HTTP.

Every expectation is read from the simulated world's records, so a field that
drifts from what the upstreams say fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from clients import koji
from simulator.catalog.model import BuildState, Package, UpdateStatus
from simulator.world import World
from tests.gateway.conftest import GraphQLClient

PAGE = """
query Page($name: String!) {
  package(name: $name) {
    name summary description url subpackages orphaned
    maintainers { name url }
    builds(first: 10) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id nvr name version release epoch state taskId startedAt completedAt
              owner { name } tags package { name } } }
    latestBuilds { tag channel release { name } build { nvr } }
    updates(first: 10) { totalCount nodes { alias status request type karma url submittedAt
      release { name branch } builds { nvr } bugs { id } submitter { name } } }
    bugs(first: 20) { totalCount nodes { id summary status isOpen component url updatedAt } }
    versions { release { name } stable testing }
  }
}
"""


def busy_package(world: World) -> Package:
    """A package with builds, updates and open bugs, the kind a page shows."""
    for package in world.packages.values():
        updates = world.updates_by_package.get(package.name, [])
        bugs = [b for b in world.bugs_by_component.get(package.name, []) if b.is_open]
        if len(world.builds_by_package[package.id]) > 12 and len(updates) > 3 and bugs:
            return package
    raise AssertionError("the test world has no busy package")


def test_a_package_page_agrees_with_every_upstream(gql: GraphQLClient, world: World) -> None:
    package = busy_package(world)
    page = gql.data(PAGE, {"name": package.name})["package"]

    assert page["name"] == package.name
    assert page["summary"] == package.summary
    owner = [] if package.owner == "orphan" else [package.owner]
    assert [m["name"] for m in page["maintainers"]][: len(owner)] == owner
    assert page["orphaned"] == (package.owner == "orphan")

    builds = sorted(world.builds_by_package[package.id], key=lambda b: b.id, reverse=True)
    assert page["builds"]["totalCount"] == len(builds)
    assert [b["nvr"] for b in page["builds"]["nodes"]] == [b.nvr for b in builds[:10]]
    first = page["builds"]["nodes"][0]
    assert first["state"] == BuildState(builds[0].state).name
    assert sorted(first["tags"]) == sorted(builds[0].active_tags())
    assert first["owner"]["name"] == builds[0].owner
    assert first["package"]["name"] == package.name
    assert page["builds"]["pageInfo"]["hasNextPage"] is True

    latest = {(t["tag"], t["channel"]): t["build"]["nvr"] for t in page["latestBuilds"]}
    for release in world.active_releases():
        expected = world.latest_tagged(release.stable_tag, package.id)
        assert latest.get((release.stable_tag, "stable")) == (expected.nvr if expected else None)

    updates = list(reversed(world.updates_by_package[package.name]))
    assert page["updates"]["totalCount"] == len(updates)
    assert [u["alias"] for u in page["updates"]["nodes"]] == [u.alias for u in updates[:10]]
    newest = page["updates"]["nodes"][0]
    assert newest["status"] == UpdateStatus(updates[0].status).name
    assert newest["release"]["name"] == updates[0].release
    assert [b["nvr"] for b in newest["builds"]] == [b.nvr for b in world.update_builds(updates[0])]

    open_bugs = [b for b in world.bugs_by_component[package.name] if b.is_open]
    assert page["bugs"]["totalCount"] == len(open_bugs)
    assert {b["id"] for b in page["bugs"]["nodes"]} <= {b.id for b in open_bugs}
    assert all(b["isOpen"] for b in page["bugs"]["nodes"])
    changed = [b["updatedAt"] for b in page["bugs"]["nodes"]]
    assert changed == sorted(changed, reverse=True)

    versions = {v["release"]["name"]: v for v in page["versions"]}
    assert set(versions) == {r.name for r in world.active_releases()}


def test_pagination_walks_the_whole_list_without_gaps(gql: GraphQLClient, world: World) -> None:
    package = busy_package(world)
    query = """query($name: String!, $after: String) { package(name: $name) {
      builds(first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor }
                                         nodes { id } } } }"""
    seen: list[int] = []
    after = None
    while True:
        builds = gql.data(query, {"name": package.name, "after": after})["package"]["builds"]
        seen.extend(node["id"] for node in builds["nodes"])
        if not builds["pageInfo"]["hasNextPage"]:
            break
        after = builds["pageInfo"]["endCursor"]
    expected = sorted((b.id for b in world.builds_by_package[package.id]), reverse=True)
    assert seen == expected


def test_filters_narrow_builds_updates_and_bugs(gql: GraphQLClient, world: World) -> None:
    package = busy_package(world)
    query = """query($name: String!) { package(name: $name) {
      complete: builds(state: COMPLETE, first: 100) { totalCount }
      failed: builds(state: FAILED, first: 100) { totalCount }
      stable: updates(status: STABLE, first: 100) { totalCount }
      f45: updates(release: "F45", first: 100) { totalCount nodes { release { name } } }
      closed: bugs(open: false, first: 100) { totalCount nodes { isOpen } }
      all: bugs(open: null, first: 100) { totalCount } } }"""
    got = gql.data(query, {"name": package.name})["package"]
    builds = world.builds_by_package[package.id]
    assert got["complete"]["totalCount"] == sum(b.state is BuildState.COMPLETE for b in builds)
    assert got["failed"]["totalCount"] == sum(b.state is BuildState.FAILED for b in builds)
    updates = world.updates_by_package[package.name]
    assert got["stable"]["totalCount"] == sum(u.status is UpdateStatus.STABLE for u in updates)
    assert got["f45"]["totalCount"] == sum(u.release == "F45" for u in updates)
    assert {n["release"]["name"] for n in got["f45"]["nodes"]} <= {"F45"}
    bugs = world.bugs_by_component[package.name]
    assert got["closed"]["totalCount"] == sum(not b.is_open for b in bugs)
    assert not any(n["isOpen"] for n in got["closed"]["nodes"])
    assert got["all"]["totalCount"] == len(bugs)


def test_unknown_things_are_null(gql: GraphQLClient) -> None:
    data = gql.data("""{ package(name: "no-such-package-anywhere") { name }
                         update(alias: "FEDORA-2026-0000000000") { alias }
                         bug(id: 1) { id }
                         build(nvr: "nothing-1-1.fc46") { id }
                         user(name: "nobody-at-all") { name }
                         packages(names: ["bash", "no-such-package-anywhere"]) { name } }""")
    assert data["package"] is None
    assert data["update"] is None
    assert data["bug"] is None
    assert data["build"] is None
    assert data["user"] is None
    assert data["packages"][1] is None


def test_entry_points_by_id(gql: GraphQLClient, world: World) -> None:
    package = busy_package(world)
    build = world.builds_by_package[package.id][-1]
    update = world.updates_by_package[package.name][-1]
    bug = world.bugs_by_component[package.name][0]
    data = gql.data(
        """query($id: Int!, $nvr: String!, $alias: String!, $bug: Int!, $user: String!) {
             byId: build(id: $id) { nvr } byNvr: build(nvr: $nvr) { id update { alias } }
             update(alias: $alias) { alias builds { nvr } release { name } }
             bug(id: $bug) { id component summary }
             user(name: $user) { name builds(first: 1) { totalCount } } }""",
        {
            "id": build.id,
            "nvr": build.nvr,
            "alias": update.alias,
            "bug": bug.id,
            "user": build.owner,
        },
    )
    assert data["byId"]["nvr"] == build.nvr
    assert data["byNvr"]["id"] == build.id
    owning = world.update_by_build.get(build.id)
    assert (data["byNvr"]["update"] or {}).get("alias") == (owning.alias if owning else None)
    assert data["update"]["alias"] == update.alias
    assert data["update"]["release"]["name"] == update.release
    assert data["bug"] == {"id": bug.id, "component": package.name, "summary": bug.summary}
    owned = sum(b.owner == build.owner for b in world.builds.values())
    assert data["user"]["builds"]["totalCount"] == owned


def test_releases_are_the_active_ones_rawhide_first(gql: GraphQLClient, world: World) -> None:
    releases = gql.data("{ releases { name branch isActive isRawhide } }")["releases"]
    assert [r["name"] for r in releases] == [r.name for r in world.active_releases()]
    assert releases[0]["isRawhide"] is True
    every = gql.data("{ releases(active: null) { name } }")["releases"]
    assert {r["name"] for r in every} == set(world.releases)


def test_packages_keep_the_order_asked(gql: GraphQLClient, world: World) -> None:
    names = [p.name for p in list(world.packages.values())[5:25]]
    got = gql.data("query($n: [String!]!) { packages(names: $n) { name } }", {"n": names[::-1]})
    assert [p["name"] for p in got["packages"]] == names[::-1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ package(name: "bash") { builds(first: 0) { totalCount } } }', "first must be"),
        ('{ package(name: "bash") { builds(first: 101) { totalCount } } }', "first must be"),
        ('{ package(name: "bash") { builds(after: "bogus!") { totalCount } } }', "invalid cursor"),
        ('{ build(id: 1, nvr: "a-1-1") { id } }', "exactly one"),
        ('{ search(query: "  ") { totalCount } }', "must not be empty"),
    ],
)
def test_bad_arguments_are_bad_user_input(gql: GraphQLClient, query: str, message: str) -> None:
    body = gql.post(query)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


def test_an_upstream_failure_fails_only_its_field(gql: GraphQLClient, world: World) -> None:
    package = busy_package(world)
    gql.faults({"bodhi": {"error_rate": 1.0}})
    body = gql.post(
        """query($name: String!) { package(name: $name) {
             name builds(first: 3) { totalCount } updates(first: 3) { totalCount }
             bugs(first: 3) { totalCount } } }""",
        {"name": package.name},
    )
    data: dict[str, Any] = body["data"]["package"]
    assert data["name"] == package.name
    assert data["builds"]["totalCount"] == len(world.builds_by_package[package.id])
    assert data["bugs"]["totalCount"] > 0
    assert data["updates"] is None  # an error, never an empty list
    (error,) = body["errors"]
    assert error["path"] == ["package", "updates"]
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "upstream": "bodhi"}


def test_a_malformed_upstream_answer_is_a_bad_response(gql: GraphQLClient, world: World) -> None:
    package = busy_package(world)
    gql.faults({"koji": {"malformed_rate": 1.0}})
    body = gql.post("query($n: String!) { package(name: $n) { name } }", {"n": package.name})
    assert body["data"]["package"] is None
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_BAD_RESPONSE"


def test_fifty_package_pages_cost_one_request_per_upstream(
    gql: GraphQLClient, world: World
) -> None:
    names = [p.name for p in list(world.packages.values())[100:150]]
    gql.reset_stats()
    data = gql.data(
        """query($names: [String!]!) { packages(names: $names) {
             name builds(first: 5) { nodes { nvr } } updates(first: 5) { nodes { alias } }
             bugs(first: 5) { nodes { id } } } }""",
        {"names": names},
    )
    assert [p["name"] for p in data["packages"]] == names
    requests = gql.requests()
    assert requests.get("koji") == 1
    assert requests.get("bodhi") == 1
    assert requests.get("bugzilla") == 1
    for package in data["packages"]:
        expected = sorted(
            world.builds_by_package[world.packages[package["name"]].id],
            key=lambda b: b.id,
            reverse=True,
        )[:5]
        assert [b["nvr"] for b in package["builds"]["nodes"]] == [b.nvr for b in expected]
        updates = list(reversed(world.updates_by_package.get(package["name"], [])))[:5]
        assert [u["alias"] for u in package["updates"]["nodes"]] == [u.alias for u in updates]


WHOLE_PAGE = """query($n: String!, $first: Int, $open: Boolean, $state: BuildState) {
  package(name: $n) {
    name summary description url subpackages orphaned maintainers { name }
    latestBuilds { tag build { nvr } } versions { release { name } stable testing }
    builds(first: $first, state: $state) { nodes { nvr } }
    recent: builds(first: 3) { nodes { nvr } }
    updates(first: 4, status: STABLE) { nodes { alias } }
    bugs(first: $first, open: $open) { nodes { id } }
    ... on Package { allBugs: bugs(first: $first, open: $open) { totalCount } }
  }
}"""


def test_a_package_page_asks_each_upstream_once(gql: GraphQLClient, world: World) -> None:
    """Every field's load starts with the existence question: one round, one request each."""
    package = busy_package(world)
    gql.reset_stats()
    variables = {"n": package.name, "first": 7, "open": False, "state": "COMPLETE"}
    data = gql.data(WHOLE_PAGE, variables)["package"]
    assert data["name"] == package.name
    assert data["latestBuilds"]
    assert data["builds"]["nodes"]
    requests = gql.requests()
    # bodhi: the releases (a cache hit on a running gateway; this one caches nothing), and
    # the updates; all the others: one request, koji's questions in one multicall
    assert requests == {"koji": 1, "bodhi": 2, "bugzilla": 1, "mdapi": 1, "pagure": 1}


def test_search_finds_the_exact_name_first_then_prefixes(gql: GraphQLClient, world: World) -> None:
    name = next(n for n in world.packages if n.startswith("python-"))
    hits = gql.data(
        "query($q: String!) { search(query: $q, first: 5) { totalCount nodes { name matched } } }",
        {"q": name},
    )["search"]
    assert hits["nodes"][0] == {"name": name, "matched": "name"}
    prefixed = gql.data('{ search(query: "python-", first: 100) { totalCount nodes { name } } }')[
        "search"
    ]
    expected = sorted(
        (n for n in world.packages if n.startswith("python-")), key=lambda n: (len(n), n)
    )
    assert [n["name"] for n in prefixed["nodes"]] == expected[:100]


def test_overlapping_windows_of_one_list_are_read_once_and_sliced(
    gql: GraphQLClient, world: World
) -> None:
    name = max(world.packages, key=lambda n: len(world.builds_by_package[world.packages[n].id]))
    newest = sorted(
        world.builds_by_package[world.packages[name].id], key=lambda b: b.id, reverse=True
    )
    assert len(newest) > 12
    cursor = gql.data(
        "query($n: String!) { package(name: $n) { builds(first: 4) { pageInfo { endCursor } } } }",
        {"n": name},
    )["package"]["builds"]["pageInfo"]["endCursor"]
    data = gql.data(
        """query($n: String!, $after: String) { package(name: $n) {
             one: builds(first: 1) { totalCount nodes { nvr } }
             ten: builds(first: 10) { totalCount nodes { nvr } }
             next: builds(first: 8, after: $after) { totalCount nodes { nvr } }
           } }""",
        {"n": name, "after": cursor},
    )["package"]
    nvrs = [build.nvr for build in newest]
    assert [b["nvr"] for b in data["one"]["nodes"]] == nvrs[:1]
    assert [b["nvr"] for b in data["ten"]["nodes"]] == nvrs[:10]
    assert [b["nvr"] for b in data["next"]["nodes"]] == nvrs[4:12]
    assert {data[alias]["totalCount"] for alias in ("one", "ten", "next")} == {len(newest)}


@pytest.mark.parametrize(
    ("windows", "spans"),
    [
        ([(0, 1), (0, 10), (0, 100)], [(0, 100)]),
        ([(0, 10), (10, 10)], [(0, 20)]),  # adjacent pages
        ([(0, 10), (50, 10)], [(0, 10), (50, 10)]),  # a gap: apart
        ([(0, 100), (100, 100), (200, 100)], [(0, 200), (200, 100)]),  # at most MAX_SPAN
    ],
)
def test_windows_merge_into_spans(
    windows: list[tuple[int, int]], spans: list[tuple[int, int]]
) -> None:
    from gateway.resolvers.koji import _spans
    from gateway.resolvers.pages import Window
    from gateway.resolvers.queries import BuildsQuery

    queries = [BuildsQuery("bash", Window(offset, limit)) for offset, limit in windows]
    other = BuildsQuery("bash", Window(0, 5), state=koji.BuildState.FAILED)
    merged = _spans([*queries, other])
    assert [(w.offset, w.limit) for q, w in merged if q.state is None] == spans
    assert [(w.offset, w.limit) for q, w in merged if q.state is not None] == [(0, 5)]
