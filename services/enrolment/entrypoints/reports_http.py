"""Outcome reports over HTTP: a course's figures as JSON or CSV, and as charts (PNG or SVG).

* `GET /reports/courses/{course_id}`: the course, each cohort, each department, homework per person;
  `?format=csv` for a spreadsheet (course, cohort and department rows).
* `GET /reports/courses/{course_id}/charts/{participation|feedback}.{png|svg}`: enrolled, completed and
  dropped out per cohort (a line over the cohorts' starts), and the feedback scores (bars).
* `GET /reports/courses`: every published course the caller may see, the same figures (JSON or CSV).

Filters: `department`, `from` and `to` (dates, inclusive, of the cohorts' first sessions); what each
figure counts is in `enrolment.domain.reports`. Scope (REPORTS_POLICY): HR admins and admins see every
course, a curator the courses they reviewed, a trainer their own courses (a substitute trainer their
cohorts); anyone else 403. Unknown query parameters, a bad date, `to` before `from` and an unknown
format or chart are 422 naming the field; an unknown course is 404.
"""

import asyncio
from collections.abc import Callable, Collection
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from enrolment.domain.reports import (
    CSV_COLUMNS,
    CourseReport,
    Filters,
    Period,
    Viewer,
    feedback_bars,
    participation_series,
    report_rows,
)
from enrolment.service import reports as use
from enrolment.service.reports import ReportSource
from shared.auth.http import caller
from shared.auth.policy import Access, OwnershipRule, RequestFacts, allow
from shared.auth.tokens import Principal
from shared.errors import Invalid
from shared.reports import (
    FILTERS,
    MEDIA_TYPES,
    ChartFormat,
    Series,
    bar_chart,
    chart_format,
    line_chart,
    read_query,
    report_format,
    to_csv,
)

REPORT_READER = "trainer of this course or a curator who reviewed it"
READERS = ("trainer", "curator", "hr_admin", "admin")
SEE_ALL = ("hr_admin", "admin")
COURSE_REPORT = "/reports/courses/{course_id}"

REPORTS_POLICY: dict[str, Access] = {
    # The list is filtered to the caller's scope, so every reader may ask for it.
    "GET /reports/courses": allow(*READERS),
    f"GET {COURSE_REPORT}": allow(*READERS, owner=REPORT_READER, unless=SEE_ALL),
    f"GET {COURSE_REPORT}/charts/{{chart}}.{{fmt}}": allow(*READERS, owner=REPORT_READER, unless=SEE_ALL),
}

CHARTS = ("participation", "feedback")

Caller = Annotated[Principal, Depends(caller)]
Department = Annotated[str | None, Query(max_length=200, description="Only applicants of this department")]
From = Annotated[
    str | None, Query(alias="from", description="Cohorts whose first session is on or after this date (YYYY-MM-DD)")
]
To = Annotated[str | None, Query(description="Cohorts whose first session is on or before this date (YYYY-MM-DD)")]
Format = Annotated[str, Query(description="json (default) or csv")]


def report_ownership_rules(source: ReportSource) -> dict[str, OwnershipRule]:
    async def reader(principal: Principal, facts: RequestFacts) -> bool:
        return await use.in_scope(source, facts.path["course_id"], _viewer(principal))

    return {REPORT_READER: reader}


def _viewer(principal: Principal) -> Viewer:
    return Viewer(principal.person_id, frozenset(principal.roles))


def read_filters(request: Request, allowed: Collection[str]) -> Filters:
    query = read_query(request.query_params.multi_items(), allowed)
    return Filters(Period(query.start, query.end), query.department)


def report_json(report: CourseReport) -> dict[str, Any]:
    body = asdict(report)
    period = report.filters.period
    body["filters"] = {"from": period.start, "to": period.end, "department": report.filters.department}
    encoded: dict[str, Any] = jsonable_encoder(body)
    return encoded


def _csv(reports: list[CourseReport], name: str) -> Response:
    rows = [row for report in reports for row in report_rows(report)]
    return Response(
        to_csv(rows, CSV_COLUMNS),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def draw_chart(report: CourseReport, kind: str, fmt: ChartFormat) -> bytes:
    if kind == "participation":
        lines = participation_series(report)
        series = [
            Series("Enrolled", lines["enrolled"]),
            Series("Completed", lines["completed"]),
            Series("Dropped out", lines["dropouts"]),
        ]
        return line_chart(
            f"Participation and completion: {report.title}",
            series,
            y_label="people",
            x_label="cohort (first session)",
            fmt=fmt,
        )
    return bar_chart(
        f"Feedback scores: {report.title}", feedback_bars(report), y_label="ratings", x_label="score", fmt=fmt
    )


def reports_router(source: ReportSource, clock: Callable[[], datetime]) -> APIRouter:
    router = APIRouter(prefix="/reports/courses", tags=["reports"])

    @router.get("", response_model=None)
    async def all_courses(
        request: Request, who: Caller, department: Department = None, start: From = None, end: To = None,
        format: Format = "json",
    ) -> Response:  # fmt: skip
        """Every published course in the caller's scope, with its cohorts and departments."""
        filters = read_filters(request, FILTERS | {"format"})
        fmt = report_format(format)
        reports = await use.reports_of_courses(source, _viewer(who), filters, clock())
        if fmt == "csv":
            return _csv(reports, "courses")
        return JSONResponse({"courses": [report_json(report) for report in reports]})

    @router.get("/{course_id}", response_model=None)
    async def one_course(
        course_id: str, request: Request, who: Caller, department: Department = None, start: From = None,
        end: To = None, format: Format = "json",
    ) -> Response:  # fmt: skip
        """Participation, completion, attendance, homework, feedback and drop-outs of one course."""
        filters = read_filters(request, FILTERS | {"format"})
        fmt = report_format(format)
        report = await use.report_of_course(source, course_id, _viewer(who), filters, clock())
        if fmt == "csv":
            return _csv([report], f"course-{course_id}")
        return JSONResponse(report_json(report))

    @router.get("/{course_id}/charts/{chart}.{fmt}", response_model=None)
    async def course_chart(
        course_id: str, chart: str, fmt: str, request: Request, who: Caller, department: Department = None,
        start: From = None, end: To = None,
    ) -> Response:  # fmt: skip
        """participation (line: enrolled, completed, dropped out per cohort) or feedback (bars: scores 1-5)."""
        filters = read_filters(request, FILTERS)
        if chart not in CHARTS:
            raise Invalid(f"chart is one of {', '.join(CHARTS)}", field="chart")
        image_format = chart_format(fmt)
        report = await use.report_of_course(source, course_id, _viewer(who), filters, clock())
        # Drawing takes a CPU for a moment: off the event loop (the renderer keeps no global state).
        image = await asyncio.to_thread(draw_chart, report, chart, image_format)
        return Response(image, media_type=MEDIA_TYPES[image_format])

    return router
