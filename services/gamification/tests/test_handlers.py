"""Crediting deeds and reading accounts through the service layer, against an in-memory ledger."""

from gamification.domain.ledger import Deed
from gamification.service import handlers
from gamification.service.ports import Ledger
from gamification.tests.fakes import InMemoryLedger

ENROLLED = "com.owlery.enrolment.application.enrolled.v1"
REGISTERED = "com.owlery.mentoring.participant.registered.v1"


def test_the_fake_implements_the_port() -> None:
    ledger: Ledger = InMemoryLedger()
    assert ledger is not None


async def test_the_same_deed_credited_twice_awards_once() -> None:
    ledger = InMemoryLedger()
    deed = Deed("event-1", ENROLLED, {"person_id": "p1", "course_id": "c1"})

    first = await handlers.credit_deed(deed, ledger)
    again = await handlers.credit_deed(deed, ledger)

    assert [(e.id, e.points) for e in first] == [("event-1:enrolment.enrolled", 10)]
    assert again == []
    account = await handlers.account("p1", ledger)
    assert account.balance == 10
    assert [e.id for e in account.entries] == ["event-1:enrolment.enrolled"]


async def test_a_deed_no_rule_prices_awards_nothing() -> None:
    ledger = InMemoryLedger()

    awarded = await handlers.credit_deed(Deed("e1", REGISTERED, {"person_id": "p1", "role": "observer"}), ledger)

    assert awarded == []
    assert ledger.recorded == []


async def test_account_sums_the_persons_entries_only() -> None:
    ledger = InMemoryLedger()
    await handlers.credit_deed(Deed("e1", ENROLLED, {"person_id": "p1"}), ledger)
    await handlers.credit_deed(Deed("e2", REGISTERED, {"person_id": "p1", "role": "mentor"}), ledger)
    await handlers.credit_deed(Deed("e3", REGISTERED, {"person_id": "p2", "role": "mentee"}), ledger)

    mine = await handlers.account("p1", ledger)
    theirs = await handlers.account("p2", ledger)
    nobody = await handlers.account("p3", ledger)

    assert (mine.person_id, mine.balance) == ("p1", 25)
    assert sorted(e.rule for e in mine.entries) == ["enrolment.enrolled", "mentoring.mentor_registered"]
    assert (theirs.balance, [e.points for e in theirs.entries]) == (5, [5])
    assert (nobody.balance, nobody.entries) == (0, [])


async def test_account_pages_entries_but_the_balance_counts_them_all() -> None:
    ledger = InMemoryLedger()
    for n in range(3):
        await handlers.credit_deed(Deed(f"e{n}", ENROLLED, {"person_id": "p1"}), ledger)

    page = await handlers.account("p1", ledger, limit=1, offset=1)

    assert page.balance == 30
    assert len(page.entries) == 1
