"""Learning records for a Learning Record Store: log each event's statements, send them, retry until sent.

The consumer only logs (one insert per statement, the batch's together) and starts a send in the
background: an LRS that is slow or down never holds up or dead-letters an event. What is not sent
stays pending with its error and next attempt, and the periodic `retry_due` sends it later. Sending a
statement twice is harmless (the LRS keeps one per statement id, and a duplicate counts as sent), so
unlike webhooks no attempt needs claiming: two replicas racing on a due statement only cost a request.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from notifications.domain.xapi import Occurrence, Statement, Vocabulary, stated_event_types, statements_of
from shared.contracts.base import IntegrationEvent
from shared.errors import Invalid

logger = logging.getLogger(__name__)

FIRST_ATTEMPT_LEASE = timedelta(minutes=2)
"""A new statement comes due for the retry job only this long after it was logged: its background send goes first."""
FIRST_RETRY = timedelta(seconds=5)
LAST_RETRY = timedelta(minutes=15)
"""The backoff doubles from FIRST_RETRY up to this, and stays there: statements are never given up on."""
SEND_BATCH = 100
"""Statements per request to the LRS."""
RETRY_BATCH = 1000
"""Due statements the retry job takes per round; the rest wait for the next."""
CONCURRENT_SENDS = 4
"""Requests to the LRS at once: a slow LRS makes sends queue up here, not pile up on it."""
STATES = ("pending", "sent", "rejected")


class SendOutcome(StrEnum):
    SENT = "sent"
    """Stored by the LRS now, or before (a duplicate)."""
    REJECTED = "rejected"
    """The LRS refuses this statement itself (400): sending it again cannot help."""
    FAILED = "failed"
    """Not stored (the LRS is down, refused us, or answered an error): to try again later."""


@dataclass(frozen=True)
class SendResult:
    outcomes: dict[str, SendOutcome]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def all_failed(cls, statement_ids: Sequence[str], error: str) -> "SendResult":
        return cls(dict.fromkeys(statement_ids, SendOutcome.FAILED), dict.fromkeys(statement_ids, error))


@dataclass(frozen=True)
class LoggedStatement:
    id: str
    event_id: str
    event_type: str
    verb: str
    body: dict[str, Any]
    created_at: datetime
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None


class StatementLog(Protocol):
    async def add(self, statements: Sequence[Statement], created_at: datetime, due_at: datetime) -> set[str]:
        """Log new statements as pending, queued for the retry job at `due_at`; the ids logged by this call."""
        ...

    async def get(self, statement_ids: Collection[str]) -> list[LoggedStatement]: ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of queued statements whose time has come, earliest first."""
        ...

    async def dequeue(self, statement_ids: Collection[str]) -> None: ...

    async def sent(self, statement_ids: Collection[str], at: datetime) -> None: ...

    async def rejected(self, statement_id: str, at: datetime, error: str) -> None: ...

    async def failed(self, statement_ids: Collection[str], at: datetime, error: str, next_at: datetime) -> None: ...

    async def recent(self, state: str | None, limit: int, offset: int) -> list[LoggedStatement]:
        """Newest first, of one state or all."""
        ...

    async def forget_person(self, person_id: str) -> int: ...


class Sender(Protocol):
    async def send(self, statements: Sequence[dict[str, Any]]) -> SendResult:
        """Send a batch; what came of each (never raises for the LRS's faults)."""
        ...


def backoff(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts (from 1)."""
    doublings: int = min(max(attempts - 1, 0), 20)
    return min(FIRST_RETRY * (1 << doublings), LAST_RETRY)


class LearningRecords:
    def __init__(
        self,
        log: StatementLog,
        sender: Sender,
        vocabulary: Vocabulary,
        clock: Callable[[], datetime],
        send_in_background: bool = True,
    ) -> None:
        self.log = log
        self.sender = sender
        self.vocabulary = vocabulary
        self.clock = clock
        self.send_in_background = send_in_background
        self.event_types = stated_event_types()
        self._running: set[asyncio.Task[None]] = set()
        self._sends = asyncio.Semaphore(CONCURRENT_SENDS)

    def statements_of(
        self, event: IntegrationEvent, event_id: str, occurred_at: datetime, correlation_id: str | None
    ) -> list[Statement]:
        occurrence = Occurrence(event_id, event.ce_type, occurred_at, correlation_id)
        return statements_of(event, occurrence, self.vocabulary)

    async def record(self, statements: Sequence[Statement]) -> int:
        """Log the statements (those logged before are left alone) and send the new ones; how many were new."""
        if not statements:
            return 0
        now = self.clock()
        created = await self.log.add(statements, created_at=now, due_at=now + FIRST_ATTEMPT_LEASE)
        fresh = [s for s in statements if s.id in created]
        if not fresh:
            return 0
        sending = self._send([(s.id, s.body, 0) for s in fresh])
        if self.send_in_background:
            task = asyncio.ensure_future(_quietly(sending))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        else:
            await sending
        return len(fresh)

    async def settled(self) -> None:
        """Wait for the sends running in the background (at shutdown, or before a test looks)."""
        while self._running:
            await asyncio.gather(*list(self._running))

    async def retry_due(self) -> int:
        """The periodic job: send every pending statement whose time has come; how many the LRS now holds."""
        due = await self.log.due(self.clock(), RETRY_BATCH)
        if not due:
            return 0
        found = {s.id: s for s in await self.log.get(due)}
        # Queued but not logged (a crash between the two writes; the event comes again) or no longer pending.
        stale = [sid for sid in due if sid not in found or found[sid].state != "pending"]
        if stale:
            await self.log.dequeue(stale)
        pending = [found[sid] for sid in due if sid in found and found[sid].state == "pending"]
        return await self._send([(s.id, s.body, s.attempts) for s in pending])

    async def deliveries(self, state: str | None = None, limit: int = 50, offset: int = 0) -> list[LoggedStatement]:
        """The delivery log, newest first; 422 for an unknown state."""
        if state is not None and state not in STATES:
            raise Invalid(f"state: one of {', '.join(STATES)}", field="state")
        return await self.log.recent(state, limit, offset)

    async def _send(self, statements: Sequence[tuple[str, dict[str, Any], int]]) -> int:
        sent = 0
        for start in range(0, len(statements), SEND_BATCH):
            sent += await self._send_batch(statements[start : start + SEND_BATCH])
        return sent

    async def _send_batch(self, batch: Sequence[tuple[str, dict[str, Any], int]]) -> int:
        async with self._sends:
            result = await self.sender.send([body for _, body, _ in batch])
        at = self.clock()
        attempts = {sid: count for sid, _, count in batch}
        outcomes = {sid: result.outcomes.get(sid, SendOutcome.FAILED) for sid in attempts}
        sent = [sid for sid, outcome in outcomes.items() if outcome is SendOutcome.SENT]
        if sent:
            await self.log.sent(sent, at)
        for sid, outcome in outcomes.items():
            if outcome is SendOutcome.REJECTED:
                error = result.errors.get(sid, "rejected")
                logger.error("LRS rejected statement %s for good: %s", sid, error)
                await self.log.rejected(sid, at, error)
        failed = [sid for sid, outcome in outcomes.items() if outcome is SendOutcome.FAILED]
        # One write per backoff step: statements failing together mostly share their attempt count.
        by_wait: dict[tuple[timedelta, str], list[str]] = {}
        for sid in failed:
            error = result.errors.get(sid, "no answer for this statement")
            by_wait.setdefault((backoff(attempts[sid] + 1), error), []).append(sid)
        for (wait, error), ids in by_wait.items():
            await self.log.failed(ids, at, error, at + wait)
        if failed:
            logger.warning(
                "LRS: %d statement(s) not sent, kept pending (%s)",
                len(failed),
                next(iter(by_wait))[1] if by_wait else "",
            )
        return len(sent)


async def _quietly(sending: Awaitable[object]) -> None:
    try:
        await sending
    except Exception:
        logger.exception("sending statements to the LRS failed; the retry job sends them once their lease is over")


def occurred_at(time: str | None, fallback: datetime) -> datetime:
    """The event's time from its envelope (CloudEvents `time`), else `fallback`."""
    return datetime.fromisoformat(time.replace("Z", "+00:00")) if time else fallback
