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

Erasure. Both keys *are* the person id, so erasing re-keys: every commit, the head and the debut
are copied under the erasure's stand-in (`former-employee-…`), the copy written before the original
is deleted, by _id. The debut keeps its outbox state: a published one is not sent again, a pending
one goes out naming the stand-in (as a course's pending commits do). From then on nothing is stored
under an erased person's id (the directory copy's tombstone says who is erased): a replayed or late
event naming them (a redelivered publication, a cohort of their course finishing) changes nothing
and announces no second debut. Courses keep their trainer's id (see `Course.erase_person`), so such
late events do not reach the stand-in's profile either.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase

from enrolment.domain.trainers import Debut, Trainer
from shared.contracts.enrolment import TrainerDebutedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document, insert_once
from shared.persistence.people import PersonCopy
from shared.persistence.versioned import PENDING, VersionedStore, commit_id, ensure_outbox_indexes, outbox_fields
from shared.runtime import ServiceRuntime

TRAINERS = "trainers"
DEBUTS = "trainer_debuts"
SOURCE = "/owlery/enrolment"


def _bson_time(at: datetime) -> datetime:
    """What the server will give back: UTC, whole milliseconds (so the winner and a reader agree)."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class Directory(Protocol):
    """The service's copy of the directory: who is erased."""

    async def get(self, person_id: str) -> PersonCopy | None: ...


class MongoTrainerProfiles:
    def __init__(
        self,
        database: AsyncDatabase[Document],
        on_commit: Callable[[str, str], None] | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.database = database
        self.store = VersionedStore(database, TRAINERS)
        self.debuts = database[DEBUTS]
        self.on_commit = on_commit  # wakes the outbox relay (runtime.relay.notify)
        self.directory = directory  # without it, erased people are not recognised (tests of the projection)

    async def _erased(self, person_id: str) -> bool:
        found = await self.directory.get(person_id) if self.directory is not None else None
        return found is not None and found.erased

    async def ensure_indexes(self) -> None:
        # The relay's sweep looks for pending debuts; the commits are no outbox, the _ids are the keys.
        await ensure_outbox_indexes(self.database, DEBUTS)

    async def get(self, person_id: str) -> tuple[Trainer, int] | None:
        loaded = await self.store.load(person_id)
        if loaded is None:
            return None
        return Trainer.from_state(person_id, loaded.state), loaded.version

    async def save(self, trainer: Trainer, expected_version: int) -> None:
        """Store the profile; nothing at all for an erased person (a late event must not bring them back)."""
        if await self._erased(trainer.person_id):
            return
        await self.store.commit(trainer.person_id, expected_version, trainer.to_state(), [])

    async def settle_debut(self, person_id: str, course_id: str, at: datetime, correlation_id: str) -> Debut:
        at = _bson_time(at)
        if await self._erased(person_id):
            return Debut(course_id=course_id, at=at)  # recorded nowhere, announced never: they are gone
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

    # --- privacy requests (rare: these scan) ------------------------------------------------------------

    async def involving(self, person_id: str) -> list[str]:
        """[person_id] if a profile, a version of it or a debut is still stored under the person's id, else []."""
        if await self.store.heads.find_one({"_id": person_id}, {"_id": 1}) is not None:
            return [person_id]
        if await self.debuts.find_one({"_id": person_id}, {"_id": 1}) is not None:
            return [person_id]
        # A scan (FerretDB looks up nothing but _id); the commits are probed too in case the head is gone.
        if await self.store.commits.find_one({"aggregate_id": person_id}, {"_id": 1}) is not None:
            return [person_id]
        return []

    async def erase_from_history(self, person_id: str, replacement: str) -> int:
        """Move the person's profile (every version, the head) and debut under the stand-in; how many documents moved.

        Each copy is written before its original is deleted, both by _id, so a crash leaves both and
        a rerun with the same stand-in finishes the move (a copy already there is kept). Only ids,
        states and event payloads change; the outbox fields are copied as they were.
        """
        moved = 0
        commits = await self.store.commits.find({"aggregate_id": person_id}).sort("version", 1).to_list()
        for commit in commits:
            trainer = Trainer.from_state(person_id, commit["state"])
            state = trainer.to_state() if trainer.erase_person(person_id, replacement) else commit["state"]
            copy = {
                **commit,
                "_id": commit_id(replacement, commit["version"]),
                "aggregate_id": replacement,
                "state": replace_value(state, person_id, replacement),
                "events": replace_value(commit["events"], person_id, replacement),
            }
            await insert_once(self.database, self.store.commits.name, copy)
            await self.store.commits.delete_one({"_id": commit["_id"]})
            moved += 1
        head = await self.store.heads.find_one({"_id": person_id}, {"_id": 1})
        if commits or head is not None:
            await self.store.load(replacement)  # writes the stand-in's head from the commits just moved
        if head is not None:
            await self.store.heads.delete_one({"_id": person_id})
            moved += 1
        debut = await self.debuts.find_one({"_id": person_id})
        if debut is not None:
            copy = replace_value(debut, person_id, replacement)  # the _id, the event's key and payload
            inserted = await insert_once(self.database, DEBUTS, copy)
            if inserted and copy["outbox_state"] == PENDING and self.on_commit is not None:
                self.on_commit(DEBUTS, replacement)  # still to announce, now naming the stand-in
            await self.debuts.delete_one({"_id": person_id})
            moved += 1
        return moved


def build(runtime: ServiceRuntime, directory: Directory | None = None) -> MongoTrainerProfiles:
    """The profiles of this runtime, publishing debuts through its relay, indexed before it starts.

    Call before `runtime.start()`. The runtime must list `trainer_debuts` in its outbox collections
    (so debuts a crash left unpublished go out on the relay's sweep). `directory` tells who is
    erased, so nothing is stored under their id again.
    """
    if DEBUTS not in runtime.relay.collections:
        raise ValueError(f"add {DEBUTS!r} to the runtime's outbox_collections: debuts are published from it")
    profiles = MongoTrainerProfiles(runtime.database, on_commit=runtime.relay.notify, directory=directory)
    runtime.on_start(profiles.ensure_indexes)
    return profiles
