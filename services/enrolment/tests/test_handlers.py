"""The enrolment use cases through the service layer, against an in-memory repository."""

import asyncio

import pytest

from enrolment.domain.events import ApplicantEnrolled, ApplicantWaitlisted, CourseCreated
from enrolment.domain.model import AlreadyApplied, ApplicationStatus, Course
from enrolment.service import handlers
from enrolment.service.ports import CourseRepository
from enrolment.tests.fakes import InMemoryCourseRepository
from shared.concurrency import ConcurrencyConflict
from shared.errors import Invalid, NotFound


def test_the_fake_implements_the_port() -> None:
    repository: CourseRepository = InMemoryCourseRepository()
    assert repository is not None


async def test_the_fake_refuses_a_stale_version() -> None:
    courses = InMemoryCourseRepository()
    created = await handlers.create_course(handlers.CreateCourse("Python", 1), courses)
    stale, version = await handlers.get_course(created.id, courses)
    fresh, _ = await handlers.get_course(created.id, courses)
    fresh.apply("p1", "en", "a1")
    await courses.save(fresh, expected_version=version)

    stale.apply("p2", "en", "a2")
    with pytest.raises(ConcurrencyConflict):
        await courses.save(stale, expected_version=version)


async def test_create_course_saves_it_at_version_one_with_its_event() -> None:
    courses = InMemoryCourseRepository()

    created = await handlers.create_course(handlers.CreateCourse("  Python  ", 2), courses)

    stored, version = await handlers.get_course(created.id, courses)
    assert (stored.title, stored.cohorts[0].capacity, version) == ("Python", 2, 1)
    assert courses.published == [CourseCreated(created.id, "Python", created.cohorts[0].id, 2)]
    assert await courses.list(10, 0) == [stored]


async def test_create_course_refuses_invalid_input_and_stores_nothing() -> None:
    courses = InMemoryCourseRepository()

    with pytest.raises(Invalid) as raised:
        await handlers.create_course(handlers.CreateCourse("Python", 0), courses)

    assert raised.value.details["field"] == "capacity"
    assert courses.states == {}
    assert courses.published == []


async def test_apply_enrols_then_waitlists_and_persists_each_decision() -> None:
    courses = InMemoryCourseRepository()
    created = await handlers.create_course(handlers.CreateCourse("Python", 1), courses)

    first, _ = await handlers.apply(handlers.Apply(created.id, "p1", "en"), courses)
    second, after = await handlers.apply(handlers.Apply(created.id, "p2", "ru"), courses)

    assert (first.status, second.status) == (ApplicationStatus.ENROLLED, ApplicationStatus.WAITLISTED)
    assert first.id != second.id
    assert after.waitlist_position("p2") == 1
    stored, version = await handlers.get_course(created.id, courses)
    assert version == 3
    assert stored.applications["p1"].id == first.id
    assert stored.applications["p2"].status is ApplicationStatus.WAITLISTED
    assert courses.published[1:] == [
        ApplicantEnrolled(created.id, "Python", created.cohorts[0].id, first.id, "p1", "en"),
        ApplicantWaitlisted(created.id, "Python", second.id, "p2", "ru", 1),
    ]


async def test_applying_twice_is_refused_with_the_first_application() -> None:
    courses = InMemoryCourseRepository()
    created = await handlers.create_course(handlers.CreateCourse("Python", 1), courses)
    first, _ = await handlers.apply(handlers.Apply(created.id, "p1", "en"), courses)

    with pytest.raises(AlreadyApplied) as raised:
        await handlers.apply(handlers.Apply(created.id, "p1", "en"), courses)

    assert raised.value.details == {"application_id": first.id, "status": "enrolled"}
    assert courses.states[created.id][1] == 2  # nothing saved for the refused application


async def test_an_unknown_course_is_not_found() -> None:
    courses = InMemoryCourseRepository()

    with pytest.raises(NotFound) as raised:
        await handlers.apply(handlers.Apply("no-such-course", "p1", "en"), courses)
    assert raised.value.details == {"course_id": "no-such-course"}

    with pytest.raises(NotFound):
        await handlers.get_course("no-such-course", courses)


async def test_racing_applicants_never_overbook_and_nobody_is_lost() -> None:
    courses = InMemoryCourseRepository(yield_on_load=True)
    created = await handlers.create_course(handlers.CreateCourse("Python", 2), courses)
    people = [f"p{n:02}" for n in range(12)]

    results = await asyncio.gather(*(handlers.apply(handlers.Apply(created.id, p, "en"), courses) for p in people))

    assert courses.conflicts == 0  # in one process, writers of one course take turns
    stored, version = await handlers.get_course(created.id, courses)
    assert version == 1 + len(people)
    enrolled = stored.cohorts[0].enrolled
    assert len(enrolled) == 2
    assert sorted(enrolled + stored.waitlist) == people
    assert len(set(enrolled + stored.waitlist)) == len(people)
    assert sorted(stored.applications) == people
    assert [stored.waitlist_position(p) for p in stored.waitlist] == list(range(1, len(people) - 1))
    statuses = {application.person_id: application.status for application, _ in results}
    assert sorted(p for p, s in statuses.items() if s is ApplicationStatus.ENROLLED) == sorted(enrolled)
    # Exactly one event per applicant, and the waitlist positions published are 1..N-2 without gaps.
    waitlisted = [e for e in courses.published if isinstance(e, ApplicantWaitlisted)]
    assert sorted(e.position for e in waitlisted) == list(range(1, len(people) - 1))
    assert len([e for e in courses.published if isinstance(e, ApplicantEnrolled)]) == 2


class AnotherReplicaCommitsFirst(InMemoryCourseRepository):
    """Another process of the service commits to the course between this one's load and save, once."""

    def __init__(self) -> None:
        super().__init__()
        self.interloper_pending = True

    async def save(self, course: Course, expected_version: int) -> None:
        if self.interloper_pending and expected_version > 0:
            self.interloper_pending = False
            found = await self.get(course.id)
            assert found is not None
            theirs, version = found
            theirs.apply("from-other-replica", "ru", "app-other")
            await super().save(theirs, version)
        await super().save(course, expected_version)


async def test_a_conflict_with_another_replica_is_retried_on_fresh_seats() -> None:
    courses = AnotherReplicaCommitsFirst()
    created = await handlers.create_course(handlers.CreateCourse("Python", 1), courses)

    application, course = await handlers.apply(handlers.Apply(created.id, "p1", "en"), courses)

    assert courses.conflicts == 1
    assert application.status is ApplicationStatus.WAITLISTED  # the seat went to the other replica's applicant
    assert course.cohorts[0].enrolled == ["from-other-replica"]
