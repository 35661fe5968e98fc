"""Outcome reports: load a course with its cohort runs, check the viewer's scope, compute the figures."""

from datetime import datetime
from typing import Protocol

from enrolment.domain.reports import CourseRecords, CourseReport, Filters, Viewer, course_report, scope_of
from shared.errors import Forbidden, NotFound


class ReportSource(Protocol):
    """Read-only access to courses and their runs, as reports need them."""

    async def course(self, course_id: str) -> CourseRecords | None:
        """The course with the runs of its cohorts; None for an unknown course."""
        ...

    async def published(self) -> list[CourseRecords]:
        """Every published course with the runs of its cohorts (the only courses with outcomes)."""
        ...


async def records_in_scope(source: ReportSource, course_id: str, viewer: Viewer) -> CourseRecords:
    records = await source.course(course_id)
    if records is None:
        raise NotFound(f"course {course_id} does not exist", course_id=course_id)
    if scope_of(records.course, viewer) is None:
        raise Forbidden(
            "a course's report is for its trainer, the curators who reviewed it, HR admins and admins",
            course_id=course_id,
        )
    return records


async def in_scope(source: ReportSource, course_id: str, viewer: Viewer) -> bool:
    """Whether the viewer may see the course's report; NotFound for an unknown course."""
    records = await source.course(course_id)
    if records is None:
        raise NotFound(f"course {course_id} does not exist", course_id=course_id)
    return scope_of(records.course, viewer) is not None


async def report_of_course(
    source: ReportSource, course_id: str, viewer: Viewer, filters: Filters, now: datetime
) -> CourseReport:
    records = await records_in_scope(source, course_id, viewer)
    scope = scope_of(records.course, viewer)
    assert scope is not None  # records_in_scope refused otherwise
    return course_report(records, scope, filters, now)


async def reports_of_courses(
    source: ReportSource, viewer: Viewer, filters: Filters, now: datetime
) -> list[CourseReport]:
    """The reports of every published course the viewer may see (none is no error: an empty list)."""
    reports = []
    for records in await source.published():
        scope = scope_of(records.course, viewer)
        if scope is not None:
            reports.append(course_report(records, scope, filters, now))
    return reports
