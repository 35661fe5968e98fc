"""The gamification HTTP API."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Query
from pydantic import BaseModel

from gamification.bootstrap import Gamification, bootstrap
from gamification.entrypoints.policy import GUARDRAILS
from gamification.service import handlers
from shared.http import health_router, prepare_app, privacy_router


class LedgerEntryOut(BaseModel):
    id: str
    points: int
    rule: str
    cause_event_id: str
    cause_event_type: str
    awarded_at: datetime


class AccountOut(BaseModel):
    person_id: str
    balance: int
    ledger: list[LedgerEntryOut]


def create_app(service: Gamification | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime = service.runtime
    gatekeeper = runtime.gatekeeper(GUARDRAILS, is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery gamification", version="0.1.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        return await handlers.export_person(person_id, service.ledger, service.people)

    app.include_router(privacy_router("gamification", export, runtime.audit))

    @app.get("/people/{person_id}/points", response_model=AccountOut, tags=["points"])
    async def points(
        person_id: str,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> AccountOut:
        account = await handlers.account(person_id, service.ledger, limit, offset)
        return AccountOut(
            person_id=account.person_id,
            balance=account.balance,
            ledger=[
                LedgerEntryOut(
                    id=e.id,
                    points=e.points,
                    rule=e.rule,
                    cause_event_id=e.cause_event_id,
                    cause_event_type=e.cause_event_type,
                    awarded_at=e.awarded_at,
                )
                for e in account.entries
            ],
        )

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory gamification.entrypoints.http:app`."""
    return create_app()
