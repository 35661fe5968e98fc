"""Courses as tests need them: proposed, approved and with a first cohort a week ahead."""

from datetime import UTC, date, datetime, timedelta

from enrolment.domain.model import Course, Proposal, Rules
from enrolment.domain.schedule import Slot
from enrolment.service import handlers
from enrolment.service.ports import CourseRepository

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""A Monday morning: tests pass it as `now`, so sessions and deadlines are predictable."""

TRAINER, CURATOR = "trainer-tom", "curator-irina"
SLOT = Slot(weekday=2, local_time="15:00", time_zone="Europe/Moscow")


def proposal(title: str = "Автотесты на 1С", sessions: int = 4, competencies: tuple[str, ...] = ("1c",)) -> Proposal:  # noqa: RUF001
    return Proposal(
        title_en=None,
        title_ru=title,
        description="Теория и практика",
        competencies=competencies,
        language="ru",
        sessions=sessions,
        weekly_effort_hours=3,
    )


async def published_course(
    courses: CourseRepository,
    *,
    title: str = "Автотесты на 1С",  # noqa: RUF001
    capacity: int = 7,
    sessions: int = 4,
    rules: Rules | None = None,
    now: datetime = NOW,
    start: date | None = None,
    cohort: bool = True,
) -> Course:
    """A course a curator approved, with one cohort whose first session is a week after `now`."""
    chosen = rules or Rules(capacity=capacity)
    course = await handlers.propose_course(handlers.ProposeCourse(TRAINER, proposal(title, sessions), chosen), courses)
    course = await handlers.review_course(course.id, CURATOR, "approved", None, now, courses)
    if cohort:
        _, course = await handlers.add_cohort(
            handlers.AddCohort(course.id, SLOT, start or (now + timedelta(days=7)).date()), now, courses
        )
    return course
