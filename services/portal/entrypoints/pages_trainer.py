"""A trainer's pages: their cohorts, and one cohort's run (attendance by session, homework review)."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.entrypoints.pages_employee import names
from portal.entrypoints.web import FormState, Viewer, form_of, portal_of, render, viewer

Who = Annotated[Viewer, Depends(viewer)]
ATTENDANCE = ("present", "absent", "excused")
OUTCOMES = ("accepted", "returned")


def router() -> APIRouter:
    router = APIRouter(prefix="/teaching", include_in_schema=False)

    @router.get("")
    async def teaching(request: Request, who: Who) -> HTMLResponse:
        enrolment = portal_of(request).apis.enrolment
        page = await enrolment.get("/courses", who.token, limit=200)
        mine = [item for item in page["items"] if item["trainer_id"] == who.person_id]
        courses = await asyncio.gather(*(enrolment.get(f"/courses/{item['id']}", who.token) for item in mine))
        return render(request, "teaching.html", courses=courses)

    async def run_page(
        request: Request, who: Viewer, course_id: str, cohort_id: str, form: FormState | None = None, status: int = 200
    ) -> HTMLResponse:
        run = await portal_of(request).apis.enrolment.get(f"/courses/{course_id}/cohorts/{cohort_id}/run", who.token)
        people = await names(request, who, set(run.get("members", [])))
        return render(
            request,
            "cohort_run.html",
            status_code=status,
            run=run,
            people=people,
            attendance_choices=ATTENDANCE,
            outcomes=OUTCOMES,
            form=form or FormState(),
        )

    @router.get("/{course_id}/{cohort_id}")
    async def cohort_run(request: Request, who: Who, course_id: str, cohort_id: str) -> HTMLResponse:
        return await run_page(request, who, course_id, cohort_id)

    @router.post("/{course_id}/{cohort_id}/sessions/{number}/attendance")
    async def mark_attendance(request: Request, who: Who, course_id: str, cohort_id: str, number: int) -> Response:
        typed = await form_of(request)
        enrolment = portal_of(request).apis.enrolment
        form = FormState(values=typed)
        for name, status in typed.items():
            if not name.startswith("status-") or not status:
                continue
            person_id = name.removeprefix("status-")
            path = f"/courses/{course_id}/cohorts/{cohort_id}/sessions/{number}/attendance/{person_id}"
            try:
                await enrolment.put(path, who.token, {"status": status})
            except ApiError as error:
                # Shown beside this member's choice (the API names "status", or nothing, for it).
                form.refused(request, error, ())
                form.errors[name] = form.errors.pop("_form")
        if form.errors:
            return await run_page(request, who, course_id, cohort_id, form, status=422)
        return RedirectResponse(f"/teaching/{course_id}/{cohort_id}#session-{number}", status_code=303)

    @router.post("/{course_id}/{cohort_id}/homework/{homework_id}/submissions/{person_id}/review")
    async def review(
        request: Request, who: Who, course_id: str, cohort_id: str, homework_id: str, person_id: str
    ) -> Response:
        typed = await form_of(request)
        body = {"outcome": typed.get("outcome", ""), "comment": typed.get("comment") or None}
        path = f"/courses/{course_id}/cohorts/{cohort_id}/homework/{homework_id}/submissions/{person_id}/review"
        try:
            await portal_of(request).apis.enrolment.post(path, who.token, body)
        except ApiError as error:
            prefix = f"review-{homework_id}-{person_id}-"
            form = FormState(values={prefix + key: value for key, value in typed.items()})
            form.refused(request, error, ("outcome", "comment"))
            form.errors = {(key if key == "_form" else prefix + key): text for key, text in form.errors.items()}
            return await run_page(request, who, course_id, cohort_id, form, status=error.status)
        return RedirectResponse(f"/teaching/{course_id}/{cohort_id}#homework-{homework_id}", status_code=303)

    return router
