"""The directory copy and erasure on the real MongoDB-wire server.

Events go through the service's own reliable consumer (as Kafka would deliver them), so the wiring of
the directory copy and of the erasure is what is tested. After an erasure the person's id is nowhere
in the database but in the directory copy's tombstone.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from bson import json_util

from notifications.bootstrap import Notifications, bootstrap
from notifications.config import NotificationsSettings
from notifications.service import handlers
from shared.contracts import directory, enrolment, gamification
from shared.persistence.mongo import Document
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import deliver
from tests.support.storage import every_document

pytestmark = pytest.mark.infra


@pytest.fixture
async def service(servers: Servers) -> AsyncIterator[Notifications]:
    """A service instance whose database and consumer group are its own, dropped afterwards."""
    settings = isolated(NotificationsSettings, servers, "notifications")
    built = bootstrap(settings)
    await built.runtime.consumer.ensure_indexes()
    await built.inbox.ensure_indexes()
    try:
        yield built
    finally:
        await built.runtime.client.close()
        await remove(servers, settings)


def upserted(person_id: str, name: str, locale: directory.Locale) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=name.lower(),
        display_name=name,
        email=f"{name.lower()}@example.com",
        locale=locale,
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


def enrolled(person_id: str, locale: directory.Locale) -> enrolment.ApplicationEnrolledV1:
    return enrolment.ApplicationEnrolledV1(
        application_id=unique("application"),
        course_id=unique("course"),
        course_title="Go",
        cohort_id=unique("cohort"),
        person_id=person_id,
        locale=locale,
    )


def points(person_id: str) -> gamification.PointsAwardedV1:
    return gamification.PointsAwardedV1(
        entry_id=unique("entry"),
        person_id=person_id,
        points=10,
        rule="enrolment.enrolled",
        cause_event_id=unique("cause"),
        cause_event_type=enrolment.ApplicationEnrolledV1.ce_type,
    )


async def everything(service: Notifications) -> dict[str, list[Document]]:
    return await every_document(service.runtime.database)


def mentions(documents: dict[str, list[Document]], text: str) -> list[tuple[str, Document]]:
    # The audit log keeps who was erased, by whom and why: kept by law, checked on its own below.
    return [
        (name, doc)
        for name, docs in documents.items()
        if name != "audit_log"
        for doc in docs
        if text in json_util.dumps(doc)
    ]


async def texts(service: Notifications, person_id: str) -> tuple[str, list[str]]:
    found = await handlers.read_inbox(person_id, service.inbox, service.people, service.renderer)
    return found.locale, [m.text for m in found.messages]


async def test_the_directory_language_wins_and_an_erased_persons_id_is_nowhere(service: Notifications) -> None:
    ann, bob = unique("ann"), unique("bob")
    await deliver(service.runtime.consumer, enrolled(ann, "en"), "/owlery/enrolment")
    await deliver(service.runtime.consumer, points(ann), "/owlery/gamification")
    await deliver(service.runtime.consumer, enrolled(bob, "en"), "/owlery/enrolment")
    assert (await texts(service, ann))[0] == "en"  # what the enrolment told, until the directory speaks

    await deliver(service.runtime.consumer, upserted(ann, "Ann", "ru"), "/owlery/directory")
    await deliver(service.runtime.consumer, upserted(bob, "Bob", "en"), "/owlery/directory")

    assert await texts(service, ann) == (
        "ru",
        ["Вы получили 10 баллов за зачисление на курс.", "Вы зачислены на курс «Go»."],
    )
    exported = await handlers.export_person(ann, service.inbox, service.people)
    assert exported["person"]["display_name"] == "Ann"
    assert exported["learned_locale"] == "en"  # kept apart: the directory's upsert did not wipe it
    assert len(exported["messages"]) == 2
    before = await everything(service)
    held = {"inbox", "learned_locales", "people", "notifications", "send_queue", "cohorts"}
    assert {name for name, _ in mentions(before, ann)} == held

    await deliver(
        service.runtime.consumer,
        directory.PersonErasedV1(person_id=ann, requested_by="hr-admin", reason="left; asked to be forgotten"),
        "/owlery/directory",
    )

    after = await everything(service)
    (tombstone,) = [doc for doc in after["people"] if doc["_id"] == ann]
    assert tombstone == {"_id": ann, "active": False, "erased": True, "updated_at": tombstone["updated_at"]}
    assert mentions(after, ann) == [("people", tombstone)]
    assert [(e["action"], e["subject_id"]) for e in after["audit_log"]] == [("person.erased", ann)]
    assert mentions(after, bob) == mentions(before, bob)
    assert await texts(service, bob) == ("en", ["You are enrolled in «Go»."])
    assert await handlers.export_person(ann, service.inbox, service.people) == {
        "service": "notifications",
        "person": None,
        "learned_locale": None,
        "messages": [],
    }

    # A redelivered erasure (its marker forgotten) finds nothing left and writes nothing.
    assert await handlers.erase_person(ann, service.inbox, service.people) == 0
    assert await everything(service) == after

    # An event about Ann still on its way brings nothing of hers back.
    await deliver(service.runtime.consumer, enrolled(ann, "ru"), "/owlery/enrolment")
    assert [name for name, _ in mentions(await everything(service), ann)] == ["people"]


async def test_languages_learned_before_the_directory_move_out_of_its_collection(service: Notifications) -> None:
    ann, bob = unique("ann"), unique("bob")
    people = service.runtime.database["people"]
    # As the service wrote them before the directory existed: person id -> language, in `people`.
    await people.insert_one({"_id": ann, "locale": "ru", "updated_at": datetime.now(UTC)})
    await deliver(service.runtime.consumer, upserted(bob, "Bob", "en"), "/owlery/directory")
    bobs_copy = await people.find_one({"_id": bob})

    await service.people.move_legacy_locales()
    await service.people.move_legacy_locales()  # every start runs it: the second finds nothing to move

    assert await people.find({}).to_list() == [bobs_copy]
    assert await service.people.learned_locale(ann) == "ru"
    assert await service.people.get(ann) is None
    assert not await service.people.is_blocked(ann)
    assert (await texts(service, ann))[0] == "ru"
