"""A trainer's course management: propose a course, then manage it (cohorts, each session's room,
materials and recording, the feedback averages enrolment offers)."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.adapters.raw import patch
from portal.entrypoints.pages_formats import scoped, tags_of
from portal.entrypoints.web import FormState, Viewer, form_of, portal_of, render, viewer

Who = Annotated[Viewer, Depends(viewer)]
COURSE_FIELDS = (
    "title_ru",
    "title_en",
    "description",
    "competencies",
    "language",
    "sessions",
    "weekly_effort_hours",
    "prerequisites",
    "capacity",
    "weekday",
    "local_time",
    "time_zone",
)
COHORT_FIELDS = ("weekday", "local_time", "time_zone", "start_date", "capacity")
SESSION_FIELDS = ("room_url", "recording_url", "materials", "starts_at")
WEEKDAYS = ("0", "1", "2", "3", "4", "5", "6")
COURSE_DEFAULTS = {
    "language": "ru",
    "sessions": "4",
    "weekly_effort_hours": "2",
    "capacity": "7",
    "weekday": "2",
    "local_time": "15:00",
    "time_zone": "Europe/Moscow",
}


def number(text: str) -> Any:
    """A typed number as a number; anything else as typed, for the API to name the field."""
    text = text.strip().replace(",", ".")
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def course_body(typed: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title_ru": typed.get("title_ru", "").strip() or None,
        "title_en": typed.get("title_en", "").strip() or None,
        "description": typed.get("description", ""),
        "competencies": tags_of(typed.get("competencies", "")),
        "language": typed.get("language", "ru"),
        "sessions": number(typed.get("sessions", "")),
        "weekly_effort_hours": number(typed.get("weekly_effort_hours", "")),
        "prerequisites": typed.get("prerequisites", ""),
        "rules": {"capacity": number(typed.get("capacity", ""))},
    }
    if typed.get("local_time"):
        body["availability"] = [
            {
                "weekday": number(typed.get("weekday", "")),
                "local_time": typed.get("local_time", ""),
                "time_zone": typed.get("time_zone", "").strip(),
            }
        ]
    return body


def average(ratings: list[dict[str, Any]]) -> float | None:
    scores = [float(rating["rating"]) for rating in ratings if rating.get("rating") is not None]
    return round(sum(scores) / len(scores), 2) if scores else None


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def propose_page(request: Request, who: Viewer, form: FormState, status: int = 200) -> HTMLResponse:
        page = await portal_of(request).apis.enrolment.get("/courses", who.token, limit=200)
        mine = [item for item in page["items"] if item["trainer_id"] == who.person_id]
        return render(
            request, "formats_propose_course.html", status_code=status, form=form, weekdays=WEEKDAYS, mine=mine
        )

    @router.get("/teaching/propose")
    async def propose_form(request: Request, who: Who) -> HTMLResponse:
        return await propose_page(request, who, FormState(values=dict(COURSE_DEFAULTS)))

    @router.post("/teaching/propose")
    async def propose(request: Request, who: Who) -> Response:
        typed = await form_of(request)
        try:
            created = await portal_of(request).apis.enrolment.post("/courses", who.token, course_body(typed))
        except ApiError as error:
            form = FormState(values=typed).refused(request, error, COURSE_FIELDS)
            return await propose_page(request, who, form, error.status)
        return RedirectResponse(f"/courses/{created['id']}/manage?proposed=1", status_code=303)

    async def manage_page(
        request: Request, who: Viewer, course_id: str, form: FormState | None = None, status: int = 200
    ) -> HTMLResponse:
        enrolment = portal_of(request).apis.enrolment
        course, profile = await asyncio.gather(
            enrolment.get(f"/courses/{course_id}", who.token),
            enrolment.find(f"/trainers/{who.person_id}", who.token),
        )
        runs = await asyncio.gather(
            *(
                enrolment.find(f"/courses/{course_id}/cohorts/{cohort['id']}/run", who.token)
                for cohort in course["cohorts"]
            )
        )
        given = next((item for item in (profile or {}).get("courses", []) if item.get("course_id") == course_id), None)
        return render(
            request,
            "formats_manage_course.html",
            status_code=status,
            course=course,
            runs=dict(zip([cohort["id"] for cohort in course["cohorts"]], runs, strict=True)),
            rating=(given or {}).get("rating"),
            average=average,
            weekdays=WEEKDAYS,
            proposed=bool(request.query_params.get("proposed")),
            form=form
            or FormState(
                values={"cohort-weekday": "2", "cohort-local_time": "15:00", "cohort-time_zone": "Europe/Moscow"}
            ),
        )

    @router.get("/courses/{course_id}/manage")
    async def manage(request: Request, who: Who, course_id: str) -> HTMLResponse:
        return await manage_page(request, who, course_id)

    @router.post("/courses/{course_id}/manage/cohorts")
    async def add_cohort(request: Request, who: Who, course_id: str) -> Response:
        typed = await form_of(request)
        body: dict[str, Any] = {
            "weekday": number(typed.get("cohort-weekday", "")),
            "local_time": typed.get("cohort-local_time", ""),
            "time_zone": typed.get("cohort-time_zone", "").strip(),
            "start_date": typed.get("cohort-start_date", ""),
        }
        if typed.get("cohort-capacity", "").strip():
            body["capacity"] = number(typed["cohort-capacity"])
        try:
            await portal_of(request).apis.enrolment.post(f"/courses/{course_id}/cohorts", who.token, body)
        except ApiError as error:
            form = scoped(FormState(values=typed), request, error, COHORT_FIELDS, "cohort-")
            return await manage_page(request, who, course_id, form, error.status)
        return RedirectResponse(f"/courses/{course_id}/manage#cohorts", status_code=303)

    @router.post("/courses/{course_id}/manage/cohorts/{cohort_id}/sessions/{session}")
    async def edit_session(request: Request, who: Who, course_id: str, cohort_id: str, session: int) -> Response:
        typed = await form_of(request)
        prefix = f"session-{cohort_id}-{session}-"
        body: dict[str, Any] = {
            "room_url": typed.get(prefix + "room_url", "").strip() or None,
            "materials": [line.strip() for line in typed.get(prefix + "materials", "").splitlines() if line.strip()],
        }
        if typed.get(prefix + "recording_url", "").strip():
            body["recording_url"] = typed[prefix + "recording_url"].strip()
        path = f"/courses/{course_id}/cohorts/{cohort_id}/sessions/{session}"
        try:
            await patch(portal_of(request).apis.enrolment, path, who.token, body)
        except ApiError as error:
            form = scoped(FormState(values=typed), request, error, SESSION_FIELDS, prefix)
            return await manage_page(request, who, course_id, form, error.status)
        return RedirectResponse(f"/courses/{course_id}/manage#session-{cohort_id}-{session}", status_code=303)

    return router
