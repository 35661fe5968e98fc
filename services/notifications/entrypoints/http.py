"""The notifications HTTP API: a person's in-app inbox, rendered in their language."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Query
from pydantic import BaseModel

from notifications.bootstrap import Notifications, bootstrap
from notifications.domain.model import Locale
from notifications.entrypoints.policy import GUARDRAILS
from notifications.service import handlers
from shared.http import health_router, prepare_app, privacy_router


class MessageOut(BaseModel):
    id: str
    category: str
    text: str
    created_at: datetime
    cause_event_id: str


class InboxOut(BaseModel):
    person_id: str
    locale: Locale
    messages: list[MessageOut]

    @classmethod
    def of(cls, inbox: handlers.PersonInbox) -> "InboxOut":
        return cls(
            person_id=inbox.person_id,
            locale=inbox.locale,
            messages=[
                MessageOut(
                    id=m.message.id,
                    category=m.message.category,
                    text=m.text,
                    created_at=m.message.created_at,
                    cause_event_id=m.message.cause_event_id,
                )
                for m in inbox.messages
            ],
        )


def create_app(service: Notifications | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime = service.runtime
    gatekeeper = runtime.gatekeeper(GUARDRAILS, is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery notifications", version="0.1.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        return await handlers.export_person(person_id, service.inbox, service.people)

    app.include_router(privacy_router("notifications", export, runtime.audit))

    @app.get("/people/{person_id}/inbox", response_model=InboxOut, tags=["inbox"])
    async def inbox(
        person_id: str,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> InboxOut:
        """The person's messages, newest first; an unknown person simply has none yet."""
        found = await handlers.read_inbox(person_id, service.inbox, service.people, service.renderer, limit, offset)
        return InboxOut.of(found)

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory notifications.entrypoints.http:app`."""
    return create_app()
