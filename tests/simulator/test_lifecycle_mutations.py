"""A package enters Fedora (``package``), leaves it (``retire``) and is described anew
(``describe``), seen over real HTTP.

Each test serves a fresh world, mutates it through the control API and reads the
upstreams as clients do: koji over XML-RPC with Fedora's ``koji`` library, mdapi and
dist-git over REST. The messages the control API names are read from the
simulation's bus and checked twice: against Fedora's schema classes (where the
schema package is installed) and through the gateway's own decoder, which must read
each one as the event the invalidation worker acts on.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import koji
import pytest

from clients import Upstreams
from gateway.invalidation.messages import OwnershipChanged, RepoUpdated, Unknown, decode
from gateway.search.source import document
from simulator.app import Simulation, create_app
from simulator.bus import InProcessBus
from simulator.catalog.detail import family
from simulator.catalog.loader import generated_world
from simulator.catalog.model import Package, Release
from simulator.messages import Message
from simulator.mutations import ALL_KINDS, KINDS, LIFECYCLE_KINDS, MutationResult
from simulator.mutations.bugs import Bugs
from simulator.mutations.builds import Builds
from simulator.mutations.context import MutationContext
from simulator.mutations.lifecycle import Lifecycle
from simulator.mutations.notices import SCHEMAS
from simulator.mutations.rawhide import RawhideBuilds
from simulator.mutations.updates import Updates
from simulator.world import World
from tests.conftest import TEST_WORLD_SIZE, LiveServer, free_port
from tests.simulator.test_messages import assert_fedora_message

#: ``required`` of fedora-messaging-git-hook-messages' ``CommitV1`` commit schema (not installed).
COMMIT_REQUIRED = {
    "name",
    "email",
    "username",
    "summary",
    "message",
    "stats",
    "rev",
    "path",
    "repo",
    "namespace",
    "branch",
    "patch",
    "date",
    "url",
}


@dataclass
class Sim:
    """One simulated Fedora on a real port, with clients of its upstreams."""

    url: str
    simulation: Simulation
    http: httpx.Client
    koji: koji.ClientSession

    @property
    def world(self) -> World:
        return self.simulation.world

    def post(self, kind: str, package: str, **options: Any) -> httpx.Response:
        body = {"type": kind, "package": package, **options}
        return self.http.post("/_sim/events", json=body)

    def event(self, kind: str, package: str, **options: Any) -> dict[str, Any]:
        response = self.post(kind, package, **options)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert (answer["type"], answer["package"]) == (kind, package)
        return answer

    def messages(self, answer: dict[str, Any]) -> list[Message]:
        """The messages the answer names, in publishing order."""
        bus = self.simulation.bus
        assert isinstance(bus, InProcessBus)
        by_id = {m.id: m for m in bus.recent()}
        batch = [by_id[i] for i in answer["message_ids"]]
        assert [m.topic for m in batch] == answer["topics"]
        return batch

    def listing(self, tag: str, name: str, **options: Any) -> dict[str, Any] | None:
        """koji's ``listPackages(tagID=tag, inherited=True, prefix=name)`` row of ``name``."""
        rows = self.koji.listPackages(tagID=tag, inherited=True, prefix=name, **options)
        found = [row for row in rows if row["package_name"] == name]
        assert len(found) <= 1, found
        return found[0] if found else None

    def mdapi(self, path: str) -> dict[str, Any] | None:
        response = self.http.get("/mdapi" + path)
        if response.status_code == 404:
            assert response.text == "404: Not Found"
            return None
        assert response.status_code == 200, (path, response.text)
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
def sim() -> Iterator[Sim]:
    simulation = Simulation(generated_world(size=TEST_WORLD_SIZE), bus=InProcessBus(history=10_000))
    with LiveServer(create_app(simulation), free_port()) as live:
        http = httpx.Client(base_url=live.url, timeout=30)
        session = koji.ClientSession(live.url + "/kojihub")
        try:
            yield Sim(live.url, simulation, http, session)
        finally:
            http.close()
            session.logout()


def rawhide_tag(world: World) -> str:
    return world.rawhide.dist_tag


def newest_branched(world: World) -> Release:
    open_ = [r for r in world.releases.values() if not r.is_rawhide and r.state != "archived"]
    return max(open_, key=lambda r: r.version)


def live_package(world: World, *, in_branched: bool = False) -> Package:
    """A plain, owned package with a rawhide build mdapi serves (and a branched one)."""
    branched = newest_branched(world)
    for name in sorted(world.packages):
        package = world.packages[name]
        if package.retired or package.owner == "orphan" or family(name) != "plain":
            continue
        build = world.latest_tagged(world.rawhide.dist_tag, package.id)
        if build is None or not build.version[:1].isdigit():
            continue
        if in_branched:
            there = world.latest_tagged(branched.testing_tag, package.id)
            if there is None or not there.version[:1].isdigit():
                continue
        return package
    raise AssertionError("no suitable package")


def gateway_event(message: Message) -> Any:
    return decode(message.routing_key, message.headers, message.encoded_body(), message.id)


def check_schemas(batch: list[Message]) -> None:
    """Every message validates against its installed schema class (git.receive: by hand)."""
    for message in batch:
        if message.topic == "git.receive":
            assert set(message.body) == {"agent", "commit"}
            assert set(message.body["commit"]) >= COMMIT_REQUIRED
            assert message.schema == SCHEMAS["git.receive"].name
        else:
            assert_fedora_message(message)


# -- the kinds ------------------------------------------------------------------------------


def test_the_lifecycle_kinds_are_kinds_of_the_control_api() -> None:
    assert LIFECYCLE_KINDS == ("package", "retire", "describe")
    assert ALL_KINDS == KINDS + LIFECYCLE_KINDS
    assert not set(KINDS) & set(LIFECYCLE_KINDS)


# -- package --------------------------------------------------------------------------------


def test_a_new_package_appears_in_koji_mdapi_and_dist_git(sim: Sim) -> None:
    tag = rawhide_tag(sim.world)
    assert sim.koji.getPackageID("zorblax") is None
    answer = sim.event(
        "package",
        "zorblax",
        summary="Fast zorb blaxing",
        description="Zorblax blaxes zorbs.\n\nIt is fast.",
        subpackages=["zorblax-devel", "zorblax-doc"],
    )
    changed = answer["changed"]
    owner = changed["owner"]
    assert owner in sim.simulation.mutator.packagers()
    assert changed["summary"] == "Fast zorb blaxing"
    assert changed["subpackages"] == ["zorblax-devel", "zorblax-doc"]
    assert changed["co_packages"] == ["zorblax", "zorblax-devel", "zorblax-doc"]
    assert changed["listed_in"] == [tag]
    assert changed["nvr"] == f"zorblax-1.0-1.fc{sim.world.rawhide.version}"
    assert changed["state"] == "COMPLETE"

    # koji: the package, its listing in rawhide's tag, its first build there
    package_id = sim.koji.getPackageID("zorblax")
    assert package_id == changed["package_id"]
    assert sim.koji.getPackage("zorblax") == {"id": package_id, "name": "zorblax"}
    row = sim.listing(tag, "zorblax")
    assert row is not None
    assert (row["tag_name"], row["blocked"], row["owner_name"]) == (tag, False, owner)
    (latest,) = sim.koji.getLatestBuilds(tag, package="zorblax")
    assert latest["nvr"] == changed["nvr"]
    assert sim.koji.getBuild(changed["build_id"])["state"] == 1
    assert [t["name"] for t in sim.koji.listTags(package="zorblax")] == [tag]
    branched = newest_branched(sim.world).dist_tag
    assert sim.listing(branched, "zorblax") is None  # new packages start in rawhide only

    # mdapi: the source package and its binaries in rawhide
    source = sim.mdapi("/rawhide/srcpkg/zorblax")
    assert source is not None
    assert source["basename"] == "zorblax"
    assert source["summary"] == "Fast zorb blaxing"
    assert source["description"] == "Zorblax blaxes zorbs.\n\nIt is fast."
    assert sorted(source["co-packages"]) == ["zorblax", "zorblax-devel", "zorblax-doc"]
    assert f"{source['version']}-{source['release']}" == changed["nvr"].removeprefix("zorblax-")
    devel = sim.mdapi("/rawhide/pkg/zorblax-devel")
    assert devel is not None
    assert devel["basename"] == "zorblax"
    assert sim.mdapi(f"/{newest_branched(sim.world).branch}/srcpkg/zorblax") is None

    # dist-git: the project and its owner
    response = sim.http.get("/pagure/api/0/rpms/zorblax")
    assert response.status_code == 200, response.text
    project = response.json()
    assert (project["name"], project["namespace"]) == ("zorblax", "rpms")
    assert project["access_users"]["owner"] == [owner]
    assert project["description"] == "Fast zorb blaxing"


def test_a_new_package_publishes_what_dist_git_koji_and_mdapi_send(sim: Sim) -> None:
    tag = rawhide_tag(sim.world)
    answer = sim.event("package", "zorblax", subpackages=["zorblax-devel"])
    batch = sim.messages(answer)
    topics = answer["topics"]
    assert topics[:3] == [
        "pagure.project.new",
        "buildsys.package.list.change",
        "buildsys.build.state.change",
    ]
    assert topics[-1] == "mdapi.repo.update"
    assert "bodhi.update.requirements_met.stable" in topics  # the first build is gated
    check_schemas(batch)

    new, listed, *_, repo = batch
    assert new.body["agent"] == answer["changed"]["owner"]
    assert new.body["project"]["fullname"] == "rpms/zorblax"
    event = gateway_event(new)
    assert isinstance(event, OwnershipChanged)
    assert (event.package, event.namespace, event.pushed) == ("zorblax", "rpms", False)
    assert event.packages == ("zorblax",)

    assert listed.body["tag"] == tag
    assert listed.body["package"] == "zorblax"
    assert (listed.body["action"], listed.body["block"]) == ("add", False)
    assert listed.body["owner"] == answer["changed"]["owner"]
    assert isinstance(gateway_event(listed), Unknown)  # the gateway ignores this topic

    assert repo.body["name"] == "rawhide"
    assert repo.body["packages"] == answer["changed"]["packages"] == ["zorblax", "zorblax-devel"]
    event = gateway_event(repo)
    assert isinstance(event, RepoUpdated)
    assert event.branch == "rawhide"
    assert "zorblax" in event.package_names


def test_a_new_package_gets_sensible_defaults(sim: Sim) -> None:
    answer = sim.event("package", "python-quuxly")
    changed = answer["changed"]
    assert changed["summary"] == "The python-quuxly package"
    assert changed["description"]
    assert changed["subpackages"] == ["python3-quuxly"]
    assert changed["co_packages"] == ["python3-quuxly"]
    source = sim.mdapi("/rawhide/srcpkg/python-quuxly")
    assert source is not None
    assert source["co-packages"] == ["python3-quuxly"]
    assert source["summary"] == "The python-quuxly package"
    assert source["description"] == changed["description"]
    assert sim.mdapi("/rawhide/pkg/python3-quuxly") is not None
    assert "python-quuxly" in answer["changed"]["packages"]  # the source name, for mdapi's src_


def test_the_requester_can_be_named(sim: Sim) -> None:
    owner = sim.simulation.mutator.packagers()[-1]
    answer = sim.event("package", "zorblax", owner=owner)
    assert answer["changed"]["owner"] == owner
    project = sim.http.get("/pagure/api/0/rpms/zorblax").json()
    assert project["access_users"]["owner"] == [owner]
    (build,) = sim.koji.getLatestBuilds(rawhide_tag(sim.world), package="zorblax")
    assert build["owner_name"] == owner


async def test_the_gateway_reads_a_new_package_document_and_loses_a_retired_one(
    sim: Sim,
) -> None:
    """What the search worker re-reads after the last message of each kind."""
    base = sim.url
    sim.event("package", "zorblax", summary="Zorbs", subpackages=["zorblax-devel"])
    async with Upstreams.open(
        koji_url=f"{base}/kojihub",
        mdapi_url=f"{base}/mdapi",
        bodhi_url=f"{base}/bodhi",
        bugzilla_url=f"{base}/bugzilla",
        pagure_url=f"{base}/pagure",
    ) as upstreams:
        found = await document(upstreams, "zorblax")
        assert found is not None
        assert (found.summary, found.subpackages, found.releases) == (
            "Zorbs",
            ("zorblax-devel",),
            ("rawhide",),
        )
        sim.event("retire", "zorblax")
        assert await document(upstreams, "zorblax") is None


# -- retire ---------------------------------------------------------------------------------


def test_a_retired_package_is_blocked_in_rawhide_and_gone_from_mdapi(sim: Sim) -> None:
    package = live_package(sim.world, in_branched=True)
    name, tag = package.name, rawhide_tag(sim.world)
    branched = newest_branched(sim.world)
    before = sim.listing(tag, name)
    assert before is not None
    assert before["blocked"] is False
    assert sim.mdapi(f"/rawhide/srcpkg/{name}") is not None
    assert sim.koji.getLatestBuilds(tag, package=name)

    answer = sim.event("retire", name)
    changed = answer["changed"]
    assert answer["topics"] == ["git.receive", "buildsys.package.list.change", "mdapi.repo.update"]
    assert changed["branches"] == ["rawhide"]
    assert changed["blocked_in"] == [tag]
    assert changed["retired"] is True
    assert changed["agent"] == package.owner

    # koji: blocked in rawhide's tag, so inherited listings that skip blocked rows drop it
    row = sim.listing(tag, name)
    assert row is not None
    assert row["blocked"] is True
    assert sim.listing(tag, name, with_blocked=False) is None
    assert sim.listing("rawhide", name) == row  # the tag inherits the block
    tags = {t["name"]: t["blocked"] for t in sim.koji.listTags(package=name)}
    assert tags[tag] is True
    assert sim.koji.getLatestBuilds(tag, package=name) == []
    assert sim.koji.getPackageID(name) == package.id  # koji never forgets a package
    # mdapi: gone from rawhide, still in the branched release
    assert sim.mdapi(f"/rawhide/srcpkg/{name}") is None
    assert sim.mdapi(f"/rawhide/pkg/{name}") is None
    assert sim.mdapi(f"/src_rawhide/pkg/{name}") is None
    assert sim.mdapi(f"/{branched.branch}/srcpkg/{name}") is not None
    branched_row = sim.listing(branched.dist_tag, name)
    assert branched_row is not None
    assert branched_row["blocked"] is False
    # dist-git keeps the project
    assert sim.http.get(f"/pagure/api/0/rpms/{name}").status_code == 200

    # building it is refused
    for kind in ("build", "build_failed"):
        response = sim.post(kind, name)
        assert response.status_code == 409, response.text
        assert "retired" in response.json()["error"]


def test_a_retirement_publishes_the_dead_package_commit_the_block_and_mdapi(sim: Sim) -> None:
    package = live_package(sim.world)
    name, tag = package.name, rawhide_tag(sim.world)
    answer = sim.event("retire", name, reason="Retired: orphaned for 6+ weeks")
    batch = sim.messages(answer)
    check_schemas(batch)
    commit, block, repo = batch

    body = commit.body["commit"]
    assert commit.body["agent"] == body["username"] == package.owner
    assert (body["repo"], body["namespace"], body["branch"]) == (name, "rpms", "rawhide")
    assert body["summary"] == "Retired: orphaned for 6+ weeks"
    assert body["message"] == "Retired: orphaned for 6+ weeks\n"
    files = body["stats"]["files"]
    assert files["dead.package"] == {"additions": 1, "deletions": 0, "lines": 1}
    assert files[f"{name}.spec"]["deletions"] > 0
    total = body["stats"]["total"]
    assert total["files"] == len(files)
    assert total["deletions"] == sum(f["deletions"] for f in files.values())
    assert "+++ b/dead.package\n@@ -0,0 +1,1 @@\n+Retired: orphaned for 6+ weeks\n" in body["patch"]
    assert f"--- a/{name}.spec\n+++ /dev/null" in body["patch"]
    assert body["url"].endswith(f"/rpms/{name}/c/{body['rev']}?branch=rawhide")
    assert answer["changed"]["commits"] == {"rawhide": body["rev"]}
    assert commit.packages == [name]
    event = gateway_event(commit)
    assert isinstance(event, OwnershipChanged)
    assert (event.package, event.namespace, event.pushed) == (name, "rpms", True)
    assert event.packages == (name,)

    assert (block.body["tag"], block.body["package"]) == (tag, name)
    assert (block.body["action"], block.body["block"]) == ("block", True)

    assert repo.body["name"] == "rawhide"
    assert name in repo.body["packages"]
    event = gateway_event(repo)
    assert isinstance(event, RepoUpdated)
    assert (event.branch, name in event.package_names) == ("rawhide", True)


def test_a_package_can_be_retired_in_several_branches(sim: Sim) -> None:
    package = live_package(sim.world, in_branched=True)
    name = package.name
    branched = newest_branched(sim.world)
    answer = sim.event("retire", name, branches=[branched.branch, "rawhide"])
    changed = answer["changed"]
    assert changed["branches"] == ["rawhide", branched.branch]
    assert changed["blocked_in"] == [rawhide_tag(sim.world), branched.dist_tag]
    assert answer["topics"] == [
        *["git.receive"] * 2,
        *["buildsys.package.list.change"] * 2,
        *["mdapi.repo.update"] * 2,
    ]
    repos = [m for m in sim.messages(answer) if m.topic == "mdapi.repo.update"]
    assert [m.body["name"] for m in repos] == ["rawhide", branched.branch]
    for release in (sim.world.rawhide, branched):
        row = sim.listing(release.dist_tag, name)
        assert row is not None
        assert row["blocked"] is True
        assert sim.mdapi(f"/{release.branch}/srcpkg/{name}") is None
    assert sim.koji.getLatestBuilds(branched.testing_tag, package=name) == []
    response = sim.post("update", name)
    assert response.status_code == 409, response.text


def test_a_package_retired_only_in_a_branched_release_still_builds_in_rawhide(sim: Sim) -> None:
    package = live_package(sim.world, in_branched=True)
    branched = newest_branched(sim.world)
    answer = sim.event("retire", package.name, branches=[branched.branch])
    assert answer["changed"]["retired"] is False
    assert sim.mdapi(f"/{branched.branch}/srcpkg/{package.name}") is None
    assert sim.mdapi(f"/rawhide/srcpkg/{package.name}") is not None
    response = sim.post("update", package.name)
    assert response.status_code == 409, response.text
    assert f"retired in {branched.branch}" in response.json()["error"]
    assert sim.event("build", package.name)["changed"]["state"] == "COMPLETE"
    # and it can still be retired in rawhide afterwards
    assert sim.event("retire", package.name)["changed"]["retired"] is True


# -- describe -------------------------------------------------------------------------------


def lifecycle(world: World) -> Lifecycle:
    """The life-cycle kinds as the mutator composes them, to run a plan one step at a time."""
    context = MutationContext(world, random.Random(1))
    builds = Builds(context)
    updates = Updates(context, builds, Bugs(context, builds))
    return Lifecycle(context, builds, RawhideBuilds(context, builds, updates))


def test_mdapi_serves_a_new_description_only_from_the_last_step(sim: Sim) -> None:
    package = live_package(sim.world)
    name = package.name
    old = sim.mdapi(f"/rawhide/srcpkg/{name}")
    assert old is not None
    result = MutationResult("describe", name)
    text = "Zorblax blaxes zorbs.\n\nIt is described anew."
    options = {"summary": "Zorbs, described anew", "description": text}
    *gating, announced = lifecycle(sim.world).describe(name, options, result)
    for stage in gating:  # koji and bodhi: mdapi reads composes, not koji
        stage()
        served = sim.mdapi(f"/rawhide/srcpkg/{name}")
        assert served is not None
        assert (served["summary"], served["description"]) == (old["summary"], old["description"])
    assert served["release"] == result.changed["nvr"].rsplit("-", 1)[1]  # the new build, served
    (message,) = announced()
    assert message.topic == "mdapi.repo.update"
    served = sim.mdapi(f"/rawhide/srcpkg/{name}")
    assert served is not None
    assert (served["summary"], served["description"]) == ("Zorbs, described anew", text)
    binary = sim.mdapi(f"/rawhide/pkg/{name}")
    assert binary is not None
    assert (binary["summary"], binary["description"]) == ("Zorbs, described anew", text)


def test_a_description_is_built_gated_and_announced_by_mdapi(sim: Sim) -> None:
    package = live_package(sim.world)
    name, tag = package.name, rawhide_tag(sim.world)
    before = sim.mdapi(f"/rawhide/srcpkg/{name}")
    assert before is not None
    answer = sim.event("describe", name, description="A zorb blaxer, described anew.")
    changed = answer["changed"]
    topics = answer["topics"]
    assert topics[:2] == ["buildsys.build.state.change"] * 2
    assert "bodhi.update.requirements_met.stable" in topics  # the build is gated
    assert topics[-1] == "mdapi.repo.update"
    assert topics.count("mdapi.repo.update") == 1
    batch = sim.messages(answer)
    check_schemas(batch)
    assert (changed["state"], changed["target"], changed["branch"]) == (
        "COMPLETE",
        "rawhide",
        "rawhide",
    )
    assert changed["summary"] == before["summary"]  # not given: unchanged
    assert changed["description"] == "A zorb blaxer, described anew."
    assert name in changed["packages"]

    # koji: the new build is rawhide's latest, its changelog says why
    (latest,) = sim.koji.getLatestBuilds(tag, package=name)
    assert latest["nvr"] == changed["nvr"]
    assert batch[0].body["build_id"] == changed["build_id"]
    update = sim.http.get(f"/bodhi/updates/{changed['update']}").json()["update"]
    assert "Update description" in update["notes"]

    # mdapi: the new build with the new description, the summary as it was
    after = sim.mdapi(f"/rawhide/srcpkg/{name}")
    assert after is not None
    assert (after["summary"], after["description"]) == (
        before["summary"],
        "A zorb blaxer, described anew.",
    )
    assert f"{name}-{after['version']}-{after['release']}" == changed["nvr"]

    repo = batch[-1]
    assert repo.body["name"] == "rawhide"
    assert repo.body["packages"] == changed["packages"]
    event = gateway_event(repo)
    assert isinstance(event, RepoUpdated)
    assert (event.branch, name in event.package_names) == ("rawhide", True)


def test_a_new_summary_keeps_the_description(sim: Sim) -> None:
    package = live_package(sim.world)
    name = package.name
    before = sim.mdapi(f"/rawhide/srcpkg/{name}")
    assert before is not None
    answer = sim.event("describe", name, summary="  Blaxes zorbs  ")
    assert answer["changed"]["summary"] == "Blaxes zorbs"
    assert answer["changed"]["description"] == before["description"]
    after = sim.mdapi(f"/rawhide/srcpkg/{name}")
    assert after is not None
    assert (after["summary"], after["description"]) == ("Blaxes zorbs", before["description"])


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "status", "words"),
    [
        ({"summary": 3}, 400, "summary must be"),
        ({"summary": " "}, 400, "summary must be"),
        ({"subpackages": "zorblax-devel"}, 400, "subpackages must be"),
        ({"subpackages": ["bad name"]}, 400, "not a valid subpackage name"),
        ({"subpackages": ["a-b", "a-b"]}, 400, "must not repeat"),
        ({"owner": "nobody-at-all"}, 400, "is not a packager"),
        ({"sumary": "typo"}, 400, "unknown options: sumary"),
        ({"branches": ["rawhide"]}, 400, "unknown options: branches"),
    ],
)
def test_malformed_package_requests_are_refused(
    sim: Sim, options: dict[str, Any], status: int, words: str
) -> None:
    response = sim.post("package", "zorblax", **options)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]
    assert sim.koji.getPackageID("zorblax") is None
    assert sim.http.get("/pagure/api/0/rpms/zorblax").status_code == 404


def test_an_existing_or_invalid_name_is_not_a_new_package(sim: Sim) -> None:
    existing = live_package(sim.world).name
    response = sim.post("package", existing)
    assert response.status_code == 409
    assert response.json()["error"] == f"{existing} already exists"
    response = sim.post("package", "zorblax", subpackages=[existing])
    assert response.status_code == 409
    assert "is the name of a source package" in response.json()["error"]
    response = sim.post("package", "-zorblax")
    assert response.status_code == 400
    assert "not a valid package name" in response.json()["error"]
    sim.event("package", "zorblax")
    assert sim.post("package", "zorblax").status_code == 409


def test_an_unknown_or_retired_package_cannot_be_retired(sim: Sim) -> None:
    response = sim.post("retire", "no-such-package")
    assert response.status_code == 404
    assert response.json()["error"] == "no-such-package"
    name = live_package(sim.world).name
    for options, words in (
        ({"branches": ["f12"]}, "unknown branches: f12"),
        ({"branches": []}, "at least one branch"),
        ({"branches": "rawhide"}, "branches must be"),
        ({"reason": ""}, "reason must be"),
        ({"agent": "someone"}, "unknown options: agent"),
    ):
        response = sim.post("retire", name, **options)
        assert response.status_code == 400, (options, response.text)
        assert words in response.json()["error"]
    sim.event("retire", name)
    response = sim.post("retire", name)
    assert response.status_code == 409
    assert response.json()["error"] == f"{name} is already retired in rawhide"


def test_an_orphan_is_retired_by_releng(sim: Sim) -> None:
    world = sim.world
    orphan = next(
        (p for p in sorted(world.packages.values(), key=lambda p: p.name) if p.owner == "orphan"),
        None,
    )
    assert orphan is not None, "the generated world has orphaned packages"
    answer = sim.event("retire", orphan.name)
    assert answer["changed"]["agent"] == "releng"
    (commit, *_) = sim.messages(answer)
    assert commit.body["agent"] == "releng"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({}, "needs a summary or a description"),
        ({"summary": ""}, "summary must be"),
        ({"summary": 3}, "summary must be"),
        ({"description": " \n"}, "description must be"),
        ({"description": ["text"]}, "description must be"),
        ({"sumary": "typo"}, "unknown options: sumary"),
        ({"summary": "Zorbs", "subpackages": []}, "unknown options: subpackages"),
    ],
)
def test_malformed_describe_requests_are_refused(
    sim: Sim, options: dict[str, Any], words: str
) -> None:
    package = live_package(sim.world)
    before = sim.koji.getLatestBuilds(rawhide_tag(sim.world), package=package.name)
    response = sim.post("describe", package.name, **options)
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]
    assert sim.koji.getLatestBuilds(rawhide_tag(sim.world), package=package.name) == before


def test_an_unknown_or_retired_package_cannot_be_described(sim: Sim) -> None:
    response = sim.post("describe", "no-such-package", summary="Zorbs")
    assert response.status_code == 404
    assert response.json()["error"] == "no-such-package"
    package = live_package(sim.world)
    sim.event("retire", package.name)
    summary = package.summary
    response = sim.post("describe", package.name, summary="Zorbs")
    assert response.status_code == 409, response.text
    assert "retired" in response.json()["error"]
    assert package.summary == summary
