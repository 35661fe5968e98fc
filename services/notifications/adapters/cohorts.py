"""What notifications knows of cohorts (schedule, members, calendar sequence) and the reminders it will send.

Kept from enrolment's events, in this service's own database: `cohorts` (one document per cohort),
`reminders` (only those still to fire: the periodic look for due ones reads a small collection) and
`homework_handed_in` (one document per person and homework, so nobody is reminded of work they handed in).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase

from notifications.domain.cohorts import Cohort, Reminder
from shared.persistence.mongo import Document, in_batches, insert_new, insert_once

COHORTS = "cohorts"
REMINDERS = "reminders"
HANDED_IN = "homework_handed_in"


class MongoCohorts:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[COHORTS]
        self.reminders = database[REMINDERS]
        self.handed_in = database[HANDED_IN]

    async def get(self, cohort_id: str) -> Cohort | None:
        doc = await self.collection.find_one({"_id": cohort_id})
        return None if doc is None else _cohort(doc)

    async def save(self, cohort: Cohort) -> None:
        # Read, change, replace: one cohort's events come through one consumer, in order.
        await self.collection.replace_one({"_id": cohort.cohort_id}, _document(cohort), upsert=True)

    async def change(self, cohort_id: str, how: Callable[[Cohort], Cohort]) -> Cohort:
        cohort = how(await self.get(cohort_id) or Cohort(cohort_id))
        await self.save(cohort)
        return cohort

    async def plan_reminders(self, reminders: Iterable[Reminder]) -> int:
        """Keep reminders to fire later; one already kept (same id) stays as it is. How many are new."""
        documents = [
            {"_id": r.id, "kind": r.kind, "cohort_id": r.cohort_id, "at": r.at, "params": r.params} for r in reminders
        ]
        return len(await insert_new(self.database, REMINDERS, documents))

    async def due_reminders(self, now: datetime) -> list[Reminder]:
        found = [
            Reminder(doc["_id"], doc["kind"], doc["cohort_id"], _aware(doc["at"]), doc.get("params", {}))
            async for doc in self.reminders.find({})
        ]
        return sorted((r for r in found if r.at <= now), key=lambda r: (r.at, r.id))

    async def fired(self, reminder_ids: Sequence[str]) -> None:
        for chunk in in_batches(list(reminder_ids)):
            await self.reminders.delete_many({"_id": {"$in": chunk}})

    async def hand_in(self, homework_id: str, person_id: str) -> None:
        await insert_once(self.database, HANDED_IN, {"_id": f"{homework_id}:{person_id}"})

    async def handed_in_by(self, homework_id: str, people: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in in_batches([f"{homework_id}:{person}" for person in people]):
            async for doc in self.handed_in.find({"_id": {"$in": chunk}}, {"_id": 1}):
                found.add(doc["_id"].rsplit(":", 1)[1])
        return found

    async def forget_person(self, person_id: str) -> None:
        """Erasure: off every cohort's member list, and no trace of their homework. Scans: erasure is rare."""
        async for doc in self.collection.find({"members": person_id}):
            cohort = _cohort(doc)
            await self.save(replace(cohort, members=tuple(m for m in cohort.members if m != person_id)))
        mine = [doc["_id"] async for doc in self.handed_in.find({}, {"_id": 1}) if doc["_id"].endswith(f":{person_id}")]
        for chunk in in_batches(mine):
            await self.handed_in.delete_many({"_id": {"$in": chunk}})


def _document(cohort: Cohort) -> Document:
    return {
        "_id": cohort.cohort_id,
        "course_id": cohort.course_id,
        "course_title": cohort.course_title,
        "time_zone": cohort.time_zone,
        "session_starts": list(cohort.session_starts),
        "members": list(cohort.members),
        "sequence": cohort.sequence,
        "trainer_id": cohort.trainer_id,
    }


def _cohort(doc: Document) -> Cohort:
    return Cohort(
        cohort_id=doc["_id"],
        course_id=doc.get("course_id"),
        course_title=doc.get("course_title"),
        time_zone=doc.get("time_zone"),
        session_starts=tuple(_aware(moment) for moment in doc.get("session_starts", [])),
        members=tuple(doc.get("members", [])),
        sequence=int(doc.get("sequence", 0)),
        trainer_id=doc.get("trainer_id"),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
