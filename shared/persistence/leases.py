"""Leases: one replica of a service at a time does a piece of work (a sweep, a scheduled job).

FerretDB's updates are not atomic (read, change in memory, replace), so a lease cannot be a document
replicas take over with a conditional update: two could both "win". What stays exclusive is a unique key,
so time is cut into periods of a lease's length and a lease is the insert of `<name>:<period number>`:
exactly one replica inserts it, and it holds the work until the period ends. A replica that dies holding
a lease loses it when its period ends; nobody has to notice that it died.

The holder asks again each time (`claim` is re-entrant for it within the period), and `Lease.remaining`
tells how much of the period is left, so work that must not outlive the lease starts only with time
enough to finish.
"""

import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

from shared.persistence.mongo import Document, insert_once

COLLECTION = "leases"


def replica_id() -> str:
    """This process's name as a lease holder: host, process and a random part (a restarted process is another)."""
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    starts_at: datetime
    ends_at: datetime

    def remaining(self, now: datetime) -> timedelta:
        return self.ends_at - now


class Leases:
    def __init__(
        self,
        database: AsyncDatabase[Document],
        holder: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.collection = database[COLLECTION]
        self.holder = holder or replica_id()
        self.clock = clock

    async def claim(self, name: str, seconds: float) -> Lease | None:
        """The lease on `name` for the current period of `seconds`, if this replica holds it (else None)."""
        if seconds <= 0:
            raise ValueError("a lease lasts a positive number of seconds")
        now = self.clock()
        period = int(now.timestamp() // seconds)
        starts_at = datetime.fromtimestamp(period * seconds, UTC)
        lease = Lease(name, self.holder, starts_at, starts_at + timedelta(seconds=seconds))
        lease_id = f"{name}:{period}"
        document = {"_id": lease_id, "name": name, "holder": self.holder, "ends_at": lease.ends_at, "claimed_at": now}
        if await insert_once(self.database, COLLECTION, document):
            return lease
        taken = await self.collection.find_one({"_id": lease_id}, {"holder": 1})
        return lease if taken is not None and taken["holder"] == self.holder else None

    def period_end(self, seconds: float) -> datetime:
        """When the current period of a lease of `seconds` ends (and the next one can be claimed)."""
        return datetime.fromtimestamp((int(self.clock().timestamp() // seconds) + 1) * seconds, UTC)

    async def forget_ended_before(self, cutoff: datetime) -> int:
        """Drop leases whose period ended before `cutoff` (FerretDB has no TTL index); how many were dropped."""
        result = await self.collection.delete_many({"ends_at": {"$lt": cutoff}})
        return result.deleted_count
