"""Master classes in MongoDB: a versioned store ("master_classes") whose commits are also the outbox.

The list reads the heads (the newest state of each master class, a cache the store repairs on every
load) and filters them here: FerretDB scans for any filter but _id anyway, and the heads are small.
"""

from enrolment.adapters.aggregates import VersionedAggregates
from enrolment.domain.master_class import (
    FeedbackGiven,
    Held,
    MasterClass,
    MasterClassEvent,
    Promoted,
    Proposed,
    Published,
    RecordingAttached,
    Registered,
    Status,
    Waitlisted,
    Withdrawn,
)
from shared.contracts import enrolment as contracts
from shared.contracts.base import IntegrationEvent
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime

STORE = "master_classes"
OUTBOX_COLLECTION = f"{STORE}_commits"

PUBLISHES: list[type[IntegrationEvent]] = [
    contracts.MasterClassProposedV1,
    contracts.MasterClassPublishedV1,
    contracts.MasterClassRegisteredV1,
    contracts.MasterClassWaitlistedV1,
    contracts.MasterClassPromotedV1,
    contracts.MasterClassWithdrawnV1,
    contracts.MasterClassHeldV1,
    contracts.MasterClassRecordingAttachedV1,
    contracts.MasterClassFeedbackGivenV1,
]
"""What master classes publish (for the runtime's `publishes`)."""


def to_integration_event(event: MasterClassEvent) -> IntegrationEvent:
    match event:
        case Proposed():
            return contracts.MasterClassProposedV1(
                master_class_id=event.master_class_id,
                host_id=event.host_id,
                title=event.title,
                language=event.language,
                competencies=list(event.competencies),
                starts_at=event.starts_at,
                duration_minutes=event.duration_minutes,
                capacity=event.capacity,
                needs_approval=event.needs_approval,
            )
        case Published():
            return contracts.MasterClassPublishedV1(
                master_class_id=event.master_class_id,
                host_id=event.host_id,
                title=event.title,
                language=event.language,
                competencies=list(event.competencies),
                starts_at=event.starts_at,
                duration_minutes=event.duration_minutes,
                capacity=event.capacity,
                approved_by=event.approved_by,
            )
        case Registered():
            return contracts.MasterClassRegisteredV1(
                master_class_id=event.master_class_id,
                person_id=event.person_id,
                title=event.title,
                starts_at=event.starts_at,
            )
        case Waitlisted():
            return contracts.MasterClassWaitlistedV1(
                master_class_id=event.master_class_id,
                person_id=event.person_id,
                title=event.title,
                position=event.position,
            )
        case Promoted():
            return contracts.MasterClassPromotedV1(
                master_class_id=event.master_class_id,
                person_id=event.person_id,
                title=event.title,
                starts_at=event.starts_at,
            )
        case Withdrawn():
            return contracts.MasterClassWithdrawnV1(
                master_class_id=event.master_class_id, person_id=event.person_id, was=event.was
            )
        case Held():
            return contracts.MasterClassHeldV1(
                master_class_id=event.master_class_id,
                host_id=event.host_id,
                title=event.title,
                competencies=list(event.competencies),
                duration_minutes=event.duration_minutes,
                attendee_ids=list(event.attendee_ids),
            )
        case RecordingAttached():
            return contracts.MasterClassRecordingAttachedV1(
                master_class_id=event.master_class_id,
                host_id=event.host_id,
                title=event.title,
                abstract=event.abstract,
                language=event.language,
                competencies=list(event.competencies),
                recording_url=event.recording_url,
                materials=list(event.materials),
            )
        case FeedbackGiven():
            return contracts.MasterClassFeedbackGivenV1(
                master_class_id=event.master_class_id, host_id=event.host_id, person_id=event.person_id
            )


class MongoMasterClasses(VersionedAggregates[MasterClass]):
    def __init__(self, store: VersionedStore) -> None:
        super().__init__(store, MasterClass.from_state, to_integration_event)

    async def listed(self, statuses: tuple[Status, ...]) -> list[MasterClass]:
        found = [
            MasterClass.from_state(head["_id"], head)
            async for head in self.store.heads.find({})
            if head.get("status") in statuses
        ]
        return sorted(found, key=lambda master_class: (master_class.proposal.starts_at, master_class.id))


def build(runtime: ServiceRuntime) -> MongoMasterClasses:
    """The master classes of this runtime: commits wake its outbox relay; indexes are made before traffic.

    The runtime's `outbox_collections` must include `OUTBOX_COLLECTION` and its `publishes` the
    `PUBLISHES` contracts, or the relay never sends their events.
    """
    store = VersionedStore(runtime.database, STORE, on_commit=runtime.relay.notify)
    master_classes = MongoMasterClasses(store)
    runtime.on_start(master_classes.ensure_indexes)
    return master_classes
