"""The inbox and the people read model in MongoDB."""

from datetime import UTC, datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from notifications.domain.model import InboxMessage, Locale, Template, is_locale
from shared.persistence.mongo import Document, insert_once, is_duplicate_key

INBOX = "inbox"
PEOPLE = "people"


class MongoInbox:
    """One document per message, keyed by its event-derived id: inserting it twice is a no-op."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[INBOX]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("person_id", ASCENDING), ("created_at", DESCENDING)])

    async def add(self, message: InboxMessage) -> bool:
        return await insert_once(
            self.database,
            INBOX,
            {
                "_id": message.id,
                "person_id": message.person_id,
                "template": message.template.value,
                "params": dict(message.params),
                "cause_event_id": message.cause_event_id,
                "created_at": message.created_at,
            },
        )

    async def messages(self, person_id: str, limit: int, offset: int) -> list[InboxMessage]:
        cursor = (
            self.collection.find({"person_id": person_id})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [
            InboxMessage(
                id=doc["_id"],
                person_id=doc["person_id"],
                template=Template(doc["template"]),
                params=doc["params"],
                cause_event_id=doc["cause_event_id"],
                created_at=doc["created_at"],
            )
            async for doc in cursor
        ]


class MongoPeople:
    """person id → locale, fed by the events that carry a locale, until the employee directory exists."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database[PEOPLE]

    async def remember_locale(self, person_id: str, locale: Locale) -> None:
        update = {"$set": {"locale": locale, "updated_at": datetime.now(UTC)}}
        try:
            await self.collection.update_one({"_id": person_id}, update, upsert=True)
        except (DuplicateKeyError, OperationFailure) as error:
            if not is_duplicate_key(error):
                raise
            # Another first write for this person inserted between our lookup and our insert: update it.
            await self.collection.update_one({"_id": person_id}, update)

    async def locale_of(self, person_id: str) -> Locale | None:
        doc = await self.collection.find_one({"_id": person_id}, {"locale": 1})
        locale = doc.get("locale") if doc else None
        return locale if is_locale(locale) else None
