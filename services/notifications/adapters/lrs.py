"""The xAPI delivery log in MongoDB, and the sender to a Learning Record Store over HTTP.

One document per statement in `lrs_statements`, keyed by the statement id (a redelivered event inserts
nothing). FerretDB scans for anything but an `_id` filter, so the retry job reads `lrs_queue` instead:
one small document per statement still to send, deleted once it is sent.

A statement's outcome (sent, or rejected for good) is decided by a unique-key insert in `lrs_outcomes`:
FerretDB updates by reading and replacing, so a background send and the retry job updating one statement
at once could have a late "failed" put "pending" back over "sent". The `state` on the statement is a
cache of that outcome for listing; every read corrects it from the outcomes, and repairs it. The other
fields a race can lose are diagnostic (an attempt count one short, the latest error); the queue entry
is never brought back by a late update (no upsert), and a duplicate send is harmless (the LRS keeps one
statement per id).
"""

import json
import logging
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from notifications.domain.xapi import XAPI_VERSION, Statement
from notifications.service.learning_records import LoggedStatement, SendOutcome, SendResult
from shared.persistence.mongo import Document, in_batches, insert_new

logger = logging.getLogger(__name__)

STATEMENTS = "lrs_statements"
QUEUE = "lrs_queue"
OUTCOMES = "lrs_outcomes"
SEND_TIMEOUT_SECONDS = 10.0


class MongoStatementLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.statements = database[STATEMENTS]
        self.queue = database[QUEUE]
        self.outcomes = database[OUTCOMES]

    async def ensure_indexes(self) -> None:
        await self.queue.create_index([("due_at", ASCENDING)])

    async def add(self, statements: Sequence[Statement], created_at: datetime, due_at: datetime) -> set[str]:
        # Queued first: a crash between the two writes leaves a queue entry without a statement, which the
        # retry job drops, and the event (not yet acknowledged) comes again and logs it; the other way round
        # a statement would be logged that nothing ever sends.
        queued = [{"_id": s.id, "due_at": due_at} for s in statements]
        await insert_new(self.database, QUEUE, queued)
        return await insert_new(self.database, STATEMENTS, [_document(s, created_at) for s in statements])

    async def get(self, statement_ids: Collection[str]) -> list[LoggedStatement]:
        documents: list[Document] = []
        for batch in in_batches(list(statement_ids)):
            documents += [doc async for doc in self.statements.find({"_id": {"$in": batch}})]
        return await self._as_decided(documents)

    async def _as_decided(self, documents: list[Document]) -> list[LoggedStatement]:
        """The statements with the state their outcome decided; a cached state that lost a race is repaired."""
        decided: dict[str, Document] = {}
        for batch in in_batches([doc["_id"] for doc in documents]):
            decided |= {doc["_id"]: doc async for doc in self.outcomes.find({"_id": {"$in": batch}})}
        logged = []
        for doc in documents:
            outcome = decided.get(doc["_id"])
            if outcome is not None and doc.get("state") != outcome["state"]:
                fields = _outcome_fields(outcome)
                doc = {**doc, **fields}
                await self.statements.update_one({"_id": doc["_id"]}, {"$set": fields})
            logged.append(_logged(doc))
        return logged

    async def due(self, now: datetime, limit: int) -> list[str]:
        cursor = self.queue.find({"due_at": {"$lte": now}}, {"_id": 1}).sort("due_at", ASCENDING).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def dequeue(self, statement_ids: Collection[str]) -> None:
        for batch in in_batches(list(statement_ids)):
            await self.queue.delete_many({"_id": {"$in": batch}})

    async def sent(self, statement_ids: Collection[str], at: datetime) -> None:
        await insert_new(self.database, OUTCOMES, [{"_id": sid, "state": "sent", "at": at} for sid in statement_ids])
        for batch in in_batches(list(statement_ids)):
            await self.statements.update_many(
                {"_id": {"$in": batch}},
                {"$set": {"state": "sent", "sent_at": at, "next_attempt_at": None}, "$inc": {"attempts": 1}},
            )
        await self.dequeue(statement_ids)

    async def rejected(self, statement_id: str, at: datetime, error: str) -> None:
        await insert_new(
            self.database, OUTCOMES, [{"_id": statement_id, "state": "rejected", "at": at, "error": error}]
        )
        await self.statements.update_one(
            {"_id": statement_id},
            {
                "$set": {"state": "rejected", "last_error": error, "last_attempt_at": at, "next_attempt_at": None},
                "$inc": {"attempts": 1},
            },
        )
        await self.dequeue([statement_id])

    async def failed(self, statement_ids: Collection[str], at: datetime, error: str, next_at: datetime) -> None:
        for batch in in_batches(list(statement_ids)):
            await self.statements.update_many(
                {"_id": {"$in": batch}},
                {
                    "$set": {"last_error": error, "last_attempt_at": at, "next_attempt_at": next_at},
                    "$inc": {"attempts": 1},
                },
            )
            await self.queue.update_many({"_id": {"$in": batch}}, {"$set": {"due_at": next_at}})

    async def recent(self, state: str | None, limit: int, offset: int) -> list[LoggedStatement]:
        # A scan on FerretDB: an operator's page, not a hot path.
        query = {"state": state} if state else {}
        cursor = self.statements.find(query).sort([("created_at", -1), ("_id", -1)]).skip(offset).limit(limit)
        logged = await self._as_decided([doc async for doc in cursor])
        # One whose cached state lost a race shows as decided (and is repaired, so later pages are right).
        return [statement for statement in logged if state is None or statement.state == state]

    async def forget_person(self, person_id: str) -> int:
        """Drop an erased person's statements not yet sent (a scan: erasures are rare)."""
        ids = [doc["_id"] async for doc in self.statements.find({"person_id": person_id, "anonymous": False})]
        for batch in in_batches(ids):
            await self.statements.delete_many({"_id": {"$in": batch}})
            await self.outcomes.delete_many({"_id": {"$in": batch}})
        await self.dequeue(ids)
        return len(ids)


class HttpLrsSender:
    """Sends statements to `{endpoint}/statements` with Basic auth and the xAPI version header.

    A batch goes in one POST; if the LRS refuses it as a whole (a 400 for one bad statement, a 409 for
    one it holds under another content), each is PUT by its id, so one statement cannot hold up the
    rest. A statement the LRS holds already (204 or 409 on PUT) counts as sent.
    """

    def __init__(
        self,
        endpoint: str,
        username: str | None,
        password: str | None,
        timeout_seconds: float = SEND_TIMEOUT_SECONDS,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = statements_url(endpoint)
        self._auth = httpx.BasicAuth(username, password or "") if username else None
        self._client = client
        self._owned = client is None
        self.timeout_seconds = timeout_seconds

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout_seconds,
                follow_redirects=False,
                headers={"X-Experience-API-Version": XAPI_VERSION},
            )
        return self._client

    async def send(self, statements: Sequence[dict[str, Any]]) -> SendResult:
        ids = [str(s["id"]) for s in statements]
        try:
            answer = await self._http().post(
                self.url, json=list(statements), auth=self._auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.HTTPError as error:
            return SendResult.all_failed(ids, _describe(error))
        if answer.is_success:
            return SendResult(dict.fromkeys(ids, SendOutcome.SENT))
        if answer.status_code in (400, 409) and len(statements) > 1:
            return await self._one_by_one(statements)
        if answer.status_code == 409:
            return SendResult(dict.fromkeys(ids, SendOutcome.SENT))
        if answer.status_code == 400:
            return SendResult({ids[0]: SendOutcome.REJECTED}, errors={ids[0]: _answer(answer)})
        return SendResult.all_failed(ids, _answer(answer))

    async def _one_by_one(self, statements: Sequence[dict[str, Any]]) -> SendResult:
        outcomes: dict[str, SendOutcome] = {}
        errors: dict[str, str] = {}
        for statement in statements:
            sid = str(statement["id"])
            try:
                answer = await self._http().put(
                    self.url,
                    params={"statementId": sid},
                    json=statement,
                    auth=self._auth or httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.HTTPError as error:
                outcomes[sid], errors[sid] = SendOutcome.FAILED, _describe(error)
                continue
            if answer.is_success or answer.status_code == 409:
                outcomes[sid] = SendOutcome.SENT
            elif answer.status_code == 400:
                outcomes[sid], errors[sid] = SendOutcome.REJECTED, _answer(answer)
            else:
                outcomes[sid], errors[sid] = SendOutcome.FAILED, _answer(answer)
        return SendResult(outcomes, errors)

    async def aclose(self) -> None:
        if self._client is not None and self._owned:
            await self._client.aclose()
            self._client = None


def statements_url(endpoint: str) -> str:
    """The statements resource of an LRS given by its base address, with or without its `/xAPI` part."""
    base = endpoint.rstrip("/")
    if base.lower().endswith("/xapi"):
        return f"{base}/statements"
    return f"{base}/xAPI/statements"


def _describe(error: httpx.HTTPError) -> str:
    return f"{type(error).__name__}: {str(error) or repr(error)}"


def _answer(answer: httpx.Response) -> str:
    return f"HTTP {answer.status_code}: {answer.text[:300]}"


def _document(statement: Statement, created_at: datetime) -> Document:
    return {
        "_id": statement.id,
        "event_id": statement.event_id,
        "event_type": statement.event_type,
        "person_id": statement.person_id,
        "anonymous": statement.anonymous,
        "verb": statement.verb,
        # As text: extension keys are IRIs, and FerretDB takes no dots in field names.
        "body": json.dumps(statement.body, ensure_ascii=False, separators=(",", ":")),
        "created_at": created_at,
        "state": "pending",
        "attempts": 0,
        "last_error": None,
        "last_attempt_at": None,
        "next_attempt_at": None,
        "sent_at": None,
    }


def _outcome_fields(outcome: Document) -> Document:
    if outcome["state"] == "sent":
        return {"state": "sent", "sent_at": outcome["at"], "next_attempt_at": None}
    return {"state": outcome["state"], "last_error": outcome.get("error"), "next_attempt_at": None}


def _logged(doc: Document) -> LoggedStatement:
    return LoggedStatement(
        id=doc["_id"],
        event_id=doc["event_id"],
        event_type=doc["event_type"],
        verb=doc["verb"],
        body=json.loads(doc["body"]),
        created_at=doc["created_at"].replace(tzinfo=UTC),
        state=doc["state"],
        attempts=doc.get("attempts", 0),
        last_error=doc.get("last_error"),
        next_attempt_at=_aware(doc.get("next_attempt_at")),
        sent_at=_aware(doc.get("sent_at")),
    )


def _aware(value: datetime | None) -> datetime | None:
    """BSON dates come back naive, in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
