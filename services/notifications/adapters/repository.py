"""The inbox and what the service knows of people, in MongoDB."""

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from notifications.domain.model import InboxMessage, Locale, Template, is_locale
from notifications.domain.routing import Category
from shared.persistence.mongo import Document, in_batches, insert_new, insert_once, is_duplicate_key
from shared.persistence.people import PEOPLE, DirectoryCopy, PersonCopy

logger = logging.getLogger(__name__)

INBOX = "inbox"
LEARNED_LOCALES = "learned_locales"


class MongoInbox:
    """One document per message, keyed by its event-derived id: inserting it twice is a no-op."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[INBOX]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("person_id", ASCENDING), ("created_at", DESCENDING)])

    async def add(self, message: InboxMessage) -> bool:
        return bool(await self.add_many([message]))

    async def add_many(self, messages: Sequence[InboxMessage]) -> set[str]:
        return await insert_new(self.database, INBOX, [_inbox_document(message) for message in messages])

    async def messages(self, person_id: str, limit: int, offset: int, unread_only: bool = False) -> list[InboxMessage]:
        query: Document = {"person_id": person_id}
        if unread_only:
            query["read"] = {"$ne": True}
        cursor = (
            self.collection.find(query)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [_message(doc) async for doc in cursor]

    async def unread_count(self, person_id: str) -> int:
        return await self.collection.count_documents({"person_id": person_id, "read": {"$ne": True}})

    async def mark_read(self, person_id: str, message_id: str) -> bool:
        """Mark one of the person's messages read; False if they have no such message."""
        found = await self.collection.find_one({"_id": message_id}, {"person_id": 1, "read": 1})
        if found is None or found["person_id"] != person_id:
            return False
        if not found.get("read"):
            await self.collection.update_one({"_id": message_id}, {"$set": {"read": True}})
        return True

    async def mark_all_read(self, person_id: str) -> int:
        unread = await self.collection.find({"person_id": person_id, "read": {"$ne": True}}, {"_id": 1}).to_list()
        ids = [doc["_id"] for doc in unread]
        for chunk in in_batches(ids):
            await self.collection.update_many({"_id": {"$in": chunk}}, {"$set": {"read": True}})
        return len(ids)

    async def delete_person(self, person_id: str) -> int:
        # A scan on FerretDB (any filter but _id is): fine for a rare erasure, never on the read path.
        result = await self.collection.delete_many({"person_id": person_id})
        return result.deleted_count


def _inbox_document(message: InboxMessage) -> Document:
    return {
        "_id": message.id,
        "person_id": message.person_id,
        "template": message.template.value,
        "params": dict(message.params),
        "cause_event_id": message.cause_event_id,
        "created_at": message.created_at,
        "category": message.category.value,
        "read": False,
    }


def _message(doc: Document) -> InboxMessage:
    template = Template(doc["template"])
    return InboxMessage(
        id=doc["_id"],
        person_id=doc["person_id"],
        template=template,
        params=doc["params"],
        cause_event_id=doc["cause_event_id"],
        created_at=doc["created_at"],
        category=Category(doc.get("category") or template.category),
        read=bool(doc.get("read")),
    )


class MongoPeople:
    """The directory's copy of each person, and the language events told, in two collections.

    Two collections so that neither writer clobbers the other: the directory copy (`people`) replaces
    whole documents on every upsert, and the language learned from events lives in `learned_locales`.
    """

    def __init__(self, database: AsyncDatabase[Document], directory: DirectoryCopy) -> None:
        self.directory = directory
        self.people = database[PEOPLE]
        self.learned = database[LEARNED_LOCALES]

    async def get(self, person_id: str) -> PersonCopy | None:
        return await self.directory.get(person_id)

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, PersonCopy]:
        return await self.directory.get_many(person_ids)

    async def export(self, person_id: str) -> dict[str, Any] | None:
        return await self.directory.export(person_id)

    async def apply_erased(self, person_id: str) -> None:
        await self.directory.apply_erased(person_id)

    async def is_blocked(self, person_id: str) -> bool:
        """True if the directory deactivated or erased the person (for the HTTP gate)."""
        return await self.directory.is_blocked(person_id)

    async def remember_locale(self, person_id: str, locale: Locale) -> None:
        update = {"$set": {"locale": locale, "updated_at": datetime.now(UTC)}}
        try:
            await self.learned.update_one({"_id": person_id}, update, upsert=True)
        except (DuplicateKeyError, OperationFailure) as error:
            if not is_duplicate_key(error):
                raise
            # Another first write for this person inserted between our lookup and our insert: update it.
            await self.learned.update_one({"_id": person_id}, update)

    async def learned_locale(self, person_id: str) -> Locale | None:
        doc = await self.learned.find_one({"_id": person_id}, {"locale": 1})
        locale = doc.get("locale") if doc else None
        return locale if is_locale(locale) else None

    async def forget_learned_locale(self, person_id: str) -> None:
        await self.learned.delete_one({"_id": person_id})

    async def move_legacy_locales(self) -> None:
        """Move languages learned before the directory existed out of `people` into `learned_locales`.

        They were `{_id, locale, updated_at}` in `people`, which the directory copy now owns: left there,
        they would read as directory profiles of inactive people. Run at start, before the consumer
        subscribes; the scan finds nothing once every deployment has been moved, and start is no hot path.
        """
        legacy = {"version": {"$exists": False}, "erased": {"$exists": False}}
        moved = 0
        for doc in await self.people.find(legacy).to_list():
            person_id, locale = doc["_id"], doc.get("locale")
            if is_locale(locale) and await self.learned_locale(person_id) is None:
                await insert_once(
                    self.people.database,
                    LEARNED_LOCALES,
                    {"_id": person_id, "locale": locale, "updated_at": doc.get("updated_at", datetime.now(UTC))},
                )
            current = await self.people.find_one({"_id": person_id})
            if current is not None and "version" not in current and "erased" not in current:
                await self.people.delete_one({"_id": person_id})  # by _id: the check above kept any directory copy
                moved += 1
        if moved:
            logger.info("moved %d learned languages out of the people collection", moved)
