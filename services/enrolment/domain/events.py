"""What happened to a course, in the domain's own words (mapped to integration events by the repository)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CourseProposed:
    course_id: str
    trainer_id: str
    title_en: str | None
    title_ru: str | None
    language: str
    competencies: tuple[str, ...]
    sessions: int
    weekly_effort_hours: float
    resubmission: bool


@dataclass(frozen=True)
class CourseReviewed:
    course_id: str
    trainer_id: str
    curator_id: str
    verdict: str
    comment: str | None
    status: str


@dataclass(frozen=True)
class RehearsalScheduled:
    course_id: str
    trainer_id: str
    curator_id: str
    starts_at: datetime


@dataclass(frozen=True)
class CoursePublished:
    course_id: str
    trainer_id: str
    title_en: str | None
    title_ru: str | None
    language: str
    competencies: tuple[str, ...]
    sessions: int
    trains_trainers: bool


@dataclass(frozen=True)
class CohortScheduled:
    course_id: str
    cohort_id: str
    number: int
    trainer_id: str
    capacity: int
    time_zone: str
    session_starts: tuple[datetime, ...]


@dataclass(frozen=True)
class ApplicantAwaitingManager:
    course_id: str
    course_title: str
    application_id: str
    person_id: str
    manager_id: str | None
    locale: str


@dataclass(frozen=True)
class ApplicantDeclinedByManager:
    course_id: str
    course_title: str
    application_id: str
    person_id: str
    manager_id: str
    locale: str


@dataclass(frozen=True)
class ApplicantEnrolled:
    course_id: str
    course_title: str
    cohort_id: str
    application_id: str
    person_id: str
    locale: str
    promoted: bool = False


@dataclass(frozen=True)
class ApplicantWaitlisted:
    course_id: str
    course_title: str
    application_id: str
    person_id: str
    locale: str
    position: int


@dataclass(frozen=True)
class ApplicantWithdrew:
    course_id: str
    application_id: str
    person_id: str
    cohort_id: str | None


@dataclass(frozen=True)
class SeatOffered:
    course_id: str
    course_title: str
    offer_id: str
    application_id: str
    cohort_id: str
    person_id: str
    locale: str
    expires_at: datetime


@dataclass(frozen=True)
class SeatOfferEnded:
    course_id: str
    offer_id: str
    application_id: str
    cohort_id: str
    person_id: str
    outcome: str  # confirmed, declined, expired


@dataclass(frozen=True)
class StreamProposed:
    course_id: str
    proposal_id: str
    member_ids: tuple[str, ...]
    weekday: int
    local_time: str
    time_zone: str


@dataclass(frozen=True)
class StreamProposalDecided:
    course_id: str
    proposal_id: str
    curator_id: str
    accepted: bool
    cohort_id: str | None


DomainEvent = (
    CourseProposed
    | CourseReviewed
    | RehearsalScheduled
    | CoursePublished
    | CohortScheduled
    | ApplicantAwaitingManager
    | ApplicantDeclinedByManager
    | ApplicantEnrolled
    | ApplicantWaitlisted
    | ApplicantWithdrew
    | SeatOffered
    | SeatOfferEnded
    | StreamProposed
    | StreamProposalDecided
)
