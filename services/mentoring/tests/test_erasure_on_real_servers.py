"""Erasure on the real MongoDB-wire server and Kafka: the person's id is gone from every stored document."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from mentoring.bootstrap import Mentoring, bootstrap
from mentoring.config import MentoringSettings
from mentoring.domain.model import Role
from mentoring.domain.programme import Profile, Terms
from mentoring.service import desk, handlers, pairs
from shared.contracts import directory
from shared.contracts.base import contract_for
from shared.errors import Invalid
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.versioned import PENDING, PUBLISHED
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import cloud_event_record, eventually, produce
from tests.support.storage import every_document, mentioning

pytestmark = pytest.mark.infra


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[MentoringSettings]:
    """A service instance whose database, topics and consumer group are its own, removed afterwards."""
    isolated_settings = isolated(MentoringSettings, servers, "mentoring")
    yield isolated_settings
    await remove(servers, isolated_settings)


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


def terms() -> Terms:
    today = datetime.now(UTC).date()
    return Terms.checked(
        format="one_to_one",
        topics=["sql"],
        enrolment_opens=today,
        enrolment_closes=today + timedelta(days=7),
        starts=today,
        duration_weeks=8,
        cadence_days=14,
        rules_text="Confidentiality",
    )


def sql_profile(role: Role) -> Profile:
    return Profile.checked(role, competencies={"sql": 4 if role is Role.MENTOR else 1}, topics=["sql"])


async def programme_with(service: Mentoring, kind: str, mentor: str, *mentees: str) -> str:
    """A running programme whose pairs have started: `mentor` with each mentee."""
    ports = service.ports
    created = await handlers.create_programme(ports, title=kind.title(), kind=kind, terms=terms(), curator_id="cur")
    await handlers.advance_programme(ports, created.id, "cur", "open")
    people = [(mentor, Role.MENTOR), *((mentee, Role.MENTEE) for mentee in mentees)]
    for person, role in people:
        await handlers.register(
            ports, created.id, person, role.value, locale="ru", profile=sql_profile(role), accepted_rules=True,
            by_curator=True,
        )  # fmt: skip
    await handlers.advance_programme(ports, created.id, "cur", "matching")
    proposal = await handlers.propose_matching(ports, created.id, "cur")
    await handlers.approve_matching(ports, created.id, "cur", proposal.id)
    await handlers.schedule_kickoff(ports, created.id, "cur", datetime.now(UTC) + timedelta(minutes=1))
    await handlers.hold_kickoff(ports, created.id, "cur")
    for person, _ in people:
        await handlers.acknowledge_preparation(ports, created.id, person)
    return created.id


async def test_an_erased_participant_is_gone_from_every_document(settings: MentoringSettings, servers: Servers) -> None:
    alice, bob = unique("alice"), unique("bob")
    # Bob is matched with Alice in the classic programme (he is her only possible mentee: capacity 1 each).
    service = bootstrap(settings)
    ports = service.ports
    await service.runtime.start()
    try:
        await service.people.apply_upsert(profile(alice))
        classic = await programme_with(service, "classic", alice, bob)
        reverse = await programme_with(service, "reverse", bob, alice)
        classic_programme = await handlers.get_programme(ports, classic)
        pair_id = next(iter(classic_programme.roster))
        await pairs.log_meeting(
            ports, pair_id, alice, "m1", held_on=datetime.now(UTC).date(), minutes=45, topics=("sql",),
            notes="Alice explained window functions",
        )  # fmt: skip
        concern = await desk.raise_concern(ports, pair_id, bob, "Alice is often late")
        post = await desk.publish_post(ports, classic, "cur", "news", "Welcome", "Kickoff on Monday")
        await desk.react(ports, classic, post.id, alice, "thanks")
        outboxes = [f"{name}_commits" for name in ("programmes", "pairs", "concerns", "posts")]

        async def pending() -> int:
            database = service.runtime.database
            return sum([await database[c].count_documents({"outbox_state": PENDING}) for c in outboxes])

        await eventually(pending, lambda count: count == 0, timeout=30)

        exported = await handlers.export_person(alice, ports)
        assert (exported["person"]["display_name"], exported["person"]["manager_id"]) == ("Alice Liddell", "the-queen")
        assert sorted((p["programme_title"], p["role"]) for p in exported["programmes"]) == [
            ("Classic", "mentor"),
            ("Reverse", "mentee"),
        ]
        assert [(p["pair_id"], p["role"]) for p in exported["pairs"] if p["programme_id"] == classic] == [
            (pair_id, "mentor")
        ]
        before_erasure = await every_document(service.runtime.database)
        # Not the concern: Bob raised it about their pair, and a concern never names the other member.
        named = mentioning(before_erasure, alice).keys()
        assert {"people", "programmes", "pairs", "posts", "programmes_commits", "pairs_commits"} <= named
        assert "concerns" not in named

        # The directory erases her; the running service hears it from Kafka.
        erasure = directory.PersonErasedV1(person_id=alice, requested_by="hr-1", reason="left the company in 2024")
        erased = OutboxEvent.of(erasure, source="/owlery/directory", correlation_id="t")
        await produce(servers.kafka_bootstrap, settings.topic_prefix + directory.TOPIC, [cloud_event_record(erased)])
        handled = service.runtime.database["processed_events"]
        marker = f"{settings.consumer_group}:{erased.id}"
        await eventually(lambda: handled.find_one({"_id": marker}), lambda found: found is not None, timeout=60)

        after = await every_document(service.runtime.database)
        # A redelivered erasure finds nothing and writes nothing (the tombstone's own timestamp aside).
        assert await handlers.erase_person(alice, ports) == 0
        again = await every_document(service.runtime.database)
        assert {k: v for k, v in again.items() if k != "people"} == {k: v for k, v in after.items() if k != "people"}
        with pytest.raises(Invalid):
            await handlers.register(
                ports, classic, alice, "mentee", locale="en", profile=sql_profile(Role.MENTEE), accepted_rules=True,
                by_curator=True,
            )  # fmt: skip
        # What the pair wrote stays readable to the pair that is left, under the stand-in.
        assert await pairs.meeting_notes(ports, pair_id, bob, "m1") == "Alice explained window functions"
        view = await desk.view_concern(ports, concern.id, bob)
        assert view.text == "Alice is often late"  # the words are Bob's; her id is what goes
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
    stand_in = heads[classic]["participants"][0]["person_id"]
    assert stand_in.startswith("former-employee-")
    assert [(p["person_id"], p["role"], p["locale"]) for p in heads[classic]["participants"]] == [
        (stand_in, "mentor", None),
        (bob, "mentee", "ru"),
    ]
    assert [(p["person_id"], p["role"]) for p in heads[reverse]["participants"]] == [
        (bob, "mentor"),
        (stand_in, "mentee"),
    ]
    classic_pair = next(head for head in after["pairs"] if head["_id"] == pair_id)
    assert (classic_pair["mentor_id"], classic_pair["mentee_ids"]) == (stand_in, [bob])
    # History rewritten in place: nothing published again or left pending, payloads still meet their contracts.
    for collection in outboxes:
        assert {commit["outbox_state"] for commit in after[collection]} == {PUBLISHED}, collection
        for commit in after[collection]:
            for event in commit["events"]:
                assert contract_for(event["type"]) is not None
                contract_for(event["type"]).model_validate(event["data"])  # type: ignore[union-attr]
    assert after.get("erasures_in_progress", []) == []
