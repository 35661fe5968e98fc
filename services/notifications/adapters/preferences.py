"""Each person's notification preferences, one document per person (only for those who changed a default)."""

from collections.abc import Mapping
from datetime import time

from pymongo.asynchronous.database import AsyncDatabase

from notifications.domain.preferences import Digest, DigestFrequency, Preferences, QuietHours
from notifications.domain.routing import Category, Channel
from shared.persistence.mongo import Document, in_batches

PREFERENCES = "notification_preferences"


class MongoPreferences:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.collection = database[PREFERENCES]

    async def get(self, person_id: str, directory_zone: str | None) -> Preferences:
        """The person's preferences; the defaults, in the directory's time zone for them, if they set none."""
        doc = await self.collection.find_one({"_id": person_id})
        if doc is None:
            return Preferences(person_id, zone_name=directory_zone or "UTC")
        return preferences_of(person_id, doc, directory_zone)

    async def get_many(self, directory_zones: Mapping[str, str | None]) -> dict[str, Preferences]:
        stored: dict[str, Document] = {}
        for ids in in_batches(sorted(directory_zones)):
            async for doc in self.collection.find({"_id": {"$in": ids}}):  # by _id alone: an index read
                stored[doc["_id"]] = doc
        return {
            person: preferences_of(person, stored[person], zone)
            if person in stored
            else Preferences(person, zone_name=zone or "UTC")
            for person, zone in directory_zones.items()
        }

    async def save(self, preferences: Preferences) -> None:
        await self.collection.replace_one({"_id": preferences.person_id}, document_of(preferences), upsert=True)

    async def delete(self, person_id: str) -> None:
        await self.collection.delete_one({"_id": person_id})


def document_of(preferences: Preferences) -> Document:
    quiet = preferences.quiet_hours
    return {
        "time_zone": preferences.zone_name,
        "channels": {category.value: sorted(c.value for c in on) for category, on in preferences.channels.items()},
        "quiet_hours": {
            "start": quiet.start.isoformat("minutes"),
            "end": quiet.end.isoformat("minutes"),
            "enabled": quiet.enabled,
        },
        "digests": {
            category.value: {"frequency": d.frequency.value, "hour": d.hour, "weekday": d.weekday}
            for category, d in preferences.digests.items()
        },
    }


def preferences_of(person_id: str, doc: Document, directory_zone: str | None) -> Preferences:
    quiet = doc.get("quiet_hours") or {}
    return Preferences(
        person_id,
        zone_name=doc.get("time_zone") or directory_zone or "UTC",
        channels={Category(c): frozenset(Channel(x) for x in on) for c, on in doc.get("channels", {}).items()},
        quiet_hours=QuietHours(
            time.fromisoformat(quiet.get("start", "21:00")),
            time.fromisoformat(quiet.get("end", "08:00")),
            bool(quiet.get("enabled", True)),
        ),
        digests={
            Category(c): Digest(DigestFrequency(d["frequency"]), int(d["hour"]), int(d.get("weekday", 0)))
            for c, d in doc.get("digests", {}).items()
        },
    )
