"""Use cases of internal conferences: load, decide, save with `retry_on_conflict` (a lost race decides again).

Proposals, scores, slots and seats all live in the one `Conference`, and every change is a versioned
commit keyed by (id, version): two people racing for the last seat of a talk, or two chairs' clicks
placing talks in one room, cannot both win; the loser reloads and decides again.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from uuid import uuid4

from enrolment.domain.conference import Conference, Plan, Slot, Summary, TalkIdea, soonest_first
from shared.concurrency import retry_on_conflict
from shared.errors import NotFound

T = TypeVar("T")


class Conferences(Protocol):
    async def get(self, conference_id: str) -> tuple[Conference, int] | None:
        """The conference and the version it was loaded at."""
        ...

    async def save(self, conference: Conference, expected_version: int) -> None:
        """Store it with the events it recorded; ConcurrencyConflict if the version moved."""
        ...


class ConferenceListing(Protocol):
    async def summaries(self) -> list[Summary]:
        """Every conference's headline (no proposals)."""
        ...


async def listed(listing: ConferenceListing, today: date) -> list[Summary]:
    """Conferences to come soonest first, then those over, the most recent first."""
    return soonest_first(await listing.summaries(), today)


async def get(conferences: Conferences, conference_id: str) -> Conference:
    loaded = await conferences.get(conference_id)
    if loaded is None:
        raise NotFound(f"no conference {conference_id}", conference_id=conference_id)
    return loaded[0]


async def _change(conferences: Conferences, conference_id: str, decide: Callable[[Conference], T]) -> T:
    async def attempt() -> T:
        loaded = await conferences.get(conference_id)
        if loaded is None:
            raise NotFound(f"no conference {conference_id}", conference_id=conference_id)
        conference, version = loaded
        result = decide(conference)
        if conference.events:
            await conferences.save(conference, version)
        return result

    return await retry_on_conflict(attempt, aggregate_id=conference_id)


async def create(conferences: Conferences, plan: Plan, created_by: str, now: datetime) -> Conference:
    conference = Conference.create(f"conf-{uuid4().hex[:16]}", plan, created_by, now)
    await conferences.save(conference, 0)
    return conference


async def submit(
    conferences: Conferences, conference_id: str, speaker_id: str, idea: TalkIdea, now: datetime
) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        proposal = conference.submit(speaker_id, idea, now)
        return next(p for p in conference.view(speaker_id)["proposals"] if p["id"] == proposal.id)

    return await _change(conferences, conference_id, decide)


async def score(
    conferences: Conferences, conference_id: str, proposal_id: str, member_id: str, scores: dict[str, int]
) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        conference.score(proposal_id, member_id, scores)
        return conference.scores_seen_by(proposal_id, member_id)

    return await _change(conferences, conference_id, decide)


async def scores(conferences: Conferences, conference_id: str, proposal_id: str, member_id: str) -> dict[str, Any]:
    return (await get(conferences, conference_id)).scores_seen_by(proposal_id, member_id)


async def decide_proposal(
    conferences: Conferences, conference_id: str, proposal_id: str, chair_id: str, accept: bool, message: str
) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        conference.decide(proposal_id, chair_id, accept, message)
        return next(p for p in conference.view(chair_id)["proposals"] if p["id"] == proposal_id)

    return await _change(conferences, conference_id, decide)


async def schedule(
    conferences: Conferences, conference_id: str, proposal_id: str, chair_id: str, slot: Slot
) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        conference.schedule(proposal_id, chair_id, slot)
        return conference.talk_view(conference.proposal(proposal_id), chair_id)

    return await _change(conferences, conference_id, decide)


async def publish(conferences: Conferences, conference_id: str, chair_id: str, now: datetime) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        conference.publish(chair_id, now)
        return conference.view(chair_id)

    return await _change(conferences, conference_id, decide)


async def register(
    conferences: Conferences, conference_id: str, talk_id: str, person_id: str, now: datetime
) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        return conference.talk_view(conference.register(talk_id, person_id, now), person_id)

    return await _change(conferences, conference_id, decide)


async def mark_attended(
    conferences: Conferences, conference_id: str, talk_id: str, marked_by: str, person_ids: list[str], now: datetime
) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        return conference.talk_view(conference.mark_attended(talk_id, marked_by, person_ids, now), marked_by)

    return await _change(conferences, conference_id, decide)


async def give_feedback(
    conferences: Conferences,
    conference_id: str,
    talk_id: str,
    person_id: str,
    score: int,
    comment: str | None,
    now: datetime,
) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        return conference.talk_view(conference.give_feedback(talk_id, person_id, score, comment, now), person_id)

    return await _change(conferences, conference_id, decide)


async def attach_recording(
    conferences: Conferences,
    conference_id: str,
    talk_id: str,
    speaker_id: str,
    recording_url: str,
    slides_url: str | None,
    now: datetime,
) -> dict[str, Any]:
    def decide(conference: Conference) -> dict[str, Any]:
        talk = conference.attach_recording(talk_id, speaker_id, recording_url, slides_url, now)
        return conference.talk_view(talk, speaker_id)

    return await _change(conferences, conference_id, decide)
