"""In-memory stand-ins for the ports, for testing the use cases without servers."""

from notifications.domain.model import InboxMessage, Locale


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


class InMemoryPeople:
    def __init__(self) -> None:
        self.locales: dict[str, Locale] = {}

    async def remember_locale(self, person_id: str, locale: Locale) -> None:
        self.locales[person_id] = locale

    async def locale_of(self, person_id: str) -> Locale | None:
        return self.locales.get(person_id)
