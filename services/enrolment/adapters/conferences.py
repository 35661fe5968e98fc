"""Conferences in MongoDB: a versioned store ("conferences") whose commits are also the outbox."""

from typing import Any

from enrolment.domain.conference import (
    Conference,
    ConferenceEvent,
    Created,
    ProgrammePublished,
    ProposalDecided,
    ProposalScored,
    ProposalSubmitted,
    TalkAttended,
    TalkFeedbackGiven,
    TalkRecordingAttached,
    TalkRegistered,
    TalkScheduled,
)
from shared.concurrency import retry_on_conflict
from shared.contracts import enrolment as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.versioned import VersionedStore, commit_id
from shared.runtime import ServiceRuntime

SOURCE = "/owlery/enrolment"
STORE = "conferences"
OUTBOX_COLLECTION = f"{STORE}_commits"

PUBLISHES: list[type[IntegrationEvent]] = [
    contracts.ConferenceCreatedV1,
    contracts.ConferenceProposalSubmittedV1,
    contracts.ConferenceProposalScoredV1,
    contracts.ConferenceProposalDecidedV1,
    contracts.ConferenceTalkScheduledV1,
    contracts.ConferenceProgrammePublishedV1,
    contracts.ConferenceTalkRegisteredV1,
    contracts.ConferenceTalkAttendedV1,
    contracts.ConferenceTalkFeedbackGivenV1,
    contracts.ConferenceTalkRecordingAttachedV1,
]
"""What conferences publish (for the runtime's `publishes`)."""


def to_integration_event(event: ConferenceEvent) -> IntegrationEvent:
    match event:
        case Created():
            return contracts.ConferenceCreatedV1(
                conference_id=event.conference_id,
                title=event.title,
                starts_on=event.starts_on.isoformat(),
                ends_on=event.ends_on.isoformat(),
                tracks=list(event.tracks),
                committee_ids=list(event.committee_ids),
                chair_id=event.chair_id,
                created_by=event.created_by,
            )
        case ProposalSubmitted():
            return contracts.ConferenceProposalSubmittedV1(
                conference_id=event.conference_id,
                proposal_id=event.proposal_id,
                speaker_id=event.speaker_id,
                title=event.title,
                level=event.level,
                competencies=list(event.competencies),
            )
        case ProposalScored():
            return contracts.ConferenceProposalScoredV1(
                conference_id=event.conference_id, proposal_id=event.proposal_id, member_id=event.member_id
            )
        case ProposalDecided():
            return contracts.ConferenceProposalDecidedV1(
                conference_id=event.conference_id,
                proposal_id=event.proposal_id,
                speaker_id=event.speaker_id,
                title=event.title,
                decision=event.decision,
                message=event.message,
                decided_by=event.decided_by,
            )
        case TalkScheduled():
            return contracts.ConferenceTalkScheduledV1(
                conference_id=event.conference_id,
                talk_id=event.talk_id,
                speaker_id=event.speaker_id,
                title=event.title,
                track=event.track,
                room=event.room,
                starts_at=event.starts_at,
                duration_minutes=event.duration_minutes,
            )
        case ProgrammePublished():
            return contracts.ConferenceProgrammePublishedV1(
                conference_id=event.conference_id,
                title=event.title,
                talk_ids=list(event.talk_ids),
                speaker_ids=list(event.speaker_ids),
            )
        case TalkRegistered():
            return contracts.ConferenceTalkRegisteredV1(
                conference_id=event.conference_id,
                talk_id=event.talk_id,
                person_id=event.person_id,
                title=event.title,
                starts_at=event.starts_at,
            )
        case TalkAttended():
            return contracts.ConferenceTalkAttendedV1(
                conference_id=event.conference_id,
                talk_id=event.talk_id,
                person_id=event.person_id,
                speaker_id=event.speaker_id,
                competencies=list(event.competencies),
            )
        case TalkFeedbackGiven():
            return contracts.ConferenceTalkFeedbackGivenV1(
                conference_id=event.conference_id,
                talk_id=event.talk_id,
                speaker_id=event.speaker_id,
                person_id=event.person_id,
            )
        case TalkRecordingAttached():
            return contracts.ConferenceTalkRecordingAttachedV1(
                conference_id=event.conference_id,
                talk_id=event.talk_id,
                speaker_id=event.speaker_id,
                title=event.title,
                abstract=event.abstract,
                language=event.language,
                competencies=list(event.competencies),
                recording_url=event.recording_url,
                slides_url=event.slides_url,
            )


class MongoConferences:
    def __init__(self, store: VersionedStore) -> None:
        self.store = store

    @property
    def outbox_collection(self) -> str:
        return self.store.outbox_collection

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()

    async def get(self, conference_id: str) -> tuple[Conference, int] | None:
        loaded = await self.store.load(conference_id)
        if loaded is None:
            return None
        return Conference.from_state(conference_id, loaded.state), loaded.version

    async def save(self, conference: Conference, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in conference.events
        ]
        await self.store.commit(conference.id, expected_version, conference.to_state(), outbox)
        conference.events.clear()

    async def involving(self, person_id: str) -> list[str]:
        """Ids of the conferences whose state or history names the person (scans: privacy requests only)."""
        named: set[str] = set()
        async for head in self.store.heads.find({}):
            if _names(head, person_id):
                named.add(head["_id"])
        async for commit in self.store.commits.find({}, {"aggregate_id": 1, "state": 1, "events": 1}):
            if _names({"state": commit.get("state"), "events": commit.get("events")}, person_id):
                named.add(commit["aggregate_id"])
        return sorted(named)

    async def erase_person(self, conference_id: str, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place (committee, chair, speaker, scores, seats, attendance,
        feedback), state and history alike; False if nothing named them. The change is a new version with
        no events (erasure is not news); past commits are rewritten by _id, their outbox fields kept."""

        async def attempt() -> tuple[bool, int]:
            loaded = await self.store.load(conference_id)
            if loaded is None:
                return False, 0
            state = replace_value(loaded.state, person_id, replacement)
            if state == loaded.state:
                return False, loaded.version
            await self.store.commit(conference_id, loaded.version, state, [])
            return True, loaded.version

        erased, history = await retry_on_conflict(attempt, aggregate_id=conference_id)
        rewritten = 0
        for version in range(1, history + 1):
            commit = await self.store.commits.find_one({"_id": commit_id(conference_id, version)})
            if commit is None:
                continue
            state = replace_value(commit.get("state"), person_id, replacement)
            events = replace_value(commit.get("events", []), person_id, replacement)
            if state != commit.get("state") or events != commit.get("events", []):
                await self.store.commits.update_one(
                    {"_id": commit["_id"]}, {"$set": {"state": state, "events": events}}
                )
                rewritten += 1
        return erased or rewritten > 0


def _names(document: Any, person_id: str) -> bool:
    return bool(replace_value(document, person_id, "\x00") != document)


def build(runtime: ServiceRuntime) -> MongoConferences:
    """The conferences of this runtime: commits wake its outbox relay; indexes are made before traffic.

    The runtime's `outbox_collections` must include `OUTBOX_COLLECTION` and its `publishes` the
    `PUBLISHES` contracts, or the relay never sends their events.
    """
    store = VersionedStore(runtime.database, STORE, on_commit=runtime.relay.notify)
    conferences = MongoConferences(store)
    runtime.on_start(conferences.ensure_indexes)
    return conferences
