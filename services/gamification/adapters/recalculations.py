"""Recalculations in MongoDB: one document each, its differences an array of sub-documents, its event in its outbox.

Which recalculation is applied under a rule set version is decided by a unique key (one claim document
per version in `recalculation_claims`): on FerretDB nothing else is exclusive, and two dry runs under one
version must never both compensate the same differences.
"""

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gamification.domain.recalculation import Difference, Recalculation
from gamification.domain.replay import Totals
from shared.contracts.gamification import RecalculationAppliedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.mongo import Document, insert_once
from shared.persistence.versioned import ensure_outbox_indexes, outbox_fields

SOURCE = "/owlery/gamification"
COLLECTION = "recalculations"
CLAIMS = "recalculation_claims"
EVENT_IDS = uuid.UUID("0b6f8a52-4c1e-4d55-9a57-2f0d8f1c7e31")
"""Namespace of the RecalculationApplied event ids: derived from the recalculation, so a retried mark repeats it."""


class MongoRecalculations:
    def __init__(self, database: AsyncDatabase[Document], on_apply: Callable[[str, str], None] | None = None) -> None:
        self.database = database
        self.collection = database[COLLECTION]
        self.claims = database[CLAIMS]
        self.on_apply = on_apply  # wakes the outbox relay

    async def ensure_indexes(self) -> None:
        await ensure_outbox_indexes(self.database, COLLECTION)

    async def add(self, recalculation: Recalculation) -> None:
        await self.collection.insert_one({**_document(recalculation), **outbox_fields([])})

    async def get(self, recalculation_id: str) -> Recalculation | None:
        found = await self.collection.find_one({"_id": recalculation_id}, {"events": 0})
        return None if found is None else _recalculation(found)

    async def claim(self, ruleset_version: int, recalculation_id: str) -> str:
        key = f"ruleset-{ruleset_version}"
        document = {"_id": key, "recalculation_id": recalculation_id, "claimed_at": datetime.now(UTC)}
        if await insert_once(self.database, CLAIMS, document):
            return recalculation_id
        found = await self.claims.find_one({"_id": key})
        assert found is not None  # claims are never deleted
        return str(found["recalculation_id"])

    async def mark_applied(self, recalculation: Recalculation) -> None:
        # By _id: the one filter FerretDB does not answer by scanning. Only the claim holder gets here,
        # and its retries write the same event id, so a consumer sees one event however often this runs.
        events = [
            replace(
                OutboxEvent.of(
                    RecalculationAppliedV1(
                        recalculation_id=event.recalculation_id,
                        ruleset_version=event.ruleset_version,
                        people_changed=event.people_changed,
                        points_difference=event.points_difference,
                    ),
                    source=SOURCE,
                    correlation_id=current_correlation_id(),
                ),
                id=str(uuid.uuid5(EVENT_IDS, event.recalculation_id)),
            )
            for event in recalculation.events
        ]
        await self.collection.update_one(
            {"_id": recalculation.id},
            {"$set": {"status": recalculation.status, "applied_at": recalculation.applied_at, **outbox_fields(events)}},
        )
        if events and self.on_apply is not None:
            self.on_apply(COLLECTION, recalculation.id)


def _document(recalculation: Recalculation) -> Document:
    return {
        "_id": recalculation.id,
        "ruleset_version": recalculation.ruleset_version,
        "computed_at": recalculation.computed_at,
        "as_of": recalculation.as_of,
        "status": recalculation.status,
        "applied_at": recalculation.applied_at,
        "people_changed": recalculation.people_changed,
        "points_difference": recalculation.points_difference,
        # Sub-documents, not pairs: FerretDB v1 stores no nested arrays.
        "differences": [
            {
                "person_id": d.person_id,
                "current_public": d.current.public,
                "current_restricted": d.current.restricted,
                "replayed_public": d.replayed.public,
                "replayed_restricted": d.replayed.restricted,
            }
            for d in recalculation.differences
        ],
    }


def _recalculation(document: Document) -> Recalculation:
    return Recalculation(
        id=document["_id"],
        ruleset_version=document["ruleset_version"],
        computed_at=_aware(document["computed_at"]),
        as_of=_aware(document["as_of"]),
        differences=tuple(_difference(item) for item in document["differences"]),
        status=document["status"],
        applied_at=None if document.get("applied_at") is None else _aware(document["applied_at"]),
    )


def _difference(item: dict[str, Any]) -> Difference:
    return Difference(
        item["person_id"],
        Totals(item["current_public"], item["current_restricted"]),
        Totals(item["replayed_public"], item["replayed_restricted"]),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
