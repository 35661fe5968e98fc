"""Notifications use cases: put a notice in a person's inbox, read it in their language, erase or export it."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notifications.domain.model import DEFAULT_LOCALE, InboxMessage, Locale, Notice, is_locale
from notifications.service.ports import Inbox, People, Renderer

EXPORT_PAGE = 500


@dataclass(frozen=True)
class Notify:
    cause_event_id: str
    notice: Notice
    locale: Locale | None = None
    """The person's language, when the causing event tells it."""


async def notify(command: Notify, inbox: Inbox, people: People) -> InboxMessage | None:
    """Add the notice to the person's inbox; None if this event already put it there, or they were erased.

    An event about someone the directory has erased may still be on its way: it must not bring a
    message (or a language) of theirs back into the database.
    """
    person_id = command.notice.person_id
    if await _is_erased(person_id, people):
        return None
    if command.locale is not None:
        await people.remember_locale(person_id, command.locale)
    message = InboxMessage.caused_by(command.cause_event_id, command.notice, datetime.now(UTC))
    return message if await inbox.add(message) else None


async def _is_erased(person_id: str, people: People) -> bool:
    found = await people.get(person_id)  # by _id: an index lookup even on FerretDB
    return found is not None and found.erased


async def locale_of(person_id: str, people: People) -> Locale:
    """The directory's word on the person's language once it has spoken, else what events told, else English."""
    found = await people.get(person_id)
    if found is not None and is_locale(found.locale):
        return found.locale
    return await people.learned_locale(person_id) or DEFAULT_LOCALE


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
    person_id: str,
    inbox: Inbox,
    people: People,
    renderer: Renderer,
    limit: int = 50,
    offset: int = 0,
    unread_only: bool = False,
    zone: str = "UTC",
) -> PersonInbox:
    """A person's messages, newest first, in the language they read Owlery in now (English if unknown), times
    in their zone."""
    locale = await locale_of(person_id, people)
    messages = await inbox.messages(person_id, limit, offset, unread_only)
    return PersonInbox(
        person_id,
        locale,
        [RenderedMessage(m, renderer.render(m.template, locale, m.params, zone)) for m in messages],
    )


async def erase_person(person_id: str, inbox: Inbox, people: People) -> int:
    """Erase the person here: their messages and learned language go, their profile becomes a tombstone.

    Returns how many messages were deleted (0 when run again: nothing of theirs is left, nothing is
    written). The tombstone comes first, so an event handled while this runs adds nothing for them.
    """
    if not await _is_erased(person_id, people):
        await people.apply_erased(person_id)
    await people.forget_learned_locale(person_id)
    return await inbox.delete_person(person_id)


async def export_person(person_id: str, inbox: Inbox, people: People) -> dict[str, Any]:
    """Everything this service holds on the person, as JSON-able data (a subject access request)."""
    messages: list[InboxMessage] = []
    while page := await inbox.messages(person_id, EXPORT_PAGE, len(messages)):
        messages.extend(page)
        if len(page) < EXPORT_PAGE:
            break
    return {
        "service": "notifications",
        "person": await people.export(person_id),
        "learned_locale": await people.learned_locale(person_id),
        "messages": [
            {
                "id": message.id,
                "category": message.category.value,
                "template": message.template.value,
                "params": dict(message.params),
                "created_at": message.created_at.isoformat(),
                "cause_event_id": message.cause_event_id,
            }
            for message in messages
        ],
    }
