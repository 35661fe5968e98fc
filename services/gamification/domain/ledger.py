"""The points ledger: append-only entries, never changed once written.

An entry's id derives from the rule version that priced it, the event that caused it and the person
credited (see `engine.entry_id`), so the same deed can never be credited twice, however often its event
is delivered. A correction is a new entry pointing at the one it cancels. The one exception to "never
changed" is erasure: an erased person's entries stay (totals per rule keep their sums) but are
re-attributed to a former employee, a random stand-in that cannot be traced back to them.
"""

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gamification.domain.engine import Award


@dataclass(frozen=True)
class Deed:
    """Something a person did, as another service reported it."""

    event_id: str
    event_type: str
    data: dict[str, Any]
    at: datetime
    restricted: bool = False
    """It came from a restricted topic: it names the real author of anonymous content."""


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    person_id: str
    points: int
    rule: str
    cause_event_id: str
    cause_event_type: str
    awarded_at: datetime
    rule_version: int = 1
    subject: str | None = None
    """What the deed was about (a comment, a solution), so a reversal can find it; never shown to anyone."""
    reverses: str | None = None
    """The entry this one cancels."""
    restricted: bool = False
    """Priced from a restricted event: its PointsAwarded goes to the restricted topic only."""
    circle_id: str | None = None
    """The peer-learning circle the deed happened in, for the circle's leaderboard."""

    def attributed_to(self, person_id: str) -> "LedgerEntry":
        return replace(self, person_id=person_id)

    @classmethod
    def of(cls, award: Award, restricted: bool, circle_id: str | None = None) -> "LedgerEntry":
        return cls(
            id=award.entry_id,
            person_id=award.person_id,
            points=award.points,
            rule=award.rule_id,
            cause_event_id=award.cause_event_id,
            cause_event_type=award.cause_event_type,
            awarded_at=award.at,
            rule_version=award.rule_version,
            subject=award.subject,
            reverses=award.reverses_entry_id,
            restricted=restricted,
            circle_id=circle_id,
        )


FORMER_EMPLOYEE_PREFIX = "former-employee-"


def former_employee_id() -> str:
    """A fresh stand-in for an erased person: random, never derived from their id, so nothing links back."""
    return FORMER_EMPLOYEE_PREFIX + secrets.token_hex(6)
