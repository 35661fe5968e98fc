"""The enrolment use cases through the service layer, against an in-memory repository."""

import asyncio
from datetime import timedelta

import pytest

from enrolment.domain.events import (
    ApplicantEnrolled,
    ApplicantWaitlisted,
    CohortScheduled,
    CourseProposed,
    CoursePublished,
    CourseReviewed,
)
from enrolment.domain.model import AlreadyApplied, Applicant, ApplicationStatus, Course, Rules
from enrolment.service import handlers
from enrolment.service.ports import CourseRepository
from enrolment.tests.builders import CURATOR, NOW, SLOT, TRAINER, proposal, published_course
from enrolment.tests.fakes import InMemoryCourseRepository
from shared.concurrency import ConcurrencyConflict
from shared.errors import Invalid, NotFound


def test_the_fake_implements_the_port() -> None:
    repository: CourseRepository = InMemoryCourseRepository()
    assert repository is not None


async def test_the_fake_refuses_a_stale_version() -> None:
    courses = InMemoryCourseRepository()
    created = await published_course(courses)
    stale, version = await handlers.get_course(created.id, courses)
    fresh, _ = await handlers.get_course(created.id, courses)
    fresh.apply(Applicant("p1", "en"), "a1", NOW)
    await courses.save(fresh, expected_version=version)

    stale.apply(Applicant("p2", "en"), "a2", NOW)
    with pytest.raises(ConcurrencyConflict):
        await courses.save(stale, expected_version=version)


async def test_propose_course_saves_it_at_version_one_with_its_event() -> None:
    courses = InMemoryCourseRepository()

    created = await handlers.propose_course(
        handlers.ProposeCourse(TRAINER, proposal("Python"), Rules(capacity=2)), courses
    )

    stored, version = await handlers.get_course(created.id, courses)
    assert (stored.title, stored.status, stored.rules.capacity, stored.cohorts, version) == (
        "Python",
        "proposed",
        2,
        [],
        1,
    )
    assert courses.published == [CourseProposed(created.id, TRAINER, None, "Python", "ru", ("1c",), 4, 3, False)]
    assert await courses.search(NOW) == ([], 0)  # not in the catalogue before a curator approves it


async def test_a_published_course_is_approved_scheduled_and_in_the_catalogue() -> None:
    courses = InMemoryCourseRepository()

    created = await published_course(courses, title="Python", capacity=2)

    stored, version = await handlers.get_course(created.id, courses)
    cohort = stored.cohorts[0]
    assert (stored.status, version, cohort.number, cohort.capacity, cohort.members) == ("approved", 3, 1, 2, [])
    assert courses.published[1:] == [
        CourseReviewed(created.id, TRAINER, CURATOR, "approved", None, "approved"),
        CoursePublished(created.id, TRAINER, None, "Python", "ru", ("1c",), 4, False),
        CohortScheduled(created.id, cohort.id, 1, TRAINER, 2, "Europe/Moscow", cohort.session_starts),
    ]
    cards, total = await courses.search(NOW)
    assert total == 1
    assert [(c["_id"], c["title_ru"], c["catalogue_status"]) for c in cards] == [(created.id, "Python", "open")]


async def test_an_invalid_cohort_is_refused_and_nothing_is_stored() -> None:
    courses = InMemoryCourseRepository()
    created = await published_course(courses, cohort=False)
    published = list(courses.published)

    with pytest.raises(Invalid) as too_big:
        await handlers.add_cohort(handlers.AddCohort(created.id, SLOT, NOW.date(), capacity=31), NOW, courses)
    with pytest.raises(Invalid) as in_the_past:
        await handlers.add_cohort(handlers.AddCohort(created.id, SLOT, (NOW - timedelta(days=7)).date()), NOW, courses)

    assert (too_big.value.details["field"], in_the_past.value.details["field"]) == ("capacity", "start_date")
    assert courses.states[created.id][1] == 2
    assert courses.published == published


async def test_apply_enrols_then_waitlists_and_persists_each_decision() -> None:
    courses = InMemoryCourseRepository()
    created = await published_course(courses, title="Python", capacity=2)
    cohort_id = created.cohorts[0].id

    first, _ = await handlers.apply(handlers.Apply(created.id, "p1", "en"), courses, now=NOW)
    second, _ = await handlers.apply(handlers.Apply(created.id, "p2", "ru"), courses, now=NOW)
    third, after = await handlers.apply(handlers.Apply(created.id, "p3", "ru"), courses, now=NOW)

    assert [a.status for a in (first, second, third)] == ["enrolled", "enrolled", "waitlisted"]
    assert len({first.id, second.id, third.id}) == 3
    assert after.waitlist_position("p3") == 1
    stored, version = await handlers.get_course(created.id, courses)
    assert version == 6
    assert stored.applications["p1"].id == first.id
    assert stored.applications["p3"].status is ApplicationStatus.WAITLISTED
    assert courses.published[-3:] == [
        ApplicantEnrolled(created.id, "Python", cohort_id, first.id, "p1", "en"),
        ApplicantEnrolled(created.id, "Python", cohort_id, second.id, "p2", "ru"),
        ApplicantWaitlisted(created.id, "Python", third.id, "p3", "ru", 1),
    ]


async def test_applying_twice_is_refused_with_the_first_application() -> None:
    courses = InMemoryCourseRepository()
    created = await published_course(courses)
    first, _ = await handlers.apply(handlers.Apply(created.id, "p1", "en"), courses, now=NOW)

    with pytest.raises(AlreadyApplied) as raised:
        await handlers.apply(handlers.Apply(created.id, "p1", "en"), courses, now=NOW)

    assert raised.value.details == {"application_id": first.id, "status": "enrolled"}
    assert courses.states[created.id][1] == 4  # nothing saved for the refused application


async def test_an_unknown_course_is_not_found() -> None:
    courses = InMemoryCourseRepository()

    with pytest.raises(NotFound) as raised:
        await handlers.apply(handlers.Apply("no-such-course", "p1", "en"), courses, now=NOW)
    assert raised.value.details == {"course_id": "no-such-course"}

    with pytest.raises(NotFound):
        await handlers.get_course("no-such-course", courses)


async def test_racing_applicants_never_overbook_and_nobody_is_lost() -> None:
    courses = InMemoryCourseRepository(yield_on_load=True)
    created = await published_course(courses, capacity=2)
    people = [f"p{n:02}" for n in range(12)]

    results = await asyncio.gather(
        *(handlers.apply(handlers.Apply(created.id, p, "en"), courses, now=NOW) for p in people)
    )

    assert courses.conflicts == 0  # in one process, writers of one course take turns
    stored, version = await handlers.get_course(created.id, courses)
    assert version == 3 + len(people)
    members = stored.cohorts[0].members
    assert len(members) == 2
    assert sorted(members + stored.waitlist) == people
    assert len(set(members + stored.waitlist)) == len(people)
    assert sorted(stored.applications) == people
    assert [stored.waitlist_position(p) for p in stored.waitlist] == list(range(1, len(people) - 1))
    statuses = {application.person_id: application.status for application, _ in results}
    assert sorted(p for p, s in statuses.items() if s is ApplicationStatus.ENROLLED) == sorted(members)
    # Exactly one event per applicant, and the waitlist positions published are 1..N-2 without gaps.
    waitlisted = [e for e in courses.published if isinstance(e, ApplicantWaitlisted)]
    assert sorted(e.position for e in waitlisted) == list(range(1, len(people) - 1))
    assert len([e for e in courses.published if isinstance(e, ApplicantEnrolled)]) == 2


class AnotherReplicaCommitsFirst(InMemoryCourseRepository):
    """Another process of the service commits to the course between this one's load and save, once armed."""

    def __init__(self) -> None:
        super().__init__()
        self.interloper_pending = False

    async def save(self, course: Course, expected_version: int) -> None:
        if self.interloper_pending:
            self.interloper_pending = False
            found = await self.get(course.id)
            assert found is not None
            theirs, version = found
            theirs.apply(Applicant("from-other-replica", "ru"), "app-other", NOW)
            await super().save(theirs, version)
        await super().save(course, expected_version)


async def test_a_conflict_with_another_replica_is_retried_on_fresh_seats() -> None:
    courses = AnotherReplicaCommitsFirst()
    created = await published_course(courses, capacity=2)
    await handlers.apply(handlers.Apply(created.id, "early-bird", "en"), courses, now=NOW)
    courses.interloper_pending = True

    application, course = await handlers.apply(handlers.Apply(created.id, "p1", "en"), courses, now=NOW)

    assert courses.conflicts == 1
    assert application.status is ApplicationStatus.WAITLISTED  # the seat went to the other replica's applicant
    assert course.cohorts[0].members == ["early-bird", "from-other-replica"]
    assert course.waitlist == ["p1"]
