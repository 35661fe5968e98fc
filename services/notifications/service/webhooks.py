"""Outgoing webhooks: register a subscriber, forward each event it wants, retry, list and replay deliveries.

Every attempt of a delivery is claimed first by a unique-key insert (`{delivery id}#{attempt number}`),
so that whichever replica forwards the event, runs the retry job or replays it, one attempt is made
per number and the delivery's log is written by that attempt's claimer alone (FerretDB updates are
read-modify-replace: two writers of one document could lose each other's attempts). A claimer that
dies before recording its outcome leaves its claim behind; once that claim is older than
`CLAIM_TIMEOUT`, the next round records the attempt as interrupted and makes the next one.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from notifications.domain.webhooks import (
    Attempt,
    DeliveryStatus,
    InvalidWebhookUrl,
    Outcome,
    Subscription,
    WebhookDelivery,
    check_url,
    new_secret,
    signed_headers,
)
from shared.contracts import directory
from shared.contracts.base import all_contracts
from shared.errors import Conflict, Invalid, NotFound

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=5)
"""A claim older than this whose attempt is not recorded belongs to a sender that died (a send takes ~10 s)."""
FIRST_ATTEMPT_LEASE = CLAIM_TIMEOUT
"""A new delivery comes due for the retry job only this long after it was created: its creator tries first."""
RETRY_BATCH = 200
"""Due deliveries the retry job takes per round; the rest wait for the next round."""
CONCURRENT_SENDS = 16
SUBSCRIPTIONS_TTL_SECONDS = 5.0


def public_event_types() -> frozenset[str]:
    """The event types other systems may subscribe to: none from a restricted topic, none from the directory.

    Restricted topics carry what must not leave (who wrote an anonymous comment); the directory's carry
    personal data.
    """
    return frozenset(
        contract.ce_type
        for contract in all_contracts()
        if not contract.topic.endswith(".restricted") and contract.topic != directory.TOPIC
    )


class Subscriptions(Protocol):
    async def add(self, subscription: Subscription) -> bool:
        """Store it; False if a subscription with its id (the same url and event set) exists."""
        ...

    async def get(self, subscription_id: str) -> Subscription | None: ...

    async def all(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        ...


class Deliveries(Protocol):
    async def existing(self, delivery_ids: Collection[str]) -> set[str]:
        """Those of these ids that are stored already."""
        ...

    async def create(self, deliveries: Collection[WebhookDelivery], due_at: datetime) -> set[str]:
        """Store new deliveries, queued for the retry job at `due_at`; the ids created by this call."""
        ...

    async def get(self, delivery_id: str) -> WebhookDelivery | None: ...

    async def of_subscription(self, subscription_id: str, limit: int, offset: int) -> list[WebhookDelivery]:
        """A subscription's deliveries, newest first."""
        ...

    async def save(self, delivery: WebhookDelivery) -> None:
        """Replace the stored delivery; queue it for its next attempt if pending, else take it off the queue."""
        ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of queued deliveries whose time has come, earliest first."""
        ...

    async def dequeue(self, delivery_id: str) -> None: ...

    async def claim(self, delivery_id: str, attempt: int, at: datetime) -> bool:
        """Take the right to make attempt number `attempt` (from 1); False if someone has it."""
        ...

    async def claimed_at(self, delivery_id: str, attempt: int) -> datetime | None: ...

    async def release(self, delivery_id: str, attempt: int) -> None:
        """Give back a claim whose attempt was not made."""
        ...


class Sender(Protocol):
    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """POST the body; what came of it (never raises for the subscriber's faults)."""
        ...


class Webhooks:
    """The webhook use cases; `clock` says what time it is (a test moves it to see retries and giving up)."""

    def __init__(
        self,
        subscriptions: Subscriptions,
        deliveries: Deliveries,
        sender: Sender,
        clock: Callable[[], datetime],
        allow_private_urls: bool,
        first_attempt_in_background: bool = False,
    ) -> None:
        """`first_attempt_in_background`: `forward` returns once the deliveries are kept, their first attempts
        running on their own (a slow subscriber must not hold up the consumer); one lost in a crash is made by
        the retry job once its lease is over."""
        self.first_attempt_in_background = first_attempt_in_background
        self._running: set[asyncio.Task[None]] = set()
        self.subscriptions = subscriptions
        self._deliveries = deliveries  # `deliveries` is the use case listing them
        self.sender = sender
        self.clock = clock
        self.allow_private_urls = allow_private_urls
        self.event_types = public_event_types()
        self._sends = asyncio.Semaphore(CONCURRENT_SENDS)
        self._cached: tuple[float, list[Subscription]] | None = None

    async def register(self, url: str, event_types: Collection[str]) -> tuple[Subscription, str]:
        """A new subscription and its secret (shown this once).

        422 naming `url` for an address webhooks may not go to, `event_types` for none or an unknown or
        non-public type; 409 if the same url was registered with the same set of event types before.
        """
        try:
            url = check_url(url, self.allow_private_urls)
        except InvalidWebhookUrl as error:
            raise Invalid(str(error), field=error.field) from error
        types = frozenset(event_types)
        if not types:
            raise Invalid("event_types: name at least one event type", field="event_types")
        unknown = sorted(types - self.event_types)
        if unknown:
            raise Invalid(
                f"event_types: not event types one may subscribe to: {', '.join(unknown)}",
                field="event_types",
                unknown=unknown,
            )
        subscription = Subscription.new(url, types, new_secret(), self.clock())
        if not await self.subscriptions.add(subscription):
            raise Conflict(
                "this url is registered for these event types already",
                field="url",
                subscription_id=subscription.id,
            )
        logger.info("webhook subscription %s registered for %d event types", subscription.id, len(types))
        self._cached = None  # this replica serves it from the next event on
        return subscription, subscription.secret

    async def list_subscriptions(self) -> list[Subscription]:
        return await self.subscriptions.all()

    async def deliveries(self, subscription_id: str, limit: int = 50, offset: int = 0) -> list[WebhookDelivery]:
        """A subscription's deliveries, newest first, with their attempts; 404 for an unknown subscription."""
        await self._subscription(subscription_id)
        return await self._deliveries.of_subscription(subscription_id, limit, offset)

    async def replay(self, subscription_id: str, delivery_id: str) -> WebhookDelivery:
        """Send a delivery again now, whatever its status: one more attempt, under the same webhook-id.

        404 for an unknown subscription or a delivery not of it; 409 while another attempt of it is under way.
        """
        subscription = await self._subscription(subscription_id)
        delivery = await self._deliveries.get(delivery_id)
        if delivery is None or delivery.subscription_id != subscription.id:
            raise NotFound("no such delivery for this subscription", field="delivery_id")
        number = len(delivery.attempts) + 1
        claimed = await self._claim(delivery, number)
        if claimed is None:
            raise Conflict("an attempt of this delivery is under way: try again in a moment", field="delivery_id")
        return await self._attempt(claimed, subscription, manual=True)

    async def forward(self, event_type: str, event_id: str, occurred_at: datetime, data: Mapping[str, Any]) -> int:
        """Make one delivery of the event per active subscription wanting its type, and try each at once.

        Returns how many deliveries this call created: 0 for a redelivered event, whose deliveries exist.
        A failed first attempt is left to `retry_due`; nothing here raises for a subscriber's failure.
        """
        if event_type not in self.event_types:
            return 0
        wanting = [s for s in await self._active() if s.wants(event_type)]
        if not wanting:
            return 0
        now = self.clock()
        made = [WebhookDelivery.of(s, event_id, event_type, occurred_at, data, now) for s in wanting]
        existing = await self._deliveries.existing([d.id for d in made])
        fresh = [d for d in made if d.id not in existing]
        if not fresh:
            return 0
        created = await self._deliveries.create(fresh, due_at=now + FIRST_ATTEMPT_LEASE)
        by_id = {s.id: s for s in wanting}
        first = [d for d in fresh if d.id in created]
        attempts = asyncio.gather(*(self._first_attempt(d, by_id[d.subscription_id]) for d in first))
        if self.first_attempt_in_background:
            task = asyncio.ensure_future(_quietly(attempts))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        else:
            await attempts
        return len(first)

    async def settled(self) -> None:
        """Wait for the first attempts running in the background (at shutdown, or before a test looks)."""
        while self._running:
            await asyncio.gather(*list(self._running))

    async def _active(self) -> list[Subscription]:
        """Every subscription, read at most every few seconds: every event asks, and the answer rarely changes
        (one registered on another replica is served within `SUBSCRIPTIONS_TTL_SECONDS`; here, at once)."""
        if self._cached is None or time.monotonic() - self._cached[0] > SUBSCRIPTIONS_TTL_SECONDS:
            self._cached = (time.monotonic(), await self.subscriptions.all())
        return self._cached[1]

    async def retry_due(self) -> int:
        """The periodic job: make the next attempt of every delivery whose time has come; how many were made."""
        due = await self._deliveries.due(self.clock(), RETRY_BATCH)
        made = await asyncio.gather(*(self._retry(delivery_id) for delivery_id in due))
        return sum(made)

    async def _subscription(self, subscription_id: str) -> Subscription:
        subscription = await self.subscriptions.get(subscription_id)
        if subscription is None:
            raise NotFound("no such webhook subscription", field="subscription_id")
        return subscription

    async def _first_attempt(self, delivery: WebhookDelivery, subscription: Subscription) -> None:
        if await self._deliveries.claim(delivery.id, 1, self.clock()):
            await self._attempt(delivery, subscription, manual=False)

    async def _retry(self, delivery_id: str) -> bool:
        delivery = await self._deliveries.get(delivery_id)
        if delivery is None or delivery.status is not DeliveryStatus.PENDING:
            # Queued before its creation was complete (its event comes again), or left over: nothing to do.
            await self._deliveries.dequeue(delivery_id)
            return False
        now = self.clock()
        if not delivery.is_due(now):
            return False
        claimed = await self._claim(delivery, len(delivery.attempts) + 1)
        if claimed is None:
            return False
        if not claimed.is_due(now):  # a taken-over attempt moved the schedule: give the claim back
            await self._deliveries.release(claimed.id, len(claimed.attempts) + 1)
            return False
        subscription = await self.subscriptions.get(claimed.subscription_id)
        if subscription is None or not subscription.active:
            await self._deliveries.save(claimed.abandoned(now, "the subscription is gone or inactive"))
            return False
        await self._attempt(claimed, subscription, manual=False)
        return True

    async def _claim(self, delivery: WebhookDelivery, number: int) -> WebhookDelivery | None:
        """The delivery as it stands once attempt `number` is ours to make; None if another sender has it.

        Read again after the claim: a claim can be won on a stale read only once the delivery's claims were
        cleared at its end, and then the attempt count tells. A claim found stale (its sender died before
        recording anything) is taken over: its attempt is recorded as interrupted, and the next one is ours.
        """
        now = self.clock()
        if await self._deliveries.claim(delivery.id, number, now):
            current = await self._deliveries.get(delivery.id)
            if current is not None and len(current.attempts) == number - 1:
                return current
            await self._deliveries.release(delivery.id, number)
            return None
        claimed_at = await self._deliveries.claimed_at(delivery.id, number)
        if claimed_at is None or now - claimed_at < CLAIM_TIMEOUT:
            return None
        if not await self._deliveries.claim(delivery.id, number + 1, now):
            return None
        current = await self._deliveries.get(delivery.id)
        if current is None or len(current.attempts) != number - 1:
            await self._deliveries.release(delivery.id, number + 1)
            return None
        logger.warning("webhook delivery %s: attempt %d never reported back; taking over", delivery.id, number)
        interrupted = current.interrupted(claimed_at)
        await self._deliveries.save(interrupted)
        return interrupted

    async def _attempt(self, delivery: WebhookDelivery, subscription: Subscription, *, manual: bool) -> WebhookDelivery:
        body = delivery.body.encode()
        async with self._sends:
            at = self.clock()
            outcome = await self.sender.send(
                subscription.url, signed_headers(subscription.secret, delivery.id, at, body), body
            )
        updated = delivery.recorded(Attempt.of(at, outcome, manual=manual))
        await self._deliveries.save(updated)
        if not outcome.succeeded:
            logger.info(
                "webhook delivery %s to %s failed (%s); %s",
                delivery.id,
                subscription.id,
                outcome.error or outcome.status_code,
                f"next attempt at {updated.next_attempt_at:%Y-%m-%dT%H:%M:%S}"
                if updated.next_attempt_at
                else f"status {updated.status}",
            )
        return updated


async def _quietly(attempts: Awaitable[object]) -> None:
    try:
        await attempts
    except Exception:
        logger.exception("first webhook attempts failed; the retry job makes them once their lease is over")
