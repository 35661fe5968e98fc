"""Enrolment use cases: load the course, let it decide, save it with its events."""

import uuid
from dataclasses import dataclass

from enrolment.domain.model import Application, Course
from enrolment.service.ports import CourseRepository
from shared.concurrency import retry_on_conflict
from shared.errors import NotFound


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


async def apply(command: Apply, courses: CourseRepository) -> tuple[Application, Course]:
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
