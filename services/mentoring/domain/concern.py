"""A confidential concern a pair member raises with the programme's curators.

Either person of a pair may raise one; the other member must never learn of it. Who may read it
(the raiser and the curators) is the service's to enforce with `visible_to`; this aggregate keeps
the case: the sealed text, what the curators did about it and how it ended.

Texts arrive already sealed (an opaque string the domain never reads), and no event carries them,
nor the raiser's id: events travel to other services, the concern must not.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from shared.errors import Conflict, Forbidden, Invalid

E = TypeVar("E", bound=StrEnum)


# --- events: ids and codes only, never the raiser or any text ------------------------------------


@dataclass(frozen=True)
class ConcernRaised:
    concern_id: str
    programme_id: str
    pair_id: str
    curator_ids: list[str]  # who is to be told; the raiser is left out on purpose


@dataclass(frozen=True)
class ConcernActionRecorded:
    concern_id: str
    programme_id: str
    action: str


@dataclass(frozen=True)
class ConcernResolved:
    concern_id: str
    programme_id: str
    pair_id: str
    outcome: str


ConcernEvent = ConcernRaised | ConcernActionRecorded | ConcernResolved


# --- values ----------------------------------------------------------------------------------------


class ConcernStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Action(StrEnum):
    TALK = "talk"  # the curator talked to one or both members
    REMATCH = "rematch"  # the pair ends and its members are matched anew
    CLOSE_PAIR = "close_pair"  # the pair ends without a new match
    NOTE = "note"  # a sealed note for the case file, nothing done yet


class Outcome(StrEnum):
    TALKED = "talked"
    REMATCHED = "rematched"
    PAIR_CLOSED = "pair_closed"
    NO_ACTION = "no_action"


# Actions after which the service ends the pair: the concern records the decision, the pair
# aggregate carries it out, so the two stay separate consistency boundaries.
PAIR_ENDING_ACTIONS = frozenset({Action.REMATCH, Action.CLOSE_PAIR})


@dataclass(frozen=True)
class CaseAction:
    action: Action
    by: str  # the curator who acted
    sealed_note: str | None
    at: datetime

    @property
    def ends_pair(self) -> bool:
        """True when the service must now end the pair (a rematch or a closing)."""
        return self.action in PAIR_ENDING_ACTIONS


# --- the aggregate ---------------------------------------------------------------------------------


@dataclass
class Concern:
    id: str
    programme_id: str
    pair_id: str
    raised_by: str
    curator_ids: tuple[str, ...]
    sealed_text: str
    raised_at: datetime
    status: ConcernStatus = ConcernStatus.OPEN
    actions: list[CaseAction] = field(default_factory=list)
    outcome: Outcome | None = None
    resolved_at: datetime | None = None
    events: list[ConcernEvent] = field(default_factory=list, compare=False)

    @classmethod
    def raise_concern(
        cls,
        concern_id: str,
        programme_id: str,
        pair_id: str,
        raised_by: str,
        curator_ids: tuple[str, ...] | list[str],
        sealed_text: str,
        now: datetime,
    ) -> "Concern":
        if not sealed_text.strip():
            raise Invalid("a concern needs a text", field="text")
        _require_aware(now)
        concern = cls(
            id=concern_id,
            programme_id=programme_id,
            pair_id=pair_id,
            raised_by=raised_by,
            curator_ids=tuple(dict.fromkeys(curator_ids)),  # each curator once, in the order given
            sealed_text=sealed_text,
            raised_at=now,
        )
        concern.events.append(ConcernRaised(concern_id, programme_id, pair_id, list(concern.curator_ids)))
        return concern

    @property
    def is_open(self) -> bool:
        return self.status is ConcernStatus.OPEN

    def visible_to(self, person_id: str) -> bool:
        """Only the raiser and the curators may read the concern; the other pair member never."""
        return person_id == self.raised_by or person_id in self.curator_ids

    def record_action(self, curator_id: str, action: str, sealed_note: str | None, now: datetime) -> CaseAction:
        """Add a curator's step to the case file; `CaseAction.ends_pair` tells the caller to end the pair."""
        self._require_curator(curator_id)
        self._require_open()
        parsed = _parse(Action, action, "action")
        note = sealed_note if sealed_note and sealed_note.strip() else None
        if parsed is Action.NOTE and note is None:
            raise Invalid("a note action needs a note", field="note")
        _require_aware(now)
        recorded = CaseAction(parsed, curator_id, note, now)
        self.actions.append(recorded)
        self.events.append(ConcernActionRecorded(self.id, self.programme_id, parsed.value))
        return recorded

    def resolve(self, curator_id: str, outcome: str, now: datetime) -> None:
        self._require_curator(curator_id)
        self._require_open()
        parsed = _parse(Outcome, outcome, "outcome")
        _require_aware(now)
        self.status = ConcernStatus.RESOLVED
        self.outcome = parsed
        self.resolved_at = now
        self.events.append(ConcernResolved(self.id, self.programme_id, self.pair_id, parsed.value))

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place as raiser, curator or actor; False if absent.

        The sealed texts stay: they are sealed with keys the service can destroy, and the case
        file must still make sense to the remaining curators. No event: erasure is not news.
        """
        if not self._mentions(person_id):
            return False
        if self._mentions(replacement):
            raise ValueError("the replacement id is already in use in this concern")

        def swap(some_id: str) -> str:
            return replacement if some_id == person_id else some_id

        self.raised_by = swap(self.raised_by)
        self.curator_ids = tuple(swap(curator) for curator in self.curator_ids)
        self.actions = [CaseAction(step.action, swap(step.by), step.sealed_note, step.at) for step in self.actions]
        return True

    def _mentions(self, person_id: str) -> bool:
        return (
            person_id == self.raised_by
            or person_id in self.curator_ids
            or any(step.by == person_id for step in self.actions)
        )

    def _require_curator(self, person_id: str) -> None:
        if person_id not in self.curator_ids:
            raise Forbidden("only the programme's curators handle a concern")

    def _require_open(self) -> None:
        if not self.is_open:
            raise Conflict("this concern is already resolved", status=self.status.value)

    # The state as plain data, for the repository.
    def to_state(self) -> dict[str, Any]:
        return {
            "programme_id": self.programme_id,
            "pair_id": self.pair_id,
            "raised_by": self.raised_by,
            "curator_ids": list(self.curator_ids),
            "sealed_text": self.sealed_text,
            "raised_at": self.raised_at.isoformat(),
            "status": self.status.value,
            "actions": [
                {"action": step.action.value, "by": step.by, "sealed_note": step.sealed_note, "at": step.at.isoformat()}
                for step in self.actions
            ],
            "outcome": self.outcome.value if self.outcome is not None else None,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at is not None else None,
        }

    @classmethod
    def from_state(cls, concern_id: str, state: dict[str, Any]) -> "Concern":
        return cls(
            id=concern_id,
            programme_id=state["programme_id"],
            pair_id=state["pair_id"],
            raised_by=state["raised_by"],
            curator_ids=tuple(state["curator_ids"]),
            sealed_text=state["sealed_text"],
            raised_at=datetime.fromisoformat(state["raised_at"]),
            status=ConcernStatus(state["status"]),
            actions=[
                CaseAction(Action(step["action"]), step["by"], step["sealed_note"], datetime.fromisoformat(step["at"]))
                for step in state["actions"]
            ],
            outcome=Outcome(state["outcome"]) if state["outcome"] is not None else None,
            resolved_at=datetime.fromisoformat(state["resolved_at"]) if state["resolved_at"] is not None else None,
        )


def _require_aware(now: datetime) -> None:
    # A naive time would be stored without an offset and read back as another instant.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")


def _parse(kind: type[E], value: str, field_name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise Invalid(f"{field_name} must be one of {allowed}", field=field_name) from None
