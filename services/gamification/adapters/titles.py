"""Expert of the month in MongoDB: one document per decision, keyed by its title id, carrying its outbox.

A document names a person for a scope, a month and a count: never a comment nor the time of a mark.
The months whose decisions are all recorded are kept apart (`title_months`), so the hourly job
costs one lookup by id once a month is settled.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from gamification.domain.titles import ExpertTitle, Scope
from shared.contracts.gamification import ExpertOfTheMonthNamedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document, insert_once
from shared.persistence.versioned import ensure_outbox_indexes, outbox_fields

SOURCE = "/owlery/gamification"
COLLECTION = "titles"
SETTLED_MONTHS = "title_months"


class MongoTitles:
    def __init__(self, database: AsyncDatabase[Document], on_name: Callable[[str, str], None] | None = None) -> None:
        self.database = database
        self.collection = database[COLLECTION]
        self.settled = database[SETTLED_MONTHS]
        self.on_name = on_name  # wakes the outbox relay

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("title_month", ASCENDING), ("scope", ASCENDING), ("scope_id", ASCENDING)])
        await ensure_outbox_indexes(self.database, COLLECTION)

    async def name(self, title: ExpertTitle) -> bool:
        """Record the decision with its event; False if this title id was decided before (by anyone)."""
        event = ExpertOfTheMonthNamedV1(
            title_id=title.title_id,
            person_id=title.person_id,
            scope=title.scope,
            scope_id=title.scope_id,
            counted_month=title.counted_month,
            title_month=title.title_month,
            helpful_marks=title.helpful_marks,
        )
        outbox = [OutboxEvent.of(event, source=SOURCE, correlation_id=current_correlation_id())]
        added = await insert_once(
            self.database,
            COLLECTION,
            {
                "_id": title.title_id,
                "person_id": title.person_id,
                "scope": title.scope,
                "scope_id": title.scope_id,
                "counted_month": title.counted_month,
                "title_month": title.title_month,
                "helpful_marks": title.helpful_marks,
                **outbox_fields(outbox),
            },
        )
        if added and self.on_name is not None:
            self.on_name(COLLECTION, title.title_id)
        return added

    async def held(
        self, title_month: str, scope: Scope | None = None, scope_id: str | None = None
    ) -> list[ExpertTitle]:
        query: Document = {"title_month": title_month}
        if scope is not None:
            query["scope"] = scope
        if scope_id is not None:
            query["scope_id"] = scope_id
        found = [_title(doc) async for doc in self.collection.find(query)]
        return sorted(found, key=lambda title: (title.scope, title.scope_id))

    async def of_person(self, person_id: str) -> list[ExpertTitle]:
        found = [_title(doc) async for doc in self.collection.find({"person_id": person_id})]
        return sorted(found, key=lambda title: (title.title_month, title.scope, title.scope_id))

    async def month_settled(self, counted_month: str) -> bool:
        return await self.settled.find_one({"_id": counted_month}) is not None

    async def settle(self, counted_month: str) -> None:
        await insert_once(self.database, SETTLED_MONTHS, {"_id": counted_month, "settled_at": datetime.now(UTC)})

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Give the person's titles, and the events in their outbox, to `replacement` (erasure).

        Scans the collection on FerretDB, fine for a rare erasure; `$set`s only the person and the events,
        so an unpublished event stays pending (and goes out naming the stand-in).
        """
        found = await self.collection.find({"person_id": person_id}, {"events": 1}).to_list()
        for doc in found:
            events = replace_value(doc.get("events", []), person_id, replacement)
            await self.collection.update_one(
                {"_id": doc["_id"]}, {"$set": {"person_id": replacement, "events": events}}
            )
        return len(found)


def _title(doc: Document) -> ExpertTitle:
    return ExpertTitle(
        title_id=doc["_id"],
        person_id=doc["person_id"],
        scope=cast(Scope, doc["scope"]),
        scope_id=doc["scope_id"],
        counted_month=doc["counted_month"],
        title_month=doc["title_month"],
        helpful_marks=doc["helpful_marks"],
    )
