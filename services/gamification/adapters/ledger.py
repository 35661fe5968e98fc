"""The ledger in MongoDB: one document per entry, keyed by its deed-derived id, carrying its outbox."""

import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from gamification.domain.engine import PastEntry
from gamification.domain.ledger import LedgerEntry
from gamification.domain.replay import Totals
from shared.concurrency import ConcurrencyConflict
from shared.contracts.base import IntegrationEvent
from shared.contracts.gamification import PointsAwardedV1, RestrictedPointsAwardedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.outbox import Notify
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document, insert_new, insert_once
from shared.persistence.versioned import VersionedStore, commit_id, ensure_outbox_indexes, outbox_fields

SOURCE = "/owlery/gamification"
COLLECTION = "ledger"
OUTBOX = "ledger_outbox"
"""Events of entries recorded in bulk, one outbox document per batch (the ledger's own documents carry the rest)."""
LIMITS = "limits"
"""Per (rule, person): the recent awards caps and cooldowns count, read and claimed by key, never by a scan."""


class MongoLedger:
    def __init__(self, database: AsyncDatabase[Document], on_append: Notify | None = None) -> None:
        self.database = database
        self.entries_collection = database[COLLECTION]
        self.on_append = on_append
        self.limits = VersionedStore(database, LIMITS)

    async def ensure_indexes(self) -> None:
        await self.entries_collection.create_index([("person_id", ASCENDING), ("awarded_at", DESCENDING)])
        await ensure_outbox_indexes(self.database, COLLECTION)
        await ensure_outbox_indexes(self.database, OUTBOX)

    async def append(self, entry: LedgerEntry) -> bool:
        # The entry id is the "once" key: a duplicate insert means this deed was already credited.
        added = await insert_once(self.database, COLLECTION, _stored(entry, current_correlation_id()))
        if added and self.on_append is not None:
            self.on_append(COLLECTION, entry.id)
        return added

    async def append_many(
        self, entries: Sequence[LedgerEntry], correlation_ids: Mapping[str, str | None]
    ) -> list[LedgerEntry]:
        """Record entries (of rules without limits) in two writes; those not recorded before, in order.

        Their events go first, together in one outbox document, then the entries: a crash between the two
        leaves events on their way whose entries the deeds' redelivery records. An event's id derives from
        its entry, so one announced twice (its deeds redelivered after a crash) is applied once downstream.
        """
        if not entries:
            return []
        events = [
            _announcement(entry, correlation_ids.get(entry.cause_event_id) or current_correlation_id())
            for entry in entries
        ]
        batch = {"_id": str(uuid.uuid4()), **outbox_fields(events)}
        await self.database[OUTBOX].insert_one(batch)
        if self.on_append is not None:
            self.on_append(OUTBOX, batch["_id"], batch)  # handed over as written: the relay need not read it back
        # Each keeps its event's time, which the live projection buckets periods by (so a rebuild does too).
        documents = [
            {**entry_document(entry), "committed_at": event.time} for entry, event in zip(entries, events, strict=True)
        ]
        added = await insert_new(self.database, COLLECTION, documents)
        return [entry for entry in entries if entry.id in added]

    async def awarded_since(self, rule: str, person_id: str, since: datetime) -> list[datetime]:
        """When the person was awarded under the rule since `since` (corrections left out), for caps and cooldowns."""
        awards, _ = await self._limits(rule, person_id)
        return [moment for _, moment in awards if moment >= since]

    async def append_limited(
        self, entry: LedgerEntry, fits: Callable[[list[datetime]], bool], window: timedelta
    ) -> bool:
        """Claim the entry's place under its rule's limits, then record it (see the port).

        The claim is a new version of the (rule, person) limits record, whose commit key is unique: of two
        deeds claiming at once one commits, the other reads again and decides on what is there now. The
        claim names the entry, so a redelivery after a crash between claim and record records it then.
        """
        key = _limits_id(entry.rule, entry.person_id)
        while True:
            awards, version = await self._limits(entry.rule, entry.person_id)
            if any(entry_id == entry.id for entry_id, _ in awards):
                break
            if not fits([moment for _, moment in awards if moment >= entry.awarded_at - window]):
                return False
            newest = max([entry.awarded_at, *(moment for _, moment in awards)])
            kept = [(entry_id, moment) for entry_id, moment in awards if moment >= newest - window]
            state = {
                "awards": [
                    {"entry": entry_id, "at": moment} for entry_id, moment in [*kept, (entry.id, entry.awarded_at)]
                ]
            }
            try:
                await self.limits.commit(key, version, state, [])
            except ConcurrencyConflict:
                continue
            break
        return await self.append(entry)

    async def _limits(self, rule: str, person_id: str) -> tuple[list[tuple[str, datetime]], int]:
        loaded = await self.limits.load(_limits_id(rule, person_id))
        if loaded is None:
            return [], 0
        return [(award["entry"], _aware(award["at"])) for award in loaded.state["awards"]], loaded.version

    async def _forget_limits(self, rule: str, person_id: str) -> None:
        """Erasure: drop the person's limits record and its versions (their key derives from the id)."""
        key = _limits_id(rule, person_id)
        await self.limits.heads.delete_one({"_id": key})
        version = 1
        while (await self.limits.commits.delete_one({"_id": commit_id(key, version)})).deleted_count:
            version += 1

    async def entries_about(self, rule: str, subject: str, person_id: str) -> list[PastEntry]:
        """The person's entries under the rule about `subject`; reversed where a standing correction cancels them."""
        docs = await self.entries_collection.find(
            {"person_id": person_id, "subject": subject}, {"rule": 1, "points": 1, "reverses": 1}
        ).to_list()
        cancelled = _standing_reversals(docs)
        return [PastEntry(doc["_id"], doc["points"], doc["_id"] in cancelled) for doc in docs if doc["rule"] == rule]

    async def balance(self, person_id: str) -> int:
        # Summed from the entries, never kept as a counter: FerretDB applies increments as read-then-replace.
        rows = await (
            await self.entries_collection.aggregate(
                [{"$match": {"person_id": person_id}}, {"$group": {"_id": None, "total": {"$sum": "$points"}}}]
            )
        ).to_list()
        return int(rows[0]["total"]) if rows else 0

    async def totals(self, before: datetime | None = None) -> dict[str, Totals]:
        """Every person's points, public and restricted apart (entries awarded before `before`); scans the ledger."""
        pipeline: list[Document] = [] if before is None else [{"$match": {"awarded_at": {"$lt": before}}}]
        pipeline.append(
            {
                "$group": {
                    "_id": {"person_id": "$person_id", "restricted": "$restricted"},
                    "points": {"$sum": "$points"},
                }
            }
        )
        public: dict[str, int] = {}
        restricted: dict[str, int] = {}
        async for row in await self.entries_collection.aggregate(pipeline):
            sums = restricted if row["_id"].get("restricted") else public
            person = row["_id"]["person_id"]
            sums[person] = sums.get(person, 0) + int(row["points"])
        return {
            person: Totals(public.get(person, 0), restricted.get(person, 0)) for person in public.keys() | restricted
        }

    async def entries(self, person_id: str, limit: int, offset: int) -> list[LedgerEntry]:
        cursor = (
            self.entries_collection.find({"person_id": person_id})
            .sort([("awarded_at", DESCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [entry_of(doc) async for doc in cursor]

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Give the person's entries and their outbox events to `replacement` (erasure; see the port).

        Finding them scans the ledger and its batch outbox on FerretDB, which is fine for a rare erasure. Each
        rewrite is by _id and `$set`s only the person and the events, never the outbox state: an unpublished
        entry stays pending (and is published with the stand-in), and a relay marking one published meanwhile
        is kept.
        """
        found = await self.entries_collection.find({"person_id": person_id}, {"events": 1, "rule": 1}).to_list()
        for rule in {doc["rule"] for doc in found}:
            await self._forget_limits(rule, person_id)
        for doc in found:
            # The event's data, key and subject all name the person.
            changes: Document = {"person_id": replacement}
            if "events" in doc:
                changes["events"] = replace_value(doc["events"], person_id, replacement)
            await self.entries_collection.update_one({"_id": doc["_id"]}, {"$set": changes})
        async for batch in self.database[OUTBOX].find({}, {"events": 1}):
            events = replace_value(batch["events"], person_id, replacement)
            if events != batch["events"]:
                await self.database[OUTBOX].update_one({"_id": batch["_id"]}, {"$set": {"events": events}})
        return len(found)


def _limits_id(rule: str, person_id: str) -> str:
    # Opaque: the key does not show whom it counts.
    return hashlib.sha256(json.dumps(["limits", rule, person_id]).encode()).hexdigest()[:32]


def points_awarded(entry: LedgerEntry) -> IntegrationEvent:
    """The event announcing an entry: on the restricted topic when it was priced from a restricted deed."""
    contract = RestrictedPointsAwardedV1 if entry.restricted else PointsAwardedV1
    return contract(
        entry_id=entry.id,
        person_id=entry.person_id,
        points=entry.points,
        rule=entry.rule,
        rule_version=entry.rule_version,
        cause_event_id=entry.cause_event_id,
        cause_event_type=entry.cause_event_type,
        circle_id=entry.circle_id,
    )


def _stored(entry: LedgerEntry, correlation_id: str) -> Document:
    """The entry's document with its PointsAwarded event in its outbox."""
    return {**entry_document(entry), **outbox_fields([_announcement(entry, correlation_id)])}


def _announcement(entry: LedgerEntry, correlation_id: str) -> OutboxEvent:
    # The event id derives from the entry: however often it is announced, consumers apply it once.
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"owlery:gamification:points-awarded:{entry.id}"))
    return OutboxEvent.of(points_awarded(entry), source=SOURCE, correlation_id=correlation_id, event_id=event_id)


def entry_document(entry: LedgerEntry) -> Document:
    """The entry's fields as stored (keyed by its id); `entry_of` reads them back."""
    return {
        "_id": entry.id,
        "person_id": entry.person_id,
        "points": entry.points,
        "rule": entry.rule,
        "rule_version": entry.rule_version,
        "cause_event_id": entry.cause_event_id,
        "cause_event_type": entry.cause_event_type,
        "awarded_at": entry.awarded_at,
        "subject": entry.subject,
        "reverses": entry.reverses,
        "restricted": entry.restricted,
        "circle_id": entry.circle_id,
    }


def entry_of(doc: Document) -> LedgerEntry:
    return LedgerEntry(
        id=doc["_id"],
        person_id=doc["person_id"],
        points=doc["points"],
        rule=doc["rule"],
        cause_event_id=doc["cause_event_id"],
        cause_event_type=doc["cause_event_type"],
        awarded_at=_aware(doc["awarded_at"]),
        rule_version=doc.get("rule_version", 1),
        subject=doc.get("subject"),
        reverses=doc.get("reverses"),
        restricted=doc.get("restricted", False),
        circle_id=doc.get("circle_id"),
    )


def _standing_reversals(docs: list[Document]) -> set[str]:
    """Ids cancelled by a correction that itself stands (a restore cancels a revoke, which then no longer cancels)."""
    corrections: dict[str, list[str]] = {}
    for doc in docs:
        if doc.get("reverses"):
            corrections.setdefault(doc["reverses"], []).append(doc["_id"])

    @functools.cache
    def cancelled(entry_id: str) -> bool:
        return any(not cancelled(correction) for correction in corrections.get(entry_id, ()))

    return {entry_id for entry_id in corrections if cancelled(entry_id)}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
