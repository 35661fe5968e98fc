"""Exchange internships: a unit offers placements, an employee spends time there and brings a report back.

Three aggregates, each one versioned document:

- `Partner`: an outside organisation or training centre an admin registered; it can host guests.
- `Placement`: what a host unit offers (a topic, dates, seats, what the guest learns and what the host
  hopes to learn back) and the person who receives the guests (`host_id`). The placement counts its own
  seats: an approval takes one inside this document, so two approvals racing for the last seat are two
  writers of one document and the repository's version check lets only one of them through.
- `Internship`: one guest at one placement: applied -> approved (by the guest's manager) or declined ->
  running (host and guest agreed SMART-checked goals) -> completed (both sides gave final feedback).
  The guest keeps a short log and writes a report, published to the knowledge base once completed.

Units are strings: "department:<id>" for a team or training centre of the company, "partner:<id>" for a
registered partner. Events carry ids, units, counts and the report's title; never the log, the
feedback's words or the report's text.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal, cast

from mentoring.domain.goals import (
    MAX_GOALS,
    Goal,
    GoalDraft,
    Letter,
    ProgrammeFrame,
    SmartCheck,
    accept_goal,
)
from shared.errors import Conflict, Forbidden, Invalid

MAX_NAME = 200
MAX_TITLE = 200
MAX_TEXT = 5000
MAX_GOALS_TEXT = 5000
MAX_LOG_ENTRY = 1000
MAX_LOG_ENTRIES = 200
MAX_FEEDBACK = 5000
MAX_SEATS = 100
MAX_COMPETENCIES = 20
MAX_REPORT_SUMMARY = 5000
MAX_REPORT_BODY = 50_000
MIN_RATING, MAX_RATING = 1, 5
DEPARTMENT, PARTNER = "department", "partner"

Side = Literal["guest", "host"]


class PartnerKind(StrEnum):
    ORGANISATION = "organisation"
    TRAINING_CENTRE = "training_centre"


class Status(StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    DECLINED = "declined"
    RUNNING = "running"
    COMPLETED = "completed"


def department_unit(department_id: str) -> str:
    return f"{DEPARTMENT}:{department_id}"


def partner_unit(partner_id: str) -> str:
    return f"{PARTNER}:{partner_id}"


def parse_unit(unit: str, field_name: str = "host_unit") -> tuple[str, str]:
    """("department" | "partner", id) of a unit string; Invalid naming `field_name` otherwise."""
    kind, _, unit_id = unit.strip().partition(":")
    if kind not in (DEPARTMENT, PARTNER) or not unit_id.strip():
        raise Invalid("a unit is 'department:<id>' or 'partner:<id>'", field=field_name)
    return kind, unit_id.strip()


# --- events: mapped field by field to the integration contracts of the same name + V1 ---------------


@dataclass(frozen=True)
class PartnerRegistered:
    partner_id: str
    name: str
    kind: str
    registered_by: str


@dataclass(frozen=True)
class PlacementOffered:
    placement_id: str
    host_unit: str
    host_id: str
    title: str
    starts_on: date
    ends_on: date
    seats: int
    guest_learns: str
    host_learns_back: str
    competencies: list[str]


@dataclass(frozen=True)
class InternshipApplied:
    placement_id: str
    internship_id: str
    guest_id: str
    guest_unit: str
    manager_id: str


@dataclass(frozen=True)
class InternshipApproved:
    placement_id: str
    internship_id: str
    guest_id: str
    manager_id: str
    host_id: str


@dataclass(frozen=True)
class InternshipDeclined:
    placement_id: str
    internship_id: str
    guest_id: str
    manager_id: str


@dataclass(frozen=True)
class InternshipGoalsAgreed:
    placement_id: str
    internship_id: str
    guest_id: str
    host_id: str
    goals: int


@dataclass(frozen=True)
class InternshipLogged:
    placement_id: str
    internship_id: str
    guest_id: str
    entries: int


@dataclass(frozen=True)
class InternshipFeedbackGiven:
    placement_id: str
    internship_id: str
    person_id: str
    role: str


@dataclass(frozen=True)
class InternshipCompleted:
    placement_id: str
    internship_id: str
    guest_id: str
    host_id: str
    guest_unit: str
    host_unit: str


@dataclass(frozen=True)
class InternshipReportPublished:
    placement_id: str
    internship_id: str
    guest_id: str
    title: str
    knowledge_item_id: str
    host_id: str


InternshipEvent = (
    InternshipApplied
    | InternshipApproved
    | InternshipDeclined
    | InternshipGoalsAgreed
    | InternshipLogged
    | InternshipFeedbackGiven
    | InternshipCompleted
    | InternshipReportPublished
)


def _text(value: str, limit: int, field_name: str, empty: str | None = None) -> str:
    value = value.strip()
    if empty is not None and not value:
        raise Invalid(empty, field=field_name)
    if len(value) > limit:
        raise Invalid(f"{field_name} has at most {limit} characters", field=field_name, limit=limit)
    return value


# --- partner -----------------------------------------------------------------------------------------


@dataclass
class Partner:
    id: str
    name: str
    kind: PartnerKind
    registered_by: str
    registered_at: datetime
    events: list[PartnerRegistered] = field(default_factory=list, compare=False)

    @property
    def unit(self) -> str:
        return partner_unit(self.id)

    @classmethod
    def register(cls, partner_id: str, name: str, kind: str, by: str, now: datetime) -> "Partner":
        name = _text(name, MAX_NAME, "name", "a partner needs a name")
        try:
            parsed = PartnerKind(kind)
        except ValueError:
            allowed = ", ".join(member.value for member in PartnerKind)
            raise Invalid(f"kind must be one of {allowed}", field="kind") from None
        partner = cls(partner_id, name, parsed, by, now)
        partner.events.append(PartnerRegistered(partner_id, name, parsed.value, by))
        return partner

    def erase_person(self, person_id: str, replacement: str) -> bool:
        if self.registered_by != person_id:
            return False
        self.registered_by = replacement
        return True

    def to_state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "registered_by": self.registered_by,
            "registered_at": self.registered_at.isoformat(),
        }

    @classmethod
    def from_state(cls, partner_id: str, state: Mapping[str, Any]) -> "Partner":
        return cls(
            partner_id,
            state["name"],
            PartnerKind(state["kind"]),
            state["registered_by"],
            datetime.fromisoformat(state["registered_at"]),
        )


# --- placement ---------------------------------------------------------------------------------------


@dataclass
class Placement:
    id: str
    host_unit: str
    host_id: str
    offered_by: str
    title: str
    starts_on: date
    ends_on: date
    seats: int
    guest_learns: str
    host_learns_back: str
    competencies: tuple[str, ...]
    offered_at: datetime
    taken_by: list[str] = field(default_factory=list)  # internship ids holding a seat
    events: list[PlacementOffered] = field(default_factory=list, compare=False)

    @classmethod
    def offer(
        cls,
        placement_id: str,
        *,
        host_unit: str,
        host_id: str,
        offered_by: str,
        title: str,
        starts_on: date,
        ends_on: date,
        seats: int,
        guest_learns: str,
        host_learns_back: str,
        competencies: Sequence[str],
        now: datetime,
    ) -> "Placement":
        """A host unit offers `seats` places from `starts_on` to `ends_on`; `host_id` receives the guests."""
        kind, unit_id = parse_unit(host_unit)
        if not host_id.strip():
            raise Invalid("a placement names the person who receives the guests", field="host_id")
        title = _text(title, MAX_TITLE, "title", "a placement needs a topic")
        if ends_on < starts_on:
            raise Invalid("a placement ends on or after the day it starts", field="ends_on")
        if ends_on < now.date():
            raise Invalid("a placement cannot end in the past", field="ends_on")
        if isinstance(seats, bool) or not 1 <= seats <= MAX_SEATS:
            raise Invalid(f"seats is from 1 to {MAX_SEATS}", field="seats", minimum=1, maximum=MAX_SEATS)
        guest_learns = _text(guest_learns, MAX_TEXT, "guest_learns", "say what the guest will learn")
        host_learns_back = _text(host_learns_back, MAX_TEXT, "host_learns_back")
        cleaned = tuple(dict.fromkeys(c.strip().lower() for c in competencies if c.strip()))
        if len(cleaned) > MAX_COMPETENCIES or any(len(c) > 60 for c in cleaned):
            raise Invalid(f"at most {MAX_COMPETENCIES} competencies of 60 characters", field="competencies")
        unit = f"{kind}:{unit_id}"
        placement = cls(
            placement_id,
            unit,
            host_id.strip(),
            offered_by,
            title,
            starts_on,
            ends_on,
            seats,
            guest_learns,
            host_learns_back,
            cleaned,
            now,
        )
        placement.events.append(
            PlacementOffered(
                placement_id,
                unit,
                placement.host_id,
                title,
                starts_on,
                ends_on,
                seats,
                guest_learns,
                host_learns_back,
                list(cleaned),
            )
        )
        return placement

    @property
    def seats_left(self) -> int:
        return self.seats - len(self.taken_by)

    @property
    def frame(self) -> ProgrammeFrame:
        """What the internship's goals are SMART-checked against: the placement's dates and competencies."""
        return ProgrammeFrame(self.starts_on, self.ends_on, self.competencies)

    def take_seat(self, internship_id: str) -> None:
        """An approved internship holds one seat; holding it again (a retry) changes nothing."""
        if internship_id in self.taken_by:
            return
        if self.seats_left <= 0:
            raise Conflict("the placement is full: every seat is taken", placement_id=self.id, seats=self.seats)
        self.taken_by.append(internship_id)

    def release_seat(self, internship_id: str) -> None:
        if internship_id in self.taken_by:
            self.taken_by.remove(internship_id)

    def erase_person(self, person_id: str, replacement: str) -> bool:
        if person_id not in (self.host_id, self.offered_by):
            return False
        self.host_id = replacement if self.host_id == person_id else self.host_id
        self.offered_by = replacement if self.offered_by == person_id else self.offered_by
        return True

    def to_state(self) -> dict[str, Any]:
        return {
            "host_unit": self.host_unit,
            "host_id": self.host_id,
            "offered_by": self.offered_by,
            "title": self.title,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "seats": self.seats,
            "guest_learns": self.guest_learns,
            "host_learns_back": self.host_learns_back,
            "competencies": list(self.competencies),
            "offered_at": self.offered_at.isoformat(),
            "taken_by": list(self.taken_by),
        }

    @classmethod
    def from_state(cls, placement_id: str, state: Mapping[str, Any]) -> "Placement":
        return cls(
            id=placement_id,
            host_unit=state["host_unit"],
            host_id=state["host_id"],
            offered_by=state["offered_by"],
            title=state["title"],
            starts_on=date.fromisoformat(state["starts_on"]),
            ends_on=date.fromisoformat(state["ends_on"]),
            seats=state["seats"],
            guest_learns=state["guest_learns"],
            host_learns_back=state["host_learns_back"],
            competencies=tuple(state["competencies"]),
            offered_at=datetime.fromisoformat(state["offered_at"]),
            taken_by=list(state.get("taken_by", [])),
        )


# --- internship: values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    on: date
    text: str
    at: datetime


@dataclass(frozen=True)
class Feedback:
    rating: int
    words: str
    at: datetime


@dataclass(frozen=True)
class Report:
    title: str
    summary: str
    body: str
    tags: tuple[str, ...]
    language: str | None  # None: guessed from the text when published


# --- internship: the aggregate ------------------------------------------------------------------------


@dataclass
class Internship:
    id: str
    placement_id: str
    guest_id: str
    guest_unit: str
    manager_id: str
    host_id: str
    host_unit: str
    goals_text: str  # what the guest wrote when applying
    applied_at: datetime
    status: Status = Status.APPLIED
    decided_at: datetime | None = None
    decline_reason: str = ""  # for the guest only, never in an event
    goals: list[Goal] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    feedback: dict[str, Feedback] = field(default_factory=dict)  # by side: "guest", "host"
    report: Report | None = None
    knowledge_item_id: str | None = None
    completed_at: datetime | None = None
    events: list[InternshipEvent] = field(default_factory=list, compare=False)

    @classmethod
    def apply(
        cls,
        internship_id: str,
        placement: Placement,
        *,
        guest_id: str,
        guest_unit: str,
        manager_id: str,
        goals_text: str,
        now: datetime,
    ) -> "Internship":
        """An employee applies with their goals; their manager (from the directory) is asked to approve."""
        internship = cls(
            internship_id,
            placement.id,
            guest_id,
            guest_unit,
            manager_id,
            placement.host_id,
            placement.host_unit,
            "",
            now,
        )
        internship._apply(placement, manager_id, goals_text, now)
        return internship

    def reapply(self, placement: Placement, manager_id: str, goals_text: str, now: datetime) -> None:
        """A declined application may be made again; any other one exists already (409)."""
        if self.status is not Status.DECLINED:
            raise Conflict(
                "you have applied for this placement already", placement_id=self.placement_id, status=self.status.value
            )
        self.status = Status.APPLIED
        self.decided_at = None
        self.decline_reason = ""
        self._apply(placement, manager_id, goals_text, now)

    def _apply(self, placement: Placement, manager_id: str, goals_text: str, now: datetime) -> None:
        if self.guest_unit == placement.host_unit:
            raise Invalid("an exchange is with another unit: this placement is your own unit's", field="placement_id")
        if self.guest_id == placement.host_id:
            raise Invalid("you receive this placement's guests: you cannot be one", field="placement_id")
        if placement.ends_on < now.date():
            raise Conflict("the placement has ended", placement_id=placement.id)
        if not manager_id or manager_id == self.guest_id:
            raise Invalid("the directory names no manager to approve your internship", field="manager_id")
        self.goals_text = _text(goals_text, MAX_GOALS_TEXT, "goals", "say what you want to learn")
        self.manager_id = manager_id
        self.applied_at = now
        self.events.append(
            InternshipApplied(self.placement_id, self.id, self.guest_id, self.guest_unit, self.manager_id)
        )

    # --- the manager's decision ------------------------------------------------------------------------

    def require_manager(self, person_id: str) -> None:
        if person_id != self.manager_id:
            raise Forbidden("only the guest's manager approves or declines", internship_id=self.id)

    def require_pending(self) -> None:
        if self.status is not Status.APPLIED:
            raise Conflict("the application was decided already", internship_id=self.id, status=self.status.value)

    def approve(self, by: str, now: datetime) -> None:
        """The manager approves (the service took a seat at the placement first)."""
        self.require_manager(by)
        self.require_pending()
        self.status = Status.APPROVED
        self.decided_at = now
        self.events.append(InternshipApproved(self.placement_id, self.id, self.guest_id, self.manager_id, self.host_id))

    def decline(self, by: str, reason: str, now: datetime) -> None:
        self.require_manager(by)
        self.require_pending()
        self.status = Status.DECLINED
        self.decided_at = now
        self.decline_reason = _text(reason, MAX_FEEDBACK, "reason")
        self.events.append(InternshipDeclined(self.placement_id, self.id, self.guest_id, self.manager_id))

    # --- goals, log, feedback ---------------------------------------------------------------------------

    def side_of(self, person_id: str) -> Side | None:
        if person_id == self.guest_id:
            return "guest"
        if person_id == self.host_id:
            return "host"
        return None

    def is_party(self, person_id: str) -> bool:
        return self.side_of(person_id) is not None

    def agree_goals(
        self, by: str, drafts: Sequence[GoalDraft], checks: Sequence[SmartCheck], confirmed: bool, ids: Sequence[str]
    ) -> list[Goal]:
        """The host records the goals agreed with the guest: 1 to 3, each SMART-checked (confirm to overrule)."""
        if by != self.host_id:
            raise Forbidden("only the host agrees the goals with the guest", internship_id=self.id)
        if self.status is not Status.APPROVED:
            raise Conflict(
                "goals are agreed once, after the manager approved", internship_id=self.id, status=self.status.value
            )
        if not 1 <= len(drafts) <= MAX_GOALS:
            raise Invalid(f"agree 1 to {MAX_GOALS} goals", field="goals", limit=MAX_GOALS)
        failing = sorted({letter for check in checks for letter in check.letters})
        if failing and not confirmed:
            raise Invalid("a goal is not SMART: confirm to save it anyway", field="confirm", letters=failing)
        agreed = zip(drafts, checks, ids, strict=True)
        self.goals = [accept_goal(draft, check, confirmed, goal_id) for draft, check, goal_id in agreed]
        self.status = Status.RUNNING
        self.events.append(
            InternshipGoalsAgreed(self.placement_id, self.id, self.guest_id, self.host_id, len(self.goals))
        )
        return list(self.goals)

    def add_log(self, by: str, on: date, text: str, now: datetime) -> LogEntry:
        """A short entry in the guest's log: only the guest writes, while the internship runs."""
        if by != self.guest_id:
            raise Forbidden("only the guest keeps the internship log", internship_id=self.id)
        if self.status is not Status.RUNNING:
            raise Conflict("the log is kept while the internship runs", internship_id=self.id, status=self.status.value)
        if len(self.log) >= MAX_LOG_ENTRIES:
            raise Invalid(f"a log holds at most {MAX_LOG_ENTRIES} entries", field="entries")
        if on > now.date():
            raise Invalid("a log entry is about a day that has come", field="on")
        entry = LogEntry(on, _text(text, MAX_LOG_ENTRY, "text", "a log entry needs a text"), now)
        self.log.append(entry)
        self.events.append(InternshipLogged(self.placement_id, self.id, self.guest_id, len(self.log)))
        return entry

    def give_feedback(self, by: str, rating: int, words: str, now: datetime) -> Side:
        """Final feedback from the guest or the host; once both gave it, the internship is completed."""
        side = self.side_of(by)
        if side is None:
            raise Forbidden("only the guest and the host give final feedback", internship_id=self.id)
        if self.status is not Status.RUNNING:
            raise Conflict(
                "final feedback comes once the goals are agreed and before completion",
                internship_id=self.id,
                status=self.status.value,
            )
        if side in self.feedback:
            raise Conflict("you gave your final feedback already", internship_id=self.id)
        if isinstance(rating, bool) or not MIN_RATING <= rating <= MAX_RATING:
            raise Invalid(f"rating is from {MIN_RATING} to {MAX_RATING}", field="rating")
        self.feedback[side] = Feedback(rating, _text(words, MAX_FEEDBACK, "words"), now)
        self.events.append(InternshipFeedbackGiven(self.placement_id, self.id, by, side))
        if {"guest", "host"} <= set(self.feedback):
            self.status = Status.COMPLETED
            self.completed_at = now
            self.events.append(
                InternshipCompleted(
                    self.placement_id, self.id, self.guest_id, self.host_id, self.guest_unit, self.host_unit
                )
            )
        return side

    # --- the report -------------------------------------------------------------------------------------

    def write_report(
        self, by: str, *, title: str, summary: str, body: str, tags: Sequence[str], language: str | None
    ) -> Report:
        """The guest writes (or rewrites) the report while the internship runs or after; not once published."""
        if by != self.guest_id:
            raise Forbidden("only the guest writes the internship report", internship_id=self.id)
        if self.status not in (Status.RUNNING, Status.COMPLETED):
            raise Conflict("the report is written once the internship runs", internship_id=self.id)
        if self.knowledge_item_id is not None:
            raise Conflict("the report is published already", internship_id=self.id)
        self.report = Report(
            _text(title, MAX_TITLE, "title", "a report needs a title"),
            _text(summary, MAX_REPORT_SUMMARY, "summary", "a report needs a summary"),
            _text(body, MAX_REPORT_BODY, "body"),
            tuple(tags),
            language,
        )
        return self.report

    def require_publishable(self, by: str) -> Report:
        if by != self.guest_id:
            raise Forbidden("only the guest publishes the internship report", internship_id=self.id)
        if self.knowledge_item_id is not None:
            raise Conflict("the report is published already", internship_id=self.id)
        if self.status is not Status.COMPLETED:
            raise Conflict("the report is published once both sides gave their feedback", internship_id=self.id)
        if self.report is None:
            raise Conflict("write the report before publishing it", internship_id=self.id)
        return self.report

    def publish_report(self, by: str, knowledge_item_id: str) -> None:
        report = self.require_publishable(by)
        self.knowledge_item_id = knowledge_item_id
        self.events.append(
            InternshipReportPublished(
                self.placement_id, self.id, self.guest_id, report.title, knowledge_item_id, self.host_id
            )
        )

    # --- privacy -------------------------------------------------------------------------------------------

    def erase_person(self, person_id: str, replacement: str) -> bool:
        people = {self.guest_id, self.manager_id, self.host_id}
        if person_id not in people:
            return False
        if replacement in people:
            raise ValueError("the replacement id is already in use in this internship")

        def swap(value: str) -> str:
            return replacement if value == person_id else value

        self.guest_id, self.manager_id, self.host_id = swap(self.guest_id), swap(self.manager_id), swap(self.host_id)
        return True

    # --- state ---------------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        report = self.report
        return {
            "placement_id": self.placement_id,
            "guest_id": self.guest_id,
            "guest_unit": self.guest_unit,
            "manager_id": self.manager_id,
            "host_id": self.host_id,
            "host_unit": self.host_unit,
            "goals_text": self.goals_text,
            "applied_at": self.applied_at.isoformat(),
            "status": self.status.value,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decline_reason": self.decline_reason,
            "goals": [
                {
                    "id": g.id,
                    "text": g.text,
                    "due": g.due.isoformat(),
                    "topics": list(g.topics),
                    "confirmed_despite": list(g.confirmed_despite),
                }
                for g in self.goals
            ],
            "log": [{"on": e.on.isoformat(), "text": e.text, "at": e.at.isoformat()} for e in self.log],
            # A list, not a mapping keyed by side: no person id could ever be mistaken for a key.
            "feedback": [
                {"side": side, "rating": given.rating, "words": given.words, "at": given.at.isoformat()}
                for side, given in self.feedback.items()
            ],
            "report": None
            if report is None
            else {
                "title": report.title,
                "summary": report.summary,
                "body": report.body,
                "tags": list(report.tags),
                "language": report.language,
            },
            "knowledge_item_id": self.knowledge_item_id,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
        }

    @classmethod
    def from_state(cls, internship_id: str, state: Mapping[str, Any]) -> "Internship":
        report = state.get("report")
        return cls(
            id=internship_id,
            placement_id=state["placement_id"],
            guest_id=state["guest_id"],
            guest_unit=state["guest_unit"],
            manager_id=state["manager_id"],
            host_id=state["host_id"],
            host_unit=state["host_unit"],
            goals_text=state["goals_text"],
            applied_at=datetime.fromisoformat(state["applied_at"]),
            status=Status(state["status"]),
            decided_at=_when(state.get("decided_at")),
            decline_reason=state.get("decline_reason", ""),
            goals=[
                Goal(
                    id=g["id"],
                    text=g["text"],
                    due=date.fromisoformat(g["due"]),
                    topics=tuple(g["topics"]),
                    confirmed_despite=cast("tuple[Letter, ...]", tuple(g["confirmed_despite"])),
                )
                for g in state.get("goals", [])
            ],
            log=[
                LogEntry(date.fromisoformat(e["on"]), e["text"], datetime.fromisoformat(e["at"]))
                for e in state.get("log", [])
            ],
            feedback={
                f["side"]: Feedback(f["rating"], f["words"], datetime.fromisoformat(f["at"]))
                for f in state.get("feedback", [])
            },
            report=None
            if report is None
            else Report(report["title"], report["summary"], report["body"], tuple(report["tags"]), report["language"]),
            knowledge_item_id=state.get("knowledge_item_id"),
            completed_at=_when(state.get("completed_at")),
        )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- reciprocity ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """What one unit did with one other unit: guests it hosted from there and people it sent there."""

    unit: str
    hosted: int = 0
    sent: int = 0


def reciprocity(unit: str, completed: Sequence[Internship]) -> list[Exchange]:
    """Per other unit, the completed internships `unit` hosted from it and sent to it (busiest first)."""
    counts: dict[str, Exchange] = {}
    for internship in completed:
        if internship.status is not Status.COMPLETED:
            continue
        if internship.host_unit == unit:
            other = counts.get(internship.guest_unit, Exchange(internship.guest_unit))
            counts[other.unit] = replace(other, hosted=other.hosted + 1)
        elif internship.guest_unit == unit:
            other = counts.get(internship.host_unit, Exchange(internship.host_unit))
            counts[other.unit] = replace(other, sent=other.sent + 1)
    return sorted(counts.values(), key=lambda e: (-(e.hosted + e.sent), e.unit))
