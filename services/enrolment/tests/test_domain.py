"""The course decides seats: first come enrolled, the rest waitlisted in order, one application per person."""

import re

import pytest

from enrolment.domain.events import ApplicantEnrolled, ApplicantWaitlisted, CourseCreated
from enrolment.domain.model import AlreadyApplied, ApplicationStatus, Course, former_employee_id
from shared.errors import Conflict, Invalid


def course(capacity: int = 2) -> Course:
    return Course.create("course-1", "  Python basics  ", "cohort-1", capacity)


def test_create_trims_the_title_and_records_course_created() -> None:
    created = course(3)

    assert created.title == "Python basics"
    assert [(c.id, c.capacity, c.enrolled) for c in created.cohorts] == [("cohort-1", 3, [])]
    assert created.events == [CourseCreated("course-1", "Python basics", "cohort-1", 3)]


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_a_blank_title_is_invalid_and_names_the_title(title: str) -> None:
    with pytest.raises(Invalid) as raised:
        Course.create("course-1", title, "cohort-1", 2)

    assert raised.value.details == {"field": "title"}


@pytest.mark.parametrize("capacity", [0, -1])
def test_a_cohort_without_seats_is_invalid_and_names_the_capacity(capacity: int) -> None:
    with pytest.raises(Invalid) as raised:
        Course.create("course-1", "Python basics", "cohort-1", capacity)

    assert raised.value.details == {"field": "capacity"}


def test_a_capacity_of_one_is_allowed() -> None:
    assert Course.create("course-1", "Python basics", "cohort-1", 1).cohorts[0].capacity == 1


def test_the_first_applicants_take_the_seats_and_the_rest_queue_in_order() -> None:
    subject = course(capacity=2)

    statuses = [subject.apply(f"p{n}", "en", f"a{n}") for n in range(1, 6)]

    assert [a.status for a in statuses] == [ApplicationStatus.ENROLLED] * 2 + [ApplicationStatus.WAITLISTED] * 3
    assert [a.cohort_id for a in statuses] == ["cohort-1", "cohort-1", None, None, None]
    assert subject.cohorts[0].enrolled == ["p1", "p2"]
    assert subject.waitlist == ["p3", "p4", "p5"]
    assert [subject.waitlist_position(p) for p in ("p1", "p2", "p3", "p4", "p5")] == [None, None, 1, 2, 3]
    assert subject.waitlist_position("stranger") is None


def test_applications_record_their_events_in_order_with_waitlist_positions() -> None:
    subject = course(capacity=1)
    subject.events.clear()

    subject.apply("p1", "ru", "a1")
    subject.apply("p2", "en", "a2")
    subject.apply("p3", "ru", "a3")

    assert subject.events == [
        ApplicantEnrolled("course-1", "Python basics", "cohort-1", "a1", "p1", "ru"),
        ApplicantWaitlisted("course-1", "Python basics", "a2", "p2", "en", 1),
        ApplicantWaitlisted("course-1", "Python basics", "a3", "p3", "ru", 2),
    ]


@pytest.mark.parametrize(("earlier", "expected_status"), [(0, "enrolled"), (1, "waitlisted")])
def test_a_second_application_is_refused_with_the_existing_one(earlier: int, expected_status: str) -> None:
    subject = course(capacity=1)
    if earlier:
        subject.apply("someone-else", "en", "a0")
    subject.apply("p1", "en", "first")
    before = subject.to_state()
    events_before = list(subject.events)

    with pytest.raises(AlreadyApplied) as raised:
        subject.apply("p1", "ru", "second")

    assert isinstance(raised.value, Conflict)
    assert raised.value.details == {"application_id": "first", "status": expected_status}
    assert subject.to_state() == before  # the refusal changes nothing
    assert subject.events == events_before


def test_state_round_trips_through_plain_data() -> None:
    subject = course(capacity=1)
    subject.apply("p1", "en", "a1")
    subject.apply("p2", "ru", "a2")

    restored = Course.from_state(subject.id, subject.to_state())

    assert restored == subject
    assert restored.to_state() == subject.to_state()
    assert restored.applications["p2"].status is ApplicationStatus.WAITLISTED
    assert restored.events == []  # events are not state


def test_restored_course_keeps_deciding_the_same_way() -> None:
    subject = course(capacity=1)
    subject.apply("p1", "en", "a1")
    restored = Course.from_state(subject.id, subject.to_state())

    with pytest.raises(AlreadyApplied):
        restored.apply("p1", "en", "again")
    assert restored.apply("p2", "en", "a2").status is ApplicationStatus.WAITLISTED


def test_to_state_shares_nothing_with_the_course() -> None:
    subject = course(capacity=1)
    subject.apply("p1", "en", "a1")
    state = subject.to_state()

    state["cohorts"][0]["enrolled"].append("intruder")
    state["waitlist"].append("intruder")

    assert subject.cohorts[0].enrolled == ["p1"]
    assert subject.waitlist == []


def test_erasing_a_person_puts_a_former_employee_in_their_seat_and_place() -> None:
    subject = course(capacity=2)
    for n in range(1, 6):
        subject.apply(f"p{n}", "ru", f"a{n}")
    subject.events.clear()

    assert subject.erase_person("p2", "former-employee-000000000002") is True
    assert subject.erase_person("p4", "former-employee-000000000004") is True

    assert subject.cohorts[0].enrolled == ["p1", "former-employee-000000000002"]
    assert subject.waitlist == ["p3", "former-employee-000000000004", "p5"]
    assert list(subject.applications) == [
        "p1",
        "former-employee-000000000002",
        "p3",
        "former-employee-000000000004",
        "p5",
    ]
    erased = subject.applications["former-employee-000000000002"]
    assert (erased.id, erased.person_id, erased.locale, erased.status, erased.cohort_id) == (
        "a2",
        "former-employee-000000000002",
        None,
        ApplicationStatus.ENROLLED,
        "cohort-1",
    )
    assert subject.waitlist_position("former-employee-000000000004") == 2
    assert subject.events == []  # nothing to publish: the stand-in is no news for anyone
    assert "p2" not in str(subject.to_state())
    assert Course.from_state(subject.id, subject.to_state()) == subject


def test_erasing_someone_who_is_not_there_changes_nothing() -> None:
    subject = course(capacity=1)
    subject.apply("p1", "en", "a1")
    before = subject.to_state()

    assert subject.erase_person("stranger", "former-employee-000000000001") is False
    assert subject.to_state() == before


def test_a_former_employee_id_is_random_and_cannot_apply() -> None:
    first, second = former_employee_id(), former_employee_id()

    assert first != second
    assert re.fullmatch(r"former-employee-[0-9a-f]{12}", first)
    with pytest.raises(Invalid) as raised:
        course().apply(first, "en", "a1")
    assert raised.value.details == {"field": "person_id"}
