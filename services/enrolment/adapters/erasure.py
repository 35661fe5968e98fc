"""Erasure in an aggregate kept in a versioned store whose state names people by id (master classes, conferences).

The person's id is replaced wherever it stands as a value, in the current state and in every past commit;
nothing else changes, so counts, orders and averages stay as they were.
"""

from typing import Any

from shared.concurrency import retry_on_conflict
from shared.persistence.erasures import replace_value
from shared.persistence.versioned import VersionedStore, commit_id


async def aggregates_naming(store: VersionedStore, person_id: str) -> list[str]:
    """Ids of the aggregates whose state or history names the person (scans: privacy requests only)."""
    named: set[str] = set()
    async for head in store.heads.find({}):
        if _names(head, person_id):
            named.add(head["_id"])
    async for commit in store.commits.find({}, {"aggregate_id": 1, "state": 1, "events": 1}):
        if _names({"state": commit.get("state"), "events": commit.get("events")}, person_id):
            named.add(commit["aggregate_id"])
    return sorted(named)


async def erase_from_aggregate(store: VersionedStore, aggregate_id: str, person_id: str, replacement: str) -> bool:
    """Put `replacement` in the person's place, state and history alike; False if nothing named them.

    The change is a new version with no events (erasure is not news), against concurrent changes like any
    other; past commits are rewritten by _id, their outbox fields kept (a pending one is still published,
    carrying the stand-in).
    """

    async def attempt() -> tuple[bool, int]:
        loaded = await store.load(aggregate_id)
        if loaded is None:
            return False, 0
        state = replace_value(loaded.state, person_id, replacement)
        if state == loaded.state:
            return False, loaded.version
        await store.commit(aggregate_id, loaded.version, state, [])
        return True, loaded.version

    erased, history = await retry_on_conflict(attempt, aggregate_id=aggregate_id)
    rewritten = 0
    for version in range(1, history + 1):
        commit = await store.commits.find_one({"_id": commit_id(aggregate_id, version)})
        if commit is None:
            continue
        state = replace_value(commit.get("state"), person_id, replacement)
        events = replace_value(commit.get("events", []), person_id, replacement)
        if state != commit.get("state") or events != commit.get("events", []):
            await store.commits.update_one({"_id": commit["_id"]}, {"$set": {"state": state, "events": events}})
            rewritten += 1
    return erased or rewritten > 0


def _names(document: Any, person_id: str) -> bool:
    return bool(replace_value(document, person_id, "\x00") != document)
