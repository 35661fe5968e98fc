"""A handler knows where its record sits in the log, and only while it runs (no servers needed)."""

from collections.abc import AsyncIterator
from typing import Any

from aiokafka import ConsumerRecord

from shared.contracts.enrolment import ApplicationEnrolledV1
from shared.messaging.cloudevents import Envelope, OutboxEvent
from shared.messaging.consumer import Position, ReliableConsumer, current_position
from shared.messaging.kafka import build_broker
from tests.support.kafka import record_of


class Markers:
    """The one collection `handle_record` touches: handled-event markers, by _id."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    async def find(self, query: dict[str, Any], projection: Any = None) -> AsyncIterator[dict[str, Any]]:
        for marker in query["_id"]["$in"]:
            if marker in self.documents:
                yield self.documents[marker]

    async def insert_many(self, documents: list[dict[str, Any]], ordered: bool = True) -> None:
        self.documents.update((document["_id"], document) for document in documents)


class Database:
    def __init__(self) -> None:
        self.markers = Markers()

    def __getitem__(self, name: str) -> Markers:
        return self.markers


def record(topic: str, partition: int, offset: int, person_id: str) -> ConsumerRecord[bytes, bytes]:
    event = OutboxEvent.of(
        ApplicationEnrolledV1(
            application_id=f"app-{person_id}",
            course_id="c",
            course_title="Go",
            cohort_id="h",
            person_id=person_id,
            locale="en",
        ),
        source="/owlery/tests",
        correlation_id="corr",
    )
    return record_of(event, topic, partition, offset)


async def test_a_handler_reads_its_records_position_on_every_attempt_and_nobody_else_does() -> None:
    seen: list[Position | None] = []
    failures = {"anna": 1}

    async def handler(event: ApplicationEnrolledV1, envelope: Envelope) -> None:
        seen.append(current_position())
        if failures.get(event.person_id):
            failures[event.person_id] -= 1
            raise ConnectionError("the store blinked")

    consumer = ReliableConsumer(
        name="positions",
        database=Database(),  # type: ignore[arg-type]
        broker=build_broker("unused:1", "positions"),
        topic_prefix="t.",
        retry_backoff_seconds=0,
    )
    consumer.on(ApplicationEnrolledV1, handler)

    await consumer.handle_record(record("t.owlery.enrolment.events", 2, 41, "anna"))
    await consumer.handle_record(record("t.owlery.enrolment.events", 0, 7, "boris"))

    first, second = Position("t.owlery.enrolment.events", 2, 41), Position("t.owlery.enrolment.events", 0, 7)
    assert seen == [first, first, second]  # the retry sees the same record's position
    assert current_position() is None
