"""What the notifications use cases need from the outside world."""

from collections.abc import Mapping
from typing import Any, Protocol

from notifications.domain.model import InboxMessage, Locale, Param, Template
from shared.persistence.people import PersonCopy


class Inbox(Protocol):
    async def add(self, message: InboxMessage) -> bool:
        """Store the message; False if a message with its id was stored before."""
        ...

    async def messages(self, person_id: str, limit: int, offset: int) -> list[InboxMessage]:
        """A person's messages, newest first."""
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
    def render(self, template: Template, locale: Locale, params: Mapping[str, Param]) -> str:
        """The message text in the language asked for, in English if that translation is missing."""
        ...
