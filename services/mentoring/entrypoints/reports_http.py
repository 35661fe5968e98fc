"""Outcome reports over HTTP: JSON, CSV (`?format=csv`) and charts (`.png` or `.svg`).

Filters: `department` (the mentee's, or the circle member's), `from` and `to` (inclusive dates of the
pairs' intake, the members' joining, the tasks' publishing). Any other query parameter is refused with a
422 naming it, so a misspelt filter never silently reports on everything.
"""

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from mentoring.domain.reports import OVERVIEW_COLUMNS, Scope, flatten
from mentoring.service import reports as uc
from mentoring.service.ports import Ports
from shared.auth.http import caller
from shared.auth.tokens import Principal
from shared.errors import NotFound
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

Who = Annotated[Principal, Depends(caller)]
SEES_ALL = ("hr_admin", "admin")
REPORT_PARAMS = FILTERS | {"format"}
CHART_PARAMS = FILTERS
PROGRAMME_CHARTS = ("participation", "feedback", "adaptation")
CIRCLE_CHARTS = ("participation", "feedback")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Department = Annotated[str | None, Query(description="Only this department (the mentee's, or the member's)")]
From = Annotated[str | None, Query(alias="from", description="Period start, YYYY-MM-DD, inclusive")]
To = Annotated[str | None, Query(description="Period end, YYYY-MM-DD, inclusive; not before `from`")]
Format = Annotated[str, Query(description="json or csv")]


def _viewer(who: Principal) -> uc.Viewer:
    return uc.Viewer(who.person_id, sees_all=who.has_any(SEES_ALL))


def _scope(request: Request, allowed: frozenset[str]) -> Scope:
    query = read_query(request.query_params.multi_items(), allowed)
    return Scope(query.department, query.start, query.end)


def _chart_name(chart: str, known: tuple[str, ...]) -> tuple[str, ChartFormat]:
    name, _, extension = chart.rpartition(".")
    fmt = chart_format(extension)
    if name not in known:
        raise NotFound(f"no chart {name!r}: there are {', '.join(known)}", chart=name)
    return name, fmt


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...], filename: str) -> Response:
    return Response(
        to_csv(rows, columns),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


async def _chart(draw: Callable[[], bytes], fmt: ChartFormat) -> Response:
    # Drawing takes a while and holds the CPU: off the event loop, so other requests go on meanwhile.
    return Response(await asyncio.to_thread(draw), media_type=MEDIA_TYPES[fmt])


def _report_answer(report: dict[str, Any], fmt: str, filename: str) -> Any:
    return _csv(flatten(report), ("metric", "value"), filename) if fmt == "csv" else report


# ------------------------------------------------------------------------------------------ charts


def programme_chart(report: dict[str, Any], name: str, fmt: ChartFormat) -> Callable[[], bytes]:
    title = report["programme"]["title"]
    if name == "participation":
        months = report["over_time"]
        series = [
            Series(label, [(line["month"], float(line[key])) for line in months])
            for key, label in (("pairs", "pairs begun"), ("completed", "completed"), ("dropped", "dropped out"))
        ]
        return lambda: line_chart(f"{title}: participation and completion", series, y_label="pairs", fmt=fmt)
    if name == "feedback":
        feedback = report["feedback"]
        distribution = feedback["distribution"] or {}
        bars = [(rating, float(distribution.get(rating, 0))) for rating in ("1", "2", "3", "4", "5")]
        hidden = " (too few answers to show)" if feedback["suppressed"] else ""
        return lambda: bar_chart(f"{title}: final feedback{hidden}", bars, y_label="answers", x_label="rating", fmt=fmt)
    if report["adaptation"] is None:
        raise NotFound("time to adapt is reported for classic mentoring of newcomers only", chart=name)
    cohorts = [(line["cohort"], float(line["mean_days"] or 0)) for line in report["adaptation_by_cohort"]]
    return lambda: bar_chart(
        f"{title}: time to adapt by cohort", cohorts, y_label="days (mean)", x_label="month the pair started", fmt=fmt
    )


def circle_chart(report: dict[str, Any], name: str, fmt: ChartFormat) -> Callable[[], bytes]:
    title = report["circle"]["topic"]
    if name == "participation":
        months = report["over_time"]
        series = [
            Series(label, [(line["month"], float(line[key])) for line in months])
            for key, label in (
                ("members_joined", "members joined"),
                ("tasks_published", "tasks published"),
                ("tasks_closed", "tasks closed"),
            )
        ]
        return lambda: line_chart(f"{title}: participation and completion", series, y_label="count", fmt=fmt)
    checks = report["feedback"]["check_distribution"]
    bars = [("passed", float(checks["passed"])), ("not passed", float(checks["not_passed"]))]
    return lambda: bar_chart(f"{title}: practical checks", bars, y_label="people checked", fmt=fmt)


# ------------------------------------------------------------------------------------------ router


def reports_router(ports: Ports, reader: uc.ReportReader) -> APIRouter:
    router = APIRouter(prefix="/reports", tags=["outcome reports"])
    not_found: dict[int | str, dict[str, Any]] = {404: {"description": "No such programme, circle or chart"}}
    as_report: dict[int | str, dict[str, Any]] = {
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV"}
    }
    as_chart: dict[int | str, dict[str, Any]] = {
        200: {"content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()}},
        **not_found,
    }

    @router.get("/programmes", responses=as_report)
    async def programmes(
        request: Request, who: Who, department: Department = None, from_: From = None, to: To = None,
        format: Format = "json",
    ) -> Any:  # fmt: skip
        """Every programme in your reach, one line each, and time to adapt compared across cohorts."""
        scope, fmt = _scope(request, REPORT_PARAMS), report_format(format)
        report = await uc.programmes_report(ports, reader, _viewer(who), scope)
        return _csv(report["programmes"], OVERVIEW_COLUMNS, "programmes") if fmt == "csv" else report

    @router.get("/programmes/{programme_id}", responses={**as_report, **not_found})
    async def programme(
        programme_id: str, request: Request, who: Who, department: Department = None, from_: From = None,
        to: To = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        """Participation, completion, goals, meetings per pair, feedback, drop-outs and time to adapt."""
        scope, fmt = _scope(request, REPORT_PARAMS), report_format(format)
        report = await uc.programme_report(ports, reader, programme_id, _viewer(who), scope)
        return _report_answer(report, fmt, f"programme-{programme_id}")

    @router.get("/programmes/{programme_id}/charts/{chart}", response_class=Response, responses=as_chart)
    async def programme_chart_file(
        programme_id: str, chart: str, request: Request, who: Who, department: Department = None,
        from_: From = None, to: To = None,
    ) -> Response:  # fmt: skip
        """participation.png, feedback.png or adaptation.png (or .svg)."""
        name, fmt = _chart_name(chart, PROGRAMME_CHARTS)
        scope = _scope(request, CHART_PARAMS)
        report = await uc.programme_report(ports, reader, programme_id, _viewer(who), scope)
        return await _chart(programme_chart(report, name, fmt), fmt)

    @router.get("/circles/{circle_id}", responses={**as_report, **not_found})
    async def circle(
        circle_id: str, request: Request, who: Who, department: Department = None, from_: From = None,
        to: To = None, format: Format = "json",
    ) -> Any:  # fmt: skip
        """Members, tasks closed, solutions, practical checks, helpful marks and reflections, members who left."""
        scope, fmt = _scope(request, REPORT_PARAMS), report_format(format)
        report = await uc.circle_report(ports, reader, circle_id, _viewer(who), scope)
        return _report_answer(report, fmt, f"circle-{circle_id}")

    @router.get("/circles/{circle_id}/charts/{chart}", response_class=Response, responses=as_chart)
    async def circle_chart_file(
        circle_id: str, chart: str, request: Request, who: Who, department: Department = None,
        from_: From = None, to: To = None,
    ) -> Response:  # fmt: skip
        """participation.png or feedback.png (or .svg)."""
        name, fmt = _chart_name(chart, CIRCLE_CHARTS)
        scope = _scope(request, CHART_PARAMS)
        report = await uc.circle_report(ports, reader, circle_id, _viewer(who), scope)
        return await _chart(circle_chart(report, name, fmt), fmt)

    return router
