"""Every employee's pages: the catalogue, a course (apply), my learning, the inbox and its live badge."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.domain.views import next_session, seats_left
from portal.entrypoints.web import FormState, Viewer, form_of, portal_of, render, viewer

Who = Annotated[Viewer, Depends(viewer)]
LEVELS = ("beginner", "intermediate", "advanced")
STATUSES = ("open", "waitlist_only", "running", "finished")
APPLY_FIELDS = ("motivation", "level", "preferred_cohort_id")


async def names(request: Request, who: Viewer, person_ids: set[str]) -> dict[str, str]:
    """Display names from the directory; an id it does not know stays an id."""
    directory = portal_of(request).apis.directory
    ids = sorted(person_ids)
    found = await asyncio.gather(*(directory.find(f"/people/{person_id}", who.token) for person_id in ids))
    return {pid: (person or {}).get("display_name", pid) for pid, person in zip(ids, found, strict=True)}


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/catalogue")
    async def catalogue(request: Request, who: Who, q: str = "", status: str = "", language: str = "") -> HTMLResponse:
        enrolment = portal_of(request).apis.enrolment
        page = await enrolment.get(
            "/courses",
            who.token,
            q=q.strip()[:200] or None,
            status=status if status in STATUSES else None,
            language=language if language in ("ru", "en") else None,
        )
        trainers = await names(request, who, {item["trainer_id"] for item in page["items"]})
        return render(
            request,
            "catalogue.html",
            page=page,
            trainers=trainers,
            query={"q": q, "status": status, "language": language},
            statuses=STATUSES,
        )

    async def course_page(
        request: Request, who: Viewer, course_id: str, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        enrolment = portal_of(request).apis.enrolment
        course, application = await asyncio.gather(
            enrolment.get(f"/courses/{course_id}", who.token),
            enrolment.find(f"/courses/{course_id}/applications/{who.person_id}", who.token),
        )
        people = await names(request, who, {course["trainer_id"], *(c["trainer_id"] for c in course["cohorts"])})
        return render(
            request,
            "course.html",
            status_code=status_code,
            course=course,
            application=application,
            people=people,
            seats_left=seats_left,
            levels=LEVELS,
            form=form or FormState(values={"level": "beginner"}),
        )

    @router.get("/courses/{course_id}")
    async def course(request: Request, who: Who, course_id: str) -> HTMLResponse:
        return await course_page(request, who, course_id)

    @router.post("/courses/{course_id}/apply")
    async def apply(request: Request, who: Who, course_id: str) -> Response:
        typed = await form_of(request)
        body: dict[str, Any] = {
            "person_id": who.person_id,
            "motivation": typed.get("motivation", ""),
            "level": typed.get("level", "beginner"),
        }
        if typed.get("preferred_cohort_id"):
            body["preferred_cohort_id"] = typed["preferred_cohort_id"]
        try:
            await portal_of(request).apis.enrolment.post(f"/courses/{course_id}/applications", who.token, body)
        except ApiError as error:
            form = FormState(values=typed).refused(request, error, APPLY_FIELDS)
            return await course_page(request, who, course_id, form, status_code=error.status)
        return RedirectResponse(f"/courses/{course_id}", status_code=303)

    @router.post("/courses/{course_id}/withdraw")
    async def withdraw(request: Request, who: Who, course_id: str) -> Response:
        path = f"/courses/{course_id}/applications/{who.person_id}/withdrawal"
        await portal_of(request).apis.enrolment.post(path, who.token)
        return RedirectResponse(f"/courses/{course_id}", status_code=303)

    @router.get("/learning")
    async def learning(request: Request, who: Who) -> HTMLResponse:
        """The person's applications (newest first), each with its status and the cohort's next session."""
        enrolment = portal_of(request).apis.enrolment
        mine = await enrolment.get(f"/people/{who.person_id}/applications", who.token)
        now = datetime.now(UTC)
        rows = [
            {
                "course": {
                    "id": item["course_id"],
                    "title": item["course_title"],
                    "title_en": item["course_title_en"],
                    "title_ru": item["course_title_ru"],
                },
                "application": item,
                "next_session": next_session(item["cohort_session_starts"], now) if item["cohort_id"] else None,
            }
            for item in mine["items"]
        ]
        return render(request, "learning.html", rows=rows)

    @router.get("/inbox")
    async def inbox(request: Request, who: Who) -> HTMLResponse:
        found = await portal_of(request).apis.notifications.get(f"/people/{who.person_id}/inbox", who.token)
        return render(request, "inbox.html", inbox=found)

    @router.get("/inbox/badge")
    async def badge(request: Request, who: Who) -> HTMLResponse:
        """The header's unread count, fetched by htmx every few seconds."""
        found = await portal_of(request).apis.notifications.get(
            f"/people/{who.person_id}/inbox", who.token, unread_only="true", limit=1
        )
        return render(request, "_badge.html", unread=found["unread"])

    @router.post("/inbox/{message_id}/read")
    async def read_one(request: Request, who: Who, message_id: str) -> Response:
        path = f"/people/{who.person_id}/inbox/{message_id}/read"
        await portal_of(request).apis.notifications.post(path, who.token)
        return RedirectResponse("/inbox", status_code=303)

    @router.post("/inbox/read")
    async def read_all(request: Request, who: Who) -> Response:
        await portal_of(request).apis.notifications.post(f"/people/{who.person_id}/inbox/read", who.token)
        return RedirectResponse("/inbox", status_code=303)

    return router
