"""Webhook subscriptions and deliveries in MongoDB, and the HTTP sender.

FerretDB reads anything but an `_id` filter by scanning, so the retry job never looks through the
deliveries: the few awaiting a retry are also queued in `webhook_queue` (one small document each,
deleted when the delivery is done), and everything else it reads is by `_id`. Attempt claims
(`webhook_claims`, `{delivery id}#{number}`) make each attempt once, on a unique `_id` insert; they
are cleared when the delivery is done. Listing a subscription's deliveries scans on FerretDB: an
admin's page, not a hot path.
"""

import time
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import httpx
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from notifications.domain.webhooks import Attempt, DeliveryStatus, Outcome, Subscription, WebhookDelivery
from shared.persistence.mongo import Document, in_batches, insert_new, insert_once, is_duplicate_key

SUBSCRIPTIONS = "webhook_subscriptions"
DELIVERIES = "webhook_deliveries"
QUEUE = "webhook_queue"
CLAIMS = "webhook_claims"

SEND_TIMEOUT_SECONDS = 10.0
USER_AGENT = "Owlery-Webhooks/1"


class MongoWebhookSubscriptions:
    """One document per subscription, keyed by its id (which derives from the url and event set)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[SUBSCRIPTIONS]

    async def add(self, subscription: Subscription) -> bool:
        return await insert_once(self.database, SUBSCRIPTIONS, _subscription_document(subscription))

    async def get(self, subscription_id: str) -> Subscription | None:
        doc = await self.collection.find_one({"_id": subscription_id})
        return _subscription(doc) if doc is not None else None

    async def all(self) -> list[Subscription]:
        # A scan, of a collection of a few documents: one per system subscribed.
        found = [_subscription(doc) async for doc in self.collection.find({})]
        return sorted(found, key=lambda subscription: (subscription.created_at, subscription.id))


class MongoWebhookDeliveries:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.collection = database[DELIVERIES]
        self.queue = database[QUEUE]
        self.claims = database[CLAIMS]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("subscription_id", ASCENDING), ("created_at", DESCENDING)])
        await self.queue.create_index([("due_at", ASCENDING)])

    async def existing(self, delivery_ids: Collection[str]) -> set[str]:
        found: set[str] = set()
        for batch in in_batches(list(delivery_ids)):
            found |= {doc["_id"] async for doc in self.collection.find({"_id": {"$in": batch}}, {"_id": 1})}
        return found

    async def create(self, deliveries: Collection[WebhookDelivery], due_at: datetime) -> set[str]:
        # Queued first: a crash between the two writes leaves a queue entry the retry job drops, and the
        # event (not yet acknowledged) comes again and creates the delivery; the other way round, a
        # delivery would exist that nothing ever attempts.
        queued = [{"_id": d.id, "subscription_id": d.subscription_id, "due_at": due_at} for d in deliveries]
        await insert_new(self.database, QUEUE, queued)
        return await insert_new(self.database, DELIVERIES, [_delivery_document(d) for d in deliveries])

    async def get(self, delivery_id: str) -> WebhookDelivery | None:
        doc = await self.collection.find_one({"_id": delivery_id})
        return _delivery(doc) if doc is not None else None

    async def of_subscription(self, subscription_id: str, limit: int, offset: int) -> list[WebhookDelivery]:
        cursor = (
            self.collection.find({"subscription_id": subscription_id})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [_delivery(doc) async for doc in cursor]

    async def save(self, delivery: WebhookDelivery) -> None:
        await self.collection.replace_one({"_id": delivery.id}, _delivery_document(delivery))
        if delivery.status is DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
            entry = {"subscription_id": delivery.subscription_id, "due_at": delivery.next_attempt_at}
            try:
                await self.queue.replace_one({"_id": delivery.id}, entry, upsert=True)
            except (DuplicateKeyError, OperationFailure) as error:
                if not is_duplicate_key(error):
                    raise
                await self.queue.replace_one({"_id": delivery.id}, entry)
            return
        await self.queue.delete_one({"_id": delivery.id})
        claims = [_claim_id(delivery.id, number) for number in range(1, len(delivery.attempts) + 2)]
        for batch in in_batches(claims):
            await self.claims.delete_many({"_id": {"$in": batch}})

    async def due(self, now: datetime, limit: int) -> list[str]:
        # A scan on FerretDB, of the deliveries awaiting a retry only.
        cursor = self.queue.find({"due_at": {"$lte": now}}, {"_id": 1}).sort("due_at", ASCENDING).limit(limit)
        return [doc["_id"] async for doc in cursor]

    async def dequeue(self, delivery_id: str) -> None:
        await self.queue.delete_one({"_id": delivery_id})

    async def claim(self, delivery_id: str, attempt: int, at: datetime) -> bool:
        document = {"_id": _claim_id(delivery_id, attempt), "delivery_id": delivery_id, "claimed_at": at}
        return await insert_once(self.database, CLAIMS, document)

    async def claimed_at(self, delivery_id: str, attempt: int) -> datetime | None:
        doc = await self.claims.find_one({"_id": _claim_id(delivery_id, attempt)})
        return doc["claimed_at"] if doc is not None else None

    async def release(self, delivery_id: str, attempt: int) -> None:
        await self.claims.delete_one({"_id": _claim_id(delivery_id, attempt)})


class HttpWebhookSender:
    """POSTs a delivery with httpx: a 2xx answer is success; any other answer or a network error is a failure.

    Redirects are not followed (a 3xx is a failure): a public URL must not bounce a signed request on to
    an address that registration would have refused. The answer's body is never read.
    """

    def __init__(self, timeout_seconds: float = SEND_TIMEOUT_SECONDS, client: httpx.AsyncClient | None = None) -> None:
        self.timeout_seconds = timeout_seconds
        self._client = client
        self._owned = client is None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout_seconds,
                follow_redirects=False,
                headers={"user-agent": USER_AGENT},
            )
        return self._client

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        started = time.perf_counter()
        try:
            async with self._http().stream("POST", url, content=body, headers=dict(headers)) as response:
                status = response.status_code
        except httpx.HTTPError as error:
            return Outcome.broken(_describe(error), _elapsed_ms(started))
        return Outcome.answered(status, _elapsed_ms(started))

    async def aclose(self) -> None:
        if self._client is not None and self._owned:
            await self._client.aclose()
            self._client = None


def _describe(error: httpx.HTTPError) -> str:
    detail = str(error) or repr(error)
    return f"{type(error).__name__}: {detail}"


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _claim_id(delivery_id: str, attempt: int) -> str:
    return f"{delivery_id}#{attempt}"


def _subscription_document(subscription: Subscription) -> Document:
    return {
        "_id": subscription.id,
        "url": subscription.url,
        "event_types": sorted(subscription.event_types),
        "secret": subscription.secret,
        "created_at": subscription.created_at,
        "active": subscription.active,
    }


def _subscription(doc: Document) -> Subscription:
    return Subscription(
        id=doc["_id"],
        url=doc["url"],
        event_types=frozenset(doc["event_types"]),
        secret=doc["secret"],
        created_at=doc["created_at"],
        active=doc.get("active", True),
    )


def _delivery_document(delivery: WebhookDelivery) -> Document:
    return {
        "_id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "body": delivery.body,
        "created_at": delivery.created_at,
        "status": delivery.status.value,
        "attempts": [_attempt_document(attempt) for attempt in delivery.attempts],
        "next_attempt_at": delivery.next_attempt_at,
    }


def _attempt_document(attempt: Attempt) -> Document:
    return {
        "at": attempt.at,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "manual": attempt.manual,
    }


def _delivery(doc: Document) -> WebhookDelivery:
    return WebhookDelivery(
        id=doc["_id"],
        subscription_id=doc["subscription_id"],
        event_id=doc["event_id"],
        event_type=doc["event_type"],
        body=doc["body"],
        created_at=doc["created_at"],
        status=DeliveryStatus(doc["status"]),
        attempts=tuple(_attempt(item) for item in doc.get("attempts", [])),
        next_attempt_at=doc.get("next_attempt_at"),
    )


def _attempt(doc: Mapping[str, Any]) -> Attempt:
    return Attempt(
        at=doc["at"],
        status_code=doc.get("status_code"),
        error=doc.get("error"),
        duration_ms=doc.get("duration_ms", 0),
        manual=doc.get("manual", False),
    )
