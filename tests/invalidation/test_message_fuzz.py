"""Any bytes on any topic decode to an event or raise MalformedMessageError, nothing else.

Three generators, 1,500 examples in all: arbitrary bytes, arbitrary JSON (objects
keyed with the field names the decoders read), and real bodies with one node
replaced, retyped or removed. Whatever decodes must also pass through the rules.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.invalidation.keys import Tag
from gateway.invalidation.messages import PROD_PREFIX, TOPICS, MalformedMessageError, decode
from gateway.invalidation.rules import packages_of, reasons_of, tags_for
from simulator.bus import InProcessBus
from simulator.catalog.loader import generated_world
from simulator.mutations import KINDS, MutationError, Mutator

TOPIC_NAMES = sorted(TOPICS)

#: the names the decoders look up, so generated objects reach past the first check
FIELDS = [
    *("name", "version", "release", "build_id", "old", "new", "owner", "instance", "task_id"),
    *("tag", "user", "update", "alias", "builds", "nvr", "status", "request", "agent"),
    *("comment", "author", "karma", "update_alias", "new_builds", "removed_builds", "new_bugs"),
    *("artifact", "id", "override", "build", "submitter", "bug", "component", "product"),
    *("event", "changes", "field", "removed", "routing_key", "project", "namespace", "parent"),
    *("new_user", "removed_user", "repo", "commit", "packages", "branch"),
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["bash-5.2-1.fc45", "bash", "", "\ud800", "rpms", "primary", "F45"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)
json_objects = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)
topics = st.sampled_from(TOPIC_NAMES)


def check(topic: str, body: bytes) -> None:
    """The property: a typed event that the rules accept, or the one typed error."""
    try:
        event = decode(f"{PROD_PREFIX}.{topic}", {"sent-at": body[:8]}, body, "fuzz")
    except MalformedMessageError as error:
        failure: MalformedMessageError | None = error
    else:
        failure = None
    if failure is not None:
        assert (failure.topic, bool(failure.reason)) == (topic, True)
        return
    assert event.topic == topic
    assert all(isinstance(tag, str) for tag in tags_for(event))
    assert all(isinstance(name, str) and name for name in packages_of(event))
    assert all(isinstance(word, str) for word in reasons_of(event))
    assert {Tag(t) for t in tags_for(event)} == tags_for(event)


def dumps(value: object) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None)
@given(topic=topics, body=st.binary(max_size=200))
def test_arbitrary_bytes(topic: str, body: bytes) -> None:
    check(topic, body)


@settings(max_examples=500, deadline=None)
@given(topic=topics, body=json_values | json_objects)
def test_arbitrary_json(topic: str, body: object) -> None:
    check(topic, dumps(body))


@functools.cache
def real_bodies() -> tuple[tuple[str, str], ...]:
    """One simulated message body per topic the mutations publish, as JSON text."""
    world = generated_world(size=150)
    bus = InProcessBus(history=10_000)
    mutator = Mutator(world, bus, seed=7)
    names = sorted(p.name for p in world.packages.values() if not p.retired)[:3]

    async def mutate() -> None:
        for kind in (*KINDS, "update", "update", "update", "update"):
            for name in names:
                try:
                    await mutator.apply(kind, name)
                except MutationError:
                    continue

    asyncio.run(mutate())
    by_topic = {message.topic: json.dumps(message.body) for message in bus.recent()}
    return tuple(sorted(by_topic.items()))


def paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a JSON value (keys and list indexes)."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            found += paths(item, (*here, index))
    return found


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_real_bodies_with_one_node_broken(data: st.DataObject) -> None:
    topic, text = data.draw(st.sampled_from(real_bodies()), label="message")
    body = json.loads(text)
    path = data.draw(st.sampled_from(paths(body)[1:]), label="path")
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    how = data.draw(st.sampled_from(["replace", "remove", "wrap"]), label="how")
    if how == "remove" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "wrap":
        parent[path[-1]] = [parent[path[-1]]]
    else:
        parent[path[-1]] = data.draw(json_values, label="value")
    check(topic, dumps(body))


def test_the_real_bodies_cover_the_simulated_topics() -> None:
    assert len(real_bodies()) >= 12
    for topic, text in real_bodies():
        check(topic, text.encode())
