"""In-memory stand-ins for the ports, for testing the use cases without servers."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from notifications.adapters.email_templates import EmailRenderer
from notifications.adapters.templates import JinjaRenderer
from notifications.domain.cohorts import Cohort, Reminder
from notifications.domain.delivery import Notification, Outgoing
from notifications.domain.model import InboxMessage, Locale
from notifications.domain.preferences import Preferences
from notifications.domain.routing import Channel
from notifications.service.delivery import Delivery
from shared.persistence.people import PersonCopy


class InMemoryInbox:
    def __init__(self) -> None:
        self.stored: dict[str, InboxMessage] = {}

    async def add(self, message: InboxMessage) -> bool:
        if message.id in self.stored:
            return False
        self.stored[message.id] = message
        return True

    async def messages(self, person_id: str, limit: int, offset: int, unread_only: bool = False) -> list[InboxMessage]:
        mine = [m for m in self.stored.values() if m.person_id == person_id and not (unread_only and m.read)]
        mine.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        return mine[offset : offset + limit]

    async def add_many(self, messages: Sequence[InboxMessage]) -> set[str]:
        return {message.id for message in messages if await self.add(message)}

    async def unread_count(self, person_id: str) -> int:
        return len(await self.messages(person_id, len(self.stored), 0, unread_only=True))

    async def mark_read(self, person_id: str, message_id: str) -> bool:
        found = self.stored.get(message_id)
        if found is None or found.person_id != person_id:
            return False
        self.stored[message_id] = replace(found, read=True)
        return True

    async def mark_all_read(self, person_id: str) -> int:
        unread = await self.messages(person_id, len(self.stored), 0, unread_only=True)
        for message in unread:
            self.stored[message.id] = replace(message, read=True)
        return len(unread)

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

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, PersonCopy]:
        return {person: self.copies[person] for person in person_ids if person in self.copies}

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


class InMemoryPreferences:
    def __init__(self) -> None:
        self.saved: dict[str, Preferences] = {}

    async def get(self, person_id: str, directory_zone: str | None) -> Preferences:
        return self.saved.get(person_id) or Preferences(person_id, zone_name=directory_zone or "UTC")

    async def get_many(self, directory_zones: Mapping[str, str | None]) -> dict[str, Preferences]:
        return {person: await self.get(person, zone) for person, zone in directory_zones.items()}

    async def save(self, preferences: Preferences) -> None:
        self.saved[preferences.person_id] = preferences

    async def delete(self, person_id: str) -> None:
        self.saved.pop(person_id, None)


class InMemoryNotifications:
    def __init__(self) -> None:
        self.kept: dict[str, Notification] = {}

    async def add(self, notification: Notification) -> bool:
        if notification.id in self.kept:
            return False
        self.kept[notification.id] = notification
        return True

    async def add_many(self, notifications: Sequence[Notification]) -> set[str]:
        return {n.id for n in notifications if await self.add(n)}

    async def due(self, now: datetime, limit: int = 500) -> list[Notification]:
        due = [n for n in self.kept.values() if n.pending and n.send_at is not None and n.send_at <= now]
        return sorted(due, key=lambda n: (n.send_at or now, n.id))[:limit]

    async def save(self, notifications: Sequence[Notification]) -> None:
        self.kept.update((n.id, n) for n in notifications)

    async def of_person(self, person_id: str, limit: int, offset: int) -> list[Notification]:
        mine = sorted((n for n in self.kept.values() if n.person_id == person_id), key=lambda n: n.created_at)
        return list(reversed(mine))[offset : offset + limit]

    async def delete_person(self, person_id: str) -> int:
        mine = [key for key, n in self.kept.items() if n.person_id == person_id]
        for key in mine:
            del self.kept[key]
        return len(mine)


class InMemoryCohorts:
    def __init__(self) -> None:
        self.cohorts: dict[str, Cohort] = {}
        self.reminders: dict[str, Reminder] = {}
        self.handed: set[tuple[str, str]] = set()

    async def get(self, cohort_id: str) -> Cohort | None:
        return self.cohorts.get(cohort_id)

    async def change(self, cohort_id: str, how: Callable[[Cohort], Cohort]) -> Cohort:
        self.cohorts[cohort_id] = how(self.cohorts.get(cohort_id) or Cohort(cohort_id))
        return self.cohorts[cohort_id]

    async def plan_reminders(self, reminders: Iterable[Reminder]) -> int:
        new = [r for r in reminders if r.id not in self.reminders]
        self.reminders.update((r.id, r) for r in new)
        return len(new)

    async def due_reminders(self, now: datetime) -> list[Reminder]:
        return sorted((r for r in self.reminders.values() if r.at <= now), key=lambda r: (r.at, r.id))

    async def fired(self, reminder_ids: Sequence[str]) -> None:
        for reminder_id in reminder_ids:
            self.reminders.pop(reminder_id, None)

    async def hand_in(self, homework_id: str, person_id: str) -> None:
        self.handed.add((homework_id, person_id))

    async def handed_in_by(self, homework_id: str, people: Sequence[str]) -> set[str]:
        return {person for person in people if (homework_id, person) in self.handed}

    async def forget_person(self, person_id: str) -> None:
        for key, cohort in list(self.cohorts.items()):
            self.cohorts[key] = cohort.left(person_id)


class RecordingChannel:
    """A channel that keeps what it was given (for use-case tests; the real ones are tested on real servers)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send(self, message: Outgoing) -> None:
        self.sent.append(message)


def in_memory_delivery(now: datetime, people: "InMemoryPeople | None" = None) -> Delivery:
    """The notification use cases on fakes, the clock fixed at `now` (set `delivery.clock` to move it)."""
    return Delivery(
        inbox=InMemoryInbox(),
        people=people or InMemoryPeople(),
        preferences=InMemoryPreferences(),
        notifications=InMemoryNotifications(),
        cohorts=InMemoryCohorts(),
        texts=JinjaRenderer(),
        emails=EmailRenderer(),
        channels={Channel.EMAIL: RecordingChannel(), Channel.CHAT: RecordingChannel()},
        clock=lambda: now,
    )
