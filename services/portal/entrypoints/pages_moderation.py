"""The moderator's pages: the flag queue with each flagged item as stored, hide, edit, restore or dismiss,
the audited reveal of an anonymous comment's author (the service requires a reason and tells the author),
and the list of hidden items, each restorable without a new flag (an anonymous one under its pseudonym)."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.entrypoints.pages_employee import names
from portal.entrypoints.pages_mentoring import prefixed, refusal
from portal.entrypoints.web import FormState, Viewer, form_of, portal_of, render, viewer

Who = Annotated[Viewer, Depends(viewer)]
OUTCOMES = ("hidden", "edited", "restored", "dismissed")


def router() -> APIRouter:
    router = APIRouter(prefix="/moderation", include_in_schema=False)

    async def queue(
        request: Request,
        who: Viewer,
        form: FormState | None = None,
        revealed: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        mentoring = portal_of(request).apis.mentoring
        flags: list[dict[str, Any]] = await mentoring.get("/moderation/flags", who.token)
        items = await asyncio.gather(
            *(mentoring.find(f"/tasks/{flag['task_id']}/items/{flag['item_id']}", who.token) for flag in flags)
        )
        named = {str(item["author"]) for item in items if item and not item.get("anonymous")}
        people = await names(request, who, named | set((revealed or {}).values()))
        return render(
            request,
            "moderation_queue.html",
            status_code=status_code,
            rows=list(zip(flags, items, strict=True)),
            people=people,
            outcomes=OUTCOMES,
            revealed=revealed or {},
            form=form or FormState(),
        )

    @router.get("")
    async def flags(request: Request, who: Who) -> HTMLResponse:
        return await queue(request, who)

    @router.post("/flags/{flag_id}")
    async def decide(request: Request, who: Who, flag_id: str) -> Response:
        typed = await form_of(request)
        body = {"outcome": typed.get("outcome", ""), "note": typed.get("note", ""), "text": typed.get("text") or None}
        try:
            await portal_of(request).apis.mentoring.post(f"/moderation/flags/{flag_id}/decision", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("outcome", "note", "text")), f"flag-{flag_id}-")
            return await queue(request, who, form, status_code=error.status)
        return RedirectResponse("/moderation?done=decided", status_code=303)

    @router.post("/tasks/{task_id}/comments/{comment_id}/reveal")
    async def reveal(request: Request, who: Who, task_id: str, comment_id: str) -> HTMLResponse:
        """Shown once, on this answer only: the author's name is never kept in a link or the session."""
        typed = await form_of(request)
        path = f"/tasks/{task_id}/comments/{comment_id}/reveal"
        try:
            answer = await portal_of(request).apis.mentoring.post(path, who.token, {"reason": typed.get("reason", "")})
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("reason",)), f"reveal-{comment_id}-")
            return await queue(request, who, form, status_code=error.status)
        return await queue(request, who, revealed={comment_id: str(answer["author_id"])})

    async def hidden_page(
        request: Request, who: Viewer, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        found: list[dict[str, Any]] = await portal_of(request).apis.mentoring.get("/moderation/hidden", who.token)
        # Only named authors are looked up: a pseudonym is shown as it is, never resolved.
        people = await names(request, who, {str(line["author"]) for line in found if not line.get("anonymous")})
        return render(
            request,
            "moderation_hidden.html",
            status_code=status_code,
            items=found,
            people=people,
            form=form or FormState(),
        )

    @router.get("/hidden")
    async def hidden(request: Request, who: Who) -> HTMLResponse:
        return await hidden_page(request, who)

    @router.post("/hidden/tasks/{task_id}/items/{item_id}/restoration")
    async def restore(request: Request, who: Who, task_id: str, item_id: str) -> Response:
        typed = await form_of(request)
        path = f"/tasks/{task_id}/items/{item_id}/restoration"
        try:
            await portal_of(request).apis.mentoring.post(path, who.token, {"note": typed.get("note", "")})
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("note",)), f"restore-{item_id}-")
            return await hidden_page(request, who, form, status_code=error.status)
        return RedirectResponse("/moderation/hidden?done=restored", status_code=303)

    return router
