"""Outcome reports of a course and its cohorts: plain figures over the course aggregate and its cohort runs.

What each figure counts (the HTTP entrypoint, `reports_http`, refers here):

* applied: the course's applications (one per person: a new application replaces an ended one).
* enrolled: applications that hold or held a seat in a cohort: enrolled now, or withdrawn after enrolment.
* waitlisted / offered: on the waitlist now / holding an open seat offer now.
* dropouts: withdrawn after enrolment (they held a seat and left before completion was decided).
* completion: completed / enrolled, over cohorts whose completion is decided (a running cohort is in neither).
* attendance: sessions attended / sessions possible, for the cohort's members now, over sessions that have
  started; an excused absence is not possible, an unmarked session is (as the completion rule counts it).
* homework acceptance: accepted / handed in, per homework and member, by the submission's latest state
  (a returned attempt handed in again counts once); `assigned` is homework x members.
* feedback: every session rating (1 to 5) of the cohorts: their number, average and distribution.
  Ratings are anonymous by default, so feedback has no department: with a department filter it is left out.

Who is counted where: an application belongs to the cohort it holds a seat in, was offered a seat in or
asked for (`preferred_cohort_id`); one that waits for any cohort (or for a manager, or ended before a
seat) belongs to the course only. The period (`from`/`to`, inclusive) selects cohorts by the date
(UTC) of their first session: applications carry no time of their own. With a period, or for a viewer
who sees only some cohorts, only applications belonging to the selected cohorts are counted.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from enrolment.domain.cohort_run import CohortRun
from enrolment.domain.model import Application, ApplicationStatus, Cohort, Course
from enrolment.domain.moments import utc
from shared.errors import Invalid

SCORES = (1, 2, 3, 4, 5)
SEE_EVERY_COURSE = frozenset({"hr_admin", "admin"})


def rate(numerator: int, denominator: int) -> float | None:
    """A share rounded to 4 places; None when there is nothing to divide by (not 0: nothing happened)."""
    return round(numerator / denominator, 4) if denominator else None


# --- filters and scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Cohorts whose first session falls on `start`..`end` (both inclusive, either open)."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise Invalid("the period ends before it starts: `to` precedes `from`", field="to")

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def holds(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Filters:
    period: Period = field(default_factory=Period)
    department: str | None = None
    """Only applicants (and members) of this department, as their application recorded it."""


@dataclass(frozen=True)
class Viewer:
    person_id: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Scope:
    """What of a course a viewer may see: all of it, or only some of its cohorts."""

    whole: bool
    cohort_ids: frozenset[str] = frozenset()

    def sees(self, cohort: Cohort) -> bool:
        return self.whole or cohort.id in self.cohort_ids


def scope_of(course: Course, viewer: Viewer) -> Scope | None:
    """HR admins and admins see every course; a curator the courses they reviewed (any verdict: the course
    records no programme, its reviewing curators are who answers for it); its trainer the whole course; a
    cohort's own trainer (a substitute) that cohort. Anyone else nothing (None)."""
    roles, person = viewer.roles, viewer.person_id
    if roles & SEE_EVERY_COURSE:
        return Scope(whole=True)
    if "curator" in roles and any(review.curator_id == person for review in course.reviews):
        return Scope(whole=True)
    if "trainer" in roles:
        if course.trainer_id == person:
            return Scope(whole=True)
        taught = frozenset(c.id for c in course.cohorts if c.trainer_id == person)
        if taught:
            return Scope(whole=False, cohort_ids=taught)
    return None


# --- figures ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    applied: int
    enrolled: int
    waitlisted: int
    offered: int
    dropouts: int
    dropout_rate: float | None
    completion_enrolled: int
    """Enrolled in cohorts whose completion is decided: the denominator of the completion rate."""
    completed: int
    not_completed: int
    completion_rate: float | None
    sessions_attended: int
    sessions_possible: int
    attendance_rate: float | None
    homework_assigned: int
    homework_handed_in: int
    homework_accepted: int
    homework_acceptance_rate: float | None
    feedback_responses: int | None
    feedback_average: float | None
    feedback_distribution: dict[str, int] | None
    """Responses per score "1".."5"; None (like the two above) when a department filter hides feedback."""


@dataclass(frozen=True)
class PersonHomework:
    cohort_id: str
    person_id: str
    department: str | None
    assigned: int
    handed_in: int
    accepted: int
    acceptance_rate: float | None


@dataclass(frozen=True)
class CohortReport:
    cohort_id: str
    number: int
    starts_on: date
    trainer_id: str
    finished: bool
    figures: Figures


@dataclass(frozen=True)
class DepartmentReport:
    department: str | None
    figures: Figures


@dataclass(frozen=True)
class CourseReport:
    course_id: str
    title: str
    trainer_id: str
    filters: Filters
    figures: Figures
    cohorts: list[CohortReport]
    departments: list[DepartmentReport]
    homework_by_person: list[PersonHomework]


@dataclass(frozen=True)
class CourseRecords:
    """A course with the runs of its cohorts (by cohort id; a cohort with nothing recorded yet has none)."""

    course: Course
    runs: Mapping[str, CohortRun]


_ANY = object()  # no department filter (None is a department: "not known")


def starts_on(cohort: Cohort) -> date:
    return utc(min(cohort.session_starts)).date()


def cohort_of(course: Course, application: Application) -> str | None:
    """The cohort an application belongs to (see the module's docstring); None: the course only."""
    if application.cohort_id is not None:
        return application.cohort_id
    offer = course.offers.get(application.person_id)
    if offer is not None and application.status is ApplicationStatus.OFFERED:
        return offer.cohort_id
    return application.preferred_cohort_id


def _held_seat(application: Application) -> bool:
    return application.cohort_id is not None and application.status in (
        ApplicationStatus.ENROLLED,
        ApplicationStatus.WITHDRAWN,
    )


def figures(
    records: CourseRecords,
    cohorts: Sequence[Cohort],
    now: datetime,
    *,
    unplaced: bool,
    department: object = _ANY,
) -> Figures:
    """The figures over `cohorts` (and, if `unplaced`, the applications belonging to no cohort)."""
    course = records.course
    cohort_ids = {c.id for c in cohorts}

    def counted(application: Application) -> bool:
        return department is _ANY or application.department == department

    applications = [
        a
        for a in course.applications.values()
        if counted(a) and ((home := cohort_of(course, a)) in cohort_ids or (unplaced and home is None))
    ]
    enrolled = [a for a in applications if _held_seat(a)]
    dropouts = sum(1 for a in enrolled if a.status is ApplicationStatus.WITHDRAWN)

    completion_enrolled = completed = not_completed = 0
    attended = possible = assigned = handed_in = accepted = 0
    scores: dict[str, int] = {str(score): 0 for score in SCORES}
    for cohort in cohorts:
        run = records.runs.get(cohort.id)
        members = [p for p in cohort.members if (m := course.applications.get(p)) is not None and counted(m)]
        for person in members:
            present, countable = attendance_of(run, cohort, person, now)
            attended, possible = attended + present, possible + countable
            got, gave, took = homework_of(run, person)
            assigned, handed_in, accepted = assigned + got, handed_in + gave, accepted + took
        if run is None:
            continue
        if run.finished:
            completion_enrolled += sum(1 for a in enrolled if a.cohort_id == cohort.id)
            # By the person's application, not the roster now: the decision is the record of completion.
            decided = [
                d for d in run.decisions if (m := course.applications.get(d.person_id)) is not None and counted(m)
            ]
            completed += sum(1 for d in decided if d.completed)
            not_completed += sum(1 for d in decided if not d.completed)
        for session in run.sessions:
            for rating in session.ratings:
                scores[str(rating.rating)] = scores.get(str(rating.rating), 0) + 1
    responses = sum(scores.values())
    total = sum(int(score) * count for score, count in scores.items())
    hide_feedback = department is not _ANY
    return Figures(
        applied=len(applications),
        enrolled=len(enrolled),
        waitlisted=sum(1 for a in applications if a.status is ApplicationStatus.WAITLISTED),
        offered=sum(1 for a in applications if a.status is ApplicationStatus.OFFERED),
        dropouts=dropouts,
        dropout_rate=rate(dropouts, len(enrolled)),
        completion_enrolled=completion_enrolled,
        completed=completed,
        not_completed=not_completed,
        completion_rate=rate(completed, completion_enrolled),
        sessions_attended=attended,
        sessions_possible=possible,
        attendance_rate=rate(attended, possible),
        homework_assigned=assigned,
        homework_handed_in=handed_in,
        homework_accepted=accepted,
        homework_acceptance_rate=rate(accepted, handed_in),
        feedback_responses=None if hide_feedback else responses,
        feedback_average=None if hide_feedback or not responses else round(total / responses, 2),
        feedback_distribution=None if hide_feedback else scores,
    )


def attendance_of(run: CohortRun | None, cohort: Cohort, person_id: str, now: datetime) -> tuple[int, int]:
    """(sessions attended, sessions possible) of one member, over sessions started by `now`."""
    if run is None:  # nothing marked yet: every started session is possible and none attended
        return 0, cohort.sessions_started(now)
    marks = [s.attendance.get(person_id) for s in run.sessions if s.started(now)]
    return marks.count("present"), len(marks) - marks.count("excused")


def homework_of(run: CohortRun | None, person_id: str) -> tuple[int, int, int]:
    """(assigned, handed in, accepted) of one member."""
    if run is None:
        return 0, 0, 0
    submissions = [h.submissions.get(person_id) for h in run.homework]
    handed = [s for s in submissions if s is not None]
    return len(submissions), len(handed), sum(1 for s in handed if s.status == "accepted")


# --- the report -------------------------------------------------------------------------------------------


def selected_cohorts(course: Course, scope: Scope, period: Period) -> list[Cohort]:
    return [c for c in course.cohorts if scope.sees(c) and period.holds(starts_on(c))]


def course_report(records: CourseRecords, scope: Scope, filters: Filters, now: datetime) -> CourseReport:
    course = records.course
    cohorts = selected_cohorts(course, scope, filters.period)
    unplaced = scope.whole and not filters.period.bounded
    department: object = _ANY if filters.department is None else filters.department
    total = figures(records, cohorts, now, unplaced=unplaced, department=department)
    per_cohort = [
        CohortReport(
            c.id,
            c.number,
            starts_on(c),
            c.trainer_id,
            (run := records.runs.get(c.id)) is not None and run.finished,
            figures(records, [c], now, unplaced=False, department=department),
        )
        for c in cohorts
    ]
    known = sorted({a.department for a in course.applications.values()}, key=lambda d: (d is None, d or ""))
    wanted = known if filters.department is None else [filters.department]
    per_department = [
        DepartmentReport(d, figures(records, cohorts, now, unplaced=unplaced, department=d)) for d in wanted
    ]
    return CourseReport(
        course_id=course.id,
        title=course.title,
        trainer_id=course.trainer_id,
        filters=filters,
        figures=total,
        cohorts=per_cohort,
        departments=[d for d in per_department if d.figures.applied or filters.department is not None],
        homework_by_person=homework_by_person(records, cohorts, filters.department),
    )


def homework_by_person(
    records: CourseRecords, cohorts: Iterable[Cohort], department: str | None
) -> list[PersonHomework]:
    course, rows = records.course, []
    for cohort in cohorts:
        run = records.runs.get(cohort.id)
        for person in cohort.members:
            application = course.applications.get(person)
            person_department = application.department if application else None
            if department is not None and person_department != department:
                continue
            assigned, handed_in, accepted = homework_of(run, person)
            rows.append(
                PersonHomework(
                    cohort.id, person, person_department, assigned, handed_in, accepted, rate(accepted, handed_in)
                )
            )
    return rows


# --- as rows and chart series -----------------------------------------------------------------------------

FIGURE_COLUMNS = tuple(name for name in Figures.__dataclass_fields__ if name != "feedback_distribution") + tuple(
    f"feedback_{score}" for score in SCORES
)
CSV_COLUMNS = ("level", "course_id", "title", "cohort_id", "cohort_number", "starts_on", "department", *FIGURE_COLUMNS)


def figure_row(values: Figures) -> dict[str, object]:
    row: dict[str, object] = {name: getattr(values, name) for name in FIGURE_COLUMNS if hasattr(values, name)}
    for score in SCORES:
        row[f"feedback_{score}"] = (values.feedback_distribution or {}).get(str(score))
    return row


def report_rows(report: CourseReport) -> list[dict[str, object]]:
    """The report as flat rows (course, then each cohort, then each department), for a spreadsheet."""
    head = {"course_id": report.course_id, "title": report.title, "department": report.filters.department}
    rows = [{"level": "course", **head, **figure_row(report.figures)}]
    rows += [
        {
            "level": "cohort",
            **head,
            "cohort_id": c.cohort_id,
            "cohort_number": c.number,
            "starts_on": c.starts_on.isoformat(),
            **figure_row(c.figures),
        }
        for c in report.cohorts
    ]
    rows += [
        {"level": "department", **head, "department": d.department, **figure_row(d.figures)} for d in report.departments
    ]
    return rows


def participation_series(report: CourseReport) -> dict[str, list[tuple[str, float]]]:
    """Per cohort, in order of start: enrolled, completed and dropped out (a chart's lines)."""
    labels = [f"#{c.number} {c.starts_on.isoformat()}" for c in report.cohorts]
    return {
        "enrolled": [(x, c.figures.enrolled) for x, c in zip(labels, report.cohorts, strict=True)],
        "completed": [(x, c.figures.completed) for x, c in zip(labels, report.cohorts, strict=True) if c.finished],
        "dropouts": [(x, c.figures.dropouts) for x, c in zip(labels, report.cohorts, strict=True)],
    }


def feedback_bars(report: CourseReport) -> list[tuple[str, float]]:
    distribution = report.figures.feedback_distribution or {}
    return [(str(score), distribution.get(str(score), 0)) for score in SCORES]
