"""A curator's pages: the course approval queue and the streams proposed from waitlists."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.entrypoints.pages_employee import names
from portal.entrypoints.web import FormState, Viewer, form_of, portal_of, render, viewer

Who = Annotated[Viewer, Depends(viewer)]
VERDICTS = ("approved", "changes_requested", "rejected", "comment")


def router() -> APIRouter:
    router = APIRouter(prefix="/curation", include_in_schema=False)

    async def desk(request: Request, who: Viewer, form: FormState | None = None, status: int = 200) -> HTMLResponse:
        enrolment = portal_of(request).apis.enrolment
        queue, streams = await asyncio.gather(
            enrolment.get("/courses/proposals", who.token, limit=200),
            enrolment.get("/courses/stream-proposals", who.token),
        )
        # One call: the courses whose stream proposed from the waitlist awaits a curator, longest waitlist first.
        proposed = [
            {"id": item["course_id"], "title_en": item["title_en"], "title_ru": item["title_ru"]}
            for item in streams["items"]
        ]
        proposals = [item["proposal"] for item in streams["items"]]
        people = await names(
            request,
            who,
            {item["trainer_id"] for item in queue["items"]} | {p for s in proposals for p in s["member_ids"]},
        )
        return render(
            request,
            "curation.html",
            status_code=status,
            queue=queue["items"],
            streams=list(zip(proposed, proposals, strict=True)),
            people=people,
            verdicts=VERDICTS,
            form=form or FormState(),
        )

    @router.get("")
    async def curation(request: Request, who: Who) -> HTMLResponse:
        return await desk(request, who)

    @router.post("/courses/{course_id}/review")
    async def review(request: Request, who: Who, course_id: str) -> Response:
        typed = await form_of(request)
        body = {"verdict": typed.get("verdict", ""), "comment": typed.get("comment") or None}
        try:
            await portal_of(request).apis.enrolment.post(f"/courses/{course_id}/reviews", who.token, body)
        except ApiError as error:
            prefix = f"review-{course_id}-"
            form = FormState(values={prefix + key: value for key, value in typed.items()})
            form.refused(request, error, ("verdict", "comment"))
            form.errors = {(key if key == "_form" else prefix + key): text for key, text in form.errors.items()}
            return await desk(request, who, form, status=error.status)
        return RedirectResponse("/curation", status_code=303)

    @router.post("/courses/{course_id}/streams/{proposal_id}")
    async def decide_stream(request: Request, who: Who, course_id: str, proposal_id: str) -> Response:
        typed = await form_of(request)
        body: dict[str, object] = {"accept": typed.get("decision") == "accept"}
        if typed.get("start_date"):
            body["start_date"] = typed["start_date"]
        path = f"/courses/{course_id}/stream-proposals/{proposal_id}/decision"
        try:
            await portal_of(request).apis.enrolment.post(path, who.token, body)
        except ApiError as error:
            prefix = f"stream-{proposal_id}-"
            form = FormState(values={prefix + key: value for key, value in typed.items()})
            form.refused(request, error, ("start_date",))
            form.errors = {(key if key == "_form" else prefix + key): text for key, text in form.errors.items()}
            return await desk(request, who, form, status=error.status)
        return RedirectResponse("/curation?decided=1", status_code=303)

    return router
