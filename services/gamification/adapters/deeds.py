"""The deeds store: every event a rule may price, kept as it arrived, so the rules can be replayed.

One document per causing event, keyed by its CloudEvents id: a redelivered event is stored once.
Recalculation and Expert of the month read it back; nothing here is ever shown to anyone.
"""

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase

from gamification.domain.ledger import Deed
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document, insert_new, insert_once

COLLECTION = "deeds"
READ_BATCH = 2000


class MongoDeeds:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("type", 1), ("at", 1)])

    async def record(self, deed: Deed) -> bool:
        """Keep the deed; False if its event was stored before."""
        return await insert_once(self.database, COLLECTION, _document(deed))

    async def record_many(self, deeds: Sequence[Deed]) -> set[str]:
        """Keep the deeds in one write; the event ids of those not stored before."""
        return await insert_new(self.database, COLLECTION, [_document(deed) for deed in deeds])

    async def get(self, event_id: str) -> Deed | None:
        found = await self.collection.find_one({"_id": event_id})
        return None if found is None else _deed(found)

    async def of_types(
        self, types: Collection[str], since: datetime | None = None, until: datetime | None = None
    ) -> list[Deed]:
        """The deeds of these event types that happened in [since, until), oldest first."""
        query: Document = {"type": {"$in": list(types)}}
        window: Document = {}
        if since is not None:
            window["$gte"] = since
        if until is not None:
            window["$lt"] = until
        if window:
            query["at"] = window
        found = [_deed(doc) async for doc in self.collection.find(query)]
        return sorted(found, key=lambda deed: (deed.at, deed.event_id))

    async def every(self) -> AsyncIterator[Deed]:
        """Every deed stored, in no particular order (a replay sorts what it needs)."""
        async for doc in self.collection.find({}, batch_size=READ_BATCH):
            yield _deed(doc)

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Erasure: every mention of the person in a stored event names `replacement` instead; how many changed.

        Scans the store, which is fine for a rare erasure; the replacement is the one the ledger got,
        so a replay credits the former employee exactly as the ledger does.
        """
        changed = 0
        async for doc in self.collection.find({}, {"data": 1}):
            data = replace_value(doc["data"], person_id, replacement)
            if data != doc["data"]:
                await self.collection.update_one({"_id": doc["_id"]}, {"$set": {"data": data}})
                changed += 1
        return changed


def _document(deed: Deed) -> Document:
    return {
        "_id": deed.event_id,
        "type": deed.event_type,
        "data": deed.data,
        "at": deed.at,
        "restricted": deed.restricted,
    }


def _deed(doc: Document) -> Deed:
    at = doc["at"]
    return Deed(
        event_id=doc["_id"],
        event_type=doc["type"],
        data=doc["data"],
        at=at if at.tzinfo is not None else at.replace(tzinfo=UTC),
        restricted=doc.get("restricted", False),
    )
