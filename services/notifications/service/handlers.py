"""Notifications use cases: put a notice in a person's inbox, read it in their language, erase or export it."""

from dataclasses import dataclass
from typing import Any

from notifications.domain.model import DEFAULT_LOCALE, InboxMessage, Locale, is_locale
from notifications.service.ports import Inbox, People, Renderer

EXPORT_PAGE = 500


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
