"""Reports for curators, trainers and HR (courses from enrolment, programmes from mentoring, their charts
and CSV exports), and HR's desk: the directory's CSV import with its result and its history (every run,
and one run's per-line problems), and a person's privacy export.

Chart images and files are fetched by the portal with the person's own token and passed through: the
browser never holds a token, and each service still decides what this person may see.
"""

import asyncio
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from portal.adapters.api import ApiError, ServiceApi
from portal.adapters.raw import Download, RowsRefused, fetch, send_text
from portal.entrypoints.web import FormState, Viewer, form_of, portal_of, render, translator, viewer

Who = Annotated[Viewer, Depends(viewer)]
COURSE_CHARTS = ("participation", "feedback")
PROGRAMME_CHARTS = ("participation", "feedback")  # adaptation only for newcomer programmes: on the API
REPORT_FIELDS = ("from", "to", "department")
CHART_SIZE = (960, 540)
"""The services draw every chart at this size (shared.reports.CHART_SIZE_PX): the page keeps the room for it
before a lazily loaded image arrives."""
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SAFE_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,200}$")
HISTORY_PAGE = 10
"""Import runs per page of the history on the HR desk."""


def report_filters(values: dict[str, str]) -> dict[str, str]:
    """The filters both report APIs take, blanks dropped."""
    return {key: values[key].strip() for key in REPORT_FIELDS if values.get(key, "").strip()}


def passed_through(found: Download, filename: str | None = None) -> Response:
    headers = {"Cache-Control": "private, max-age=60"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(found.content, media_type=found.media_type, headers=headers)


async def report_or_none(
    api: ServiceApi, path: str, token: str, filters: dict[str, str]
) -> tuple[Any, ApiError | None]:
    """A report, or the refusal (403: not this person's; 422: a bad filter) to show instead."""
    try:
        return await api.get(path, token, **filters), None
    except ApiError as error:
        return None, error


async def names_of(directory: ServiceApi, token: str, person_ids: list[str]) -> dict[str, str]:
    """Display names of the people who started import runs; an id the directory cannot name stays an id."""
    wanted = sorted({person_id for person_id in person_ids if person_id != "cli" and SAFE_ID.match(person_id)})

    async def name_of(person_id: str) -> tuple[str, str]:
        try:
            found = await directory.find(f"/people/{person_id}", token)
        except ApiError:
            found = None
        return person_id, str((found or {}).get("display_name") or person_id)

    return dict(await asyncio.gather(*(name_of(person_id) for person_id in wanted)))


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/reports")
    async def reports(request: Request, who: Who) -> HTMLResponse:
        typed = {key: request.query_params.get(key, "") for key in REPORT_FIELDS}
        filters = report_filters(typed)
        apis = portal_of(request).apis
        (courses, course_error), (programmes, programme_error) = await asyncio.gather(
            report_or_none(apis.enrolment, "/reports/courses", who.token, filters),
            report_or_none(apis.mentoring, "/reports/programmes", who.token, filters),
        )
        form = FormState(values=typed)
        for error in (course_error, programme_error):
            if error is not None and error.status == 422:
                form.refused(request, error, REPORT_FIELDS)
        query = urlencode(filters)
        return render(
            request,
            "admin_reports.html",
            courses=(courses or {}).get("courses", []),
            programmes=(programmes or {}).get("programmes", []),
            course_error=course_error,
            programme_error=programme_error,
            course_charts=COURSE_CHARTS,
            programme_charts=PROGRAMME_CHARTS,
            chart_size=CHART_SIZE,
            query=query,
            form=form,
        )

    @router.get("/reports/charts/courses/{course_id}/{chart}.png")
    async def course_chart(request: Request, who: Who, course_id: str, chart: str) -> Response:
        filters = report_filters(dict(request.query_params))
        path = f"/reports/courses/{course_id}/charts/{chart}.png"
        return passed_through(await fetch(portal_of(request).apis.enrolment, path, who.token, **filters))

    @router.get("/reports/charts/programmes/{programme_id}/{chart}.png")
    async def programme_chart(request: Request, who: Who, programme_id: str, chart: str) -> Response:
        filters = report_filters(dict(request.query_params))
        path = f"/reports/programmes/{programme_id}/charts/{chart}.png"
        return passed_through(await fetch(portal_of(request).apis.mentoring, path, who.token, **filters))

    @router.get("/reports/export/{kind}.csv")
    async def export_report(request: Request, who: Who, kind: str) -> Response:
        filters = report_filters(dict(request.query_params))
        apis = portal_of(request).apis
        api, path = (
            (apis.mentoring, "/reports/programmes") if kind == "programmes" else (apis.enrolment, "/reports/courses")
        )
        found = await fetch(api, path, who.token, format="csv", **filters)
        return passed_through(found, f"owlery-{'programmes' if kind == 'programmes' else 'courses'}.csv")

    # ------------------------------------------------------------------------------------ HR desk
    async def hr_page(
        request: Request,
        who: Viewer,
        form: FormState | None = None,
        result: dict[str, Any] | None = None,
        rows: list[dict[str, Any]] | None = None,
        status: int = 200,
        offset: int = 0,
    ) -> HTMLResponse:
        directory = portal_of(request).apis.directory
        history, history_error = await report_or_none(
            directory, "/imports", who.token, {"limit": str(HISTORY_PAGE), "offset": str(offset)}
        )
        runs = (history or {}).get("items", [])
        return render(
            request,
            "admin_hr.html",
            status_code=status,
            form=form or FormState(),
            result=result,
            rows=rows or [],
            runs=runs,
            names=await names_of(directory, who.token, [run["started_by"] for run in runs]),
            history_error=history_error,
            history_total=int((history or {}).get("total", 0)),
            offset=offset,
            page_size=HISTORY_PAGE,
        )

    @router.get("/hr")
    async def hr(request: Request, who: Who, offset: int = 0) -> HTMLResponse:
        return await hr_page(request, who, offset=max(0, offset))

    @router.get("/hr/imports/{import_id}")
    async def import_run(request: Request, who: Who, import_id: str) -> HTMLResponse:
        if not SAFE_ID.match(import_id):
            raise ApiError(404, f"no import run {import_id}")
        directory = portal_of(request).apis.directory
        run = await directory.get(f"/imports/{import_id}", who.token)
        names = await names_of(directory, who.token, [run["started_by"]])
        return render(request, "admin_import.html", run=run, names=names)

    @router.post("/hr/import")
    async def import_people(request: Request, who: Who) -> Response:
        typed = await form_of(request)
        text = typed.get("csv", "")
        form = FormState(values={"csv": text})
        if not text.strip():
            form.errors["csv"] = translator(request)("hr.csv_empty")
            return await hr_page(request, who, form, status=422)
        try:
            result = await send_text(portal_of(request).apis.directory, "/people/import", who.token, text, "text/csv")
        except RowsRefused as refused:
            form.refused(request, refused, ("csv",))
            form.errors["csv"] = form.errors.pop("_form", form.errors.get("csv", ""))
            return await hr_page(request, who, form, rows=refused.rows, status=refused.status)
        except ApiError as error:
            form.refused(request, error, ("csv",))
            return await hr_page(request, who, form, status=error.status)
        return await hr_page(request, who, FormState(), result=result)

    @router.get("/hr/export")
    async def export_person(request: Request, who: Who, person_id: str = "") -> Response:
        wanted = person_id.strip()
        if not SAFE_ID.match(wanted):
            form = FormState(values={"person_id": person_id})
            form.errors["person_id"] = translator(request)("hr.person_id_invalid")
            return await hr_page(request, who, form, status=422)
        try:
            found = await fetch(portal_of(request).apis.directory, f"/people/{wanted}/export", who.token)
        except ApiError as error:
            form = FormState(values={"person_id": person_id}).refused(request, error, ("person_id",))
            if "_form" in form.errors:
                form.errors["person_id"] = form.errors.pop("_form")
            return await hr_page(request, who, form, status=error.status)
        return passed_through(found, f"owlery-export-{wanted}.json")

    return router
