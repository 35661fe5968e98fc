"""In-memory stand-ins for the ports, for testing the use cases without servers."""

from typing import Any

from notifications.domain.model import InboxMessage, Locale
from shared.persistence.people import PersonCopy


class InMemoryInbox:
    def __init__(self) -> None:
        self.stored: dict[str, InboxMessage] = {}

    async def add(self, message: InboxMessage) -> bool:
        if message.id in self.stored:
            return False
        self.stored[message.id] = message
        return True

    async def messages(self, person_id: str, limit: int, offset: int) -> list[InboxMessage]:
        mine = [m for m in self.stored.values() if m.person_id == person_id]
        mine.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        return mine[offset : offset + limit]

    async def delete_person(self, person_id: str) -> int:
        mine = [key for key, m in self.stored.items() if m.person_id == person_id]
        for key in mine:
            del self.stored[key]
        return len(mine)


class InMemoryPeople:
    """The directory copy as the shared `DirectoryCopy` keeps it, beside the languages events told."""

    def __init__(self) -> None:
        self.locales: dict[str, Locale] = {}
        """Languages learned from events."""
        self.copies: dict[str, PersonCopy] = {}
        """The directory's copy: profiles, and tombstones once erased."""
        self.tombstones_written = 0

    def upsert(self, person_id: str, **fields: Any) -> None:
        """What a PersonUpsertedV1 from the directory leaves behind."""
        self.copies[person_id] = PersonCopy(person_id, active=True, erased=False, fields=fields)

    async def get(self, person_id: str) -> PersonCopy | None:
        return self.copies.get(person_id)

    async def export(self, person_id: str) -> dict[str, Any] | None:
        found = self.copies.get(person_id)
        if found is None or found.erased:
            return None
        return {"active": found.active, "erased": False, **found.fields}

    async def apply_erased(self, person_id: str) -> None:
        self.copies[person_id] = PersonCopy(person_id, active=False, erased=True, fields={})
        self.tombstones_written += 1

    async def remember_locale(self, person_id: str, locale: Locale) -> None:
        self.locales[person_id] = locale

    async def learned_locale(self, person_id: str) -> Locale | None:
        return self.locales.get(person_id)

    async def forget_learned_locale(self, person_id: str) -> None:
        self.locales.pop(person_id, None)
