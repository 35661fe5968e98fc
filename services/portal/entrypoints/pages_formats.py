"""The other learning formats: master classes, conferences (programme, talks, committee), exchange
internships and the knowledge base. Every page calls the services' public APIs with the person's token.

Master classes: anyone proposes one (a curator approves it first when the company asks for that); after
it starts the host marks who attended, then attaches the recording and materials; attendees answer the
one question. Conferences are listed by enrolment (those to come first); a code still opens one directly.
Committee members score proposals blind (the speaker is not shown to them); the chair decides, places
talks in slots (a clash is the API's 409, shown beside the form) and publishes the programme. After a
talk its speaker or the chair marks who came, those who came rate it once, and the speaker attaches the
recording and slides.
"""

import asyncio
from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.adapters.api import ApiError
from portal.adapters.raw import delete
from portal.entrypoints.pages_employee import names
from portal.entrypoints.web import FormState, Viewer, form_of, language, portal_of, render, translator, viewer

Who = Annotated[Viewer, Depends(viewer)]
TALK_LEVELS = ("beginner", "intermediate", "advanced")
TALK_FIELDS = ("title", "abstract", "level", "language", "competencies")
SLOT_FIELDS = ("track", "room", "starts_at", "duration_minutes")
SCORES = ("1", "2", "3", "4", "5")
MASTER_CLASS_FIELDS = (
    "title",
    "abstract",
    "language",
    "competencies",
    "starts_at",
    "time_zone",
    "duration_minutes",
    "capacity",
    "room_url",
)
MOSCOW = "Europe/Moscow"
MASTER_CLASS_DEFAULTS = {"mc-language": "ru", "mc-time_zone": MOSCOW, "mc-duration_minutes": "60"}
FEEDBACK_FIELDS = ("score", "comment")


def tags_of(text: str) -> list[str]:
    """A comma-separated field as a list of tags, blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def aware(local: str, zone: str) -> str:
    """A `datetime-local` value ("2026-12-01T10:00") in the conference's zone, as ISO text with its offset;
    text that is no date goes through as typed, for the API to name the field."""
    try:
        moment = datetime.fromisoformat(local)
    except ValueError:
        return local
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return local
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).isoformat()


def scoped(form: FormState, request: Request, error: ApiError, fields: tuple[str, ...], prefix: str) -> FormState:
    """The service's refusal beside the fields of one of several forms on a page (their ids share `prefix`)."""
    form.refused(request, error, fields)
    form.errors = {(key if key == "_form" else prefix + key): text for key, text in form.errors.items()}
    if "_form" in form.errors:
        form.errors[prefix + "_form"] = form.errors.pop("_form")
    return form


def explained(
    form: FormState,
    request: Request,
    error: ApiError,
    fields: tuple[str, ...],
    prefix: str,
    list_field: str | None = None,
) -> FormState:
    """Like `scoped`, but in the words of these pages (`events.field.<field>`) where the shared ones speak
    of courses or conferences (a course's capacity is not a master class's). The API names a bad item of a
    list by its index alone: it is shown beside `list_field`, the form's one list."""
    if error.field and error.field.isdigit():
        error = ApiError(error.status, error.detail, list_field)
    scoped(form, request, error, fields, prefix)
    key = f"events.field.{error.field}"
    if error.field in fields and portal_of(request).words.has(language(request), key):
        form.errors[prefix + str(error.field)] = f"{translator(request)(key)} ({error.detail})"
    return form


def number(text: str) -> int | str:
    """A whole number as a number; anything else as typed, for the API to refuse by name."""
    return int(text) if text.strip().isdigit() else text


def links_of(text: str) -> list[str]:
    """Links typed one a line (or separated by spaces), blanks dropped."""
    return [part for part in text.split() if part]


def ticked(typed: dict[str, str], prefix: str) -> list[str]:
    """The person ids of the ticked checkboxes named `<prefix><person id>`."""
    return [key.removeprefix(prefix) for key, value in typed.items() if key.startswith(prefix) and value == "on"]


def in_zone(moment: str, zone: str) -> str:
    """An ISO instant as "YYYY-MM-DD HH:MM" on the conference's clock (as given when it has no offset)."""
    try:
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(ZoneInfo(zone))
    except (ValueError, ZoneInfoNotFoundError):
        return moment[:16].replace("T", " ")
    return parsed.strftime("%Y-%m-%d %H:%M")


def by_track(conference: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The programme by track (the conference's track order), each track's talks by start, each talk with
    `local_start`: its start on the conference's clock."""
    tracks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    zone = str(conference.get("time_zone") or "UTC")
    for talk in conference.get("programme", []):
        tracks[talk["track"]].append({**talk, "local_start": in_zone(str(talk["starts_at"]), zone)})
    order = [track for track in conference.get("tracks", []) if track in tracks]
    order += sorted(track for track in tracks if track not in order)
    return [(track, sorted(tracks[track], key=lambda talk: str(talk["starts_at"]))) for track in order]


def router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    # ------------------------------------------------------------------------------------ the hub
    @router.get("/formats")
    async def formats(request: Request, who: Who) -> HTMLResponse:
        enrolment = portal_of(request).apis.enrolment
        master_classes, awaiting, conferences = await asyncio.gather(
            enrolment.get("/master-classes", who.token, limit=50),
            # A host sees their own proposals waiting for a curator; curators see them all.
            enrolment.get("/master-classes", who.token, status="proposed", limit=50),
            enrolment.get("/conferences", who.token, limit=5),
        )
        return render(
            request,
            "formats_hub.html",
            master_classes=master_classes["items"],
            awaiting=awaiting["items"],
            conferences=[item for item in conferences["items"] if not item["past"]],
            form=FormState(),
        )

    @router.get("/conferences")
    async def conferences(request: Request, who: Who, conference_id: str = "") -> Response:
        wanted = conference_id.strip()
        if wanted:  # a code from an invitation still opens the conference directly
            return RedirectResponse(f"/conferences/{wanted}", status_code=303)
        found = await portal_of(request).apis.enrolment.get("/conferences", who.token, limit=200)
        coming = [item for item in found["items"] if not item["past"]]
        over = [item for item in found["items"] if item["past"]]
        return render(request, "formats_conferences.html", coming=coming, over=over)

    # ---------------------------------------------------------------------------- master classes
    async def proposal_page(
        request: Request, who: Viewer, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        return render(
            request,
            "formats_master_class_new.html",
            status_code=status_code,
            # The person's own clock when the portal knows it, else Moscow's.
            form=form
            or FormState(values={**MASTER_CLASS_DEFAULTS, "mc-time_zone": getattr(who, "time_zone", "") or MOSCOW}),
        )

    @router.get("/master-classes/new")
    async def new_master_class(request: Request, who: Who) -> HTMLResponse:
        return await proposal_page(request, who)

    @router.post("/master-classes/new")
    async def propose_master_class(request: Request, who: Who) -> Response:
        typed = await form_of(request)
        zone = typed.get("mc-time_zone", "").strip()
        form = FormState(values=typed)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            form.errors["mc-time_zone"] = translator(request)("error.field.time_zone")
            return await proposal_page(request, who, form, 422)
        body: dict[str, Any] = {
            "title": typed.get("mc-title", ""),
            "abstract": typed.get("mc-abstract", ""),
            "language": typed.get("mc-language", "ru"),
            "competencies": tags_of(typed.get("mc-competencies", "")),
            "starts_at": aware(typed.get("mc-starts_at", ""), zone),
            "duration_minutes": number(typed.get("mc-duration_minutes", "")),
            "capacity": number(typed.get("mc-capacity", "")),
        }
        if typed.get("mc-room_url", "").strip():
            body["room_url"] = typed["mc-room_url"].strip()
        try:
            created = await portal_of(request).apis.enrolment.post("/master-classes", who.token, body)
        except ApiError as error:
            form = explained(form, request, error, MASTER_CLASS_FIELDS, "mc-", "competencies")
            return await proposal_page(request, who, form, error.status)
        return RedirectResponse(f"/master-classes/{created['id']}", status_code=303)

    async def master_class_page(
        request: Request, who: Viewer, master_class_id: str, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        found = await portal_of(request).apis.enrolment.get(f"/master-classes/{master_class_id}", who.token)
        people = await names(request, who, {found["host_id"], *found["registered_ids"]})
        initial = FormState(values={f"held-{person_id}": "on" for person_id in found["registered_ids"]})
        return render(
            request,
            "formats_master_class.html",
            status_code=status_code,
            item=found,
            people=people,
            scores=SCORES,
            approves=found["status"] == "proposed" and who.has("curator") and who.person_id != found["host_id"],
            form=form or initial,
        )

    @router.get("/master-classes/{master_class_id}")
    async def master_class(request: Request, who: Who, master_class_id: str) -> HTMLResponse:
        return await master_class_page(request, who, master_class_id)

    async def master_class_step(
        request: Request,
        who: Viewer,
        master_class_id: str,
        step: str,
        body: dict[str, Any] | None,
        fields: tuple[str, ...],
        prefix: str,
        typed: dict[str, str],
        list_field: str | None = None,
    ) -> Response:
        """Post one step of a master class's life; a refusal comes back beside its form, as typed."""
        path = f"/master-classes/{master_class_id}/{step}"
        try:
            await portal_of(request).apis.enrolment.post(path, who.token, body)
        except ApiError as error:
            form = explained(FormState(values=typed), request, error, fields, prefix, list_field)
            return await master_class_page(request, who, master_class_id, form, error.status)
        return RedirectResponse(f"/master-classes/{master_class_id}?done={step}#{step}", status_code=303)

    @router.post("/master-classes/{master_class_id}/approve")
    async def approve_master_class(request: Request, who: Who, master_class_id: str) -> Response:
        return await master_class_step(request, who, master_class_id, "approval", None, (), "approval-", {})

    @router.post("/master-classes/{master_class_id}/held")
    async def mark_master_class_held(request: Request, who: Who, master_class_id: str) -> Response:
        typed = await form_of(request)
        body = {"attendee_ids": ticked(typed, "held-")}
        return await master_class_step(
            request, who, master_class_id, "held", body, ("attendee_ids",), "held-", typed, "attendee_ids"
        )

    @router.post("/master-classes/{master_class_id}/recording")
    async def attach_master_class_recording(request: Request, who: Who, master_class_id: str) -> Response:
        typed = await form_of(request)
        body = {
            "recording_url": typed.get("recording-recording_url", "").strip(),
            "materials": links_of(typed.get("recording-materials", "")),
        }
        fields = ("recording_url", "materials")
        return await master_class_step(
            request, who, master_class_id, "recording", body, fields, "recording-", typed, "materials"
        )

    @router.post("/master-classes/{master_class_id}/feedback")
    async def master_class_feedback(request: Request, who: Who, master_class_id: str) -> Response:
        typed = await form_of(request)
        body = {
            "score": number(typed.get("feedback-score", "")),
            "comment": typed.get("feedback-comment", "").strip() or None,
        }
        return await master_class_step(
            request, who, master_class_id, "feedback", body, FEEDBACK_FIELDS, "feedback-", typed
        )

    @router.post("/master-classes/{master_class_id}/register")
    async def register_master_class(request: Request, who: Who, master_class_id: str) -> Response:
        await portal_of(request).apis.enrolment.post(f"/master-classes/{master_class_id}/registrations", who.token)
        return RedirectResponse(f"/master-classes/{master_class_id}", status_code=303)

    @router.post("/master-classes/{master_class_id}/withdraw")
    async def withdraw_master_class(request: Request, who: Who, master_class_id: str) -> Response:
        path = f"/master-classes/{master_class_id}/registrations/{who.person_id}"
        await delete(portal_of(request).apis.enrolment, path, who.token)
        return RedirectResponse(f"/master-classes/{master_class_id}", status_code=303)

    # ------------------------------------------------------------------------------- conferences
    async def conference_page(
        request: Request, who: Viewer, conference_id: str, form: FormState | None = None, status_code: int = 200
    ) -> HTMLResponse:
        conference = await portal_of(request).apis.enrolment.get(f"/conferences/{conference_id}", who.token)
        member = who.person_id in conference.get("committee_ids", [])
        programme = conference.get("programme", [])
        speakers = {talk["speaker_id"] for talk in programme}
        registered = {person for talk in programme for person in talk.get("registered_ids", [])}
        people = await names(request, who, speakers | registered | {conference["chair_id"]})
        return render(
            request,
            "formats_conference.html",
            status_code=status_code,
            conference=conference,
            tracks=by_track(conference),
            member=member,
            chair=who.person_id == conference["chair_id"],
            mine=[p for p in conference.get("proposals", []) if p["speaker_id"] == who.person_id],
            people=people,
            levels=TALK_LEVELS,
            scores=SCORES,
            form=form or FormState(values={"talk-level": "intermediate", "talk-language": "ru"}),
        )

    @router.get("/conferences/{conference_id}")
    async def conference(request: Request, who: Who, conference_id: str) -> HTMLResponse:
        return await conference_page(request, who, conference_id)

    @router.post("/conferences/{conference_id}/talks/{talk_id}/register")
    async def register_talk(request: Request, who: Who, conference_id: str, talk_id: str) -> Response:
        path = f"/conferences/{conference_id}/talks/{talk_id}/registrations"
        try:
            await portal_of(request).apis.enrolment.post(path, who.token)
        except ApiError as error:
            form = scoped(FormState(), request, error, (), f"talk-{talk_id}-")
            return await conference_page(request, who, conference_id, form, error.status)
        return RedirectResponse(f"/conferences/{conference_id}#talk-{talk_id}", status_code=303)

    async def talk_step(
        request: Request,
        who: Viewer,
        conference_id: str,
        talk_id: str,
        step: str,
        body: dict[str, Any],
        fields: tuple[str, ...],
        typed: dict[str, str],
    ) -> Response:
        """Post one step after a talk (attendance, feedback, recording); a refusal comes back beside its form."""
        path = f"/conferences/{conference_id}/talks/{talk_id}/{step}"
        try:
            await portal_of(request).apis.enrolment.post(path, who.token, body)
        except ApiError as error:
            form = explained(FormState(values=typed), request, error, fields, f"{step}-{talk_id}-")
            return await conference_page(request, who, conference_id, form, error.status)
        return RedirectResponse(f"/conferences/{conference_id}?done={step}#talk-{talk_id}", status_code=303)

    @router.post("/conferences/{conference_id}/talks/{talk_id}/attendance")
    async def talk_attendance(request: Request, who: Who, conference_id: str, talk_id: str) -> Response:
        typed = await form_of(request)
        body = {"person_ids": ticked(typed, f"attendance-{talk_id}-person-")}
        return await talk_step(request, who, conference_id, talk_id, "attendance", body, ("person_ids",), typed)

    @router.post("/conferences/{conference_id}/talks/{talk_id}/feedback")
    async def talk_feedback(request: Request, who: Who, conference_id: str, talk_id: str) -> Response:
        typed = await form_of(request)
        prefix = f"feedback-{talk_id}-"
        body = {
            "score": number(typed.get(prefix + "score", "")),
            "comment": typed.get(prefix + "comment", "").strip() or None,
        }
        return await talk_step(request, who, conference_id, talk_id, "feedback", body, FEEDBACK_FIELDS, typed)

    @router.post("/conferences/{conference_id}/talks/{talk_id}/recording")
    async def talk_recording(request: Request, who: Who, conference_id: str, talk_id: str) -> Response:
        typed = await form_of(request)
        prefix = f"recording-{talk_id}-"
        body: dict[str, Any] = {"recording_url": typed.get(prefix + "recording_url", "").strip()}
        if typed.get(prefix + "slides_url", "").strip():
            body["slides_url"] = typed[prefix + "slides_url"].strip()
        fields = ("recording_url", "slides_url")
        return await talk_step(request, who, conference_id, talk_id, "recording", body, fields, typed)

    @router.post("/conferences/{conference_id}/proposals")
    async def submit_talk(request: Request, who: Who, conference_id: str) -> Response:
        typed = await form_of(request)
        body = {
            "title": typed.get("talk-title", ""),
            "abstract": typed.get("talk-abstract", ""),
            "level": typed.get("talk-level", ""),
            "language": typed.get("talk-language", "ru"),
            "competencies": tags_of(typed.get("talk-competencies", "")),
        }
        try:
            await portal_of(request).apis.enrolment.post(f"/conferences/{conference_id}/proposals", who.token, body)
        except ApiError as error:
            form = scoped(FormState(values=typed), request, error, TALK_FIELDS, "talk-")
            return await conference_page(request, who, conference_id, form, error.status)
        return RedirectResponse(f"/conferences/{conference_id}#my-proposals", status_code=303)

    @router.post("/conferences/{conference_id}/proposals/{proposal_id}/scores")
    async def score(request: Request, who: Who, conference_id: str, proposal_id: str) -> Response:
        typed = await form_of(request)
        prefix = f"score-{proposal_id}-"
        scores: dict[str, Any] = {}
        for key, value in typed.items():
            if key.startswith(prefix):
                scores[key.removeprefix(prefix)] = int(value) if value.isdigit() else value
        path = f"/conferences/{conference_id}/proposals/{proposal_id}/scores"
        try:
            await portal_of(request).apis.enrolment.post(path, who.token, {"scores": scores})
        except ApiError as error:
            form = scoped(FormState(values=typed), request, error, ("scores",), prefix)
            return await conference_page(request, who, conference_id, form, error.status)
        return RedirectResponse(f"/conferences/{conference_id}#proposal-{proposal_id}", status_code=303)

    @router.post("/conferences/{conference_id}/proposals/{proposal_id}/decision")
    async def decide(request: Request, who: Who, conference_id: str, proposal_id: str) -> Response:
        typed = await form_of(request)
        prefix = f"decide-{proposal_id}-"
        body = {"accept": typed.get(prefix + "accept") == "yes", "message": typed.get(prefix + "message", "")}
        path = f"/conferences/{conference_id}/proposals/{proposal_id}/decision"
        try:
            await portal_of(request).apis.enrolment.post(path, who.token, body)
        except ApiError as error:
            form = scoped(FormState(values=typed), request, error, ("accept", "message"), prefix)
            return await conference_page(request, who, conference_id, form, error.status)
        return RedirectResponse(f"/conferences/{conference_id}#proposal-{proposal_id}", status_code=303)

    @router.post("/conferences/{conference_id}/proposals/{proposal_id}/slot")
    async def place(request: Request, who: Who, conference_id: str, proposal_id: str) -> Response:
        typed = await form_of(request)
        prefix = f"slot-{proposal_id}-"
        enrolment = portal_of(request).apis.enrolment
        conference = await enrolment.get(f"/conferences/{conference_id}", who.token)
        duration = typed.get(prefix + "duration_minutes", "")
        body = {
            "track": typed.get(prefix + "track", ""),
            "room": typed.get(prefix + "room", ""),
            "starts_at": aware(typed.get(prefix + "starts_at", ""), conference.get("time_zone", "UTC")),
            "duration_minutes": int(duration) if duration.isdigit() else duration,
        }
        path = f"/conferences/{conference_id}/proposals/{proposal_id}/slot"
        try:
            await enrolment.put(path, who.token, body)
        except ApiError as error:
            # A clash (409) names speaker_id or room: shown beside the room, or above the form.
            if error.field == "speaker_id":
                error = ApiError(error.status, error.detail, "starts_at")
            form = scoped(FormState(values=typed), request, error, SLOT_FIELDS, prefix)
            return await conference_page(request, who, conference_id, form, error.status)
        return RedirectResponse(f"/conferences/{conference_id}#proposal-{proposal_id}", status_code=303)

    @router.post("/conferences/{conference_id}/programme")
    async def publish(request: Request, who: Who, conference_id: str) -> Response:
        try:
            await portal_of(request).apis.enrolment.post(f"/conferences/{conference_id}/programme", who.token)
        except ApiError as error:
            form = scoped(FormState(), request, error, (), "publish-")
            return await conference_page(request, who, conference_id, form, error.status)
        return RedirectResponse(f"/conferences/{conference_id}", status_code=303)

    # ------------------------------------------------------------------------------ internships
    async def internships_page(
        request: Request, who: Viewer, form: FormState | None = None, status: int = 200
    ) -> HTMLResponse:
        mentoring = portal_of(request).apis.mentoring
        placements = await mentoring.get("/placements", who.token)
        mine = await mentoring.get("/internships", who.token)
        titles = {placement["id"]: placement["title"] for placement in placements}
        return render(
            request,
            "formats_internships.html",
            status_code=status,
            placements=placements,
            internships=mine,
            titles=titles,
            form=form or FormState(),
        )

    @router.get("/internships")
    async def internships(request: Request, who: Who) -> HTMLResponse:
        return await internships_page(request, who)

    @router.post("/internships/placements/{placement_id}/apply")
    async def apply_placement(request: Request, who: Who, placement_id: str) -> Response:
        typed = await form_of(request)
        prefix = f"apply-{placement_id}-"
        body = {"goals": typed.get(prefix + "goals", "")}
        try:
            await portal_of(request).apis.mentoring.post(f"/placements/{placement_id}/applications", who.token, body)
        except ApiError as error:
            form = scoped(FormState(values=typed), request, error, ("goals",), prefix)
            return await internships_page(request, who, form, error.status)
        return RedirectResponse("/internships#mine", status_code=303)

    @router.post("/internships/{internship_id}/log")
    async def add_log(request: Request, who: Who, internship_id: str) -> Response:
        typed = await form_of(request)
        prefix = f"log-{internship_id}-"
        body: dict[str, Any] = {"text": typed.get(prefix + "text", "")}
        if typed.get(prefix + "on"):
            body["on"] = typed[prefix + "on"]
        try:
            await portal_of(request).apis.mentoring.post(f"/internships/{internship_id}/log", who.token, body)
        except ApiError as error:
            form = scoped(FormState(values=typed), request, error, ("text", "on"), prefix)
            return await internships_page(request, who, form, error.status)
        return RedirectResponse(f"/internships#internship-{internship_id}", status_code=303)

    @router.post("/internships/{internship_id}/report")
    async def write_report(request: Request, who: Who, internship_id: str) -> Response:
        typed = await form_of(request)
        prefix = f"report-{internship_id}-"
        body = {
            "title": typed.get(prefix + "title", ""),
            "summary": typed.get(prefix + "summary", ""),
            "body": typed.get(prefix + "body", ""),
            "tags": tags_of(typed.get(prefix + "tags", "")),
        }
        try:
            await portal_of(request).apis.mentoring.put(f"/internships/{internship_id}/report", who.token, body)
        except ApiError as error:
            form = scoped(FormState(values=typed), request, error, ("title", "summary", "body", "tags"), prefix)
            return await internships_page(request, who, form, error.status)
        return RedirectResponse(f"/internships#internship-{internship_id}", status_code=303)

    # --------------------------------------------------------------------------- knowledge base
    @router.get("/knowledge")
    async def knowledge(request: Request, who: Who, q: str = "", category: str = "", tag: str = "") -> HTMLResponse:
        params: dict[str, Any] = {"q": q.strip()[:200] or None, "category": category.strip() or None, "limit": 50}
        if tag.strip():
            params["tag"] = tag.strip()
        form = FormState(values={"q": q, "category": category, "tag": tag})
        try:
            page = await portal_of(request).apis.mentoring.get("/knowledge/items", who.token, **params)
        except ApiError as error:
            if error.status != 422:
                raise
            form.refused(request, error, ("q", "category", "tag"))
            page = {"items": [], "total": 0}
        return render(request, "formats_knowledge.html", page=page, form=form)

    return router
