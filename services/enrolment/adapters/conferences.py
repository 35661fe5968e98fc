"""Conferences in MongoDB: a versioned store ("conferences") whose commits are also the outbox."""

from enrolment.adapters.aggregates import VersionedAggregates
from enrolment.domain.conference import (
    Conference,
    ConferenceEvent,
    Created,
    ProgrammePublished,
    ProposalDecided,
    ProposalScored,
    ProposalSubmitted,
    Summary,
    TalkAttended,
    TalkFeedbackGiven,
    TalkRecordingAttached,
    TalkRegistered,
    TalkScheduled,
)
from shared.contracts import enrolment as contracts
from shared.contracts.base import IntegrationEvent
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime

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


SUMMARY_FIELDS = ("title", "starts_on", "ends_on", "time_zone", "status", "tracks", "committee_ids", "chair_id")


class MongoConferences(VersionedAggregates[Conference]):
    def __init__(self, store: VersionedStore) -> None:
        super().__init__(store, Conference.from_state, to_integration_event)

    async def summaries(self) -> list[Summary]:
        """Every conference's headline, from the heads without their proposals: a handful a year, so a
        scan of small projected documents (no filter for FerretDB to scan nested fields with)."""
        projection = dict.fromkeys(SUMMARY_FIELDS, 1)
        return [Summary.from_state(head["_id"], head) async for head in self.store.heads.find({}, projection)]


def build(runtime: ServiceRuntime) -> MongoConferences:
    """The conferences of this runtime: commits wake its outbox relay; indexes are made before traffic.

    The runtime's `outbox_collections` must include `OUTBOX_COLLECTION` and its `publishes` the
    `PUBLISHES` contracts, or the relay never sends their events.
    """
    store = VersionedStore(runtime.database, STORE, on_commit=runtime.relay.notify)
    conferences = MongoConferences(store)
    runtime.on_start(conferences.ensure_indexes)
    return conferences
