"""HTTP API of master classes: any employee proposes and hosts one session; colleagues register and rate it.

Who may do what (`MASTER_CLASS_POLICY` in policy.py, rules from `master_class_ownership_rules`):

* any employee proposes; with `master_class_approval` on, a curator approves before it is published.
* until it is published a master class is between its host and the curators (and admins).
* any employee registers themself; the host may not (409, naming `person_id`). Each withdraws only
  their own registration.
* the host marks it held and attaches the recording and materials; nobody else does.
* registered people give feedback, once each; anyone else gets 403.

Bad input: a duration outside 30..120 minutes, a start in the past, a capacity below 1 or a score
outside 1..5 are 422 with `field` naming the field.
"""

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from enrolment.domain.master_class import MasterClass, Proposal, Status
from enrolment.entrypoints.policy import SEE_ALL_MASTER_CLASSES
from enrolment.service import master_classes as use
from enrolment.service.master_classes import MasterClasses
from shared.auth.http import caller
from shared.auth.tokens import Principal

MAX_OFFSET = 1_000_000
"""Paging skips at most this many: a bigger skip is never meant, and past 2**63 the database cannot take it."""

# --- bodies -------------------------------------------------------------------------------------------

Url = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000, examples=["https://meet.example.com/owl-42"])]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MasterClassIn(Body):
    title: str = Field(min_length=1, max_length=200, description="What the session is about")
    abstract: str = Field("", max_length=5_000, description="A few lines for the catalogue")
    language: Literal["ru", "en"] = Field(description="The language it is given in")
    competencies: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20, description="Competencies it builds (catalogue tags)"
    )
    starts_at: AwareDatetime = Field(description="Start, with its time zone; in the future")
    duration_minutes: int = Field(description="30 to 120 minutes", examples=[60])
    capacity: int = Field(description="Seats (at least 1); later registrations join the waitlist", examples=[20])
    room_url: Url | None = Field(None, description="Link to the room or webinar")

    def proposal(self) -> Proposal:
        return Proposal(
            title=self.title,
            abstract=self.abstract,
            language=self.language,
            competencies=tuple(self.competencies),
            starts_at=self.starts_at,
            duration_minutes=self.duration_minutes,
            capacity=self.capacity,
            room_url=self.room_url,
        )


class HeldIn(Body):
    attendee_ids: list[str] | None = Field(
        None, max_length=10_000, description="Who attended (registered people); everyone registered by default"
    )


class RecordingIn(Body):
    recording_url: Url = Field(description="Link to the recording")
    materials: list[Url] = Field(default_factory=list, max_length=50, description="Links to slides, code, reading")


class FeedbackIn(Body):
    score: int = Field(description="How useful was it? 1 (not at all) to 5 (very)", examples=[5])
    comment: str | None = Field(None, max_length=5_000, description="Optional words for the host")


def _plain(master_class: MasterClass, viewer_id: str) -> dict[str, Any]:
    plain: dict[str, Any] = dataclasses.asdict(master_class.view(viewer_id))
    return plain


def _visible(master_class: MasterClass, who: Principal) -> bool:
    return (
        master_class.status != "proposed"
        or who.person_id == master_class.host_id
        or who.has_any(SEE_ALL_MASTER_CLASSES)
    )


def master_class_router(
    master_classes: MasterClasses, clock: Callable[[], datetime], needs_approval: bool
) -> APIRouter:
    """The routes of MASTER_CLASS_POLICY; `needs_approval` is the company's setting."""
    router = APIRouter(prefix="/master-classes", tags=["master classes"])
    Caller = Annotated[Principal, Depends(caller)]

    @router.post("", status_code=201, summary="Propose a master class (published at once unless approval is asked)")
    async def propose(body: MasterClassIn, who: Caller) -> dict[str, Any]:
        created = await use.propose(master_classes, who.person_id, body.proposal(), needs_approval, clock())
        return _plain(created, who.person_id)

    @router.get("", summary="Master classes, soonest first: published and held by default")
    async def listed(
        who: Caller,
        status: Annotated[Status | None, Query(description="Only those in this status")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> dict[str, Any]:
        statuses: tuple[Status, ...] = (status,) if status else ("published", "held")
        found = [m for m in await master_classes.listed(statuses) if _visible(m, who)]
        return {"items": [_plain(m, who.person_id) for m in found[offset : offset + limit]], "total": len(found)}

    @router.get("/{master_class_id}", summary="One master class: seats left, waitlist length, my status")
    async def detail(master_class_id: str, who: Caller) -> dict[str, Any]:
        return _plain(await use.get(master_classes, master_class_id), who.person_id)

    @router.post("/{master_class_id}/approval", summary="A curator approves (publishes) a proposed master class")
    async def approve(master_class_id: str, who: Caller) -> dict[str, Any]:
        approved = await use.approve(master_classes, master_class_id, who.person_id, clock())
        return _plain(approved, who.person_id)

    @router.post(
        "/{master_class_id}/registrations",
        status_code=201,
        summary="Register oneself: a seat, or the waitlist when full",
        responses={409: {"description": "Already registered, the host, or registration is closed"}},
    )
    async def register(master_class_id: str, who: Caller) -> dict[str, Any]:
        return dataclasses.asdict(await use.register(master_classes, master_class_id, who.person_id, clock()))

    @router.delete(
        "/{master_class_id}/registrations/{person_id}",
        summary="Withdraw (a seat or the waitlist); the first person waiting takes a freed seat",
    )
    async def withdraw(master_class_id: str, person_id: str) -> dict[str, Any]:
        return dataclasses.asdict(await use.withdraw(master_classes, master_class_id, person_id, clock()))

    @router.post("/{master_class_id}/held", summary="The host marks it held, with who attended")
    async def held(master_class_id: str, who: Caller, body: HeldIn | None = None) -> dict[str, Any]:
        attendees = body.attendee_ids if body is not None else None
        return dataclasses.asdict(
            await use.mark_held(master_classes, master_class_id, who.person_id, attendees, clock())
        )

    @router.post("/{master_class_id}/recording", summary="The host attaches the recording and materials")
    async def recording(master_class_id: str, body: RecordingIn, who: Caller) -> dict[str, Any]:
        view = await use.attach_recording(
            master_classes, master_class_id, who.person_id, body.recording_url, body.materials
        )
        return dataclasses.asdict(view)

    @router.post("/{master_class_id}/feedback", status_code=201, summary="An attendee's one-question feedback (once)")
    async def feedback(master_class_id: str, body: FeedbackIn, who: Caller) -> dict[str, Any]:
        view = await use.give_feedback(
            master_classes, master_class_id, who.person_id, body.score, body.comment, clock()
        )
        return dataclasses.asdict(view)

    return router
