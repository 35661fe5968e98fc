"""The course aggregate: cohorts with a fixed number of seats, and one application per person.

The course is the consistency boundary for seats: deciding "enrolled or waitlisted" needs every
application of the course, so two applicants racing for the last seat are two writers of one
aggregate, and the version check in the repository lets only one of them win.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from enrolment.domain.events import ApplicantEnrolled, ApplicantWaitlisted, CourseCreated, DomainEvent
from shared.errors import Conflict, Invalid


class ApplicationStatus(StrEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"


class AlreadyApplied(Conflict):
    """The person already applied to this course; the existing application stands."""


@dataclass
class Cohort:
    id: str
    capacity: int
    enrolled: list[str] = field(default_factory=list)  # person ids, in enrolment order

    @property
    def has_seat(self) -> bool:
        return len(self.enrolled) < self.capacity


@dataclass
class Application:
    id: str
    person_id: str
    locale: str
    status: ApplicationStatus
    cohort_id: str | None = None


@dataclass
class Course:
    id: str
    title: str
    cohorts: list[Cohort]
    applications: dict[str, Application] = field(default_factory=dict)  # by person id
    waitlist: list[str] = field(default_factory=list)  # person ids, first = next to be offered a seat
    events: list[DomainEvent] = field(default_factory=list, compare=False)

    @classmethod
    def create(cls, course_id: str, title: str, cohort_id: str, capacity: int) -> "Course":
        if not title.strip():
            raise Invalid("a course needs a title", field="title")
        if capacity < 1:
            raise Invalid("a cohort needs at least one seat", field="capacity")
        course = cls(id=course_id, title=title.strip(), cohorts=[Cohort(id=cohort_id, capacity=capacity)])
        course.events.append(CourseCreated(course_id, course.title, cohort_id, capacity))
        return course

    def apply(self, person_id: str, locale: str, application_id: str) -> Application:
        existing = self.applications.get(person_id)
        if existing is not None:
            raise AlreadyApplied(
                "this person has already applied to this course",
                application_id=existing.id,
                status=existing.status.value,
            )
        cohort = next((cohort for cohort in self.cohorts if cohort.has_seat), None)
        if cohort is not None:
            cohort.enrolled.append(person_id)
            application = Application(application_id, person_id, locale, ApplicationStatus.ENROLLED, cohort.id)
            self.events.append(ApplicantEnrolled(self.id, self.title, cohort.id, application_id, person_id, locale))
        else:
            self.waitlist.append(person_id)
            application = Application(application_id, person_id, locale, ApplicationStatus.WAITLISTED)
            self.events.append(
                ApplicantWaitlisted(self.id, self.title, application_id, person_id, locale, len(self.waitlist))
            )
        self.applications[person_id] = application
        return application

    def waitlist_position(self, person_id: str) -> int | None:
        return self.waitlist.index(person_id) + 1 if person_id in self.waitlist else None

    # The state as plain data, for the repository: the domain decides its own shape.
    def to_state(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "cohorts": [{"id": c.id, "capacity": c.capacity, "enrolled": list(c.enrolled)} for c in self.cohorts],
            "applications": [
                {
                    "id": a.id,
                    "person_id": a.person_id,
                    "locale": a.locale,
                    "status": a.status.value,
                    "cohort_id": a.cohort_id,
                }
                for a in self.applications.values()
            ],
            "waitlist": list(self.waitlist),
        }

    @classmethod
    def from_state(cls, course_id: str, state: dict[str, Any]) -> "Course":
        return cls(
            id=course_id,
            title=state["title"],
            cohorts=[Cohort(c["id"], c["capacity"], list(c["enrolled"])) for c in state["cohorts"]],
            applications={
                a["person_id"]: Application(
                    a["id"], a["person_id"], a["locale"], ApplicationStatus(a["status"]), a["cohort_id"]
                )
                for a in state["applications"]
            },
            waitlist=list(state["waitlist"]),
        )
