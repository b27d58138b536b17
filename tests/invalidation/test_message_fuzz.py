"""Any bytes on any topic decode to an event or raise MalformedMessageError, nothing else.

Three generators, 1,500 examples in all: arbitrary bytes, arbitrary JSON (objects
keyed with the field names the decoders read), and real bodies with one node
replaced, retyped or removed. Whatever decodes must also pass through the rules.

Then the same kinds of bodies, 1,200 of them with odd headers and routing keys, go
through the whole embedded worker, and each must be counted: handled, ignored or
dropped as malformed — none crashing the handler.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.backends import field_cache
from gateway.demo import embedded_worker
from gateway.invalidation.feed import MemoryFeed
from gateway.invalidation.keys import Tag
from gateway.invalidation.local import LocalConsumer
from gateway.invalidation.messages import PROD_PREFIX, TOPICS, MalformedMessageError, decode
from gateway.invalidation.rules import packages_of, reasons_of, tags_for
from simulator.app import Simulation
from simulator.app import create_app as create_simulator
from simulator.bus import InProcessBus
from simulator.catalog.loader import generated_world
from simulator.messages import Message
from simulator.mutations import KINDS, MutationError, Mutator
from tests.gateway.conftest import settings_for
from tests.observability.conftest import running, sample

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


# -- through the worker ---------------------------------------------------------------------

#: Fuzzed messages pushed through the embedded worker, by how they are made.
THROUGH_THE_WORKER = {"bytes": 200, "json": 300, "broken": 600, "real": 100}

PACKAGE_PAGE = """
query Page($name: String!) {
  package(name: $name) {
    summary maintainers { name } versions { stable testing }
    builds(first: 5) { totalCount nodes { nvr state tags } }
    updates(first: 5) { totalCount nodes { alias status } }
    bugs(first: 5) { totalCount nodes { id status } }
  }
}
"""


@dataclass(frozen=True, slots=True)
class RawMessage(Message):
    """A message whose AMQP payload is any bytes, on any routing key."""

    raw: bytes = b""
    prefix: str = PROD_PREFIX

    @property
    def routing_key(self) -> str:
        return f"{self.prefix}.{self.topic}"

    def encoded_body(self) -> bytes:
        return self.raw


def _random_json(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth < 3 and roll < 0.25:
        return {
            rng.choice([*FIELDS, "x", ""]): _random_json(rng, depth + 1)
            for _ in range(rng.randrange(6))
        }
    if depth < 3 and roll < 0.4:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return rng.choice(
        [
            None,
            True,
            False,
            0,
            -1,
            2**64,
            rng.randrange(-(10**6), 10**6),
            rng.random() * 1e300,
            float("nan"),
            float("inf"),
            "",
            "bash",
            "bash-5.2-1.fc45",
            "F45",
            "rpms",
            "\ud800",
            "\x00",
            "x" * rng.randrange(300),
            "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(12))),
        ]
    )


def _broken(rng: random.Random, text: str) -> object:
    """A real body with one node replaced, removed or wrapped in a list."""
    body = json.loads(text)
    path = rng.choice(paths(body)[1:])
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    how = rng.choice(["replace", "remove", "wrap"])
    if how == "remove" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "wrap":
        parent[path[-1]] = [parent[path[-1]]]
    else:
        parent[path[-1]] = _random_json(rng)
    return body


def _headers(rng: random.Random) -> dict[str, Any]:
    """Headers as a broker may deliver them: ``sent-at`` of any type, or none."""
    sent_at = rng.choice(
        [
            datetime.now(UTC).isoformat(),
            "2026-05-01T12:00:00",
            "9999-12-31T23:59:59+23:59",
            "0001-01-01T00:00:00-23:59",
            "yesterday",
            b"\xff\xfe",
            12,
            None,
        ]
    )
    headers: dict[str, Any] = {"fedora_messaging_schema": rng.choice(["", "base.message"])}
    if sent_at is not None:
        headers["sent-at"] = sent_at
    return headers


def fuzzed_messages(seed: int = 2026) -> list[RawMessage]:
    """The corpus, the same on every run: bytes, JSON, broken and intact real bodies."""
    rng = random.Random(seed)
    real = real_bodies()
    made: list[RawMessage] = []
    for kind, count in THROUGH_THE_WORKER.items():
        for number in range(count):
            topic = rng.choice(TOPIC_NAMES)
            if kind == "bytes":
                raw = rng.randbytes(rng.randrange(200))
            elif kind == "json":
                raw = dumps(_random_json(rng))
            else:
                topic, text = rng.choice(real)
                raw = dumps(_broken(rng, text)) if kind == "broken" else text.encode()
            if number % 20 == 19:  # now and then a topic or a prefix nobody reads
                topic = rng.choice(["some.topic.nobody.reads", "", "buildsys"])
            prefix = "org.fedoraproject.stg" if number % 50 == 49 else PROD_PREFIX
            made.append(
                RawMessage(
                    topic=topic,
                    body={},
                    headers=_headers(rng),
                    id=f"{kind}-{number}",
                    raw=raw,
                    prefix=prefix,
                )
            )
    return made


async def test_a_thousand_fuzzed_messages_through_the_worker_crash_nothing() -> None:
    """The demo's worker — in-process bus, consumer, metrics, invalidator, refills, search
    updates, change feed — fed 1,200 fuzzed messages, the packages they name being read
    (so their entries are live and refilled). Each message is counted once: handled,
    ignored or dropped as malformed; none fails or is retried, and the gateway answers on."""
    world = generated_world(size=150)
    corpus = await asyncio.to_thread(fuzzed_messages)  # real_bodies runs its own loop
    bus = InProcessBus(history=10)
    simulator = httpx.ASGITransport(app=create_simulator(Simulation(world)))
    settings = settings_for("http://simulator.test")
    feed = MemoryFeed()
    app = create_app(
        settings,
        transport=simulator,
        cache=field_cache(settings),
        lifespan=embedded_worker(bus, feed, settings),
        feed=feed,
    )
    named = sorted(p.name for p in world.packages.values() if not p.retired)[:3]
    async with running(app) as client:
        for name in named:
            page = await client.post(
                "/graphql", json={"query": PACKAGE_PAGE, "variables": {"name": name}}
            )
            assert "errors" not in page.json(), page.text
        for message in corpus:
            await bus.publish(message)
        consumer: LocalConsumer = app.state.consumer
        for _ in range(6000):  # 120 s
            if consumer.received >= len(corpus):
                break
            await asyncio.sleep(0.02)
        async with asyncio.timeout(60):
            await consumer.idle()
        text = (await client.get("/metrics")).text
        after = await client.post(
            "/graphql", json={"query": PACKAGE_PAGE, "variables": {"name": named[0]}}
        )
    counts = app.state.invalidator.counts
    print(
        f"{len(corpus)} fuzzed messages: consumer handled {consumer.handled}, dropped "
        f"{consumer.dropped}, retried {consumer.retried}; invalidator {dict(counts)}"
    )
    assert len(corpus) >= 1000
    assert consumer.received == len(corpus)
    assert consumer.retried == 0
    assert consumer.handled + consumer.dropped == len(corpus)
    assert counts["handled"] + counts["ignored"] + counts["malformed"] == len(corpus)
    assert counts["malformed"] == consumer.dropped
    assert min(counts["handled"], counts["ignored"], counts["malformed"]) > 0
    assert counts["refill_failed"] == 0
    messages = "fedora_gateway_bus_messages_total"
    assert sample(text, messages, outcome="handled") == consumer.handled
    assert sample(text, messages, outcome="dropped") == consumer.dropped
    assert sample(text, messages) == len(corpus)
    for result in ("handled", "ignored", "malformed"):
        assert sample(text, "fedora_gateway_bus_events_total", result=result) == counts[result]
    assert after.status_code == 200
    assert "errors" not in after.json(), after.text
