"""Reliable consumption on the real broker and store: redelivery, retries, poison records, replay."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.enrolment import TOPIC, ApplicationEnrolledV1
from shared.messaging.cloudevents import Envelope, OutboxEvent
from shared.messaging.consumer import Delivery, Rejected, ReliableConsumer
from shared.messaging.dead_letters import read_dead_letters, replay
from shared.messaging.kafka import build_broker, ensure_topics
from shared.persistence.mongo import Document, connect, insert_new, insert_once
from tests.support.infra import Servers
from tests.support.kafka import cloud_event_record, eventually, produce


def enrolled(person_id: str) -> OutboxEvent:
    return OutboxEvent.of(
        ApplicationEnrolledV1(
            application_id=f"app-{person_id}",
            course_id="course-1",
            course_title="Python",
            cohort_id="cohort-1",
            person_id=person_id,
            locale="en",
        ),
        source="/owlery/tests",
        correlation_id="corr-1",
    )


@dataclass
class Harness:
    servers: Servers
    database: AsyncDatabase[Document]
    topic: str
    calls: list[str] = field(default_factory=list)
    failures_left: dict[str, int] = field(default_factory=dict)  # person id -> failures before success
    refused: set[str] = field(default_factory=set)  # person ids whose events can never be applied

    async def handler(self, event: ApplicationEnrolledV1, envelope: Envelope) -> None:
        self.calls.append(event.person_id)
        if event.person_id in self.refused:
            raise Rejected(f"no rule knows {event.person_id}")
        if self.failures_left.get(event.person_id, 0) > 0:
            self.failures_left[event.person_id] -= 1
            raise ConnectionError("the store blinked")
        # The effect is keyed by the event id, as every real handler's is.
        await insert_once(self.database, "effects", {"_id": envelope.id, "person_id": event.person_id})

    async def effects(self) -> list[str]:
        return [doc["person_id"] async for doc in self.database["effects"].find({}).sort("person_id")]

    async def send(self, *records: tuple[bytes | None, bytes, dict[str, str]]) -> None:
        await produce(self.servers.kafka_bootstrap, self.topic, list(records))


@pytest.fixture
async def harness(servers: Servers, unique_name: str) -> AsyncIterator[Harness]:
    client = connect(servers.mongodb_url)
    database = client[unique_name]
    topic = f"{unique_name}.{TOPIC}"
    await ensure_topics(servers.kafka_bootstrap, [topic], partitions=3)
    broker = build_broker(servers.kafka_bootstrap, client_id=unique_name)
    harness = Harness(servers, database, topic)
    consumer = ReliableConsumer(
        name=unique_name,
        database=database,
        broker=broker,
        topic_prefix=f"{unique_name}.",
        max_attempts=3,
        retry_backoff_seconds=0.05,
    )
    consumer.on(ApplicationEnrolledV1, harness.handler)
    consumer.subscribe()
    await broker.start()
    try:
        yield harness
    finally:
        await broker.stop()
        await client.drop_database(unique_name)
        await client.close()


async def test_a_redelivered_event_has_one_effect(harness: Harness) -> None:
    event = cloud_event_record(enrolled("anna"))
    await harness.send(event, event)
    await eventually(harness.effects, lambda people: people == ["anna"])
    await harness.send(cloud_event_record(enrolled("boris")))  # proves the duplicate was consumed, not pending
    await eventually(harness.effects, lambda people: people == ["anna", "boris"])
    assert harness.calls.count("anna") == 1


async def test_a_handler_failing_once_is_retried_and_has_one_effect(harness: Harness) -> None:
    harness.failures_left["anna"] = 1
    await harness.send(cloud_event_record(enrolled("anna")))
    await eventually(harness.effects, lambda people: people == ["anna"])
    assert harness.calls == ["anna", "anna"]
    assert await read_dead_letters(harness.servers.kafka_bootstrap, harness.topic) == []


async def test_poison_records_go_to_the_dead_letter_topic_and_the_partition_keeps_flowing(harness: Harness) -> None:
    valid = enrolled("anna")
    key, _, headers = cloud_event_record(valid)
    not_json = (key, b"{this is not json", {**headers, "ce_id": "poison-1"})
    wrong_schema = (key, b'{"person_id": 42}', {**headers, "ce_id": "poison-2"})
    await harness.send(not_json, wrong_schema, cloud_event_record(valid))  # one key: one partition, in order

    await eventually(harness.effects, lambda people: people == ["anna"])
    letters = await eventually(
        lambda: read_dead_letters(harness.servers.kafka_bootstrap, harness.topic), lambda found: len(found) == 2
    )
    by_id = {letter.headers["ce_id"]: letter for letter in letters}
    assert by_id["poison-1"].reason == "malformed"
    assert "not JSON" in by_id["poison-1"].error
    assert by_id["poison-2"].reason == "malformed"
    assert "application_id" in by_id["poison-2"].error and "person_id" in by_id["poison-2"].error
    assert {letter.original_topic for letter in letters} == {harness.topic}
    assert by_id["poison-1"].original_offset + 1 == by_id["poison-2"].original_offset
    assert by_id["poison-1"].value == b"{this is not json"


async def test_a_handler_that_keeps_failing_is_dead_lettered_then_replayed_once_fixed(harness: Harness) -> None:
    harness.failures_left["anna"] = 3  # every attempt fails
    await harness.send(cloud_event_record(enrolled("anna")), cloud_event_record(enrolled("boris")))
    await eventually(harness.effects, lambda people: people == ["boris"])
    letters = await eventually(
        lambda: read_dead_letters(harness.servers.kafka_bootstrap, harness.topic), lambda found: len(found) == 1
    )
    assert letters[0].reason == "handler-failed"
    assert "the store blinked" in letters[0].error
    assert letters[0].headers["dlt_attempts"] == "3"

    replayed = await replay(harness.servers.kafka_bootstrap, harness.topic, {letters[0].address})
    assert len(replayed) == 1
    await eventually(harness.effects, lambda people: people == ["anna", "boris"])
    await asyncio.sleep(0.5)
    assert harness.calls.count("anna") == 4


async def test_a_rejected_event_is_dead_lettered_at_once_and_never_retried(harness: Harness) -> None:
    harness.refused.add("anna")
    await harness.send(cloud_event_record(enrolled("anna")), cloud_event_record(enrolled("boris")))
    await eventually(harness.effects, lambda people: people == ["boris"])
    letters = await eventually(
        lambda: read_dead_letters(harness.servers.kafka_bootstrap, harness.topic), lambda found: len(found) == 1
    )
    assert (letters[0].reason, letters[0].error, letters[0].headers["dlt_attempts"]) == (
        "rejected",
        "no rule knows anna",
        "1",
    )
    assert harness.calls.count("anna") == 1
    # Not marked handled: once the cause is fixed, a replay of the dead letter is applied.
    harness.refused.clear()
    await replay(harness.servers.kafka_bootstrap, harness.topic, {letters[0].address})
    await eventually(harness.effects, lambda people: people == ["anna", "boris"])


async def test_handled_event_markers_are_forgotten_only_after_their_retention(harness: Harness) -> None:
    await harness.send(cloud_event_record(enrolled("anna")))
    await eventually(harness.effects, lambda people: people == ["anna"])
    markers = harness.database["processed_events"]
    await eventually(lambda: markers.count_documents({}), lambda n: n == 1)
    consumer = ReliableConsumer(name="purger", database=harness.database, broker=build_broker("unused:1", "x"))
    assert await consumer.forget_handled_before(datetime.now(UTC) - timedelta(days=1)) == 0
    assert await markers.count_documents({}) == 1
    assert await consumer.forget_handled_before(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await markers.count_documents({}) == 0


# ------------------------------------------------------------------------------------- batch handlers


@dataclass
class BatchHarness:
    harness: Harness
    consumer: ReliableConsumer
    batches: list[list[str]] = field(default_factory=list)

    async def handler(self, deliveries: list[Delivery]) -> None:
        people = [delivery.event.person_id for delivery in deliveries]
        self.batches.append(people)
        refused = self.harness.refused.intersection(people)
        if refused:
            raise Rejected(f"no rule knows {sorted(refused)[0]}")
        # Effects keyed by the event ids, in one write, as a real batch handler's are.
        await insert_new(
            self.harness.database,
            "effects",
            [{"_id": d.envelope.id, "person_id": d.event.person_id, "offset": d.position.offset} for d in deliveries],
        )


@pytest.fixture
async def batched(servers: Servers, unique_name: str) -> AsyncIterator[BatchHarness]:
    """A consumer whose events go to a batch handler; the records are sent before it starts."""
    client = connect(servers.mongodb_url)
    database = client[unique_name]
    topic = f"{unique_name}.{TOPIC}"
    await ensure_topics(servers.kafka_bootstrap, [topic], partitions=1)
    broker = build_broker(servers.kafka_bootstrap, client_id=unique_name)
    consumer = ReliableConsumer(
        name=unique_name,
        database=database,
        broker=broker,
        topic_prefix=f"{unique_name}.",
        max_attempts=2,
        retry_backoff_seconds=0.05,
    )
    batched = BatchHarness(Harness(servers, database, topic), consumer)
    consumer.on_batch([ApplicationEnrolledV1], batched.handler)
    consumer.subscribe()
    try:
        yield batched
    finally:
        await broker.stop()
        await client.drop_database(unique_name)
        await client.close()


async def test_a_batch_handler_applies_a_run_of_records_once_each_in_log_order(batched: BatchHarness) -> None:
    people = [f"p{index:03}" for index in range(120)]
    records = [cloud_event_record(enrolled(person)) for person in people]
    await batched.harness.send(*records, records[5], records[70])  # two redelivered among them
    await batched.consumer.broker.start()

    await eventually(batched.harness.effects, lambda found: found == people)
    assert max(len(batch) for batch in batched.batches) > 1, "records were applied one at a time"
    assert sorted(person for batch in batched.batches for person in batch) == people  # the duplicates skipped
    offsets = [doc["offset"] async for doc in batched.harness.database["effects"].find({}).sort("offset")]
    assert offsets == list(range(120))  # each delivery knows its own place in the log
    markers = await batched.harness.database["processed_events"].count_documents({})
    assert markers == 120


async def test_a_record_a_batch_cannot_apply_is_dead_lettered_alone(batched: BatchHarness) -> None:
    batched.harness.refused.add("p007")
    people = [f"p{index:03}" for index in range(20)]
    await batched.harness.send(*(cloud_event_record(enrolled(person)) for person in people))
    await batched.consumer.broker.start()

    await eventually(batched.harness.effects, lambda found: found == [p for p in people if p != "p007"])
    letters = await eventually(
        lambda: read_dead_letters(batched.harness.servers.kafka_bootstrap, batched.harness.topic),
        lambda found: len(found) == 1,
    )
    assert (letters[0].reason, letters[0].error, letters[0].original_offset) == ("rejected", "no rule knows p007", 7)
