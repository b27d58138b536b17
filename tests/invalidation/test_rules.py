"""Rules from events to tags, packages and reasons: real messages and every simulated one."""

from __future__ import annotations

import asyncio
import json
import re
import typing
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import pytest

from gateway.invalidation import keys
from gateway.invalidation.keys import Tag
from gateway.invalidation.messages import (
    PROD_PREFIX,
    STG_PREFIX,
    BugChanged,
    BuildStateChanged,
    Event,
    OwnershipChanged,
    RepoUpdated,
    Tagged,
    Unknown,
    UpdateChanged,
    decode,
)
from gateway.invalidation.rules import RULES, packages_of, reasons_of, tags_for
from simulator.bus import InProcessBus
from simulator.catalog.loader import generated_world
from simulator.messages import Message
from simulator.mutations import KINDS, MutationError, MutationResult, Mutator
from simulator.world import World
from tests.conftest import require_shared

pkg, nvr, build, update, release = keys.package, keys.nvr, keys.build, keys.update, keys.release
bug, component, user = keys.bug, keys.component, keys.user


def decoded(directory: str, name: str, prefix: str = PROD_PREFIX) -> tuple[Event, dict[str, Any]]:
    """A fixture decoded as the worker would, with its body (fedmsg envelopes: ``msg``)."""
    data = json.loads(require_shared("fixtures", directory, name).read_text())
    if directory == "fedmsg_era":
        routing_key, body = data["topic"], data["msg"]
    else:
        routing_key, body = re.sub(r"_[^.]*$", "", name.removesuffix(".body.json")), data
    return decode(routing_key, {}, json.dumps(body).encode(), prefix=prefix), body


def mdapi_tags(body: dict[str, Any]) -> set[Tag]:
    names = body["packages"]
    return {keys.branch(body["name"], n) for n in names} | {pkg(n, "mdapi") for n in names}


#: (directory, file, prefix, tags, reasons) — None for tags computed from the body
FIXTURES: list[tuple[str, str, str, set[Tag] | None, tuple[str, ...]]] = [
    (
        "bus",
        "buildsys.build.state.change_complete_grep.body.json",
        PROD_PREFIX,
        {pkg("grep", "koji"), nvr("grep-3.11-1.fc39"), build(2211083), user("jskarvad")},
        ("build",),
    ),
    (
        "bus",
        "buildsys.build.state.change_building_image.body.json",
        PROD_PREFIX,
        {
            pkg("Fedora-Cloud-Base-Vagrant", "koji"),
            nvr("Fedora-Cloud-Base-Vagrant-37-20230609.0"),
            build(2211149),
            user("releng"),
        },
        ("build",),
    ),
    (
        "bus",
        "buildsys.tag.body.json",
        PROD_PREFIX,
        {
            pkg("perl-GooCanvas2", "koji"),
            pkg("perl-GooCanvas2", "mdapi"),
            nvr("perl-GooCanvas2-0.06-17.el9"),
            build(2209268),
        },
        ("tag",),
    ),
    (
        "bus",
        "buildsys.untag.body.json",
        PROD_PREFIX,
        {
            pkg("dummy-test-package-gloster", "koji"),
            pkg("dummy-test-package-gloster", "mdapi"),
            nvr("dummy-test-package-gloster-0-10383.fc39"),
            build(2211093),
        },
        ("tag",),
    ),
    (
        "bus",
        "bodhi.update.request.testing.body.json",
        PROD_PREFIX,
        {
            update("FEDORA-2019-f1ca3c00e5"),
            pkg("golang-github-Masterminds-semver", "bodhi"),
            nvr("golang-github-Masterminds-semver-2.0.0-0.1.20190319git3c92f33.fc29"),
            release("F29"),
        },
        ("update",),
    ),
    (
        "bus",
        "bodhi.update.request.stable.body.json",
        PROD_PREFIX,
        {
            update("FEDORA-2019-d64d0caab3"),
            pkg("golang-github-SAP-go-hdb", "bodhi"),
            nvr("golang-github-SAP-go-hdb-0.14.1-1.fc29"),
            release("F29"),
        },
        ("update",),
    ),
    (
        "bus",
        "bodhi.update.complete.stable.body.json",
        PROD_PREFIX,
        {
            update("FEDORA-2019-d64d0caab3"),
            pkg("golang-github-SAP-go-hdb", "bodhi"),
            nvr("golang-github-SAP-go-hdb-0.14.1-1.fc29"),
            pkg("texworks", "bodhi"),
            nvr("texworks-0.6.3-1.fc29"),
            release("F29"),
        },
        ("update",),
    ),
    (
        "bus",
        "bodhi.update.edit_v2.body.json",
        PROD_PREFIX,
        {
            update("FEDORA-2019-7dbbb74a13"),
            pkg("tzdata", "bodhi"),
            nvr("tzdata-2014i-1.fc19"),
            nvr("tzdata-2014h-1.fc19"),  # the build the edit removed
            release("F19"),
            bug(1708925),
            bug(1706626),
        },
        ("update",),
    ),
    (
        "bus",
        "bodhi.update.karma.threshold.reach.body.json",
        PROD_PREFIX,
        {
            update("FEDORA-EPEL-2015-0238"),
            pkg("tzdata", "bodhi"),
            nvr("tzdata-2014i-1.fc19"),
            release("F19"),
        },
        ("update",),
    ),
    (
        "bus",
        "bodhi.update.comment_v1_test.body.json",
        PROD_PREFIX,
        {
            update("FEDORA-EPEL-2019-f2d195dada"),
            pkg("abrt-addon-python3", "bodhi"),
            nvr("abrt-addon-python3-2.1.11-50.el7"),
            pkg("asciinema", "bodhi"),
            nvr("asciinema-1.4.0-2.el7"),
            release("F29"),
        },
        ("update", "comment"),
    ),
    (
        "bus",
        "bodhi.update.status.testing.koji-build-group.build.complete_v3.body.json",
        PROD_PREFIX,
        {
            update("FEDORA-2019-d64d0caab3"),
            pkg("libselinux", "bodhi"),
            nvr("libselinux-2.8-6.fc29.x86_64"),
            pkg("libsepol", "bodhi"),
            nvr("libsepol-2.8-3.fc29.x86_64"),
            build(14546275),
            build(14546278),
            release("F29"),
        },
        ("update",),
    ),
    (
        "bus",
        "bodhi.buildroot_override.tag.body.json",
        PROD_PREFIX,
        {pkg("libxcrypt", "koji"), nvr("libxcrypt-4.4.4-2.fc28")},
        ("override",),
    ),
    (
        "bus",
        "bodhi.buildroot_override.untag.body.json",
        PROD_PREFIX,
        {pkg("libxcrypt", "koji"), nvr("libxcrypt-4.4.4-2.fc28")},
        ("override",),
    ),
    (
        "bus",
        "bugzilla.bug.new.body.json",
        PROD_PREFIX,
        {bug(1701391), component("selinux-policy")},
        ("bug",),
    ),
    (
        "bus",
        "bugzilla.bug.update.body.json",
        PROD_PREFIX,
        {bug(1699203), component("python-pyramid")},
        ("bug",),
    ),
    (
        "bus",
        "bugzilla.bug.update_comment.body.json",
        PROD_PREFIX,
        {bug(1691487), component("openqa")},
        ("bug",),
    ),
    ("bus", "git.receive.body.json", PROD_PREFIX, set(), ()),  # namespace "dummyns"
    ("bus", "pagure.git.receive.body.json", PROD_PREFIX, set(), ()),  # pagure.io-style project
    ("bus", "pagure.project.user.access.updated.body.json", PROD_PREFIX, set(), ()),
    ("bus", "mdapi.repo.update.body.json", PROD_PREFIX, None, ("repo",)),
    (
        "fedmsg_era",
        "bodhi.update.comment_2019_prod.envelope.json",
        PROD_PREFIX,
        {
            update("FEDORA-2019-46910daf41"),
            pkg("xdg-desktop-portal", "bodhi"),
            nvr("xdg-desktop-portal-1.4.2-1.fc30"),
            release("F30"),  # name F30 and branch f30: one tag
        },
        ("update", "comment"),
    ),
    (
        "fedmsg_era",
        "bodhi.update.complete.testing_2019_prod.envelope.json",
        PROD_PREFIX,
        {
            update("FEDORA-2019-02cd019281"),
            pkg("nfs-ganesha", "bodhi"),
            nvr("nfs-ganesha-2.7.4-1.fc29"),
            release("F29"),
        },
        ("update",),
    ),
    (
        "fedmsg_era",
        "bodhi.update.edit.envelope.json",
        "org.fedoraproject.dev",
        {pkg("tzdata", "bodhi"), nvr("tzdata-2014i-1.fc19"), release("F19")},  # alias null in 2015
        ("update",),
    ),
    (
        "fedmsg_era",
        "bugzilla.bug.update_2018_prod.envelope.json",
        PROD_PREFIX,
        {bug(1649293), component("pcp"), component("selinux-policy")},  # it moved to pcp
        ("bug",),
    ),
    (
        "fedmsg_era",
        "bugzilla.bug.update_2019_prod_b.envelope.json",
        PROD_PREFIX,
        {bug(1717615), component("vtk")},
        ("bug",),
    ),
    (
        "fedmsg_era",
        "buildsys.build.state.change_complete_2015_prod.envelope.json",
        PROD_PREFIX,
        {pkg("ansible", "koji"), nvr("ansible-1.8.3-1.el7"), build(612324), user("kevin")},
        ("build",),
    ),
    (
        "fedmsg_era",
        "buildsys.build.state.change_failed_2015_prod.envelope.json",
        PROD_PREFIX,
        set(),  # instance "s390": a secondary-architecture hub
        (),
    ),
    (
        "fedmsg_era",
        "buildsys.tag_2013_prod.envelope.json",
        PROD_PREFIX,
        {pkg("stage", "koji"), pkg("stage", "mdapi"), nvr("stage-4.1.1-3.fc18")},  # no build_id
        ("tag",),
    ),
    (
        "fedmsg_era",
        "buildsys.untag_2013_prod.envelope.json",
        PROD_PREFIX,
        {
            pkg("globus-gram-job-manager-sge", "koji"),
            pkg("globus-gram-job-manager-sge", "mdapi"),
            nvr("globus-gram-job-manager-sge-1.5-2.fc16"),
        },
        ("tag",),
    ),
    (
        "fedmsg_era",
        "git.receive_with_namespace.envelope.json",
        PROD_PREFIX,
        {pkg("valgrind", "pagure")},
        ("commit",),
    ),
    ("fedmsg_era", "mdapi.repo.update_2015_stg.envelope.json", STG_PREFIX, None, ("repo",)),
    ("fedmsg_era", "pagure.git.receive_pagure_io.envelope.json", "io.pagure.prod", set(), ()),
    (
        "fedmsg_era",
        "pagure.project.new_distgit_2017_prod.envelope.json",
        PROD_PREFIX,
        {pkg("arachne-pnr", "pagure"), user("mprahl")},
        ("owner",),
    ),
]


@pytest.mark.parametrize(
    ("directory", "name", "prefix", "tags", "reasons"), FIXTURES, ids=[r[1] for r in FIXTURES]
)
def test_real_messages(
    directory: str, name: str, prefix: str, tags: set[Tag] | None, reasons: tuple[str, ...]
) -> None:
    event, body = decoded(directory, name, prefix)
    expected = mdapi_tags(body) if tags is None else tags
    assert tags_for(event) == expected
    assert reasons_of(event) == reasons
    named = {t.split(":", 1)[1] for t in expected if t.startswith(("pkg.", "component:"))}
    assert packages_of(event) == named


# -- every message the simulator publishes --------------------------------------------------


@dataclass
class Run:
    """The mutations of one kind and the messages each published."""

    world: World
    results: list[tuple[MutationResult, list[Message]]]


#: how many packages each kind mutates, and how often (``update`` walks an update's life)
PLAN = {"build": (3, 1), "build_failed": (2, 1), "update": (3, 9), "bug": (6, 2)}
PLAN |= {"owner": (4, 2), "repo": (4, 1)}


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    world = generated_world(size=150)
    bus = InProcessBus(history=100_000)
    mutator = Mutator(world, bus, seed=4242)
    live = sorted(p.name for p in world.packages.values() if not p.retired)

    async def run(kind: str, packages: list[str], times: int) -> Run:
        done: list[tuple[MutationResult, list[Message]]] = []
        for _ in range(times):
            for package in packages:
                try:
                    result = await mutator.apply(kind, package)
                except MutationError:
                    continue
                by_id = {m.id: m for m in bus.recent()}
                done.append((result, [by_id[i] for i in result.message_ids]))
        return Run(world, done)

    async def all_kinds() -> dict[str, Run]:
        out = {}
        for index, kind in enumerate(KINDS):
            count, times = PLAN[kind]
            out[kind] = await run(kind, live[index * 7 : index * 7 + count], times)
        return out

    return asyncio.run(all_kinds())


def test_every_topic_the_simulator_publishes_is_covered(runs: dict[str, Run]) -> None:
    topics = Counter(m.topic for r in runs.values() for _, batch in r.results for m in batch)
    assert set(topics) >= {
        "buildsys.build.state.change",
        "buildsys.tag",
        "buildsys.untag",
        "bodhi.update.request.testing",
        "bodhi.update.request.stable",
        "bodhi.update.comment",
        "bodhi.update.complete.testing",
        "bodhi.update.complete.stable",
        "bodhi.update.status.testing.koji-build-group.build.complete",
        "bodhi.update.requirements_met.stable",
        "bugzilla.bug.new",
        "bugzilla.bug.update",
        "pagure.project.edit",
        "pagure.project.user.added",
        "mdapi.repo.update",
    }
    for message in (m for r in runs.values() for _, batch in r.results for m in batch):
        event = decode(
            message.routing_key, dict(message.headers), message.encoded_body(), message.id
        )
        assert not isinstance(event, Unknown), message.topic


def expected_tags(world: World, result: MutationResult, message: Message, event: Event) -> set[Tag]:
    """What a simulated message must invalidate, from the world the mutation left."""
    name, changed = result.package, result.changed
    if isinstance(event, BuildStateChanged | Tagged):
        record = world.builds[event.build_id or 0]
        assert (record.name, record.nvr) == (name, str(event.nvr))
        if result.kind.startswith("build"):
            assert record.id == changed["build_id"]
        tags = {pkg(name, "koji"), nvr(record.nvr), build(record.id)}
        if isinstance(event, BuildStateChanged):
            return tags | {user(record.owner)}
        return tags | {pkg(name, "mdapi")}  # a tag's content is its repository's, mdapi's
    if isinstance(event, UpdateChanged):
        assert event.alias in {
            changed.get("alias"),
            changed.get("update"),
            changed.get("obsoleted"),
        }
        assert event.alias is not None
        bodhi = world.updates[event.alias]
        branch = world.releases[bodhi.release]
        builds = world.update_builds(bodhi)
        tags = {update(bodhi.alias), release(branch.name), release(branch.branch)}
        tags |= {pkg(b.name, "bodhi") for b in builds} | {nvr(b.nvr) for b in builds}
        if message.topic.startswith("bodhi.update.status.testing."):
            tags |= {build(b.id) for b in builds}
        return tags
    if isinstance(event, BugChanged):
        assert world.bugs[event.bug_id].component == name
        if result.kind == "bug":
            assert event.bug_id == changed["bug_id"]
        return {bug(event.bug_id), component(name)}
    if isinstance(event, OwnershipChanged):
        new, old = changed["owner"], changed["previous_owner"]
        agent = old if old != "orphan" else new
        named = {user(agent), user(new)}
        if message.topic == "pagure.project.user.added":
            assert message.body["new_user"] in {old, *changed.get("added", [])}
            named.add(user(message.body["new_user"]))
        return {pkg(name, "pagure")} | named
    assert isinstance(event, RepoUpdated)
    assert changed["packages"]  # binary RPM names: a golang source may list only its -devel
    branch_name, names = changed["branch"], changed["packages"]
    return {keys.branch(branch_name, n) for n in names} | {pkg(n, "mdapi") for n in names}


REASONS: dict[type[Event], set[tuple[str, ...]]] = {
    BuildStateChanged: {("build",)},
    Tagged: {("tag",)},
    UpdateChanged: {("update",), ("update", "comment")},
    BugChanged: {("bug",)},
    OwnershipChanged: {("owner",)},
    RepoUpdated: {("repo",)},
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_simulated_message(runs: dict[str, Run], kind: str) -> None:
    run = runs[kind]
    assert run.results, f"no {kind} mutation happened"
    for result, batch in run.results:
        assert batch
        for message in batch:
            event = decode(message.routing_key, message.headers, message.encoded_body(), message.id)
            assert tags_for(event) == expected_tags(run.world, result, message, event), message
            if isinstance(event, RepoUpdated):
                assert packages_of(event) == set(result.changed["packages"])
            else:
                assert packages_of(event) == {result.package}
            assert reasons_of(event) in REASONS[type(event)]
            # the filter headers fedora-messaging derives from the schema's ``packages``
            assert set(message.packages) <= packages_of(event)


# -- edge cases -----------------------------------------------------------------------------


NOTHING: tuple[frozenset[Tag], frozenset[str], tuple[str, ...]] = (frozenset(), frozenset(), ())


def koji_body(**extra: object) -> bytes:
    body = {"name": "bash", "version": "5.2", "release": "1.fc45", "build_id": 1, "new": 1}
    return json.dumps(body | extra).encode()


@pytest.mark.parametrize("instance", ["ppc", "s390", "arm", "riscv"])
def test_secondary_koji_instances_change_nothing(instance: str) -> None:
    for topic in ("buildsys.build.state.change", "buildsys.tag"):
        event = decode(topic, {}, koji_body(instance=instance, tag="f45", owner="alice"))
        assert isinstance(event, BuildStateChanged | Tagged)
        assert (tags_for(event), packages_of(event), reasons_of(event)) == NOTHING
        assert pkg("bash", "koji") in tags_for(replace(event, instance="primary"))


def test_a_comment_invalidates_the_update_it_nests() -> None:
    body = {
        "comment": {
            "karma": -1,
            "update": {
                "alias": "FEDORA-2026-c0ffee0000",
                "builds": [{"nvr": "bash-5.2-1.fc45"}],
                "release": {"name": "F45", "branch": "f45"},
            },
        }
    }
    event = decode(f"{PROD_PREFIX}.bodhi.update.comment", {}, json.dumps(body).encode())
    assert tags_for(event) == {
        update("FEDORA-2026-c0ffee0000"),
        pkg("bash", "bodhi"),
        nvr("bash-5.2-1.fc45"),
        release("f45"),
    }
    assert reasons_of(event) == ("update", "comment")


def test_an_edit_invalidates_the_builds_it_removed() -> None:
    body = {
        "update": {
            "alias": "FEDORA-2026-e",
            "builds": [{"nvr": "bash-5.2-2.fc45"}],
            "release": {"name": "F45"},
        },
        "new_builds": ["bash-5.2-2.fc45"],
        "removed_builds": ["bash-5.2-1.fc45", "readline-8.2-1.fc45"],
    }
    event = decode("bodhi.update.edit", {}, json.dumps(body).encode())
    assert tags_for(event) == {
        update("FEDORA-2026-e"),
        pkg("bash", "bodhi"),
        pkg("readline", "bodhi"),
        nvr("bash-5.2-2.fc45"),
        nvr("bash-5.2-1.fc45"),
        nvr("readline-8.2-1.fc45"),
        release("f45"),
    }
    assert packages_of(event) == {"bash", "readline"}


def test_rawhide_updates_name_both_the_release_and_the_branch() -> None:
    body = {"update": {"alias": "A", "builds": [], "release": {"name": "F46", "branch": "rawhide"}}}
    event = decode("bodhi.update.complete.stable", {}, json.dumps(body).encode())
    assert tags_for(event) == {update("A"), release("f46"), release("rawhide")}


def test_mdapi_capability_names_are_hints_for_repo_tags_only() -> None:
    names = ["bash", "python3dist(requests)", "/usr/bin/sh", "libc.so.6()(64bit)", "bash-doc"]
    body = json.dumps({"name": "f45", "packages": names}).encode()
    event = decode("mdapi.repo.update", {}, body)
    assert tags_for(event) == {keys.branch("f45", n) for n in names} | {
        pkg("bash", "mdapi"),
        pkg("bash-doc", "mdapi"),
    }
    assert packages_of(event) == {"bash", "bash-doc"}


def test_staging_messages_give_the_same_tags_under_the_staging_prefix() -> None:
    body = koji_body(owner="alice")
    prod = decode(f"{PROD_PREFIX}.buildsys.build.state.change", {}, body)
    stg = decode(f"{STG_PREFIX}.buildsys.build.state.change", {}, body, prefix=STG_PREFIX)
    assert (
        tags_for(stg)
        == tags_for(prod)
        == {
            pkg("bash", "koji"),
            nvr("bash-5.2-1.fc45"),
            build(1),
            user("alice"),
        }
    )
    unconfigured = decode(f"{STG_PREFIX}.buildsys.build.state.change", {}, body)
    assert tags_for(unconfigured) == set()


def test_unknown_topics_change_nothing() -> None:
    event = decode(f"{PROD_PREFIX}.buildsys.repo.done", {}, b"{}")
    assert isinstance(event, Unknown)
    assert (tags_for(event), packages_of(event), reasons_of(event)) == NOTHING


def test_a_duplicated_message_gives_the_same_tags() -> None:
    event, _ = decoded("bus", "bodhi.update.edit_v2.body.json")
    again, _ = decoded("bus", "bodhi.update.edit_v2.body.json")
    assert tags_for(event) == tags_for(again)
    assert tags_for(event) | tags_for(again) == tags_for(event)  # invalidating twice is once
    assert reasons_of(event) == reasons_of(again)


@pytest.mark.parametrize(
    ("project", "tags"),
    [
        (
            {"name": "bash", "namespace": "rpms"},
            {pkg("bash", "pagure"), user("alice"), user("bob")},
        ),
        ({"name": "bash", "namespace": "rpms", "parent": {"name": "bash"}}, set()),
        ({"name": "bash", "namespace": "modules"}, set()),
        ({"name": "bash", "namespace": None}, set()),
    ],
)
def test_dist_git_rules_only_apply_to_rpms(project: dict[str, Any], tags: set[Tag]) -> None:
    body = {"agent": "alice", "project": project, "removed_user": "bob"}
    event = decode("pagure.project.user.removed", {}, json.dumps(body).encode())
    assert tags_for(event) == tags


def test_a_push_invalidates_the_package_but_no_user() -> None:
    body = {"agent": "alice", "commit": {"repo": "bash", "namespace": "rpms", "username": "alice"}}
    event = decode("git.receive", {}, json.dumps(body).encode())
    assert tags_for(event) == {pkg("bash", "pagure")}
    assert reasons_of(event) == ("commit",)


def test_the_table_has_a_rule_for_every_event_type() -> None:
    assert set(RULES) == set(typing.get_args(Event))
