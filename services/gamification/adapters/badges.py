"""Badges in MongoDB: one document per award, keyed by its id and carrying its event; progress as versioned aggregates.

An award is written once (`insert_once` on the award id) together with its BadgeAwarded event in its
outbox. One earned by a restricted deed keeps the day only: no time, no causing event, its event
published to the restricted topic and stamped with the start of that day, and so is the outbox's
`committed_at`.

Progress toward a threshold badge is a `VersionedStore` aggregate per (badge, person), so two
credits for one author handled at once (from two partitions) cannot lose one another.
"""

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from gamification.domain.badges import BADGES, Badge, BadgeAward, Progress, progress_id
from shared.contracts.base import IntegrationEvent
from shared.contracts.gamification import BadgeAwardedV1, RestrictedBadgeAwardedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.mongo import Document, insert_once
from shared.persistence.versioned import PENDING, VersionedStore, ensure_outbox_indexes, outbox_fields

SOURCE = "/owlery/gamification"
COLLECTION = "badges"
PROGRESS = "badge_progress"


class MongoBadges:
    def __init__(self, database: AsyncDatabase[Document], on_award: Callable[[str, str], None] | None = None) -> None:
        self.database = database
        self.awards = database[COLLECTION]
        self.progress = VersionedStore(database, PROGRESS)
        self.on_award = on_award  # wakes the outbox relay

    async def ensure_indexes(self) -> None:
        await self.awards.create_index([("person_id", ASCENDING)])
        await ensure_outbox_indexes(self.database, COLLECTION)
        await self.progress.ensure_indexes()

    # ------------------------------------------------------------------------------------ awards

    async def record(self, award: BadgeAward) -> bool:
        badge = BADGES[award.badge_id]
        event: IntegrationEvent
        if award.restricted:
            event = RestrictedBadgeAwardedV1(
                award_id=award.id,
                person_id=award.person_id,
                badge_id=award.badge_id,
                name_ru=badge.name_ru,
                name_en=badge.name_en,
            )
        else:
            event = BadgeAwardedV1(
                award_id=award.id,
                person_id=award.person_id,
                badge_id=award.badge_id,
                scope_id=award.scope_id,
                name_ru=badge.name_ru,
                name_en=badge.name_en,
            )
        outbox = OutboxEvent.of(event, source=SOURCE, correlation_id=current_correlation_id())
        fields = outbox_fields([outbox])
        if award.restricted:
            # Nothing stored with it may tell the time the anonymous comment was marked.
            day = datetime.combine(award.earned_on, time(0), tzinfo=UTC)
            fields = outbox_fields([dataclasses.replace(outbox, time=day)]) | {"committed_at": day}
        added = await insert_once(self.database, COLLECTION, {**_document(award), **fields})
        if added and self.on_award is not None:
            self.on_award(COLLECTION, award.id)
        return added

    async def get(self, award_id: str) -> BadgeAward | None:
        found = await self.awards.find_one({"_id": award_id})
        return None if found is None else _award(found)

    async def of_person(self, person_id: str) -> list[BadgeAward]:
        found = [_award(doc) async for doc in self.awards.find({"person_id": person_id})]
        return sorted(found, key=lambda award: (award.valid_from, award.id), reverse=True)

    async def reattribute(self, person_id: str, replacement: str) -> int:
        """Erasure: each award of the person becomes the replacement's, under the id it has for them.

        The old id derives from the erased person's id, so keeping it would let anyone who knows that id
        find the stand-in: the award is inserted anew and the old document deleted. Its outbox state
        goes with it (an unpublished event is published with the replacement). Progress toward a badge
        is dropped: a former employee earns no more. Scans the collections, fine for a rare erasure.
        """
        moved = 0
        for doc in await self.awards.find({"person_id": person_id}).to_list():
            award = _award(doc).attributed_to(replacement)
            events = replace_value(replace_value(doc.get("events", []), person_id, replacement), doc["_id"], award.id)
            rewritten = {**doc, **_document(award), "events": events}
            added = await insert_once(self.database, COLLECTION, rewritten)
            if added and doc.get("outbox_state") == PENDING and self.on_award is not None:
                self.on_award(COLLECTION, award.id)
            await self.awards.delete_one({"_id": doc["_id"]})
            moved += 1
        await self.progress.commits.delete_many({"state.person_id": person_id})
        await self.progress.heads.delete_many({"person_id": person_id})
        return moved

    # ---------------------------------------------------------------------------------- progress

    async def load(self, badge: Badge, person_id: str) -> tuple[Progress, int]:
        loaded = await self.progress.load(progress_id(badge.id, person_id))
        if loaded is None:
            return Progress.start(badge, person_id), 0
        return Progress.from_state(badge, loaded.state), loaded.version

    async def save(self, progress: Progress, stored_version: int) -> None:
        await self.progress.commit(
            progress_id(progress.badge_id, progress.person_id), stored_version, progress.to_state(), []
        )


def _document(award: BadgeAward) -> Document:
    return {
        "_id": award.id,
        "badge_id": award.badge_id,
        "person_id": award.person_id,
        "scope_id": award.scope_id,
        "earned_on": award.earned_on.isoformat(),  # BSON has no date without a time
        "earned_at": award.earned_at,
        "restricted": award.restricted,
        "cause_event_id": award.cause_event_id,
        "cause_event_type": award.cause_event_type,
    }


def _award(doc: Document) -> BadgeAward:
    earned_at = doc.get("earned_at")
    if earned_at is not None and earned_at.tzinfo is None:
        earned_at = earned_at.replace(tzinfo=UTC)
    return BadgeAward(
        id=doc["_id"],
        badge_id=doc["badge_id"],
        person_id=doc["person_id"],
        scope_id=doc.get("scope_id"),
        earned_on=date.fromisoformat(doc["earned_on"]),
        earned_at=earned_at,
        restricted=doc.get("restricted", False),
        cause_event_id=doc.get("cause_event_id"),
        cause_event_type=doc["cause_event_type"],
    )
