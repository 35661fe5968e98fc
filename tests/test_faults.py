"""Crashes and redeliveries against real processes, Kafka and the MongoDB-wire store: nothing lost, nothing twice."""

import contextlib
import json
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.enrolment import TOPIC as ENROLMENT_TOPIC
from shared.contracts.enrolment import ApplicationEnrolledV1
from shared.contracts.gamification import TOPIC as GAMIFICATION_TOPIC
from shared.contracts.gamification import PointsAwardedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import Document, connect
from tests.support.courses import open_course
from tests.support.kafka import cloud_event_record, eventually, header, produce, read_topic
from tests.support.platform import Platform


def enrolled(person_id: str, course_id: str = "course-x") -> OutboxEvent:
    return OutboxEvent.of(
        ApplicationEnrolledV1(
            application_id=f"{course_id}-{person_id}",
            course_id=course_id,
            course_title="Kotlin",
            cohort_id="cohort-1",
            person_id=person_id,
            locale="en",
        ),
        source="/owlery/tests",
        correlation_id="fault-test",
    )


def database(platform: Platform, service: str) -> AsyncDatabase[Document]:
    return connect(platform.servers.mongodb_url)[platform.database(service)]


async def test_a_redelivered_event_awards_points_once(platform: Platform) -> None:
    event = cloud_event_record(enrolled("dina"))
    await produce(platform.servers.kafka_bootstrap, platform.topic_prefix + ENROLMENT_TOPIC, [event, event])
    ledger = database(platform, "gamification")["ledger"]
    await eventually(lambda: ledger.count_documents({"person_id": "dina"}), lambda n: n == 1)
    # A later event on the same partition was handled, so the duplicate was consumed, not pending.
    await produce(
        platform.servers.kafka_bootstrap,
        platform.topic_prefix + ENROLMENT_TOPIC,
        [cloud_event_record(enrolled("dina", "course-y"))],
    )
    await eventually(lambda: ledger.count_documents({"person_id": "dina"}), lambda n: n == 2)


async def test_killed_after_the_state_write_before_the_publish_the_event_goes_out_once_after_restart(
    platform: Platform,
) -> None:
    enrolment = platform.url("enrolment")
    async with httpx.AsyncClient(timeout=10, headers=platform.headers("hr-robot", "admin")) as client:
        course_id = (await open_course(client, platform, "Rust", capacity=3))["id"]
        doomed = platform.restart("enrolment", OWLERY_FAILPOINTS="outbox.before_publish=kill")
        doomed.wait_ready()
        # The relay may kill the process before or after the answer leaves.
        with contextlib.suppress(httpx.TransportError):
            await client.post(f"{enrolment}/courses/{course_id}/applications", json={"person_id": "egor"})
        assert doomed.process is not None
        assert doomed.process.wait(timeout=15) == -9
        commits = database(platform, "enrolment")["courses_commits"]
        assert await commits.count_documents({"aggregate_id": course_id, "outbox_state": "pending"}) == 1

        platform.restart("enrolment").wait_ready()
        answer = await client.get(f"{enrolment}/courses/{course_id}")
        assert answer.json()["cohorts"][0]["enrolled"] == 1

        async def egor() -> dict[str, int]:
            account = (await client.get(f"{platform.url('gamification')}/people/egor/points")).json()
            return {"balance": account["balance"], "entries": len(account["ledger"])}

        await eventually(egor, lambda account: account == {"balance": 10, "entries": 1}, timeout=15)
    records = await read_topic(
        platform.servers.kafka_bootstrap, platform.topic_prefix + ENROLMENT_TOPIC, at_least=1, settle=2
    )
    egors = [r for r in records if r.value and json.loads(r.value).get("person_id") == "egor"]
    assert len(egors) == 1
    assert header(egors[0], "ce_type") == ApplicationEnrolledV1.ce_type
    assert await commits.count_documents({"aggregate_id": course_id, "outbox_state": "pending"}) == 0


async def test_a_consumer_killed_mid_stream_loses_nothing_and_doubles_nothing(platform: Platform) -> None:
    events = [enrolled(f"p{n:03d}", "stream") for n in range(500)]
    ledger = database(platform, "gamification")["ledger"]
    await produce(
        platform.servers.kafka_bootstrap,
        platform.topic_prefix + ENROLMENT_TOPIC,
        [cloud_event_record(event) for event in events],
    )
    handled_before_kill = await eventually(
        lambda: ledger.count_documents({"cause_event_type": ApplicationEnrolledV1.ce_type}),
        lambda n: n >= 30,
        timeout=30,
    )
    platform.processes["gamification"].kill()
    assert handled_before_kill < 500, "the consumer finished before it could be killed: nothing was proven"

    platform.restart("gamification").wait_ready()
    ids = {event.id for event in events}

    async def credited() -> int:
        return len([doc async for doc in ledger.find({}, {"cause_event_id": 1}) if doc["cause_event_id"] in ids])

    await eventually(credited, lambda n: n == 500, timeout=90)

    async def announced() -> list[dict[str, Any]]:
        # The topic also carries the rule set's own events: count the points only.
        records = await read_topic(
            platform.servers.kafka_bootstrap, platform.topic_prefix + GAMIFICATION_TOPIC, at_least=500, timeout=60
        )
        points = [json.loads(r.value) for r in records if r.value and header(r, "ce_type") == PointsAwardedV1.ce_type]
        return [award for award in points if award["cause_event_id"] in ids]

    awarded = await eventually(announced, lambda found: len(found) >= 500, timeout=60)
    assert len({award["entry_id"] for award in awarded}) == 500  # every deed credited...
    assert {award["cause_event_id"] for award in awarded} == ids  # ...each for its own event
    pipeline: list[dict[str, Any]] = [
        {"$match": {"person_id": {"$regex": "^p[0-9]"}}},
        {"$group": {"_id": "$person_id", "total": {"$sum": "$points"}}},
    ]
    balances = await (await ledger.aggregate(pipeline)).to_list()
    assert len(balances) == 500
    assert {row["total"] for row in balances} == {10}  # nobody paid twice
