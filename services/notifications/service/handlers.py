"""Notifications use cases: put a notice in a person's inbox, and read the inbox in their language."""

from dataclasses import dataclass
from datetime import UTC, datetime

from notifications.domain.model import DEFAULT_LOCALE, InboxMessage, Locale, Notice
from notifications.service.ports import Inbox, People, Renderer


@dataclass(frozen=True)
class Notify:
    cause_event_id: str
    notice: Notice
    locale: Locale | None = None
    """The person's language, when the causing event tells it."""


async def notify(command: Notify, inbox: Inbox, people: People) -> InboxMessage | None:
    """Add the notice to the person's inbox; None if this event already put it there."""
    if command.locale is not None:
        await people.remember_locale(command.notice.person_id, command.locale)
    message = InboxMessage.caused_by(command.cause_event_id, command.notice, datetime.now(UTC))
    return message if await inbox.add(message) else None


@dataclass(frozen=True)
class RenderedMessage:
    message: InboxMessage
    text: str


@dataclass(frozen=True)
class PersonInbox:
    person_id: str
    locale: Locale
    messages: list[RenderedMessage]


async def read_inbox(
    person_id: str, inbox: Inbox, people: People, renderer: Renderer, limit: int = 50, offset: int = 0
) -> PersonInbox:
    """A person's messages, newest first, in the language they read Owlery in now (English if unknown)."""
    locale = await people.locale_of(person_id) or DEFAULT_LOCALE
    messages = await inbox.messages(person_id, limit, offset)
    return PersonInbox(
        person_id,
        locale,
        [RenderedMessage(m, renderer.render(m.template, locale, m.params)) for m in messages],
    )
