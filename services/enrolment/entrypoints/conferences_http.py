"""HTTP API of internal conferences: call for speakers, blind scoring, schedule, per-talk registration.

Who may do what (`CONFERENCE_POLICY` in policy.py, rules from `conference_ownership_rules`):

* a curator or HR admin creates a conference, naming its committee (curators) and its chair.
* any employee reads a conference (the programme once published; the committee sees every proposal)
  and proposes a talk while the call is open.
* committee members score proposals; a member reads the others' scores of a proposal only after
  scoring it (403 before). The chair decides, places talks in slots and publishes the programme.
* any employee registers for a talk (409 twice or when the room is full); the speaker or the chair
  marks attendance; attendees rate the talk once; the speaker attaches the recording and slides.

Bad input is 422 with `field` naming the field: an end before the start (`ends_on`), a slot outside
the conference dates (`starts_at`), an unknown track or room, a score outside 1..5. A speaker in two
places at once or two talks in one room at once is 409 naming `speaker_id` or `room`.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from enrolment.domain.conference import CRITERIA, Plan, Room, Slot, TalkIdea
from enrolment.service import conferences as use
from enrolment.service.conferences import ConferenceListing, Conferences
from shared.auth.http import caller
from shared.auth.tokens import Principal

Url = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000, examples=["https://meet.example.com/owl-42"])]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoomIn(Body):
    name: Name = Field(description="A room, or the name of an online channel")
    capacity: int = Field(description="Seats (at least 1): each talk in it takes no more registrations")
    url: Url | None = Field(None, description="The link, for an online room")


class ConferenceIn(Body):
    title: str = Field(min_length=1, max_length=200)
    starts_on: date = Field(description="First day")
    ends_on: date = Field(description="Last day (on or after the first)")
    time_zone: str = Field("Europe/Moscow", max_length=64, description="The zone the dates are in (IANA)")
    tracks: list[Name] = Field(min_length=1, max_length=20)
    rooms: list[RoomIn] = Field(min_length=1, max_length=50)
    committee_ids: list[Name] = Field(min_length=1, max_length=30, description="Programme committee (curators)")
    chair_id: str = Field(description="One of the committee: decides, schedules, publishes")

    def plan(self) -> Plan:
        return Plan(
            title=self.title,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            time_zone=self.time_zone,
            tracks=tuple(self.tracks),
            rooms=tuple(Room(r.name, r.capacity, r.url) for r in self.rooms),
            committee_ids=tuple(self.committee_ids),
            chair_id=self.chair_id,
        )


class ProposalIn(Body):
    title: str = Field(min_length=1, max_length=200)
    abstract: str = Field("", max_length=5_000)
    level: Literal["beginner", "intermediate", "advanced"]
    language: Literal["ru", "en"] = "ru"
    competencies: list[Name] = Field(default_factory=list, max_length=20)

    def idea(self) -> TalkIdea:
        return TalkIdea(self.title, self.abstract, self.level, self.language, tuple(self.competencies))


class ScoresIn(Body):
    scores: dict[str, int] = Field(
        description=f"One score 1..5 for each criterion: {', '.join(CRITERIA)}",
        examples=[dict.fromkeys(CRITERIA, 4)],
    )


class DecisionIn(Body):
    accept: bool
    message: str = Field(min_length=1, max_length=5_000, description="The chair's words to the speaker")


class SlotIn(Body):
    track: str = Field(max_length=100)
    room: str = Field(max_length=100)
    starts_at: AwareDatetime
    duration_minutes: int = Field(description="10 to 240 minutes", examples=[45])

    def slot(self) -> Slot:
        return Slot(self.track, self.room, self.starts_at, self.duration_minutes)


class AttendanceIn(Body):
    person_ids: list[str] = Field(min_length=1, max_length=10_000, description="Registered people who came")


class FeedbackIn(Body):
    score: int = Field(description="1 (not useful) to 5 (very)", examples=[5])
    comment: str | None = Field(None, max_length=5_000)


class RecordingIn(Body):
    recording_url: Url
    slides_url: Url | None = None


MAX_OFFSET = 1_000_000
"""Paging skips at most this many: a bigger skip is never meant, and past 2**63 the database cannot take it."""


class Listed(Conferences, ConferenceListing, Protocol):
    """A store of conferences that also lists their headlines."""


def conference_router(conferences: Listed, clock: Callable[[], datetime]) -> APIRouter:
    """The routes of CONFERENCE_POLICY."""
    router = APIRouter(prefix="/conferences", tags=["conferences"])
    Caller = Annotated[Principal, Depends(caller)]
    proposal = "/{conference_id}/proposals/{proposal_id}"
    talk = "/{conference_id}/talks/{talk_id}"

    @router.post("", status_code=201, summary="Create a conference with its call for speakers open")
    async def create(body: ConferenceIn, who: Caller) -> dict[str, Any]:
        created = await use.create(conferences, body.plan(), who.person_id, clock())
        return created.view(who.person_id)

    @router.get("", summary="Conferences: those to come soonest first, then those over, the most recent first")
    async def listed(
        who: Caller,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> dict[str, Any]:
        today = clock().date()
        found = await use.listed(conferences, today)
        return {
            "items": [summary.view(who.person_id, today) for summary in found[offset : offset + limit]],
            "total": len(found),
        }

    @router.get("/{conference_id}", summary="A conference: plan, programme once published, my proposals")
    async def detail(conference_id: str, who: Caller) -> dict[str, Any]:
        return (await use.get(conferences, conference_id)).view(who.person_id)

    @router.post("/{conference_id}/proposals", status_code=201, summary="Propose a talk (while the call is open)")
    async def submit(conference_id: str, body: ProposalIn, who: Caller) -> dict[str, Any]:
        return await use.submit(conferences, conference_id, who.person_id, body.idea(), clock())

    @router.post(f"{proposal}/scores", status_code=201, summary="A committee member scores a proposal, once")
    async def score(conference_id: str, proposal_id: str, body: ScoresIn, who: Caller) -> dict[str, Any]:
        return await use.score(conferences, conference_id, proposal_id, who.person_id, body.scores)

    @router.get(
        f"{proposal}/scores",
        summary="Every member's scores of a proposal: only for a member who scored it",
        responses={403: {"description": "Not on the committee, or not scored yet (blind review)"}},
    )
    async def scores(conference_id: str, proposal_id: str, who: Caller) -> dict[str, Any]:
        return await use.scores(conferences, conference_id, proposal_id, who.person_id)

    @router.post(f"{proposal}/decision", summary="The chair accepts or rejects, with a message to the speaker")
    async def decide(conference_id: str, proposal_id: str, body: DecisionIn, who: Caller) -> dict[str, Any]:
        return await use.decide_proposal(
            conferences, conference_id, proposal_id, who.person_id, body.accept, body.message
        )

    @router.put(
        f"{proposal}/slot",
        summary="The chair places an accepted talk in a slot",
        responses={409: {"description": "The speaker or the room is taken at that time"}},
    )
    async def slot(conference_id: str, proposal_id: str, body: SlotIn, who: Caller) -> dict[str, Any]:
        return await use.schedule(conferences, conference_id, proposal_id, who.person_id, body.slot())

    @router.post("/{conference_id}/programme", summary="The chair publishes the programme (closes the call)")
    async def publish(conference_id: str, who: Caller) -> dict[str, Any]:
        return await use.publish(conferences, conference_id, who.person_id, clock())

    @router.post(
        f"{talk}/registrations",
        status_code=201,
        summary="Register oneself for a talk",
        responses={409: {"description": "Already registered, the speaker, started, or the room is full"}},
    )
    async def register(conference_id: str, talk_id: str, who: Caller) -> dict[str, Any]:
        return await use.register(conferences, conference_id, talk_id, who.person_id, clock())

    @router.post(f"{talk}/attendance", summary="The speaker or the chair marks who attended")
    async def attendance(conference_id: str, talk_id: str, body: AttendanceIn, who: Caller) -> dict[str, Any]:
        return await use.mark_attended(conferences, conference_id, talk_id, who.person_id, body.person_ids, clock())

    @router.post(f"{talk}/feedback", status_code=201, summary="An attendee rates the talk (once)")
    async def feedback(conference_id: str, talk_id: str, body: FeedbackIn, who: Caller) -> dict[str, Any]:
        return await use.give_feedback(
            conferences, conference_id, talk_id, who.person_id, body.score, body.comment, clock()
        )

    @router.post(f"{talk}/recording", summary="The speaker attaches the recording and slides (after the talk)")
    async def recording(conference_id: str, talk_id: str, body: RecordingIn, who: Caller) -> dict[str, Any]:
        return await use.attach_recording(
            conferences, conference_id, talk_id, who.person_id, body.recording_url, body.slides_url, clock()
        )

    return router
