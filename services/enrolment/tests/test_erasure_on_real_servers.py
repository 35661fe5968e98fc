"""Erasure on the real MongoDB-wire server and Kafka: the person's id is gone from every stored document."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from enrolment.bootstrap import Enrolment, bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.service import handlers
from enrolment.tests.builders import NOW, published_course
from shared.contracts import directory
from shared.errors import Invalid
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import Document, connect
from shared.persistence.versioned import PENDING, PUBLISHED
from tests.support.infra import Servers, unique
from tests.support.kafka import cloud_event_record, eventually, produce

pytestmark = pytest.mark.infra


@pytest.fixture
async def settings(servers: Servers, unique_name: str) -> AsyncIterator[EnrolmentSettings]:
    """A service instance whose database, topics and consumer group are its own, removed afterwards."""
    yield EnrolmentSettings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_url=servers.mongodb_url,
        mongodb_database=f"owlery_enrolment_{unique_name}",
        topic_prefix=f"{unique_name}.",
        consumer_group=f"enrolment_{unique_name}",
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


async def every_document(service: Enrolment) -> dict[str, list[Document]]:
    """A raw read of the whole database: every collection, every document."""
    database = service.runtime.database
    return {name: await database[name].find({}).to_list() for name in sorted(await database.list_collection_names())}


def mentioning(documents: dict[str, list[Document]], text: str) -> dict[str, list[Document]]:
    found = {name: [d for d in docs if text in json.dumps(d, default=str)] for name, docs in documents.items()}
    return {name: docs for name, docs in found.items() if docs}


def profile(person_id: str) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=person_id,
        display_name="Alice Liddell",
        email="alice@example.com",
        department="Data",
        locale="ru",
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


async def test_an_erased_applicant_is_gone_from_every_document(settings: EnrolmentSettings, servers: Servers) -> None:
    service = bootstrap(settings)
    commits = service.runtime.database["courses_commits"]
    alice, bob, carol, dave = (unique(name) for name in ("alice", "bob", "carol", "dave"))
    await service.runtime.start()
    try:
        await service.people.apply_upsert(profile(alice))
        seated = await published_course(service.courses, title="Python", capacity=2)
        queued = await published_course(service.courses, title="SQL", capacity=2)
        # Python: bob and alice take the seats, carol and dave wait (and are proposed a stream); SQL: she waits.
        for course, person in [(seated, bob), (seated, alice), (seated, carol), (seated, dave)]:
            await handlers.apply(
                handlers.Apply(course.id, person, "ru"), service.courses, people=service.people, now=NOW
            )
        for person in (bob, carol, alice):
            await handlers.apply(
                handlers.Apply(queued.id, person, "ru"), service.courses, people=service.people, now=NOW
            )
        await eventually(lambda: commits.count_documents({"outbox_state": PENDING}), lambda pending: pending == 0)

        exported = await handlers.export_person(alice, service.courses, service.people)
        assert exported["person"]["display_name"] == "Alice Liddell"
        assert sorted((a["course_title"], a["status"]) for a in exported["applications"]) == [
            ("Python", "enrolled"),
            ("SQL", "waitlisted"),
        ]
        assert mentioning(await every_document(service), alice).keys() == {"people", "courses", "courses_commits"}

        # The directory erases her; the running service hears it from Kafka.
        erasure = directory.PersonErasedV1(person_id=alice, requested_by="hr-1", reason="left the company in 2024")
        erased = OutboxEvent.of(erasure, source="/owlery/directory", correlation_id="t")
        await produce(servers.kafka_bootstrap, settings.topic_prefix + directory.TOPIC, [cloud_event_record(erased)])
        handled = service.runtime.database["processed_events"]
        marker = f"{settings.consumer_group}:{erased.id}"
        await eventually(lambda: handled.find_one({"_id": marker}), lambda found: found is not None, timeout=60)

        after = await every_document(service)
        # A redelivered erasure finds nothing and writes nothing (the tombstone's own timestamp aside).
        assert await handlers.erase_person(alice, service.courses, service.people, service.erasures) == 0
        again = await every_document(service)
        assert {k: v for k, v in again.items() if k != "people"} == {k: v for k, v in after.items() if k != "people"}
        with pytest.raises(Invalid):
            await handlers.apply(
                handlers.Apply(seated.id, alice, "en"), service.courses, people=service.people, now=NOW
            )
    finally:
        await service.runtime.stop()

    # What is left in the database, read raw: her id only in the directory copy's tombstone, which holds nothing
    # else, and in the audit entry of the erasure itself, which the law keeps.
    left = mentioning(after, alice)
    assert left.keys() == {"people", "audit_log"}
    assert left["people"] == [
        {"_id": alice, "active": False, "erased": True, "updated_at": left["people"][0]["updated_at"]}
    ]
    assert [(e["action"], e["actor_id"], e["subject_id"]) for e in left["audit_log"]] == [
        ("person.erased", "hr-1", alice)
    ]
    assert "Alice Liddell" not in json.dumps(after, default=str)
    heads = {head["_id"]: head for head in after["courses"]}
    python, sql = heads[seated.id], heads[queued.id]
    stand_in = python["cohorts"][0]["members"][1]
    assert stand_in.startswith("former-employee-")
    assert python["cohorts"][0]["members"] == [bob, stand_in]
    assert python["waitlist"] == [carol, dave]
    assert python["stream_proposal"]["member_ids"] == [carol, dave]
    assert sql["cohorts"][0]["members"] == [bob, carol]
    assert sql["waitlist"] == [stand_in]
    assert (len(python["applications"]), len(sql["applications"])) == (4, 3)
    stood_in = [a for a in python["applications"] + sql["applications"] if a["person_id"] == stand_in]
    assert [(a["locale"], a["department"], a["time_zone"]) for a in stood_in] == [(None, None, None)] * 2
    # One new version per course; history rewritten in place, nothing published again or left pending.
    assert (python["version"], sql["version"]) == (8, 7)  # propose, approve, cohort, applicants, erasure
    assert len(after["courses_commits"]) == 15
    assert {commit["outbox_state"] for commit in after["courses_commits"]} == {PUBLISHED}
    payloads: list[dict[str, Any]] = [e["data"] for c in after["courses_commits"] for e in c["events"]]
    assert sorted(p["person_id"] for p in payloads if "person_id" in p) == sorted(
        [bob, stand_in, carol, dave, bob, carol, stand_in]
    )
    assert [p["member_ids"] for p in payloads if "member_ids" in p] == [[carol, dave]]
    # The catalogue's cards name no applicant; both courses are listed, full for now.
    assert sorted((card["title_ru"], len(card["cohorts"])) for card in after["catalogue"]) == [
        ("Python", 1),
        ("SQL", 1),
    ]
    assert after.get("erasures_in_progress", []) == []
