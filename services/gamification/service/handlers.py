"""Gamification use cases."""

from dataclasses import dataclass
from datetime import UTC, datetime

from gamification.domain.ledger import Deed, LedgerEntry, price
from gamification.domain.rules import DEFAULT_RULES, Rule
from gamification.service.ports import Ledger


async def credit_deed(deed: Deed, ledger: Ledger, rules: tuple[Rule, ...] = DEFAULT_RULES) -> list[LedgerEntry]:
    """Award the points a deed earns; an entry already in the ledger is not awarded again."""
    awarded = []
    for entry in price(deed, rules, datetime.now(UTC)):
        if await ledger.append(entry):
            awarded.append(entry)
    return awarded


@dataclass(frozen=True)
class Account:
    person_id: str
    balance: int
    entries: list[LedgerEntry]


async def account(person_id: str, ledger: Ledger, limit: int = 50, offset: int = 0) -> Account:
    return Account(person_id, await ledger.balance(person_id), await ledger.entries(person_id, limit, offset))
