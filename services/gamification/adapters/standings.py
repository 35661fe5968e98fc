"""Standings in MongoDB, the members boards show, the published ledger for a rebuild, and the log's ends.

A standing is one document per person (`_id` = person id), always replaced whole by the one consumer
that owns the person's partition. Field names never carry data (no dots or `$` from rule ids, circle
ids or topic names): maps are stored as lists of small documents.
"""

from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo.asynchronous.database import AsyncDatabase

from gamification.adapters.ledger import COLLECTION as LEDGER
from gamification.adapters.ledger import OUTBOX as LEDGER_OUTBOX
from gamification.domain.leaderboard import Member
from gamification.domain.standing import Credit, RuleTally, Standing
from shared.messaging.kafka import partitions_of
from shared.messaging.outbox import EventPublisher, OutboxRelay
from shared.persistence.mongo import Document, in_batches, insert_new
from shared.persistence.people import PEOPLE
from shared.persistence.versioned import PENDING

STANDINGS = "standings"
VISIBILITY = "leaderboard_visibility"
READ_BATCH = 2000
WRITE_BATCH = 1000


class MongoStandings:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[STANDINGS]

    async def get(self, person_id: str) -> Standing | None:
        document = await self.collection.find_one({"_id": person_id})
        return None if document is None else standing_of(document)

    async def save(self, standing: Standing) -> None:
        await self.collection.replace_one({"_id": standing.person_id}, document_of(standing), upsert=True)

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, Standing]:
        found: dict[str, Standing] = {}
        for ids in in_batches(sorted(set(person_ids))):
            async for document in self.collection.find({"_id": {"$in": ids}}):  # by _id alone: an index read
                found[document["_id"]] = standing_of(document)
        return found

    async def save_many(self, standings: Sequence[Standing], new: Collection[str]) -> None:
        inserted = await insert_new(
            self.database, STANDINGS, [document_of(standing) for standing in standings if standing.person_id in new]
        )
        for standing in standings:
            if standing.person_id not in inserted:  # changed, or written meanwhile by a rebuild: replaced
                await self.save(standing)

    async def every(self) -> AsyncIterator[Standing]:
        async for document in self.collection.find({}, batch_size=READ_BATCH):
            yield standing_of(document)

    async def replace_all(self, standings: Iterable[Standing]) -> int:
        await self.collection.delete_many({})
        written = 0
        batch: list[Document] = []
        for standing in standings:
            batch.append(document_of(standing))
            if len(batch) == WRITE_BATCH:
                written += await self._insert(batch)
                batch = []
        return written + await self._insert(batch)

    async def _insert(self, batch: list[Document]) -> int:
        if batch:
            await self.collection.insert_many(batch, ordered=False)
        return len(batch)

    async def reattribute(self, person_id: str, replacement: str) -> bool:
        """Erasure: the standing moves to the stand-in (added to theirs, if any) and the preference goes.

        The stand-in's document is written before the person's is deleted: a crash in between leaves
        the person's standing, and erasure (which runs again on redelivery) moves it then.
        """
        await self.database[VISIBILITY].delete_one({"_id": person_id})
        mine = await self.get(person_id)
        if mine is None:
            return False
        theirs = await self.get(replacement) or Standing(replacement)
        theirs.absorb(mine)
        await self.save(theirs)
        await self.collection.delete_one({"_id": person_id})
        return True

    async def owner_of_entry(self, entry_id: str) -> str | None:
        entry = await self.database[LEDGER].find_one({"_id": entry_id}, {"person_id": 1})
        return None if entry is None else str(entry["person_id"])


def document_of(standing: Standing) -> Document:
    return {
        "_id": standing.person_id,
        "total": standing.total,
        "points": [
            {"circle": circle, "period": period, "points": points}
            for (circle, period), points in standing.points.items()
        ],
        "rules": [{"rule": rule, "count": t.count, "points": t.points} for rule, t in standing.rules.items()],
        "held": [
            {"day": day.isoformat(), "circle": circle, "points": points}
            for (day, circle), points in standing.held.items()
        ],
        "latest": standing.latest,
        "positions": [
            {"topic": topic, "partition": partition, "offset": offset}
            for (topic, partition), offset in standing.positions.items()
        ],
        "updated_at": datetime.now(UTC),
    }


def standing_of(document: Document) -> Standing:
    latest = document.get("latest")
    return Standing(
        person_id=document["_id"],
        points={(p["circle"], p["period"]): p["points"] for p in document.get("points", [])},
        rules={r["rule"]: RuleTally(r["count"], r["points"]) for r in document.get("rules", [])},
        held={(date.fromisoformat(h["day"]), h["circle"]): h["points"] for h in document.get("held", [])},
        latest=None if latest is None else _aware(latest),
        positions={(p["topic"], p["partition"]): p["offset"] for p in document.get("positions", [])},
    )


class MongoMembers:
    """The directory copy's names and departments, and the opt-outs, for building boards."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database

    async def every(self) -> AsyncIterator[Member]:
        hidden = {doc["_id"] async for doc in self.database[VISIBILITY].find({"visible": False}, {"_id": 1})}
        fields = {"display_name": 1, "department": 1, "active": 1, "erased": 1}
        async for doc in self.database[PEOPLE].find({}, fields, batch_size=READ_BATCH):
            yield Member(
                person_id=doc["_id"],
                display_name=doc.get("display_name"),
                department=doc.get("department"),
                listed=bool(doc.get("active")) and not doc.get("erased"),
                opted_out=doc["_id"] in hidden,
            )

    async def set_visible(self, person_id: str, visible: bool) -> None:
        # Its own document, never the standing: the consumer replaces standings whole and would undo it.
        await self.database[VISIBILITY].replace_one(
            {"_id": person_id}, {"visible": visible, "updated_at": datetime.now(UTC)}, upsert=True
        )


class MongoPublishedEntries:
    """Ledger entries whose PointsAwarded event the relay has published, for a rebuild."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database[LEDGER]

    async def every(self) -> AsyncIterator[Credit]:
        fields = {
            "person_id": 1,
            "points": 1,
            "rule": 1,
            "rule_version": 1,
            "circle_id": 1,
            "restricted": 1,
            "events": 1,
            "committed_at": 1,
        }
        # Entries recorded in bulk carry no outbox state: their events went out through the ledger's batch
        # outbox, which `publish_pending_entries` empties first.
        published = {"outbox_state": {"$ne": PENDING}}
        async for doc in self.collection.find(published, fields, batch_size=READ_BATCH):
            events = doc.get("events") or []
            # The time the event carries (the live projection buckets by it), stored with the entry.
            at = events[0]["time"] if events else doc["committed_at"]
            yield Credit(
                entry_id=doc["_id"],
                person_id=doc["person_id"],
                points=doc["points"],
                rule=doc["rule"],
                rule_version=doc.get("rule_version", 1),
                at=_aware(at),
                circle_id=doc.get("circle_id"),
                restricted=bool(doc.get("restricted")),
            )


async def publish_pending_entries(database: AsyncDatabase[Document], publisher: EventPublisher) -> int:
    """Publish every ledger entry still pending in the outbox (a rebuild, the service stopped); how many are left."""
    await OutboxRelay(database, [LEDGER, LEDGER_OUTBOX], publisher, transient=[LEDGER_OUTBOX]).drain()
    return sum([await database[name].count_documents({"outbox_state": PENDING}) for name in (LEDGER, LEDGER_OUTBOX)])


async def log_ends(bootstrap_servers: str, topics: Iterable[str]) -> Mapping[tuple[str, int], int]:
    """The end offset of every partition of the topics (a topic not created yet has none)."""
    partitions = [TopicPartition(topic, p) for topic in topics for p in await partitions_of(bootstrap_servers, topic)]
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers.split(","), enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}


async def consumer_group_active(bootstrap_servers: str, group: str) -> bool:
    """True while some consumer is a member of the group (the service is running somewhere)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","))
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    # Raw DescribeGroups answers: (error code, group id, state, protocol type, protocol, members, ...).
    return any(row[1] == group and row[5] for response in responses for row in response.groups)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
