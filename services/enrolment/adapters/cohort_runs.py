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
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import is_duplicate_key
from shared.persistence.versioned import VersionedStore, commit_id
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

    # --- privacy requests (rare: these scan) ------------------------------------------------------------

    async def involving(self, person_id: str) -> list[str]:
        """Ids of the runs whose state or history names the person (two scans: privacy requests only).

        Every state is written after the run took its roster, so whoever a run records (marks,
        submissions, comments, ratings, decisions) was a member, the trainer or the one who decided
        in the commit that recorded it; events name members and trainers. One-level paths suffice.
        """
        heads = self.store.heads.find(
            {"$or": [{"members": person_id}, {"trainer_id": person_id}, {"decided_by": person_id}]}, {"_id": 1}
        )
        commits = self.store.commits.find(
            {
                "$or": [
                    {"state.members": person_id},
                    {"state.trainer_id": person_id},
                    {"state.decided_by": person_id},
                    {"state.decisions.person_id": person_id},
                    {"state.certificates.person_id": person_id},
                    {"events.data.person_id": person_id},
                    {"events.data.trainer_id": person_id},
                ]
            },
            {"aggregate_id": 1},
        )
        found = {head["_id"] async for head in heads} | {commit["aggregate_id"] async for commit in commits}
        return sorted(found)

    async def erase_from_history(self, cohort_id: str, person_id: str, replacement: str, through_version: int) -> int:
        """Rewrite the run's past commits, read and written by _id, as if a former employee had taken part.

        The person's certificate numbers go too (they hash the person id), in states and event
        payloads. Only `state` and `events` are set: the relay's outbox fields stay as they are, so a
        pending commit is still published (carrying the stand-in) and a published one is not sent again.
        """
        changed = 0
        for version in range(1, through_version + 1):
            commit = await self.store.commits.find_one({"_id": commit_id(cohort_id, version)})
            if commit is None:
                continue
            run = CohortRun.from_state(cohort_id, commit["state"])
            state = run.to_state() if run.erase_person(person_id, replacement) else commit["state"]
            events = commit["events"]
            for old, new in [(person_id, replacement), *run.erased_certificate_numbers(person_id, replacement).items()]:
                state = replace_value(state, old, new)  # and anything the domain does not know of
                events = replace_value(events, old, new)
            if state == commit["state"] and events == commit["events"]:
                continue
            await self.store.commits.update_one({"_id": commit["_id"]}, {"$set": {"state": state, "events": events}})
            changed += 1
        return changed

    async def erase_certificates(self, run: CohortRun, person_id: str, replacement: str) -> int:
        """Index the stand-in's certificates of an erased run under their new numbers and drop the person's.

        The new entry is written before the old one goes, so a crash in between leaves an entry that
        finds nothing (the run no longer holds that number) rather than a certificate that cannot be
        found. Returns how many old entries were dropped.
        """
        dropped = 0
        for old, new in run.erased_certificate_numbers(person_id, replacement).items():
            await self._index_certificate(new, run.cohort_id)
            result = await self.certificates.delete_one({"_id": old})
            dropped += result.deleted_count
        return dropped


def build(runtime: ServiceRuntime) -> MongoCohortRuns:
    """The runs of this runtime: commits wake its outbox relay; indexes are made before traffic.

    The runtime's `outbox_collections` must include `OUTBOX_COLLECTION` ("cohort_runs_commits")
    and its `publishes` the `PUBLISHES` contracts, or the relay never sends the runs' events.
    """
    store = VersionedStore(runtime.database, STORE, on_commit=runtime.relay.notify)
    runs = MongoCohortRuns(store)
    runtime.on_start(runs.ensure_indexes)
    return runs
