"""Events the enrolment service publishes."""

from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.base import IntegrationEvent

TOPIC = "owlery.enrolment.events"

Locale = Literal["ru", "en"]


class CourseCreatedV1(IntegrationEvent):
    """A course was created with its first cohort."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.course.created.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    course_id: str = Field(description="Course id")
    title: str = Field(description="Course title as the trainer wrote it")
    cohort_id: str = Field(description="Id of the course's first cohort")
    capacity: int = Field(ge=1, description="Seats in the first cohort")


class ApplicationEnrolledV1(IntegrationEvent):
    """An employee's application took a seat in a cohort."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.application.enrolled.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    application_id: str = Field(description="Application id, unique per person and course")
    course_id: str
    course_title: str
    cohort_id: str
    person_id: str = Field(description="Directory id of the employee")
    locale: Locale = Field(description="Language the employee reads Owlery in")


class ApplicationWaitlistedV1(IntegrationEvent):
    """An employee's application found the cohort full and joined the waitlist."""

    ce_type: ClassVar[str] = "com.owlery.enrolment.application.waitlisted.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "course_id"

    application_id: str
    course_id: str
    course_title: str
    person_id: str
    locale: Locale
    position: int = Field(ge=1, description="Place on the waitlist, 1 = next to be offered a seat")
