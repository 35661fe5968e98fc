"""A moderation flag: a member of a peer-learning circle says a solution or a comment in a task is wrong.

A flag is raised against one item and resolved once by a moderator: the item is hidden, edited,
restored or the flag is dismissed. Who may raise or resolve (circle members, the circle's
moderators) is the service's to check, and so is carrying the outcome out on the item itself; the
flag only keeps its own case consistent.

The flagger's words and the moderator's note stay here: no event carries them, nor the flagger's id,
so the author of the flagged item never learns who flagged it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from shared.errors import Conflict, Invalid

E = TypeVar("E", bound=StrEnum)

MAX_TEXT_LENGTH = 2000
MAX_NOTE_LENGTH = 2000


# --- events: ids and codes only, never the flagger, the text or the note ----------------------------


@dataclass(frozen=True)
class FlagRaised:
    circle_id: str
    flag_id: str
    task_id: str
    item_kind: str
    reason: str


@dataclass(frozen=True)
class FlagResolved:
    circle_id: str
    flag_id: str
    outcome: str


FlagEvent = FlagRaised | FlagResolved


# --- values ----------------------------------------------------------------------------------------


class FlagReason(StrEnum):
    FALSE_INFORMATION = "false_information"
    RUDENESS = "rudeness"
    SPAM = "spam"
    DOMINANCE = "dominance"  # one member crowding the others out of the discussion


class FlagStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class FlagOutcome(StrEnum):
    HIDDEN = "hidden"
    EDITED = "edited"
    RESTORED = "restored"
    DISMISSED = "dismissed"


class FlaggedItemKind(StrEnum):
    SOLUTION = "solution"
    COMMENT = "comment"


# Outcomes that change what the circle sees of someone's words: the moderator must say why.
OUTCOMES_NEEDING_A_NOTE = frozenset({FlagOutcome.HIDDEN, FlagOutcome.EDITED})


# --- the aggregate ---------------------------------------------------------------------------------


@dataclass
class Flag:
    id: str
    circle_id: str
    task_id: str
    item_id: str
    item_kind: FlaggedItemKind
    reason: FlagReason
    text: str
    flagged_by: str
    flagged_at: datetime
    status: FlagStatus = FlagStatus.OPEN
    outcome: FlagOutcome | None = None
    moderator_id: str | None = None
    note: str | None = None
    resolved_at: datetime | None = None
    events: list[FlagEvent] = field(default_factory=list, compare=False)

    @classmethod
    def raise_flag(
        cls,
        flag_id: str,
        circle_id: str,
        task_id: str,
        item_id: str,
        item_kind: str,
        reason: str,
        text: str,
        flagged_by: str,
        now: datetime,
    ) -> "Flag":
        parsed_kind = _parse(FlaggedItemKind, item_kind, "item_kind")
        parsed_reason = _parse(FlagReason, reason, "reason")
        text = text.strip()
        if not text:
            raise Invalid("say what is wrong", field="text")
        if len(text) > MAX_TEXT_LENGTH:
            raise Invalid(f"say what is wrong in at most {MAX_TEXT_LENGTH} characters", field="text")
        _require_aware(now)
        flag = cls(
            id=flag_id,
            circle_id=circle_id,
            task_id=task_id,
            item_id=item_id,
            item_kind=parsed_kind,
            reason=parsed_reason,
            text=text,
            flagged_by=flagged_by,
            flagged_at=now,
        )
        flag.events.append(FlagRaised(circle_id, flag_id, task_id, parsed_kind.value, parsed_reason.value))
        return flag

    @property
    def is_open(self) -> bool:
        return self.status is FlagStatus.OPEN

    def check_decision(self, outcome: str, note: str | None) -> tuple[FlagOutcome, str | None]:
        """The decision as it would be recorded, or the refusal: lets a moderator's action be checked before it acts."""
        if not self.is_open:
            raise Conflict("this flag is already resolved", status=self.status.value)
        parsed = _parse(FlagOutcome, outcome, "outcome")
        cleaned_note = note.strip() if note is not None and note.strip() else None
        if parsed in OUTCOMES_NEEDING_A_NOTE and cleaned_note is None:
            raise Invalid(f"say why the item is {parsed.value}", field="note")
        if cleaned_note is not None and len(cleaned_note) > MAX_NOTE_LENGTH:
            raise Invalid(f"a note has at most {MAX_NOTE_LENGTH} characters", field="note")
        return parsed, cleaned_note

    def resolve(self, moderator_id: str, outcome: str, note: str | None, now: datetime) -> None:
        """Close the case once; hiding or editing someone's words needs a note saying why."""
        parsed, cleaned_note = self.check_decision(outcome, note)
        _require_aware(now)
        self.status = FlagStatus.RESOLVED
        self.outcome = parsed
        self.moderator_id = moderator_id
        self.note = cleaned_note
        self.resolved_at = now
        self.events.append(FlagResolved(self.circle_id, self.id, parsed.value))

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place as flagger or moderator; False if absent.

        The text and note stay: the case must still make sense to the circle's moderators.
        No event: erasure is not news.
        """
        if person_id not in self._person_ids():
            return False
        if replacement in self._person_ids():
            raise ValueError("the replacement id is already in use in this flag")
        if self.flagged_by == person_id:
            self.flagged_by = replacement
        if self.moderator_id == person_id:
            self.moderator_id = replacement
        return True

    def _person_ids(self) -> set[str]:
        return {self.flagged_by} | ({self.moderator_id} if self.moderator_id is not None else set())

    # The state as plain data, for the repository.
    def to_state(self) -> dict[str, Any]:
        return {
            "circle_id": self.circle_id,
            "task_id": self.task_id,
            "item_id": self.item_id,
            "item_kind": self.item_kind.value,
            "reason": self.reason.value,
            "text": self.text,
            "flagged_by": self.flagged_by,
            "flagged_at": self.flagged_at.isoformat(),
            "status": self.status.value,
            "outcome": self.outcome.value if self.outcome is not None else None,
            "moderator_id": self.moderator_id,
            "note": self.note,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at is not None else None,
        }

    @classmethod
    def from_state(cls, flag_id: str, state: dict[str, Any]) -> "Flag":
        return cls(
            id=flag_id,
            circle_id=state["circle_id"],
            task_id=state["task_id"],
            item_id=state["item_id"],
            item_kind=FlaggedItemKind(state["item_kind"]),
            reason=FlagReason(state["reason"]),
            text=state["text"],
            flagged_by=state["flagged_by"],
            flagged_at=datetime.fromisoformat(state["flagged_at"]),
            status=FlagStatus(state["status"]),
            outcome=FlagOutcome(state["outcome"]) if state["outcome"] is not None else None,
            moderator_id=state["moderator_id"],
            note=state["note"],
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
