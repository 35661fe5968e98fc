"""A master class: one session of 30-120 minutes that any employee proposes and hosts.

One `MasterClass` per id. Rules worth knowing (the screens explain them the same way):

* proposing checks the session: 30..120 minutes, a start in the future, 1 to 10,000 seats. When the
  company asks for approval (`needs_approval`) a curator publishes it; otherwise it is published at once.
* registration is open from publication until the start. Seats go in order of registration; beyond
  the capacity people join the waitlist. When a registered person withdraws, the first person waiting
  takes the seat at once (no offer to confirm, no new sessions). Registering twice is a conflict, and
  so is the host registering for their own master class (409, naming `person_id`).
* after the start the host marks it held (with who attended: the registered people by default), then
  attaches the recording and materials. Each attendee answers one question (a score 1..5, an optional
  comment), once; nobody else may.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from enrolment.domain.moments import utc
from shared.errors import Conflict, Forbidden, Invalid, NotFound

MIN_MINUTES, MAX_MINUTES = 30, 120
MAX_SEATS = 10_000  # a bigger number is a typo (or cannot even be stored), never a session
Language = Literal["ru", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)

Status = Literal["proposed", "published", "held"]
MyStatus = Literal["host", "registered", "waitlisted", "none"]


# --- domain events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposed:
    master_class_id: str
    host_id: str
    title: str
    language: Language
    competencies: tuple[str, ...]
    starts_at: datetime
    duration_minutes: int
    capacity: int
    needs_approval: bool


@dataclass(frozen=True)
class Published:
    master_class_id: str
    host_id: str
    title: str
    language: Language
    competencies: tuple[str, ...]
    starts_at: datetime
    duration_minutes: int
    capacity: int
    approved_by: str | None


@dataclass(frozen=True)
class Registered:
    master_class_id: str
    person_id: str
    title: str
    starts_at: datetime


@dataclass(frozen=True)
class Waitlisted:
    master_class_id: str
    person_id: str
    title: str
    position: int


@dataclass(frozen=True)
class Promoted:
    master_class_id: str
    person_id: str
    title: str
    starts_at: datetime


@dataclass(frozen=True)
class Withdrawn:
    master_class_id: str
    person_id: str
    was: Literal["registered", "waitlisted"]


@dataclass(frozen=True)
class Held:
    master_class_id: str
    host_id: str
    title: str
    competencies: tuple[str, ...]
    duration_minutes: int
    attendee_ids: tuple[str, ...]


@dataclass(frozen=True)
class RecordingAttached:
    master_class_id: str
    host_id: str
    title: str
    abstract: str
    language: Language
    competencies: tuple[str, ...]
    recording_url: str
    materials: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackGiven:
    master_class_id: str
    host_id: str
    person_id: str


MasterClassEvent = (
    Proposed | Published | Registered | Waitlisted | Promoted | Withdrawn | Held | RecordingAttached | FeedbackGiven
)


# --- the parts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    title: str
    abstract: str
    language: Language
    competencies: tuple[str, ...]
    starts_at: datetime
    duration_minutes: int
    capacity: int
    room_url: str | None = None


@dataclass
class Feedback:
    person_id: str
    score: int
    comment: str | None
    at: datetime


@dataclass(frozen=True)
class View:
    """What a caller sees of a master class (feedback as an average only)."""

    id: str
    host_id: str
    title: str
    abstract: str
    language: Language
    competencies: list[str]
    starts_at: datetime
    duration_minutes: int
    capacity: int
    room_url: str | None
    status: Status
    approved_by: str | None
    seats_left: int
    registered: int
    waitlist_length: int
    my_status: MyStatus
    my_waitlist_position: int | None
    recording_url: str | None
    materials: list[str]
    attendees: int
    feedback_count: int
    average_score: float | None
    my_feedback_given: bool
    registered_ids: list[str]
    """Who holds a seat: for the host alone (who marks who attended), empty for anyone else."""
    attendee_ids: list[str]
    """Who attended: for the host alone, empty for anyone else."""


def check_proposal(proposal: Proposal, now: datetime) -> None:
    """The session's rules; each breach names its field (HTTP 422)."""
    if not proposal.title.strip():
        raise Invalid("a master class needs a title", field="title")
    if proposal.language not in LANGUAGES:
        raise Invalid("a master class is given in ru or en", field="language")
    if not MIN_MINUTES <= proposal.duration_minutes <= MAX_MINUTES:
        raise Invalid(
            f"a master class lasts {MIN_MINUTES} to {MAX_MINUTES} minutes",
            field="duration_minutes",
            minimum=MIN_MINUTES,
            maximum=MAX_MINUTES,
        )
    if proposal.starts_at.tzinfo is None:
        raise Invalid("give the start with its time zone", field="starts_at")
    if utc(proposal.starts_at) <= now:
        raise Invalid("a master class starts in the future", field="starts_at")
    if not 1 <= proposal.capacity <= MAX_SEATS:
        raise Invalid(f"a master class has 1 to {MAX_SEATS} seats", field="capacity")


# --- the aggregate ------------------------------------------------------------------------------------------


class MasterClass:
    def __init__(
        self,
        id: str,
        host_id: str,
        proposal: Proposal,
        status: Status,
        proposed_at: datetime,
        approved_by: str | None = None,
        registered: list[str] | None = None,
        waitlist: list[str] | None = None,
        held_at: datetime | None = None,
        attendees: list[str] | None = None,
        recording_url: str | None = None,
        materials: list[str] | None = None,
        feedback: list[Feedback] | None = None,
    ) -> None:
        self.id = id
        self.host_id = host_id
        self.proposal = proposal
        self.status: Status = status
        self.proposed_at = proposed_at
        self.approved_by = approved_by
        self.registered = registered or []
        """Seated people, in the order they got their seat."""
        self.waitlist = waitlist or []
        """People waiting, first in line first."""
        self.held_at = held_at
        self.attendees = attendees or []
        self.recording_url = recording_url
        self.materials = materials or []
        self.feedback = feedback or []
        self.events: list[MasterClassEvent] = []

    # --- proposal and publication -------------------------------------------------------------------

    @classmethod
    def propose(
        cls, master_class_id: str, host_id: str, proposal: Proposal, needs_approval: bool, now: datetime
    ) -> "MasterClass":
        check_proposal(proposal, now)
        proposal = Proposal(
            title=proposal.title.strip(),
            abstract=proposal.abstract.strip(),
            language=proposal.language,
            competencies=tuple(dict.fromkeys(c.strip() for c in proposal.competencies if c.strip())),
            starts_at=utc(proposal.starts_at),
            duration_minutes=proposal.duration_minutes,
            capacity=proposal.capacity,
            room_url=proposal.room_url,
        )
        master_class = cls(master_class_id, host_id, proposal, "proposed", now)
        p = proposal
        master_class.events.append(
            Proposed(
                master_class_id,
                host_id,
                p.title,
                p.language,
                p.competencies,
                p.starts_at,
                p.duration_minutes,
                p.capacity,
                needs_approval,
            )
        )
        if not needs_approval:
            master_class._publish(None)
        return master_class

    def _publish(self, approved_by: str | None) -> None:
        self.status = "published"
        self.approved_by = approved_by
        p = self.proposal
        self.events.append(
            Published(
                self.id,
                self.host_id,
                p.title,
                p.language,
                p.competencies,
                p.starts_at,
                p.duration_minutes,
                p.capacity,
                approved_by,
            )
        )

    def approve(self, curator_id: str, now: datetime) -> None:
        if self.status != "proposed":
            raise Conflict("this master class is already published", status=self.status)
        if now >= self.proposal.starts_at:
            raise Conflict("this master class was to start already: propose it again with a new date")
        self._publish(curator_id)

    # --- registration -------------------------------------------------------------------------------

    def _open(self, now: datetime) -> None:
        if self.status != "published":
            raise Conflict("registration is not open for this master class", status=self.status)
        if now >= self.proposal.starts_at:
            raise Conflict("this master class has started: registration is closed")

    def register(self, person_id: str, now: datetime) -> MyStatus:
        """A seat if one is free, else a place on the waitlist."""
        if person_id == self.host_id:
            raise Conflict("the host does not register for their own master class", field="person_id")
        if person_id in self.registered or person_id in self.waitlist:
            raise Conflict(
                "already registered for this master class", field="person_id", status=self.status_of(person_id)
            )
        self._open(now)
        title = self.proposal.title
        if len(self.registered) < self.proposal.capacity:
            self.registered.append(person_id)
            self.events.append(Registered(self.id, person_id, title, self.proposal.starts_at))
            return "registered"
        self.waitlist.append(person_id)
        self.events.append(Waitlisted(self.id, person_id, title, len(self.waitlist)))
        return "waitlisted"

    def withdraw(self, person_id: str, now: datetime) -> None:
        """Leave a seat or the waitlist; a freed seat goes to the first person waiting at once."""
        if person_id not in self.registered and person_id not in self.waitlist:
            raise NotFound(f"{person_id} is not registered for this master class", field="person_id")
        if self.status == "held" or now >= self.proposal.starts_at:
            raise Conflict("this master class has started: nobody withdraws any more")
        if person_id in self.waitlist:
            self.waitlist.remove(person_id)
            self.events.append(Withdrawn(self.id, person_id, "waitlisted"))
            return
        self.registered.remove(person_id)
        self.events.append(Withdrawn(self.id, person_id, "registered"))
        while self.waitlist and len(self.registered) < self.proposal.capacity:
            promoted = self.waitlist.pop(0)
            self.registered.append(promoted)
            self.events.append(Promoted(self.id, promoted, self.proposal.title, self.proposal.starts_at))

    def status_of(self, person_id: str) -> MyStatus:
        if person_id == self.host_id:
            return "host"
        if person_id in self.registered:
            return "registered"
        if person_id in self.waitlist:
            return "waitlisted"
        return "none"

    # --- after the session --------------------------------------------------------------------------

    def mark_held(self, now: datetime, attendee_ids: list[str] | None = None) -> None:
        """The host says it took place; attendees are registered people (all of them unless named)."""
        if self.status == "held":
            raise Conflict("this master class is already marked held")
        if self.status != "published":
            raise Conflict("this master class was never published", status=self.status)
        if now < self.proposal.starts_at:
            raise Conflict("this master class has not started yet", starts_at=self.proposal.starts_at.isoformat())
        attendees = list(self.registered) if attendee_ids is None else list(dict.fromkeys(attendee_ids))
        strangers = [person for person in attendees if person not in self.registered]
        if strangers:
            raise Invalid("attendees are registered people", field="attendee_ids", not_registered=strangers)
        self.status = "held"
        self.held_at = now
        self.attendees = attendees
        p = self.proposal
        self.events.append(Held(self.id, self.host_id, p.title, p.competencies, p.duration_minutes, tuple(attendees)))

    def attach_recording(self, recording_url: str, materials: list[str]) -> None:
        """Attach (or replace) the recording and the materials, once the master class is held."""
        if self.status != "held":
            raise Conflict("the recording comes after the master class is held", status=self.status)
        self.recording_url = recording_url
        self.materials = list(dict.fromkeys(materials))
        p = self.proposal
        self.events.append(
            RecordingAttached(
                self.id,
                self.host_id,
                p.title,
                p.abstract,
                p.language,
                p.competencies,
                recording_url,
                tuple(self.materials),
            )
        )

    def give_feedback(self, person_id: str, score: int, comment: str | None, now: datetime) -> None:
        if not 1 <= score <= 5:
            raise Invalid("a score is 1 to 5", field="score")
        if person_id not in self.registered:
            raise Forbidden("only people registered for this master class give feedback")
        if self.status != "held":
            raise Conflict("feedback comes after the master class is held", status=self.status)
        if any(f.person_id == person_id for f in self.feedback):
            raise Conflict("feedback was already given", field="person_id")
        text = comment.strip() if comment else None
        self.feedback.append(Feedback(person_id, score, text or None, now))
        self.events.append(FeedbackGiven(self.id, self.host_id, person_id))

    # --- views --------------------------------------------------------------------------------------

    def view(self, viewer_id: str) -> View:
        p = self.proposal
        scores = [f.score for f in self.feedback]
        mine = self.status_of(viewer_id)
        return View(
            id=self.id,
            host_id=self.host_id,
            title=p.title,
            abstract=p.abstract,
            language=p.language,
            competencies=list(p.competencies),
            starts_at=p.starts_at,
            duration_minutes=p.duration_minutes,
            capacity=p.capacity,
            room_url=p.room_url,
            status=self.status,
            approved_by=self.approved_by,
            seats_left=max(0, p.capacity - len(self.registered)),
            registered=len(self.registered),
            waitlist_length=len(self.waitlist),
            my_status=mine,
            my_waitlist_position=self.waitlist.index(viewer_id) + 1 if mine == "waitlisted" else None,
            recording_url=self.recording_url,
            materials=list(self.materials),
            attendees=len(self.attendees),
            feedback_count=len(scores),
            average_score=round(sum(scores) / len(scores), 2) if scores else None,
            my_feedback_given=any(f.person_id == viewer_id for f in self.feedback),
            registered_ids=list(self.registered) if viewer_id == self.host_id else [],
            attendee_ids=list(self.attendees) if viewer_id == self.host_id else [],
        )

    def records_of(self, person_id: str) -> dict[str, Any] | None:
        """What the master class holds on the person, as plain data (a subject access request); None if nothing.

        Their roles, their place in line and their own feedback; for the host also what they proposed and how
        it was rated (a count and an average, as the host sees it). Nothing of anyone else: no other attendee,
        no other feedback."""
        roles = [
            role
            for role, holds in (
                ("host", person_id == self.host_id),
                ("approved", person_id == self.approved_by),
                ("registered", person_id in self.registered),
                ("waitlisted", person_id in self.waitlist),
                ("attended", person_id in self.attendees),
            )
            if holds
        ]
        own = next((f for f in self.feedback if f.person_id == person_id), None)
        if not roles and own is None:
            return None
        p = self.proposal
        record: dict[str, Any] = {
            "master_class_id": self.id,
            "title": p.title,
            "starts_at": p.starts_at.isoformat(),
            "status": self.status,
            "roles": roles,
            "waitlist_position": self.waitlist.index(person_id) + 1 if person_id in self.waitlist else None,
            "feedback": None if own is None else {"score": own.score, "comment": own.comment, "at": own.at.isoformat()},
        }
        if person_id == self.host_id:
            scores = [f.score for f in self.feedback]
            record["hosted"] = {
                "abstract": p.abstract,
                "language": p.language,
                "competencies": list(p.competencies),
                "duration_minutes": p.duration_minutes,
                "capacity": p.capacity,
                "room_url": p.room_url,
                "proposed_at": self.proposed_at.isoformat(),
                "held_at": self.held_at.isoformat() if self.held_at is not None else None,
                "recording_url": self.recording_url,
                "materials": list(self.materials),
                "feedback_count": len(scores),
                "average_score": round(sum(scores) / len(scores), 2) if scores else None,
            }
        return record

    # --- state --------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        p = self.proposal
        return {
            "host_id": self.host_id,
            "title": p.title,
            "abstract": p.abstract,
            "language": p.language,
            "competencies": list(p.competencies),
            "starts_at": p.starts_at,
            "duration_minutes": p.duration_minutes,
            "capacity": p.capacity,
            "room_url": p.room_url,
            "status": self.status,
            "proposed_at": self.proposed_at,
            "approved_by": self.approved_by,
            "registered": list(self.registered),
            "waitlist": list(self.waitlist),
            "held_at": self.held_at,
            "attendees": list(self.attendees),
            "recording_url": self.recording_url,
            "materials": list(self.materials),
            "feedback": [
                {"person_id": f.person_id, "score": f.score, "comment": f.comment, "at": f.at} for f in self.feedback
            ],
        }

    @classmethod
    def from_state(cls, master_class_id: str, state: dict[str, Any]) -> "MasterClass":
        proposal = Proposal(
            title=state["title"],
            abstract=state.get("abstract", ""),
            language=state["language"],
            competencies=tuple(state.get("competencies", [])),
            starts_at=utc(state["starts_at"]),
            duration_minutes=state["duration_minutes"],
            capacity=state["capacity"],
            room_url=state.get("room_url"),
        )
        held_at = state.get("held_at")
        return cls(
            id=master_class_id,
            host_id=state["host_id"],
            proposal=proposal,
            status=state["status"],
            proposed_at=utc(state["proposed_at"]),
            approved_by=state.get("approved_by"),
            registered=list(state.get("registered", [])),
            waitlist=list(state.get("waitlist", [])),
            held_at=utc(held_at) if held_at is not None else None,
            attendees=list(state.get("attendees", [])),
            recording_url=state.get("recording_url"),
            materials=list(state.get("materials", [])),
            feedback=[
                Feedback(f["person_id"], f["score"], f.get("comment"), utc(f["at"])) for f in state.get("feedback", [])
            ],
        )
