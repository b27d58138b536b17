"""After every kind of mutation, all the upstream views of the simulated Fedora agree.

Mutations go through the control API (``POST /_sim/events``) and every check reads
the upstreams over real HTTP, exactly as a client would: koji over XML-RPC with
Fedora's own ``koji`` library, mdapi, bodhi, Bugzilla and dist-git (Pagure) over
their REST APIs. Nothing is read from the world object: each assertion compares what
one service says with what another says (or with the control API's answer), so a
simulator that let its views drift apart fails here.

The invariants, for each package a mutation touched:

* koji's latest ``rawhide`` build is mdapi's ``rawhide`` version-release, for the
  source RPM (``srcpkg``, which 404s for versions not starting with a digit, as
  texlive's ``svnNNN``, by mdapi's real rule), its ``src_rawhide`` twin and every
  binary mdapi lists as ``co-packages``;
* for a branched ``fNN``, koji's ``getLatestBuilds("fNN-updates-testing")`` is
  mdapi's ``fNN`` answer, and the tag koji found it in names mdapi's ``repo``;
* every build of every bodhi update of the package exists in koji, COMPLETE, and
  its koji tags imply the update's status (``-updates-testing`` ⇔ testing,
  ``-updates`` ⇔ stable, ``-candidate`` ⇔ pending);
* bodhi's update count for the package never decreases;

and per kind, for the ids the control API answered: the build in koji (state, first
in ``listBuilds``), the update in bodhi, the bug in Bugzilla (by id and by
component), the owner in dist-git (project, owner alias, point of contact, koji user)
and the repository in mdapi.

A hypothesis state machine runs random sequences of mutations on a fresh small
world per example (served by one server whose app is swapped), and one plain test
per kind runs that kind once, so a failure is easy to read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import koji
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from starlette.types import ASGIApp, Receive, Scope, Send

from simulator.app import Simulation, create_app
from simulator.catalog.loader import generated_world
from simulator.world import World
from tests.conftest import LiveServer, free_port

#: Small enough to build in a few hundredths of a second, large enough for every family.
WORLD_SIZE = 150
#: The mutation kinds of the control API.
KINDS = ("build", "build_failed", "update", "bug", "owner", "repo")
#: koji's BUILD_STATES.
COMPLETE, FAILED, CANCELED = 1, 3, 4
JSON = {"Accept": "application/json"}
#: mdapi's ``srcpkg`` matches the SRPM file name against ``<name>-[0-9]``.
_SRCPKG_VERSION = re.compile(r"^[0-9]")
_BRANCHED = re.compile(r"^f\d+$")


# -- one server, a fresh world per test or example ---------------------------------------


class _Swappable:
    """An ASGI app that forwards to the current simulation's app, so worlds can be swapped."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert self.app is not None, "no world is loaded"
        await self.app(scope, receive, send)


@dataclass
class Server:
    live: LiveServer
    swappable: _Swappable

    def load(self, world: World) -> None:
        self.swappable.app = create_app(Simulation(world))


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    swappable = _Swappable()
    swappable.app = create_app(Simulation(generated_world(size=WORLD_SIZE)))
    with LiveServer(swappable, free_port()) as live:
        yield Server(live, swappable)


# -- the upstreams, as a client sees them -------------------------------------------------


@dataclass(frozen=True)
class ReleaseTags:
    """A bodhi release and the koji tags its updates move through."""

    name: str
    branch: str
    dist: str
    stable: str
    testing: str
    candidate: str
    released_on: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseTags:
        return cls(
            name=data["name"],
            branch=data["branch"],
            dist=data["dist_tag"],
            stable=data["stable_tag"],
            testing=data["testing_tag"],
            candidate=data["candidate_tag"],
            released_on=data["released_on"],
        )

    @property
    def is_rawhide(self) -> bool:
        return self.branch == "rawhide"


class Views:
    """HTTP clients of every upstream of one simulator, and its control API."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.koji = koji.ClientSession(url + "/kojihub")
        releases = self.bodhi("/releases/", rows_per_page=100)["releases"]
        self.releases = {r["name"]: ReleaseTags.from_json(r) for r in releases}
        mdapi_branches = set(self.mdapi_json("/branches"))
        #: Branched releases mdapi serves, with their bodhi release.
        self.branched = {
            r.branch: r
            for r in self.releases.values()
            if _BRANCHED.match(r.branch) and r.branch in mdapi_branches
        }
        assert self.branched, "mdapi serves no branched release"
        assert "rawhide" in mdapi_branches

    def close(self) -> None:
        self.http.close()
        self.koji.logout()

    # control API

    def event(self, kind: str, package: str) -> dict[str, Any] | None:
        """Perform a mutation; None when the package cannot take it (409)."""
        response = self.http.post("/_sim/events", json={"type": kind, "package": package})
        if response.status_code == 409:
            return None
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert answer["type"] == kind
        assert answer["package"] == package
        assert answer["message_ids"], answer
        return answer

    # koji

    def latest(self, tag: str, package: str) -> dict[str, Any] | None:
        builds: list[dict[str, Any]] = self.koji.getLatestBuilds(tag, package=package)
        assert len(builds) <= 1, builds
        return builds[0] if builds else None

    def build(self, info: int | str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.koji.getBuild(info)
        return found

    def tags(self, build: int | str) -> set[str]:
        return {t["name"] for t in self.koji.listTags(build)}

    def builds_and_tags(self, nvrs: list[str]) -> dict[str, tuple[dict[str, Any] | None, set[str]]]:
        """``getBuild`` and ``listTags`` of each NVR, in one koji multicall."""
        with self.koji.multicall(strict=False) as calls:
            pending = [(nvr, calls.getBuild(nvr), calls.listTags(nvr)) for nvr in nvrs]
        found: dict[str, tuple[dict[str, Any] | None, set[str]]] = {}
        for nvr, build, tags in pending:
            if build.result is None:
                found[nvr] = (None, set())
            else:
                found[nvr] = (build.result, {t["name"] for t in tags.result})
        return found

    def newest_build_id(self, package: str) -> int:
        (newest,) = self.koji.listBuilds(
            packageID=package, queryOpts={"order": "-build_id", "limit": 1}
        )
        build_id: int = newest["build_id"]
        return build_id

    # mdapi

    def mdapi(self, path: str) -> dict[str, Any] | None:
        """An mdapi package answer, or None for its ``404: Not Found``."""
        response = self.http.get("/mdapi" + path)
        if response.status_code == 404:
            assert response.text == "404: Not Found"
            return None
        assert response.status_code == 200, (path, response.status_code, response.text)
        data: dict[str, Any] = response.json()
        return data

    def mdapi_json(self, path: str) -> Any:
        response = self.http.get("/mdapi" + path)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    # bodhi

    def bodhi(self, path: str, **params: str | int) -> dict[str, Any]:
        response = self.http.get("/bodhi" + path, params=params, headers=JSON)
        assert response.status_code == 200, (path, params, response.text)
        data: dict[str, Any] = response.json()
        return data

    def updates(self, **params: str | int) -> tuple[int, list[dict[str, Any]]]:
        """Every update matching ``params`` (all pages), and bodhi's ``total``."""
        found: list[dict[str, Any]] = []
        page, total = 1, 0
        while True:
            data = self.bodhi("/updates/", rows_per_page=100, page=page, **params)
            total = data["total"]
            found += data["updates"]
            if page >= data["pages"]:
                break
            page += 1
        assert len(found) == total, (params, len(found), total)
        return total, found

    # bugzilla and pagure

    def bug(self, bug_id: int) -> dict[str, Any]:
        response = self.http.get(f"/bugzilla/rest/bug/{bug_id}")
        assert response.status_code == 200, response.text
        (bug,) = response.json()["bugs"]
        assert bug["id"] == bug_id
        found: dict[str, Any] = bug
        return found

    def bugs_of(self, component: str) -> list[dict[str, Any]]:
        response = self.http.get(
            "/bugzilla/rest/bug", params={"component": component, "limit": 1000}
        )
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["total_matches"] == len(data["bugs"]), "more bugs than one page"
        bugs: list[dict[str, Any]] = data["bugs"]
        return bugs

    def pagure(self, path: str, **params: str | int) -> Any:
        response = self.http.get("/pagure" + path, params=params)
        assert response.status_code == 200, (path, response.text)
        return response.json()


@pytest.fixture
def views(server: Server) -> Iterator[Views]:
    """The upstreams of a fresh world of this test's own."""
    server.load(generated_world(size=WORLD_SIZE))
    upstreams = Views(server.live.url)
    try:
        yield upstreams
    finally:
        upstreams.close()


# -- the cross-service invariants ---------------------------------------------------------


def _vr(data: dict[str, Any]) -> tuple[str, str]:
    return data["version"], data["release"]


def check_mdapi_agrees(views: Views, package: str, branch: str, build: dict[str, Any]) -> None:
    """mdapi serves koji's ``build`` of ``package`` on ``branch``: source, SRPM and binaries."""
    expected = _vr(build)
    where = (package, branch, build["nvr"])
    source = views.mdapi(f"/{branch}/srcpkg/{package}")
    if _SRCPKG_VERSION.match(build["version"]):
        assert source is not None, ("srcpkg 404s for a build koji has", where)
        assert _vr(source) == expected, (where, _vr(source))
        assert source["basename"] == package, where
        binaries: list[str] = source["co-packages"]
        assert binaries, where
    else:  # mdapi's rule: the SRPM file name must match <name>-[0-9]
        assert source is None, ("srcpkg found a non-numeric version", where, source)
        binaries = [package]
    srpm = views.mdapi(f"/src_{branch}/pkg/{package}")
    assert srpm is not None, ("src_ branch 404s for a build koji has", where)
    assert _vr(srpm) == expected, (where, _vr(srpm))
    for binary in binaries[:4]:
        rpm = views.mdapi(f"/{branch}/pkg/{binary}")
        assert rpm is not None, ("binary 404s", binary, where)
        assert rpm["basename"] == package, (binary, where)
        assert _vr(rpm) == expected, (binary, where, _vr(rpm))
        if source is not None:
            assert rpm["repo"] == source["repo"], (binary, where)


def check_rawhide(views: Views, package: str) -> dict[str, Any]:
    """koji's latest rawhide build is what mdapi's rawhide serves."""
    latest = views.latest("rawhide", package)
    assert latest is not None, f"koji has no rawhide build of {package}"
    assert latest["state"] == COMPLETE
    assert latest["package_name"] == package
    check_mdapi_agrees(views, package, "rawhide", latest)
    source = views.mdapi(f"/src_rawhide/pkg/{package}")
    assert source is not None
    assert source["repo"] == "release"
    return latest


def check_branched(views: Views, package: str, release: ReleaseTags) -> None:
    """koji's ``fNN-updates-testing`` view (with inheritance) is mdapi's ``fNN``."""
    latest = views.latest(release.testing, package)
    if latest is None:
        assert views.mdapi(f"/src_{release.branch}/pkg/{package}") is None, (package, release)
        assert views.mdapi(f"/{release.branch}/srcpkg/{package}") is None, (package, release)
        return
    assert latest["state"] == COMPLETE
    check_mdapi_agrees(views, package, release.branch, latest)
    found_in = latest["tag_name"]
    assert found_in in views.tags(latest["build_id"]), (latest["nvr"], found_in)
    repo = {release.testing: "updates-testing", release.stable: "updates"}.get(found_in, "release")
    srpm = views.mdapi(f"/src_{release.branch}/pkg/{package}")
    assert srpm is not None
    assert srpm["repo"] == repo, (package, latest["nvr"], found_in, srpm["repo"])


def expected_status(release: ReleaseTags, tags: set[str]) -> set[str]:
    """The bodhi statuses an update may have, given the koji tags of its build."""
    if release.testing in tags:
        return {"testing"}
    if release.candidate in tags:
        return {"pending"}
    if release.stable in tags or release.dist in tags:
        # an update pushed stable before GA went into the dist tag (bodhi's stable_tag
        # of a branched release is fNN until GA); rawhide's stable tag is its dist tag
        return {"stable", "obsolete", "unpushed", "revoked"}
    return {"obsolete", "unpushed", "revoked"}


def check_update(
    views: Views,
    update: dict[str, Any],
    package: str | None = None,
    koji_view: dict[str, tuple[dict[str, Any] | None, set[str]]] | None = None,
) -> None:
    """Every build of ``update`` is in koji, COMPLETE, tagged as the update's status says."""
    release = views.releases[update["release"]["name"]]
    nvrs = [item["nvr"] for item in update["builds"]]
    assert nvrs, update["alias"]
    if koji_view is None:
        koji_view = views.builds_and_tags(nvrs)
    for nvr in nvrs:
        build, tags = koji_view[nvr]
        assert build is not None, f"{update['alias']} carries {nvr}, unknown to koji"
        assert build["nvr"] == nvr
        assert build["state"] == COMPLETE, (update["alias"], nvr, build["state"])
        if package is not None and len(nvrs) == 1:
            assert build["package_name"] == package, (update["alias"], nvr)
        status = update["status"]
        assert status in expected_status(release, tags), (update["alias"], nvr, status, tags)
        if status == "testing":
            assert release.testing in tags, (update["alias"], nvr, tags)
        elif status == "pending":
            assert release.candidate in tags, (update["alias"], nvr, tags)
        elif status == "stable" and release.stable not in tags:
            assert release.dist in tags, (update["alias"], nvr, tags)
            assert release.released_on is not None
            assert update["date_stable"][:10] <= release.released_on, (
                "stable after GA, yet not in the updates tag",
                update["alias"],
                nvr,
                update["date_stable"],
                tags,
            )


def check_updates(views: Views, package: str) -> int:
    """Every bodhi update of ``package`` agrees with koji; returns bodhi's count."""
    total, updates = views.updates(packages=package)
    koji_view = views.builds_and_tags([b["nvr"] for u in updates for b in u["builds"]])
    for update in updates:
        check_update(views, update, package, koji_view)
    return total


def check_package(views: Views, package: str) -> int:
    """All the package-wide invariants; returns bodhi's update count for the package."""
    check_rawhide(views, package)
    for release in views.branched.values():
        check_branched(views, package, release)
    return check_updates(views, package)


# -- the per-kind invariants, for the ids the control API answered --------------------------


def _check_new_build(views: Views, package: str, changed: dict[str, Any], state: int) -> None:
    """The control API's build is koji's, in ``state``, and the newest of the package."""
    build_id, nvr = changed["build_id"], changed["nvr"]
    build = views.build(build_id)
    assert build is not None, f"koji does not know build {build_id}"
    assert build["nvr"] == nvr
    assert build["package_name"] == package
    assert build["state"] == state, (nvr, build["state"])
    assert views.newest_build_id(package) == build_id
    by_nvr = views.build(nvr)
    assert by_nvr is not None
    assert by_nvr["id"] == build_id
    assert build_id in {
        b["build_id"] for b in views.koji.listBuilds(packageID=package, state=state)
    }


def check_build(views: Views, package: str, changed: dict[str, Any]) -> None:
    """A rawhide build: COMPLETE, latest in rawhide, its automatic update stable in bodhi."""
    _check_new_build(views, package, changed, COMPLETE)
    build_id, nvr = changed["build_id"], changed["nvr"]
    assert views.tags(build_id) == set(changed["tags"])
    latest = views.latest("rawhide", package)
    assert latest is not None
    assert latest["build_id"] == build_id, ("rawhide", latest["nvr"], nvr)
    update = views.bodhi(f"/updates/{changed['update']}")["update"]
    assert [b["nvr"] for b in update["builds"]] == [nvr]
    assert views.releases[update["release"]["name"]].is_rawhide
    assert update["status"] == "stable"
    _, (found,) = views.updates(builds=nvr)
    assert found["alias"] == changed["update"]
    check_update(views, update, package)


def check_build_failed(views: Views, package: str, changed: dict[str, Any]) -> None:
    """A failed rawhide build: FAILED in koji, never tagged, never in bodhi or mdapi."""
    _check_new_build(views, package, changed, FAILED)
    build_id, nvr = changed["build_id"], changed["nvr"]
    assert views.tags(build_id) == set()
    latest = views.latest("rawhide", package)
    assert latest is not None
    assert latest["build_id"] != build_id
    total, _ = views.updates(builds=nvr)
    assert total == 0, f"bodhi has an update of the failed build {nvr}"
    source = views.mdapi(f"/src_rawhide/pkg/{package}")
    assert source is not None
    assert f"{package}-{source['version']}-{source['release']}" != nvr


def check_update_step(views: Views, package: str, changed: dict[str, Any]) -> None:
    update = views.bodhi(f"/updates/{changed['alias']}")["update"]
    release = views.releases[update["release"]["name"]]
    assert release.name == changed["release"]
    assert not release.is_rawhide
    assert update["status"] == changed["status"]
    if "request" in changed:
        assert update["request"] == changed["request"]
    assert [b["nvr"] for b in update["builds"]] == [changed["nvr"]]
    build = views.build(changed["build_id"])
    assert build is not None
    assert build["nvr"] == changed["nvr"]
    assert build["package_name"] == package
    check_update(views, update, package)
    if changed["status"] == "testing":
        latest = views.latest(release.testing, package)
        assert latest is not None
        assert latest["nvr"] == changed["nvr"], (latest["nvr"], changed)
        srpm = views.mdapi(f"/src_{release.branch}/pkg/{package}")
        assert srpm is not None
        assert srpm["repo"] == "updates-testing"
        assert f"{package}-{_vr(srpm)[0]}-{_vr(srpm)[1]}" == changed["nvr"]
    elif changed["status"] == "stable":
        latest = views.latest(release.stable, package)
        assert latest is not None
        assert latest["nvr"] == changed["nvr"]
    if changed["step"] == "submitted":
        assert views.newest_build_id(package) == changed["build_id"]
    if "obsoleted" in changed:
        old = views.bodhi(f"/updates/{changed['obsoleted']}")["update"]
        assert old["status"] == "obsolete"
        check_update(views, old, package)


def check_bug(views: Views, package: str, changed: dict[str, Any]) -> None:
    bug = views.bug(changed["bug_id"])
    assert bug["component"] == [package]
    assert bug["status"] == changed["status"]
    assert bug["is_open"] == (bug["resolution"] == "")
    listed = {b["id"]: b for b in views.bugs_of(package)}
    assert changed["bug_id"] in listed
    assert listed[changed["bug_id"]]["status"] == bug["status"]
    assert all(b["component"] == [package] for b in listed.values())
    if changed["action"] == "new":
        assert bug["status"] == "NEW"
        owner = views.pagure(f"/api/0/rpms/{package}")["access_users"]["owner"][0]
        expected = "extras-orphan" if owner == "orphan" else owner
        assert bug["assigned_to"] == f"{expected}@fedoraproject.org", (bug["assigned_to"], owner)


def check_owner(views: Views, package: str, changed: dict[str, Any]) -> None:
    new, old = changed["owner"], changed["previous_owner"]
    assert new != old
    project = views.pagure(f"/api/0/rpms/{package}")
    assert project["access_users"]["owner"] == [new]
    assert project["user"]["name"] == new
    assert sorted(project["access_users"]["admin"]) == sorted(changed["admins"])
    if old != "orphan":
        assert old in project["access_users"]["admin"]
    aliases = views.pagure("/extras/pagure_owner_alias.json")["rpms"][package]
    assert new in aliases, (new, aliases)
    assert "orphan" not in aliases
    poc = views.pagure("/extras/pagure_poc.json")["rpms"][package]
    assert poc["fedora"] == new
    owned = views.pagure("/api/0/projects", namespace="rpms", owner=new, short="true", per_page=100)
    assert package in {p["name"] for p in owned["projects"]}
    assert views.koji.getUser(new) is not None, f"{new} owns {package} but koji has no such user"


def check_repo(views: Views, package: str, changed: dict[str, Any]) -> None:
    """The announced branch and binaries are what mdapi serves, at koji's latest build."""
    branch, names = changed["branch"], changed["packages"]
    assert names, changed
    assert branch in views.mdapi_json("/branches")
    tag = "rawhide" if branch == "rawhide" else views.branched[branch].testing
    latest = views.latest(tag, package)
    assert latest is not None, (branch, package)
    for name in names:
        rpm = views.mdapi(f"/{branch}/pkg/{name}")
        assert rpm is not None, (branch, name, "announced by mdapi.repo.update but not served")
        assert rpm["basename"] == package, (branch, name)
        assert _vr(rpm) == _vr(latest), (branch, name, latest["nvr"])
        assert set(rpm["co-packages"]) == set(names), (branch, name, rpm["co-packages"])


CHECKS = {
    "build": check_build,
    "build_failed": check_build_failed,
    "update": check_update_step,
    "bug": check_bug,
    "owner": check_owner,
    "repo": check_repo,
}


def mutate_and_check(views: Views, kind: str, package: str) -> dict[str, Any] | None:
    """Run one mutation and check the kind's invariants; None when it was refused."""
    answer = views.event(kind, package)
    if answer is None:
        return None
    CHECKS[kind](views, package, answer["changed"])
    return answer


def new_updates(answer: dict[str, Any]) -> int:
    """How many updates a mutation added to bodhi, by its answer."""
    if answer["type"] == "build":
        return 1  # bodhi's automatic update of the rawhide build
    return int(answer["type"] == "update" and answer["changed"]["step"] == "submitted")


# -- the property: random sequences of mutations --------------------------------------------


def pick_packages(world: World) -> list[str]:
    """A few live packages covering the naming rules: texlive, headless families, orphans."""
    live = sorted(p.name for p in world.packages.values() if not p.retired)
    chosen: list[str] = []

    def add(found: str | None) -> None:
        if found is not None and found not in chosen:
            chosen.append(found)

    add(next((n for n in live if n.startswith("texlive-")), None))
    add(next((n for n in live if n.startswith(("python-", "rust-", "golang-"))), None))
    add(next((n for n in live if world.packages[n].owner == "orphan"), None))
    add(max(live, key=lambda n: len(world.updates_by_package.get(n, []))))
    for name in live:
        if len(chosen) >= 6:
            break
        add(name)
    return chosen


#: Which of the machine's packages a rule mutates.
PACKAGE_INDEX = st.integers(min_value=0, max_value=5)


class MutationMachine(RuleBasedStateMachine):
    """Random mutations through the control API; after each, every view agrees."""

    def __init__(self, server: Server) -> None:
        super().__init__()
        world = generated_world(size=WORLD_SIZE)
        self.packages = pick_packages(world)
        server.load(world)
        self.views = Views(server.live.url)
        self.update_counts: dict[str, int] = {}

    def step(self, kind: str, index: int) -> None:
        package = self.packages[index % len(self.packages)]
        before = self.update_counts.get(package)
        if before is None:
            before = check_updates(self.views, package)
        answer = mutate_and_check(self.views, kind, package)
        after = check_package(self.views, package)
        assert after >= before, f"bodhi lost updates of {package}: {before} -> {after}"
        if answer is not None:
            assert after == before + new_updates(answer), (kind, package, before, after)
        self.update_counts[package] = after

    @rule(index=PACKAGE_INDEX)
    def build(self, index: int) -> None:
        self.step("build", index)

    @rule(index=PACKAGE_INDEX)
    def build_failed(self, index: int) -> None:
        self.step("build_failed", index)

    @rule(index=PACKAGE_INDEX, times=st.integers(min_value=1, max_value=6))
    def update(self, index: int, times: int) -> None:
        """Several steps of one update's life, so that updates reach stable or obsolete."""
        for _ in range(times):
            self.step("update", index)

    @rule(index=PACKAGE_INDEX)
    def bug(self, index: int) -> None:
        self.step("bug", index)

    @rule(index=PACKAGE_INDEX)
    def owner(self, index: int) -> None:
        self.step("owner", index)

    @rule(index=PACKAGE_INDEX)
    def repo(self, index: int) -> None:
        self.step("repo", index)

    def teardown(self) -> None:
        self.views.close()


def test_random_mutations_keep_every_view_in_agreement(server: Server) -> None:
    class OnThisServer(MutationMachine):
        def __init__(self) -> None:
            super().__init__(server)

    run_state_machine_as_test(
        OnThisServer,
        settings=settings(
            max_examples=15,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


# -- one plain test per kind ------------------------------------------------------------------


def a_package(views: Views) -> str:
    """A live package of the fresh world with a numeric rawhide version and subpackages."""
    projects = views.pagure("/api/0/projects", namespace="rpms", short="true", per_page=100)
    for project in sorted(projects["projects"], key=lambda p: p["name"]):
        name: str = project["name"]
        latest = views.latest("rawhide", name)
        if latest is None or not _SRCPKG_VERSION.match(latest["version"]):
            continue
        source = views.mdapi(f"/rawhide/srcpkg/{name}")
        if source is not None and len(source["co-packages"]) > 1:
            return name
    pytest.fail("no package with subpackages")


def test_the_initial_world_agrees(views: Views) -> None:
    package = a_package(views)
    check_package(views, package)


@pytest.mark.parametrize("kind", KINDS)
def test_one_mutation_of_each_kind(views: Views, kind: str) -> None:
    package = a_package(views)
    before = check_package(views, package)
    answer = mutate_and_check(views, kind, package)
    assert answer is not None, f"{kind} on {package} was refused"
    after = check_package(views, package)
    assert after == before + new_updates(answer)


def test_an_update_lives_to_stable_in_every_view(views: Views) -> None:
    package = a_package(views)
    steps: list[str] = []
    for _ in range(12):
        answer = mutate_and_check(views, "update", package)
        assert answer is not None
        check_package(views, package)
        steps.append(answer["changed"]["step"])
        if steps[-1] == "stable":
            break
    assert steps[0] == "submitted"
    assert steps[-1] == "stable", steps


def test_a_texlive_package_agrees_though_srcpkg_cannot_find_it(views: Views) -> None:
    projects = views.pagure("/api/0/projects", namespace="rpms", pattern="texlive-*", per_page=100)
    name = projects["projects"][0]["name"]
    latest = views.latest("rawhide", name)
    assert latest is not None
    assert latest["version"].startswith("svn")
    for kind in ("build", "repo", "update", "update"):
        assert mutate_and_check(views, kind, name) is not None
        check_package(views, name)


def test_mdapi_repo_follows_a_stable_push(views: Views) -> None:
    """A build read while in updates-testing is served from updates once pushed stable.

    mdapi's answers were once cached without the repository, so the build kept
    ``"repo": "updates-testing"`` after the push.
    """
    package = a_package(views)
    release = max(views.branched.values(), key=lambda r: int(r.branch[1:]))
    step = ""
    for _ in range(12):
        answer = views.event("update", package)
        assert answer is not None
        step = answer["changed"]["step"]
        views.mdapi(f"/{release.branch}/srcpkg/{package}")  # a client reads the branch
        if step == "stable":
            break
    assert step == "stable"
    latest = views.latest(release.testing, package)
    assert latest is not None
    assert latest["tag_name"] == release.stable
    source = views.mdapi(f"/{release.branch}/srcpkg/{package}")
    assert source is not None
    assert _vr(source) == _vr(latest)
    assert source["repo"] == "updates", (latest["nvr"], latest["tag_name"], source["repo"])


def test_an_nvr_is_one_koji_build_and_one_bodhi_update(server: Server, fresh_world: World) -> None:
    """koji never reuses the NVR of a build that did not fail; a build is in one update."""
    server.load(fresh_world)
    views = Views(server.live.url)
    try:
        builds = views.koji.listBuilds()
        kept = Counter(b["nvr"] for b in builds if b["state"] not in (FAILED, CANCELED))
        shared_in_koji = sorted(nvr for nvr, count in kept.items() if count > 1)
        _, updates = views.updates()
        carried = Counter(b["nvr"] for u in updates for b in u["builds"])
        shared_in_bodhi = sorted(nvr for nvr, count in carried.items() if count > 1)
    finally:
        views.close()
    assert (shared_in_koji, shared_in_bodhi) == ([], []), (
        f"{len(shared_in_koji)} NVRs name several koji builds, e.g. {shared_in_koji[:3]}; "
        f"{len(shared_in_bodhi)} NVRs are in several bodhi updates, e.g. {shared_in_bodhi[:3]}"
    )
