"""The course decides seats: first come enrolled, the rest waitlisted in order, one application per person."""

import dataclasses
import re
from datetime import timedelta

import pytest

from enrolment.domain.events import (
    ApplicantEnrolled,
    ApplicantWaitlisted,
    CohortScheduled,
    CourseProposed,
    CoursePublished,
)
from enrolment.domain.model import (
    AlreadyApplied,
    Applicant,
    Application,
    ApplicationStatus,
    Course,
    Rules,
    former_employee_id,
)
from enrolment.tests.builders import CURATOR, NOW, SLOT, TRAINER, proposal
from shared.errors import Conflict, Invalid

START = (NOW + timedelta(days=7)).date()


def course(capacity: int = 2) -> Course:
    """Proposed, approved and with one cohort ("cohort-1"), its events cleared."""
    subject = Course.propose("course-1", TRAINER, proposal("  Python basics  "), Rules(capacity=capacity))
    subject.review(CURATOR, "approved", None, NOW)
    subject.add_cohort("cohort-1", SLOT, START, NOW)
    subject.events.clear()
    return subject


def apply(subject: Course, person_id: str, application_id: str, locale: str = "en") -> Application:
    return subject.apply(Applicant(person_id, locale), application_id, NOW)


def test_propose_trims_the_title_and_records_the_proposal_then_the_cohort() -> None:
    proposed = Course.propose("course-1", TRAINER, proposal("  Python basics  "), Rules(capacity=3))

    assert proposed.title == "Python basics"
    assert [type(e) for e in proposed.events] == [CourseProposed]
    proposed.review(CURATOR, "approved", None, NOW)
    cohort = proposed.add_cohort("cohort-1", SLOT, START, NOW)

    assert [(c.id, c.number, c.capacity, c.members) for c in proposed.cohorts] == [("cohort-1", 1, 3, [])]
    assert proposed.events[-1] == CohortScheduled(
        "course-1", "cohort-1", 1, TRAINER, 3, "Europe/Moscow", cohort.session_starts
    )


def test_the_published_events_carry_the_trimmed_title() -> None:
    proposed = Course.propose("course-1", TRAINER, proposal("  Python basics  "), Rules(capacity=3))
    proposed.review(CURATOR, "approved", None, NOW)

    assert [(e.title_ru, e.title_en) for e in proposed.events if isinstance(e, CourseProposed | CoursePublished)] == [
        ("Python basics", None)
    ] * 2


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_a_blank_title_is_invalid_and_names_the_title(title: str) -> None:
    with pytest.raises(Invalid) as raised:
        proposal(title)

    assert raised.value.details == {"field": "title_en"}


@pytest.mark.parametrize("capacity", [-1, 0, 1, 31])
def test_a_cohort_outside_two_to_thirty_seats_is_invalid_and_names_the_capacity(capacity: int) -> None:
    with pytest.raises(Invalid) as raised:
        Rules(capacity=capacity)

    assert raised.value.details == {"field": "capacity"}


@pytest.mark.parametrize("capacity", [2, 30])
def test_two_and_thirty_seats_are_allowed(capacity: int) -> None:
    assert course(capacity).cohorts[0].capacity == capacity


def test_the_first_applicants_take_the_seats_and_the_rest_queue_in_order() -> None:
    subject = course(capacity=2)

    statuses = [apply(subject, f"p{n}", f"a{n}") for n in range(1, 6)]

    assert [a.status for a in statuses] == [ApplicationStatus.ENROLLED] * 2 + [ApplicationStatus.WAITLISTED] * 3
    assert [a.cohort_id for a in statuses] == ["cohort-1", "cohort-1", None, None, None]
    assert subject.cohorts[0].members == ["p1", "p2"]
    assert subject.waitlist == ["p3", "p4", "p5"]
    assert [subject.waitlist_position(p) for p in ("p1", "p2", "p3", "p4", "p5")] == [None, None, 1, 2, 3]
    assert subject.waitlist_position("stranger") is None


def test_applications_record_their_events_in_order_with_waitlist_positions() -> None:
    subject = course(capacity=2)

    apply(subject, "p1", "a1", "ru")
    apply(subject, "p2", "a2", "en")
    apply(subject, "p3", "a3", "ru")

    assert subject.events == [
        ApplicantEnrolled("course-1", "Python basics", "cohort-1", "a1", "p1", "ru"),
        ApplicantEnrolled("course-1", "Python basics", "cohort-1", "a2", "p2", "en"),
        ApplicantWaitlisted("course-1", "Python basics", "a3", "p3", "ru", 1),
    ]


@pytest.mark.parametrize(("earlier", "expected_status"), [(0, "enrolled"), (2, "waitlisted")])
def test_a_second_application_is_refused_with_the_existing_one(earlier: int, expected_status: str) -> None:
    subject = course(capacity=2)
    for n in range(earlier):
        apply(subject, f"someone-else-{n}", f"a{n}")
    apply(subject, "p1", "first")
    before = subject.to_state()
    events_before = list(subject.events)

    with pytest.raises(AlreadyApplied) as raised:
        apply(subject, "p1", "second", "ru")

    assert isinstance(raised.value, Conflict)
    assert raised.value.details == {"application_id": "first", "status": expected_status}
    assert subject.to_state() == before  # the refusal changes nothing
    assert subject.events == events_before


def test_state_round_trips_through_plain_data() -> None:
    subject = course(capacity=2)
    for n in range(1, 4):
        apply(subject, f"p{n}", f"a{n}")

    restored = Course.from_state(subject.id, subject.to_state())

    assert restored == subject
    assert restored.to_state() == subject.to_state()
    assert restored.applications["p3"].status is ApplicationStatus.WAITLISTED
    assert restored.events == []  # events are not state


def test_restored_course_keeps_deciding_the_same_way() -> None:
    subject = course(capacity=2)
    apply(subject, "p1", "a1")
    apply(subject, "p2", "a2")
    restored = Course.from_state(subject.id, subject.to_state())

    with pytest.raises(AlreadyApplied):
        apply(restored, "p1", "again")
    assert apply(restored, "p3", "a3").status is ApplicationStatus.WAITLISTED


def test_to_state_shares_nothing_with_the_course() -> None:
    subject = course(capacity=2)
    apply(subject, "p1", "a1")
    state = subject.to_state()

    state["cohorts"][0]["members"].append("intruder")
    state["waitlist"].append("intruder")
    state["applications"][0]["person_id"] = "intruder"

    assert subject.cohorts[0].members == ["p1"]
    assert subject.waitlist == []
    assert subject.applications["p1"].person_id == "p1"


def test_erasing_a_person_puts_a_former_employee_in_their_seat_and_place() -> None:
    subject = course(capacity=2)
    for n in range(1, 6):
        apply(subject, f"p{n}", f"a{n}", "ru")
    subject.events.clear()

    assert subject.erase_person("p2", "former-employee-000000000002") is True
    assert subject.erase_person("p4", "former-employee-000000000004") is True

    assert subject.cohorts[0].members == ["p1", "former-employee-000000000002"]
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
    assert "'p2'" not in str(subject.to_state())
    assert Course.from_state(subject.id, subject.to_state()) == subject


def test_erasing_drops_what_the_directory_told_of_the_person() -> None:
    subject = course(capacity=2)
    subject.apply(
        Applicant("p1", "ru", "I want to learn", department="Data", time_zone="Asia/Novosibirsk", manager_id="m1"),
        "a1",
        NOW,
    )

    subject.erase_person("p1", "former-employee-000000000001")

    erased = subject.applications["former-employee-000000000001"]
    assert dataclasses.asdict(erased) == {
        "id": "a1",
        "person_id": "former-employee-000000000001",
        "locale": None,
        "status": ApplicationStatus.ENROLLED,
        "arrival": 1,
        "cohort_id": "cohort-1",
        "preferred_cohort_id": None,
        "motivation": "",
        "level": "beginner",
        "department": None,
        "time_zone": None,
        "manager_id": None,
        "applied_at": NOW,  # when, not who: kept, as the arrival is
    }


def test_erasing_someone_who_is_not_there_changes_nothing() -> None:
    subject = course(capacity=2)
    apply(subject, "p1", "a1")
    before = subject.to_state()

    assert subject.erase_person("stranger", "former-employee-000000000001") is False
    assert subject.to_state() == before


def test_a_former_employee_id_is_random_and_cannot_apply() -> None:
    first, second = former_employee_id(), former_employee_id()

    assert first != second
    assert re.fullmatch(r"former-employee-[0-9a-f]{12}", first)
    with pytest.raises(Invalid) as raised:
        apply(course(), first, "a1")
    assert raised.value.details == {"field": "person_id"}
