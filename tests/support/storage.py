"""What a service's database really holds, read raw: for tests of promises about storage (erasure, secrecy)."""

import json
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


async def every_document(database: AsyncDatabase[Document]) -> dict[str, list[Document]]:
    """Every document of every collection, by collection name, in _id order."""
    return {
        name: await database[name].find({}).sort("_id", 1).to_list()
        for name in sorted(await database.list_collection_names())
    }


def mentioning(documents: dict[str, list[Document]], text: str) -> dict[str, list[Document]]:
    """The documents (by collection) in which `text` appears anywhere, keys and values alike."""
    found = {
        name: [d for d in docs if text in json.dumps(d, default=str, ensure_ascii=False)]
        for name, docs in documents.items()
    }
    return {name: docs for name, docs in found.items() if docs}
