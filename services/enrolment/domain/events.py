"""What happened to a course, in the domain's own words (mapped to integration events by the service layer)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CourseCreated:
    course_id: str
    title: str
    cohort_id: str
    capacity: int


@dataclass(frozen=True)
class ApplicantEnrolled:
    course_id: str
    course_title: str
    cohort_id: str
    application_id: str
    person_id: str
    locale: str


@dataclass(frozen=True)
class ApplicantWaitlisted:
    course_id: str
    course_title: str
    application_id: str
    person_id: str
    locale: str
    position: int


DomainEvent = CourseCreated | ApplicantEnrolled | ApplicantWaitlisted
