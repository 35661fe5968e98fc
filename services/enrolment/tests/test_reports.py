"""Outcome reports of a course, figures checked against numbers computed by hand from a seeded scenario.

The scenario (one cohort of seven seats, three weekly sessions, withdrawal open until session 2):

* nine apply: p1-p4 and p8 of Data, p5-p7 of Sales, p9 of no known department. p1-p7 take the seven
  seats, p8 and p9 wait.
* session 1: p1-p5 and p7 present, p6 absent. Then p7 withdraws (a drop-out); p8 is offered the seat
  and confirms. Members from then on: p1-p6, p8.
* session 2: p1-p4, p6, p8 present, p5 excused. Session 3: p1-p3, p5, p8 present, p4 absent, p6 unmarked.
* homework 1: p1, p2, p3, p5 accepted, p4 returned, p8 awaiting review, p6 nothing.
  homework 2: p1, p2, p4, p5, p8 accepted, p3 returned then handed in again and accepted, p6 nothing.
* ratings (anonymous): session 1: 5, 4, 4; session 2: 5, 3, 5; session 3: 2, 4, 1.
* completion decided after session 3 (minimums 0.8 attendance, 0.7 homework).

By hand:

* participation: applied 9, enrolled 8 (p1-p6, p8, and p7 who withdrew), waitlisted 1 (p9), drop-outs 1
  (1/8 = 0.125).
* attendance (present / started sessions not excused): p1-p3 3/3, p4 2/3, p5 2/2, p6 1/3, p8 2/3:
  16 of 20 = 0.8.
* homework: 2 x 7 members = 14 assigned; handed in 6 + 6 = 12; accepted 4 + 6 = 10: 10/12 = 0.8333.
* completion (attendance over every session, homework accepted / assigned): p1, p2, p3, p5 complete;
  p4 (2/3, 1/2), p6 (1/3, 0) and p8 (2/3, 1/2) do not: 4 of the 8 enrolled = 0.5.
* feedback: 9 ratings, 33 points: 3.67; scores 1: 1, 2: 1, 3: 1, 4: 3, 5: 3.
* Data (p1-p4, p8): applied 5, enrolled 5, completed 3 of 5 (0.6), attendance 13/15 (0.8667),
  homework 8/10 (0.8). Sales (p5-p7): applied 3, enrolled 3, drop-outs 1 (0.3333), completed 1 of 3
  (0.3333), attendance 3/5 (0.6), homework 2/2 (1.0). No department (p9): applied 1, waitlisted 1.
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from enrolment.domain.cohort_run import AttendanceStatus, ReviewOutcome
from enrolment.domain.model import Applicant, Course, Rules, new_id
from enrolment.domain.reports import (
    CourseRecords,
    Filters,
    Period,
    Scope,
    Viewer,
    course_report,
    feedback_bars,
    participation_series,
    report_rows,
    scope_of,
)
from enrolment.service import cohort_runs as runs_use
from enrolment.service import handlers
from enrolment.service.cohort_runs import CohortRuns
from enrolment.service.ports import CourseRepository
from enrolment.tests.builders import CURATOR, NOW, TRAINER, published_course
from enrolment.tests.fakes import InMemoryCohortRuns, InMemoryCourseRepository
from shared.errors import Invalid

DEPARTMENTS = {
    "p1": "Data",
    "p2": "Data",
    "p3": "Data",
    "p4": "Data",
    "p5": "Sales",
    "p6": "Sales",
    "p7": "Sales",
    "p8": "Data",
    "p9": None,
}
RULES = Rules(capacity=7, withdrawal_until_session=2, min_attendance=0.8, min_homework=0.7)


@dataclass(frozen=True)
class Seeded:
    course_id: str
    cohort_id: str
    starts_on: date
    decided_at: datetime
    """After the last session: when the report is read."""


async def seed(courses: CourseRepository, runs: CohortRuns) -> Seeded:
    """The scenario of the module's docstring, through the service layer (any repositories)."""
    course = await published_course(courses, sessions=3, rules=RULES)
    cohort = course.cohorts[0]
    course_id, cohort_id = course.id, cohort.id
    s1, s2, s3 = cohort.session_starts
    rosters = handlers.CourseRosters(courses)

    def at(moment: datetime) -> runs_use.Clock:
        return lambda: moment

    async def apply(applicant: Applicant) -> None:
        await handlers.change(course_id, courses, lambda c: c.apply(applicant, new_id(), NOW))

    for person, department in DEPARTMENTS.items():
        await apply(Applicant(person, "ru", department=department))

    async def mark(number: int, moment: datetime, **statuses: AttendanceStatus) -> None:
        for person, status in statuses.items():
            await runs_use.mark_attendance(runs, rosters, course_id, cohort_id, number, person, status, at(moment))

    after1, after2, after3 = s1 + timedelta(hours=2), s2 + timedelta(hours=2), s3 + timedelta(hours=2)
    await mark(1, after1, p1="present", p2="present", p3="present", p4="present", p5="present", p7="present")
    await mark(1, after1, p6="absent")
    await handlers.withdraw(course_id, "p7", after1, courses)
    await handlers.confirm_offer(course_id, "p8", after1, courses)
    await mark(2, after2, p1="present", p2="present", p3="present", p4="present", p6="present", p8="present")
    await mark(2, after2, p5="excused")
    await mark(3, after3, p1="present", p2="present", p3="present", p5="present", p8="present", p4="absent")

    for number, due in ((1, s1 + timedelta(days=6)), (2, s2 + timedelta(days=6))):
        await runs_use.assign_homework(runs, rosters, course_id, cohort_id, number, f"Homework {number}", due)

    async def hand_in(homework: str, person: str, moment: datetime) -> None:
        await runs_use.submit_homework(
            runs, rosters, course_id, cohort_id, homework, person, "my answer", [], at(moment)
        )

    async def review(homework: str, person: str, outcome: ReviewOutcome, moment: datetime) -> None:
        comment = "Please add a test" if outcome == "returned" else None
        await runs_use.review_homework(
            runs, rosters, course_id, cohort_id, homework, person, outcome, comment, at(moment)
        )

    for person in ("p1", "p2", "p3", "p4", "p5", "p8"):
        await hand_in("hw-1", person, after1)
        await hand_in("hw-2", person, after2)
    for person in ("p1", "p2", "p3", "p5"):
        await review("hw-1", person, "accepted", after2)
    await review("hw-1", "p4", "returned", after2)
    for person in ("p1", "p2", "p4", "p5", "p8"):
        await review("hw-2", person, "accepted", after3)
    await review("hw-2", "p3", "returned", after2)
    await hand_in("hw-2", "p3", after2 + timedelta(hours=1))
    await review("hw-2", "p3", "accepted", after3)

    ratings = {1: {"p1": 5, "p2": 4, "p3": 4}, 2: {"p1": 5, "p4": 3, "p5": 5}, 3: {"p2": 2, "p8": 4, "p3": 1}}
    for number, given in ratings.items():
        moment = (after1, after2, after3)[number - 1]
        for person, rating in given.items():
            await runs_use.give_feedback(runs, rosters, course_id, cohort_id, number, person, rating, None, at(moment))
    await runs_use.decide_completion(runs, rosters, course_id, cohort_id, TRAINER, at(after3))
    return Seeded(course_id, cohort_id, s1.astimezone(UTC).date(), after3 + timedelta(hours=1))


# What the module's docstring computed by hand, as the report shows it.
EXPECTED_COURSE = {
    "applied": 9,
    "enrolled": 8,
    "waitlisted": 1,
    "offered": 0,
    "dropouts": 1,
    "dropout_rate": 0.125,
    "completion_enrolled": 8,
    "completed": 4,
    "not_completed": 3,
    "completion_rate": 0.5,
    "sessions_attended": 16,
    "sessions_possible": 20,
    "attendance_rate": 0.8,
    "homework_assigned": 14,
    "homework_handed_in": 12,
    "homework_accepted": 10,
    "homework_acceptance_rate": 0.8333,
    "feedback_responses": 9,
    "feedback_average": 3.67,
    "feedback_distribution": {"1": 1, "2": 1, "3": 1, "4": 3, "5": 3},
}
NO_FEEDBACK = {"feedback_responses": None, "feedback_average": None, "feedback_distribution": None}
EXPECTED_DATA = {
    **EXPECTED_COURSE,
    "applied": 5,
    "enrolled": 5,
    "waitlisted": 0,
    "dropouts": 0,
    "dropout_rate": 0.0,
    "completion_enrolled": 5,
    "completed": 3,
    "not_completed": 2,
    "completion_rate": 0.6,
    "sessions_attended": 13,
    "sessions_possible": 15,
    "attendance_rate": 0.8667,
    "homework_assigned": 10,
    "homework_handed_in": 10,
    "homework_accepted": 8,
    "homework_acceptance_rate": 0.8,
    **NO_FEEDBACK,
}
EXPECTED_SALES = {
    **EXPECTED_COURSE,
    "applied": 3,
    "enrolled": 3,
    "waitlisted": 0,
    "dropouts": 1,
    "dropout_rate": 0.3333,
    "completion_enrolled": 3,
    "completed": 1,
    "not_completed": 1,
    "completion_rate": 0.3333,
    "sessions_attended": 3,
    "sessions_possible": 5,
    "attendance_rate": 0.6,
    "homework_assigned": 4,
    "homework_handed_in": 2,
    "homework_accepted": 2,
    "homework_acceptance_rate": 1.0,
    **NO_FEEDBACK,
}
EXPECTED_UNKNOWN = {
    **dict.fromkeys(EXPECTED_COURSE, 0),
    "applied": 1,
    "waitlisted": 1,
    "dropout_rate": None,
    "completion_rate": None,
    "attendance_rate": None,
    "homework_acceptance_rate": None,
    **NO_FEEDBACK,
}
EXPECTED_HOMEWORK = {  # person: (assigned, handed in, accepted, rate)
    "p1": (2, 2, 2, 1.0),
    "p2": (2, 2, 2, 1.0),
    "p3": (2, 2, 2, 1.0),
    "p4": (2, 2, 1, 0.5),
    "p5": (2, 2, 2, 1.0),
    "p6": (2, 0, 0, None),
    "p8": (2, 2, 1, 0.5),
}

HR = Viewer("hr-olga", frozenset({"employee", "hr_admin"}))


async def seeded_records() -> tuple[CourseRecords, Seeded]:
    courses, runs = InMemoryCourseRepository(), InMemoryCohortRuns()
    seeded = await seed(courses, runs)
    course, _ = await handlers.get_course(seeded.course_id, courses)
    loaded = await runs.get(seeded.cohort_id)
    assert loaded is not None
    return CourseRecords(course, {seeded.cohort_id: loaded[0]}), seeded


async def test_the_figures_of_a_course_are_the_hand_computed_ones() -> None:
    records, seeded = await seeded_records()
    report = course_report(records, Scope(whole=True), Filters(), seeded.decided_at)
    assert vars(report.figures) == EXPECTED_COURSE
    [cohort] = report.cohorts
    # The cohort holds everyone but p9, who waits for any cohort and so belongs to the course only.
    assert vars(cohort.figures) == {**EXPECTED_COURSE, "applied": 8, "waitlisted": 0}
    assert (cohort.number, cohort.starts_on, cohort.finished) == (1, seeded.starts_on, True)
    assert [(d.department, vars(d.figures)) for d in report.departments] == [
        ("Data", EXPECTED_DATA),
        ("Sales", EXPECTED_SALES),
        (None, EXPECTED_UNKNOWN),
    ]
    assert {
        row.person_id: (row.assigned, row.handed_in, row.accepted, row.acceptance_rate)
        for row in report.homework_by_person
    } == EXPECTED_HOMEWORK


async def test_a_department_filter_counts_its_people_and_hides_anonymous_feedback() -> None:
    records, seeded = await seeded_records()
    report = course_report(records, Scope(whole=True), Filters(department="Sales"), seeded.decided_at)
    assert vars(report.figures) == EXPECTED_SALES
    assert [d.department for d in report.departments] == ["Sales"]
    assert sorted(row.person_id for row in report.homework_by_person) == ["p5", "p6"]


async def test_a_period_selects_cohorts_by_their_first_session() -> None:
    records, seeded = await seeded_records()
    day = timedelta(days=1)
    inside = Filters(Period(seeded.starts_on, seeded.starts_on))
    report = course_report(records, Scope(whole=True), inside, seeded.decided_at)
    # With a period only applications belonging to the chosen cohorts count: p9 waits for any cohort.
    assert vars(report.figures) == {**EXPECTED_COURSE, "applied": 8, "waitlisted": 0}
    before = Filters(Period(None, seeded.starts_on - day))
    empty = course_report(records, Scope(whole=True), before, seeded.decided_at)
    assert (empty.cohorts, empty.figures.applied, empty.figures.feedback_responses) == ([], 0, 0)
    after = Filters(Period(seeded.starts_on + day, None))
    assert course_report(records, Scope(whole=True), after, seeded.decided_at).cohorts == []


def test_a_period_ending_before_it_starts_is_refused_naming_to() -> None:
    with pytest.raises(Invalid) as refused:
        Period(date(2026, 12, 1), date(2026, 11, 30))
    assert refused.value.details == {"field": "to"}
    assert Period(date(2026, 12, 1), date(2026, 12, 1)).holds(date(2026, 12, 1))


async def test_rows_and_chart_series_carry_the_same_figures() -> None:
    records, seeded = await seeded_records()
    report = course_report(records, Scope(whole=True), Filters(), seeded.decided_at)
    rows = report_rows(report)
    assert [row["level"] for row in rows] == ["course", "cohort", "department", "department", "department"]
    assert rows[0]["completion_rate"] == 0.5 and rows[0]["feedback_4"] == 3 and rows[0]["attendance_rate"] == 0.8
    label = f"#1 {seeded.starts_on.isoformat()}"
    assert participation_series(report) == {
        "enrolled": [(label, 8)],
        "completed": [(label, 4)],
        "dropouts": [(label, 1)],
    }
    assert feedback_bars(report) == [("1", 1), ("2", 1), ("3", 1), ("4", 3), ("5", 3)]


async def test_who_sees_a_course_report() -> None:
    records, _ = await seeded_records()
    course = records.course
    whole = Scope(whole=True)
    assert scope_of(course, HR) == whole
    assert scope_of(course, Viewer("root", frozenset({"employee", "admin"}))) == whole
    assert scope_of(course, Viewer(CURATOR, frozenset({"employee", "curator"}))) == whole
    assert scope_of(course, Viewer(TRAINER, frozenset({"employee", "trainer"}))) == whole
    assert scope_of(course, Viewer("another-curator", frozenset({"employee", "curator"}))) is None
    assert scope_of(course, Viewer("another-trainer", frozenset({"employee", "trainer"}))) is None
    assert scope_of(course, Viewer("p1", frozenset({"employee"}))) is None
    # The reviewing curator without the curator role now (moved on) sees it no more.
    assert scope_of(course, Viewer(CURATOR, frozenset({"employee"}))) is None


async def test_a_substitute_trainer_sees_only_their_cohort() -> None:
    records, seeded = await seeded_records()
    course: Course = records.course
    course.cohorts[0] = replace(course.cohorts[0], trainer_id="sub-sam")
    scope = scope_of(course, Viewer("sub-sam", frozenset({"employee", "trainer"})))
    assert scope == Scope(whole=False, cohort_ids=frozenset({seeded.cohort_id}))
    report = course_report(records, scope, Filters(), seeded.decided_at)
    # Their cohort's figures; p9, waiting for the course as a whole, is not theirs to see.
    assert vars(report.figures) == {**EXPECTED_COURSE, "applied": 8, "waitlisted": 0}
