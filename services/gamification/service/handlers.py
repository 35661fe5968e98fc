"""Gamification use cases."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gamification.domain.ledger import Deed, LedgerEntry, former_employee_id, price
from gamification.domain.rules import DEFAULT_RULES, Rule
from gamification.service.ports import Ledger, People

EXPORT_PAGE = 500


async def credit_deed(
    deed: Deed, ledger: Ledger, people: People, rules: tuple[Rule, ...] = DEFAULT_RULES
) -> list[LedgerEntry]:
    """Award the points a deed earns; an entry already in the ledger is not awarded again.

    A deed of someone the directory has since erased (its event was still on its way) is credited to a
    former employee: the points count in the totals, but the erased id never enters the ledger again.
    """
    awarded = []
    for entry in price(deed, rules, datetime.now(UTC)):
        if await _is_erased(entry.person_id, people):
            entry = entry.attributed_to(former_employee_id())
        if await ledger.append(entry):
            awarded.append(entry)
    return awarded


async def _is_erased(person_id: str, people: People) -> bool:
    found = await people.get(person_id)  # by _id: an index lookup even on FerretDB
    return found is not None and found.erased


@dataclass(frozen=True)
class Account:
    person_id: str
    balance: int
    entries: list[LedgerEntry]


async def account(person_id: str, ledger: Ledger, limit: int = 50, offset: int = 0) -> Account:
    return Account(person_id, await ledger.balance(person_id), await ledger.entries(person_id, limit, offset))


async def erase_person(person_id: str, ledger: Ledger, people: People) -> int:
    """Erase the person here: their entries go to one fresh former employee, their profile to a tombstone.

    Returns how many entries were re-attributed (0 when run again: nothing of theirs is left, nothing is
    written). The stand-in id is neither returned nor logged: that would link it back to the person.
    The tombstone comes first, so a deed credited while this runs already goes to a former employee.
    """
    if not await _is_erased(person_id, people):
        await people.apply_erased(person_id)
    return await ledger.reattribute(person_id, former_employee_id())


async def export_person(person_id: str, ledger: Ledger, people: People) -> dict[str, Any]:
    """Everything this service holds on the person, as JSON-able data (a subject access request)."""
    entries: list[LedgerEntry] = []
    while page := await ledger.entries(person_id, EXPORT_PAGE, len(entries)):
        entries.extend(page)
        if len(page) < EXPORT_PAGE:
            break
    return {
        "service": "gamification",
        "person": await people.export(person_id),
        "balance": await ledger.balance(person_id),
        "entries": [
            {
                "id": entry.id,
                "rule": entry.rule,
                "points": entry.points,
                "awarded_at": entry.awarded_at.isoformat(),
                "cause_event_id": entry.cause_event_id,
                "cause_event_type": entry.cause_event_type,
            }
            for entry in entries
        ],
    }
