"""Enrolment use cases: load the course, let it decide, save it with its events."""

import uuid
from dataclasses import dataclass
from typing import Any

from enrolment.domain.model import Application, Course, former_employee_id
from enrolment.service.ports import CourseRepository, Erasures, People
from shared.concurrency import retry_on_conflict
from shared.errors import Invalid, NotFound

SERVICE = "enrolment"
ERASURE_PASSES = 3


@dataclass(frozen=True)
class CreateCourse:
    title: str
    capacity: int


@dataclass(frozen=True)
class Apply:
    course_id: str
    person_id: str
    locale: str


async def create_course(command: CreateCourse, courses: CourseRepository) -> Course:
    course = Course.create(str(uuid.uuid4()), command.title, str(uuid.uuid4()), command.capacity)
    await courses.save(course, expected_version=0)
    return course


async def apply(
    command: Apply, courses: CourseRepository, *, people: People | None = None
) -> tuple[Application, Course]:
    """Apply for a seat; the directory's deactivated and erased people are refused.

    `people` is optional only so entrypoints written before the directory keep working: pass it.
    """
    if people is not None and await people.is_blocked(command.person_id):
        raise Invalid(f"person {command.person_id} is deactivated in the directory", field="person_id")

    async def attempt() -> tuple[Application, Course]:
        # Racing applicants conflict on the course version; the loser re-reads the seats and decides again.
        course, version = await get_course(command.course_id, courses)
        application = course.apply(command.person_id, command.locale, str(uuid.uuid4()))
        await courses.save(course, expected_version=version)
        return application, course

    return await retry_on_conflict(attempt, aggregate_id=command.course_id)


async def get_course(course_id: str, courses: CourseRepository) -> tuple[Course, int]:
    found = await courses.get(course_id)
    if found is None:
        raise NotFound(f"course {course_id} does not exist", course_id=course_id)
    return found


async def erase_person(person_id: str, courses: CourseRepository, people: People, erasures: Erasures) -> int:
    """Put a former employee in the person's place in every course, current state and history alike.

    Returns how many courses changed. Safe to run again: a repeated erasure finds nobody and
    changes nothing. The person is blocked first, so no application can bring them back while
    the courses are rewritten; a pass that still finds them (an application that slipped in)
    erases again. One random stand-in per erasure, kept in `erasures` until the end, so a crash
    half way resumes with the same stand-in instead of splitting the history over two.
    """
    await people.apply_erased(person_id)
    replacement: str | None = None
    changed: set[str] = set()
    for _ in range(ERASURE_PASSES):
        course_ids = await courses.involving(person_id)
        if not course_ids:
            if replacement is not None:
                await erasures.finish(person_id)
            return len(changed)
        if replacement is None:
            replacement = await erasures.begin(person_id, former_employee_id())
        for course_id in course_ids:
            if await _erase_from_course(course_id, person_id, replacement, courses):
                changed.add(course_id)
    raise RuntimeError(f"a person is still named in courses after {ERASURE_PASSES} erasure passes")


async def _erase_from_course(course_id: str, person_id: str, replacement: str, courses: CourseRepository) -> bool:
    async def attempt() -> tuple[bool, int]:
        # A normal new version: it wins or loses against concurrent applicants like any other change.
        found = await courses.get(course_id)
        if found is None:
            return False, 0
        course, version = found
        if not course.erase_person(person_id, replacement):
            return False, version  # erased already (an interrupted run): only the history may remain
        await courses.save(course, expected_version=version)
        return True, version

    erased, history = await retry_on_conflict(attempt, aggregate_id=course_id)
    # The versions before the erasure; never the newest, whose state the head caches.
    rewritten = await courses.erase_from_history(course_id, person_id, replacement, history)
    return erased or rewritten > 0


async def export_person(person_id: str, courses: CourseRepository, people: People) -> dict[str, Any]:
    """Everything enrolment holds on the person, as plain JSON-able data (a subject access request)."""
    applications: list[dict[str, Any]] = []
    for course_id in await courses.involving(person_id):
        found = await courses.get(course_id)
        if found is None:
            continue
        course, _ = found
        application = course.applications.get(person_id)
        if application is None:
            continue
        applications.append(
            {
                "application_id": application.id,
                "course_id": course.id,
                "course_title": course.title,
                "status": application.status.value,
                "cohort_id": application.cohort_id,
                "waitlist_position": course.waitlist_position(person_id),
                "locale": application.locale,
            }
        )
    return {
        "service": SERVICE,
        "person_id": person_id,
        "person": await people.export(person_id),
        "applications": applications,
    }
