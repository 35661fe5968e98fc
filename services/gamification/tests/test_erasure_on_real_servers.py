"""Erasure on the real MongoDB-wire server: afterwards the person's id is nowhere in the database.

Events go through the service's own reliable consumer (as Kafka would deliver them), so the wiring of
the directory copy and of the erasure is what is tested; the relay is not started, so the outbox of
the entries is still pending when the person is erased.
"""

import re
from collections.abc import AsyncIterator
from typing import Literal

import pytest
from bson import json_util

from gamification.bootstrap import Gamification, bootstrap
from gamification.config import GamificationSettings
from gamification.domain.titles import ExpertTitle
from gamification.service import handlers
from shared.contracts import directory, enrolment, gamification, mentoring
from shared.persistence.mongo import Document
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import deliver
from tests.support.storage import every_document

pytestmark = pytest.mark.infra

STAND_IN = re.compile(r"former-employee-[0-9a-f]{12}")


@pytest.fixture
async def service(servers: Servers) -> AsyncIterator[Gamification]:
    """A service instance whose database and consumer group are its own, dropped afterwards."""
    settings = isolated(GamificationSettings, servers, "gamification")
    built = bootstrap(settings)
    await built.runtime.consumer.ensure_indexes()
    await built.ledger.ensure_indexes()
    try:
        yield built
    finally:
        await built.runtime.client.close()
        await remove(servers, settings)


def upserted(person_id: str, name: str) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=name.lower(),
        display_name=name,
        email=f"{name.lower()}@example.com",
        department="R&D",
        locale="ru",
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


def erased(person_id: str) -> directory.PersonErasedV1:
    return directory.PersonErasedV1(person_id=person_id, requested_by="hr-admin", reason="left; asked to be forgotten")


def enrolled(person_id: str) -> enrolment.ApplicationEnrolledV1:
    return enrolment.ApplicationEnrolledV1(
        application_id=unique("application"),
        course_id=unique("course"),
        course_title="Go",
        cohort_id=unique("cohort"),
        person_id=person_id,
        locale="en",
    )


def registered(person_id: str, role: Literal["mentor", "mentee"]) -> mentoring.ParticipantRegisteredV1:
    return mentoring.ParticipantRegisteredV1(
        programme_id=unique("programme"), programme_title="Onboarding", person_id=person_id, role=role, locale="en"
    )


async def everything(service: Gamification) -> dict[str, list[Document]]:
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


async def totals_per_rule(service: Gamification) -> dict[str, int]:
    rows = await (
        await service.ledger.entries_collection.aggregate([{"$group": {"_id": "$rule", "total": {"$sum": "$points"}}}])
    ).to_list()
    return {row["_id"]: row["total"] for row in rows}


async def test_an_erased_persons_id_is_nowhere_and_the_points_per_rule_are_intact(service: Gamification) -> None:
    ann, bob = unique("ann"), unique("bob")
    for person, name in ((ann, "Ann"), (bob, "Bob")):
        await deliver(service.runtime.consumer, upserted(person, name), "/owlery/directory")
    for deed in (enrolled(ann), enrolled(ann), registered(ann, "mentor"), enrolled(bob), registered(bob, "mentee")):
        await deliver(service.runtime.consumer, deed, "/owlery/enrolment")
    assert (await handlers.export_person(ann, service.ledger, service.people))["balance"] == 35
    totals = await totals_per_rule(service)
    assert totals == {"enrolment.enrolled": 30, "mentoring.mentor_registered": 15, "mentoring.mentee_registered": 5}
    # Ann is also an internal trainer (the owl badge), on the leaderboards, and was Expert of the month.
    await deliver(service.runtime.consumer, enrolment.TrainerDebutedV1(person_id=ann, course_id="c-1"), "/owlery/x")
    (entry,) = [doc for doc in (await everything(service))["ledger"] if doc["person_id"] == ann][:1]
    awarded = gamification.PointsAwardedV1(
        entry_id=entry["_id"],
        person_id=ann,
        points=entry["points"],
        rule=entry["rule"],
        rule_version=entry["rule_version"],
        cause_event_id=entry["cause_event_id"],
        cause_event_type=entry["cause_event_type"],
    )
    await deliver(service.runtime.consumer, awarded, "/owlery/gamification")
    title = ExpertTitle(unique("title"), ann, "department", "R&D", "2026-10", "2026-11", 4)
    assert await service.titles.name(title)
    before = await everything(service)
    held = {"deeds", "ledger", "ledger_outbox", "people", "badges", "standings", "titles"}
    assert {name for name, _ in mentions(before, ann)} == held

    await deliver(service.runtime.consumer, erased(ann), "/owlery/directory")

    after = await everything(service)
    # The only trace is the directory copy's tombstone: the bare id, so a replayed upsert cannot revive Ann.
    assert mentions(after, ann) == [("people", {"_id": ann, "active": False, "erased": True, **_updated(after, ann)})]
    assert [(e["action"], e["subject_id"]) for e in after["audit_log"]] == [("person.erased", ann)]
    assert await totals_per_rule(service) == totals
    # Bob's entries, outbox included, and his profile are exactly as they were.
    assert mentions(after, bob) == mentions(before, bob)
    # Ann's entries now belong to one former employee, their events too, and are still waiting to be published.
    formerly_anns = [doc for doc in after["ledger"] if doc["person_id"] != bob]
    assert len(formerly_anns) == 3
    (stand_in,) = {doc["person_id"] for doc in formerly_anns}
    assert STAND_IN.fullmatch(stand_in)
    theirs = {doc["_id"] for doc in formerly_anns}
    waiting = [event for doc in after["ledger_outbox"] if doc["outbox_state"] == "pending" for event in doc["events"]]
    announced = [event for event in waiting if event["data"]["entry_id"] in theirs]
    assert len(announced) == 3
    for event in announced:
        assert (event["data"]["person_id"], event["key"], event["subject"]) == (stand_in, stand_in, stand_in)
    # Her deeds name the same former employee, so a replay of them credits exactly what the ledger holds.
    formerly_her_deeds = [doc for doc in after["deeds"] if bob not in json_util.dumps(doc)]
    assert len(formerly_her_deeds) == 4  # three enrolment-side deeds and the debut
    assert {doc["data"]["person_id"] for doc in formerly_her_deeds} == {stand_in}
    assert await handlers.export_person(ann, service.ledger, service.people) == {
        "service": "gamification",
        "person": None,
        "balance": 0,
        "entries": [],
    }

    # A redelivered erasure (its marker forgotten) finds nothing left and writes nothing.
    others = (service.badges, service.titles, service.rings, service.standings)
    assert await handlers.erase_person(ann, service.ledger, service.people, service.deeds, others=others) == 0
    assert await everything(service) == after

    # A deed of Ann's still on its way counts, for a former employee.
    await deliver(service.runtime.consumer, enrolled(ann), "/owlery/enrolment")
    late = await everything(service)
    assert [name for name, _ in mentions(late, ann)] == ["people"]
    # Kept and credited with one new former employee: a replay of the deed credits whom the ledger did.
    (late_deed,) = [doc for doc in late["deeds"] if doc not in after["deeds"]]
    (late_entry,) = [doc for doc in late["ledger"] if doc not in after["ledger"]]
    assert late_deed["data"]["person_id"] == late_entry["person_id"] != stand_in
    assert STAND_IN.fullmatch(late_entry["person_id"])
    assert await totals_per_rule(service) == {**totals, "enrolment.enrolled": 40}


def _updated(documents: dict[str, list[Document]], person_id: str) -> Document:
    (tombstone,) = [doc for doc in documents["people"] if doc["_id"] == person_id]
    return {"updated_at": tombstone["updated_at"]}
