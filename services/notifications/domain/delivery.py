"""A notification's way to one person on one channel, and why a send failed."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from notifications.domain.model import Notice, Template
from notifications.domain.preferences import Plan, Status
from notifications.domain.routing import CalendarAction, Category, Channel, Priority


@dataclass(frozen=True)
class Attachment:
    filename: str
    """E.g. "course.ics"."""
    content_type: str
    """E.g. "text/calendar; method=REQUEST; charset=utf-8"."""
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """One message ready to send on a channel, already rendered in the recipient's language."""

    notification_id: str
    """Derived from (causing event id, recipient, channel): the "once" key."""
    person_id: str
    address: str
    """The email address (email) or the company's incoming-webhook URL (chat)."""
    subject: str
    text: str
    """Plain text."""
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()


class DeliveryFailed(Exception):
    """A channel could not deliver. `permanent`: retrying cannot help (a bad address, a refusal); else retry later."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
)
"""Waits after each transient failure; one more failure after the last gives up (about four and a half hours)."""


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status: Status
    reason: str | None = None


@dataclass(frozen=True)
class Notification:
    """One message to one person on one channel (email or chat), and everything that happened to it."""

    id: str
    cause_event_id: str
    person_id: str
    channel: Channel
    template: Template
    params: Mapping[str, Any]
    category: Category
    priority: Priority
    created_at: datetime
    status: Status
    send_at: datetime | None
    digest: bool = False
    calendar: CalendarAction | None = None
    cohort_id: str | None = None
    attempts: tuple[Attempt, ...] = ()

    @classmethod
    def planned(
        cls,
        cause_event_id: str,
        notice: Notice,
        channel: Channel,
        plan: Plan,
        now: datetime,
        calendar: CalendarAction | None = None,
        cohort_id: str | None = None,
    ) -> "Notification":
        return cls(
            id=notification_id(cause_event_id, notice.template, channel),
            cause_event_id=cause_event_id,
            person_id=notice.person_id,
            channel=channel,
            template=notice.template,
            params=dict(notice.params),
            category=notice.category_or_default,
            priority=notice.priority,
            created_at=now,
            status=plan.status,
            send_at=plan.send_at,
            digest=plan.digest,
            calendar=calendar,
            cohort_id=cohort_id,
            attempts=(Attempt(now, plan.status),),
        )

    @property
    def pending(self) -> bool:
        return self.status in (Status.QUEUED, Status.WAITING)

    def sent(self, now: datetime, note: str | None = None) -> "Notification":
        return replace(
            self, status=Status.SENT, send_at=None, attempts=(*self.attempts, Attempt(now, Status.SENT, note))
        )

    def failed(self, now: datetime, failure: DeliveryFailed) -> "Notification":
        """A permanent failure ends it; a transient one is retried after the next delay, until they run out."""
        failures = sum(1 for attempt in self.attempts if attempt.status is Status.FAILED)
        if failure.permanent or failures >= len(RETRY_DELAYS):
            return replace(
                self,
                status=Status.FAILED,
                send_at=None,
                attempts=(*self.attempts, Attempt(now, Status.FAILED, failure.reason)),
            )
        retry_at = now + RETRY_DELAYS[failures]
        return replace(
            self,
            status=Status.QUEUED,
            send_at=retry_at,
            attempts=(*self.attempts, Attempt(now, Status.FAILED, failure.reason)),
        )


def notification_id(cause_event_id: str, template: Template, channel: Channel) -> str:
    """One notification per causing event, recipient (the cause names them when it has several) and channel."""
    return f"{cause_event_id}:{template.value}:{channel.value}"
