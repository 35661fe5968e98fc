"""Crediting deeds, reading accounts, erasing and exporting a person through the service layer, on fakes."""

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from gamification.domain.ledger import Deed
from gamification.domain.titles import ExpertTitle
from gamification.service import handlers
from gamification.service.badges import award_for_deed
from gamification.service.ports import Ledger, People, Rules
from gamification.tests.fakes import (
    InMemoryBadges,
    InMemoryDeeds,
    InMemoryLedger,
    InMemoryPeople,
    InMemoryRules,
    InMemoryTitles,
)
from shared.contracts.enrolment import TrainerDebutedV1
from shared.errors import Conflict

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = InMemoryRules()


def deed(event_id: str, event_type: str, data: dict[str, Any]) -> Deed:
    return Deed(event_id, event_type, data, AT)


ENROLLED = "com.owlery.enrolment.application.enrolled.v1"
REGISTERED = "com.owlery.mentoring.participant.registered.v1"


def test_the_fakes_implement_the_ports() -> None:
    ledger: Ledger = InMemoryLedger()
    people: People = InMemoryPeople()
    rules: Rules = InMemoryRules()
    assert rules is not None
    assert ledger is not None
    assert people is not None


async def test_the_same_deed_credited_twice_awards_once() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    enrolled = deed("event-1", ENROLLED, {"person_id": "p1", "course_id": "c1"})

    first = await handlers.credit_deed(enrolled, ledger, people, RULES)
    again = await handlers.credit_deed(enrolled, ledger, people, RULES)

    assert [(e.rule, e.cause_event_id, e.points) for e in first] == [("enrolment.enrolled", "event-1", 10)]
    assert again == []
    assert await ledger.balance("p1") == 10
    assert [e.id for e in await ledger.entries("p1", 50, 0)] == [first[0].id]


async def test_a_deed_no_rule_prices_awards_nothing() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()

    awarded = await handlers.credit_deed(
        deed("e1", REGISTERED, {"person_id": "p1", "role": "observer"}), ledger, people, RULES
    )

    assert awarded == []
    assert ledger.recorded == []


async def test_a_balance_sums_the_persons_entries_only() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    await handlers.credit_deed(deed("e1", ENROLLED, {"person_id": "p1"}), ledger, people, RULES)
    await handlers.credit_deed(deed("e2", REGISTERED, {"person_id": "p1", "role": "mentor"}), ledger, people, RULES)
    await handlers.credit_deed(deed("e3", REGISTERED, {"person_id": "p2", "role": "mentee"}), ledger, people, RULES)

    assert await ledger.balance("p1") == 25
    assert sorted(e.rule for e in await ledger.entries("p1", 50, 0)) == [
        "enrolment.enrolled",
        "mentoring.mentor_registered",
    ]
    assert (await ledger.balance("p2"), [e.points for e in await ledger.entries("p2", 50, 0)]) == (5, [5])
    assert (await ledger.balance("p3"), await ledger.entries("p3", 50, 0)) == (0, [])


async def test_entries_come_in_pages_but_the_balance_counts_them_all() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    for n in range(3):
        await handlers.credit_deed(deed(f"e{n}", ENROLLED, {"person_id": "p1"}), ledger, people, RULES)

    assert await ledger.balance("p1") == 30
    assert len(await ledger.entries("p1", 1, 1)) == 1


async def credited(ledger: InMemoryLedger, people: InMemoryPeople) -> None:
    """Ann: 10 + 15 + 10 points; Bob: 10 + 5."""
    await handlers.credit_deed(deed("e1", ENROLLED, {"person_id": "ann"}), ledger, people, RULES)
    await handlers.credit_deed(deed("e2", REGISTERED, {"person_id": "ann", "role": "mentor"}), ledger, people, RULES)
    await handlers.credit_deed(deed("e3", ENROLLED, {"person_id": "ann"}), ledger, people, RULES)
    await handlers.credit_deed(deed("e4", ENROLLED, {"person_id": "bob"}), ledger, people, RULES)
    await handlers.credit_deed(deed("e5", REGISTERED, {"person_id": "bob", "role": "mentee"}), ledger, people, RULES)


def totals_per_rule(ledger: InMemoryLedger) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in ledger.recorded:
        totals[entry.rule] = totals.get(entry.rule, 0) + entry.points
    return totals


async def test_erasure_gives_the_entries_to_one_random_former_employee_and_keeps_the_sums() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    people.upsert("ann", display_name="Ann Lee", department="R&D")
    await credited(ledger, people)
    before = totals_per_rule(ledger)
    bobs = [entry for entry in ledger.recorded if entry.person_id == "bob"]

    moved = await handlers.erase_person("ann", ledger, people, InMemoryDeeds())

    assert moved == 3
    assert all(entry.person_id != "ann" for entry in ledger.recorded)
    stand_ins = {entry.person_id for entry in ledger.recorded if entry.person_id != "bob"}
    assert len(stand_ins) == 1
    (stand_in,) = stand_ins
    assert re.fullmatch(r"former-employee-[0-9a-f]{12}", stand_in)
    assert "ann" not in stand_in
    assert totals_per_rule(ledger) == before
    assert [entry for entry in ledger.recorded if entry.person_id == "bob"] == bobs
    assert await ledger.balance("ann") == 0
    assert await ledger.balance(stand_in) == 35
    erased = await people.get("ann")
    assert erased is not None
    assert (erased.erased, erased.fields) == (True, {})


async def test_each_erasure_draws_a_new_stand_in() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    await credited(ledger, people)

    await handlers.erase_person("ann", ledger, people, InMemoryDeeds())
    await handlers.erase_person("bob", ledger, people, InMemoryDeeds())

    assert len({entry.person_id for entry in ledger.recorded}) == 2
    assert not {"ann", "bob"} & {entry.person_id for entry in ledger.recorded}


async def test_a_second_erasure_changes_nothing() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    people.upsert("ann", display_name="Ann Lee", department="R&D")
    await credited(ledger, people)
    await handlers.erase_person("ann", ledger, people, InMemoryDeeds())
    after_first = list(ledger.recorded)

    again = await handlers.erase_person("ann", ledger, people, InMemoryDeeds())

    assert again == 0
    assert ledger.recorded == after_first
    assert people.tombstones_written == 1


async def test_erasing_someone_unknown_leaves_only_a_tombstone() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    await credited(ledger, people)
    before = list(ledger.recorded)

    assert await handlers.erase_person("nobody", ledger, people, InMemoryDeeds()) == 0
    assert ledger.recorded == before
    assert await handlers.export_person("nobody", ledger, people) == {
        "service": "gamification",
        "person": None,
        "balance": 0,
        "entries": [],
    }


async def test_a_deed_arriving_after_the_erasure_is_credited_to_a_former_employee() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    await handlers.erase_person("ann", ledger, people, InMemoryDeeds())

    awarded = await handlers.credit_deed(deed("late", ENROLLED, {"person_id": "ann"}), ledger, people, RULES)

    assert [(entry.cause_event_id, entry.rule, entry.points) for entry in awarded] == [
        ("late", "enrolment.enrolled", 10)
    ]
    assert awarded[0].person_id.startswith("former-employee-")
    assert all(entry.person_id != "ann" for entry in ledger.recorded)


async def test_export_lists_the_profile_the_balance_and_every_entry() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    people.upsert("ann", display_name="Ann Lee", department="R&D")
    await credited(ledger, people)

    exported = await handlers.export_person("ann", ledger, people)

    assert exported["service"] == "gamification"
    assert exported["person"] == {"active": True, "erased": False, "display_name": "Ann Lee", "department": "R&D"}
    assert exported["balance"] == 35
    assert sorted((e["cause_event_id"], e["rule"], e["points"]) for e in exported["entries"]) == [
        ("e1", "enrolment.enrolled", 10),
        ("e2", "mentoring.mentor_registered", 15),
        ("e3", "enrolment.enrolled", 10),
    ]
    assert len({e["id"] for e in exported["entries"]}) == 3
    assert all(e["cause_event_type"] in (ENROLLED, REGISTERED) for e in exported["entries"])
    assert all(isinstance(e["awarded_at"], str) for e in exported["entries"])
    assert json.loads(json.dumps(exported)) == exported


async def test_export_pages_through_a_long_ledger() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    for n in range(handlers.EXPORT_PAGE + 3):
        await handlers.credit_deed(deed(f"e{n}", ENROLLED, {"person_id": "ann"}), ledger, people, RULES)

    exported = await handlers.export_person("ann", ledger, people)

    assert len({e["id"] for e in exported["entries"]}) == handlers.EXPORT_PAGE + 3
    assert exported["balance"] == 10 * (handlers.EXPORT_PAGE + 3)


async def test_after_erasure_the_export_holds_nothing() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    people.upsert("ann", display_name="Ann Lee", department="R&D")
    await credited(ledger, people)
    await handlers.erase_person("ann", ledger, people, InMemoryDeeds())

    exported = await handlers.export_person("ann", ledger, people)

    assert (exported["person"], exported["balance"], exported["entries"]) == (None, 0, [])


HELPFUL_CREDIT = "com.owlery.mentoring.comment.helpful_credit.v1"
REVOKED = "com.owlery.mentoring.comment.credits_revoked.v1"


def helpful(event_id: str, marked_by: str, author: str = "ann") -> Deed:
    data = {"circle_id": "c1", "task_id": "t1", "comment_id": "k1", "author_id": author, "marked_by": marked_by}
    return Deed(event_id, HELPFUL_CREDIT, data, AT, restricted=True)


async def test_helpful_marks_credit_the_real_author_apart_and_a_hidden_comment_takes_them_back() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    for event_id, marker in (("m1", "bob"), ("m2", "cid"), ("m3", "ann")):  # ann marking herself earns nothing
        await handlers.credit_deed(helpful(event_id, marker), ledger, people, RULES)
    assert await ledger.balance("ann") == 10
    assert all(entry.restricted for entry in ledger.recorded)  # published on the restricted topic only

    revoked = {"circle_id": "c1", "task_id": "t1", "comment_id": "k1", "author_id": "ann", "marks": 2}
    for _ in range(2):  # redelivered: reversed once
        await handlers.credit_deed(Deed("hide-1", REVOKED, revoked, AT, restricted=True), ledger, people, RULES)

    assert await ledger.balance("ann") == 0
    corrections = [entry for entry in ledger.recorded if entry.reverses is not None]
    assert sorted(entry.points for entry in corrections) == [-5, -5]


async def test_a_daily_cap_stops_helpful_points_for_the_day() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    cap = RULES.ruleset.rules["helpful-comment"].cap_per_day
    assert cap is not None
    for n in range(cap + 3):
        await handlers.credit_deed(helpful(f"m{n}", f"marker-{n}"), ledger, people, RULES)

    assert await ledger.balance("ann") == cap * RULES.ruleset.rules["helpful-comment"].points


async def test_an_admin_edit_against_a_superseded_version_is_refused() -> None:
    rules = InMemoryRules()
    current, _ = await rules.current()
    rule = current.rules["enrolment.enrolled"]

    edited = await handlers.edit_rule(rules, current.version, replace(rule, points=12))
    assert edited.rules["enrolment.enrolled"].points == 12
    with pytest.raises(Conflict):
        await handlers.edit_rule(rules, current.version, replace(rule, points=20))  # read before the first edit
    ledger, people = InMemoryLedger(), InMemoryPeople()
    awarded = await handlers.credit_deed(deed("e9", ENROLLED, {"person_id": "p9"}), ledger, people, rules)
    assert [(e.points, e.rule_version) for e in awarded] == [(12, 2)]


async def test_a_subject_access_request_also_gets_badges_and_titles() -> None:
    ledger, people, badges, titles = InMemoryLedger(), InMemoryPeople(), InMemoryBadges(), InMemoryTitles()
    people.upsert("ann", display_name="Ann Lee", department="R&D")
    debut = deed("debut", TrainerDebutedV1.ce_type, {"person_id": "ann", "course_id": "go"})
    await award_for_deed(debut, badges, badges, people)
    await titles.name(ExpertTitle("t1", "ann", "department", "R&D", "2026-10", "2026-11", 4))

    exported = await handlers.export_person("ann", ledger, people, badges=badges, titles=titles)

    assert [award["badge_id"] for award in exported["badges"]["awards"]] == ["owl"]
    assert exported["titles"] == [
        {"scope": "department", "scope_id": "R&D", "title_month": "2026-11", "helpful_marks": 4}
    ]


async def test_an_erasure_hands_every_store_the_ledgers_stand_in() -> None:
    ledger, people, badges, titles = InMemoryLedger(), InMemoryPeople(), InMemoryBadges(), InMemoryTitles()
    people.upsert("ann", display_name="Ann Lee", department="R&D")
    await credited(ledger, people)
    await award_for_deed(
        deed("debut", TrainerDebutedV1.ce_type, {"person_id": "ann", "course_id": "go"}), badges, badges, people
    )
    await titles.name(ExpertTitle("t1", "ann", "department", "R&D", "2026-10", "2026-11", 4))

    await handlers.erase_person("ann", ledger, people, InMemoryDeeds(), others=(badges, titles))

    stand_ins = {entry.person_id for entry in ledger.recorded if entry.person_id != "bob"}
    assert len(stand_ins) == 1
    assert {award.person_id for award in badges.awarded.values()} == stand_ins
    assert {title.person_id for title in titles.decided.values()} == stand_ins


async def test_running_a_master_class_pays_its_host_and_feedback_pays_whoever_gave_it() -> None:
    ledger, people, deeds = InMemoryLedger(), InMemoryPeople(), InMemoryDeeds()
    held = deed(
        "mc-held",
        "com.owlery.enrolment.master_class.held.v1",
        {"master_class_id": "mc1", "host_id": "hana", "title": "SQL", "duration_minutes": 60, "attendee_ids": ["ann"]},
    )
    feedback = "com.owlery.enrolment.master_class.feedback_given.v1"
    given = deed("mc-feedback", feedback, {"master_class_id": "mc1", "host_id": "hana", "person_id": "ann"})
    own = deed("mc-own", feedback, {"master_class_id": "mc1", "host_id": "hana", "person_id": "hana"})

    await handlers.credit_deeds([(held, None), (given, None), (own, None)], ledger, deeds, people, RULES)

    assert await ledger.balance("hana") == 40  # nothing for rating one's own master class
    assert await ledger.balance("ann") == 2


async def test_every_speaker_of_a_published_conference_programme_is_credited_once() -> None:
    ledger, people, deeds = InMemoryLedger(), InMemoryPeople(), InMemoryDeeds()
    published = deed(
        "conf-published",
        "com.owlery.enrolment.conference.programme_published.v1",
        {
            "conference_id": "cf1",
            "title": "DevDays",
            "talk_ids": ["t1", "t2", "t3"],
            "speaker_ids": ["ann", "bob", "ann"],
        },
    )
    for _ in range(2):  # redelivered
        await handlers.credit_deeds([(published, None)], ledger, deeds, people, RULES)
    assert (await ledger.balance("ann"), await ledger.balance("bob")) == (60, 60)


async def test_hosting_an_intern_pays_the_host_and_a_published_report_pays_the_guest() -> None:
    ledger, people, deeds = InMemoryLedger(), InMemoryPeople(), InMemoryDeeds()
    units = {"guest_unit": "department:qa", "host_unit": "partner:ml-lab"}
    completed = deed(
        "intern-done",
        "com.owlery.mentoring.internship.completed.v1",
        {"placement_id": "p1", "internship_id": "p1:gleb", "guest_id": "gleb", "host_id": "hana", **units},
    )
    report = deed(
        "intern-report",
        "com.owlery.mentoring.internship.report_published.v1",
        {"placement_id": "p1", "internship_id": "p1:gleb", "guest_id": "gleb", "title": "ML in QA",
         "knowledge_item_id": "mentoring.internship:p1:gleb"},
    )  # fmt: skip
    for _ in range(2):  # redelivered
        await handlers.credit_deeds([(completed, None), (report, None)], ledger, deeds, people, RULES)
    assert (await ledger.balance("hana"), await ledger.balance("gleb")) == (50, 20)


async def test_a_knowledge_item_pays_its_owner_once_when_someone_else_first_vouches_for_it() -> None:
    ledger, people, deeds = InMemoryLedger(), InMemoryPeople(), InMemoryDeeds()
    reviewed = "com.owlery.mentoring.knowledge.item_reviewed.v1"

    def review(event_id: str, reviewer: str, first: bool) -> tuple[Deed, None]:
        data = {"item_id": "knowledge:sql", "owner_id": "olga", "reviewer_id": reviewer, "title": "SQL",
                "item_type": "article", "first_independent_review": first}  # fmt: skip
        return deed(event_id, reviewed, data), None

    await handlers.credit_deeds(
        [review("r1", "olga", False), review("r2", "curator", True), review("r3", "curator", False)],
        ledger,
        deeds,
        people,
        RULES,
    )
    assert await ledger.balance("olga") == 30  # her own review and a second one by others pay nothing
    assert await ledger.balance("curator") == 0


async def test_facilitating_a_brainstorm_to_a_decision_pays_only_with_ideas_enough() -> None:
    ledger, people, deeds = InMemoryLedger(), InMemoryPeople(), InMemoryDeeds()

    def decided(event_id: str, facilitator: str, ideas: int) -> tuple[Deed, None]:
        data = {"circle_id": "c1", "brainstorm_id": event_id, "facilitator_id": facilitator, "owner_ids": ["bob"],
                "themes": 1, "ideas": ideas, "votes": 4, "knowledge_item_id": f"kb:{event_id}"}  # fmt: skip
        return deed(event_id, "com.owlery.mentoring.brainstorm.decided.v1", data), None

    await handlers.credit_deeds([decided("b1", "fay", 5), decided("b2", "fred", 2)], ledger, deeds, people, RULES)
    assert (await ledger.balance("fay"), await ledger.balance("fred")) == (15, 0)
