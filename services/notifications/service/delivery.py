"""Notifying people: a notice goes to the inbox at once and becomes an email and a chat notification, each sent
when the person's preferences say (now, after their quiet hours, in their digest, or never); reminders fire
from what is stored, so a restart loses none.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from notifications.domain.calendar import CohortSchedule, Method, invitation
from notifications.domain.cohorts import Reminder, still_current
from notifications.domain.delivery import Attachment, DeliveryFailed, Notification, Outgoing
from notifications.domain.model import InboxMessage, Locale, Notice, Template, is_locale
from notifications.domain.preferences import Preferences
from notifications.domain.routing import CalendarAction, Channel
from notifications.service.handlers import locale_of
from notifications.service.ports import Channel as ChannelPort
from notifications.service.ports import Cohorts, EmailRendering, Inbox, Notifications, People, PreferenceStore, Renderer
from shared.persistence.people import PersonCopy

logger = logging.getLogger(__name__)

OUTBOUND = (Channel.EMAIL, Channel.CHAT)
CONCURRENT_SENDS = 16


@dataclass(frozen=True)
class Reader:
    """Whom a message is for, as the sender needs them: their directory copy, language and time zone."""

    person_id: str
    person: PersonCopy | None
    locale: Locale
    zone: str

    @property
    def name(self) -> str | None:
        name = self.person.fields.get("display_name") if self.person is not None else None
        return name if isinstance(name, str) else None

    @property
    def email(self) -> str | None:
        email = self.person.fields.get("email") if self.person is not None else None
        return email if isinstance(email, str) and email else None


@dataclass
class Delivery:
    inbox: Inbox
    people: People
    preferences: PreferenceStore
    notifications: Notifications
    cohorts: Cohorts
    texts: Renderer
    emails: EmailRendering
    channels: Mapping[Channel, ChannelPort]
    clock: Callable[[], datetime]
    chat_address: str | None = None
    """The company's chat incoming-webhook URL; no chat notifications without one."""
    organizer_email: str = "noreply@owlery.local"
    session_leads: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    """How long before each session its reminders go out."""
    homework_lead: timedelta = timedelta(hours=24)
    """How long before homework is due its reminder goes out."""

    async def preferences_of(self, person_id: str, person: PersonCopy | None = None) -> Preferences:
        """The person's preferences, in the directory's zone for them unless they chose one (`person`: their
        directory copy, if already read)."""
        person = person or await self.people.get(person_id)
        zone = person.fields.get("time_zone") if person is not None else None
        return await self.preferences.get(person_id, zone if isinstance(zone, str) else None)

    async def deliver(
        self,
        cause_event_id: str,
        notice: Notice,
        *,
        calendar: CalendarAction | None = None,
        cohort_id: str | None = None,
        locale: Locale | None = None,
    ) -> None:
        """Put the notice in the inbox and plan its email and chat notifications; nothing twice for one cause.

        An erased person gets nothing: an event about them may still be on its way.
        """
        batch = self.batch()
        batch.add(cause_event_id, notice, calendar=calendar, cohort_id=cohort_id, locale=locale)
        await batch.deliver()

    def batch(self) -> "NoticeBatch":
        """Notices gathered (from a run of events, say) to be delivered together, in a few round trips."""
        return NoticeBatch(self)

    def _outbound(self) -> list[Channel]:
        return [
            channel
            for channel in OUTBOUND
            if channel in self.channels and (channel is not Channel.CHAT or self.chat_address)
        ]

    # ------------------------------------------------------------------------------------------ sending

    async def send_due(self) -> int:
        """Send every notification whose time has come; digests as one message per person and channel."""
        now = self.clock()
        due = await self.notifications.due(now)
        done: list[Notification] = []
        digests: dict[tuple[str, Channel], list[Notification]] = {}
        singles: list[Notification] = []
        for notification in due:
            if notification.digest:
                digests.setdefault((notification.person_id, notification.channel), []).append(notification)
            else:
                singles.append(notification)
        # Several at once: a mail server answers in tens of milliseconds, most of it waiting.
        sends = asyncio.Semaphore(CONCURRENT_SENDS)
        readers: dict[str, Reader] = {}

        async def reader(person_id: str) -> Reader:
            if person_id not in readers:  # once per person and round, however many messages they have
                readers[person_id] = await self._reader(person_id)
            return readers[person_id]

        async def one(notification: Notification) -> Notification:
            async with sends:
                return await self._send_one(notification, await reader(notification.person_id), now)

        async def digest(person_id: str, channel: Channel, group: list[Notification]) -> list[Notification]:
            async with sends:
                return await self._send_digest(await reader(person_id), channel, group, now)

        done.extend(await asyncio.gather(*(one(n) for n in singles)))
        for group in await asyncio.gather(*(digest(p, c, g) for (p, c), g in digests.items())):
            done.extend(group)
        await self.notifications.save(done)
        return len(done)

    async def _send_one(self, notification: Notification, reader: Reader, now: datetime) -> Notification:
        try:
            message = await self._outgoing(notification, reader, now)
            await self.channels[notification.channel].send(message)
        except DeliveryFailed as failure:
            logger.warning("notification %s not sent: %s", notification.id, failure.reason)
            return notification.failed(now, failure)
        return notification.sent(now)

    async def _send_digest(
        self, reader: Reader, channel: Channel, group: list[Notification], now: datetime
    ) -> list[Notification]:
        items = [(n.category.value, self._text(n, reader)) for n in sorted(group, key=lambda n: n.created_at)]
        content = self.emails.digest(reader.locale, items)
        digest_id = f"digest:{reader.person_id}:{channel.value}:{now.isoformat()}"
        try:
            address = self._address(reader, channel)
            await self.channels[channel].send(
                Outgoing(digest_id, reader.person_id, address, content.subject, content.text, content.html)
            )
        except DeliveryFailed as failure:
            return [n.failed(now, failure) for n in group]
        return [n.sent(now, f"in {digest_id}") for n in group]

    async def _outgoing(self, notification: Notification, reader: Reader, now: datetime) -> Outgoing:
        text = self._text(notification, reader)
        content = self.emails.message(notification.category.value, reader.locale, text)
        address = self._address(reader, notification.channel)
        attachments: tuple[Attachment, ...] = ()
        if notification.channel is Channel.EMAIL and notification.calendar is not None and notification.cohort_id:
            attachments = await self._invitation(notification, reader, address, now)
        return Outgoing(
            notification.id,
            notification.person_id,
            address,
            content.subject,
            content.text,
            content.html if notification.channel is Channel.EMAIL else None,
            attachments,
        )

    async def _invitation(
        self, notification: Notification, reader: Reader, address: str, now: datetime
    ) -> tuple[Attachment, ...]:
        cohort = await self.cohorts.get(notification.cohort_id or "")
        if cohort is None or not cohort.session_starts:
            return ()  # enrolment has not told the schedule yet: the text says it all
        method: Method = "CANCEL" if notification.calendar is CalendarAction.CANCEL else "REQUEST"
        schedule = CohortSchedule(
            cohort_id=cohort.cohort_id,
            course_title=cohort.course_title or str(notification.params.get("course_title", "Owlery")),
            session_starts=cohort.session_starts,
            organizer_email=self.organizer_email,
        )
        # A cancellation must outrank every request sent before it, so it takes the next sequence.
        sequence = cohort.sequence + (1 if method == "CANCEL" else 0)
        data = invitation(
            schedule, attendee_email=address, attendee_name=reader.name, sequence=sequence, stamp=now, method=method
        )
        content_type = f"text/calendar; method={method}; charset=utf-8"
        return (Attachment("invite.ics", content_type, data),)

    async def _reader(self, person_id: str) -> Reader:
        person = await self.people.get(person_id)
        preferences = await self.preferences_of(person_id, person)
        if person is not None and is_locale(person.locale):
            locale: Locale = person.locale
        else:
            locale = await locale_of(person_id, self.people)
        return Reader(person_id, person, locale, preferences.zone_name)

    def _text(self, notification: Notification, reader: Reader) -> str:
        return self.texts.render(notification.template, reader.locale, notification.params, reader.zone)

    def _address(self, reader: Reader, channel: Channel) -> str:
        if channel is Channel.CHAT:
            if not self.chat_address:
                raise DeliveryFailed("no chat webhook configured", permanent=True)
            return self.chat_address
        if reader.email is None:
            raise DeliveryFailed("the directory has no email address for this person", permanent=True)
        return reader.email

    # ---------------------------------------------------------------------------------------- reminders

    async def remind_due(self) -> int:
        """Fire every reminder whose time has come: one notice per cohort member (homework: not handed in yet)."""
        fired = 0
        for reminder in await self.cohorts.due_reminders(self.clock()):
            await self._fire(reminder)
            await self.cohorts.fired([reminder.id])
            fired += 1
        return fired

    async def _fire(self, reminder: Reminder) -> None:
        cohort = await self.cohorts.get(reminder.cohort_id)
        if cohort is None or not still_current(reminder, cohort):
            return
        members: Sequence[str] = cohort.members
        template = Template.SESSION_REMINDER
        if cohort.trainer_id and cohort.trainer_id not in members:
            members = [*members, cohort.trainer_id]  # the trainer is reminded of the session too
        if reminder.kind == "homework":
            members = cohort.members  # handed in to the trainer, not by them
            template = Template.HOMEWORK_DUE
            handed_in = await self.cohorts.handed_in_by(str(reminder.params["homework_id"]), members)
            members = [member for member in members if member not in handed_in]
        params: dict[str, Any] = {**reminder.params, "course_title": cohort.course_title or ""}
        for member in members:
            # The cause names the reminder and the member: a reminder fired again (a crash before it was
            # marked fired) sends nothing twice.
            await self.deliver(f"{reminder.id}/{member}", Notice(member, template, params))


@dataclass(frozen=True)
class _Planned:
    cause_event_id: str
    notice: Notice
    calendar: CalendarAction | None
    cohort_id: str | None
    locale: Locale | None


class NoticeBatch:
    """Notices for many people, delivered as `Delivery.deliver` would one by one, with one read of the people
    and their preferences and one write each of inbox messages and notifications."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.planned: list[_Planned] = []

    def add(
        self,
        cause_event_id: str,
        notice: Notice,
        *,
        calendar: CalendarAction | None = None,
        cohort_id: str | None = None,
        locale: Locale | None = None,
    ) -> None:
        self.planned.append(_Planned(cause_event_id, notice, calendar, cohort_id, locale))

    async def deliver(self) -> None:
        if not self.planned:
            return
        delivery = self.delivery
        named = {planned.notice.person_id for planned in self.planned}
        copies = await delivery.people.get_many(named)
        zones = {person: _zone(copies.get(person)) for person in named}
        preferences = await delivery.preferences.get_many(zones)
        now = delivery.clock()
        messages: list[InboxMessage] = []
        notifications: list[Notification] = []
        learned: dict[str, Locale] = {}
        for planned in self.planned:
            person_id = planned.notice.person_id
            person = copies.get(person_id)
            if person is not None and person.erased:
                continue
            if planned.locale is not None and (person is None or not is_locale(person.locale)):
                learned[person_id] = planned.locale  # until the directory says: then its word wins
            chosen = preferences[person_id]
            category = planned.notice.category_or_default
            if Channel.INAPP in chosen.channels_for(category):
                messages.append(InboxMessage.caused_by(planned.cause_event_id, planned.notice, now))
            for channel in delivery._outbound():
                plan = chosen.plan(now, channel, category, planned.notice.priority)
                notifications.append(
                    Notification.planned(
                        planned.cause_event_id, planned.notice, channel, plan, now, planned.calendar, planned.cohort_id
                    )
                )
        for person_id, locale in learned.items():
            await delivery.people.remember_locale(person_id, locale)
        await delivery.inbox.add_many(messages)
        await delivery.notifications.add_many(notifications)
        self.planned = []


def _zone(person: PersonCopy | None) -> str | None:
    zone = person.fields.get("time_zone") if person is not None else None
    return zone if isinstance(zone, str) else None
