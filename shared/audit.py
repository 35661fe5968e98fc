"""An append-only log of privileged actions (role changes, reveals, exports, erasures), one per service.

Who did what to whom, when and why must survive the people it is about: audit entries are kept
by law, so this module offers no update and no erasure. Every write is an insert keyed by `_id`
(the only index lookup on FerretDB); a retried write with the same entry id is "already recorded".
Reads filter on other fields and scan, which is acceptable because audits are read rarely; no
secondary index is created, so writes stay cheap.
"""

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.errors import Conflict, Invalid
from shared.persistence.mongo import Document, insert_once

MAX_READ = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AuditEntry:
    """One privileged action, as stored."""

    entry_id: str
    action: str
    actor_id: str
    subject_id: str
    reason: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class _Sequence:
    """Nanosecond stamps, strictly increasing in this process.

    BSON dates hold milliseconds only; sorting on this stamp keeps entries recorded within one
    millisecond newest first.
    """

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()  # never held across an await: safe on an event loop

    def next(self) -> int:
        with self._lock:
            stamp = max(time.time_ns(), self._last + 1)
            self._last = stamp
            return stamp


_sequence = _Sequence()


def _to_entry(document: Document) -> AuditEntry:
    recorded_at = document["recorded_at"]
    if recorded_at.tzinfo is None:  # a client opened without tz_aware
        recorded_at = recorded_at.replace(tzinfo=UTC)
    return AuditEntry(
        entry_id=document["_id"],
        action=document["action"],
        actor_id=document["actor_id"],
        subject_id=document["subject_id"],
        reason=document.get("reason"),
        details=dict(document.get("details") or {}),
        recorded_at=recorded_at,
    )


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_READ:
        raise Invalid(f"limit: must be between 1 and {MAX_READ}", field="limit")


class AuditLog:
    """The audit log of one service, in its own database."""

    def __init__(self, database: AsyncDatabase[Document], collection: str = "audit_log") -> None:
        self.collection = database[collection]
        self._database = database
        self._name = collection

    async def record(
        self,
        action: str,
        actor_id: str,
        subject_id: str,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
        entry_id: str | None = None,
    ) -> AuditEntry:
        """Append an entry; recording the same `entry_id` again returns the entry already stored."""
        for name, value in (("action", action), ("actor_id", actor_id), ("subject_id", subject_id)):
            if not isinstance(value, str) or not value.strip():
                raise Invalid(f"{name}: must not be empty", field=name)
        if entry_id is not None and not entry_id:
            raise Invalid("entry_id: must not be empty when given", field="entry_id")
        sequence = _sequence.next()
        # What is returned equals what is stored: BSON keeps milliseconds only.
        recorded_at = _EPOCH + timedelta(milliseconds=sequence // 1_000_000)
        document: Document = {
            "_id": entry_id if entry_id is not None else uuid.uuid4().hex,
            "action": action,
            "actor_id": actor_id,
            "subject_id": subject_id,
            "reason": reason,
            "details": dict(details or {}),
            "recorded_at": recorded_at,
            "sequence": sequence,
        }
        if await insert_once(self._database, self._name, document):
            return _to_entry(document)
        stored = await self.collection.find_one({"_id": document["_id"]})
        if stored is None:  # pragma: no cover - entries are never deleted
            raise RuntimeError(f"audit entry {document['_id']!r} clashed on insert but cannot be read")
        entry = _to_entry(stored)
        if (entry.action, entry.actor_id, entry.subject_id, entry.reason) != (action, actor_id, subject_id, reason):
            raise Conflict(
                f"entry_id: {entry.entry_id!r} already records a different action", field="entry_id", stored=entry
            )
        return entry

    async def about(self, subject_id: str, limit: int = 100) -> list[AuditEntry]:
        """What was done to `subject_id`, newest first."""
        return await self._read({"subject_id": subject_id}, limit)

    async def by_actor(self, actor_id: str, limit: int = 100) -> list[AuditEntry]:
        """What `actor_id` did, newest first."""
        return await self._read({"actor_id": actor_id}, limit)

    async def _read(self, query: Document, limit: int) -> list[AuditEntry]:
        _check_limit(limit)
        cursor = self.collection.find(query).sort([("sequence", -1), ("_id", -1)]).limit(limit)
        return [_to_entry(document) async for document in cursor]
