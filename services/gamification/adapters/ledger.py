"""The ledger in MongoDB: one document per entry, keyed by its deed-derived id, carrying its outbox."""

from collections.abc import Callable

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from gamification.domain.ledger import LedgerEntry
from shared.contracts.gamification import PointsAwardedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document, insert_once
from shared.persistence.versioned import ensure_outbox_indexes, outbox_fields

SOURCE = "/owlery/gamification"
COLLECTION = "ledger"


class MongoLedger:
    def __init__(self, database: AsyncDatabase[Document], on_append: Callable[[str, str], None] | None = None) -> None:
        self.database = database
        self.entries_collection = database[COLLECTION]
        self.on_append = on_append

    async def ensure_indexes(self) -> None:
        await self.entries_collection.create_index([("person_id", ASCENDING), ("awarded_at", DESCENDING)])
        await ensure_outbox_indexes(self.database, COLLECTION)

    async def append(self, entry: LedgerEntry) -> bool:
        event = PointsAwardedV1(
            entry_id=entry.id,
            person_id=entry.person_id,
            points=entry.points,
            rule=entry.rule,
            cause_event_id=entry.cause_event_id,
            cause_event_type=entry.cause_event_type,
        )
        outbox = [OutboxEvent.of(event, source=SOURCE, correlation_id=current_correlation_id())]
        # The entry id is the "once" key: a duplicate insert means this deed was already credited.
        added = await insert_once(
            self.database,
            COLLECTION,
            {
                "_id": entry.id,
                "person_id": entry.person_id,
                "points": entry.points,
                "rule": entry.rule,
                "cause_event_id": entry.cause_event_id,
                "cause_event_type": entry.cause_event_type,
                "awarded_at": entry.awarded_at,
                **outbox_fields(outbox),
            },
        )
        if added and self.on_append is not None:
            self.on_append(COLLECTION, entry.id)
        return added

    async def balance(self, person_id: str) -> int:
        # Summed from the entries, never kept as a counter: FerretDB applies increments as read-then-replace.
        rows = await (
            await self.entries_collection.aggregate(
                [{"$match": {"person_id": person_id}}, {"$group": {"_id": None, "total": {"$sum": "$points"}}}]
            )
        ).to_list()
        return int(rows[0]["total"]) if rows else 0

    async def entries(self, person_id: str, limit: int, offset: int) -> list[LedgerEntry]:
        cursor = (
            self.entries_collection.find({"person_id": person_id})
            .sort([("awarded_at", DESCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [
            LedgerEntry(
                id=doc["_id"],
                person_id=doc["person_id"],
                points=doc["points"],
                rule=doc["rule"],
                cause_event_id=doc["cause_event_id"],
                cause_event_type=doc["cause_event_type"],
                awarded_at=doc["awarded_at"],
            )
            async for doc in cursor
        ]

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Give the person's entries and their outbox events to `replacement` (erasure; see the port).

        Finding them scans the collection on FerretDB, which is fine for a rare erasure. Each rewrite is by
        _id and `$set`s only the person and the events, never the outbox state: an unpublished entry stays
        pending (and is published with the stand-in), and a relay marking one published meanwhile is kept.
        """
        found = await self.entries_collection.find({"person_id": person_id}, {"events": 1}).to_list()
        for doc in found:
            # The event's data, key and subject all name the person.
            events = replace_value(doc.get("events", []), person_id, replacement)
            await self.entries_collection.update_one(
                {"_id": doc["_id"]}, {"$set": {"person_id": replacement, "events": events}}
            )
        return len(found)
