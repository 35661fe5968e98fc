"""The course aggregate: cohorts with a fixed number of seats, and one application per person.

The course is the consistency boundary for seats: deciding "enrolled or waitlisted" needs every
application of the course, so two applicants racing for the last seat are two writers of one
aggregate, and the version check in the repository lets only one of them win.
"""

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from enrolment.domain.events import ApplicantEnrolled, ApplicantWaitlisted, CourseCreated, DomainEvent
from shared.errors import Conflict, Invalid

FORMER_EMPLOYEE_PREFIX = "former-employee-"


def former_employee_id() -> str:
    """A fresh stand-in for an erased person: random, so nobody can recompute it from a known person id."""
    return FORMER_EMPLOYEE_PREFIX + secrets.token_hex(6)


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
    locale: str | None  # None once the person was erased: a former employee has no language preference
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
        if person_id.startswith(FORMER_EMPLOYEE_PREFIX):
            raise Invalid("former employees cannot apply", field="person_id")
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

    def involves(self, person_id: str) -> bool:
        return (
            person_id in self.applications
            or person_id in self.waitlist
            or any(person_id in cohort.enrolled for cohort in self.cohorts)
        )

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place; False if the person is not here (erased already).

        Seats, queue order and application ids stay as they were, so counts and other people's
        positions do not move; the locale goes with the person. No event is recorded: erasure is
        not news for other services (they follow the directory themselves), and an event would
        only carry the person's trace to Kafka.
        """
        if not self.involves(person_id):
            return False
        if self.involves(replacement):
            raise ValueError("the replacement id is already in use in this course")
        self.applications = {
            (replacement if key == person_id else key): (
                Application(application.id, replacement, None, application.status, application.cohort_id)
                if key == person_id
                else application
            )
            for key, application in self.applications.items()
        }
        for cohort in self.cohorts:
            cohort.enrolled = [replacement if p == person_id else p for p in cohort.enrolled]
        self.waitlist = [replacement if p == person_id else p for p in self.waitlist]
        return True

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
                    a["id"], a["person_id"], a.get("locale"), ApplicationStatus(a["status"]), a["cohort_id"]
                )
                for a in state["applications"]
            },
            waitlist=list(state["waitlist"]),
        )
