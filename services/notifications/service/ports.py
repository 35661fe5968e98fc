"""What the notifications use cases need from the outside world."""

from collections.abc import Mapping
from typing import Protocol

from notifications.domain.model import InboxMessage, Locale, Param, Template


class Inbox(Protocol):
    async def add(self, message: InboxMessage) -> bool:
        """Store the message; False if a message with its id was stored before."""
        ...

    async def messages(self, person_id: str, limit: int, offset: int) -> list[InboxMessage]:
        """A person's messages, newest first."""
        ...


class People(Protocol):
    """What the service knows of each person: for now, only the language they read Owlery in."""

    async def remember_locale(self, person_id: str, locale: Locale) -> None:
        """Record the person's language; the latest call wins."""
        ...

    async def locale_of(self, person_id: str) -> Locale | None: ...


class Renderer(Protocol):
    def render(self, template: Template, locale: Locale, params: Mapping[str, Param]) -> str:
        """The message text in the language asked for, in English if that translation is missing."""
        ...
