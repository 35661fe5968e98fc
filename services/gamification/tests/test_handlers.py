"""Crediting deeds, reading accounts, erasing and exporting a person through the service layer, on fakes."""

import json
import re

from gamification.domain.ledger import Deed
from gamification.service import handlers
from gamification.service.ports import Ledger, People
from gamification.tests.fakes import InMemoryLedger, InMemoryPeople

ENROLLED = "com.owlery.enrolment.application.enrolled.v1"
REGISTERED = "com.owlery.mentoring.participant.registered.v1"


def test_the_fakes_implement_the_ports() -> None:
    ledger: Ledger = InMemoryLedger()
    people: People = InMemoryPeople()
    assert ledger is not None
    assert people is not None


async def test_the_same_deed_credited_twice_awards_once() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    deed = Deed("event-1", ENROLLED, {"person_id": "p1", "course_id": "c1"})

    first = await handlers.credit_deed(deed, ledger, people)
    again = await handlers.credit_deed(deed, ledger, people)

    assert [(e.id, e.points) for e in first] == [("event-1:enrolment.enrolled", 10)]
    assert again == []
    account = await handlers.account("p1", ledger)
    assert account.balance == 10
    assert [e.id for e in account.entries] == ["event-1:enrolment.enrolled"]


async def test_a_deed_no_rule_prices_awards_nothing() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()

    awarded = await handlers.credit_deed(
        Deed("e1", REGISTERED, {"person_id": "p1", "role": "observer"}), ledger, people
    )

    assert awarded == []
    assert ledger.recorded == []


async def test_account_sums_the_persons_entries_only() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    await handlers.credit_deed(Deed("e1", ENROLLED, {"person_id": "p1"}), ledger, people)
    await handlers.credit_deed(Deed("e2", REGISTERED, {"person_id": "p1", "role": "mentor"}), ledger, people)
    await handlers.credit_deed(Deed("e3", REGISTERED, {"person_id": "p2", "role": "mentee"}), ledger, people)

    mine = await handlers.account("p1", ledger)
    theirs = await handlers.account("p2", ledger)
    nobody = await handlers.account("p3", ledger)

    assert (mine.person_id, mine.balance) == ("p1", 25)
    assert sorted(e.rule for e in mine.entries) == ["enrolment.enrolled", "mentoring.mentor_registered"]
    assert (theirs.balance, [e.points for e in theirs.entries]) == (5, [5])
    assert (nobody.balance, nobody.entries) == (0, [])


async def test_account_pages_entries_but_the_balance_counts_them_all() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    for n in range(3):
        await handlers.credit_deed(Deed(f"e{n}", ENROLLED, {"person_id": "p1"}), ledger, people)

    page = await handlers.account("p1", ledger, limit=1, offset=1)

    assert page.balance == 30
    assert len(page.entries) == 1


async def credited(ledger: InMemoryLedger, people: InMemoryPeople) -> None:
    """Ann: 10 + 15 + 10 points; Bob: 10 + 5."""
    await handlers.credit_deed(Deed("e1", ENROLLED, {"person_id": "ann"}), ledger, people)
    await handlers.credit_deed(Deed("e2", REGISTERED, {"person_id": "ann", "role": "mentor"}), ledger, people)
    await handlers.credit_deed(Deed("e3", ENROLLED, {"person_id": "ann"}), ledger, people)
    await handlers.credit_deed(Deed("e4", ENROLLED, {"person_id": "bob"}), ledger, people)
    await handlers.credit_deed(Deed("e5", REGISTERED, {"person_id": "bob", "role": "mentee"}), ledger, people)


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

    moved = await handlers.erase_person("ann", ledger, people)

    assert moved == 3
    assert all(entry.person_id != "ann" for entry in ledger.recorded)
    stand_ins = {entry.person_id for entry in ledger.recorded if entry.person_id != "bob"}
    assert len(stand_ins) == 1
    (stand_in,) = stand_ins
    assert re.fullmatch(r"former-employee-[0-9a-f]{12}", stand_in)
    assert "ann" not in stand_in
    assert totals_per_rule(ledger) == before
    assert [entry for entry in ledger.recorded if entry.person_id == "bob"] == bobs
    assert (await handlers.account("ann", ledger)).balance == 0
    assert (await handlers.account(stand_in, ledger)).balance == 35
    erased = await people.get("ann")
    assert erased is not None
    assert (erased.erased, erased.fields) == (True, {})


async def test_each_erasure_draws_a_new_stand_in() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    await credited(ledger, people)

    await handlers.erase_person("ann", ledger, people)
    await handlers.erase_person("bob", ledger, people)

    assert len({entry.person_id for entry in ledger.recorded}) == 2
    assert not {"ann", "bob"} & {entry.person_id for entry in ledger.recorded}


async def test_a_second_erasure_changes_nothing() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    people.upsert("ann", display_name="Ann Lee", department="R&D")
    await credited(ledger, people)
    await handlers.erase_person("ann", ledger, people)
    after_first = list(ledger.recorded)

    again = await handlers.erase_person("ann", ledger, people)

    assert again == 0
    assert ledger.recorded == after_first
    assert people.tombstones_written == 1


async def test_erasing_someone_unknown_leaves_only_a_tombstone() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    await credited(ledger, people)
    before = list(ledger.recorded)

    assert await handlers.erase_person("nobody", ledger, people) == 0
    assert ledger.recorded == before
    assert await handlers.export_person("nobody", ledger, people) == {
        "service": "gamification",
        "person": None,
        "balance": 0,
        "entries": [],
    }


async def test_a_deed_arriving_after_the_erasure_is_credited_to_a_former_employee() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    await handlers.erase_person("ann", ledger, people)

    awarded = await handlers.credit_deed(Deed("late", ENROLLED, {"person_id": "ann"}), ledger, people)

    assert [(entry.id, entry.points) for entry in awarded] == [("late:enrolment.enrolled", 10)]
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
    assert sorted((e["id"], e["rule"], e["points"], e["cause_event_id"]) for e in exported["entries"]) == [
        ("e1:enrolment.enrolled", "enrolment.enrolled", 10, "e1"),
        ("e2:mentoring.mentor_registered", "mentoring.mentor_registered", 15, "e2"),
        ("e3:enrolment.enrolled", "enrolment.enrolled", 10, "e3"),
    ]
    assert all(e["cause_event_type"] in (ENROLLED, REGISTERED) for e in exported["entries"])
    assert all(isinstance(e["awarded_at"], str) for e in exported["entries"])
    assert json.loads(json.dumps(exported)) == exported


async def test_export_pages_through_a_long_ledger() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    for n in range(handlers.EXPORT_PAGE + 3):
        await handlers.credit_deed(Deed(f"e{n}", ENROLLED, {"person_id": "ann"}), ledger, people)

    exported = await handlers.export_person("ann", ledger, people)

    assert len({e["id"] for e in exported["entries"]}) == handlers.EXPORT_PAGE + 3
    assert exported["balance"] == 10 * (handlers.EXPORT_PAGE + 3)


async def test_after_erasure_the_export_holds_nothing() -> None:
    ledger, people = InMemoryLedger(), InMemoryPeople()
    people.upsert("ann", display_name="Ann Lee", department="R&D")
    await credited(ledger, people)
    await handlers.erase_person("ann", ledger, people)

    exported = await handlers.export_person("ann", ledger, people)

    assert (exported["person"], exported["balance"], exported["entries"]) == (None, 0, [])
