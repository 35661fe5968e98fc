"""Request and response bodies of the mentoring API: shapes checked here, rules checked by the domain."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mentoring.domain.channel import Post
from mentoring.domain.concern import Concern
from mentoring.domain.goals import Goal, SmartCheck
from mentoring.domain.model import Role
from mentoring.domain.pair import Adaptation, Experiment, Meeting, Pair
from mentoring.domain.programme import Nomination, Participant, Profile, Programme, Proposal, Terms

Kind = Literal["classic", "reverse", "peer"]
RoleName = Literal["mentor", "mentee"]
Locale = Literal["ru", "en"]
Topic = Field(min_length=1, max_length=80)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TermsIn(_In):
    format: Literal["one_to_one", "group", "long_term", "sprint"] = "one_to_one"
    group_size: int | None = Field(None, description="Mentees per group (group format only), 2-20")
    topics: list[str] = Field(min_length=1, max_length=30, examples=[["ai tools", "social media"]])
    enrolment_opens: date
    enrolment_closes: date
    starts: date
    duration_weeks: int = Field(description="1-104 weeks")
    cadence_days: int = Field(description="Expected days between two meetings of a pair, 1-60")
    rules_text: str = Field(min_length=1, max_length=10_000, description="What every participant accepts")
    reverse_rule: Literal["grade", "curator"] = Field(
        "grade", description="Reverse programmes: the mentor is of a lower grade, or the curator vouches"
    )
    preparation: str = Field("", max_length=20_000, description="Material both roles acknowledge before starting")

    def to_domain(self) -> Terms:
        return Terms.checked(**self.model_dump())


class ProgrammeIn(_In):
    title: str = Field(min_length=1, max_length=300, examples=["Reverse mentoring: AI tools for managers"])
    kind: Kind = Field(description="classic: senior mentors junior; reverse: junior mentors senior; peer: colleagues")
    terms: TermsIn | None = Field(None, description="Can be set later, while the programme is a draft")
    co_curators: list[str] = Field(default_factory=list, max_length=10)


class ProgrammeEdit(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    terms: TermsIn


class StageIn(_In):
    stage: Literal["open", "matching", "running", "closing", "closed"]


class KickoffIn(_In):
    starts_at: datetime


class ParticipantCounts(BaseModel):
    mentor: int
    mentee: int


class ProgrammeOut(BaseModel):
    id: str
    title: str
    kind: Kind
    stage: str
    curator_ids: list[str]
    terms: dict[str, Any] | None
    ends: date | None
    kickoff_at: datetime | None
    kickoff_held: bool
    participants: ParticipantCounts

    @classmethod
    def of(cls, programme: Programme) -> "ProgrammeOut":
        counts = programme.count_by_role()
        state = programme.to_state()
        return cls(
            id=programme.id,
            title=programme.title,
            kind=programme.kind.value,
            stage=programme.stage.value,
            curator_ids=list(programme.curator_ids),
            terms=state["terms"],
            ends=programme.terms.ends if programme.terms else None,
            kickoff_at=programme.kickoff_at,
            kickoff_held=programme.kickoff_held_at is not None,
            participants=ParticipantCounts(mentor=counts[Role.MENTOR], mentee=counts[Role.MENTEE]),
        )


class ProfileIn(_In):
    competencies: dict[str, int] = Field(
        default_factory=dict, description="Topic -> self-assessed level 1-5", examples=[{"ai tools": 4}]
    )
    topics: list[str] = Field(min_length=1, max_length=30, description="Wanted (mentee) or offered (mentor)")
    interests: list[str] = Field(default_factory=list, max_length=30)
    languages: list[str] = Field(default_factory=list, max_length=10, examples=[["ru", "en"]])
    time_zone: str = Field("UTC", max_length=64, examples=["Europe/Moscow"])
    capacity: int = Field(1, description="Mentees (or groups) a mentor takes, 1-10")
    availability: list[tuple[int, int]] | None = Field(
        None, description="(weekday 0 = Monday, hour) pairs in UTC; default: the working week in time_zone"
    )
    grade: int | None = Field(None, ge=0, le=100, description="Job grade, for the reverse-programme rule")

    def to_domain(self, role: str) -> Profile:
        return Profile.checked(Role(role), **self.model_dump())


class ParticipantIn(_In):
    person_id: str = Field(min_length=1, max_length=200, description="Directory id of the employee")
    role: RoleName
    locale: Locale | None = Field(None, description="Language the employee reads Owlery in (default: directory's)")
    profile: ProfileIn | None = None
    accept_rules: bool = Field(False, description="The person accepts the programme's rules")


class ParticipantOut(BaseModel):
    programme_id: str
    person_id: str
    role: RoleName
    locale: Locale | None
    active: bool
    prepared: bool
    profile: dict[str, Any] | None

    @classmethod
    def of(cls, participant: Participant, programme: Programme) -> "ParticipantOut":
        return cls(
            programme_id=programme.id,
            person_id=participant.person_id,
            role=participant.role.value,
            locale=participant.locale,
            active=participant.active,
            prepared=participant.prepared,
            profile=participant.profile.to_state() if participant.profile is not None else None,
        )


class NominationIn(_In):
    person_id: str = Field(min_length=1, max_length=200, description="Yourself, or the colleague you recommend")
    reason: str = Field("", max_length=2000, description="Why you recommend them (a recommendation only)")
    locale: Locale | None = None
    profile: ProfileIn | None = Field(None, description="Your mentor profile (a self-nomination only)")
    accept_rules: bool = False


class ConsentIn(_In):
    locale: Locale | None = None
    profile: ProfileIn
    accept_rules: bool = False


class DecisionIn(_In):
    accept: bool


class NominationOut(BaseModel):
    id: str
    person_id: str
    recommended_by: str | None
    reason: str
    status: str

    @classmethod
    def of(cls, nomination: Nomination) -> "NominationOut":
        return cls(
            id=nomination.id,
            person_id=nomination.person_id,
            recommended_by=nomination.recommended_by,
            reason=nomination.reason,
            status=nomination.status.value,
        )


class VetoIn(_In):
    other_id: str = Field(min_length=1, max_length=200, description="The counterpart you do not want to be paired with")


class MatchingRuleIn(_In):
    mentee_id: str = Field(min_length=1, max_length=200)
    mentor_id: str = Field(min_length=1, max_length=200)
    rule: Literal["pin", "forbid", "unpin"]


class ProposalOut(BaseModel):
    id: str
    made_at: datetime
    approved: bool
    pairs: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]

    @classmethod
    def of(cls, proposal: Proposal) -> "ProposalOut":
        return cls(
            id=proposal.id,
            made_at=proposal.made_at,
            approved=proposal.approved,
            pairs=[
                {
                    "mentor_id": p.mentor_id,
                    "mentee_ids": list(p.mentee_ids),
                    "score": p.score,
                    "pinned": p.pinned,
                    "topic": p.topic,
                    "reasons": [dict(reason) for reason in p.reasons],
                }
                for p in proposal.pairings
            ],
            unmatched=[
                {"person_id": u.person_id, "role": u.role, "why": u.why, "text": u.text} for u in proposal.unmatched
            ],
        )


class MentorRequestIn(_In):
    mentee_id: str = Field(min_length=1, max_length=200, description="You, the mentee asking")
    mentor_id: str = Field(min_length=1, max_length=200)


class AnswerIn(_In):
    accept: bool


class PlannedOut(BaseModel):
    pair_id: str
    mentor_id: str
    mentee_ids: list[str]
    via: str


class RosterOut(BaseModel):
    pair_id: str
    mentor_id: str
    mentee_ids: list[str]
    status: str
    at_risk: list[str]
    meetings_held: int
    minutes_held: int
    last_meeting: date | None


# ------------------------------------------------------------------------------------------ pairs


class GoalIn(_In):
    text: str = Field(min_length=1, max_length=1000)
    due: date | None = Field(None, description="When the goal is to be reached, inside the programme")
    topics: list[str] = Field(default_factory=list, max_length=10)
    confirm: bool = Field(False, description="Save even though the SMART check flags it")
    locale: Locale = "en"


class SmartOut(BaseModel):
    passed: bool
    failures: list[dict[str, str]]

    @classmethod
    def of(cls, check: SmartCheck) -> "SmartOut":
        return cls(
            passed=check.passed,
            failures=[{"letter": f.letter, "code": f.code, "message": f.message} for f in check.failures],
        )


class GoalOut(BaseModel):
    id: str
    text: str
    due: date
    topics: list[str]
    progress: int
    status: str
    confirmed_despite: list[str]

    @classmethod
    def of(cls, goal: Goal) -> "GoalOut":
        return cls(
            id=goal.id,
            text=goal.text,
            due=goal.due,
            topics=list(goal.topics),
            progress=goal.progress,
            status=goal.status,
            confirmed_despite=list(goal.confirmed_despite),
        )


class GoalSaved(BaseModel):
    goal: GoalOut
    smart: SmartOut


class ProgressIn(_In):
    progress: int = Field(description="Whole percent, 0-100")
    status: str = Field("", max_length=500)


class ScheduleIn(_In):
    starts_at: datetime
    minutes: int = Field(60, description="15-480")


class MeetingLogIn(_In):
    held_on: date
    minutes: int = Field(description="5-600")
    topics: list[str] = Field(default_factory=list, max_length=20)
    notes: str | None = Field(None, max_length=20_000, description="Confidential to the pair; stored encrypted")


class MeetingOut(BaseModel):
    id: str
    scheduled_for: datetime | None
    held_on: date | None
    minutes: int
    topics: list[str] | None = Field(description="None for a curator: only that the meeting took place")
    has_notes: bool | None

    @classmethod
    def of(cls, meeting: Meeting, as_member: bool) -> "MeetingOut":
        return cls(
            id=meeting.id,
            scheduled_for=meeting.scheduled_for,
            held_on=meeting.held_on,
            minutes=meeting.minutes,
            topics=list(meeting.topics) if as_member else None,
            has_notes=meeting.sealed_notes is not None if as_member else None,
        )


class NotesOut(BaseModel):
    meeting_id: str
    notes: str | None


class CheckInIn(_In):
    score: int = Field(description="How it goes, 1 (badly) to 5 (very well)")
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; default: this month")
    answers: str | None = Field(None, max_length=5000, description="Free answers; stored encrypted")


class FeedbackIn(_In):
    rating: int = Field(description="1-5")
    worked: str = Field("", max_length=5000, description="What worked")
    improve: str = Field("", max_length=5000, description="What to improve")


class ExperimentIn(_In):
    hypothesis: str = Field(min_length=1, max_length=2000)
    test: str = Field("", max_length=2000, description="The small test run")
    result: str = Field("", max_length=2000)


class ExperimentOut(BaseModel):
    id: str
    hypothesis: str
    test: str
    result: str
    published: bool
    at: datetime

    @classmethod
    def of(cls, experiment: Experiment) -> "ExperimentOut":
        return cls(
            id=experiment.id,
            hypothesis=experiment.hypothesis,
            test=experiment.test,
            result=experiment.result,
            published=experiment.published,
            at=experiment.at,
        )


class PairOut(BaseModel):
    id: str
    programme_id: str
    programme_title: str
    kind: str
    mentor_id: str
    mentee_ids: list[str]
    via: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    at_risk: list[str]
    goals: list[GoalOut]
    meetings: list[MeetingOut]
    experiments: list[ExperimentOut] | None

    @classmethod
    def of(cls, pair: Pair, as_member: bool) -> "PairOut":
        return cls(
            id=pair.id,
            programme_id=pair.programme_id,
            programme_title=pair.terms.programme_title,
            kind=pair.terms.kind,
            mentor_id=pair.mentor_id,
            mentee_ids=list(pair.mentee_ids),
            via=pair.via,
            status=pair.status.value,
            started_at=pair.started_at,
            ended_at=pair.ended_at,
            end_reason=pair.end_reason.value if pair.end_reason else None,
            at_risk=[reason.value for reason in pair.at_risk],
            goals=[GoalOut.of(goal) for goal in pair.goals],
            meetings=[MeetingOut.of(meeting, as_member) for meeting in pair.meetings],
            experiments=[ExperimentOut.of(e) for e in pair.experiments] if as_member else None,
        )


class MyPairOut(BaseModel):
    """One of a person's pairs, as their own list shows it: no goals, meetings, notes or feedback."""

    pair_id: str
    programme_id: str
    programme_title: str
    kind: str
    role: Literal["mentor", "mentee"]
    other_ids: list[str] = Field(description="The pair's other members: its mentor and/or fellow mentees")
    status: str
    formed_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def of(cls, pair: Pair, person_id: str) -> "MyPairOut":
        members = [pair.mentor_id, *pair.mentee_ids]
        return cls(
            pair_id=pair.id,
            programme_id=pair.programme_id,
            programme_title=pair.terms.programme_title,
            kind=pair.terms.kind,
            role="mentor" if pair.mentor_id == person_id else "mentee",
            other_ids=[member for member in members if member != person_id],
            status=pair.status.value,
            formed_at=pair.formed_at,
            started_at=pair.started_at,
            ended_at=pair.ended_at,
        )


class ConcernIn(_In):
    text: str = Field(min_length=1, max_length=10_000, description="Seen by you and the curators only")


class ConcernActionIn(_In):
    action: Literal["talk", "rematch", "close_pair", "note"]
    note: str | None = Field(None, max_length=5000)


class ResolutionIn(_In):
    outcome: Literal["talked", "rematched", "pair_closed", "no_action"]


class ConcernOut(BaseModel):
    id: str
    programme_id: str
    pair_id: str
    raised_by: str
    raised_at: datetime
    status: str
    text: str | None
    actions: list[dict[str, Any]]
    outcome: str | None

    @classmethod
    def of(cls, concern: Concern, text: str | None = None, notes: list[str | None] | None = None) -> "ConcernOut":
        notes = notes or [None] * len(concern.actions)
        return cls(
            id=concern.id,
            programme_id=concern.programme_id,
            pair_id=concern.pair_id,
            raised_by=concern.raised_by,
            raised_at=concern.raised_at,
            status=concern.status.value,
            text=text,
            actions=[
                {"action": a.action.value, "by": a.by, "at": a.at.isoformat(), "note": note}
                for a, note in zip(concern.actions, notes, strict=True)
            ],
            outcome=concern.outcome.value if concern.outcome else None,
        )


class PostIn(_In):
    kind: Literal["article", "news", "success_story"]
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)


class ReactionIn(_In):
    reaction: Literal["like", "insightful", "thanks"] | None = Field(None, description="None takes yours back")


class PostOut(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    author_id: str
    published_at: datetime
    reactions: dict[str, int]
    my_reaction: str | None

    @classmethod
    def of(cls, post: Post, reader: str) -> "PostOut":
        mine = post.reaction_of(reader)
        return cls(
            id=post.id,
            kind=post.kind.value,
            title=post.title,
            body=post.body,
            author_id=post.author_id,
            published_at=post.published_at,
            reactions=post.reaction_counts(),
            my_reaction=mine.value if mine is not None else None,
        )


class AdaptationIn(_In):
    adapted_on: date = Field(description="The day the newcomer counts as adapted: from their pair's start to today")
    note: str | None = Field(None, max_length=2000, description="Sealed; never in a report or an event")


class AdaptationOut(BaseModel):
    pair_id: str
    person_id: str
    started_on: date = Field(description="The mentee's start: the day their pair started")
    adapted_on: date
    days_to_adapt: int
    recorded_by: str

    @classmethod
    def of(cls, pair_id: str, adaptation: Adaptation) -> "AdaptationOut":
        return cls(
            pair_id=pair_id,
            person_id=adaptation.person_id,
            started_on=adaptation.started_on,
            adapted_on=adaptation.adapted_on,
            days_to_adapt=adaptation.days_to_adapt,
            recorded_by=adaptation.recorded_by,
        )
