"""The service on the real Kafka and MongoDB-wire servers: redelivered events make one message each."""

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from notifications.bootstrap import bootstrap
from notifications.config import NotificationsSettings
from notifications.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from shared.contracts import enrolment, gamification
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import connect
from tests.support.infra import Servers, unique
from tests.support.kafka import cloud_event_record, eventually, produce

pytestmark = pytest.mark.infra


@pytest.fixture
async def settings(servers: Servers, unique_name: str) -> AsyncIterator[NotificationsSettings]:
    """Settings of a service instance all of whose database, topics and consumer group are its own."""
    yield NotificationsSettings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_url=servers.mongodb_url,
        mongodb_database=unique_name,
        topic_prefix=f"{unique_name}.",
        consumer_group=unique_name,
    )
    client = connect(servers.mongodb_url)
    try:
        await client.drop_database(unique_name)
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


def consumer_record(event: OutboxEvent, topic: str, offset: int) -> ConsumerRecord[bytes, bytes]:
    """The record Kafka would deliver for this event, built by hand."""
    key, value, headers = cloud_event_record(event)
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=int(time.time() * 1000),
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=[(name, text.encode()) for name, text in headers.items()],
    )


async def committed_offsets(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for partition, meta in offsets.items() if partition.topic == topic and meta.offset > 0)


async def test_each_event_makes_one_message_shown_in_the_persons_language(
    settings: NotificationsSettings, servers: Servers
) -> None:
    person = unique("person")
    points = OutboxEvent.of(
        gamification.PointsAwardedV1(
            entry_id=unique("entry"),
            person_id=person,
            points=10,
            rule="enrolment.enrolled",
            cause_event_id=unique("cause"),
            cause_event_type=enrolment.ApplicationEnrolledV1.ce_type,
        ),
        source="/owlery/gamification",
        correlation_id="test",
    )
    enrolled = OutboxEvent.of(
        enrolment.ApplicationEnrolledV1(
            application_id=unique("application"),
            course_id=unique("course"),
            course_title="Python для аналитиков",
            cohort_id=unique("cohort"),
            person_id=person,
            locale="ru",
        ),
        source="/owlery/enrolment",
        correlation_id="test",
    )
    enrolment_topic = settings.topic_prefix + enrolment.TOPIC
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications") as client,
    ):

        async def inbox(person_id: str = person) -> Any:
            """The inbox as its owner reads it."""
            response = await client.get(f"/people/{person_id}/inbox", headers=issuer.headers(person_id))
            assert response.status_code == 200, response.text
            return response.json()

        assert (await client.get("/health/ready")).status_code == 200
        # An inbox is private: no token, no inbox; and nobody else reads it, not even an admin.
        anonymous = await client.get(f"/people/{person}/inbox")
        assert anonymous.status_code == 401, anonymous.text
        for stranger in (issuer.headers("someone-else"), issuer.headers("an-admin", "admin")):
            refused = await client.get(f"/people/{person}/inbox", headers=stranger)
            assert refused.status_code == 403, refused.text
        assert await inbox("nobody-" + person) == {
            "person_id": "nobody-" + person,
            "locale": "en",
            "unread": 0,
            "messages": [],
        }

        # The points come first, twice, before anything has said which language the person reads.
        for offset in (0, 1):
            await service.runtime.consumer.handle_record(
                consumer_record(points, settings.topic_prefix + gamification.TOPIC, offset)
            )
        before = await inbox()
        assert before["locale"] == "en"
        assert [m["text"] for m in before["messages"]] == ["You earned 10 points for enrolling in a course."]

        # The enrolment, delivered twice through Kafka itself, and consumed by the running service.
        await produce(servers.kafka_bootstrap, enrolment_topic, [cloud_event_record(enrolled)] * 2)
        await eventually(
            lambda: committed_offsets(servers.kafka_bootstrap, settings.consumer_group, enrolment_topic),
            lambda committed: committed == 2,
            timeout=60,
        )

        after = await inbox()
        assert after["person_id"] == person
        assert after["locale"] == "ru"
        assert [(m["id"], m["category"], m["text"], m["cause_event_id"]) for m in after["messages"]] == [
            (f"{enrolled.id}:enrolled", "enrolment", "Вы зачислены на курс «Python для аналитиков».", enrolled.id),
            (f"{points.id}:points_awarded", "achievements", "Вы получили 10 баллов за зачисление на курс.", points.id),
        ]
        assert await service.runtime.database["inbox"].count_documents({"person_id": person}) == 2
        # Below the consumer's processed-event record, the message's own key keeps it single too.
        stored = await service.inbox.messages(person, limit=10, offset=0)
        assert [await service.inbox.add(message) for message in stored] == [False, False]
