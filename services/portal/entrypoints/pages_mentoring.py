"""Mentoring pages: my mentoring (a pair's goals with SMART hints, meetings planned and logged with notes only
the pair reads, check-ins, a concern, final feedback once the programme closes) and the curator's desk
(programmes, the matching proposal with its reasons, pair health, concerns).

Every call goes to the mentoring service's public API with the person's token; the service decides who may
see and do what (a concern is the raiser's and the curators' only), the pages only show its answers.
"""

import asyncio
import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.domain.mentoring import (
    FEEDBACK_STAGES,
    health,
    meeting_start,
    pair_people,
    planned,
    role_in_pair,
    words,
)
from portal.entrypoints.pages_employee import names
from portal.entrypoints.web import FormState, Viewer, form_of, language, portal_of, render, translator, viewer

Who = Annotated[Viewer, Depends(viewer)]
GOAL_FIELDS = ("text", "due", "topics", "confirm")
MEETING_FIELDS = ("held_on", "minutes", "topics", "notes")
CHECK_IN_FIELDS = ("score", "month", "answers")
SCHEDULE_FIELDS = ("starts_at", "minutes", "time_zone")
FEEDBACK_FIELDS = ("rating", "worked", "improve")
DEFAULT_TIME_ZONE = "Europe/Moscow"
CONCERN_ACTIONS = ("talk", "note", "close_pair", "rematch")
OUTCOMES = ("talked", "rematched", "pair_closed", "no_action")


def refusal(request: Request, typed: dict[str, str], error: ApiError, fields: tuple[str, ...]) -> FormState:
    """A refused form as typed, its message by the field: `mentoring.error.<field>` when the area has words for it."""
    form = FormState(values=dict(typed)).refused(request, error, fields)
    key = f"mentoring.error.{error.field}"
    if error.field in fields and portal_of(request).words.has(language(request), key):
        form.errors[str(error.field)] = f"{translator(request)(key)} ({error.detail})"
    return form


def prefixed(form: FormState, prefix: str) -> FormState:
    """One of several forms on a page: values and errors under `<prefix><field>` (a refusal naming none stays _form)."""
    return FormState(
        values={prefix + key: value for key, value in form.values.items()},
        errors={(key if key == "_form" else prefix + key): text for key, text in form.errors.items()},
    )


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    # ------------------------------------------------------------------------------ my mentoring

    @router.get("/mentoring")
    async def my_mentoring(request: Request, who: Who) -> Response:
        """Every pair the person is in, as mentor or mentee, from the service: no confidential text in it."""
        path = f"/people/{quote(who.person_id, safe='')}/pairs"
        pairs = await portal_of(request).apis.mentoring.get(path, who.token)
        people = await names(request, who, {other for line in pairs for other in line["other_ids"]})
        return render(request, "mentoring_mine.html", pairs=pairs, people=people)

    async def pair_page(
        request: Request,
        who: Viewer,
        pair_id: str,
        form: FormState | None = None,
        smart: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        mentoring = portal_of(request).apis.mentoring
        pair = await mentoring.get(f"/pairs/{pair_id}", who.token)
        role = role_in_pair(pair, who.person_id)
        # Notes are the pair's alone: asked for only by a member, and the service refuses anyone else anyway.
        with_notes = [m["id"] for m in pair.get("meetings", []) if role and m.get("has_notes")]
        people, programme, *notes = await asyncio.gather(
            names(request, who, {pair["mentor_id"], *pair["mentee_ids"]}),
            mentoring.find(f"/programmes/{pair['programme_id']}", who.token),
            *(mentoring.find(f"/pairs/{pair_id}/meetings/{meeting_id}/notes", who.token) for meeting_id in with_notes),
        )
        form = form or FormState()
        form.values.setdefault("schedule-time_zone", DEFAULT_TIME_ZONE)
        return render(
            request,
            "mentoring_pair.html",
            status_code=status_code,
            pair=pair,
            role=role,
            people=people,
            smart=smart,
            scores=range(1, 6),
            planned=planned,
            notes={found["meeting_id"]: found["notes"] for found in notes if found and found.get("notes")},
            feedback_open=bool(role and programme and programme.get("stage") in FEEDBACK_STAGES),
            form=form,
        )

    @router.get("/mentoring/pairs/{pair_id}")
    async def pair(request: Request, who: Who, pair_id: str) -> HTMLResponse:
        return await pair_page(request, who, pair_id)

    @router.post("/mentoring/pairs/{pair_id}/goals")
    async def goal(request: Request, who: Who, pair_id: str) -> Response:
        typed = await form_of(request)
        mentoring = portal_of(request).apis.mentoring
        body: dict[str, Any] = {
            "text": typed.get("text", ""),
            "due": typed.get("due") or None,
            "topics": words(typed.get("topics", "")),
            "locale": language(request),
        }
        values = {f"goal-{key}": value for key, value in typed.items()}
        if typed.get("action") == "check":
            try:
                smart = await mentoring.post(f"/pairs/{pair_id}/goals/check", who.token, body)
            except ApiError as error:
                form = prefixed(refusal(request, typed, error, GOAL_FIELDS), "goal-")
                return await pair_page(request, who, pair_id, form, status_code=error.status)
            return await pair_page(request, who, pair_id, FormState(values=values), smart=smart)
        try:
            await mentoring.post(
                f"/pairs/{pair_id}/goals", who.token, {**body, "confirm": typed.get("confirm") == "on"}
            )
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, GOAL_FIELDS), "goal-")
            smart = None
            if error.field == "confirm":  # flagged by SMART: show why, and the box to save it anyway
                smart = await mentoring.post(f"/pairs/{pair_id}/goals/check", who.token, body)
            return await pair_page(request, who, pair_id, form, smart=smart, status_code=error.status)
        return RedirectResponse(f"/mentoring/pairs/{pair_id}?done=goal#goals", status_code=303)

    @router.post("/mentoring/pairs/{pair_id}/goals/{goal_id}/progress")
    async def progress(request: Request, who: Who, pair_id: str, goal_id: str) -> Response:
        typed = await form_of(request)
        body = {"progress": typed.get("progress") or 0, "status": typed.get("status", "")}
        try:
            await portal_of(request).apis.mentoring.put(f"/pairs/{pair_id}/goals/{goal_id}/progress", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("progress", "status")), f"progress-{goal_id}-")
            return await pair_page(request, who, pair_id, form, status_code=error.status)
        return RedirectResponse(f"/mentoring/pairs/{pair_id}?done=progress#goals", status_code=303)

    @router.post("/mentoring/pairs/{pair_id}/meetings")
    async def meeting(request: Request, who: Who, pair_id: str) -> Response:
        typed = await form_of(request)
        body = {
            "held_on": typed.get("held_on") or None,
            "minutes": typed.get("minutes") or None,
            "topics": words(typed.get("topics", ""), 20),
            "notes": typed.get("notes") or None,
        }
        path = f"/pairs/{pair_id}/meetings/{uuid.uuid4().hex[:12]}"  # a new meeting: the page names it
        try:
            await portal_of(request).apis.mentoring.put(path, who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, MEETING_FIELDS), "meeting-")
            return await pair_page(request, who, pair_id, form, status_code=error.status)
        return RedirectResponse(f"/mentoring/pairs/{pair_id}?done=meeting#meetings", status_code=303)

    @router.post("/mentoring/pairs/{pair_id}/schedule")
    async def schedule(request: Request, who: Who, pair_id: str) -> Response:
        """Plan the next meeting: the time as typed, in the time zone given beside it."""
        typed = await form_of(request)
        try:
            starts_at = meeting_start(typed.get("starts_at", ""), typed.get("time_zone", ""))
        except ValueError as wrong:
            key = f"mentoring.error.{wrong.args[0]}"
            form = FormState(values=dict(typed), errors={str(wrong.args[0]): translator(request)(key)})
            return await pair_page(request, who, pair_id, prefixed(form, "schedule-"), status_code=422)
        body = {"starts_at": starts_at, "minutes": typed.get("minutes") or None}
        try:
            await portal_of(request).apis.mentoring.post(f"/pairs/{pair_id}/meetings", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, SCHEDULE_FIELDS), "schedule-")
            return await pair_page(request, who, pair_id, form, status_code=error.status)
        return RedirectResponse(f"/mentoring/pairs/{pair_id}?done=scheduled#meetings", status_code=303)

    @router.post("/mentoring/pairs/{pair_id}/meetings/{meeting_id}")
    async def held(request: Request, who: Who, pair_id: str, meeting_id: str) -> Response:
        """Log a planned meeting as held, with its notes (sealed for the pair)."""
        typed = await form_of(request)
        body = {
            "held_on": typed.get("held_on") or None,
            "minutes": typed.get("minutes") or None,
            "topics": words(typed.get("topics", ""), 20),
            "notes": typed.get("notes") or None,
        }
        try:
            await portal_of(request).apis.mentoring.put(f"/pairs/{pair_id}/meetings/{meeting_id}", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, MEETING_FIELDS), f"held-{meeting_id}-")
            return await pair_page(request, who, pair_id, form, status_code=error.status)
        return RedirectResponse(f"/mentoring/pairs/{pair_id}?done=meeting#meetings", status_code=303)

    @router.post("/mentoring/pairs/{pair_id}/feedback")
    async def feedback(request: Request, who: Who, pair_id: str) -> Response:
        typed = await form_of(request)
        body = {
            "rating": typed.get("rating") or None,
            "worked": typed.get("worked", ""),
            "improve": typed.get("improve", ""),
        }
        try:
            await portal_of(request).apis.mentoring.post(f"/pairs/{pair_id}/feedback", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, FEEDBACK_FIELDS), "feedback-")
            return await pair_page(request, who, pair_id, form, status_code=error.status)
        return RedirectResponse(f"/mentoring/pairs/{pair_id}?done=feedback#feedback", status_code=303)

    @router.post("/mentoring/pairs/{pair_id}/check-ins")
    async def check_in(request: Request, who: Who, pair_id: str) -> Response:
        typed = await form_of(request)
        body = {"score": typed.get("score") or None, "answers": typed.get("answers") or None}
        try:
            await portal_of(request).apis.mentoring.post(f"/pairs/{pair_id}/check-ins", who.token, body)
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, CHECK_IN_FIELDS), "checkin-")
            return await pair_page(request, who, pair_id, form, status_code=error.status)
        return RedirectResponse(f"/mentoring/pairs/{pair_id}?done=check_in#check-in", status_code=303)

    @router.post("/mentoring/pairs/{pair_id}/concerns")
    async def concern(request: Request, who: Who, pair_id: str) -> Response:
        typed = await form_of(request)
        try:
            await portal_of(request).apis.mentoring.post(
                f"/pairs/{pair_id}/concerns", who.token, {"text": typed.get("text", "")}
            )
        except ApiError as error:
            form = prefixed(refusal(request, typed, error, ("text",)), "concern-")
            return await pair_page(request, who, pair_id, form, status_code=error.status)
        return RedirectResponse(f"/mentoring/pairs/{pair_id}?done=concern#concern", status_code=303)

    # ------------------------------------------------------------------------------ curator's desk

    @router.get("/desk")
    async def desk(request: Request, who: Who) -> HTMLResponse:
        overview = await portal_of(request).apis.mentoring.get("/reports/programmes", who.token)
        return render(request, "mentoring_desk.html", programmes=overview.get("programmes", []))

    async def programme_page(
        request: Request, who: Viewer, programme_id: str, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        mentoring = portal_of(request).apis.mentoring
        base = f"/programmes/{programme_id}"
        programme, proposal, roster, concerns = await asyncio.gather(
            mentoring.get(base, who.token),
            mentoring.find(f"{base}/matching", who.token),
            mentoring.get(f"{base}/pairs", who.token),
            mentoring.get(f"{base}/concerns", who.token),
        )
        people = await names(
            request,
            who,
            pair_people(proposal or {})
            | {line["mentor_id"] for line in roster}
            | {m for line in roster for m in line["mentee_ids"]}
            | {c["raised_by"] for c in concerns},
        )
        return render(
            request,
            "mentoring_programme.html",
            status_code=status_code,
            programme=programme,
            proposal=proposal,
            roster=[(line, health(line)) for line in roster],
            concerns=concerns,
            people=people,
            form=form or FormState(),
        )

    @router.get("/desk/concerns/{concern_id}")
    async def concern_page(request: Request, who: Who, concern_id: str) -> HTMLResponse:
        return await concern_view(request, who, concern_id)

    async def concern_view(
        request: Request, who: Viewer, concern_id: str, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        found = await portal_of(request).apis.mentoring.get(f"/concerns/{concern_id}", who.token)
        people = await names(request, who, {found["raised_by"], *(a["by"] for a in found["actions"])})
        return render(
            request,
            "mentoring_concern.html",
            status_code=status_code,
            concern=found,
            people=people,
            actions=CONCERN_ACTIONS,
            outcomes=OUTCOMES,
            form=form or FormState(),
        )

    @router.post("/desk/concerns/{concern_id}/actions")
    async def act(request: Request, who: Who, concern_id: str) -> Response:
        typed = await form_of(request)
        body = {"action": typed.get("action", ""), "note": typed.get("note") or None}
        try:
            await portal_of(request).apis.mentoring.post(f"/concerns/{concern_id}/actions", who.token, body)
        except ApiError as error:
            form = refusal(request, typed, error, ("action", "note"))
            return await concern_view(request, who, concern_id, form, status_code=error.status)
        return RedirectResponse(f"/desk/concerns/{concern_id}?done=action", status_code=303)

    @router.post("/desk/concerns/{concern_id}/resolution")
    async def resolve(request: Request, who: Who, concern_id: str) -> Response:
        typed = await form_of(request)
        try:
            await portal_of(request).apis.mentoring.post(
                f"/concerns/{concern_id}/resolution", who.token, {"outcome": typed.get("outcome", "")}
            )
        except ApiError as error:
            form = refusal(request, typed, error, ("outcome",))
            return await concern_view(request, who, concern_id, form, status_code=error.status)
        return RedirectResponse(f"/desk/concerns/{concern_id}?done=resolved", status_code=303)

    @router.get("/desk/{programme_id}")
    async def programme(request: Request, who: Who, programme_id: str) -> HTMLResponse:
        return await programme_page(request, who, programme_id)

    @router.post("/desk/{programme_id}/matching")
    async def run_matching(request: Request, who: Who, programme_id: str) -> Response:
        try:
            await portal_of(request).apis.mentoring.post(f"/programmes/{programme_id}/matching", who.token)
        except ApiError as error:
            form = refusal(request, {}, error, ())
            return await programme_page(request, who, programme_id, form, status_code=error.status)
        return RedirectResponse(f"/desk/{programme_id}?done=matched#matching", status_code=303)

    @router.post("/desk/{programme_id}/matching/rules")
    async def matching_rule(request: Request, who: Who, programme_id: str) -> Response:
        typed = await form_of(request)
        mentoring = portal_of(request).apis.mentoring
        body = {k: typed.get(k, "") for k in ("mentee_id", "mentor_id", "rule")}
        try:
            await mentoring.post(f"/programmes/{programme_id}/matching/rules", who.token, body)
            await mentoring.post(f"/programmes/{programme_id}/matching", who.token)  # re-run with the rule
        except ApiError as error:
            form = refusal(request, typed, error, ())
            return await programme_page(request, who, programme_id, form, status_code=error.status)
        return RedirectResponse(f"/desk/{programme_id}?done=rule#matching", status_code=303)

    @router.post("/desk/{programme_id}/matching/{proposal_id}/approval")
    async def approve(request: Request, who: Who, programme_id: str, proposal_id: str) -> Response:
        path = f"/programmes/{programme_id}/matching/{proposal_id}/approval"
        try:
            await portal_of(request).apis.mentoring.post(path, who.token)
        except ApiError as error:
            form = refusal(request, {}, error, ())
            return await programme_page(request, who, programme_id, form, status_code=error.status)
        return RedirectResponse(f"/desk/{programme_id}?done=approved#matching", status_code=303)

    return router
