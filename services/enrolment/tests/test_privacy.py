"""The directory's decisions in enrolment: blocked people cannot apply, erased ones leave no trace."""

import re

import pytest

from enrolment.domain.model import ApplicationStatus, Course
from enrolment.service import handlers
from enrolment.service.ports import Erasures, People
from enrolment.tests.builders import NOW, published_course
from enrolment.tests.fakes import InMemoryCourseRepository, InMemoryErasures, InMemoryPeople, names
from shared.errors import Invalid

STAND_IN = re.compile(r"former-employee-[0-9a-f]{12}")


def test_the_fakes_implement_the_ports() -> None:
    people: People = InMemoryPeople()
    erasures: Erasures = InMemoryErasures()
    assert people is not None
    assert erasures is not None


async def course_with(courses: InMemoryCourseRepository, capacity: int, *people: str) -> Course:
    """A published "Python" course with one cohort, `people` applying in this order (version 3 + applicants)."""
    created = await published_course(courses, title="Python", capacity=capacity)
    for person in people:
        await handlers.apply(handlers.Apply(created.id, person, "ru"), courses, now=NOW)
    course, _ = await handlers.get_course(created.id, courses)
    return course


@pytest.mark.parametrize("how", ["deactivated", "erased"])
async def test_a_blocked_person_cannot_apply(how: str) -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    course = await course_with(courses, 2)
    people.upsert("alice", display_name="Alice")
    if how == "deactivated":
        people.deactivate("alice")
    else:
        await people.apply_erased("alice")

    with pytest.raises(Invalid) as raised:
        await handlers.apply(handlers.Apply(course.id, "alice", "en"), courses, people=people, now=NOW)

    assert raised.value.message == "person alice is deactivated in the directory"
    assert raised.value.details == {"field": "person_id"}
    assert courses.states[course.id][1] == 3  # nothing saved


async def test_active_and_unknown_people_may_apply() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    course = await course_with(courses, 2, "bob")
    people.upsert("alice", display_name="Alice")

    known, _ = await handlers.apply(handlers.Apply(course.id, "alice", "en"), courses, people=people, now=NOW)
    unknown, _ = await handlers.apply(
        handlers.Apply(course.id, "not-yet-in-the-copy", "en"), courses, people=people, now=NOW
    )

    assert (known.status, unknown.status) == (ApplicationStatus.ENROLLED, ApplicationStatus.WAITLISTED)


async def test_erasure_replaces_the_person_everywhere_and_keeps_the_counts() -> None:
    courses, people, erasures = InMemoryCourseRepository(), InMemoryPeople(), InMemoryErasures()
    people.upsert("alice", display_name="Alice", locale="ru")
    seated = await course_with(courses, 2, "bob", "alice", "carol", "dave")
    queued = await course_with(courses, 2, "bob", "frank", "erin", "alice")  # the waitlist proposes a stream
    untouched = await course_with(courses, 2, "bob")
    published_before = list(courses.published)
    versions_before = {course_id: version for course_id, (_, version) in courses.states.items()}

    changed = await handlers.erase_person("alice", courses, people, erasures)

    assert changed == 2
    assert not names(courses.states, "alice")
    assert not names(courses.history, "alice")
    assert await courses.involving("alice") == []
    seated_now, _ = await handlers.get_course(seated.id, courses)
    queued_now, _ = await handlers.get_course(queued.id, courses)
    stand_in = seated_now.cohorts[0].members[1]
    assert STAND_IN.fullmatch(stand_in)
    assert queued_now.waitlist == ["erin", stand_in]  # one stand-in per erasure, in the same places
    assert queued_now.waitlist_position(stand_in) == 2
    assert queued_now.stream_proposal is not None
    assert queued_now.stream_proposal.member_ids == ["erin", stand_in]
    assert seated_now.cohorts[0].members == ["bob", stand_in]
    assert seated_now.waitlist == ["carol", "dave"]
    assert (len(seated_now.applications), len(queued_now.applications)) == (4, 4)
    application = seated_now.applications[stand_in]
    assert (application.id, application.status, application.locale) == (
        seated.applications["alice"].id,
        ApplicationStatus.ENROLLED,
        None,
    )
    # A normal new version for each course that named her, none for the others; nothing published.
    assert {course_id: version for course_id, (_, version) in courses.states.items()} == {
        seated.id: versions_before[seated.id] + 1,
        queued.id: versions_before[queued.id] + 1,
        untouched.id: versions_before[untouched.id],
    }
    assert courses.published == published_before
    # The history reads as if the stand-in had applied, event payloads included.
    applied = courses.history[seated.id][4]["events"][0]  # propose, approve, cohort, bob, alice
    assert (applied["person_id"], applied["application_id"]) == (stand_in, application.id)
    assert people.documents["alice"] == {"active": False, "erased": True}
    assert erasures.under_way == {}


async def test_a_second_erasure_finds_nothing_and_changes_nothing() -> None:
    courses, people, erasures = InMemoryCourseRepository(), InMemoryPeople(), InMemoryErasures()
    course = await course_with(courses, 2, "alice", "bob")
    await handlers.erase_person("alice", courses, people, erasures)
    states, history, published = courses.states.copy(), repr(courses.history), list(courses.published)

    assert await handlers.erase_person("alice", courses, people, erasures) == 0

    assert courses.states == states
    assert repr(courses.history) == history
    assert courses.published == published
    assert erasures.begun == 1  # the second run did not even pick a stand-in
    assert courses.states[course.id][1] == 6


async def test_each_erasure_picks_its_own_random_stand_in() -> None:
    stand_ins = []
    for _ in range(2):
        courses = InMemoryCourseRepository()
        course = await course_with(courses, 2, "alice")
        await handlers.erase_person("alice", courses, InMemoryPeople(), InMemoryErasures())
        stored, _ = await handlers.get_course(course.id, courses)
        stand_ins.append(stored.cohorts[0].members[0])

    assert stand_ins[0] != stand_ins[1]  # not derived from the person id
    assert all(STAND_IN.fullmatch(stand_in) for stand_in in stand_ins)


async def test_an_interrupted_erasure_resumes_with_its_stand_in() -> None:
    courses, erasures = InMemoryCourseRepository(), InMemoryErasures()
    first = await course_with(courses, 2, "alice")
    second = await course_with(courses, 2, "bob", "carol", "alice")
    erasures.under_way["alice"] = "former-employee-0123456789ab"  # chosen by a run that crashed
    first_course, version = await handlers.get_course(first.id, courses)
    first_course.erase_person("alice", "former-employee-0123456789ab")
    await courses.save(first_course, version)  # ... after erasing the first course, before its history

    assert await handlers.erase_person("alice", courses, InMemoryPeople(), erasures) == 2

    assert not names(courses.history, "alice")
    assert names(courses.history[first.id][3], "former-employee-0123456789ab")  # the version she applied in
    second_course, _ = await handlers.get_course(second.id, courses)
    assert second_course.waitlist == ["former-employee-0123456789ab"]
    assert erasures.under_way == {}


async def test_export_lists_the_profile_and_every_application() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    people.upsert("alice", display_name="Alice", locale="ru", time_zone="Europe/Moscow", department="Data")
    seated = await course_with(courses, 2, "alice")
    queued = await course_with(courses, 2, "bob", "frank", "erin", "alice")
    await course_with(courses, 2, "bob")

    exported = await handlers.export_person("alice", courses, people)

    assert exported["service"] == "enrolment"
    assert exported["person"] == {
        "active": True,
        "erased": False,
        "version": 1,
        "display_name": "Alice",
        "locale": "ru",
        "time_zone": "Europe/Moscow",
        "department": "Data",
    }
    assert sorted(exported["applications"], key=lambda a: a["waitlist_position"] or 0) == [
        {
            "application_id": seated.applications["alice"].id,
            "course_id": seated.id,
            "course_title": "Python",
            "status": "enrolled",
            "cohort_id": seated.cohorts[0].id,
            "waitlist_position": None,
            "locale": "ru",
        },
        {
            "application_id": queued.applications["alice"].id,
            "course_id": queued.id,
            "course_title": "Python",
            "status": "waitlisted",
            "cohort_id": None,
            "waitlist_position": 2,
            "locale": "ru",
        },
    ]


async def test_after_erasure_the_export_is_empty() -> None:
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    people.upsert("alice", display_name="Alice")
    await course_with(courses, 2, "alice")
    await handlers.erase_person("alice", courses, people, InMemoryErasures())

    exported = await handlers.export_person("alice", courses, people)

    assert (exported["person"], exported["applications"]) == (None, [])
