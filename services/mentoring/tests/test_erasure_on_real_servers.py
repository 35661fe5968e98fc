"""Erasure on the real MongoDB-wire server and Kafka: the person's id is gone from every stored document."""

import json
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from mentoring.bootstrap import bootstrap
from mentoring.config import MentoringSettings
from mentoring.service import handlers
from shared.contracts import directory
from shared.contracts.mentoring import ParticipantRegisteredV1
from shared.errors import Invalid
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import connect
from shared.persistence.versioned import PENDING, PUBLISHED
from tests.support.infra import Servers, unique
from tests.support.kafka import cloud_event_record, eventually, produce
from tests.support.storage import every_document, mentioning

pytestmark = pytest.mark.infra


@pytest.fixture
async def settings(servers: Servers, unique_name: str) -> AsyncIterator[MentoringSettings]:
    """A service instance whose database, topics and consumer group are its own, removed afterwards."""
    yield MentoringSettings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_url=servers.mongodb_url,
        mongodb_database=f"owlery_mentoring_{unique_name}",
        topic_prefix=f"{unique_name}.",
        consumer_group=f"mentoring_{unique_name}",
    )
    client = connect(servers.mongodb_url)
    try:
        await client.drop_database(f"owlery_mentoring_{unique_name}")
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


def profile(person_id: str) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=person_id,
        display_name="Alice Liddell",
        email="alice@example.com",
        department="Data",
        manager_id="the-queen",
        job_title="Analyst",
        locale="ru",
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


async def test_an_erased_participant_is_gone_from_every_document(settings: MentoringSettings, servers: Servers) -> None:
    service = bootstrap(settings)
    commits = service.runtime.database["programmes_commits"]
    alice, bob, carol = (unique(name) for name in ("alice", "bob", "carol"))
    await service.runtime.start()
    try:
        await service.people.apply_upsert(profile(alice))
        classic = await handlers.create_programme(handlers.CreateProgramme("Classic", "classic"), service.programmes)
        reverse = await handlers.create_programme(handlers.CreateProgramme("Reverse", "reverse"), service.programmes)
        for programme, person, role in [
            (classic, alice, "mentor"),
            (classic, bob, "mentee"),
            (classic, carol, "mentee"),
            (reverse, bob, "mentor"),
            (reverse, alice, "mentee"),
        ]:
            command = handlers.Register(programme.id, person, role, "ru")
            await handlers.register(command, service.programmes, people=service.people)
        await eventually(lambda: commits.count_documents({"outbox_state": PENDING}), lambda pending: pending == 0)

        exported = await handlers.export_person(alice, service.programmes, service.people)
        assert (exported["person"]["display_name"], exported["person"]["manager_id"]) == ("Alice Liddell", "the-queen")
        assert sorted((p["programme_title"], p["role"]) for p in exported["programmes"]) == [
            ("Classic", "mentor"),
            ("Reverse", "mentee"),
        ]
        before_erasure = await every_document(service.runtime.database)
        assert mentioning(before_erasure, alice).keys() == {
            "people",
            "programmes",
            "programmes_commits",
        }

        # The directory erases her; the running service hears it from Kafka.
        erasure = directory.PersonErasedV1(person_id=alice, requested_by="hr-1", reason="left the company in 2024")
        erased = OutboxEvent.of(erasure, source="/owlery/directory", correlation_id="t")
        await produce(servers.kafka_bootstrap, settings.topic_prefix + directory.TOPIC, [cloud_event_record(erased)])
        handled = service.runtime.database["processed_events"]
        marker = f"{settings.consumer_group}:{erased.id}"
        await eventually(lambda: handled.find_one({"_id": marker}), lambda found: found is not None, timeout=60)

        after = await every_document(service.runtime.database)
        # A redelivered erasure finds nothing and writes nothing (the tombstone's own timestamp aside).
        assert await handlers.erase_person(alice, service.programmes, service.people, service.erasures) == 0
        again = await every_document(service.runtime.database)
        assert {k: v for k, v in again.items() if k != "people"} == {k: v for k, v in after.items() if k != "people"}
        command = handlers.Register(classic.id, alice, "mentee", "en")
        with pytest.raises(Invalid):
            await handlers.register(command, service.programmes, people=service.people)
    finally:
        await service.runtime.stop()

    # What is left in the database, read raw: her id only in the directory copy's tombstone, which holds nothing
    # else, and in the audit entry of the erasure itself, which the law keeps.
    left = mentioning(after, alice)
    assert left.keys() == {"people", "audit_log"}
    tombstone = left["people"][0]
    assert left["people"] == [{"_id": alice, "active": False, "erased": True, "updated_at": tombstone["updated_at"]}]
    assert [(e["action"], e["actor_id"], e["subject_id"]) for e in left["audit_log"]] == [
        ("person.erased", "hr-1", alice)
    ]
    assert "Alice Liddell" not in json.dumps(after, default=str)
    assert "the-queen" not in json.dumps(after, default=str)
    heads = {head["_id"]: head for head in after["programmes"]}
    first, second = heads[classic.id], heads[reverse.id]
    stand_in = first["participants"][0]["person_id"]
    assert stand_in.startswith("former-employee-")
    assert [(p["person_id"], p["role"], p["locale"]) for p in first["participants"]] == [
        (stand_in, "mentor", None),
        (bob, "mentee", "ru"),
        (carol, "mentee", "ru"),
    ]
    assert [(p["person_id"], p["role"]) for p in second["participants"]] == [(bob, "mentor"), (stand_in, "mentee")]
    # One new version per programme; history rewritten in place, nothing published again or left pending.
    assert (first["version"], second["version"]) == (5, 4)
    assert len(after["programmes_commits"]) == 9
    assert {commit["outbox_state"] for commit in after["programmes_commits"]} == {PUBLISHED}
    registered = [e["data"] for c in after["programmes_commits"] for e in c["events"] if "person_id" in e["data"]]
    assert sorted(r["person_id"] for r in registered) == sorted([stand_in, bob, carol, bob, stand_in])
    assert all(ParticipantRegisteredV1.model_validate(r) for r in registered)  # payloads still meet the contract
    assert after.get("erasures_in_progress", []) == []
