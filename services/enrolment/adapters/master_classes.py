"""Master classes in MongoDB: a versioned store ("master_classes") whose commits are also the outbox.

The list reads the heads (the newest state of each master class, a cache the store repairs on every
load) and filters them here: FerretDB scans for any filter but _id anyway, and the heads are small.
"""

from enrolment.adapters.erasure import aggregates_naming, erase_from_aggregate
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
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime

SOURCE = "/owlery/enrolment"
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


class MongoMasterClasses:
    def __init__(self, store: VersionedStore) -> None:
        self.store = store

    @property
    def outbox_collection(self) -> str:
        return self.store.outbox_collection

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()

    async def get(self, master_class_id: str) -> tuple[MasterClass, int] | None:
        loaded = await self.store.load(master_class_id)
        if loaded is None:
            return None
        return MasterClass.from_state(master_class_id, loaded.state), loaded.version

    async def save(self, master_class: MasterClass, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in master_class.events
        ]
        await self.store.commit(master_class.id, expected_version, master_class.to_state(), outbox)
        master_class.events.clear()

    async def listed(self, statuses: tuple[Status, ...]) -> list[MasterClass]:
        found = [
            MasterClass.from_state(head["_id"], head)
            async for head in self.store.heads.find({})
            if head.get("status") in statuses
        ]
        return sorted(found, key=lambda master_class: (master_class.proposal.starts_at, master_class.id))

    async def involving(self, person_id: str) -> list[str]:
        """Ids of the master classes whose state or history names the person (scans: privacy requests only)."""
        return await aggregates_naming(self.store, person_id)

    async def erase_person(self, master_class_id: str, person_id: str, replacement: str) -> bool:
        """A former employee in the person's place (host, seat, waitlist, attendance, feedback), state and history."""
        return await erase_from_aggregate(self.store, master_class_id, person_id, replacement)


def build(runtime: ServiceRuntime) -> MongoMasterClasses:
    """The master classes of this runtime: commits wake its outbox relay; indexes are made before traffic.

    The runtime's `outbox_collections` must include `OUTBOX_COLLECTION` and its `publishes` the
    `PUBLISHES` contracts, or the relay never sends their events.
    """
    store = VersionedStore(runtime.database, STORE, on_commit=runtime.relay.notify)
    master_classes = MongoMasterClasses(store)
    runtime.on_start(master_classes.ensure_indexes)
    return master_classes
