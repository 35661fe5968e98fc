"""The points ledger: append-only entries, one per (deed, rule), never changed once written.

An entry's id derives from the event that caused it and the rule that priced it, so the same
deed can never be credited twice, however often its event is delivered. The one exception to
"never changed" is erasure: an erased person's entries stay (totals per rule keep their sums) but
are re-attributed to a former employee, a random stand-in that cannot be traced back to them.
"""

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gamification.domain.rules import Rule


@dataclass(frozen=True)
class Deed:
    """Something a person did, as another service reported it."""

    event_id: str
    event_type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    person_id: str
    points: int
    rule: str
    cause_event_id: str
    cause_event_type: str
    awarded_at: datetime

    def attributed_to(self, person_id: str) -> "LedgerEntry":
        return replace(self, person_id=person_id)


FORMER_EMPLOYEE_PREFIX = "former-employee-"


def former_employee_id() -> str:
    """A fresh stand-in for an erased person: random, never derived from their id, so nothing links back."""
    return FORMER_EMPLOYEE_PREFIX + secrets.token_hex(6)


def entry_id(deed: Deed, rule: Rule) -> str:
    return f"{deed.event_id}:{rule.id}"


def price(deed: Deed, rules: tuple[Rule, ...], now: datetime) -> list[LedgerEntry]:
    """The entries a deed earns under the rules (none if no rule applies)."""
    return [
        LedgerEntry(
            id=entry_id(deed, rule),
            person_id=str(deed.data[rule.credits]),
            points=rule.points,
            rule=rule.id,
            cause_event_id=deed.event_id,
            cause_event_type=deed.event_type,
            awarded_at=now,
        )
        for rule in rules
        if rule.applies_to(deed.event_type, deed.data) and deed.data.get(rule.credits)
    ]
