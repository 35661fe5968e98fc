"""What the notifications use cases need from the outside world."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from notifications.domain.cohorts import Cohort, Reminder
from notifications.domain.delivery import Notification, Outgoing
from notifications.domain.model import InboxMessage, Locale, Param, Template
from notifications.domain.preferences import Preferences
from shared.persistence.people import PersonCopy


class Inbox(Protocol):
    async def add(self, message: InboxMessage) -> bool:
        """Store the message; False if a message with its id was stored before."""
        ...

    async def messages(self, person_id: str, limit: int, offset: int, unread_only: bool = False) -> list[InboxMessage]:
        """A person's messages, newest first (only those not read yet, if asked)."""
        ...

    async def add_many(self, messages: Sequence[InboxMessage]) -> set[str]:
        """Store messages in one write; the ids of those not stored before."""
        ...

    async def unread_count(self, person_id: str) -> int: ...

    async def mark_read(self, person_id: str, message_id: str) -> bool:
        """Mark one of the person's messages read; False if they have no such message."""
        ...

    async def mark_all_read(self, person_id: str) -> int:
        """Mark every message of the person read; how many were unread."""
        ...

    async def delete_person(self, person_id: str) -> int:
        """Delete every message of the person; how many there were. May scan: erasure is rare."""
        ...


class People(Protocol):
    """What the service knows of each person: the directory's copy, and the language events told.

    The directory is the authority; the language learned from events (enrolments, registrations
    carry one) only stands in until the directory has spoken about the person.
    """

    async def get(self, person_id: str) -> PersonCopy | None:
        """The directory's copy of the person (a tombstone once erased); None if it never spoke of them."""
        ...

    async def get_many(self, person_ids: Iterable[str]) -> dict[str, PersonCopy]:
        """The directory's copies of those of these people it spoke of, by id."""
        ...

    async def export(self, person_id: str) -> dict[str, Any] | None:
        """The profile fields held on the person; None if unknown or erased."""
        ...

    async def apply_erased(self, person_id: str) -> None:
        """Leave a tombstone holding nothing but the id, so a replayed upsert cannot bring the person back."""
        ...

    async def remember_locale(self, person_id: str, locale: Locale) -> None:
        """Record the language an event told; the latest call wins."""
        ...

    async def learned_locale(self, person_id: str) -> Locale | None: ...

    async def forget_learned_locale(self, person_id: str) -> None: ...


class Renderer(Protocol):
    def render(self, template: Template, locale: Locale, params: Mapping[str, Param], zone: str = "UTC") -> str:
        """The message text in the language asked for (English if that translation is missing), times in `zone`."""
        ...


class Notifications(Protocol):
    """Email and chat notifications with their attempts (`adapters.deliveries.MongoNotifications`)."""

    async def add(self, notification: Notification) -> bool:
        """Keep a new notification (queued when it is to be sent); False if its id was kept before."""
        ...

    async def add_many(self, notifications: Sequence[Notification]) -> set[str]:
        """Keep new notifications in a few writes; the ids of those not kept before."""
        ...

    async def due(self, now: datetime, limit: int = 500) -> list[Notification]: ...

    async def save(self, notifications: Sequence[Notification]) -> None: ...

    async def of_person(self, person_id: str, limit: int, offset: int) -> list[Notification]: ...

    async def delete_person(self, person_id: str) -> int: ...


class PreferenceStore(Protocol):
    async def get(self, person_id: str, directory_zone: str | None) -> Preferences: ...

    async def get_many(self, directory_zones: Mapping[str, str | None]) -> dict[str, Preferences]:
        """Each person's preferences (their directory zone given), in one read."""
        ...

    async def save(self, preferences: Preferences) -> None: ...

    async def delete(self, person_id: str) -> None: ...


class Cohorts(Protocol):
    async def get(self, cohort_id: str) -> Cohort | None: ...

    async def change(self, cohort_id: str, how: Callable[[Cohort], Cohort]) -> Cohort: ...

    async def plan_reminders(self, reminders: Iterable[Reminder]) -> int: ...

    async def due_reminders(self, now: datetime) -> list[Reminder]: ...

    async def fired(self, reminder_ids: Sequence[str]) -> None: ...

    async def hand_in(self, homework_id: str, person_id: str) -> None: ...

    async def handed_in_by(self, homework_id: str, people: Sequence[str]) -> set[str]: ...

    async def forget_person(self, person_id: str) -> None: ...


class Channel(Protocol):
    async def send(self, message: Outgoing) -> None:
        """Deliver, or raise `DeliveryFailed` (permanent or not)."""
        ...


class EmailContentLike(Protocol):
    @property
    def subject(self) -> str: ...

    @property
    def html(self) -> str: ...

    @property
    def text(self) -> str: ...


class EmailRendering(Protocol):
    def message(self, category: str, locale: Locale, text: str) -> EmailContentLike: ...

    def digest(self, locale: Locale, items: Sequence[tuple[str, str]]) -> EmailContentLike: ...
