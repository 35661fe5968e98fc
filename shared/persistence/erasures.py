"""Erasures on MongoDB for every service: the erasures under way, and stored values rewritten without the person."""

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.persistence.mongo import Document, insert_once

ERASURES = "erasures_in_progress"


def replace_value(value: Any, old: str, new: str) -> Any:
    """`value` with every string equal to `old` (values and keys, at any depth) replaced by `new`."""
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, dict):
        return {replace_value(key, old, new): replace_value(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_value(item, old, new) for item in value]
    return value


class MongoErasures:
    """One document per erasure under way, keyed by the person: gone once the erasure is done.

    It exists so a crashed erasure resumes with the stand-in it chose; otherwise a rerun would
    pick a new one and split the former employee's history over two ids.
    """

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[ERASURES]

    async def begin(self, person_id: str, replacement: str) -> str:
        for _ in range(3):  # an erasure finishing in between deletes what we just failed to insert
            document = {"_id": person_id, "replacement": replacement, "started_at": datetime.now(UTC)}
            if await insert_once(self.database, ERASURES, document):
                return replacement
            found = await self.collection.find_one({"_id": person_id})
            if found is not None:
                return str(found["replacement"])
        raise RuntimeError("could not record the erasure under way")

    async def finish(self, person_id: str) -> None:
        await self.collection.delete_one({"_id": person_id})
