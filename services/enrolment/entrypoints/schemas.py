"""The enrolment API's request and response bodies: what clients send and see, validated at the edge."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from enrolment.domain.model import (
    MAX_CAPACITY,
    MAX_SESSIONS,
    MIN_CAPACITY,
    MIN_SESSIONS,
    Application,
    Course,
    CourseStatus,
    Proposal,
    Rules,
)
from enrolment.domain.schedule import Slot

Locale = Literal["ru", "en"]
Level = Literal["beginner", "intermediate", "advanced"]


class SlotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    local_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["15:00"], description="HH:MM")
    time_zone: str = Field(min_length=1, examples=["Europe/Moscow"], description="IANA time zone")

    def slot(self) -> Slot:
        return Slot(self.weekday, self.local_time, self.time_zone)


class RulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int = Field(7, ge=MIN_CAPACITY, le=MAX_CAPACITY, description="Seats per cohort; about 7 by practice")
    manager_approval: bool = Field(False, description="Applications wait for the applicant's manager")
    withdrawal_until_session: int = Field(1, ge=1, le=MAX_SESSIONS, description="Leaving allowed until it starts")
    offer_hours: int = Field(48, ge=1, le=24 * 14, description="Time to confirm a seat offered from the waitlist")
    min_attendance: float = Field(0.8, ge=0, le=1, description="Completion: share of sessions attended")
    min_homework: float = Field(0.7, ge=0, le=1, description="Completion: share of homework accepted")
    peer_review: bool = Field(False, description="Participants may comment on each other's homework")
    anonymous_feedback: bool = Field(True, description="The trainer sees session ratings without names")
    trains_trainers: bool = Field(False, description="Completing it asks HR to grant the trainer role")
    hours_per_session: float = Field(1.5, gt=0, le=8, description="Hours a certificate counts per session")

    def rules(self) -> Rules:
        return Rules(**self.model_dump())


class CourseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_en: str | None = Field(None, max_length=300, examples=["Automated testing in 1C"])
    title_ru: str | None = Field(None, max_length=300, examples=["Автотесты на 1С"])  # noqa: RUF001 - the Russian name of 1C
    description: str = Field("", max_length=10_000)
    competencies: list[str] = Field(default_factory=list, max_length=30, examples=[["1c", "testing"]])
    language: Locale = "ru"
    sessions: int = Field(ge=MIN_SESSIONS, le=MAX_SESSIONS, description="Weekly webinars, theory then practice")
    weekly_effort_hours: float = Field(gt=0, le=40)
    prerequisites: str = Field("", max_length=2000)
    availability: list[SlotIn] = Field(default_factory=list, max_length=20, description="When the trainer can teach")
    rules: RulesIn = Field(default_factory=RulesIn)

    def proposal(self) -> Proposal:
        return Proposal(
            title_en=self.title_en,
            title_ru=self.title_ru,
            description=self.description,
            competencies=tuple(c.strip().casefold() for c in self.competencies if c.strip()),
            language=self.language,
            sessions=self.sessions,
            weekly_effort_hours=self.weekly_effort_hours,
            prerequisites=self.prerequisites,
            availability=tuple(slot.slot() for slot in self.availability),
        )


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Literal["comment", "changes_requested", "approved", "rejected"]
    comment: str | None = Field(None, max_length=5000)


class RehearsalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="With a time zone offset")


class CohortIn(SlotIn):
    start_date: date = Field(description="The first session is the first slot on or after this day")
    capacity: int | None = Field(None, ge=MIN_CAPACITY, le=MAX_CAPACITY, description="Default: the course's")
    trainer_id: str | None = Field(None, description="Default: the course's trainer")


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str = Field(min_length=1, max_length=200, description="Directory id of the employee")
    locale: Locale | None = Field(None, description="Default: the language the directory has for them")
    motivation: str = Field("", max_length=2000, description="Why they want to take part, in a few words")
    preferred_cohort_id: str | None = Field(None, description="A cohort they can attend; default: any")
    level: Level = Field("beginner", description="Their own view of their level in the course's competencies")


class ManagerDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool


class StreamDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool
    member_ids: list[str] | None = Field(None, description="Edited members; default: as proposed")
    slot: SlotIn | None = Field(None, description="Edited weekly slot; default: as proposed")
    start_date: date | None = Field(None, description="Default: a week from now")


class CohortOut(BaseModel):
    id: str
    number: int
    trainer_id: str
    capacity: int
    enrolled: int
    weekday: int
    local_time: str
    time_zone: str
    session_starts: list[datetime]


class ReviewOut(BaseModel):
    curator_id: str
    verdict: str
    comment: str | None
    at: datetime


class CourseOut(BaseModel):
    id: str
    trainer_id: str
    status: Literal["proposed", "changes_requested", "approved", "rejected"]
    catalogue_status: Literal["open", "waitlist_only", "running", "finished"] | None
    title: str
    title_en: str | None
    title_ru: str | None
    description: str
    competencies: list[str]
    language: Locale
    sessions: int
    weekly_effort_hours: float
    prerequisites: str
    rules: dict[str, Any]
    rehearsal_at: datetime | None
    reviews: list[ReviewOut]
    cohorts: list[CohortOut]
    waitlist_length: int
    open_stream_proposal_id: str | None

    @classmethod
    def of(cls, course: Course, now: datetime) -> "CourseOut":
        p = course.proposal
        proposal = course.stream_proposal
        return cls(
            id=course.id,
            trainer_id=course.trainer_id,
            status=course.status.value,
            catalogue_status=course.catalogue_status(now) if course.status is CourseStatus.APPROVED else None,
            title=course.title,
            title_en=p.title_en,
            title_ru=p.title_ru,
            description=p.description,
            competencies=list(p.competencies),
            language=p.language,
            sessions=p.sessions,
            weekly_effort_hours=p.weekly_effort_hours,
            prerequisites=p.prerequisites,
            rules=dict(course.rules.__dict__),
            rehearsal_at=course.rehearsal_at,
            reviews=[ReviewOut(**review.__dict__) for review in course.reviews],
            cohorts=[
                CohortOut(
                    id=c.id,
                    number=c.number,
                    trainer_id=c.trainer_id,
                    capacity=c.capacity,
                    enrolled=len(c.members),
                    weekday=c.slot.weekday,
                    local_time=c.slot.local_time,
                    time_zone=c.slot.time_zone,
                    session_starts=list(c.session_starts),
                )
                for c in course.cohorts
            ],
            waitlist_length=len(course.waitlist),
            open_stream_proposal_id=proposal.id if proposal is not None and proposal.open else None,
        )


class CatalogueItem(BaseModel):
    id: str
    trainer_id: str
    title_en: str | None
    title_ru: str | None
    competencies: list[str]
    language: Locale
    sessions: int
    weekly_effort_hours: float
    status: Literal["proposed", "changes_requested", "approved", "rejected"]
    catalogue_status: Literal["open", "waitlist_only", "running", "finished"]


class CataloguePage(BaseModel):
    total: int
    items: list[CatalogueItem]

    @classmethod
    def of(cls, cards: list[dict[str, Any]], total: int) -> "CataloguePage":
        return cls(total=total, items=[CatalogueItem(id=card["_id"], **card) for card in cards])


class OfferOut(BaseModel):
    offer_id: str
    cohort_id: str
    expires_at: datetime


class ApplicationOut(BaseModel):
    application_id: str
    course_id: str
    person_id: str
    status: Literal[
        "awaiting_manager", "enrolled", "waitlisted", "offered", "withdrawn", "declined_by_manager", "lapsed"
    ]
    cohort_id: str | None
    waitlist_position: int | None
    offer: OfferOut | None

    @classmethod
    def of(cls, application: Application, course: Course) -> "ApplicationOut":
        offer = course.offers.get(application.person_id)
        return cls(
            application_id=application.id,
            course_id=course.id,
            person_id=application.person_id,
            status=application.status.value,
            cohort_id=application.cohort_id,
            waitlist_position=course.waitlist_position(application.person_id),
            offer=OfferOut(offer_id=offer.id, cohort_id=offer.cohort_id, expires_at=offer.expires_at)
            if offer
            else None,
        )


class PersonApplicationOut(BaseModel):
    """One of a person's applications, with what their own learning page shows of its course."""

    application_id: str
    course_id: str
    course_title: str = Field(description="In the course's own language, else the other one")
    course_title_en: str | None
    course_title_ru: str | None
    status: Literal[
        "awaiting_manager", "enrolled", "waitlisted", "offered", "withdrawn", "declined_by_manager", "lapsed"
    ]
    cohort_id: str | None
    cohort_session_starts: list[datetime] = Field(description="The sessions of the cohort; empty without one")
    waitlist_position: int | None
    offer_expires_at: datetime | None = Field(description="The deadline of the seat offered, if one is")
    applied_at: datetime | None = Field(description="Unknown for applications made before it was recorded")

    @classmethod
    def of(cls, application: Application, course: Course) -> "PersonApplicationOut":
        offer = course.offers.get(application.person_id)
        cohort = next((c for c in course.cohorts if c.id == application.cohort_id), None)
        return cls(
            application_id=application.id,
            course_id=course.id,
            course_title=course.title,
            course_title_en=course.proposal.title_en,
            course_title_ru=course.proposal.title_ru,
            status=application.status.value,
            cohort_id=application.cohort_id,
            cohort_session_starts=list(cohort.session_starts) if cohort else [],
            waitlist_position=course.waitlist_position(application.person_id),
            offer_expires_at=offer.expires_at if offer else None,
            applied_at=application.applied_at,
        )


class PersonApplicationsOut(BaseModel):
    person_id: str
    items: list[PersonApplicationOut] = Field(description="Newest first")

    @classmethod
    def of(cls, person_id: str, found: list[tuple[Application, Course]]) -> "PersonApplicationsOut":
        return cls(person_id=person_id, items=[PersonApplicationOut.of(a, course) for a, course in found])


class StreamProposalOut(BaseModel):
    proposal_id: str
    open: bool
    member_ids: list[str]
    members: list[dict[str, Any]] = Field(description="Department and declared level of each, for balance")
    weekday: int
    local_time: str
    time_zone: str

    @classmethod
    def of(cls, course: Course) -> "StreamProposalOut | None":
        proposal = course.stream_proposal
        if proposal is None:
            return None
        members = course.proposed_members()
        return cls(
            proposal_id=proposal.id,
            open=proposal.open,
            member_ids=members,
            members=[
                {
                    "person_id": p,
                    "department": course.applications[p].department,
                    "level": course.applications[p].level,
                    "time_zone": course.applications[p].time_zone,
                }
                for p in members
                if p in course.applications
            ],
            weekday=proposal.slot.weekday,
            local_time=proposal.slot.local_time,
            time_zone=proposal.slot.time_zone,
        )


class OpenStreamProposalOut(BaseModel):
    course_id: str
    title_en: str | None
    title_ru: str | None
    waitlist_length: int = Field(description="People waiting for the course")
    proposal: StreamProposalOut


class OpenStreamProposalsOut(BaseModel):
    """Courses whose proposed stream awaits a curator: the longest waitlist first."""

    total: int
    items: list[OpenStreamProposalOut]

    @classmethod
    def of(cls, courses: list[Course]) -> "OpenStreamProposalsOut":
        items = []
        for course in courses:
            proposal = StreamProposalOut.of(course)
            if proposal is None:
                continue
            items.append(
                OpenStreamProposalOut(
                    course_id=course.id,
                    title_en=course.proposal.title_en,
                    title_ru=course.proposal.title_ru,
                    waitlist_length=len(course.waitlist),
                    proposal=proposal,
                )
            )
        return cls(total=len(items), items=items)
