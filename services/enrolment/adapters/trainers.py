"""Trainers' profiles on MongoDB (FerretDB v1): a versioned profile per person, and the debuts.

Why this shape. A trainer's events come from several partitions: publications and schedules are
keyed by course, finished cohorts by cohort, and the reliable consumer's "already handled" check is
no lock (a rebalance can hand the same event to two replicas at once). So one profile has several
writers, and on FerretDB no conditional update is atomic. Per-course documents would not help
(cohorts of one course travel on different partitions too), and listing a person's documents by a
field would scan the collection on every read. Hence:

- `trainers` holds each profile under `_id = person_id` (one lookup per GET), written through
  `VersionedStore`: each change inserts `trainers_commits/<person_id>@<version>`, so of two writers
  that loaded the same version one wins the unique key and the other reloads and re-decides (no lost
  update), and every fact is keyed by a course or cohort id (no double count on redelivery).
- `trainer_debuts` holds one document per trainer, `_id = person_id`, inserted once: the unique key
  decides which course was first however many replicas race. The document is also an outbox entry
  carrying `TrainerDebutedV1`, so the event goes out exactly once with the decision (the relay must
  list this collection). It is written before the course enters the profile, so a crash in between
  is mended by the redelivery, which finds the debut and adds the course.

`trainers_commits` carry no events (their outbox state is "published"); the relay need not read them.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase

from enrolment.domain.trainers import Debut, Trainer
from shared.contracts.enrolment import TrainerDebutedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import Document, insert_once
from shared.persistence.versioned import VersionedStore, ensure_outbox_indexes, outbox_fields
from shared.runtime import ServiceRuntime

TRAINERS = "trainers"
DEBUTS = "trainer_debuts"
SOURCE = "/owlery/enrolment"


def _bson_time(at: datetime) -> datetime:
    """What the server will give back: UTC, whole milliseconds (so the winner and a reader agree)."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class MongoTrainerProfiles:
    def __init__(self, database: AsyncDatabase[Document], on_commit: Callable[[str, str], None] | None = None) -> None:
        self.database = database
        self.store = VersionedStore(database, TRAINERS)
        self.debuts = database[DEBUTS]
        self.on_commit = on_commit  # wakes the outbox relay (runtime.relay.notify)

    async def ensure_indexes(self) -> None:
        # The relay's sweep looks for pending debuts; the commits are no outbox, the _ids are the keys.
        await ensure_outbox_indexes(self.database, DEBUTS)

    async def get(self, person_id: str) -> tuple[Trainer, int] | None:
        loaded = await self.store.load(person_id)
        if loaded is None:
            return None
        return Trainer.from_state(person_id, loaded.state), loaded.version

    async def save(self, trainer: Trainer, expected_version: int) -> None:
        await self.store.commit(trainer.person_id, expected_version, trainer.to_state(), [])

    async def settle_debut(self, person_id: str, course_id: str, at: datetime, correlation_id: str) -> Debut:
        at = _bson_time(at)
        event = OutboxEvent.of(
            TrainerDebutedV1(person_id=person_id, course_id=course_id), source=SOURCE, correlation_id=correlation_id
        )
        document = {"_id": person_id, "course_id": course_id, "debuted_at": at, **outbox_fields([event])}
        if await insert_once(self.database, DEBUTS, document):
            if self.on_commit is not None:
                self.on_commit(DEBUTS, person_id)
            return Debut(course_id=course_id, at=at)
        found = await self.debuts.find_one({"_id": person_id}, {"course_id": 1, "debuted_at": 1})
        if found is None:  # only if someone deleted it between our insert and this read
            raise RuntimeError(f"the debut of {person_id} clashed on insert but cannot be read")
        return Debut(course_id=found["course_id"], at=found["debuted_at"])


def build(runtime: ServiceRuntime) -> MongoTrainerProfiles:
    """The profiles of this runtime, publishing debuts through its relay, indexed before it starts.

    Call before `runtime.start()`. The runtime must list `trainer_debuts` in its outbox collections
    (so debuts a crash left unpublished go out on the relay's sweep).
    """
    if DEBUTS not in runtime.relay.collections:
        raise ValueError(f"add {DEBUTS!r} to the runtime's outbox_collections: debuts are published from it")
    profiles = MongoTrainerProfiles(runtime.database, on_commit=runtime.relay.notify)
    runtime.on_start(profiles.ensure_indexes)
    return profiles
