"""Hostile Kafka records: every consumed topic of every service gets garbage, and its consumer shrugs it off.

Each service runs in-process (`bootstrap` and its lifespan) on the session's real Kafka and MongoDB-wire
servers. To each topic its consumer reads go records that can never be handled: random bytes, truncated
JSON, fields of the wrong type, a 900 KB body, CloudEvents headers missing, a valid header set over a body
that fails its schema, and an unknown major version of a known event. Each must land in the topic's
dead-letter topic with a `dlt_reason`; the consumer must keep running; and a valid event sent after them
all must still have its effect (a person copied, points credited, an inbox message).

The directory consumes no topic (it is where people come from), so it has nothing to fuzz here; the test
holds that, so a topic it starts to read later is fuzzed too.
"""

import json
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from directory.bootstrap import bootstrap as directory_bootstrap
from directory.config import DirectorySettings
from enrolment.bootstrap import bootstrap as enrolment_bootstrap
from enrolment.config import EnrolmentSettings
from gamification.bootstrap import bootstrap as gamification_bootstrap
from gamification.config import GamificationSettings
from mentoring.bootstrap import bootstrap as mentoring_bootstrap
from mentoring.config import MentoringSettings
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.config import NotificationsSettings
from shared.contracts import directory, enrolment
from shared.contracts.base import IntegrationEvent, all_contracts
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.kafka import DEAD_LETTER_SUFFIX
from shared.settings import ServiceSettings
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import caught_up, cloud_event_record, eventually, header, produce, read_topic

pytestmark = pytest.mark.infra

Record = tuple[bytes | None, bytes, dict[str, str]]

HUGE_BYTES = 900 * 1024
"""A body this big stays under Kafka's default 1 MB record limit, with room for the dead-letter headers."""


def enrolled(person_id: str) -> enrolment.ApplicationEnrolledV1:
    return enrolment.ApplicationEnrolledV1(
        application_id=unique("application"),
        course_id=unique("course"),
        course_title="Python for analysts",
        cohort_id=unique("cohort"),
        person_id=person_id,
        locale="en",
    )


def upserted(person_id: str) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=person_id,
        display_name=person_id.title(),
        email=f"{person_id}@example.com",
        department="R&D",
        locale="en",
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


Effect = Callable[[Any, str], Awaitable[bool]]


async def person_copied(service: Any, person_id: str) -> bool:
    return await service.people.get(person_id) is not None


async def points_credited(service: Any, person_id: str) -> bool:
    return bool(await service.ledger.balance(person_id) > 0)


async def inbox_message(service: Any, person_id: str) -> bool:
    return bool(await service.inbox.messages(person_id, limit=10, offset=0))


@dataclass(frozen=True)
class Target:
    name: str
    settings: type[ServiceSettings]
    build: Callable[[Any], Any]
    valid: Callable[[str], IntegrationEvent]
    """A valid event, about the given person, this service reacts to..."""
    effect: Effect
    """...and how to see that it did."""


TARGETS = [
    Target("enrolment", EnrolmentSettings, enrolment_bootstrap, upserted, person_copied),
    Target("mentoring", MentoringSettings, mentoring_bootstrap, upserted, person_copied),
    Target("gamification", GamificationSettings, gamification_bootstrap, enrolled, points_credited),
    Target("notifications", NotificationsSettings, notifications_bootstrap, enrolled, inbox_message),
]


def _headers_for(ce_type: str, key: str) -> dict[str, str]:
    """A valid CloudEvents header set for an event of `ce_type` (whatever its body)."""
    return {
        "ce_id": unique("hostile"),
        "ce_source": "/hostile",
        "ce_specversion": "1.0",
        "ce_type": ce_type,
        "ce_time": "2026-01-01T00:00:00Z",
        "ce_subject": key,
        "content-type": "application/json",
        "ce_correlationid": "hostile",
    }


def _sample_contract(topic: str) -> type[IntegrationEvent]:
    return next(c for c in all_contracts() if c.topic == topic)


def _sample_body(contract: type[IntegrationEvent]) -> dict[str, Any]:
    """A body with every field of `contract` present, each a plausible value of its JSON type."""
    schema = contract.model_json_schema()
    body: dict[str, Any] = {}
    for name, field in schema.get("properties", {}).items():
        kind = field.get("type") or next((o.get("type") for o in field.get("anyOf", []) if o.get("type")), "string")
        body[name] = {"string": "x", "integer": 1, "number": 1.0, "boolean": True, "array": [], "object": {}}.get(
            kind, "x"
        )
    return body


def _wrong_types(body: dict[str, Any]) -> dict[str, Any]:
    """The same fields, each of a type it can never be."""
    return {
        name: ({"nested": [1, 2]} if isinstance(value, str) else "not-a-" + type(value).__name__)
        for name, value in body.items()
    }


def hostile_records(topic: str) -> dict[str, Record]:
    """Records that can never be handled, by a key naming what is wrong with each."""
    contract = _sample_contract(topic)
    body = _sample_body(contract)
    good = json.dumps(body).encode()
    rng = random.Random(topic)
    records: dict[str, Record] = {}

    def add(kind: str, value: bytes, ce_type: str | None = contract.ce_type, **changes: str | None) -> None:
        key = unique(f"hostile-{kind}")
        headers = _headers_for(ce_type, key) if ce_type is not None else {}
        for name, replacement in changes.items():
            if replacement is None:
                headers.pop(name, None)
            else:
                headers[name] = replacement
        records[kind] = (key.encode(), value, headers)

    add("random-bytes", bytes(rng.getrandbits(8) for _ in range(512)), ce_type=None)
    add("random-bytes-with-headers", os.urandom(256) + b"\xff\xfe")
    add("truncated-json", good[: len(good) // 2])
    add("wrong-types", json.dumps(_wrong_types(body)).encode())
    add("json-not-an-object", b"[1, 2, 3]")
    add("huge", json.dumps({**body, "padding": "x" * HUGE_BYTES}).encode())
    add("no-cloudevents-headers", good, ce_type=None)
    add("no-ce-id", good, ce_id=None)
    add("no-ce-source", good, ce_source=None)
    add("wrong-specversion", good, ce_specversion="0.3")
    add("fails-its-schema", json.dumps({"unexpected": True}).encode())
    return records


def unknown_version_record(event: IntegrationEvent) -> Record:
    """`event` as a valid-looking CloudEvent of a major version no contract declares, e.g. `...enrolled.v99`."""
    ce_type = event.ce_type.rsplit(".v", 1)[0] + ".v99"
    key = unique("hostile-unknown-version")
    return key.encode(), json.dumps(event.model_dump(mode="json")).encode(), _headers_for(ce_type, key)


@pytest.fixture(params=TARGETS, ids=lambda target: target.name)
async def running(
    request: pytest.FixtureRequest, servers: Servers
) -> AsyncIterator[tuple[Target, Any, ServiceSettings]]:
    target: Target = request.param
    made = isolated(target.settings, servers, target.name)
    service = target.build(made)
    try:
        await service.runtime.start()
        try:
            yield target, service, made
        finally:
            await service.runtime.stop()
    finally:
        await remove(servers, made)


async def _send_valid_and_see_it_handled(target: Target, service: Any, made: ServiceSettings, bootstrap: str) -> None:
    person = unique("person")
    valid = OutboxEvent.of(target.valid(person), source="/hostile-test", correlation_id="hostile")
    await produce(bootstrap, made.topic_prefix + valid.topic, [cloud_event_record(valid)])

    async def handled() -> bool:
        return await target.effect(service, person)

    await eventually(handled, bool, timeout=60)


async def _caught_up(bootstrap: str, made: ServiceSettings, topics: list[str]) -> None:
    async def committed() -> bool:
        return await caught_up(bootstrap, made.consumer_group, topics)

    await eventually(committed, bool, timeout=60)


async def test_every_hostile_record_is_dead_lettered_and_the_consumer_goes_on(
    running: tuple[Target, Any, ServiceSettings], servers: Servers
) -> None:
    target, service, made = running
    bootstrap = servers.kafka_bootstrap
    topics: list[str] = service.runtime.consumer.topics
    assert topics, f"{target.name} consumes nothing: move it to the test of services that consume nothing"
    sent: dict[str, dict[str, Record]] = {}
    for topic in topics:
        sent[topic] = hostile_records(topic.removeprefix(made.topic_prefix))
        await produce(bootstrap, topic, list(sent[topic].values()))

    # Sent after every hostile record: it is handled, so the consumer kept running past them all.
    await _send_valid_and_see_it_handled(target, service, made, bootstrap)
    await _caught_up(bootstrap, made, topics)

    problems: list[str] = []
    for topic, records in sent.items():
        letters = await read_topic(bootstrap, topic + DEAD_LETTER_SUFFIX, at_least=len(records), timeout=30)
        by_key = {bytes(letter.key).decode(): letter for letter in letters if letter.key}
        for kind, (key, value, _) in records.items():
            assert key is not None
            letter = by_key.get(key.decode())
            if letter is None:
                problems.append(f"{topic}: the {kind} record is not in {topic}{DEAD_LETTER_SUFFIX}")
                continue
            if header(letter, "dlt_reason") != "malformed" or not header(letter, "dlt_error"):
                problems.append(f"{topic}: the {kind} record's dead letter gives no reason: {letter.headers!r}"[:500])
            if letter.value != value:
                problems.append(f"{topic}: the {kind} record's dead letter does not keep its value")
        unexpected = [key for key in by_key if not key.startswith("hostile-")]
        if unexpected:
            problems.append(f"{topic}: records dead-lettered that were not hostile: {unexpected}")
    assert not problems, "\n".join(problems)


async def test_an_unknown_version_of_a_known_event_is_dead_lettered(
    running: tuple[Target, Any, ServiceSettings], servers: Servers
) -> None:
    target, service, made = running
    bootstrap = servers.kafka_bootstrap
    topics: list[str] = service.runtime.consumer.topics
    # The event the service reacts to, in a version it cannot know (`...enrolled.v99`, `...upserted.v99`).
    topic = made.topic_prefix + target.valid("someone").topic
    record = unknown_version_record(target.valid(unique("person")))
    await produce(bootstrap, topic, [record])
    await _send_valid_and_see_it_handled(target, service, made, bootstrap)
    await _caught_up(bootstrap, made, topics)
    # Caught up: had it been dead-lettered, that happened before the commit, so it is in the topic by now.
    letters = await read_topic(bootstrap, topic + DEAD_LETTER_SUFFIX, at_least=1, timeout=5)
    reasons = [header(letter, "dlt_reason") for letter in letters if letter.key == record[0]]
    assert reasons == ["unknown-version"], f"{record[2]['ce_type']} was not dead-lettered"


async def test_the_directory_consumes_nothing(servers: Servers) -> None:
    made = isolated(DirectorySettings, servers, "directory")
    assert directory_bootstrap(made).runtime.consumer.topics == []
