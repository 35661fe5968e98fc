"""A service's own copy of the employee directory, kept from the directory's events.

No service reads the directory's database: each keeps the fields it needs in its own `people`
collection. Events for one person share a partition key, so they arrive in order; the directory
version still guards against a redelivered older upsert overwriting a newer profile, and an
erasure leaves a tombstone (no personal data) so a replayed upsert cannot bring the person back.
"""

from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.audit import AuditLog
from shared.contracts import directory
from shared.messaging.cloudevents import Envelope
from shared.messaging.consumer import ReliableConsumer
from shared.persistence.mongo import Document, in_batches

PEOPLE = "people"

ALL_FIELDS = ("display_name", "email", "department", "manager_id", "job_title", "locale", "time_zone")


@dataclass(frozen=True)
class PersonCopy:
    person_id: str
    active: bool
    erased: bool
    fields: dict[str, Any]

    @property
    def locale(self) -> str | None:
        value = self.fields.get("locale")
        return value if isinstance(value, str) else None


_REQUEST_READS: ContextVar[dict[tuple[int, str], "PersonCopy | None"] | None] = ContextVar(
    "owlery_request_people", default=None
)


@contextmanager
def one_read_per_request() -> Iterator[None]:
    """Within it (one HTTP request), a person's copy is read from the store once.

    The gate reads the caller's copy (blocked or not) and a use case often reads the same person again
    (an employee applying for themselves): one round trip, not two. Forgotten when the request ends, so a
    task it started and left running reads the store again.
    """
    memo: dict[tuple[int, str], PersonCopy | None] = {}
    token = _REQUEST_READS.set(memo)
    try:
        yield
    finally:
        memo.clear()
        _REQUEST_READS.reset(token)


class DirectoryCopy:
    """The `people` collection of one service; `fields` names the profile fields this service keeps."""

    def __init__(self, database: AsyncDatabase[Document], fields: Iterable[str] = ALL_FIELDS) -> None:
        self.collection = database[PEOPLE]
        self.fields = tuple(fields)
        unknown = set(self.fields) - set(ALL_FIELDS)
        if unknown:
            raise ValueError(f"not directory fields: {sorted(unknown)}")

    async def _current(self, person_id: str) -> Document | None:
        return await self.collection.find_one({"_id": person_id})

    async def apply_upsert(self, event: directory.PersonUpsertedV1) -> bool:
        """Keep the profile unless what we hold is newer or erased; True if it changed."""
        self._forget(event.person_id)
        current = await self._current(event.person_id)
        if current is not None and (current.get("erased") or current.get("version", 0) >= event.version):
            return False
        document: Document = {
            "_id": event.person_id,
            "active": event.active,
            "erased": False,
            "version": event.version,
            "updated_at": datetime.now(UTC),
            **{name: getattr(event, name) for name in self.fields},
        }
        await self.collection.replace_one({"_id": event.person_id}, document, upsert=True)
        return True

    async def apply_deactivated(self, event: directory.PersonDeactivatedV1) -> bool:
        self._forget(event.person_id)
        current = await self._current(event.person_id)
        if current is not None and (current.get("erased") or current.get("version", 0) >= event.version):
            return False
        document = {**(current or {"_id": event.person_id}), "active": False, "version": event.version}
        document["updated_at"] = datetime.now(UTC)
        await self.collection.replace_one({"_id": event.person_id}, document, upsert=True)
        return True

    async def apply_erased(self, person_id: str) -> None:
        """Replace the profile by a tombstone that holds nothing about the person but the id."""
        self._forget(person_id)
        tombstone = {"_id": person_id, "active": False, "erased": True, "updated_at": datetime.now(UTC)}
        await self.collection.replace_one({"_id": person_id}, tombstone, upsert=True)

    async def get(self, person_id: str) -> PersonCopy | None:
        memo = _REQUEST_READS.get()
        if memo is not None and (id(self), person_id) in memo:
            return memo[(id(self), person_id)]
        document = await self._current(person_id)
        found = None if document is None else self._copy(document)
        if memo is not None:
            memo[(id(self), person_id)] = found
        return found

    def _forget(self, person_id: str) -> None:
        memo = _REQUEST_READS.get()
        if memo is not None:
            memo.pop((id(self), person_id), None)

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, PersonCopy]:
        """The copies of those of these people the directory told us about, by id (a batch's lookups in one)."""
        found: dict[str, PersonCopy] = {}
        for ids in in_batches(sorted(set(person_ids))):
            # A filter on _id alone, so the launcher's FerretDB reads them through its index.
            async for document in self.collection.find({"_id": {"$in": ids}}):
                found[document["_id"]] = self._copy(document)
        return found

    def _copy(self, document: Document) -> PersonCopy:
        return PersonCopy(
            person_id=document["_id"],
            active=bool(document.get("active")),
            erased=bool(document.get("erased")),
            fields={name: document.get(name) for name in self.fields if name in document},
        )

    async def is_blocked(self, person_id: str) -> bool:
        """True if the directory deactivated or erased this person; unknown people are not blocked."""
        found = await self.get(person_id)
        return found is not None and (not found.active or found.erased)

    async def export(self, person_id: str) -> Document | None:
        document = await self._current(person_id)
        if document is None or document.get("erased"):
            return None
        return {key: value for key, value in document.items() if key not in ("_id", "updated_at")}


def follow_directory(
    consumer: ReliableConsumer,
    people: DirectoryCopy,
    erase: Callable[[str], Awaitable[None]],
    audit: AuditLog | None = None,
) -> None:
    """Subscribe `consumer` to the directory: keep `people` current and run `erase` on an erasure.

    `erase` deletes or anonymises everything else the service holds on the person; it must be
    safe to run twice (a redelivered erasure runs it again). Each erasure is kept in `audit`.
    """

    async def upserted(event: directory.PersonUpsertedV1, envelope: Envelope) -> None:
        await people.apply_upsert(event)

    async def deactivated(event: directory.PersonDeactivatedV1, envelope: Envelope) -> None:
        await people.apply_deactivated(event)

    async def erased(event: directory.PersonErasedV1, envelope: Envelope) -> None:
        await erase(event.person_id)
        await people.apply_erased(event.person_id)
        if audit is not None:
            await audit.record(
                "person.erased", event.requested_by, event.person_id, event.reason, entry_id=f"erased:{envelope.id}"
            )

    consumer.on(directory.PersonUpsertedV1, upserted)
    consumer.on(directory.PersonDeactivatedV1, deactivated)
    consumer.on(directory.PersonErasedV1, erased)
