"""Connection and error helpers for PyMongo's async API."""

from collections.abc import Iterator, Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

Document = dict[str, Any]


def connect(url: str) -> AsyncMongoClient[Document]:
    # tz_aware: dates come back as aware UTC datetimes on both MongoDB and FerretDB.
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)


async def ping(database: AsyncDatabase[Document]) -> bool:
    try:
        await database.command("ping")
    except Exception:
        return False
    return True


def is_duplicate_key(error: Exception) -> bool:
    """True for a unique-key clash, however the server reports it (FerretDB may wrap it)."""
    if isinstance(error, DuplicateKeyError):
        return True
    if isinstance(error, BulkWriteError):
        return all(e.get("code") == 11000 for e in error.details.get("writeErrors", []))
    return isinstance(error, OperationFailure) and (error.code == 11000 or "duplicate key" in str(error).lower())


async def insert_once(database: AsyncDatabase[Document], collection: str, document: Document) -> bool:
    """Insert a document keyed by something that must happen once; False if it already happened."""
    try:
        await database[collection].insert_one(document)
    except (DuplicateKeyError, OperationFailure) as error:
        if is_duplicate_key(error):
            return False
        raise
    return True


ID_BATCH = 500
"""Ids per `{_id: {$in: [...]}}` query: the launcher's FerretDB reads up to this many through the _id index."""


def in_batches(ids: Sequence[str], size: int = ID_BATCH) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


async def insert_new(database: AsyncDatabase[Document], collection: str, documents: Sequence[Document]) -> set[str]:
    """Insert documents each keyed by something that must happen once; the ids of those inserted now.

    One round trip for the lot (unordered: a duplicate does not stop the others); a document whose
    _id is there already is left as it was, as `insert_once` does one by one.
    """
    if not documents:
        return set()
    try:
        await database[collection].insert_many(list(documents), ordered=False)
    except BulkWriteError as error:
        if not is_duplicate_key(error):
            raise
        clashed = {failure["index"] for failure in error.details.get("writeErrors", [])}
        return {document["_id"] for index, document in enumerate(documents) if index not in clashed}
    return {document["_id"] for document in documents}
