"""Reciprocal rings in MongoDB, and the ledger that parks a ring's new credits instead of recording them.

A ring is a versioned aggregate (`rings` heads, `rings_commits` carrying its events): flagging is the
commit of version 1, so replicas flagging the same ring (same derived id) record it once; a decision is
the next commit, so two moderators deciding at once cannot both win. What a ring withholds is kept one
document per credit, keyed by the entry's id: `ring_holds` (the hold entries, recorded before they enter
the ledger) and `ring_parked` (credits kept out of the ledger while the ring is flagged).
"""

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

from pymongo.asynchronous.database import AsyncDatabase

from gamification.adapters.ledger import MongoLedger, entry_document, entry_of
from gamification.domain.ledger import LedgerEntry
from gamification.domain.rings import Ring, Withheld
from shared.concurrency import ConcurrencyConflict
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.outbox import Notify
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document, insert_once
from shared.persistence.versioned import VersionedStore

SOURCE = "/owlery/gamification"
RINGS = "rings"
OUTBOX_COLLECTION = f"{RINGS}_commits"
HOLDS = "ring_holds"
PARKED = "ring_parked"
CACHE_SECONDS = 5.0


class MongoRings:
    def __init__(self, database: AsyncDatabase[Document], on_commit: Callable[[str, str], None] | None = None) -> None:
        self.database = database
        self.store = VersionedStore(database, RINGS, on_commit=on_commit)
        self._flagged: tuple[float, list[Ring]] | None = None

    async def ensure_indexes(self) -> None:
        await self.store.ensure_indexes()

    async def load(self, ring_id: str) -> tuple[Ring, int] | None:
        loaded = await self.store.load(ring_id)
        return None if loaded is None else (Ring.from_state(loaded.state), loaded.version)

    async def flag(self, ring: Ring) -> bool:
        event = OutboxEvent.of(ring.flagged_event(), source=SOURCE, correlation_id=current_correlation_id())
        try:
            await self.store.commit(ring.ring_id, 0, ring.to_state(), [event])
        except ConcurrencyConflict:
            return False  # another replica flagged it first
        self._flagged = None
        return True

    async def save(self, ring: Ring, stored_version: int, announce: bool) -> None:
        events = (
            [OutboxEvent.of(ring.decided_event(), source=SOURCE, correlation_id=current_correlation_id())]
            if announce
            else []
        )
        await self.store.commit(ring.ring_id, stored_version, ring.to_state(), events)
        self._flagged = None

    async def all(self) -> list[Ring]:
        # Listed from the commits, not the heads: a head is a cache a crashed writer may not have written.
        ids = {doc["aggregate_id"] async for doc in self.store.commits.find({}, {"aggregate_id": 1})}
        rings = [loaded[0] for ring_id in ids if (loaded := await self.load(ring_id)) is not None]
        return sorted(rings, key=lambda ring: (ring.circle_id, ring.members, ring.episode))

    async def flagged(self) -> list[Ring]:
        """Asked for every helpful credit, so kept a few seconds; a ring this process flagged shows at once."""
        if self._flagged is not None and time.monotonic() - self._flagged[0] < CACHE_SECONDS:
            return self._flagged[1]
        found = [ring for ring in await self.all() if ring.status == "flagged"]
        self._flagged = (time.monotonic(), found)
        return found

    async def record_hold(self, withheld: Withheld) -> None:
        await insert_once(self.database, HOLDS, _withheld_document(withheld))

    async def holds_of(self, ring_id: str) -> list[Withheld]:
        return [_withheld(doc) async for doc in self.database[HOLDS].find({"ring_id": ring_id})]

    async def park(self, withheld: Withheld) -> bool:
        return await insert_once(self.database, PARKED, _withheld_document(withheld))

    async def parked_of(self, ring_id: str) -> list[Withheld]:
        return [_withheld(doc) async for doc in self.database[PARKED].find({"ring_id": ring_id})]

    async def is_parked(self, entry_id: str) -> bool:
        return await self.database[PARKED].find_one({"_id": entry_id}, {"_id": 1}) is not None

    async def withheld_deeds(self) -> set[str]:
        """The marks whose credits a ring withholds now (flagged or reversed): a replay of the rules leaves them out.

        Under a confirmed ring the held credits stand again and the parked ones are in the ledger, so a
        replay prices them as the ledger does.
        """
        withholding = {ring.ring_id for ring in await self.all() if ring.status != "confirmed"}
        deeds: set[str] = set()
        for collection in (HOLDS, PARKED):
            async for doc in self.database[collection].find({}, {"ring_id": 1, "deed_id": 1}):
                if doc["ring_id"] in withholding:
                    deeds.add(doc["deed_id"])
        return deeds

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Erasure: every ring, event and withheld credit naming the person names `replacement` instead.

        Scans these small collections; a commit keeps its outbox state (only its state and events are set),
        so an unpublished event stays pending and goes out naming the stand-in. How many documents changed.
        """
        changed = 0
        for doc in await self.store.commits.find({}, {"state": 1, "events": 1}).to_list():
            fields = {"state": doc["state"], "events": doc.get("events", [])}
            replaced = replace_value(fields, person_id, replacement)
            if replaced != fields:
                await self.store.commits.update_one({"_id": doc["_id"]}, {"$set": replaced})
                changed += 1
        for collection in (RINGS, HOLDS, PARKED):
            for doc in await self.database[collection].find({}).to_list():
                replaced = replace_value(doc, person_id, replacement)
                if replaced != doc:
                    await self.database[collection].replace_one({"_id": doc["_id"]}, replaced)
                    changed += 1
        self._flagged = None
        return changed


class HoldingLedger(MongoLedger):
    """The ledger the consumer credits deeds through: an entry `parks` takes is kept out of the ledger.

    `parks` decides (see `service.rings.park_if_ring_credit`): True when the entry was parked under a
    flagged ring (or was parked before), so it is not recorded now; a confirmation records it later.
    """

    def __init__(
        self,
        database: AsyncDatabase[Document],
        parks: Callable[[LedgerEntry], Awaitable[bool]],
        on_append: Notify | None = None,
    ) -> None:
        super().__init__(database, on_append=on_append)
        self.parks = parks

    async def append(self, entry: LedgerEntry) -> bool:
        if await self.parks(entry):
            return False
        return await super().append(entry)

    async def append_many(
        self, entries: Sequence[LedgerEntry], correlation_ids: Mapping[str, str | None]
    ) -> list[LedgerEntry]:
        kept = [entry for entry in entries if not await self.parks(entry)]
        return await super().append_many(kept, correlation_ids)


def _withheld_document(withheld: Withheld) -> Document:
    return {
        **entry_document(withheld.entry),
        "ring_id": withheld.ring_id,
        "deed_id": withheld.deed_id,
        "comment_id": withheld.comment_id,
    }


def _withheld(doc: Document) -> Withheld:
    return Withheld(ring_id=doc["ring_id"], entry=entry_of(doc), deed_id=doc["deed_id"], comment_id=doc["comment_id"])
