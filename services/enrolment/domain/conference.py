"""An internal conference: a call for speakers, blind committee scoring, a schedule, per-talk registration.

One `Conference` per id; its proposals (and, once accepted and placed, its talks) live inside it, so
every rule below is decided on one consistent state and saved as one versioned commit.

* a curator or HR admin creates it: dates (`starts_on`..`ends_on`, in its `time_zone`), tracks, rooms
  (a name, a capacity, an optional online link) and a committee of curators, one of them the chair.
* the call for speakers is open until the programme is published: any employee proposes a talk.
* each committee member scores each proposal once on `CRITERIA` (1..5 each). Scoring is blind: a
  member reads the others' scores of a proposal only after giving their own (403 before). Nobody
  scores their own proposal.
* the chair accepts or rejects each proposal once, with a message for the speaker.
* the chair places accepted talks in slots (track, room, start, duration): inside the conference
  dates (422, `starts_at`), never a speaker in two places at once nor two talks in one room at once
  (409, naming `speaker_id` or `room`). Publishing the programme closes the call and freezes slots.
* people register per talk until it starts (409 twice or when the room is full: no waitlist); the
  speaker or the chair marks who attended; attendees rate the talk once (1..5); the speaker attaches
  the recording and slides once the talk is over.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from enrolment.domain.moments import utc
from shared.errors import Conflict, Forbidden, Invalid, NotFound

CRITERIA: tuple[str, ...] = ("relevance", "novelty", "clarity")
MIN_TALK_MINUTES, MAX_TALK_MINUTES = 10, 240
MAX_ROOM_SEATS = 100_000  # a bigger number is a typo (or cannot even be stored), never a room
Language = Literal["ru", "en"]
Level = Literal["beginner", "intermediate", "advanced"]
LEVELS: tuple[str, ...] = get_args(Level)
Status = Literal["call_open", "published"]
Decision = Literal["accepted", "rejected"]


# --- domain events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    conference_id: str
    title: str
    starts_on: date
    ends_on: date
    tracks: tuple[str, ...]
    committee_ids: tuple[str, ...]
    chair_id: str
    created_by: str


@dataclass(frozen=True)
class ProposalSubmitted:
    conference_id: str
    proposal_id: str
    speaker_id: str
    title: str
    level: Level
    competencies: tuple[str, ...]


@dataclass(frozen=True)
class ProposalScored:
    conference_id: str
    proposal_id: str
    member_id: str


@dataclass(frozen=True)
class ProposalDecided:
    conference_id: str
    proposal_id: str
    speaker_id: str
    title: str
    decision: Decision
    message: str
    decided_by: str


@dataclass(frozen=True)
class TalkScheduled:
    conference_id: str
    talk_id: str
    speaker_id: str
    title: str
    track: str
    room: str
    starts_at: datetime
    duration_minutes: int


@dataclass(frozen=True)
class ProgrammePublished:
    conference_id: str
    title: str
    talk_ids: tuple[str, ...]
    speaker_ids: tuple[str, ...]


@dataclass(frozen=True)
class TalkRegistered:
    conference_id: str
    talk_id: str
    person_id: str
    title: str
    starts_at: datetime


@dataclass(frozen=True)
class TalkAttended:
    conference_id: str
    talk_id: str
    person_id: str
    speaker_id: str
    competencies: tuple[str, ...]


@dataclass(frozen=True)
class TalkFeedbackGiven:
    conference_id: str
    talk_id: str
    speaker_id: str
    person_id: str


@dataclass(frozen=True)
class TalkRecordingAttached:
    conference_id: str
    talk_id: str
    speaker_id: str
    title: str
    abstract: str
    language: Language
    competencies: tuple[str, ...]
    recording_url: str
    slides_url: str | None


ConferenceEvent = (
    Created
    | ProposalSubmitted
    | ProposalScored
    | ProposalDecided
    | TalkScheduled
    | ProgrammePublished
    | TalkRegistered
    | TalkAttended
    | TalkFeedbackGiven
    | TalkRecordingAttached
)


# --- the parts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    name: str
    capacity: int
    url: str | None = None
    """An online room's link (its capacity still counts: the licence's seats)."""


@dataclass(frozen=True)
class Plan:
    """What the organiser sets when creating a conference."""

    title: str
    starts_on: date
    ends_on: date
    time_zone: str
    tracks: tuple[str, ...]
    rooms: tuple[Room, ...]
    committee_ids: tuple[str, ...]
    chair_id: str


@dataclass(frozen=True)
class TalkIdea:
    """A talk proposal as the speaker writes it."""

    title: str
    abstract: str
    level: Level
    language: Language
    competencies: tuple[str, ...]


@dataclass(frozen=True)
class Slot:
    track: str
    room: str
    starts_at: datetime
    duration_minutes: int

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def overlaps(self, other: "Slot") -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass
class Feedback:
    person_id: str
    score: int
    comment: str | None
    at: datetime


@dataclass
class Proposal:
    id: str
    speaker_id: str
    idea: TalkIdea
    submitted_at: datetime
    scores: dict[str, dict[str, int]] = field(default_factory=dict)
    """Committee member id -> criterion -> 1..5."""
    decision: Decision | None = None
    message: str | None = None
    slot: Slot | None = None
    registered: list[str] = field(default_factory=list)
    attended: list[str] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    recording_url: str | None = None
    slides_url: str | None = None


def check_plan(plan: Plan) -> None:
    """The organiser's rules; each breach names its field (HTTP 422)."""
    if not plan.title.strip():
        raise Invalid("a conference needs a title", field="title")
    if plan.ends_on < plan.starts_on:
        raise Invalid("a conference ends on or after the day it starts", field="ends_on")
    try:
        ZoneInfo(plan.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise Invalid(f"unknown time zone {plan.time_zone}", field="time_zone") from error
    tracks = [t.strip() for t in plan.tracks]
    if not tracks or any(not t for t in tracks) or len(set(tracks)) != len(tracks):
        raise Invalid("a conference has at least one track, each named once", field="tracks")
    names = [r.name.strip() for r in plan.rooms]
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        raise Invalid("a conference has at least one room, each named once", field="rooms")
    if any(not 1 <= r.capacity <= MAX_ROOM_SEATS for r in plan.rooms):
        raise Invalid(f"a room has 1 to {MAX_ROOM_SEATS} seats", field="rooms")
    if not plan.committee_ids:
        raise Invalid("a conference has a programme committee", field="committee_ids")
    if plan.chair_id not in plan.committee_ids:
        raise Invalid("the chair is one of the committee", field="chair_id")


def check_idea(idea: TalkIdea) -> None:
    if not idea.title.strip():
        raise Invalid("a talk needs a title", field="title")
    if idea.level not in LEVELS:
        raise Invalid(f"a level is one of {', '.join(LEVELS)}", field="level")


# --- the aggregate ------------------------------------------------------------------------------------------


class Conference:
    def __init__(
        self,
        id: str,
        plan: Plan,
        created_by: str,
        created_at: datetime,
        status: Status = "call_open",
        proposals: list[Proposal] | None = None,
        published_at: datetime | None = None,
    ) -> None:
        self.id = id
        self.plan = plan
        self.created_by = created_by
        self.created_at = created_at
        self.status: Status = status
        self.proposals = proposals or []
        self.published_at = published_at
        self.events: list[ConferenceEvent] = []

    @classmethod
    def create(cls, conference_id: str, plan: Plan, created_by: str, now: datetime) -> "Conference":
        check_plan(plan)
        plan = Plan(
            title=plan.title.strip(),
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
            time_zone=plan.time_zone,
            tracks=tuple(t.strip() for t in plan.tracks),
            rooms=tuple(Room(r.name.strip(), r.capacity, r.url) for r in plan.rooms),
            committee_ids=tuple(dict.fromkeys(plan.committee_ids)),
            chair_id=plan.chair_id,
        )
        conference = cls(conference_id, plan, created_by, now)
        conference.events.append(
            Created(
                conference_id,
                plan.title,
                plan.starts_on,
                plan.ends_on,
                plan.tracks,
                plan.committee_ids,
                plan.chair_id,
                created_by,
            )
        )
        return conference

    # --- who is who -----------------------------------------------------------------------------------

    def is_member(self, person_id: str) -> bool:
        return person_id in self.plan.committee_ids

    def is_chair(self, person_id: str) -> bool:
        return person_id == self.plan.chair_id

    def proposal(self, proposal_id: str) -> Proposal:
        for proposal in self.proposals:
            if proposal.id == proposal_id:
                return proposal
        raise NotFound(f"no proposal {proposal_id} in this conference", proposal_id=proposal_id)

    def talk(self, talk_id: str) -> Proposal:
        """A talk is an accepted proposal with a slot in the published programme."""
        found = self.proposal(talk_id)
        if self.status != "published" or found.slot is None:
            raise NotFound(f"no talk {talk_id} in the published programme", talk_id=talk_id)
        return found

    # --- call for speakers ----------------------------------------------------------------------------

    def submit(self, speaker_id: str, idea: TalkIdea, now: datetime) -> Proposal:
        if self.status != "call_open":
            raise Conflict("the call for speakers is closed", status=self.status)
        check_idea(idea)
        idea = TalkIdea(
            title=idea.title.strip(),
            abstract=idea.abstract.strip(),
            level=idea.level,
            language=idea.language,
            competencies=tuple(dict.fromkeys(c.strip() for c in idea.competencies if c.strip())),
        )
        proposal = Proposal(f"p-{len(self.proposals) + 1}", speaker_id, idea, now)
        self.proposals.append(proposal)
        self.events.append(
            ProposalSubmitted(self.id, proposal.id, speaker_id, idea.title, idea.level, idea.competencies)
        )
        return proposal

    # --- blind scoring and decisions --------------------------------------------------------------------

    def score(self, proposal_id: str, member_id: str, scores: dict[str, int]) -> None:
        if not self.is_member(member_id):
            raise Forbidden("only the programme committee scores proposals")
        proposal = self.proposal(proposal_id)
        missing = [c for c in CRITERIA if c not in scores]
        unknown = [c for c in scores if c not in CRITERIA]
        if missing or unknown:
            raise Invalid(f"score each of {', '.join(CRITERIA)}", field="scores", missing=missing, unknown=unknown)
        if any(not 1 <= value <= 5 for value in scores.values()):
            raise Invalid("each score is 1 to 5", field="scores")
        if proposal.speaker_id == member_id:
            raise Conflict("nobody scores their own proposal", field="proposal_id")
        if member_id in proposal.scores:
            raise Conflict("this proposal has your score already", field="proposal_id")
        if proposal.decision is not None:
            raise Conflict("this proposal is decided already", decision=proposal.decision)
        proposal.scores[member_id] = {c: scores[c] for c in CRITERIA}
        self.events.append(ProposalScored(self.id, proposal_id, member_id))

    def scores_seen_by(self, proposal_id: str, member_id: str) -> dict[str, Any]:
        """Everyone's scores of a proposal, for a member who gave theirs (blind before: 403)."""
        if not self.is_member(member_id):
            raise Forbidden("only the programme committee reads scores")
        proposal = self.proposal(proposal_id)
        if member_id not in proposal.scores:
            raise Forbidden("score this proposal yourself before reading the others' scores")
        count = len(proposal.scores)
        averages = {c: round(sum(s[c] for s in proposal.scores.values()) / count, 2) for c in CRITERIA}
        return {
            "proposal_id": proposal_id,
            "criteria": list(CRITERIA),
            "scores": [{"member_id": m, **s} for m, s in proposal.scores.items()],
            "averages": averages,
            "total_average": round(sum(averages.values()) / len(CRITERIA), 2),
        }

    def decide(self, proposal_id: str, chair_id: str, accept: bool, message: str) -> None:
        if not self.is_chair(chair_id):
            raise Forbidden("only the chair accepts or rejects proposals")
        proposal = self.proposal(proposal_id)
        if not message.strip():
            raise Invalid("tell the speaker why", field="message")
        if proposal.decision is not None:
            raise Conflict("this proposal is decided already", decision=proposal.decision)
        if self.status != "call_open":
            raise Conflict("the programme is published", status=self.status)
        decision: Decision = "accepted" if accept else "rejected"
        proposal.decision = decision
        proposal.message = message.strip()
        self.events.append(
            ProposalDecided(
                self.id, proposal_id, proposal.speaker_id, proposal.idea.title, decision, proposal.message, chair_id
            )
        )

    # --- schedule -------------------------------------------------------------------------------------

    def window(self) -> tuple[datetime, datetime]:
        """The conference's first and last instant, in UTC."""
        zone = ZoneInfo(self.plan.time_zone)
        first = datetime.combine(self.plan.starts_on, time(0), zone)
        after = datetime.combine(self.plan.ends_on + timedelta(days=1), time(0), zone)
        return first.astimezone(UTC), after.astimezone(UTC)

    def schedule(self, proposal_id: str, chair_id: str, slot: Slot) -> None:
        if not self.is_chair(chair_id):
            raise Forbidden("only the chair builds the schedule")
        proposal = self.proposal(proposal_id)
        if slot.track not in self.plan.tracks:
            raise Invalid("no such track in this conference", field="track", tracks=list(self.plan.tracks))
        if slot.room not in [r.name for r in self.plan.rooms]:
            raise Invalid("no such room in this conference", field="room")
        if not MIN_TALK_MINUTES <= slot.duration_minutes <= MAX_TALK_MINUTES:
            raise Invalid(
                f"a talk lasts {MIN_TALK_MINUTES} to {MAX_TALK_MINUTES} minutes",
                field="duration_minutes",
                minimum=MIN_TALK_MINUTES,
                maximum=MAX_TALK_MINUTES,
            )
        if slot.starts_at.tzinfo is None:
            raise Invalid("give the start with its time zone", field="starts_at")
        slot = Slot(slot.track, slot.room, utc(slot.starts_at), slot.duration_minutes)
        first, after = self.window()
        if slot.starts_at < first or slot.ends_at > after:
            raise Invalid(
                "a talk takes place within the conference dates",
                field="starts_at",
                starts_on=self.plan.starts_on.isoformat(),
                ends_on=self.plan.ends_on.isoformat(),
            )
        if proposal.decision != "accepted":
            raise Conflict("only accepted proposals are scheduled", decision=proposal.decision)
        if self.status != "call_open":
            raise Conflict("the programme is published: its slots are fixed", status=self.status)
        for other in self.proposals:
            if other.id == proposal.id or other.slot is None or not other.slot.overlaps(slot):
                continue
            if other.speaker_id == proposal.speaker_id:
                raise Conflict("the speaker gives another talk at that time", field="speaker_id", clashes_with=other.id)
            if other.slot.room == slot.room:
                raise Conflict("another talk is in that room at that time", field="room", clashes_with=other.id)
        proposal.slot = slot
        self.events.append(
            TalkScheduled(
                self.id,
                proposal.id,
                proposal.speaker_id,
                proposal.idea.title,
                slot.track,
                slot.room,
                slot.starts_at,
                slot.duration_minutes,
            )
        )

    def publish(self, chair_id: str, now: datetime) -> None:
        if not self.is_chair(chair_id):
            raise Forbidden("only the chair publishes the programme")
        if self.status == "published":
            raise Conflict("the programme is published already")
        talks = self.scheduled()
        if not talks:
            raise Conflict("schedule at least one accepted talk before publishing")
        self.status = "published"
        self.published_at = now
        self.events.append(
            ProgrammePublished(
                self.id,
                self.plan.title,
                tuple(t.id for t in talks),
                tuple(dict.fromkeys(t.speaker_id for t in talks)),
            )
        )

    def scheduled(self) -> list[Proposal]:
        talks = [p for p in self.proposals if p.slot is not None]
        return sorted(talks, key=lambda p: (p.slot.starts_at if p.slot else datetime.max.replace(tzinfo=UTC), p.id))

    def capacity(self, talk: Proposal) -> int:
        assert talk.slot is not None
        return next(r.capacity for r in self.plan.rooms if r.name == talk.slot.room)

    # --- talks ----------------------------------------------------------------------------------------

    def register(self, talk_id: str, person_id: str, now: datetime) -> Proposal:
        talk = self.talk(talk_id)
        assert talk.slot is not None
        if person_id == talk.speaker_id:
            raise Conflict("the speaker does not register for their own talk", field="person_id")
        if person_id in talk.registered:
            raise Conflict("already registered for this talk", field="person_id")
        if now >= talk.slot.starts_at:
            raise Conflict("this talk has started: registration is closed")
        if len(talk.registered) >= self.capacity(talk):
            raise Conflict("this talk is full: the room has no seat left", capacity=self.capacity(talk))
        talk.registered.append(person_id)
        self.events.append(TalkRegistered(self.id, talk_id, person_id, talk.idea.title, talk.slot.starts_at))
        return talk

    def mark_attended(self, talk_id: str, marked_by: str, person_ids: list[str], now: datetime) -> Proposal:
        talk = self.talk(talk_id)
        assert talk.slot is not None
        if marked_by not in (talk.speaker_id, self.plan.chair_id):
            raise Forbidden("the speaker or the chair marks attendance")
        strangers = [p for p in person_ids if p not in talk.registered]
        if strangers:
            raise Invalid("attendees are people registered for the talk", field="person_ids", not_registered=strangers)
        if now < talk.slot.starts_at:
            raise Conflict("this talk has not started yet", starts_at=talk.slot.starts_at.isoformat())
        for person_id in dict.fromkeys(person_ids):
            if person_id not in talk.attended:
                talk.attended.append(person_id)
                self.events.append(TalkAttended(self.id, talk_id, person_id, talk.speaker_id, talk.idea.competencies))
        return talk

    def give_feedback(self, talk_id: str, person_id: str, score: int, comment: str | None, now: datetime) -> Proposal:
        talk = self.talk(talk_id)
        if not 1 <= score <= 5:
            raise Invalid("a score is 1 to 5", field="score")
        if person_id not in talk.attended:
            raise Forbidden("only people who attended the talk rate it")
        if any(f.person_id == person_id for f in talk.feedback):
            raise Conflict("feedback was already given", field="person_id")
        text = comment.strip() if comment else None
        talk.feedback.append(Feedback(person_id, score, text or None, now))
        self.events.append(TalkFeedbackGiven(self.id, talk_id, talk.speaker_id, person_id))
        return talk

    def attach_recording(
        self, talk_id: str, speaker_id: str, recording_url: str, slides_url: str | None, now: datetime
    ) -> Proposal:
        talk = self.talk(talk_id)
        assert talk.slot is not None
        if speaker_id != talk.speaker_id:
            raise Forbidden("the speaker attaches the recording")
        if now < talk.slot.ends_at:
            raise Conflict("the recording comes after the talk", ends_at=talk.slot.ends_at.isoformat())
        talk.recording_url = recording_url
        talk.slides_url = slides_url
        idea = talk.idea
        self.events.append(
            TalkRecordingAttached(
                self.id,
                talk_id,
                talk.speaker_id,
                idea.title,
                idea.abstract,
                idea.language,
                idea.competencies,
                recording_url,
                slides_url,
            )
        )
        return talk

    # --- views ----------------------------------------------------------------------------------------

    def view(self, viewer_id: str) -> dict[str, Any]:
        """What a caller sees: the plan, the programme once published, their own proposals; the
        committee also sees every proposal (with how many scored it, never the scores)."""
        plan = self.plan
        member = self.is_member(viewer_id)
        return {
            "id": self.id,
            "title": plan.title,
            "starts_on": plan.starts_on.isoformat(),
            "ends_on": plan.ends_on.isoformat(),
            "time_zone": plan.time_zone,
            "tracks": list(plan.tracks),
            "rooms": [{"name": r.name, "capacity": r.capacity, "url": r.url} for r in plan.rooms],
            "committee_ids": list(plan.committee_ids),
            "chair_id": plan.chair_id,
            "status": self.status,
            "criteria": list(CRITERIA),
            "proposals": [
                self._proposal_view(p, viewer_id) for p in self.proposals if member or p.speaker_id == viewer_id
            ],
            "programme": [self.talk_view(t, viewer_id) for t in self.scheduled()]
            if self.status == "published" or member
            else [],
        }

    def _proposal_view(self, proposal: Proposal, viewer_id: str) -> dict[str, Any]:
        idea = proposal.idea
        return {
            "id": proposal.id,
            "speaker_id": proposal.speaker_id,
            "title": idea.title,
            "abstract": idea.abstract,
            "level": idea.level,
            "language": idea.language,
            "competencies": list(idea.competencies),
            "scored_by": len(proposal.scores),
            "my_score_given": viewer_id in proposal.scores,
            "decision": proposal.decision,
            "message": proposal.message if viewer_id in (proposal.speaker_id, self.plan.chair_id) else None,
            "scheduled": proposal.slot is not None,
        }

    def talk_view(self, talk: Proposal, viewer_id: str) -> dict[str, Any]:
        assert talk.slot is not None
        scores = [f.score for f in talk.feedback]
        capacity = self.capacity(talk)
        marks = viewer_id in (talk.speaker_id, self.plan.chair_id)
        return {
            "id": talk.id,
            "speaker_id": talk.speaker_id,
            "title": talk.idea.title,
            "abstract": talk.idea.abstract,
            "level": talk.idea.level,
            "language": talk.idea.language,
            "competencies": list(talk.idea.competencies),
            "track": talk.slot.track,
            "room": talk.slot.room,
            "starts_at": talk.slot.starts_at.isoformat(),
            "duration_minutes": talk.slot.duration_minutes,
            "capacity": capacity,
            "seats_left": max(0, capacity - len(talk.registered)),
            "registered": len(talk.registered),
            "attended": len(talk.attended),
            "i_am_registered": viewer_id in talk.registered,
            "i_attended": viewer_id in talk.attended,
            "feedback_count": len(scores),
            "average_score": round(sum(scores) / len(scores), 2) if scores else None,
            "my_feedback_given": any(f.person_id == viewer_id for f in talk.feedback),
            "recording_url": talk.recording_url,
            "slides_url": talk.slides_url,
            # Who registered and who came: only for those who mark attendance (the speaker and the chair).
            "registered_ids": list(talk.registered) if marks else [],
            "attended_ids": list(talk.attended) if marks else [],
        }

    def records_of(self, person_id: str) -> dict[str, Any] | None:
        """What the conference holds on the person, as plain data (a subject access request); None if nothing.

        Their roles; the proposals they submitted with the chair's decision and message, and their talks'
        slots, recordings and ratings (a count and an average, as a speaker sees them); the talks they
        registered for, attended and rated (their own rating); as a committee member the scores they gave
        and, as the chair, the decisions they took. Never another member's score of anything (their own
        proposals' scores included), nor anyone else's registration or rating.
        """
        plan = self.plan
        roles = [
            role
            for role, holds in (
                ("organiser", person_id == self.created_by),
                ("committee", person_id in plan.committee_ids),
                ("chair", person_id == plan.chair_id),
                ("speaker", any(p.speaker_id == person_id for p in self.proposals)),
            )
            if holds
        ]
        proposals = [_own_proposal(p) for p in self.proposals if p.speaker_id == person_id]
        talks = [
            {
                "talk_id": p.id,
                "title": p.idea.title,
                "starts_at": p.slot.starts_at.isoformat() if p.slot is not None else None,
                "registered": person_id in p.registered,
                "attended": person_id in p.attended,
                "feedback": next(
                    (
                        {"score": f.score, "comment": f.comment, "at": f.at.isoformat()}
                        for f in p.feedback
                        if f.person_id == person_id
                    ),
                    None,
                ),
            }
            for p in self.proposals
            if person_id in p.registered or person_id in p.attended or any(f.person_id == person_id for f in p.feedback)
        ]
        scores = [
            {"proposal_id": p.id, "title": p.idea.title, **p.scores[person_id]}
            for p in self.proposals
            if person_id in p.scores
        ]
        decisions = (
            [{"proposal_id": p.id, "decision": p.decision} for p in self.proposals if p.decision is not None]
            if person_id == plan.chair_id
            else []
        )
        if not (roles or talks or scores):
            return None
        return {
            "conference_id": self.id,
            "title": plan.title,
            "starts_on": plan.starts_on.isoformat(),
            "ends_on": plan.ends_on.isoformat(),
            "status": self.status,
            "roles": roles,
            "proposals": proposals,
            "talks": talks,
            "scores_given": scores,
            "decisions_taken": decisions,
        }

    # --- state --------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "title": plan.title,
            "starts_on": plan.starts_on.isoformat(),
            "ends_on": plan.ends_on.isoformat(),
            "time_zone": plan.time_zone,
            "tracks": list(plan.tracks),
            "rooms": [{"name": r.name, "capacity": r.capacity, "url": r.url} for r in plan.rooms],
            "committee_ids": list(plan.committee_ids),
            "chair_id": plan.chair_id,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "status": self.status,
            "published_at": self.published_at,
            "proposals": [_proposal_state(p) for p in self.proposals],
        }

    @classmethod
    def from_state(cls, conference_id: str, state: dict[str, Any]) -> "Conference":
        plan = Plan(
            title=state["title"],
            starts_on=date.fromisoformat(state["starts_on"]),
            ends_on=date.fromisoformat(state["ends_on"]),
            time_zone=state["time_zone"],
            tracks=tuple(state["tracks"]),
            rooms=tuple(Room(r["name"], r["capacity"], r.get("url")) for r in state["rooms"]),
            committee_ids=tuple(state["committee_ids"]),
            chair_id=state["chair_id"],
        )
        published_at = state.get("published_at")
        return cls(
            id=conference_id,
            plan=plan,
            created_by=state["created_by"],
            created_at=utc(state["created_at"]),
            status=state["status"],
            proposals=[_proposal_from(p) for p in state.get("proposals", [])],
            published_at=utc(published_at) if published_at is not None else None,
        )


@dataclass(frozen=True)
class Summary:
    """A conference as the list of conferences shows it: the plan's headline, no proposals."""

    id: str
    title: str
    starts_on: date
    ends_on: date
    time_zone: str
    status: Status
    tracks: tuple[str, ...]
    committee_ids: tuple[str, ...]
    chair_id: str

    @classmethod
    def from_state(cls, conference_id: str, state: dict[str, Any]) -> "Summary":
        """From the stored state's top-level fields (all a listing reads)."""
        return cls(
            id=conference_id,
            title=state["title"],
            starts_on=date.fromisoformat(state["starts_on"]),
            ends_on=date.fromisoformat(state["ends_on"]),
            time_zone=state["time_zone"],
            status=state["status"],
            tracks=tuple(state["tracks"]),
            committee_ids=tuple(state["committee_ids"]),
            chair_id=state["chair_id"],
        )

    def view(self, viewer_id: str, today: date) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "time_zone": self.time_zone,
            "status": self.status,
            "tracks": list(self.tracks),
            "past": self.ends_on < today,
            "i_am_on_committee": viewer_id in self.committee_ids,
            "i_chair": viewer_id == self.chair_id,
        }


def soonest_first(summaries: list[Summary], today: date) -> list[Summary]:
    """Conferences still to come or under way, soonest first; then those over, the most recent first.

    Both statuses are for everyone to see (the call for speakers is open to any employee, the programme
    once published), so nothing is held back here: there are no drafts.
    """
    coming = sorted((s for s in summaries if s.ends_on >= today), key=lambda s: (s.starts_on, s.title, s.id))
    over = sorted((s for s in summaries if s.ends_on < today), key=lambda s: (s.ends_on, s.starts_on), reverse=True)
    return coming + over


def _own_proposal(p: Proposal) -> dict[str, Any]:
    """A proposal as its speaker's export shows it: what they wrote, what was decided, their talk; no scores."""
    ratings = [f.score for f in p.feedback]
    return {
        "proposal_id": p.id,
        "title": p.idea.title,
        "abstract": p.idea.abstract,
        "level": p.idea.level,
        "language": p.idea.language,
        "competencies": list(p.idea.competencies),
        "submitted_at": p.submitted_at.isoformat(),
        "decision": p.decision,
        "message": p.message,
        "slot": None
        if p.slot is None
        else {
            "track": p.slot.track,
            "room": p.slot.room,
            "starts_at": p.slot.starts_at.isoformat(),
            "duration_minutes": p.slot.duration_minutes,
        },
        "registered": len(p.registered),
        "attended": len(p.attended),
        "feedback_count": len(ratings),
        "average_score": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "recording_url": p.recording_url,
        "slides_url": p.slides_url,
    }


def _proposal_state(p: Proposal) -> dict[str, Any]:
    # Scores are a list, not a dict keyed by member id: ids are data (erasure rewrites values, never keys).
    return {
        "id": p.id,
        "speaker_id": p.speaker_id,
        "title": p.idea.title,
        "abstract": p.idea.abstract,
        "level": p.idea.level,
        "language": p.idea.language,
        "competencies": list(p.idea.competencies),
        "submitted_at": p.submitted_at,
        "scores": [{"member_id": m, **s} for m, s in p.scores.items()],
        "decision": p.decision,
        "message": p.message,
        "slot": None
        if p.slot is None
        else {
            "track": p.slot.track,
            "room": p.slot.room,
            "starts_at": p.slot.starts_at,
            "duration_minutes": p.slot.duration_minutes,
        },
        "registered": list(p.registered),
        "attended": list(p.attended),
        "feedback": [
            {"person_id": f.person_id, "score": f.score, "comment": f.comment, "at": f.at} for f in p.feedback
        ],
        "recording_url": p.recording_url,
        "slides_url": p.slides_url,
    }


def _proposal_from(state: dict[str, Any]) -> Proposal:
    slot = state.get("slot")
    return Proposal(
        id=state["id"],
        speaker_id=state["speaker_id"],
        idea=TalkIdea(
            title=state["title"],
            abstract=state.get("abstract", ""),
            level=state["level"],
            language=state["language"],
            competencies=tuple(state.get("competencies", [])),
        ),
        submitted_at=utc(state["submitted_at"]),
        scores={s["member_id"]: {c: s[c] for c in CRITERIA} for s in state.get("scores", [])},
        decision=state.get("decision"),
        message=state.get("message"),
        slot=None
        if slot is None
        else Slot(slot["track"], slot["room"], utc(slot["starts_at"]), slot["duration_minutes"]),
        registered=list(state.get("registered", [])),
        attended=list(state.get("attended", [])),
        feedback=[
            Feedback(f["person_id"], f["score"], f.get("comment"), utc(f["at"])) for f in state.get("feedback", [])
        ],
        recording_url=state.get("recording_url"),
        slides_url=state.get("slides_url"),
    )
