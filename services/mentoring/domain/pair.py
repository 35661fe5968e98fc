"""The pair aggregate: one mentoring relationship in a programme, one mentor and one or more mentees.

A pair is its own consistency boundary (its own versioned document): the programme keeps only a roster
of pair ids, and everything the pair does (goals, meetings, check-ins, feedback, idea experiments, its
health) lives here. The programme's terms are copied in at formation, so the pair decides alone and
never needs the programme loaded to check a goal or a meeting.

Confidentiality: meeting notes, check-in answers and feedback text arrive already sealed by the service
(encrypted with a key the domain never sees) and are stored as opaque strings. Events carry ids, dates,
numbers and codes only: never a note, an answer, a feedback text, a rating or a check-in score, because
events leave the service for Kafka. Idea experiments are not confidential (the pair publishes them) and
are kept in clear.

Lifecycle: PREPARING (formed; the members go through kickoff and the preparation module) -> ACTIVE
(`start`) -> ENDED (`end`, from either state). Meetings, check-ins and experiments need an ACTIVE pair;
goals may be set while preparing; feedback is given while active or after the end.

Health (`assess_health`, `refresh_health`): an active pair is at risk when it has not met for too long,
when a third of the programme has passed without progress on any goal, or when a member's latest recent
check-in is low. Curators hear of it through `PairAtRisk` / `PairRecovered`.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, cast

from mentoring.domain.goals import (
    Goal,
    GoalDraft,
    Letter,
    Locale,
    ProgrammeFrame,
    SmartCheck,
    accept_goal,
    add_goal,
    check_goal,
    set_progress,
)
from mentoring.domain.model import ProgrammeKind, Role
from shared.errors import Conflict, Forbidden, Invalid, NotFound

VIAS = ("matching", "request", "rematch")  # how a pair came to be: curator-approved proposal, request, rematch
SCHEDULED_MINUTES = (15, 480)  # a planned meeting: a quarter of an hour to a working day
LOGGED_MINUTES = (5, 600)  # a held meeting as logged: a quick call counts, a long offsite too
SCORE_RANGE = (1, 5)  # check-in scores and feedback ratings
MAX_EXPERIMENT_TEXT = 2000  # characters per experiment field: a note, not an essay
MAX_ADAPTATION_NOTE = 2000  # characters of the curator's or manager's note on an adapted newcomer
NO_MEETING_TOLERANCE = 1.5  # at risk after this many expected intervals between meetings without one
CHECK_IN_WINDOW = timedelta(days=45)  # an older check-in says nothing about the pair's mood now
LOW_CHECK_IN_SCORE = 2  # scores at or below this are low
_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


# ---------------------------------------------------------------------------------------------
# Events: ids, dates, numbers and codes only (mapped field by field to integration contracts).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairFormed:
    pair_id: str
    programme_id: str
    programme_title: str
    kind: str
    mentor_id: str
    mentee_ids: list[str]
    via: str
    curator_ids: list[str]


@dataclass(frozen=True)
class PairStarted:
    pair_id: str
    programme_id: str
    member_ids: list[str]


@dataclass(frozen=True)
class PairEnded:
    pair_id: str
    programme_id: str
    reason: str
    member_ids: list[str]
    curator_ids: list[str]
    mentor_id: str  # who mentored: gamification credits a programme finished to them


@dataclass(frozen=True)
class PairMemberLeft:
    pair_id: str
    programme_id: str
    person_id: str


@dataclass(frozen=True)
class GoalSet:
    pair_id: str
    programme_id: str
    goal_id: str
    due: date
    flagged: list[str]  # SMART letters the pair saved the goal despite


@dataclass(frozen=True)
class GoalProgressed:
    pair_id: str
    programme_id: str
    goal_id: str
    progress: int


@dataclass(frozen=True)
class GoalAchieved:
    pair_id: str
    programme_id: str
    goal_id: str
    mentor_id: str
    mentee_ids: list[str]


@dataclass(frozen=True)
class MeetingScheduled:
    pair_id: str
    programme_id: str
    meeting_id: str
    starts_at: datetime
    minutes: int
    member_ids: list[str]


@dataclass(frozen=True)
class MeetingLogged:
    pair_id: str
    programme_id: str
    meeting_id: str
    mentor_id: str
    mentee_ids: list[str]
    held_on: date
    minutes: int


@dataclass(frozen=True)
class CheckInRecorded:
    pair_id: str
    programme_id: str
    person_id: str
    month: str


@dataclass(frozen=True)
class FeedbackGiven:
    pair_id: str
    programme_id: str
    person_id: str
    role: str


@dataclass(frozen=True)
class ExperimentPublished:
    pair_id: str
    programme_id: str
    experiment_id: str


@dataclass(frozen=True)
class PairAtRisk:
    pair_id: str
    programme_id: str
    curator_ids: list[str]
    reasons: list[str]


@dataclass(frozen=True)
class PairRecovered:
    pair_id: str
    programme_id: str
    curator_ids: list[str]


@dataclass(frozen=True)
class MenteeAdapted:
    pair_id: str
    programme_id: str
    person_id: str  # the mentee
    mentor_id: str
    adapted_on: date
    days_to_adapt: int


PairEvent = (
    PairFormed
    | PairStarted
    | PairEnded
    | PairMemberLeft
    | GoalSet
    | GoalProgressed
    | GoalAchieved
    | MeetingScheduled
    | MeetingLogged
    | CheckInRecorded
    | FeedbackGiven
    | ExperimentPublished
    | PairAtRisk
    | PairRecovered
    | MenteeAdapted
)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


class PairStatus(StrEnum):
    PREPARING = "preparing"
    ACTIVE = "active"
    ENDED = "ended"


class EndReason(StrEnum):
    COMPLETED = "completed"
    LEFT = "left"
    REMATCH = "rematch"
    CLOSED = "closed"  # by a curator


class HealthReason(StrEnum):
    NO_RECENT_MEETING = "no_recent_meeting"
    GOALS_STALLED = "goals_stalled"
    LOW_CHECK_IN = "low_check_in"


@dataclass(frozen=True)
class PairTerms:
    """The programme's terms, copied at formation so the pair decides alone."""

    programme_title: str
    kind: str  # "classic" | "reverse" | "peer"
    topics: tuple[str, ...]
    starts: date  # the programme's running window: goals are due inside it
    ends: date
    cadence_days: int  # expected days between meetings
    curator_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.kind not in tuple(ProgrammeKind):
            raise Invalid(f"kind must be one of {', '.join(ProgrammeKind)}", field="kind")
        if self.ends < self.starts:
            raise Invalid("a programme cannot end before it starts", field="ends")
        if isinstance(self.cadence_days, bool) or not isinstance(self.cadence_days, int) or self.cadence_days < 1:
            raise Invalid("the meeting cadence is a whole number of days, at least 1", field="cadence_days")


@dataclass(frozen=True)
class Meeting:
    """A meeting: scheduled (`scheduled_for` set, `held_on` None) and/or held (`held_on` set once logged)."""

    id: str
    scheduled_for: datetime | None
    held_on: date | None
    minutes: int
    topics: tuple[str, ...] = ()
    sealed_notes: str | None = None
    logged_by: str | None = None

    @property
    def held(self) -> bool:
        return self.held_on is not None


@dataclass(frozen=True)
class CheckIn:
    person_id: str
    month: str  # "YYYY-MM"
    score: int  # 1..5
    sealed_answers: str | None
    at: datetime


@dataclass(frozen=True)
class Feedback:
    person_id: str
    role: str  # "mentor" | "mentee"
    rating: int  # 1..5
    sealed_text: str | None
    at: datetime


@dataclass(frozen=True)
class Adaptation:
    """A newcomer mentee adapted: recorded once by a curator of the programme or the mentee's manager.

    The mentee's start is the day their pair started: the directory publishes no hire date, and in classic
    mentoring of newcomers the pair starts in their first weeks. The note is sealed like meeting notes.
    """

    person_id: str
    started_on: date
    adapted_on: date
    recorded_by: str
    sealed_note: str | None
    at: datetime

    @property
    def days_to_adapt(self) -> int:
        return (self.adapted_on - self.started_on).days


@dataclass(frozen=True)
class Experiment:
    """An idea a reverse-mentoring pair tried: what they expected, how they tested it, what came out."""

    id: str
    author_id: str
    hypothesis: str
    test: str
    result: str
    published: bool
    at: datetime


# ---------------------------------------------------------------------------------------------
# The aggregate
# ---------------------------------------------------------------------------------------------


@dataclass
class Pair:
    id: str
    programme_id: str
    terms: PairTerms
    mentor_id: str
    mentee_ids: list[str]
    via: str
    formed_at: datetime
    status: PairStatus = PairStatus.PREPARING
    started_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    goals: list[Goal] = field(default_factory=list)
    achieved_goal_ids: list[str] = field(default_factory=list)  # ever reached 100 %: announced once only
    meetings: list[Meeting] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    experiments: list[Experiment] = field(default_factory=list)
    adaptations: list[Adaptation] = field(default_factory=list)  # one per newcomer mentee at most
    at_risk: tuple[HealthReason, ...] = ()  # current health reasons; empty = healthy
    events: list[PairEvent] = field(default_factory=list, compare=False)

    # --- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def form(
        cls,
        pair_id: str,
        programme_id: str,
        terms: PairTerms,
        mentor_id: str,
        mentee_ids: list[str],
        via: str,
        now: datetime,
    ) -> "Pair":
        if not mentor_id.strip():
            raise Invalid("a pair needs a mentor", field="mentor_id")
        if not mentee_ids:
            raise Invalid("a pair needs at least one mentee", field="mentee_ids")
        if mentor_id in mentee_ids:
            raise Invalid("the mentor cannot also be a mentee of the pair", field="mentee_ids")
        if len(set(mentee_ids)) != len(mentee_ids):
            raise Invalid("a mentee appears twice in the pair", field="mentee_ids")
        if any(not mentee_id.strip() for mentee_id in mentee_ids):
            raise Invalid("a mentee id is blank", field="mentee_ids")
        if via not in VIAS:
            raise Invalid(f"via must be one of {', '.join(VIAS)}", field="via")
        pair = cls(
            id=pair_id,
            programme_id=programme_id,
            terms=terms,
            mentor_id=mentor_id,
            mentee_ids=list(mentee_ids),
            via=via,
            formed_at=now,
        )
        pair.events.append(
            PairFormed(
                pair_id,
                programme_id,
                terms.programme_title,
                terms.kind,
                mentor_id,
                list(mentee_ids),
                via,
                list(terms.curator_ids),
            )
        )
        return pair

    def start(self, now: datetime) -> None:
        """Begin the mentoring: the service calls this once kickoff happened and every member is prepared."""
        if self.status is not PairStatus.PREPARING:
            raise Conflict(f"only a pair in preparation can start; this one is {self.status.value}")
        self.status = PairStatus.ACTIVE
        self.started_at = now
        self.events.append(PairStarted(self.id, self.programme_id, list(self.member_ids)))

    def end(self, reason: EndReason | str, now: datetime) -> None:
        """End the pair, from preparation or activity. Its risk flags go: PairEnded is the curators' news."""
        try:
            parsed = EndReason(reason)
        except ValueError:
            raise Invalid(f"reason must be one of {', '.join(EndReason)}", field="reason") from None
        self._require_not_ended()
        self.status = PairStatus.ENDED
        self.ended_at = now
        self.end_reason = parsed
        self.at_risk = ()
        self.events.append(
            PairEnded(
                self.id,
                self.programme_id,
                parsed.value,
                list(self.member_ids),
                list(self.terms.curator_ids),
                self.mentor_id,
            )
        )

    def remove_mentee(self, person_id: str, now: datetime) -> None:
        """A mentee leaves. The last one leaving ends the pair (LEFT); the mentor leaving is `end(LEFT)`.

        The leaver's past check-ins and feedback stay (they happened); they simply stop counting
        towards the pair's health, which is re-assessed.
        """
        self._require_member(person_id)
        if person_id == self.mentor_id:
            raise Invalid("the mentor does not leave as a mentee: end the pair instead", field="person_id")
        self._require_not_ended()
        if self.mentee_ids == [person_id]:
            self.end(EndReason.LEFT, now)
            return
        self.mentee_ids = [mentee_id for mentee_id in self.mentee_ids if mentee_id != person_id]
        self.events.append(PairMemberLeft(self.id, self.programme_id, person_id))
        self.refresh_health(now)

    # --- goals -------------------------------------------------------------------------------

    def set_goal(
        self,
        person_id: str,
        goal_id: str,
        draft: GoalDraft,
        confirmed: bool,
        today: date,
        locale: Locale,
    ) -> tuple[Goal, SmartCheck]:
        """Check the draft against SMART and the programme, and keep it (a flagged one only if confirmed).

        Raises Invalid "confirm" (with the letters) for a flagged, unconfirmed draft, "goals" past the
        limit of three, "due"/"text" for a draft with no date or no text.
        """
        self._require_member(person_id)
        self._require_not_ended()
        if any(goal.id == goal_id for goal in self.goals):
            raise Conflict("this pair already has a goal with this id", goal_id=goal_id)
        frame = ProgrammeFrame(self.terms.starts, self.terms.ends, self.terms.topics)
        check = check_goal(draft, frame, today, locale)
        goal = accept_goal(draft, check, confirmed, goal_id=goal_id)
        self.goals = list(add_goal(self.goals, goal))
        self.events.append(GoalSet(self.id, self.programme_id, goal.id, goal.due, list(goal.confirmed_despite)))
        return goal, check

    def update_goal(self, person_id: str, goal_id: str, percent: int, status: str, now: datetime) -> Goal:
        """Record progress (whole percent) and a status note; the first time a goal reaches 100 % is news."""
        self._require_member(person_id)
        self._require_not_ended()
        position = next((index for index, goal in enumerate(self.goals) if goal.id == goal_id), None)
        if position is None:
            raise NotFound("this pair has no such goal", goal_id=goal_id)
        goal = set_progress(self.goals[position], percent, status)
        self.goals[position] = goal
        self.events.append(GoalProgressed(self.id, self.programme_id, goal.id, goal.progress))
        if goal.achieved and goal.id not in self.achieved_goal_ids:
            self.achieved_goal_ids.append(goal.id)
            self.events.append(GoalAchieved(self.id, self.programme_id, goal.id, self.mentor_id, list(self.mentee_ids)))
        self.refresh_health(now)  # progress may end GOALS_STALLED
        return goal

    # --- meetings ----------------------------------------------------------------------------

    def schedule_meeting(
        self, person_id: str, meeting_id: str, starts_at: datetime, minutes: int, now: datetime
    ) -> Meeting:
        self._require_member(person_id)
        self._require_active("schedule meetings")
        if any(meeting.id == meeting_id for meeting in self.meetings):
            raise Conflict("this pair already has a meeting with this id", meeting_id=meeting_id)
        if starts_at.tzinfo is None:
            raise Invalid("the start time needs a time zone", field="starts_at")
        if starts_at <= now:
            raise Invalid("a meeting is scheduled in the future", field="starts_at")
        _require_whole_in(minutes, SCHEDULED_MINUTES, "minutes", "a scheduled meeting lasts a whole number of minutes")
        meeting = Meeting(meeting_id, scheduled_for=starts_at, held_on=None, minutes=minutes)
        self.meetings.append(meeting)
        self.events.append(
            MeetingScheduled(self.id, self.programme_id, meeting_id, starts_at, minutes, list(self.member_ids))
        )
        return meeting

    def log_meeting(
        self,
        person_id: str,
        meeting_id: str,
        held_on: date,
        minutes: int,
        topics: tuple[str, ...],
        sealed_notes: str | None,
        now: datetime,
    ) -> Meeting:
        """Log a held meeting: fills in a scheduled one of that id, or records a meeting nobody scheduled."""
        self._require_member(person_id)
        self._require_active("log meetings")
        position = next((index for index, meeting in enumerate(self.meetings) if meeting.id == meeting_id), None)
        if position is not None and self.meetings[position].held:
            raise Conflict("this meeting is logged already", meeting_id=meeting_id)
        if held_on > now.date():
            raise Invalid("a meeting is logged once it was held: the date cannot be in the future", field="held_on")
        if self.started_at is not None and held_on < self.started_at.date():
            raise Invalid("the meeting date is before the pair started", field="held_on")
        _require_whole_in(minutes, LOGGED_MINUTES, "minutes", "a held meeting lasts a whole number of minutes")
        held = Meeting(
            meeting_id,
            scheduled_for=self.meetings[position].scheduled_for if position is not None else None,
            held_on=held_on,
            minutes=minutes,
            topics=tuple(topic.strip() for topic in topics if topic.strip()),
            sealed_notes=sealed_notes,
            logged_by=person_id,
        )
        if position is None:
            self.meetings.append(held)
        else:
            self.meetings[position] = held
        self.events.append(
            MeetingLogged(
                self.id, self.programme_id, meeting_id, self.mentor_id, list(self.mentee_ids), held_on, minutes
            )
        )
        self.refresh_health(now)
        return held

    # --- check-ins and feedback --------------------------------------------------------------

    def check_in(self, person_id: str, month: str, score: int, sealed_answers: str | None, now: datetime) -> CheckIn:
        """A member's monthly pulse: one per person and month; the score is kept here, never sent out."""
        self._require_member(person_id)
        self._require_active("check in")
        if not _MONTH_RE.fullmatch(month):
            raise Invalid("the month is written YYYY-MM", field="month")
        _require_whole_in(score, SCORE_RANGE, "score", "a check-in score is a whole number")
        if any(c.person_id == person_id and c.month == month for c in self.check_ins):
            raise Conflict("this person has checked in for this month already", month=month)
        check_in = CheckIn(person_id, month, score, sealed_answers, now)
        self.check_ins.append(check_in)
        self.events.append(CheckInRecorded(self.id, self.programme_id, person_id, month))
        self.refresh_health(now)
        return check_in

    def give_feedback(self, person_id: str, rating: int, sealed_text: str | None, now: datetime) -> Feedback:
        """A member's feedback on the pair, once; while active or after the end (the stage is the service's)."""
        self._require_member(person_id)
        if self.status is PairStatus.PREPARING:
            raise Conflict("feedback comes once the pair has started")
        _require_whole_in(rating, SCORE_RANGE, "rating", "a rating is a whole number")
        if any(given.person_id == person_id for given in self.feedback):
            raise Conflict("this person has given feedback on this pair already")
        role = self.role_of(person_id)
        given = Feedback(person_id, role.value, rating, sealed_text, now)
        self.feedback.append(given)
        self.events.append(FeedbackGiven(self.id, self.programme_id, person_id, role.value))
        return given

    # --- adaptation of newcomers (classic mentoring) ---------------------------------------

    def record_adaptation(
        self,
        by: str,
        mentee_id: str,
        adapted_on: date,
        sealed_note: str | None,
        now: datetime,
        *,
        by_manager: bool,
    ) -> Adaptation:
        """The "adapted" milestone: a curator of the programme or the mentee's manager (the service knows) says so."""
        if by not in self.terms.curator_ids and not by_manager:
            raise Forbidden("only a curator of the programme or the mentee's manager records adaptation")
        if mentee_id not in self.mentee_ids:
            raise NotFound("this pair has no such mentee", person_id=mentee_id)
        if self.terms.kind != ProgrammeKind.CLASSIC:
            raise Conflict("the adapted milestone belongs to classic mentoring of newcomers")
        if self.started_at is None:
            raise Conflict("the pair has not started yet: adaptation counts from its start")
        if any(adaptation.person_id == mentee_id for adaptation in self.adaptations):
            raise Conflict("this mentee's adaptation is recorded already", person_id=mentee_id)
        started_on = self.started_at.date()
        if adapted_on > now.date():
            raise Invalid("the adaptation date cannot be in the future", field="adapted_on")
        if adapted_on < started_on:
            raise Invalid(f"the adaptation date is before the mentee's start ({started_on})", field="adapted_on")
        adaptation = Adaptation(mentee_id, started_on, adapted_on, by, sealed_note, now)
        self.adaptations.append(adaptation)
        self.events.append(
            MenteeAdapted(self.id, self.programme_id, mentee_id, self.mentor_id, adapted_on, adaptation.days_to_adapt)
        )
        return adaptation

    # --- idea experiments (reverse mentoring) ------------------------------------------------

    def log_experiment(
        self, person_id: str, experiment_id: str, hypothesis: str, test: str, result: str, now: datetime
    ) -> Experiment:
        """Record an idea the pair tried. No event: it is news only once the pair publishes it."""
        self._require_member(person_id)
        if self.terms.kind != ProgrammeKind.REVERSE:
            raise Conflict("idea experiments belong to reverse mentoring")
        self._require_active("log idea experiments")
        if any(experiment.id == experiment_id for experiment in self.experiments):
            raise Conflict("this pair already has an experiment with this id", experiment_id=experiment_id)
        if not hypothesis.strip():
            raise Invalid("an experiment needs a hypothesis", field="hypothesis")
        for name, text in (("hypothesis", hypothesis), ("test", test), ("result", result)):
            if len(text.strip()) > MAX_EXPERIMENT_TEXT:
                raise Invalid(f"{name} is at most {MAX_EXPERIMENT_TEXT} characters", field=name)
        experiment = Experiment(
            experiment_id, person_id, hypothesis.strip(), test.strip(), result.strip(), published=False, at=now
        )
        self.experiments.append(experiment)
        return experiment

    def publish_experiment(self, person_id: str, experiment_id: str, now: datetime) -> Experiment:
        """Make an experiment public; any member may, also after the pair ended (results often come late)."""
        self._require_member(person_id)
        position = next(
            (index for index, experiment in enumerate(self.experiments) if experiment.id == experiment_id), None
        )
        if position is None:
            raise NotFound("this pair has no such experiment", experiment_id=experiment_id)
        if self.experiments[position].published:
            raise Conflict("this experiment is published already", experiment_id=experiment_id)
        published = replace(self.experiments[position], published=True)
        self.experiments[position] = published
        self.events.append(ExperimentPublished(self.id, self.programme_id, experiment_id))
        return published

    # --- health ------------------------------------------------------------------------------

    def assess_health(self, now: datetime) -> tuple[HealthReason, ...]:
        """Why the pair is at risk now, in the enum's order; () when healthy or not active. No events."""
        if self.status is not PairStatus.ACTIVE:
            return ()
        reasons: set[HealthReason] = set()
        if self._days_since_last_meeting(now) > NO_MEETING_TOLERANCE * self.terms.cadence_days:
            reasons.add(HealthReason.NO_RECENT_MEETING)
        if now > self._stall_deadline() and not any(goal.progress > 0 for goal in self.goals):
            reasons.add(HealthReason.GOALS_STALLED)
        if any(
            latest.score <= LOW_CHECK_IN_SCORE and now - latest.at <= CHECK_IN_WINDOW
            for latest in self._latest_check_ins().values()
        ):
            reasons.add(HealthReason.LOW_CHECK_IN)
        return tuple(reason for reason in HealthReason if reason in reasons)

    def refresh_health(self, now: datetime) -> bool:
        """Re-assess; on a change tell the curators (PairAtRisk with the reasons, or PairRecovered)."""
        reasons = self.assess_health(now)
        if reasons == self.at_risk:
            return False
        self.at_risk = reasons
        curator_ids = list(self.terms.curator_ids)
        if reasons:
            self.events.append(
                PairAtRisk(self.id, self.programme_id, curator_ids, [reason.value for reason in reasons])
            )
        else:
            self.events.append(PairRecovered(self.id, self.programme_id, curator_ids))
        return True

    def _days_since_last_meeting(self, now: datetime) -> int:
        held = [meeting.held_on for meeting in self.meetings if meeting.held_on is not None]
        if held:
            since = max(held)
        else:
            started = self.started_at or self.formed_at
            since = started.date()
        return (now.date() - since).days

    def _stall_deadline(self) -> datetime:
        """A third into the programme: by then a pair that moved no goal at all has stalled."""
        starts = datetime.combine(self.terms.starts, time(), UTC)
        return starts + (self.terms.ends - self.terms.starts) / 3

    def _latest_check_ins(self) -> dict[str, CheckIn]:
        """Each current member's latest check-in (leavers no longer speak for the pair)."""
        latest: dict[str, CheckIn] = {}
        for check_in in self.check_ins:
            if not self.is_member(check_in.person_id):
                continue
            known = latest.get(check_in.person_id)
            if known is None or check_in.at >= known.at:
                latest[check_in.person_id] = check_in
        return latest

    # --- views -------------------------------------------------------------------------------

    @property
    def member_ids(self) -> tuple[str, ...]:
        """The mentor first, then the mentees in order."""
        return (self.mentor_id, *self.mentee_ids)

    def is_member(self, person_id: str) -> bool:
        return person_id == self.mentor_id or person_id in self.mentee_ids

    def role_of(self, person_id: str) -> Role:
        self._require_member(person_id)
        return Role.MENTOR if person_id == self.mentor_id else Role.MENTEE

    @property
    def meetings_held(self) -> int:
        return sum(1 for meeting in self.meetings if meeting.held)

    @property
    def minutes_held(self) -> int:
        return sum(meeting.minutes for meeting in self.meetings if meeting.held)

    @property
    def goals_achieved(self) -> int:
        """Goals at 100 % now."""
        return sum(1 for goal in self.goals if goal.achieved)

    # --- guards ------------------------------------------------------------------------------

    def _require_member(self, person_id: str) -> None:
        if not self.is_member(person_id):
            raise Forbidden("this person is not a member of this pair")

    def _require_not_ended(self) -> None:
        if self.status is PairStatus.ENDED:
            raise Conflict("this pair has ended")

    def _require_active(self, action: str) -> None:
        if self.status is PairStatus.PREPARING:
            raise Conflict(
                f"the pair can {action} once it has started: after the programme's kickoff "
                "and every member's preparation module"
            )
        self._require_not_ended()

    # --- erasure -----------------------------------------------------------------------------

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place everywhere; False if the person is not here.

        Roles, counts and history stay as they were; no event is recorded (an event would only carry
        the person's trace to Kafka).
        """
        if person_id not in self._person_ids():
            return False
        if replacement in self._person_ids():
            raise ValueError("the replacement id is already in use in this pair")

        def swap(value: str) -> str:
            return replacement if value == person_id else value

        self.mentor_id = swap(self.mentor_id)
        self.mentee_ids = [swap(mentee_id) for mentee_id in self.mentee_ids]
        self.terms = replace(self.terms, curator_ids=tuple(swap(curator) for curator in self.terms.curator_ids))
        self.meetings = [
            replace(meeting, logged_by=swap(meeting.logged_by)) if meeting.logged_by is not None else meeting
            for meeting in self.meetings
        ]
        self.check_ins = [replace(check_in, person_id=swap(check_in.person_id)) for check_in in self.check_ins]
        self.feedback = [replace(given, person_id=swap(given.person_id)) for given in self.feedback]
        self.experiments = [
            replace(experiment, author_id=swap(experiment.author_id)) for experiment in self.experiments
        ]
        self.adaptations = [
            replace(a, person_id=swap(a.person_id), recorded_by=swap(a.recorded_by)) for a in self.adaptations
        ]
        return True

    def _person_ids(self) -> set[str]:
        return {
            *self.member_ids,
            *self.terms.curator_ids,
            *(meeting.logged_by for meeting in self.meetings if meeting.logged_by is not None),
            *(check_in.person_id for check_in in self.check_ins),
            *(given.person_id for given in self.feedback),
            *(experiment.author_id for experiment in self.experiments),
            *(adaptation.person_id for adaptation in self.adaptations),
            *(adaptation.recorded_by for adaptation in self.adaptations),
        }

    # --- state as plain data, for the repository ---------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "programme_id": self.programme_id,
            "terms": {
                "programme_title": self.terms.programme_title,
                "kind": self.terms.kind,
                "topics": list(self.terms.topics),
                "starts": self.terms.starts.isoformat(),
                "ends": self.terms.ends.isoformat(),
                "cadence_days": self.terms.cadence_days,
                "curator_ids": list(self.terms.curator_ids),
            },
            "mentor_id": self.mentor_id,
            "mentee_ids": list(self.mentee_ids),
            "via": self.via,
            "formed_at": self.formed_at.isoformat(),
            "status": self.status.value,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "end_reason": self.end_reason.value if self.end_reason else None,
            "goals": [
                {
                    "id": goal.id,
                    "text": goal.text,
                    "due": goal.due.isoformat(),
                    "topics": list(goal.topics),
                    "progress": goal.progress,
                    "status": goal.status,
                    "confirmed_despite": list(goal.confirmed_despite),
                }
                for goal in self.goals
            ],
            "achieved_goal_ids": list(self.achieved_goal_ids),
            "meetings": [
                {
                    "id": meeting.id,
                    "scheduled_for": _iso(meeting.scheduled_for),
                    "held_on": meeting.held_on.isoformat() if meeting.held_on else None,
                    "minutes": meeting.minutes,
                    "topics": list(meeting.topics),
                    "sealed_notes": meeting.sealed_notes,
                    "logged_by": meeting.logged_by,
                }
                for meeting in self.meetings
            ],
            "check_ins": [
                {
                    "person_id": c.person_id,
                    "month": c.month,
                    "score": c.score,
                    "sealed_answers": c.sealed_answers,
                    "at": c.at.isoformat(),
                }
                for c in self.check_ins
            ],
            "feedback": [
                {
                    "person_id": f.person_id,
                    "role": f.role,
                    "rating": f.rating,
                    "sealed_text": f.sealed_text,
                    "at": f.at.isoformat(),
                }
                for f in self.feedback
            ],
            "experiments": [
                {
                    "id": e.id,
                    "author_id": e.author_id,
                    "hypothesis": e.hypothesis,
                    "test": e.test,
                    "result": e.result,
                    "published": e.published,
                    "at": e.at.isoformat(),
                }
                for e in self.experiments
            ],
            "adaptations": [
                {
                    "person_id": a.person_id,
                    "started_on": a.started_on.isoformat(),
                    "adapted_on": a.adapted_on.isoformat(),
                    "recorded_by": a.recorded_by,
                    "sealed_note": a.sealed_note,
                    "at": a.at.isoformat(),
                }
                for a in self.adaptations
            ],
            "at_risk": [reason.value for reason in self.at_risk],
        }

    @classmethod
    def from_state(cls, pair_id: str, state: dict[str, Any]) -> "Pair":
        terms = state["terms"]
        return cls(
            id=pair_id,
            programme_id=state["programme_id"],
            terms=PairTerms(
                programme_title=terms["programme_title"],
                kind=terms["kind"],
                topics=tuple(terms["topics"]),
                starts=date.fromisoformat(terms["starts"]),
                ends=date.fromisoformat(terms["ends"]),
                cadence_days=terms["cadence_days"],
                curator_ids=tuple(terms["curator_ids"]),
            ),
            mentor_id=state["mentor_id"],
            mentee_ids=list(state["mentee_ids"]),
            via=state["via"],
            formed_at=datetime.fromisoformat(state["formed_at"]),
            status=PairStatus(state["status"]),
            started_at=_from_iso(state.get("started_at")),
            ended_at=_from_iso(state.get("ended_at")),
            end_reason=EndReason(state["end_reason"]) if state.get("end_reason") else None,
            goals=[
                Goal(
                    id=g["id"],
                    text=g["text"],
                    due=date.fromisoformat(g["due"]),
                    topics=tuple(g["topics"]),
                    progress=g["progress"],
                    status=g["status"],
                    confirmed_despite=cast("tuple[Letter, ...]", tuple(g["confirmed_despite"])),
                )
                for g in state.get("goals", [])
            ],
            achieved_goal_ids=list(state.get("achieved_goal_ids", [])),
            meetings=[
                Meeting(
                    id=m["id"],
                    scheduled_for=_from_iso(m["scheduled_for"]),
                    held_on=date.fromisoformat(m["held_on"]) if m["held_on"] else None,
                    minutes=m["minutes"],
                    topics=tuple(m["topics"]),
                    sealed_notes=m["sealed_notes"],
                    logged_by=m["logged_by"],
                )
                for m in state.get("meetings", [])
            ],
            check_ins=[
                CheckIn(c["person_id"], c["month"], c["score"], c["sealed_answers"], datetime.fromisoformat(c["at"]))
                for c in state.get("check_ins", [])
            ],
            feedback=[
                Feedback(f["person_id"], f["role"], f["rating"], f["sealed_text"], datetime.fromisoformat(f["at"]))
                for f in state.get("feedback", [])
            ],
            experiments=[
                Experiment(
                    e["id"],
                    e["author_id"],
                    e["hypothesis"],
                    e["test"],
                    e["result"],
                    e["published"],
                    datetime.fromisoformat(e["at"]),
                )
                for e in state.get("experiments", [])
            ],
            adaptations=[
                Adaptation(
                    a["person_id"],
                    date.fromisoformat(a["started_on"]),
                    date.fromisoformat(a["adapted_on"]),
                    a["recorded_by"],
                    a.get("sealed_note"),
                    datetime.fromisoformat(a["at"]),
                )
                for a in state.get("adaptations", [])
            ],
            at_risk=tuple(HealthReason(reason) for reason in state.get("at_risk", [])),
        )


def _require_whole_in(value: int, bounds: tuple[int, int], field_name: str, what: str) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{what} from {low} to {high}", field=field_name)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
