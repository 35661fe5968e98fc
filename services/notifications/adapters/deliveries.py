"""Notifications on their way (email, chat) and what happened to each, in MongoDB.

`notifications` keeps every notification with its attempts, keyed by its event-derived id (a second
insert is a no-op: a redelivered event sends nothing new). `send_queue` holds only those still to send,
keyed the same way, so the sender's periodic look for due ones reads a small collection (FerretDB scans
for any filter but _id) and a sent one leaves it.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from notifications.domain.delivery import Attempt, Notification
from notifications.domain.model import Template
from notifications.domain.preferences import Status
from notifications.domain.routing import CalendarAction, Category, Channel, Priority
from shared.persistence.mongo import Document, in_batches, insert_new

NOTIFICATIONS = "notifications"
QUEUE = "send_queue"
ORPHAN_AGE = timedelta(minutes=5)


class MongoNotifications:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[NOTIFICATIONS]
        self.queue = database[QUEUE]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("person_id", ASCENDING), ("created_at", DESCENDING)])

    async def add(self, notification: Notification) -> bool:
        """Keep a new notification (queued when it is to be sent); False if its id was kept before."""
        return bool(await self.add_many([notification]))

    async def add_many(self, notifications: Sequence[Notification]) -> set[str]:
        """Keep new notifications, queueing those to send; the ids of those not kept before.

        Queued first: a crash before the notifications are kept leaves queue entries the sender drops once
        they are old; a queue entry there already (a redelivery) is left as it is.
        """
        queued_at = datetime.now(UTC)
        await insert_new(
            self.database,
            QUEUE,
            [
                {"_id": n.id, "send_at": n.send_at, "person_id": n.person_id, "queued_at": queued_at}
                for n in notifications
                if n.pending
            ],
        )
        return await insert_new(self.database, NOTIFICATIONS, [_document(n) for n in notifications])

    async def due(self, now: datetime, limit: int = 500) -> list[Notification]:
        """Notifications whose time has come, oldest first."""
        entries = [entry async for entry in self.queue.find({}) if _aware(entry["send_at"]) <= now]
        entries.sort(key=lambda entry: (_aware(entry["send_at"]), entry["_id"]))
        ids = [entry["_id"] for entry in entries[:limit]]
        found: dict[str, Notification] = {}
        for chunk in in_batches(ids):
            async for doc in self.collection.find({"_id": {"$in": chunk}}):
                found[doc["_id"]] = _notification(doc)
        # A queue entry is written just before its notification: one without a notification is an orphan only
        # once it is older than any writer can be slow (else the sender would drop one being written right now).
        long_ago = datetime.now(UTC) - ORPHAN_AGE  # the wall clock: writers are slow in real time
        settled = {entry["_id"] for entry in entries if _aware(entry.get("queued_at") or long_ago) <= long_ago}
        orphans = [
            entry_id
            for entry_id in ids
            if (entry_id in found and not found[entry_id].pending) or (entry_id not in found and entry_id in settled)
        ]
        for chunk in in_batches(orphans):
            await self.queue.delete_many({"_id": {"$in": chunk}})
        return [found[entry_id] for entry_id in ids if entry_id in found and found[entry_id].pending]

    async def save(self, notifications: Sequence[Notification]) -> None:
        """Record what happened to these: still pending ones stay queued (at their new time), the rest leave."""
        for notification in notifications:
            await self.collection.replace_one({"_id": notification.id}, _document(notification))
            if notification.pending:
                await self._enqueue(notification)
        done = [notification.id for notification in notifications if not notification.pending]
        for chunk in in_batches(done):
            await self.queue.delete_many({"_id": {"$in": chunk}})

    async def of_person(self, person_id: str, limit: int, offset: int) -> list[Notification]:
        cursor = (
            self.collection.find({"person_id": person_id})
            .sort([("created_at", DESCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [_notification(doc) async for doc in cursor]

    async def delete_person(self, person_id: str) -> int:
        """Erasure: their notifications and queue entries go. Scans, which is fine for a rare erasure."""
        mine = [doc["_id"] async for doc in self.collection.find({"person_id": person_id}, {"_id": 1})]
        for chunk in in_batches(mine):
            await self.queue.delete_many({"_id": {"$in": chunk}})
            await self.collection.delete_many({"_id": {"$in": chunk}})
        return len(mine)

    async def _enqueue(self, notification: Notification) -> None:
        entry = {"send_at": notification.send_at, "person_id": notification.person_id, "queued_at": datetime.now(UTC)}
        await self.queue.replace_one({"_id": notification.id}, entry, upsert=True)


def _document(notification: Notification) -> Document:
    return {
        "_id": notification.id,
        "cause_event_id": notification.cause_event_id,
        "person_id": notification.person_id,
        "channel": notification.channel.value,
        "template": notification.template.value,
        "params": dict(notification.params),
        "category": notification.category.value,
        "priority": notification.priority.value,
        "created_at": notification.created_at,
        "status": notification.status.value,
        "send_at": notification.send_at,
        "digest": notification.digest,
        "calendar": notification.calendar.value if notification.calendar else None,
        "cohort_id": notification.cohort_id,
        "attempts": [
            {"at": attempt.at, "status": attempt.status.value, "reason": attempt.reason}
            for attempt in notification.attempts
        ],
    }


def _notification(doc: Document) -> Notification:
    return Notification(
        id=doc["_id"],
        cause_event_id=doc["cause_event_id"],
        person_id=doc["person_id"],
        channel=Channel(doc["channel"]),
        template=Template(doc["template"]),
        params=doc["params"],
        category=Category(doc["category"]),
        priority=Priority(doc["priority"]),
        created_at=_aware(doc["created_at"]),
        status=Status(doc["status"]),
        send_at=_aware(doc["send_at"]) if doc.get("send_at") else None,
        digest=bool(doc.get("digest")),
        calendar=CalendarAction(doc["calendar"]) if doc.get("calendar") else None,
        cohort_id=doc.get("cohort_id"),
        attempts=tuple(
            Attempt(_aware(attempt["at"]), Status(attempt["status"]), attempt.get("reason"))
            for attempt in doc.get("attempts", [])
        ),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
