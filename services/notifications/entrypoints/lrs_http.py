"""The xAPI delivery log, read-only, for operators: what went to the Learning Record Store and what waits.

For admins only: statements name people (by id) and what they learnt.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from notifications.service.learning_records import LearningRecords, LoggedStatement
from shared.auth.policy import Access, allow

MAX_OFFSET = 1_000_000

LRS_POLICY: dict[str, Access] = {"GET /lrs/deliveries": allow("admin")}
"""Who may read the delivery log; the service's policy includes it."""


class StatementOut(BaseModel):
    id: str
    event_id: str
    event_type: str
    verb: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    statement: dict[str, Any]

    @classmethod
    def of(cls, logged: LoggedStatement) -> "StatementOut":
        return cls(
            id=logged.id,
            event_id=logged.event_id,
            event_type=logged.event_type,
            verb=logged.verb,
            state=logged.state,
            attempts=logged.attempts,
            last_error=logged.last_error,
            next_attempt_at=logged.next_attempt_at,
            sent_at=logged.sent_at,
            created_at=logged.created_at,
            statement=logged.body,
        )


class DeliveriesOut(BaseModel):
    enabled: bool
    """False when no LRS is configured (nothing is stated, the log stays empty)."""
    deliveries: list[StatementOut]


def lrs_router(learning_records: LearningRecords | None) -> APIRouter:
    router = APIRouter(prefix="/lrs", tags=["learning records"])

    @router.get("/deliveries", response_model=DeliveriesOut)
    async def deliveries(
        state: Literal["pending", "sent", "rejected"] | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> DeliveriesOut:
        """Statements newest first, with their state, attempts, last error and next attempt."""
        if learning_records is None:
            return DeliveriesOut(enabled=False, deliveries=[])
        found = await learning_records.deliveries(state, limit, offset)
        return DeliveriesOut(enabled=True, deliveries=[StatementOut.of(s) for s in found])

    return router
