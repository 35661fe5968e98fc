"""Cohort runs in MongoDB: a versioned store ("cohort_runs") whose commits are also the outbox.

Certificates are found by number through `cohort_run_certificates` ({_id: number, cohort_id}): an
index written *before* the commit that issues them, by _id alone (FerretDB looks up nothing else).
A lost attempt may leave an entry whose run never issued that number; the lookup always checks the
run itself, so such an entry finds nothing, and the winner's retry writes the same entry again
(numbers depend only on cohort, person and year).
"""

from pymongo.errors import DuplicateKeyError, OperationFailure

from enrolment.domain.cohort_run import (
    AttendanceMarked,
    CohortFinished,
    CohortRun,
    CompletionDecided,
    HomeworkAssigned,
    HomeworkReviewed,
    HomeworkSubmitted,
    RunEvent,
    SessionFeedbackGiven,
    SessionUpdated,
)
from shared.contracts import enrolment as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.mongo import is_duplicate_key
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime

SOURCE = "/owlery/enrolment"
STORE = "cohort_runs"
OUTBOX_COLLECTION = f"{STORE}_commits"
CERTIFICATES = "cohort_run_certificates"

PUBLISHES: list[type[IntegrationEvent]] = [
    contracts.SessionUpdatedV1,
    contracts.AttendanceMarkedV1,
    contracts.HomeworkAssignedV1,
    contracts.HomeworkSubmittedV1,
    contracts.HomeworkReviewedV1,
    contracts.SessionFeedbackGivenV1,
    contracts.CompletionDecidedV1,
    contracts.CohortFinishedV1,
]
"""What the runs publish (for the runtime's `publishes`)."""


def to_integration_event(event: RunEvent) -> IntegrationEvent:
    match event:
        case SessionUpdated():
            return contracts.SessionUpdatedV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                session_number=event.session_number,
                starts_at=event.starts_at,
                room_url=event.room_url,
                recording_url=event.recording_url,
                materials=list(event.materials),
                change=event.change,
            )
        case AttendanceMarked():
            return contracts.AttendanceMarkedV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                session_number=event.session_number,
                person_id=event.person_id,
                trainer_id=event.trainer_id,
                status=event.status,
            )
        case HomeworkAssigned():
            return contracts.HomeworkAssignedV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                homework_id=event.homework_id,
                session_number=event.session_number,
                due_at=event.due_at,
            )
        case HomeworkSubmitted():
            return contracts.HomeworkSubmittedV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                homework_id=event.homework_id,
                person_id=event.person_id,
                late=event.late,
                attempt=event.attempt,
            )
        case HomeworkReviewed():
            return contracts.HomeworkReviewedV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                homework_id=event.homework_id,
                person_id=event.person_id,
                trainer_id=event.trainer_id,
                outcome=event.outcome,
                attempt=event.attempt,
            )
        case SessionFeedbackGiven():
            return contracts.SessionFeedbackGivenV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                session_number=event.session_number,
                person_id=event.person_id,
            )
        case CompletionDecided():
            return contracts.CompletionDecidedV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                person_id=event.person_id,
                trainer_id=event.trainer_id,
                completed=event.completed,
                attendance_rate=event.attendance_rate,
                homework_rate=event.homework_rate,
                certificate_number=event.certificate_number,
                trains_trainers=event.trains_trainers,
            )
        case CohortFinished():
            return contracts.CohortFinishedV1(
                course_id=event.course_id,
                cohort_id=event.cohort_id,
                trainer_id=event.trainer_id,
                participants=event.participants,
                completed=event.completed,
                average_rating=event.average_rating,
            )


class MongoCohortRuns:
    def __init__(self, store: VersionedStore) -> None:
        self.store = store
        self.certificates = store.heads.database[CERTIFICATES]

    @property
    def outbox_collection(self) -> str:
        return self.store.outbox_collection

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()  # the certificate index needs none: it is read by _id only

    async def get(self, cohort_id: str) -> tuple[CohortRun, int] | None:
        loaded = await self.store.load(cohort_id)
        if loaded is None:
            return None
        return CohortRun.from_state(cohort_id, loaded.state), loaded.version

    async def save(self, run: CohortRun, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in run.events
        ]
        for event in run.events:
            if isinstance(event, CompletionDecided) and event.certificate_number is not None:
                await self._index_certificate(event.certificate_number, run.cohort_id)
        await self.store.commit(run.cohort_id, expected_version, run.to_state(), outbox)
        run.events.clear()

    async def _index_certificate(self, number: str, cohort_id: str) -> None:
        entry = {"_id": number, "cohort_id": cohort_id}
        try:
            await self.certificates.replace_one({"_id": number}, entry, upsert=True)
        except (
            DuplicateKeyError,
            OperationFailure,
        ) as error:  # two first writes of the same entry raced: the other one is there
            if not is_duplicate_key(error):
                raise

    async def cohort_of_certificate(self, number: str) -> str | None:
        entry = await self.certificates.find_one({"_id": number})
        return str(entry["cohort_id"]) if entry is not None else None


def build(runtime: ServiceRuntime) -> MongoCohortRuns:
    """The runs of this runtime: commits wake its outbox relay; indexes are made before traffic.

    The runtime's `outbox_collections` must include `OUTBOX_COLLECTION` ("cohort_runs_commits")
    and its `publishes` the `PUBLISHES` contracts, or the relay never sends the runs' events.
    """
    store = VersionedStore(runtime.database, STORE, on_commit=runtime.relay.notify)
    runs = MongoCohortRuns(store)
    runtime.on_start(runs.ensure_indexes)
    return runs
