"""Peer-learning circle pages: my circles (join one), a circle's tasks, a task's solutions and comments (an
"anonymous" switch, helpful marks, flags), and the library search.

The facilitator's tools sit on the same pages, shown when the service says the reader facilitates: set a
task, answer join requests, give members roles, close a task, read its reflections and the dominance signal,
and keep a good solution in the library (a librarian may do that too).

The service decides pseudonyms: an anonymous comment arrives with its pseudonym as the author, and the
page shows that and nothing else (it never looks an anonymous author up in the directory).
"""

import asyncio
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.domain.mentoring import latest_text, my_solution, named_people, shown_author, words
from portal.entrypoints.pages_employee import names
from portal.entrypoints.pages_mentoring import prefixed, refusal
from portal.entrypoints.web import FormState, Viewer, form_of, portal_of, render, viewer

Who = Annotated[Viewer, Depends(viewer)]
EXPERIENCE = ("beginner", "practitioner", "expert")
FLAG_REASONS = ("false_information", "rudeness", "spam", "dominance")
ORDERS = ("newest", "helpful")
ROLES = ("member", "expert", "reviewer", "librarian", "facilitator")
TASK_FIELDS = ("statement", "expected_outcome", "due", "check_instructions")
PROMOTION_FIELDS = ("title", "summary", "tags")
CHECK_FIELDS = ("person_id", "passed", "note")
CHECKERS = ("reviewer", "expert", "facilitator")


def facilitates(circle: Mapping[str, Any] | None, who: Viewer) -> bool:
    return who.has("moderator") or bool(circle and circle.get("my_role") == "facilitator")


def checks_skills(circle: Mapping[str, Any] | None, who: Viewer) -> bool:
    """Reviewers, experts and facilitators record practical checks ("show how you would do it now")."""
    return who.has("moderator") or bool(circle and circle.get("my_role") in CHECKERS)


def keeps_library(circle: Mapping[str, Any] | None, who: Viewer) -> bool:
    return facilitates(circle, who) or bool(circle and circle.get("my_role") == "librarian")


def router() -> APIRouter:
    router = APIRouter(prefix="/circles", include_in_schema=False)

    async def circles_page(
        request: Request, who: Viewer, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        found = await portal_of(request).apis.mentoring.get("/circles", who.token)
        mine = [circle for circle in found if circle.get("my_role")]
        others = [circle for circle in found if not circle.get("my_role")]
        return render(
            request,
            "circle_list.html",
            status_code=status_code,
            mine=mine,
            others=others,
            experience=EXPERIENCE,
            form=form or FormState(),
        )

    @router.get("")
    async def circles(request: Request, who: Who) -> HTMLResponse:
        return await circles_page(request, who)

    @router.post("/{circle_id}/members")
    async def join(request: Request, who: Who, circle_id: str) -> Response:
        typed = await form_of(request)
        body = {
            "person_id": who.person_id,
            "experience": typed.get("experience", ""),
            "message": typed.get("message", ""),
        }
        try:
            answer = await portal_of(request).apis.mentoring.post(f"/circles/{circle_id}/members", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("experience", "message")), f"join-{circle_id}-")
            return await circles_page(request, who, form, status_code=error.status)
        if answer and answer.get("status") == "requested":
            return RedirectResponse("/circles?done=requested", status_code=303)
        return RedirectResponse(f"/circles/{circle_id}", status_code=303)

    @router.get("/library")
    async def library(request: Request, who: Who, text: str = "", tag: str = "", order: str = "newest") -> HTMLResponse:
        order = order if order in ORDERS else "newest"
        found = await portal_of(request).apis.mentoring.get(
            "/library", who.token, text=text.strip()[:200] or None, tag=tag.strip()[:100] or None, order=order
        )
        people = await names(request, who, {entry["author_id"] for entry in found})
        return render(
            request,
            "circle_library.html",
            entries=found,
            people=people,
            query={"text": text, "tag": tag, "order": order},
            orders=ORDERS,
        )

    async def circle_page(
        request: Request, who: Viewer, circle_id: str, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        mentoring = portal_of(request).apis.mentoring
        found = await mentoring.get(f"/circles/{circle_id}", who.token)
        inside = bool(found.get("my_role")) or who.has("moderator")
        tasks = await mentoring.get(f"/circles/{circle_id}/tasks", who.token) if inside else []
        named = {member["person_id"] for member in found.get("roster") or []}
        named |= {asked["person_id"] for asked in found.get("requests") or []}
        people = await names(request, who, named)
        return render(
            request,
            "circle_page.html",
            status_code=status_code,
            circle=found,
            inside=inside,
            tasks=tasks,
            people=people,
            facilitates=facilitates(found, who),
            roles=ROLES,
            form=form or FormState(),
        )

    @router.get("/{circle_id}")
    async def circle(request: Request, who: Who, circle_id: str) -> HTMLResponse:
        return await circle_page(request, who, circle_id)

    @router.post("/{circle_id}/tasks")
    async def publish_task(request: Request, who: Who, circle_id: str) -> Response:
        """The facilitator sets a concrete task; the service keeps the weekly limit and the experience threshold."""
        typed = await form_of(request)
        body: dict[str, str | None] = {key: typed.get(key, "") for key in TASK_FIELDS}
        body["due"] = typed.get("due") or None
        try:
            await portal_of(request).apis.mentoring.post(f"/circles/{circle_id}/tasks", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, TASK_FIELDS), "task-")
            return await circle_page(request, who, circle_id, form, status_code=error.status)
        return RedirectResponse(f"/circles/{circle_id}?done=task_published", status_code=303)

    @router.post("/{circle_id}/requests/{person_id}")
    async def decide_request(request: Request, who: Who, circle_id: str, person_id: str) -> Response:
        typed = await form_of(request)
        body = {"accept": typed.get("accept") == "yes"}
        try:
            await portal_of(request).apis.mentoring.post(
                f"/circles/{circle_id}/requests/{person_id}/decision", who.token, body
            )
        except ApiError as error:
            return await circle_page(request, who, circle_id, refusal(request, {}, error, ()), error.status)
        return RedirectResponse(f"/circles/{circle_id}?done=request_decided", status_code=303)

    @router.post("/{circle_id}/members/{person_id}/role")
    async def set_role(request: Request, who: Who, circle_id: str, person_id: str) -> Response:
        typed = await form_of(request)
        try:
            await portal_of(request).apis.mentoring.put(
                f"/circles/{circle_id}/members/{person_id}/role", who.token, {"role": typed.get("role", "")}
            )
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("role",)), f"role-{person_id}-")
            return await circle_page(request, who, circle_id, form, status_code=error.status)
        return RedirectResponse(f"/circles/{circle_id}?done=role_set", status_code=303)

    async def task_page(
        request: Request, who: Viewer, task_id: str, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        mentoring = portal_of(request).apis.mentoring
        task = await mentoring.get(f"/tasks/{task_id}", who.token)
        found, people = await asyncio.gather(
            circle_of(request, who, task["circle_id"]), names(request, who, named_people(task))
        )
        mine = my_solution(task, who.person_id)
        values = {"solution-text": latest_text(mine)} if mine else {}
        leads, checks = facilitates(found, who), checks_skills(found, who)
        roster = cast(list[dict[str, Any]], found.get("roster") or []) if found else []
        checked = [member for member in roster if member.get("person_id") != who.person_id] if checks else []
        reflections, dominance, roster_names = await asyncio.gather(
            mentoring.find(f"/tasks/{task_id}/reflections", who.token) if leads else none(),
            mentoring.find(f"/tasks/{task_id}/dominance", who.token) if leads else none(),
            names(request, who, {str(member["person_id"]) for member in checked} - set(people)),
        )
        people = {**people, **roster_names}
        return render(
            request,
            "circle_task.html",
            status_code=status_code,
            task=task,
            circle=found,
            mine=mine,
            others=[s for s in task["solutions"] if s is not mine],
            people=people,
            shown_author=lambda comment: shown_author(comment, people),
            latest_text=latest_text,
            reasons=FLAG_REASONS,
            facilitates=leads,
            keeps_library=keeps_library(found, who),
            reflections=reflections,
            dominance=dominance,
            checks=checks,
            checked=checked,
            form=form or FormState(values=values),
        )

    async def circle_of(request: Request, who: Viewer, circle_id: str) -> dict[str, object] | None:
        found: dict[str, object] | None = await portal_of(request).apis.mentoring.find(
            f"/circles/{circle_id}", who.token
        )
        return found

    @router.get("/tasks/{task_id}")
    async def task(request: Request, who: Who, task_id: str) -> HTMLResponse:
        return await task_page(request, who, task_id)

    @router.post("/tasks/{task_id}/solution")
    async def solution(request: Request, who: Who, task_id: str) -> Response:
        typed = await form_of(request)
        mentoring = portal_of(request).apis.mentoring
        solution_id = typed.get("solution_id") or uuid.uuid4().hex[:12]
        body = {"text": typed.get("text", ""), "links": words(typed.get("links", ""), 20)}
        try:
            await mentoring.put(f"/tasks/{task_id}/solutions/{solution_id}", who.token, body)
            if typed.get("action") == "publish":
                await mentoring.post(f"/tasks/{task_id}/solutions/{solution_id}/publication", who.token)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("text", "links")), "solution-")
            return await task_page(request, who, task_id, form, status_code=error.status)
        return RedirectResponse(f"/circles/tasks/{task_id}?done=solution#my-solution", status_code=303)

    @router.post("/tasks/{task_id}/solutions/{solution_id}/comments")
    async def comment(request: Request, who: Who, task_id: str, solution_id: str) -> Response:
        typed = await form_of(request)
        body = {"text": typed.get("text", ""), "anonymous": typed.get("anonymous") == "on"}
        try:
            await portal_of(request).apis.mentoring.post(
                f"/tasks/{task_id}/solutions/{solution_id}/comments", who.token, body
            )
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("text", "anonymous")), f"comment-{solution_id}-")
            return await task_page(request, who, task_id, form, status_code=error.status)
        return RedirectResponse(f"/circles/tasks/{task_id}?done=comment#solution-{solution_id}", status_code=303)

    @router.post("/tasks/{task_id}/comments/{comment_id}/helpful")
    async def helpful(request: Request, who: Who, task_id: str, comment_id: str) -> Response:
        try:
            await portal_of(request).apis.mentoring.post(f"/tasks/{task_id}/comments/{comment_id}/helpful", who.token)
        except ApiError as error:
            return await task_page(request, who, task_id, refusal(request, {}, error, ()), status_code=error.status)
        return RedirectResponse(f"/circles/tasks/{task_id}?done=helpful#comment-{comment_id}", status_code=303)

    @router.post("/tasks/{task_id}/flags")
    async def flag(request: Request, who: Who, task_id: str) -> Response:
        typed = await form_of(request)
        item_id = typed.get("item_id", "")
        body = {"item_id": item_id, "reason": typed.get("reason", ""), "text": typed.get("text", "")}
        try:
            await portal_of(request).apis.mentoring.post(f"/tasks/{task_id}/flags", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("reason", "text")), f"flag-{item_id}-")
            return await task_page(request, who, task_id, form, status_code=error.status)
        return RedirectResponse(f"/circles/tasks/{task_id}?done=flagged", status_code=303)

    @router.post("/tasks/{task_id}/closure")
    async def close_task(request: Request, who: Who, task_id: str) -> Response:
        try:
            await portal_of(request).apis.mentoring.post(f"/tasks/{task_id}/closure", who.token)
        except ApiError as error:
            return await task_page(request, who, task_id, refusal(request, {}, error, ()), status_code=error.status)
        return RedirectResponse(f"/circles/tasks/{task_id}?done=task_closed", status_code=303)

    @router.post("/tasks/{task_id}/checks")
    async def practical_check(request: Request, who: Who, task_id: str) -> Response:
        """A reviewer, an expert or the facilitator records that a member showed the skill, or not yet."""
        typed = await form_of(request)
        body = {
            "person_id": typed.get("person_id", ""),
            "passed": typed.get("passed") == "yes",
            "note": typed.get("note", ""),
        }
        try:
            await portal_of(request).apis.mentoring.post(f"/tasks/{task_id}/checks", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, CHECK_FIELDS), "check-")
            return await task_page(request, who, task_id, form, status_code=error.status)
        return RedirectResponse(f"/circles/tasks/{task_id}?done=checked#practical-check", status_code=303)

    @router.post("/tasks/{task_id}/reflection")
    async def reflect(request: Request, who: Who, task_id: str) -> Response:
        """After the task closes: what changed in the member's understanding (the facilitator reads it unnamed)."""
        typed = await form_of(request)
        try:
            await portal_of(request).apis.mentoring.post(
                f"/tasks/{task_id}/reflections", who.token, {"text": typed.get("text", "")}
            )
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("text",)), "reflection-")
            return await task_page(request, who, task_id, form, status_code=error.status)
        return RedirectResponse(f"/circles/tasks/{task_id}?done=reflected", status_code=303)

    @router.post("/tasks/{task_id}/solutions/{solution_id}/promotion")
    async def promote(request: Request, who: Who, task_id: str, solution_id: str) -> Response:
        """Keep a good solution in the circles' library, with a title, a summary and tags."""
        typed = await form_of(request)
        body = {
            "title": typed.get("title", ""),
            "summary": typed.get("summary", ""),
            "tags": words(typed.get("tags", "")),
        }
        try:
            await portal_of(request).apis.mentoring.post(
                f"/tasks/{task_id}/solutions/{solution_id}/promotion", who.token, body
            )
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, PROMOTION_FIELDS), f"promote-{solution_id}-")
            return await task_page(request, who, task_id, form, status_code=error.status)
        return RedirectResponse(f"/circles/tasks/{task_id}?done=promoted#solution-{solution_id}", status_code=303)

    return router


async def none() -> None:
    """What a call not made answers (a facilitator's view for someone who does not facilitate)."""
    return None
