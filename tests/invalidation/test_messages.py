"""Decoding bus deliveries: real Fedora bodies, the simulator's, older shapes and bad ones."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
from fedora_messaging.message import get_class

from clients.nvr import NVR
from gateway.invalidation.messages import (
    PROD_PREFIX,
    STG_PREFIX,
    TOPICS,
    BugChanged,
    BuildStateChanged,
    Event,
    MalformedMessageError,
    OverrideChanged,
    OwnershipChanged,
    RepoUpdated,
    Tagged,
    Unknown,
    UpdateChanged,
    UpdateComment,
    decode,
    topic_of,
)
from tests.conftest import require_shared


def bus_fixture(name: str) -> tuple[str, bytes]:
    """A real body from ../shared/fixtures/bus and its topic (the name without ``_<variant>``)."""
    path = require_shared("fixtures", "bus", name)
    return re.sub(r"_[^.]*$", "", name.removesuffix(".body.json")), path.read_bytes()


def envelope(name: str) -> dict[str, Any]:
    """A fedmsg-era envelope from ../shared/fixtures/fedmsg_era (its ``msg`` is the body)."""
    data: dict[str, Any] = json.loads(require_shared("fixtures", "fedmsg_era", name).read_text())
    return data


def encode(body: object) -> bytes:
    return json.dumps(body).encode()


def fields(event: Event, expected: dict[str, object]) -> dict[str, object]:
    return {name: getattr(event, name) for name in expected}


grep = NVR("grep", "3.11", "1.fc39")
tzdata_i, tzdata_h = NVR.parse("tzdata-2014i-1.fc19"), NVR.parse("tzdata-2014h-1.fc19")

#: (file in fixtures/bus, event type, the fields it must decode to)
BUS: list[tuple[str, type[Event], dict[str, object]]] = [
    (
        "buildsys.build.state.change_complete_grep.body.json",
        BuildStateChanged,
        {"build_id": 2211083, "nvr": grep, "old": 0, "new": 1, "owner": "jskarvad"},
    ),
    (
        "buildsys.build.state.change_building_image.body.json",
        BuildStateChanged,
        {"build_id": 2211149, "name": "Fedora-Cloud-Base-Vagrant", "old": None, "new": 0},
    ),
    (
        "buildsys.tag.body.json",
        Tagged,
        {
            "tag": "epel9-build-side-68659",
            "build_id": 2209268,
            "nvr": NVR("perl-GooCanvas2", "0.06", "17.el9"),
            "untagged": False,
            "user": "ppisar",
            "instance": "primary",
        },
    ),
    (
        "buildsys.untag.body.json",
        Tagged,
        {"tag": "f39-updates-testing-pending", "build_id": 2211093, "untagged": True},
    ),
    (
        "bodhi.update.request.testing.body.json",
        UpdateChanged,
        {
            "alias": "FEDORA-2019-f1ca3c00e5",
            "release": "F29",
            "nvrs": (
                NVR.parse("golang-github-Masterminds-semver-2.0.0-0.1.20190319git3c92f33.fc29"),
            ),
            "status": "pending",
            "request": "testing",
            "agent": "eclipseo",
            "comment": None,
        },
    ),
    (
        "bodhi.update.request.stable.body.json",
        UpdateChanged,
        {"alias": "FEDORA-2019-d64d0caab3", "status": "testing", "request": "stable"},
    ),
    (
        "bodhi.update.complete.stable.body.json",
        UpdateChanged,
        {
            "packages": ("golang-github-SAP-go-hdb", "texworks"),
            "status": "stable",
            "request": None,
            "agent": "mohanboddu",
        },
    ),
    (
        "bodhi.update.edit_v2.body.json",
        UpdateChanged,
        {
            "alias": "FEDORA-2019-7dbbb74a13",
            "nvrs": (tzdata_i,),
            "new_builds": (tzdata_i,),
            "removed_builds": (tzdata_h,),
            "new_bugs": (1708925, 1706626),
            "all_nvrs": (tzdata_i, tzdata_h),
        },
    ),
    (
        "bodhi.update.karma.threshold.reach.body.json",
        UpdateChanged,
        {"alias": "FEDORA-EPEL-2015-0238", "karma_status": "stable", "status": "pending"},
    ),
    (
        "bodhi.update.comment_v1_test.body.json",
        UpdateChanged,
        {
            "alias": "FEDORA-EPEL-2019-f2d195dada",
            "packages": ("abrt-addon-python3", "asciinema"),
            "comment": UpdateComment(author="ralph", karma=-1),
        },
    ),
    (
        "bodhi.update.status.testing.koji-build-group.build.complete_v3.body.json",
        UpdateChanged,
        {"build_ids": (14546275, 14546278), "packages": ("libselinux", "libsepol")},
    ),
    (
        "bodhi.buildroot_override.tag.body.json",
        OverrideChanged,
        {"nvr": NVR("libxcrypt", "4.4.4", "2.fc28"), "submitter": "lmacken", "expired": False},
    ),
    ("bodhi.buildroot_override.untag.body.json", OverrideChanged, {"expired": True}),
    (
        "bugzilla.bug.new.body.json",
        BugChanged,
        {"bug_id": 1701391, "component": "selinux-policy", "product": "Fedora", "new": True},
    ),
    (
        "bugzilla.bug.update.body.json",
        BugChanged,
        {"bug_id": 1699203, "components": ("python-pyramid",), "new": False},
    ),
    (
        "bugzilla.bug.update_comment.body.json",
        BugChanged,
        {"bug_id": 1691487, "component": "openqa", "former_components": ()},
    ),
    (
        "git.receive.body.json",
        OwnershipChanged,
        {"package": "dummyrepo", "namespace": "dummyns", "pushed": True, "packages": ()},
    ),
    (
        "pagure.git.receive.body.json",
        OwnershipChanged,
        {"package": "fedocal-messages", "namespace": "fedora-infra", "users": ()},
    ),
    (
        "pagure.project.user.access.updated.body.json",
        OwnershipChanged,
        {"package": "fedocal-messages", "pushed": False, "users": ("dummy-user", "pingou", "newu")},
    ),
    ("mdapi.repo.update.body.json", RepoUpdated, {"branch": "rawhide"}),
]


@pytest.mark.parametrize(("name", "kind", "expected"), BUS, ids=[row[0] for row in BUS])
def test_real_bodies_decode(name: str, kind: type[Event], expected: dict[str, object]) -> None:
    topic, body = bus_fixture(name)
    headers = {"sent-at": "2026-01-02T03:04:05+00:00"}
    event = decode(f"{PROD_PREFIX}.{topic}", headers, body, "id-1")
    assert type(event) is kind
    assert (event.topic, event.message_id, event.sent_at) == (topic, "id-1", headers["sent-at"])
    assert fields(event, expected) == expected


#: topic -> the schema class fedora-messaging would use (a dev dependency only).
SCHEMAS = {
    "buildsys.build.state.change": "koji_fedoramessaging.build.BuildStateChangeV1",
    "buildsys.tag": "koji_fedoramessaging.tag.TagV1",
    "buildsys.untag": "koji_fedoramessaging.tag.UntagV1",
    "bodhi.update.request.testing": "bodhi.update.request.testing.v1",
    "bodhi.update.request.stable": "bodhi.update.request.stable.v1",
    "bodhi.update.complete.stable": "bodhi.update.complete.stable.v1",
    "bodhi.update.edit": "bodhi.update.edit.v2",
    "bodhi.update.karma.threshold.reach": "bodhi.update.karma.threshold.v1",
    "bodhi.update.comment": "bodhi.update.comment.v1",
    "bodhi.update.status.testing.koji-build-group.build.complete": "bodhi.update.status.testing.v3",
    "bodhi.buildroot_override.tag": "bodhi.buildroot_override.tag.v1",
    "bodhi.buildroot_override.untag": "bodhi.buildroot_override.untag.v1",
    "bugzilla.bug.new": "bugzilla2fedmsg.messageV1bz4",
    "bugzilla.bug.update": "bugzilla2fedmsg.messageV1bz4",
    "pagure.git.receive": "pagure.git.receive",
    "pagure.project.user.access.updated": "pagure.project.user.access.updated",
}


@pytest.mark.parametrize("name", [row[0] for row in BUS if not row[0].startswith(("git.", "md"))])
def test_packages_agree_with_the_schema_classes(name: str) -> None:
    """Each event names at least the packages its fedora-messaging schema class names."""
    topic, body = bus_fixture(name)
    schema = get_class(SCHEMAS[topic])(topic=topic, body=json.loads(body))
    event = decode(topic, None, body)
    assert set(schema.packages) <= set(getattr(event, "packages", ()))
    if topic != "bodhi.update.edit":  # an edit also names the builds it removed
        assert set(schema.packages) == set(getattr(event, "packages", ()))


#: (file in fixtures/fedmsg_era, topic prefix of that era, event type, fields)
ERA: list[tuple[str, str, type[Event], dict[str, object]]] = [
    (
        "bodhi.update.comment_2019_prod.envelope.json",
        PROD_PREFIX,
        UpdateChanged,
        {
            "alias": "FEDORA-2019-46910daf41",
            "release": "F30",
            "branch": "f30",
            "nvrs": (NVR("xdg-desktop-portal", "1.4.2", "1.fc30"),),
            "comment": UpdateComment(author="kalev", karma=0),
            "agent": "kalev",
        },
    ),
    (
        "bodhi.update.complete.testing_2019_prod.envelope.json",
        PROD_PREFIX,
        UpdateChanged,
        {"alias": "FEDORA-2019-02cd019281", "status": "testing", "agent": "composer"},
    ),
    (
        "bodhi.update.edit.envelope.json",
        "org.fedoraproject.dev",
        UpdateChanged,
        {"alias": None, "release": "F19", "nvrs": (tzdata_i,)},
    ),
    (
        "bugzilla.bug.update_2018_prod.envelope.json",
        PROD_PREFIX,
        BugChanged,
        {
            "bug_id": 1649293,
            "component": "pcp",
            "product": "Fedora",
            "former_components": ("selinux-policy",),
        },
    ),
    (
        "bugzilla.bug.update_2019_prod_b.envelope.json",
        PROD_PREFIX,
        BugChanged,
        {"bug_id": 1717615, "component": "vtk", "product": "Fedora", "new": True},
    ),
    (
        "buildsys.build.state.change_complete_2015_prod.envelope.json",
        PROD_PREFIX,
        BuildStateChanged,
        {"build_id": 612324, "nvr": NVR("ansible", "1.8.3", "1.el7"), "instance": "primary"},
    ),
    (
        "buildsys.build.state.change_failed_2015_prod.envelope.json",
        PROD_PREFIX,
        BuildStateChanged,
        {"build_id": 288888, "new": 3, "instance": "s390"},
    ),
    (
        "buildsys.tag_2013_prod.envelope.json",
        PROD_PREFIX,
        Tagged,
        {"build_id": None, "nvr": NVR("stage", "4.1.1", "3.fc18"), "untagged": False},
    ),
    (
        "buildsys.untag_2013_prod.envelope.json",
        PROD_PREFIX,
        Tagged,
        {"build_id": None, "tag": "f16-updates-pending", "untagged": True},
    ),
    (
        "git.receive_with_namespace.envelope.json",
        PROD_PREFIX,
        OwnershipChanged,
        {"package": "valgrind", "namespace": "rpms", "agent": "mjw", "packages": ("valgrind",)},
    ),
    (
        "mdapi.repo.update_2015_stg.envelope.json",
        STG_PREFIX,
        RepoUpdated,
        {"branch": "rawhide"},
    ),
    (
        "pagure.git.receive_pagure_io.envelope.json",
        "io.pagure.prod",
        OwnershipChanged,
        {"package": "pagure", "namespace": None, "packages": ()},
    ),
    (
        "pagure.project.new_distgit_2017_prod.envelope.json",
        PROD_PREFIX,
        OwnershipChanged,
        {"package": "arachne-pnr", "namespace": "rpms", "users": ("mprahl",), "fork": False},
    ),
]


@pytest.mark.parametrize(("name", "prefix", "kind", "expected"), ERA, ids=[r[0] for r in ERA])
def test_fedmsg_era_bodies_decode(
    name: str, prefix: str, kind: type[Event], expected: dict[str, object]
) -> None:
    data = envelope(name)
    body, message_id = encode(data["msg"]), data.get("msg_id")
    event = decode(data["topic"], data.get("headers"), body, message_id, prefix=prefix)
    assert type(event) is kind
    assert event.topic == data["topic"].removeprefix(prefix + ".")
    assert fields(event, expected) == expected


# -- routing keys and metadata --------------------------------------------------------------


def test_the_prefix_is_stripped_and_configurable() -> None:
    body = encode({"name": "f45", "packages": ["bash"]})
    prod = decode(f"{PROD_PREFIX}.mdapi.repo.update", {}, body)
    stg = decode(f"{STG_PREFIX}.mdapi.repo.update", {}, body, prefix=STG_PREFIX)
    bare = decode("mdapi.repo.update", {}, body)  # the in-process bus has no prefix
    assert (
        prod
        == stg
        == bare
        == RepoUpdated(topic="mdapi.repo.update", branch="f45", packages=("bash",))
    )
    assert topic_of(f"{STG_PREFIX}.buildsys.tag", STG_PREFIX) == "buildsys.tag"
    assert topic_of("org.fedoraproject.prod.buildsys.tag", "") == f"{PROD_PREFIX}.buildsys.tag"


def test_a_staging_message_is_not_a_production_one() -> None:
    event = decode(f"{STG_PREFIX}.mdapi.repo.update", {}, b"{}")
    assert event == Unknown(topic=f"{STG_PREFIX}.mdapi.repo.update")


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"name": 1}'])
def test_unknown_topics_are_not_read(body: bytes) -> None:
    event = decode(f"{PROD_PREFIX}.buildsys.repo.done", {"sent-at": b"2026"}, body, "m")
    assert event == Unknown(topic="buildsys.repo.done", message_id="m", sent_at="2026")


def test_a_duplicated_delivery_decodes_to_an_equal_event() -> None:
    _, body = bus_fixture("bodhi.update.comment_v1_test.body.json")
    once = decode(f"{PROD_PREFIX}.bodhi.update.comment", {}, body, "same-id")
    assert decode(f"{PROD_PREFIX}.bodhi.update.comment", {}, body, "same-id") == once
    assert hash(once) == hash(decode(f"{PROD_PREFIX}.bodhi.update.comment", {}, body, "same-id"))


def test_the_registry_covers_every_topic_of_the_cheat_sheet() -> None:
    koji = {"buildsys.build.state.change", "buildsys.tag", "buildsys.untag"}
    others = {"bugzilla.bug.new", "bugzilla.bug.update", "mdapi.repo.update", "git.receive"}
    assert koji | others <= set(TOPICS)
    assert "pagure.git.receive" in TOPICS
    assert {t for t in TOPICS if t.startswith("pagure.project.")} >= {
        "pagure.project.edit",
        "pagure.project.user.added",
        "pagure.project.user.removed",
        "pagure.project.group.removed",
    }
    bodhi = [t for t in TOPICS if t.startswith("bodhi.update.")]
    assert len(bodhi) >= 13
    assert "bodhi.update.comment" in bodhi
    assert "bodhi.update.status.testing.koji-build-group.build.complete" in bodhi


# -- shapes: nesting, older and newer forms -------------------------------------------------


def update(alias: str | None = "FEDORA-2026-0123456789", *nvrs: str) -> dict[str, object]:
    return {
        "alias": alias,
        "builds": [{"nvr": nvr} for nvr in nvrs or ("bash-5.2-1.fc45",)],
        "release": {"name": "F45", "branch": "f45"},
        "request": None,
        "status": "testing",
        "user": {"name": "alice"},
    }


def test_a_comment_nests_its_update_and_may_name_the_alias_itself() -> None:
    comment = {"karma": 1, "author": "bob", "update_alias": "FEDORA-2026-aaaaaaaaaa"}
    body = {"comment": {**comment, "update": update(None)}, "agent": "bob"}
    event = decode("bodhi.update.comment", {}, encode(body))
    assert isinstance(event, UpdateChanged)
    assert event.alias == "FEDORA-2026-aaaaaaaaaa"
    assert event.comment == UpdateComment(author="bob", karma=1)
    assert (event.release, event.branch, event.packages) == ("F45", "f45", ("bash",))


def test_a_comment_without_its_update_is_malformed() -> None:
    body = encode({"comment": {"karma": 1, "text": "hi"}, "update": update()})
    with pytest.raises(MalformedMessageError, match=r"body\.comment\.update: expected an object"):
        decode("bodhi.update.comment", {}, body)


def test_an_edit_names_the_builds_it_added_and_removed() -> None:
    body = {
        "update": update("FEDORA-2026-e", "bash-5.2-2.fc45", "readline-8.2-1.fc45"),
        "new_builds": ["readline-8.2-1.fc45"],
        "removed_builds": ["bash-5.2-1.fc45", "ncurses-6.4-1.fc45"],
        "new_bugs": [123],
        "agent": "alice",
    }
    event = decode("bodhi.update.edit", {}, encode(body))
    assert isinstance(event, UpdateChanged)
    assert [str(n) for n in event.removed_builds] == ["bash-5.2-1.fc45", "ncurses-6.4-1.fc45"]
    assert event.packages == ("bash", "readline", "ncurses")
    assert event.new_bugs == (123,)


@pytest.mark.parametrize(
    ("component", "product"),
    [
        ("bash", "Fedora"),  # bz4compat: strings
        ({"id": 1, "name": "bash"}, {"id": 49, "name": "Fedora"}),  # MessageV1: objects
        (["bash"], ["Fedora"]),  # REST: lists
    ],
)
def test_bug_components_come_as_strings_objects_or_lists(
    component: object, product: object
) -> None:
    body = {"bug": {"id": 7, "component": component, "product": product}, "event": {}}
    event = decode("bugzilla.bug.update", {}, encode(body))
    assert event == BugChanged(
        topic="bugzilla.bug.update", bug_id=7, components=("bash",), product="Fedora", new=False
    )


def test_a_bug_that_moved_names_its_former_component() -> None:
    change = {"field": "component", "removed": "selinux-policy", "added": "pcp"}
    body = {"bug": {"id": 1, "component": "pcp"}, "event": {"changes": [change]}}
    event = decode("bugzilla.bug.update", {}, encode(body))
    assert isinstance(event, BugChanged)
    assert (event.components, event.former_components) == (("pcp",), ("selinux-policy",))
    assert event.packages == ("pcp", "selinux-policy")


def test_pseudo_components_are_not_packages() -> None:
    body = {"bug": {"id": 1, "component": "Package Review", "product": "Fedora"}}
    event = decode("bugzilla.bug.new", {}, encode(body))
    assert isinstance(event, BugChanged)
    assert (event.new, event.component, event.packages) == (True, "Package Review", ())


def test_forks_and_other_namespaces_name_no_package() -> None:
    project = {"name": "bash", "namespace": "rpms", "parent": {"name": "bash"}, "user": {}}
    fork = decode("pagure.project.user.added", {}, encode({"project": project, "new_user": "x"}))
    assert isinstance(fork, OwnershipChanged)
    assert (fork.fork, fork.packages, fork.users) == (True, (), ("x",))
    push = decode("git.receive", {}, encode({"commit": {"repo": "bash", "namespace": "rpms"}}))
    assert isinstance(push, OwnershipChanged)
    assert push.packages == ("bash",)


def test_mdapi_names_are_hints() -> None:
    names = ["bash", "python3dist(requests)", "/usr/bin/sh", "", "bash", "libc.so.6()(64bit)"]
    event = decode("mdapi.repo.update", {}, encode({"name": "rawhide", "packages": names}))
    assert isinstance(event, RepoUpdated)
    assert event.packages == ("bash", "python3dist(requests)", "/usr/bin/sh", "libc.so.6()(64bit)")
    assert event.package_names == ("bash",)


def test_overrides_may_name_their_build_only() -> None:
    body = {"override": {"build": {"nvr": "bash-5.2-1.fc45", "id": 9}, "submitter": {}}}
    event = decode("bodhi.buildroot_override.untag", {}, encode(body))
    assert event == OverrideChanged(
        topic="bodhi.buildroot_override.untag",
        nvr=NVR("bash", "5.2", "1.fc45"),
        build_id=9,
        expired=True,
    )


def test_koji_instance_defaults_to_primary() -> None:
    body = {"name": "bash", "version": "5.2", "release": "1.fc45", "new": 1, "build_id": 3}
    event = decode("buildsys.build.state.change", {}, encode(body))
    assert isinstance(event, BuildStateChanged)
    assert event.instance == "primary"
    assert replace(event, instance="ppc").instance == "ppc"


# -- malformed bodies -----------------------------------------------------------------------

KOJI = {"name": "bash", "version": "5.2", "release": "1.fc45", "new": 1, "build_id": 3}

MALFORMED: list[tuple[str, bytes, str]] = [
    ("buildsys.build.state.change", b"", "body is not JSON"),
    ("buildsys.build.state.change", b"\xff\xfe\x00garbage", "body is not JSON"),
    ("buildsys.build.state.change", b"[1, 2]", "body is a list, not a JSON object"),
    ("buildsys.build.state.change", b"null", "body is null, not a JSON object"),
    ("buildsys.build.state.change", b"[" * 100_000, "body nests too deeply"),
    ("buildsys.build.state.change", b'{"new": ' + b"1" * 5000 + b"}", "body is not JSON"),
    ("buildsys.build.state.change", encode({**KOJI, "new": "1"}), "body.new: expected an integer"),
    ("buildsys.build.state.change", encode({**KOJI, "new": True}), "got a boolean"),
    ("buildsys.build.state.change", encode({**KOJI, "new": 1.0}), "got a number"),
    (
        "buildsys.build.state.change",
        encode({**KOJI, "name": ""}),
        "body.name: expected a non-empty",
    ),
    ("buildsys.build.state.change", encode({**KOJI, "name": "\ud800"}), "body.name"),
    ("buildsys.build.state.change", encode({**KOJI, "build_id": "3"}), "body.build_id"),
    ("buildsys.tag", encode(KOJI), "body.tag: expected a non-empty string, got nothing"),
    ("bodhi.update.request.testing", encode({"agent": "a"}), "body.update: expected an object"),
    ("bodhi.update.request.testing", encode({"update": {"builds": []}}), "body.update.alias"),
    (
        "bodhi.update.request.stable",
        encode({"update": update("A", "bash")}),
        "body.update.builds[0].nvr: 'bash' is not a name-version-release",
    ),
    (
        "bodhi.update.edit",
        encode({"update": update(), "removed_builds": "bash-1-1"}),
        "body.removed_builds: expected a list",
    ),
    (
        "bodhi.update.edit",
        encode({"update": update(), "new_bugs": ["1"]}),
        "body.new_bugs[0]: expected an integer",
    ),
    ("bodhi.update.complete.stable", encode({"update": {**update(), "builds": [1]}}), "builds[0]"),
    ("bodhi.buildroot_override.tag", encode({"override": {}}), "body.override.nvr"),
    ("bugzilla.bug.new", encode({"bug": {"id": 1}}), "body.bug.component"),
    ("bugzilla.bug.new", encode({"bug": {"id": 1, "component": []}}), "body.bug.component"),
    ("bugzilla.bug.new", encode({"bug": {"id": "1", "component": "x"}}), "body.bug.id"),
    ("bugzilla.bug.update", encode({"bug": {"id": 1, "component": {"id": 3}}}), "component.name"),
    ("pagure.project.edit", encode({"project": {"namespace": "rpms"}}), "body.project.name"),
    ("pagure.git.receive", encode({"repo": ["bash"]}), "body.repo: expected an object"),
    ("git.receive", encode({"commit": {"namespace": "rpms"}}), "body.commit.repo"),
    ("mdapi.repo.update", encode({"name": "rawhide"}), "body.packages: expected a list"),
    ("mdapi.repo.update", encode({"name": "f45", "packages": [1]}), "body.packages[0]"),
]


@pytest.mark.parametrize(("topic", "body", "reason"), MALFORMED)
def test_malformed_bodies_raise_one_typed_error(topic: str, body: bytes, reason: str) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        decode(f"{PROD_PREFIX}.{topic}", {}, body)
    assert caught.value.topic == topic
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{topic}: ")
    assert isinstance(caught.value, ValueError)
