"""Trainers' profiles on the real MongoDB-wire server and Kafka: one debut however events race, nothing twice."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from enrolment.adapters.trainers import DEBUTS, MongoTrainerProfiles, build
from enrolment.config import EnrolmentSettings
from enrolment.domain.trainers import Debut, Trainer
from enrolment.entrypoints.trainer_consumers import register_trainer_projection
from enrolment.service import trainers
from shared.concurrency import retry_on_conflict
from shared.contracts import enrolment as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.consumer import ReliableConsumer
from shared.messaging.kafka import build_broker
from shared.messaging.outbox import OutboxRelay
from shared.persistence.mongo import Document, connect
from shared.persistence.versioned import PENDING
from shared.runtime import ServiceRuntime
from tests.support.infra import Servers, unique
from tests.support.kafka import cloud_event_record, eventually, header, produce, read_topic

pytestmark = pytest.mark.infra

T = TypeVar("T")


@pytest.fixture
async def settings(servers: Servers, unique_name: str) -> AsyncIterator[EnrolmentSettings]:
    """A database, topics and consumer group of the test's own, removed afterwards."""
    yield EnrolmentSettings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_url=servers.mongodb_url,
        mongodb_database=f"owlery_enrolment_{unique_name}",
        topic_prefix=f"{unique_name}.",
        consumer_group=f"enrolment_{unique_name}",
        outbox_sweep_seconds=1.0,
    )
    client = connect(servers.mongodb_url)
    try:
        await client.drop_database(f"owlery_enrolment_{unique_name}")
    finally:
        await client.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        ours = [topic for topic in await admin.list_topics() if topic.startswith(f"{unique_name}.")]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


@pytest.fixture
def as_if_on_replicas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use cases on one person no longer take turns inside this process: they race as replicas do."""

    async def racing(attempt: Callable[[], Awaitable[T]], **_: Any) -> T:
        return await retry_on_conflict(attempt, base_delay=0.001)

    monkeypatch.setattr(trainers, "retry_on_conflict", racing)


def event(contract: IntegrationEvent) -> OutboxEvent:
    return OutboxEvent.of(contract, source="/owlery/enrolment", correlation_id=unique("corr"))


def record(outbox: OutboxEvent, topic: str) -> ConsumerRecord[bytes, bytes]:
    """The record Kafka would deliver for this event, built by hand."""
    key, value, headers = cloud_event_record(outbox)
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=0,
        timestamp=int(time.time() * 1000),
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=[(name, text.encode()) for name, text in headers.items()],
    )


def published(course_id: str, trainer: str, competencies: list[str]) -> OutboxEvent:
    return event(
        contracts.CoursePublishedV1(
            course_id=course_id,
            trainer_id=trainer,
            title_en=f"Course {course_id}",
            title_ru=f"Данные {course_id}",
            language="ru",
            competencies=competencies,
            sessions=6,
        )
    )


def finished(
    course_id: str, cohort_id: str, trainer: str, participants: int, completed: int, rating: float
) -> OutboxEvent:
    return event(
        contracts.CohortFinishedV1(
            course_id=course_id,
            cohort_id=cohort_id,
            trainer_id=trainer,
            participants=participants,
            completed=completed,
            average_rating=rating,
        )
    )


class CountingProfiles(MongoTrainerProfiles):
    """Counts who tried to record a debut: more than one means the race really happened."""

    attempts = 0

    async def settle_debut(self, person_id: str, course_id: str, at: datetime, correlation_id: str) -> Debut:
        CountingProfiles.attempts += 1
        return await super().settle_debut(person_id, course_id, at, correlation_id)


class Collected:
    """An outbox publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[OutboxEvent] = []

    async def publish(self, events: list[OutboxEvent]) -> None:
        self.events.extend(events)


@pytest.mark.usefixtures("as_if_on_replicas")
async def test_racing_redeliveries_on_two_replicas_make_one_debut_and_count_each_cohort_once(
    settings: EnrolmentSettings,
) -> None:
    client = connect(settings.mongodb_url)
    database = client[settings.mongodb_database]
    notified: list[tuple[str, str]] = []
    replicas: list[ReliableConsumer] = []
    broker = build_broker(settings.kafka_bootstrap_servers, client_id="unused")  # never started: nothing fails here
    for _ in range(2):  # two processes: each its own store object, one group, one database
        profiles = CountingProfiles(database, on_commit=lambda name, entry: notified.append((name, entry)))
        await profiles.ensure_indexes()
        consumer = ReliableConsumer(name=settings.consumer_group, database=database, broker=broker)
        register_trainer_projection(consumer, profiles)
        replicas.append(consumer)
    reader = MongoTrainerProfiles(database)
    topic = contracts.TOPIC
    ann, c1, c2 = unique("ann"), unique("python"), unique("pandas")
    try:
        courses = [published(c1, ann, ["python", "sql"]), published(c2, ann, ["sql", "pandas"])]
        # Each publication delivered twice (a redelivery) to each replica, all at once.
        await asyncio.gather(*(r.handle_record(record(e, topic)) for e in courses for _ in range(2) for r in replicas))

        debuts: list[Document] = await database[DEBUTS].find({}).to_list()
        assert len(debuts) == 1
        (debut,) = debuts
        assert debut["_id"] == ann
        assert debut["outbox_state"] == PENDING
        assert [(e["type"], e["data"]) for e in debut["events"]] == [
            (contracts.TrainerDebutedV1.ce_type, {"person_id": ann, "course_id": debut["course_id"]})
        ]
        assert notified == [(DEBUTS, ann)]
        collected = Collected()
        assert await OutboxRelay(database, [DEBUTS], collected).drain() == 1
        assert [e.type for e in collected.events] == [contracts.TrainerDebutedV1.ce_type]

        cohorts = [finished(c1, unique("k"), ann, 7, 5, 4.5), finished(c2, unique("k"), ann, 6, 6, 3.75)]
        await asyncio.gather(*(r.handle_record(record(e, topic)) for e in cohorts for _ in range(2) for r in replicas))
        for again in cohorts:  # redelivered later, after the consumer's marker: skipped or idempotent
            await replicas[0].handle_record(record(again, topic))
        # The same facts under new event ids (a republish by the relay after a crash) count once too.
        await replicas[1].handle_record(
            record(event(contracts.CohortFinishedV1.model_validate(cohorts[0].data)), topic)
        )

        profile: Trainer = await trainers.trainer_profile(ann, reader)
        assert profile.debut is not None
        assert profile.debut.course_id == debut["course_id"]
        assert sorted(c.course_id for c in profile.courses_given) == sorted([c1, c2])
        assert set(profile.competencies) == {"python", "sql", "pandas"}
        assert {c.course_id: c.title_ru for c in profile.courses_given} == {c1: f"Данные {c1}", c2: f"Данные {c2}"}
        assert (profile.cohorts_given, profile.participants_taught, profile.completed) == (2, 13, 11)
        assert (profile.rating.total, profile.rating.count, profile.rating.average) == (8.25, 2, 4.12)
        assert {c.course_id: c.rating.average for c in profile.courses_given} == {c1: 4.5, c2: 3.75}
        head = await database["trainers"].find_one({"_id": ann})
        assert head is not None
        assert (head["rating_sum"], head["rating_count"]) == (8.25, 2)
        assert await database[DEBUTS].count_documents({}) == 1
        # One version per fact, none lost, none twice: two courses (the debut with the first), two cohorts.
        assert await database["trainers_commits"].count_documents({"aggregate_id": ann}) == 4
    finally:
        await client.drop_database(settings.mongodb_database)
        await client.close()


async def test_the_running_service_follows_its_own_topic_and_publishes_the_debut_once(
    settings: EnrolmentSettings, servers: Servers
) -> None:
    runtime = ServiceRuntime(
        settings,
        name="enrolment",
        publishes=[contracts.CoursePublishedV1, contracts.TrainerDebutedV1, contracts.CohortFinishedV1],
        outbox_collections=[DEBUTS],
    )
    profiles = build(runtime)
    register_trainer_projection(runtime.consumer, profiles)
    topic = settings.topic_prefix + contracts.TOPIC
    ann, c1, c2, k1 = unique("ann"), unique("python"), unique("pandas"), unique("k")
    first, second, cohort = (
        published(c1, ann, ["python"]),
        published(c2, ann, ["pandas"]),
        finished(c1, k1, ann, 5, 4, 5.0),
    )
    await runtime.start()
    try:
        # Every event twice over, as a producer retrying after a lost acknowledgement would send it.
        await produce(servers.kafka_bootstrap, topic, [cloud_event_record(e) for e in (first, second, cohort) * 2])

        async def profile() -> Trainer | None:
            loaded = await profiles.get(ann)
            return None if loaded is None else loaded[0]

        shown = await eventually(
            profile, lambda t: t is not None and len(t.courses_given) == 2 and t.cohorts_given == 1, timeout=60
        )
        assert shown is not None
        assert shown.debut is not None
        assert shown.debut.course_id in (c1, c2)  # courses travel on their own partitions: either may be first
        assert (shown.rating.average, shown.participants_taught) == (5.0, 5)

        records = await read_topic(servers.kafka_bootstrap, topic, at_least=7, timeout=30, settle=2.0)
        debuts = [r for r in records if header(r, "ce_type") == contracts.TrainerDebutedV1.ce_type]
        assert len(debuts) == 1
        assert debuts[0].key == ann.encode()
        assert json.loads(debuts[0].value) == {"person_id": ann, "course_id": shown.debut.course_id}
    finally:
        await runtime.stop()
