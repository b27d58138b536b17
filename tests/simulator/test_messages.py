"""Bus messages: fedora-messaging's wire format, checked against Fedora's own schema classes.

:func:`assert_fedora_message` is the oracle the mutation tests use too: the message
loads through ``fedora_messaging.message.loads`` (the library's own file format)
into the schema class its ``fedora_messaging_schema`` header names, validates
against that class's JSON schemas, and carries exactly the headers the class
itself would set — severity, priority, schema package, and the filter headers of
its ``usernames`` and ``packages``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from fedora_messaging import message as fm

from simulator import messages
from simulator.catalog.model import BuildState, Package
from simulator.messages import TOPIC_PREFIX, Message
from simulator.world import World

_FILTER_PREFIXES = tuple(
    f"fedora_messaging_{kind}_"
    for kind in ("user", "group", "rpm", "container", "module", "flatpak")
)


def assert_fedora_message(message: Message) -> fm.Message:
    """``message`` as fedora-messaging reads it, validated; returns the schema object."""
    cls = fm.get_class(message.schema)
    assert cls is not fm.Message, f"no installed schema class is named {message.schema!r}"
    assert fm.get_name(cls) == message.schema
    assert cls.topic in ("", message.topic), (cls.topic, message.topic)
    (loaded,) = fm.loads(message.dumps())
    assert type(loaded) is cls
    loaded.validate()
    assert loaded.id == message.id
    assert loaded.topic == message.routing_key
    fresh = cls(body=message.body, topic=message.routing_key)
    expected = dict(fresh._headers)
    mine = dict(message.headers)
    assert mine.pop("sent-at")
    expected.pop("sent-at")
    assert mine == expected, sorted(set(mine.items()) ^ set(expected.items()))
    assert message.priority == fresh.priority
    assert {k for k in message.headers if k.startswith(_FILTER_PREFIXES)} == set(
        fresh._filter_headers()
    )
    assert str(loaded)
    assert loaded.summary
    return loaded


def a_package(world: World) -> Package:
    """A live package with a rawhide build and a maintainer."""
    for name in sorted(world.packages):
        package = world.packages[name]
        if package.retired or package.owner == "orphan" or not package.subpackages:
            continue
        if world.latest_tagged(world.rawhide.dist_tag, package.id) is not None:
            return package
    raise AssertionError("no suitable package")


# -- the Message value --------------------------------------------------------------------


def test_a_message_has_fedora_messaging_headers_and_routing_key() -> None:
    message = messages.repo_update("rawhide", ["bash", "bash-doc"], rawhide=True)
    assert message.topic == "mdapi.repo.update"
    assert message.routing_key == f"{TOPIC_PREFIX}.mdapi.repo.update"
    assert message.routing_key.startswith("org.fedoraproject.prod.")
    assert message.headers["fedora_messaging_schema"] == "mdapi.repo.update"
    assert message.headers["fedora_messaging_schema_package"] == "mdapi_messages"
    assert message.headers["fedora_messaging_severity"] == messages.INFO
    assert message.headers["priority"] == 0
    sent = datetime.fromisoformat(str(message.headers["sent-at"]))
    assert sent.microsecond == 0
    assert sent.utcoffset() is not None
    assert len(message.id) == 36
    assert message.id.count("-") == 4
    assert json.loads(message.encoded_body()) == message.body
    assert_fedora_message(message)


def test_every_schema_entry_point_is_installed_with_its_package() -> None:
    fm.load_message_classes()
    for topic, schema in messages.SCHEMAS.items():
        cls = fm.get_class(schema.name)
        assert cls is not fm.Message, topic
        assert fm._schema_name_to_package[schema.name] == schema.package, topic
        assert cls.severity == schema.severity, topic
        assert cls.topic in ("", topic), topic


def test_dump_lines_round_trip_through_fedora_messaging() -> None:
    batch = [
        messages.repo_update("rawhide", ["bash"], rawhide=True),
        messages.repo_update("f45", ["bash", "bash-doc"], rawhide=False),
    ]
    text = messages.dumps(batch)
    assert text.count("\n") == 2
    loaded = fm.loads(text)
    assert [m.id for m in loaded] == [m.id for m in batch]
    assert [m.body for m in loaded] == [m.body for m in batch]
    again = messages.loads(text)
    assert again == batch
    line = json.loads(text.splitlines()[0])
    assert set(line) == {"topic", "headers", "id", "body", "queue", "priority"}
    assert line["topic"] == "org.fedoraproject.prod.mdapi.repo.update"


def test_filter_headers_name_users_and_packages() -> None:
    message = Message.create(
        "buildsys.tag", {"name": "bash"}, usernames=["bodhi", "alice"], packages=["bash"]
    )
    assert message.usernames == ["bodhi", "alice"]
    assert message.packages == ["bash"]
    assert message.headers["fedora_messaging_user_alice"] is True
    assert message.severity == messages.DEBUG


# -- builders, rendered from a world --------------------------------------------------------


def _build_messages(world: World) -> tuple[list[Message], Any]:
    package = a_package(world)
    build = world.latest_tagged(world.rawhide.dist_tag, package.id)
    assert build is not None
    started = messages.build_state_change(world, build, old=None)
    done = messages.build_state_change(world, build, old=BuildState.BUILDING)
    return [started, done], build


def test_build_state_change_is_what_the_koji_plugin_sends(world: World) -> None:
    (started, done), build = _build_messages(world)
    for message in (started, done):
        loaded = assert_fedora_message(message)
        assert loaded.packages == [build.name]
        assert loaded.usernames == [build.owner]
        body = message.body
        assert body["instance"] == "primary"
        assert body["base_url"] == "https://koji.fedoraproject.org"
        assert body["url"].endswith(f"buildID={build.id}")
        assert "T" in body["creation_time"]
        assert body["creation_time"].endswith("+00:00")
        assert body["task"]["id"] == build.task_id
        assert isinstance(body["task"]["create_time"], float)
        assert body["request"] == body["task"]["request"]
        assert body["request"][1] == build.target
        flat = json.dumps(body)
        for scrubbed in ("_ts", "weight"):
            assert f'{scrubbed}"' not in flat
    assert started.body["old"] is None
    assert done.body["old"] == 0
    assert done.body["new"] == int(build.state)


def test_tag_messages_carry_koji_priorities(fresh_world: World) -> None:
    world = fresh_world  # adds a tag
    (_, _), build = _build_messages(world)
    rawhide = world.rawhide
    tagged = messages.tag(world, build, rawhide.dist_tag, user="bodhi")
    untagged = messages.untag(world, build, rawhide.dist_tag, user="releng")
    for message in (tagged, untagged):
        loaded = assert_fedora_message(message)
        assert loaded.packages == [build.name]
        assert message.priority == 2
        assert message.body["tag_id"] == world.tags[rawhide.dist_tag].id
    world.add_tag(f"{rawhide.dist_tag}-rebuild", parent=rawhide.dist_tag)
    rebuild = messages.tag(world, build, f"{rawhide.dist_tag}-rebuild", user="releng")
    assert assert_fedora_message(rebuild).priority == rebuild.priority == 0


def test_bodhi_messages_embed_the_update_json(world: World) -> None:
    update = next(u for u in world.updates.values() if u.comments and u.status.value == "stable")
    name = world.builds[update.build_ids[0]].name
    built = [
        messages.update_request(world, update, "stable", agent=update.submitter),
        messages.update_complete(world, update),
        messages.update_comment(world, update, update.comments[-1]),
        messages.update_ready_for_testing(world, update),
        messages.update_karma_threshold(world, update, "stable"),
        messages.update_requirements_met(world, update),
    ]
    for message in built:
        loaded = assert_fedora_message(message)
        assert name in loaded.packages
        assert update.submitter in loaded.usernames
    comment = built[2]
    assert comment.body["comment"]["update"]["alias"] == update.alias
    assert comment.body["comment"]["user"]["name"] == update.comments[-1].user
    assert built[3].severity == messages.DEBUG
    assert built[3].body["artifact"]["builds"][0]["nvr"] == world.builds[update.build_ids[0]].nvr


def test_pagure_and_mdapi_messages(world: World) -> None:
    package = a_package(world)
    for message in (
        messages.project_edit(world, package, agent=package.owner, fields=["user"]),
        messages.project_user_added(
            world, package, agent=package.owner, user="someone", access="commit"
        ),
        messages.project_user_access_updated(
            world, package, agent=package.owner, user="someone", access="admin"
        ),
    ):
        loaded = assert_fedora_message(message)
        assert message.body["project"]["name"] == package.name
        assert message.body["project"]["fullname"] == f"rpms/{package.name}"
        assert loaded.usernames == [package.owner]
    repo = messages.repo_update("f45", [package.name], rawhide=False)
    assert_fedora_message(repo)
    assert repo.body["url"].startswith("fedora/linux/updates/45/")


def test_bug_messages_are_bz4compat(world: World) -> None:
    bug = next(b for b in world.bugs.values() if b.is_open)
    filed = messages.bug_new(world, bug)
    changed = messages.bug_update(
        world,
        bug,
        [messages.BugChange("status", "Status", "NEW", "ASSIGNED")],
        who=bug.assignee,
    )
    for message in (filed, changed):
        loaded = assert_fedora_message(message)
        assert loaded.packages == [bug.component]
        assert message.body["bug"]["component"] == bug.component
        assert message.body["bug"]["id"] == bug.id
    assert filed.topic == "bugzilla.bug.new"
    assert filed.body["event"]["routing_key"] == "bug.create"
    assert changed.topic == "bugzilla.bug.update"
    assert changed.body["event"]["changes"][0]["added"] == "ASSIGNED"
    assert changed.body["event"]["who"] == bug.assignee


@pytest.mark.parametrize(
    ("tag", "priority"), [("f46-rebuild", 0), ("eln", 1), ("eln-build", 1), ("f46", 2)]
)
def test_tag_priority_rule(tag: str, priority: int) -> None:
    assert messages._tag_priority(tag) == priority
