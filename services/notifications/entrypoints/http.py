"""The notifications HTTP API: a person's inbox in their language, their notification settings, what was sent to
them, and the webhook subscriptions of other systems."""

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field, WithJsonSchema

from notifications.bootstrap import Notifications, bootstrap
from notifications.domain.delivery import Notification
from notifications.domain.model import Locale
from notifications.domain.preferences import (
    CRITICAL_CATEGORIES,
    Digest,
    DigestFrequency,
    PreferenceError,
    Preferences,
    QuietHours,
    Status,
)
from notifications.domain.routing import Category, Channel
from notifications.entrypoints.lrs_http import lrs_router
from notifications.entrypoints.policy import GUARDRAILS
from notifications.entrypoints.webhooks_http import webhook_router
from notifications.service import handlers
from shared.errors import Invalid, NotFound
from shared.http import health_router, prepare_app, privacy_router

MAX_OFFSET = 1_000_000
"""Paging skips at most this many: a bigger skip is never meant, and past 2**63 the database cannot take it."""


class MessageOut(BaseModel):
    id: str
    category: str
    text: str
    created_at: datetime
    cause_event_id: str
    read: bool


class InboxOut(BaseModel):
    person_id: str
    locale: Locale
    unread: int = Field(description="How many of the person's messages are unread (all of them, not this page)")
    messages: list[MessageOut]

    @classmethod
    def of(cls, inbox: handlers.PersonInbox, unread: int) -> "InboxOut":
        return cls(
            person_id=inbox.person_id,
            locale=inbox.locale,
            unread=unread,
            messages=[
                MessageOut(
                    id=m.message.id,
                    category=m.message.category.value,
                    text=m.text,
                    created_at=m.message.created_at,
                    cause_event_id=m.message.cause_event_id,
                    read=m.message.read,
                )
                for m in inbox.messages
            ],
        )


class MarkedOut(BaseModel):
    marked: int
    unread: int


LocalTime = Annotated[
    time,
    # JSON Schema's "format": "time" is RFC 3339's, with a zone offset; these are wall-clock times in the person's
    # own zone, answered as "21:00:00": described as what they are, so the answer keeps to its own schema.
    WithJsonSchema({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"}),
]


class QuietHoursIn(BaseModel):
    start: LocalTime = Field(time(21, 0), description="Local time the quiet hours begin, HH:MM")
    end: LocalTime = Field(time(8, 0), description="Local time they end, HH:MM (before start: spans midnight)")
    enabled: bool = True


class DigestIn(BaseModel):
    frequency: DigestFrequency = DigestFrequency.IMMEDIATE
    hour: int = Field(9, ge=0, le=23, description="Local hour a daily or weekly digest goes out")
    weekday: int = Field(0, ge=0, le=6, description="0 = Monday (weekly digests)")


class PreferencesBody(BaseModel):
    time_zone: str = Field(description="IANA time zone, e.g. Europe/Moscow")
    channels: dict[Category, list[Channel]] = Field(
        default_factory=dict, description="Channels on per category; a category left out keeps in-app and email"
    )
    quiet_hours: QuietHoursIn = Field(default_factory=QuietHoursIn)
    digests: dict[Category, DigestIn] = Field(default_factory=dict)
    critical_categories: list[Category] = Field(
        default=sorted(CRITICAL_CATEGORIES), description="Read only: categories that keep at least one channel"
    )

    @classmethod
    def of(cls, preferences: Preferences) -> "PreferencesBody":
        return cls(
            time_zone=preferences.zone_name,
            channels={category: sorted(preferences.channels_for(category)) for category in Category},
            quiet_hours=QuietHoursIn(
                start=preferences.quiet_hours.start,
                end=preferences.quiet_hours.end,
                enabled=preferences.quiet_hours.enabled,
            ),
            digests={
                category: DigestIn(frequency=d.frequency, hour=d.hour, weekday=d.weekday)
                for category in Category
                for d in [preferences.digest_for(category)]
            },
        )

    def preferences(self, person_id: str) -> Preferences:
        try:
            return Preferences(
                person_id,
                zone_name=self.time_zone,
                channels={category: frozenset(on) for category, on in self.channels.items()},
                quiet_hours=QuietHours(self.quiet_hours.start, self.quiet_hours.end, self.quiet_hours.enabled),
                digests={c: Digest(d.frequency, d.hour, d.weekday) for c, d in self.digests.items()},
            )
        except PreferenceError as error:
            raise Invalid(str(error), field=error.field) from error


class AttemptOut(BaseModel):
    at: datetime
    status: Status
    reason: str | None


class NotificationOut(BaseModel):
    id: str
    channel: Channel
    category: Category
    status: Status
    send_at: datetime | None
    digest: bool
    created_at: datetime
    attempts: list[AttemptOut]

    @classmethod
    def of(cls, n: Notification) -> "NotificationOut":
        return cls(
            id=n.id,
            channel=n.channel,
            category=n.category,
            status=n.status,
            send_at=n.send_at,
            digest=n.digest,
            created_at=n.created_at,
            attempts=[AttemptOut(at=a.at, status=a.status, reason=a.reason) for a in n.attempts],
        )


def create_app(service: Notifications | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime = service.runtime
    delivery = service.delivery
    gatekeeper = runtime.gatekeeper(GUARDRAILS, is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery notifications", version="0.2.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        exported = await handlers.export_person(person_id, service.inbox, service.people)
        exported["notifications"] = [
            NotificationOut.of(n).model_dump(mode="json")
            for n in await delivery.notifications.of_person(person_id, 10_000, 0)
        ]
        return exported

    app.include_router(privacy_router("notifications", export, runtime.audit))
    app.include_router(webhook_router(service.webhooks))
    app.include_router(lrs_router(service.learning_records))

    @app.get("/people/{person_id}/inbox", response_model=InboxOut, tags=["inbox"])
    async def inbox(
        person_id: str,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        unread_only: bool = False,
    ) -> InboxOut:
        """The person's messages, newest first, with how many are unread; an unknown person simply has none yet."""
        zone = (await delivery.preferences_of(person_id)).zone_name
        found = await handlers.read_inbox(
            person_id, service.inbox, service.people, service.renderer, limit, offset, unread_only, zone
        )
        return InboxOut.of(found, await service.inbox.unread_count(person_id))

    @app.post("/people/{person_id}/inbox/{message_id}/read", response_model=MarkedOut, tags=["inbox"])
    async def mark_read(person_id: str, message_id: str) -> MarkedOut:
        """Mark one message read (again is fine); 404 if the person has no such message."""
        if not await service.inbox.mark_read(person_id, message_id):
            raise NotFound(f"no message {message_id} in this inbox", field="message_id")
        return MarkedOut(marked=1, unread=await service.inbox.unread_count(person_id))

    @app.post("/people/{person_id}/inbox/read", response_model=MarkedOut, tags=["inbox"])
    async def mark_all_read(person_id: str) -> MarkedOut:
        """Mark every message read."""
        marked = await service.inbox.mark_all_read(person_id)
        return MarkedOut(marked=marked, unread=await service.inbox.unread_count(person_id))

    @app.get("/people/{person_id}/notification-preferences", response_model=PreferencesBody, tags=["preferences"])
    async def preferences(person_id: str) -> PreferencesBody:
        """The person's settings, the defaults filled in (in-app and email on, quiet 21:00-08:00, no digests)."""
        return PreferencesBody.of(await delivery.preferences_of(person_id))

    @app.put("/people/{person_id}/notification-preferences", response_model=PreferencesBody, tags=["preferences"])
    async def set_preferences(person_id: str, body: PreferencesBody) -> PreferencesBody:
        """Replace the person's settings: 422 naming the field for an unknown time zone, an empty quiet-hours
        window, or a category carrying critical messages switched off on every channel."""
        chosen = body.preferences(person_id)
        await delivery.preferences.save(chosen)
        return PreferencesBody.of(chosen)

    @app.get("/people/{person_id}/notifications", response_model=list[NotificationOut], tags=["deliveries"])
    async def sent(
        person_id: str,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> list[NotificationOut]:
        """Every email and chat notification for the person, newest first, with each attempt and its outcome
        (queued, waiting for quiet hours or a digest, sent, failed and why, suppressed by a preference)."""
        return [NotificationOut.of(n) for n in await delivery.notifications.of_person(person_id, limit, offset)]

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory notifications.entrypoints.http:app`."""
    return create_app()
