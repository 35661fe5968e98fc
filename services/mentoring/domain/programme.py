"""The programme aggregate: its terms and stage, the people in it, nominations, matching and the pair roster.

The programme is the consistency boundary for who is in it and who is paired with whom: "is this person
already in?", "has this mentor a free place?" need every participant and every pair of the programme, so
two such decisions racing on one programme are two writers of one aggregate, and the version check in the
repository makes the loser re-read and decide again. What a pair does once formed (goals, meetings,
check-ins) lives in the pair aggregate; the programme keeps only its roster line.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from mentoring.domain import matching
from mentoring.domain.model import FORMER_EMPLOYEE_PREFIX, LOCALES, ProgrammeKind, Role, parse
from shared.errors import Conflict, Forbidden, Invalid, NotFound

MIN_CADENCE_DAYS, MAX_CADENCE_DAYS = 1, 60
MIN_WEEKS, MAX_WEEKS = 1, 104
MIN_GROUP, MAX_GROUP = 2, 20
MAX_CAPACITY = 10
MAX_TOPICS = 30


class Stage(StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # open for nominations and registrations
    MATCHING = "matching"
    RUNNING = "running"
    CLOSING = "closing"  # final feedback
    CLOSED = "closed"


NEXT_STAGE = {
    Stage.DRAFT: Stage.OPEN,
    Stage.OPEN: Stage.MATCHING,
    Stage.MATCHING: Stage.RUNNING,
    Stage.RUNNING: Stage.CLOSING,
    Stage.CLOSING: Stage.CLOSED,
}


class Format(StrEnum):
    ONE_TO_ONE = "one_to_one"
    GROUP = "group"  # one mentor with a group of N mentees
    LONG_TERM = "long_term"  # one-to-one pairs over months
    SPRINT = "sprint"  # short sprints of a few hours


class ReverseRule(StrEnum):
    GRADE = "grade"  # the mentor must be of a lower grade than the mentee
    CURATOR = "curator"  # the curator vouches for every mentor when accepting the nomination


class NominationStatus(StrEnum):
    AWAITING_CONSENT = "awaiting_consent"  # a colleague recommended them: participation is voluntary
    PENDING = "pending"  # the curator decides
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class AlreadyRegistered(Conflict):
    """The person is already registered in this programme; the existing registration stands."""


# ------------------------------------------------------------------------------------------------ values


@dataclass(frozen=True)
class Terms:
    """What the curator sets up: the shape of the programme."""

    format: Format
    topics: tuple[str, ...]
    enrolment_opens: date
    enrolment_closes: date
    starts: date
    duration_weeks: int
    cadence_days: int  # expected days between two meetings of a pair
    rules_text: str  # what every participant accepts on joining
    group_size: int | None = None  # group format only
    reverse_rule: ReverseRule = ReverseRule.GRADE
    preparation: str = ""  # the short material both roles acknowledge before their pair starts

    @property
    def ends(self) -> date:
        return self.starts + timedelta(weeks=self.duration_weeks)

    @classmethod
    def checked(
        cls,
        *,
        format: str,
        topics: Sequence[str],
        enrolment_opens: date,
        enrolment_closes: date,
        starts: date,
        duration_weeks: int,
        cadence_days: int,
        rules_text: str,
        group_size: int | None = None,
        reverse_rule: str = ReverseRule.GRADE,
        preparation: str = "",
    ) -> "Terms":
        parsed_format = parse(Format, format, "format")
        cleaned = tuple(dict.fromkeys(topic.strip().casefold() for topic in topics if topic.strip()))
        if not cleaned:
            raise Invalid("a programme covers at least one topic", field="topics")
        if len(cleaned) > MAX_TOPICS:
            raise Invalid(f"a programme covers at most {MAX_TOPICS} topics", field="topics")
        if enrolment_closes < enrolment_opens:
            raise Invalid("the enrolment window closes before it opens", field="enrolment_closes")
        if starts < enrolment_opens:
            raise Invalid("the programme cannot start before its enrolment opens", field="starts")
        if not MIN_WEEKS <= duration_weeks <= MAX_WEEKS:
            raise Invalid(f"duration_weeks must be from {MIN_WEEKS} to {MAX_WEEKS}", field="duration_weeks")
        if not MIN_CADENCE_DAYS <= cadence_days <= MAX_CADENCE_DAYS:
            raise Invalid(f"cadence_days must be from {MIN_CADENCE_DAYS} to {MAX_CADENCE_DAYS}", field="cadence_days")
        if not rules_text.strip():
            raise Invalid("participants accept the programme's rules: write them", field="rules_text")
        if parsed_format is Format.GROUP:
            if group_size is None or not MIN_GROUP <= group_size <= MAX_GROUP:
                raise Invalid(f"a group format needs group_size from {MIN_GROUP} to {MAX_GROUP}", field="group_size")
        elif group_size is not None:
            raise Invalid("group_size is for the group format only", field="group_size")
        return cls(
            format=parsed_format,
            topics=cleaned,
            enrolment_opens=enrolment_opens,
            enrolment_closes=enrolment_closes,
            starts=starts,
            duration_weeks=duration_weeks,
            cadence_days=cadence_days,
            rules_text=rules_text.strip(),
            group_size=group_size,
            reverse_rule=parse(ReverseRule, reverse_rule, "reverse_rule"),
            preparation=preparation.strip(),
        )


@dataclass(frozen=True)
class Profile:
    """What a person brings to one programme; matching reads nothing else about them (but the directory's line)."""

    competencies: Mapping[str, int]  # topic -> self-assessed level, 1..5
    topics: tuple[str, ...]  # wanted (mentee) or offered (mentor)
    interests: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    time_zone: str = "UTC"
    capacity: int = 1  # mentees (or groups) a mentor takes
    availability: tuple[tuple[int, int], ...] | None = None  # (weekday 0 = Monday, hour) in UTC
    grade: int | None = None  # for the reverse-programme grade rule

    @classmethod
    def checked(
        cls,
        role: Role,
        *,
        competencies: Mapping[str, int],
        topics: Sequence[str],
        interests: Sequence[str] = (),
        languages: Sequence[str] = (),
        time_zone: str = "UTC",
        capacity: int = 1,
        availability: Sequence[tuple[int, int]] | None = None,
        grade: int | None = None,
    ) -> "Profile":
        levels = {topic.strip().casefold(): level for topic, level in competencies.items() if topic.strip()}
        for topic, level in levels.items():
            if not matching.MIN_LEVEL <= level <= matching.MAX_LEVEL:
                raise Invalid(f"the level of {topic!r} must be from 1 to 5", field="competencies")
        wanted = tuple(dict.fromkeys(topic.strip().casefold() for topic in topics if topic.strip()))
        if not wanted:
            what = "offers" if role is Role.MENTOR else "wants"
            raise Invalid(f"a {role.value} {what} at least one topic", field="topics")
        if role is Role.MENTOR:
            missing = [topic for topic in wanted if topic not in levels]
            if missing:
                raise Invalid(f"give your level in every topic you offer: {', '.join(missing)}", field="competencies")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise Invalid(f"capacity must be from 1 to {MAX_CAPACITY}", field="capacity")
        if role is Role.MENTEE and capacity != 1:
            raise Invalid("only mentors have a capacity", field="capacity")
        profile = cls(
            competencies=levels,
            topics=wanted,
            interests=tuple(dict.fromkeys(i.strip().casefold() for i in interests if i.strip())),
            languages=tuple(dict.fromkeys(language.strip().casefold() for language in languages if language.strip())),
            time_zone=time_zone,
            capacity=capacity,
            availability=tuple((int(day), int(hour)) for day, hour in availability)
            if availability is not None
            else None,
            grade=grade,
        )
        profile.as_mentee("check")  # the matcher's own checks: time zone, availability slots
        return profile

    def as_mentee(self, person_id: str, manager_chain: Sequence[str] = ()) -> matching.Mentee:
        return matching.Mentee(
            person_id=person_id,
            # A mentor fits a wanted topic at the mentee's own level or above (level 1 if they gave none).
            wanted_topics={topic: self.competencies.get(topic, 1) for topic in self.topics},
            interests=frozenset(self.interests),
            languages=frozenset(self.languages),
            time_zone=self.time_zone,
            availability=frozenset(self.availability) if self.availability is not None else None,
            grade=self.grade,
            manager_chain=tuple(manager_chain),
        )

    def as_mentor(self, person_id: str, free_places: int, manager_chain: Sequence[str] = ()) -> matching.Mentor:
        return matching.Mentor(
            person_id=person_id,
            offered={topic: self.competencies[topic] for topic in self.topics},
            interests=frozenset(self.interests),
            languages=frozenset(self.languages),
            time_zone=self.time_zone,
            availability=frozenset(self.availability) if self.availability is not None else None,
            grade=self.grade,
            manager_chain=tuple(manager_chain),
            capacity=free_places,
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "competencies": dict(self.competencies),
            "topics": list(self.topics),
            "interests": list(self.interests),
            "languages": list(self.languages),
            "time_zone": self.time_zone,
            "capacity": self.capacity,
            # Slots as documents: FerretDB stores no arrays inside arrays.
            "availability": [{"weekday": day, "hour": hour} for day, hour in self.availability]
            if self.availability is not None
            else None,
            "grade": self.grade,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "Profile":
        availability = state.get("availability")
        return cls(
            competencies=dict(state["competencies"]),
            topics=tuple(state["topics"]),
            interests=tuple(state.get("interests", ())),
            languages=tuple(state.get("languages", ())),
            time_zone=state.get("time_zone", "UTC"),
            capacity=state.get("capacity", 1),
            availability=tuple((slot["weekday"], slot["hour"]) for slot in availability)
            if availability is not None
            else None,
            grade=state.get("grade"),
        )


@dataclass(frozen=True)
class Participant:
    person_id: str
    role: Role
    locale: str | None  # None once the person was erased: a former employee has no language preference
    profile: Profile | None = None  # None only for registrations made before profiles existed
    active: bool = True  # False once they left: participation is voluntary
    prepared: bool = False  # acknowledged the preparation module


@dataclass(frozen=True)
class Nomination:
    id: str
    person_id: str
    recommended_by: str | None  # None for a self-nomination
    reason: str  # the recommender's words, for the curator
    status: NominationStatus
    locale: str | None = None
    profile: Profile | None = None  # the nominee's own, given when they nominate themselves or consent


@dataclass(frozen=True)
class ProposedPairing:
    """One line of a matching proposal: a mentor with one mentee (or a group of them), and why."""

    mentor_id: str
    mentee_ids: tuple[str, ...]
    score: float
    reasons: tuple[Mapping[str, Any], ...]  # per mentee: matched topics, shared interests, languages, hours
    pinned: bool = False
    topic: str | None = None  # the group's topic


@dataclass(frozen=True)
class UnmatchedPerson:
    person_id: str
    role: str
    why: str  # a stable code
    text: str


@dataclass(frozen=True)
class Proposal:
    id: str
    made_at: datetime
    pairings: tuple[ProposedPairing, ...]
    unmatched: tuple[UnmatchedPerson, ...]
    approved: bool = False


@dataclass(frozen=True)
class PlannedPair:
    """A pair the programme decided to form: the service creates the pair aggregate under this id."""

    pair_id: str
    mentor_id: str
    mentee_ids: tuple[str, ...]
    via: str  # matching | request | rematch


@dataclass(frozen=True)
class RosterLine:
    mentor_id: str
    mentee_ids: tuple[str, ...]
    active: bool = True
    ended_by: str | None = None  # the pair's end reason, once ended

    @property
    def member_ids(self) -> tuple[str, ...]:
        return (self.mentor_id, *self.mentee_ids)


@dataclass(frozen=True)
class MentorRequest:
    id: str
    mentee_id: str
    mentor_id: str
    status: RequestStatus


# ------------------------------------------------------------------------------------------------ events


@dataclass(frozen=True)
class ProgrammeCreated:
    programme_id: str
    title: str
    kind: str


@dataclass(frozen=True)
class ProgrammeStageChanged:
    programme_id: str
    title: str
    stage: str
    curator_ids: list[str]


@dataclass(frozen=True)
class KickoffScheduled:
    programme_id: str
    title: str
    starts_at: datetime
    participant_ids: list[str]


@dataclass(frozen=True)
class KickoffHeld:
    programme_id: str
    held_at: datetime


@dataclass(frozen=True)
class PreparationAcknowledged:
    programme_id: str
    person_id: str


@dataclass(frozen=True)
class NominationSubmitted:
    programme_id: str
    nomination_id: str
    person_id: str
    recommended: bool
    curator_ids: list[str]


@dataclass(frozen=True)
class NominationDecided:
    programme_id: str
    nomination_id: str
    person_id: str
    accepted: bool


@dataclass(frozen=True)
class NominationWithdrawn:
    programme_id: str
    nomination_id: str
    person_id: str


@dataclass(frozen=True)
class ParticipantRegistered:
    programme_id: str
    programme_title: str
    person_id: str
    role: str
    locale: str


@dataclass(frozen=True)
class ParticipantLeft:
    programme_id: str
    person_id: str
    role: str


@dataclass(frozen=True)
class MatchingProposed:
    programme_id: str
    proposal_id: str
    pairs: int
    unmatched: int
    curator_ids: list[str]


@dataclass(frozen=True)
class MatchingApproved:
    programme_id: str
    proposal_id: str
    pairs: int


@dataclass(frozen=True)
class MentorRequested:
    programme_id: str
    request_id: str
    mentee_id: str
    mentor_id: str


@dataclass(frozen=True)
class MentorRequestDecided:
    programme_id: str
    request_id: str
    mentee_id: str
    mentor_id: str
    accepted: bool


ProgrammeEvent = (
    ProgrammeCreated
    | ProgrammeStageChanged
    | KickoffScheduled
    | KickoffHeld
    | PreparationAcknowledged
    | NominationSubmitted
    | NominationDecided
    | NominationWithdrawn
    | ParticipantRegistered
    | ParticipantLeft
    | MatchingProposed
    | MatchingApproved
    | MentorRequested
    | MentorRequestDecided
)


# --------------------------------------------------------------------------------------------- aggregate


@dataclass
class Programme:
    id: str
    title: str
    kind: ProgrammeKind
    terms: Terms | None = None  # None only for programmes made before terms existed
    curator_ids: tuple[str, ...] = ()
    stage: Stage = Stage.DRAFT
    participants: dict[str, Participant] = field(default_factory=dict)  # by person id, in joining order
    nominations: dict[str, Nomination] = field(default_factory=dict)
    kickoff_at: datetime | None = None
    kickoff_held_at: datetime | None = None
    forbidden: set[tuple[str, str]] = field(default_factory=set)  # (mentee, mentor): the curator's veto
    vetoes: set[tuple[str, str]] = field(default_factory=set)  # (mentee, mentor): one of the two said no
    pins: set[tuple[str, str]] = field(default_factory=set)  # (mentee, mentor): the curator's pin
    proposal: Proposal | None = None
    roster: dict[str, RosterLine] = field(default_factory=dict)  # pair id -> who is in it
    requests: dict[str, MentorRequest] = field(default_factory=dict)
    events: list[ProgrammeEvent] = field(default_factory=list, compare=False)

    # ------------------------------------------------------------------------------------- setting up

    @classmethod
    def create(
        cls, programme_id: str, title: str, kind: str, terms: Terms | None, curator_ids: Sequence[str]
    ) -> "Programme":
        if not title.strip():
            raise Invalid("a programme needs a title", field="title")
        curators = tuple(dict.fromkeys(c for c in curator_ids if c.strip()))
        if not curators:
            raise Invalid("a programme needs at least one curator", field="curator_ids")
        programme = cls(
            id=programme_id,
            title=title.strip(),
            kind=parse(ProgrammeKind, kind, "kind"),
            terms=terms,
            curator_ids=curators,
        )
        programme.events.append(ProgrammeCreated(programme.id, programme.title, programme.kind.value))
        return programme

    def edit(self, terms: Terms, title: str | None = None) -> None:
        """Change the terms; only before people join, so nobody accepted rules that then changed."""
        if self.stage is not Stage.DRAFT:
            raise Conflict("the terms can change only while the programme is a draft", stage=self.stage.value)
        if title is not None:
            if not title.strip():
                raise Invalid("a programme needs a title", field="title")
            self.title = title.strip()
        self.terms = terms

    def is_curator(self, person_id: str) -> bool:
        return person_id in self.curator_ids

    def require_curator(self, person_id: str) -> None:
        if not self.is_curator(person_id):
            raise Forbidden("only the programme's curators may do this", programme_id=self.id)

    def advance(self, to: str) -> None:
        """Move to the next stage of draft -> open -> matching -> running -> closing -> closed."""
        target = parse(Stage, to, "stage")
        if NEXT_STAGE.get(self.stage) is not target:
            raise Conflict(
                f"a {self.stage.value} programme cannot move to {target.value}",
                stage=self.stage.value,
                next=NEXT_STAGE[self.stage].value if self.stage in NEXT_STAGE else None,
            )
        if target is Stage.OPEN and self.terms is None:
            raise Conflict("set the programme's terms before opening it")
        self.stage = target
        self.events.append(ProgrammeStageChanged(self.id, self.title, target.value, list(self.curator_ids)))

    def schedule_kickoff(self, starts_at: datetime, now: datetime) -> None:
        if self.stage in (Stage.CLOSING, Stage.CLOSED):
            raise Conflict("the programme is ending: no kickoff now", stage=self.stage.value)
        if starts_at.tzinfo is None:
            raise Invalid("the kickoff time needs a time zone", field="starts_at")
        if starts_at <= now:
            raise Invalid("the kickoff must be in the future", field="starts_at")
        self.kickoff_at = starts_at
        self.events.append(KickoffScheduled(self.id, self.title, starts_at, self.active_ids()))

    def hold_kickoff(self, now: datetime) -> None:
        if self.kickoff_at is None:
            raise Conflict("schedule the kickoff first")
        if self.kickoff_held_at is not None:
            raise Conflict("the kickoff was held already", held_at=self.kickoff_held_at.isoformat())
        self.kickoff_held_at = now
        self.events.append(KickoffHeld(self.id, now))

    def acknowledge_preparation(self, person_id: str) -> None:
        participant = self._active(person_id)
        if participant.prepared:
            return  # reading the material twice changes nothing
        self.participants[person_id] = replace(participant, prepared=True)
        self.events.append(PreparationAcknowledged(self.id, person_id))

    def ready_to_start(self, member_ids: Sequence[str]) -> bool:
        """A pair starts once the kickoff was held and every member acknowledged the preparation module."""
        return self.kickoff_held_at is not None and all(
            person_id in self.participants and self.participants[person_id].prepared for person_id in member_ids
        )

    # ------------------------------------------------------------------------------------ people in it

    def register(
        self,
        person_id: str,
        role: str,
        locale: str,
        profile: Profile | None,
        *,
        accepted_rules: bool,
        by_curator: bool = False,
    ) -> Participant:
        """A mentee joins (or a curator adds anyone); mentors otherwise come in by nomination."""
        parsed_role = parse(Role, role, "role")
        if parsed_role is Role.MENTOR and not by_curator:
            raise Invalid("mentors join by nomination: nominate yourself or be recommended", field="role")
        if not by_curator:
            self._require_stage(Stage.OPEN, what="registrations")
        elif self.stage in (Stage.CLOSING, Stage.CLOSED):
            raise Conflict("the programme is ending: nobody joins now", stage=self.stage.value)
        return self._admit(person_id, parsed_role, locale, profile, accepted_rules=accepted_rules)

    def _admit(
        self, person_id: str, role: Role, locale: str | None, profile: Profile | None, *, accepted_rules: bool
    ) -> Participant:
        self._check_person(person_id)
        if locale not in LOCALES:
            raise Invalid(f"locale must be one of {', '.join(LOCALES)}", field="locale")
        if self.terms is not None:
            if not accepted_rules:
                raise Invalid("accept the programme's rules to join", field="accept_rules")
            if profile is None:
                raise Invalid("a participant gives a profile", field="profile")
        existing = self.participants.get(person_id)
        if existing is not None and existing.active:
            raise AlreadyRegistered(
                "this person is already registered in this programme", person_id=person_id, role=existing.role.value
            )
        if profile is not None and not profile.languages:
            profile = replace(profile, languages=(locale,))  # no languages given: the one they read Owlery in
        participant = Participant(person_id, role, locale, profile)
        self.participants.pop(person_id, None)  # someone who left may come back
        self.participants[person_id] = participant
        self.events.append(ParticipantRegistered(self.id, self.title, person_id, role.value, locale))
        return participant

    def update_profile(self, person_id: str, profile: Profile) -> None:
        participant = self._active(person_id)
        self.participants[person_id] = replace(participant, profile=profile)

    def leave(self, person_id: str) -> list[str]:
        """The person leaves (participation is voluntary); the ids of their active pairs, for the service to end."""
        participant = self._active(person_id)
        self.participants[person_id] = replace(participant, active=False)
        for nomination in self.nominations.values():
            if nomination.person_id == person_id and nomination.status in _OPEN_NOMINATIONS:
                self.nominations[nomination.id] = replace(nomination, status=NominationStatus.WITHDRAWN)
        for request in self.requests.values():
            if person_id in (request.mentee_id, request.mentor_id) and request.status is RequestStatus.PENDING:
                self.requests[request.id] = replace(request, status=RequestStatus.WITHDRAWN)
        self.events.append(ParticipantLeft(self.id, person_id, participant.role.value))
        return [pair_id for pair_id, line in self.roster.items() if line.active and person_id in line.member_ids]

    def active_ids(self) -> list[str]:
        return [p.person_id for p in self.participants.values() if p.active]

    def _active(self, person_id: str) -> Participant:
        participant = self.participants.get(person_id)
        if participant is None or not participant.active:
            raise NotFound(f"{person_id} takes no part in this programme", person_id=person_id)
        return participant

    def _check_person(self, person_id: str) -> None:
        if not person_id.strip():
            raise Invalid("a participant needs a person id", field="person_id")
        if person_id.startswith(FORMER_EMPLOYEE_PREFIX):
            raise Invalid("former employees cannot take part", field="person_id")

    def _require_stage(self, stage: Stage, *, what: str) -> None:
        if self.stage is not stage:
            raise Conflict(f"{what} are taken while the programme is {stage.value}", stage=self.stage.value)

    # ------------------------------------------------------------------------------------- nominations

    def nominate_self(
        self, nomination_id: str, person_id: str, locale: str, profile: Profile, *, accepted_rules: bool
    ) -> Nomination:
        self._require_stage(Stage.OPEN, what="nominations")
        self._check_nominee(person_id)
        if not accepted_rules:
            raise Invalid("accept the programme's rules to join", field="accept_rules")
        if locale not in LOCALES:
            raise Invalid(f"locale must be one of {', '.join(LOCALES)}", field="locale")
        nomination = Nomination(nomination_id, person_id, None, "", NominationStatus.PENDING, locale, profile)
        return self._submit(nomination)

    def recommend(self, nomination_id: str, person_id: str, recommended_by: str, reason: str) -> Nomination:
        self._require_stage(Stage.OPEN, what="nominations")
        if recommended_by == person_id:
            raise Invalid("to put yourself forward, nominate yourself", field="person_id")
        if not reason.strip():
            raise Invalid("say why you recommend them", field="reason")
        self._check_nominee(person_id)
        nomination = Nomination(
            nomination_id, person_id, recommended_by, reason.strip(), NominationStatus.AWAITING_CONSENT
        )
        return self._submit(nomination)

    def consent(
        self, nomination_id: str, person_id: str, locale: str, profile: Profile, *, accepted_rules: bool
    ) -> Nomination:
        """The recommended colleague agrees to mentor (nobody is made a mentor without saying yes)."""
        nomination = self._nomination(nomination_id)
        if nomination.person_id != person_id:
            raise Forbidden("only the recommended person can consent")
        if nomination.status is not NominationStatus.AWAITING_CONSENT:
            raise Conflict("this nomination is not waiting for consent", status=nomination.status.value)
        if not accepted_rules:
            raise Invalid("accept the programme's rules to join", field="accept_rules")
        if locale not in LOCALES:
            raise Invalid(f"locale must be one of {', '.join(LOCALES)}", field="locale")
        consented = replace(nomination, status=NominationStatus.PENDING, locale=locale, profile=profile)
        self.nominations[nomination_id] = consented
        return consented

    def decide_nomination(self, nomination_id: str, accept: bool) -> Nomination:
        nomination = self._nomination(nomination_id)
        if nomination.status is not NominationStatus.PENDING:
            raise Conflict(f"this nomination is {nomination.status.value}", status=nomination.status.value)
        decided = replace(nomination, status=NominationStatus.ACCEPTED if accept else NominationStatus.DECLINED)
        if accept:
            self._admit(nomination.person_id, Role.MENTOR, nomination.locale, nomination.profile, accepted_rules=True)
        self.nominations[nomination_id] = decided
        self.events.append(NominationDecided(self.id, nomination_id, nomination.person_id, accept))
        return decided

    def withdraw_nomination(self, nomination_id: str, person_id: str) -> Nomination:
        """The nominee says no, before or after consenting: nobody mentors against their will."""
        nomination = self._nomination(nomination_id)
        if nomination.person_id != person_id:
            raise Forbidden("only the nominated person can withdraw a nomination")
        if nomination.status not in _OPEN_NOMINATIONS:
            raise Conflict(f"this nomination is {nomination.status.value}", status=nomination.status.value)
        withdrawn = replace(nomination, status=NominationStatus.WITHDRAWN)
        self.nominations[nomination_id] = withdrawn
        self.events.append(NominationWithdrawn(self.id, nomination_id, person_id))
        return withdrawn

    def _check_nominee(self, person_id: str) -> None:
        self._check_person(person_id)
        existing = self.participants.get(person_id)
        if existing is not None and existing.active:
            raise AlreadyRegistered(
                "this person already takes part in this programme", person_id=person_id, role=existing.role.value
            )
        for nomination in self.nominations.values():
            if nomination.person_id == person_id and nomination.status in _OPEN_NOMINATIONS:
                raise Conflict(
                    "this person is already nominated", nomination_id=nomination.id, status=nomination.status.value
                )

    def _submit(self, nomination: Nomination) -> Nomination:
        self.nominations[nomination.id] = nomination
        self.events.append(
            NominationSubmitted(
                self.id,
                nomination.id,
                nomination.person_id,
                nomination.recommended_by is not None,
                list(self.curator_ids),
            )
        )
        return nomination

    def _nomination(self, nomination_id: str) -> Nomination:
        nomination = self.nominations.get(nomination_id)
        if nomination is None:
            raise NotFound(f"nomination {nomination_id} does not exist", nomination_id=nomination_id)
        return nomination

    # ---------------------------------------------------------------------------------------- matching

    def veto(self, person_id: str, other_id: str) -> None:
        """A participant says no to one counterpart; private, and never shown to the other."""
        me, other = self._active(person_id), self._active(other_id)
        if me.role is other.role:
            raise Invalid("you can only veto a counterpart of the other role", field="person_id")
        self.vetoes.add((person_id, other_id) if me.role is Role.MENTEE else (other_id, person_id))

    def forbid(self, mentee_id: str, mentor_id: str) -> None:
        self._pairable(mentee_id, mentor_id)
        self.forbidden.add((mentee_id, mentor_id))
        self.pins.discard((mentee_id, mentor_id))

    def pin(self, mentee_id: str, mentor_id: str) -> None:
        self._pairable(mentee_id, mentor_id)
        if any(pin[0] == mentee_id for pin in self.pins):
            raise Conflict("this mentee is already pinned to a mentor: unpin first", mentee_id=mentee_id)
        self.pins.add((mentee_id, mentor_id))
        self.forbidden.discard((mentee_id, mentor_id))

    def unpin(self, mentee_id: str, mentor_id: str) -> None:
        self.pins.discard((mentee_id, mentor_id))

    def _pairable(self, mentee_id: str, mentor_id: str) -> None:
        if self._active(mentee_id).role is not Role.MENTEE:
            raise Invalid(f"{mentee_id} is not a mentee here", field="mentee_id")
        if self._active(mentor_id).role is not Role.MENTOR:
            raise Invalid(f"{mentor_id} is not a mentor here", field="mentor_id")

    def free_places(self, mentor_id: str) -> int:
        participant = self.participants[mentor_id]
        capacity = participant.profile.capacity if participant.profile is not None else 1
        if self.terms is not None and self.terms.format is Format.GROUP:
            taken = sum(1 for line in self.roster.values() if line.active and line.mentor_id == mentor_id)
        else:
            taken = sum(
                len(line.mentee_ids) for line in self.roster.values() if line.active and line.mentor_id == mentor_id
            )
        return max(capacity - taken, 0)

    def paired(self, mentee_id: str) -> bool:
        return any(line.active and mentee_id in line.mentee_ids for line in self.roster.values())

    def pool(self, manager_chains: Mapping[str, Sequence[str]]) -> tuple[list[matching.Mentee], list[matching.Mentor]]:
        """Who matching considers: unpaired active mentees and mentors with a free place, with a profile."""
        mentees, mentors = [], []
        for p in self.participants.values():
            if not p.active or p.profile is None:
                continue
            chain = manager_chains.get(p.person_id, ())
            if p.role is Role.MENTEE and not self.paired(p.person_id):
                mentees.append(p.profile.as_mentee(p.person_id, chain))
            elif p.role is Role.MENTOR and (places := self.free_places(p.person_id)) > 0:
                mentors.append(p.profile.as_mentor(p.person_id, places, chain))
        return mentees, mentors

    def propose_matching(
        self, proposal_id: str, manager_chains: Mapping[str, Sequence[str]], now: datetime
    ) -> Proposal:
        """Match the whole free pool; the latest proposal replaces any earlier one not yet approved."""
        if self.stage not in (Stage.MATCHING, Stage.RUNNING):
            raise Conflict("matching runs while the programme is matching or running", stage=self.stage.value)
        terms = self._terms()
        mentees, mentors = self.pool(manager_chains)
        # Rematched people never meet their former counterpart again: the ended pairs count as vetoes.
        past = {
            (mentee, line.mentor_id) for line in self.roster.values() if not line.active for mentee in line.mentee_ids
        }
        free = {m.person_id for m in mentees} | {m.person_id for m in mentors}
        # A pin beats only the curator's own forbid (pin and forbid replace each other): never a participant's
        # veto (participation is voluntary) nor a pair that already ended (the matcher lets pins beat vetoes).
        refused = self.vetoes | past
        constraints = matching.Constraints(
            vetoed=frozenset(self.forbidden | refused),
            pinned=frozenset(pin for pin in self.pins if pin[0] in free and pin[1] in free and pin not in refused),
            reverse=self.kind is ProgrammeKind.REVERSE and terms.reverse_rule is ReverseRule.GRADE,
        )
        pairings: list[ProposedPairing]
        if terms.format is Format.GROUP:
            assert terms.group_size is not None
            grouped = matching.form_groups(mentees, mentors, terms.group_size, constraints)
            pairings = [
                ProposedPairing(
                    group.mentor_id,
                    tuple(member.mentee_id for member in group.members),
                    round(group.score, 4),
                    tuple(_reasons(member) for member in group.members),
                    topic=group.topic,
                )
                for group in grouped.groups
            ]
            unmatched = grouped.unmatched
        else:
            proposed = matching.match(mentees, mentors, constraints)
            pairings = [
                ProposedPairing(pair.mentor_id, (pair.mentee_id,), round(pair.score, 4), (_reasons(pair),), pair.pinned)
                for pair in proposed.pairs
            ]
            unmatched = proposed.unmatched
        self.proposal = Proposal(
            proposal_id,
            now,
            tuple(pairings),
            tuple(UnmatchedPerson(u.person_id, u.role.value, u.why.value, u.text) for u in unmatched),
        )
        self.events.append(
            MatchingProposed(self.id, proposal_id, len(pairings), len(unmatched), list(self.curator_ids))
        )
        return self.proposal

    def approve(self, proposal_id: str) -> list[PlannedPair]:
        """The curator approves the proposal: its pairs join the roster; the service forms each pair."""
        proposal = self.proposal
        if proposal is None or proposal.id != proposal_id:
            raise Conflict("this is not the current proposal: run matching again", proposal_id=proposal_id)
        if proposal.approved:
            raise Conflict("this proposal is already approved", proposal_id=proposal_id)
        planned: list[PlannedPair] = []
        for number, pairing in enumerate(proposal.pairings, start=1):
            # The pool may have moved since the proposal (someone left, a direct request was accepted).
            mentees = tuple(m for m in pairing.mentee_ids if self._available_mentee(m))
            if not mentees or not self._available_mentor(pairing.mentor_id, len(mentees)):
                continue
            via = "rematch" if any(self._rematched(mentee) for mentee in mentees) else "matching"
            pair = PlannedPair(f"{proposal_id}-{number}", pairing.mentor_id, mentees, via)
            self.roster[pair.pair_id] = RosterLine(pair.mentor_id, pair.mentee_ids)
            planned.append(pair)
        self.proposal = replace(proposal, approved=True)
        self.events.append(MatchingApproved(self.id, proposal_id, len(planned)))
        return planned

    def _rematched(self, mentee_id: str) -> bool:
        return any(line.ended_by == "rematch" and mentee_id in line.mentee_ids for line in self.roster.values())

    def _available_mentee(self, person_id: str) -> bool:
        participant = self.participants.get(person_id)
        return participant is not None and participant.active and not self.paired(person_id)

    def _available_mentor(self, person_id: str, mentees: int) -> bool:
        participant = self.participants.get(person_id)
        if participant is None or not participant.active:
            return False
        needed = 1 if self.terms is not None and self.terms.format is Format.GROUP else mentees
        return self.free_places(person_id) >= needed

    # ------------------------------------------------------------------------------- direct requests

    def request_mentor(self, request_id: str, mentee_id: str, mentor_id: str) -> MentorRequest:
        """A mentee asks a mentor directly: the mentee is the active customer of their learning."""
        if self.stage not in (Stage.OPEN, Stage.MATCHING, Stage.RUNNING):
            raise Conflict("requests are made while the programme is open, matching or running", stage=self.stage.value)
        self._pairable(mentee_id, mentor_id)
        if self.paired(mentee_id):
            raise Conflict("you already have a mentor in this programme", mentee_id=mentee_id)
        if not self._available_mentor(mentor_id, 1):
            raise Conflict("this mentor has no free place", mentor_id=mentor_id)
        if (mentee_id, mentor_id) in self.forbidden | self.vetoes:
            raise Conflict("this pair is not possible in this programme", mentor_id=mentor_id)
        for request in self.requests.values():
            if (request.mentee_id, request.mentor_id, request.status) == (mentee_id, mentor_id, RequestStatus.PENDING):
                raise Conflict("you already asked this mentor", request_id=request.id)
        request = MentorRequest(request_id, mentee_id, mentor_id, RequestStatus.PENDING)
        self.requests[request_id] = request
        self.events.append(MentorRequested(self.id, request_id, mentee_id, mentor_id))
        return request

    def answer_request(self, request_id: str, mentor_id: str, accept: bool) -> PlannedPair | None:
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound(f"request {request_id} does not exist", request_id=request_id)
        if request.mentor_id != mentor_id:
            raise Forbidden("only the mentor asked can answer")
        if request.status is not RequestStatus.PENDING:
            raise Conflict(f"this request is {request.status.value}", status=request.status.value)
        planned = None
        if accept:
            if not self._available_mentee(request.mentee_id):
                raise Conflict("the mentee is paired already or left", mentee_id=request.mentee_id)
            if not self._available_mentor(mentor_id, 1):
                raise Conflict("you have no free place left", mentor_id=mentor_id)
            planned = PlannedPair(f"{request_id}-pair", mentor_id, (request.mentee_id,), "request")
            self.roster[planned.pair_id] = RosterLine(mentor_id, planned.mentee_ids)
        status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
        self.requests[request_id] = replace(request, status=status)
        self.events.append(MentorRequestDecided(self.id, request_id, request.mentee_id, mentor_id, accept))
        return planned

    # ------------------------------------------------------------------------------------------ roster

    def pair_ended(self, pair_id: str, reason: str) -> None:
        """The pair ended: its people count as free again (a rematch puts them back in the pool)."""
        line = self.roster.get(pair_id)
        if line is not None and line.active:
            self.roster[pair_id] = replace(line, active=False, ended_by=reason)

    def mentee_left_pair(self, pair_id: str, person_id: str) -> None:
        line = self.roster.get(pair_id)
        if line is not None and person_id in line.mentee_ids:
            remaining = tuple(m for m in line.mentee_ids if m != person_id)
            self.roster[pair_id] = replace(line, mentee_ids=remaining, active=line.active and bool(remaining))

    def pairs_of(self, person_id: str) -> list[str]:
        return [pair_id for pair_id, line in self.roster.items() if person_id in line.member_ids]

    def _terms(self) -> Terms:
        if self.terms is None:
            raise Conflict("this programme has no terms yet")
        return self.terms

    # ----------------------------------------------------------------------------------------- erasure

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place; False if the person is not here (erased already).

        Roles, places in order, pairs and counts stay; the locale goes with the person. No event is
        recorded: erasure is not news for other services (they follow the directory themselves).
        """
        state = self.to_state()
        erased = _replace_person(state, person_id, replacement)
        if erased == state:
            return False  # before the check below: a resumed erasure finds its own stand-in here already
        if replacement in self.participants:
            raise ValueError("the replacement id is already in use in this programme")
        for participant in erased["participants"]:
            if participant["person_id"] == replacement:
                participant["locale"] = None
        for nomination in erased["nominations"]:
            if nomination["person_id"] == replacement:
                nomination["locale"] = None
        restored = Programme.from_state(self.id, erased)
        self.__dict__.update({name: value for name, value in restored.__dict__.items() if name != "events"})
        return True

    # ------------------------------------------------------------------------------------- views

    def count_by_role(self) -> dict[Role, int]:
        counts = dict.fromkeys(Role, 0)
        for participant in self.participants.values():
            if participant.active:
                counts[participant.role] += 1
        return counts

    # ----------------------------------------------------------------------- state for the repository

    def to_state(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind.value,
            "terms": _terms_state(self.terms) if self.terms is not None else None,
            "curator_ids": list(self.curator_ids),
            "stage": self.stage.value,
            "participants": [
                {
                    "person_id": p.person_id,
                    "role": p.role.value,
                    "locale": p.locale,
                    "profile": p.profile.to_state() if p.profile is not None else None,
                    "active": p.active,
                    "prepared": p.prepared,
                }
                for p in self.participants.values()
            ],
            "nominations": [
                {
                    "id": n.id,
                    "person_id": n.person_id,
                    "recommended_by": n.recommended_by,
                    "reason": n.reason,
                    "status": n.status.value,
                    "locale": n.locale,
                    "profile": n.profile.to_state() if n.profile is not None else None,
                }
                for n in self.nominations.values()
            ],
            "kickoff_at": self.kickoff_at.isoformat() if self.kickoff_at else None,
            "kickoff_held_at": self.kickoff_held_at.isoformat() if self.kickoff_held_at else None,
            # Pairs as documents: FerretDB stores no arrays inside arrays.
            "forbidden": _pairs_state(self.forbidden),
            "vetoes": _pairs_state(self.vetoes),
            "pins": _pairs_state(self.pins),
            "proposal": _proposal_state(self.proposal) if self.proposal is not None else None,
            "roster": [
                {
                    "pair_id": pair_id,
                    "mentor_id": line.mentor_id,
                    "mentee_ids": list(line.mentee_ids),
                    "active": line.active,
                    "ended_by": line.ended_by,
                }
                for pair_id, line in self.roster.items()
            ],
            "requests": [
                {"id": r.id, "mentee_id": r.mentee_id, "mentor_id": r.mentor_id, "status": r.status.value}
                for r in self.requests.values()
            ],
        }

    @classmethod
    def from_state(cls, programme_id: str, state: Mapping[str, Any]) -> "Programme":
        proposal = state.get("proposal")
        return cls(
            id=programme_id,
            title=state["title"],
            kind=ProgrammeKind(state["kind"]),
            terms=_terms_from(state["terms"]) if state.get("terms") else None,
            curator_ids=tuple(state.get("curator_ids", ())),
            stage=Stage(state.get("stage", Stage.OPEN.value)),
            participants={
                p["person_id"]: Participant(
                    p["person_id"],
                    Role(p["role"]),
                    p.get("locale"),
                    Profile.from_state(p["profile"]) if p.get("profile") else None,
                    p.get("active", True),
                    p.get("prepared", False),
                )
                for p in state["participants"]
            },
            nominations={
                n["id"]: Nomination(
                    n["id"],
                    n["person_id"],
                    n["recommended_by"],
                    n["reason"],
                    NominationStatus(n["status"]),
                    n.get("locale"),
                    Profile.from_state(n["profile"]) if n.get("profile") else None,
                )
                for n in state.get("nominations", ())
            },
            kickoff_at=_when(state.get("kickoff_at")),
            kickoff_held_at=_when(state.get("kickoff_held_at")),
            forbidden=_pairs_from(state.get("forbidden", ())),
            vetoes=_pairs_from(state.get("vetoes", ())),
            pins=_pairs_from(state.get("pins", ())),
            proposal=_proposal_from(proposal) if proposal else None,
            roster={
                line["pair_id"]: RosterLine(
                    line["mentor_id"], tuple(line["mentee_ids"]), line["active"], line.get("ended_by")
                )
                for line in state.get("roster", ())
            },
            requests={
                r["id"]: MentorRequest(r["id"], r["mentee_id"], r["mentor_id"], RequestStatus(r["status"]))
                for r in state.get("requests", ())
            },
        )


_OPEN_NOMINATIONS = (NominationStatus.AWAITING_CONSENT, NominationStatus.PENDING)


def _reasons(pair: matching.ProposedPair) -> dict[str, Any]:
    return {
        "mentee_id": pair.mentee_id,
        "score": round(pair.score, 4),
        "matched_topics": list(pair.reasons.matched_topics),
        "shared_interests": list(pair.reasons.shared_interests),
        "common_languages": list(pair.reasons.common_languages),
        "overlap_hours": pair.reasons.overlap_hours,
    }


def _replace_person(value: Any, person_id: str, replacement: str) -> Any:
    if isinstance(value, str):
        return replacement if value == person_id else value
    if isinstance(value, list):
        return [_replace_person(item, person_id, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _replace_person(item, person_id, replacement) for key, item in value.items()}
    return value


def _pairs_state(pairs: set[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"mentee_id": mentee, "mentor_id": mentor} for mentee, mentor in sorted(pairs)]


def _pairs_from(state: Sequence[Mapping[str, str]]) -> set[tuple[str, str]]:
    return {(pair["mentee_id"], pair["mentor_id"]) for pair in state}


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _terms_state(terms: Terms) -> dict[str, Any]:
    return {
        "format": terms.format.value,
        "topics": list(terms.topics),
        "enrolment_opens": terms.enrolment_opens.isoformat(),
        "enrolment_closes": terms.enrolment_closes.isoformat(),
        "starts": terms.starts.isoformat(),
        "duration_weeks": terms.duration_weeks,
        "cadence_days": terms.cadence_days,
        "rules_text": terms.rules_text,
        "group_size": terms.group_size,
        "reverse_rule": terms.reverse_rule.value,
        "preparation": terms.preparation,
    }


def _terms_from(state: Mapping[str, Any]) -> Terms:
    return Terms(
        format=Format(state["format"]),
        topics=tuple(state["topics"]),
        enrolment_opens=date.fromisoformat(state["enrolment_opens"]),
        enrolment_closes=date.fromisoformat(state["enrolment_closes"]),
        starts=date.fromisoformat(state["starts"]),
        duration_weeks=state["duration_weeks"],
        cadence_days=state["cadence_days"],
        rules_text=state["rules_text"],
        group_size=state.get("group_size"),
        reverse_rule=ReverseRule(state.get("reverse_rule", ReverseRule.GRADE.value)),
        preparation=state.get("preparation", ""),
    )


def _proposal_state(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "made_at": proposal.made_at.isoformat(),
        "approved": proposal.approved,
        "pairings": [
            {
                "mentor_id": p.mentor_id,
                "mentee_ids": list(p.mentee_ids),
                "score": p.score,
                "reasons": [dict(reason) for reason in p.reasons],
                "pinned": p.pinned,
                "topic": p.topic,
            }
            for p in proposal.pairings
        ],
        "unmatched": [
            {"person_id": u.person_id, "role": u.role, "why": u.why, "text": u.text} for u in proposal.unmatched
        ],
    }


def _proposal_from(state: Mapping[str, Any]) -> Proposal:
    return Proposal(
        id=state["id"],
        made_at=datetime.fromisoformat(state["made_at"]),
        approved=state["approved"],
        pairings=tuple(
            ProposedPairing(
                p["mentor_id"], tuple(p["mentee_ids"]), p["score"], tuple(p["reasons"]), p["pinned"], p.get("topic")
            )
            for p in state["pairings"]
        ),
        unmatched=tuple(UnmatchedPerson(u["person_id"], u["role"], u["why"], u["text"]) for u in state["unmatched"]),
    )
