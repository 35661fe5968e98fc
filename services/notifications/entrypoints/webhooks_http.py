"""The outgoing-webhooks HTTP API: register a subscriber, list subscriptions, their deliveries, replay one.

For admins only: a subscription sends events out of Owlery, and its secret is shown once, at registration.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from notifications.domain.webhooks import MAX_URL_LENGTH, Attempt, Subscription, WebhookDelivery
from notifications.service.webhooks import Webhooks
from shared.auth.policy import Access, allow

MAX_OFFSET = 1_000_000
"""Paging skips at most this many: a bigger skip is never meant, and past 2**63 the database cannot take it."""

WEBHOOK_POLICY: dict[str, Access] = {
    "POST /webhooks/subscriptions": allow("admin"),
    "GET /webhooks/subscriptions": allow("admin"),
    "GET /webhooks/subscriptions/{subscription_id}/deliveries": allow("admin"),
    "POST /webhooks/subscriptions/{subscription_id}/deliveries/{delivery_id}/replay": allow("admin"),
}
"""Who may call the webhook endpoints; the service's policy includes it."""


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="http or https; outside dev mode no loopback, private or link-local address",
        examples=["https://lms.example.com/owlery/webhooks"],
    )
    event_types: list[str] = Field(
        min_length=1,
        max_length=200,
        description="CloudEvents types to receive; restricted and directory events cannot be subscribed to",
        examples=[["com.owlery.enrolment.application.enrolled.v1"]],
    )


class SubscriptionOut(BaseModel):
    id: str
    url: str
    event_types: list[str]
    created_at: datetime
    active: bool

    @classmethod
    def of(cls, subscription: Subscription) -> "SubscriptionOut":
        return cls(
            id=subscription.id,
            url=subscription.url,
            event_types=sorted(subscription.event_types),
            created_at=subscription.created_at,
            active=subscription.active,
        )


class RegisteredOut(SubscriptionOut):
    secret: str = Field(
        description="whsec_<base64>: verify each request's webhook-signature with it. Shown this once: keep it."
    )


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None = Field(description="The subscriber's HTTP status; None when no answer came")
    error: str | None = Field(description="Why the request got no answer (refused, timed out...)")
    duration_ms: int
    manual: bool = Field(description="True for a replay")

    @classmethod
    def of(cls, attempt: Attempt) -> "AttemptOut":
        return cls(
            at=attempt.at,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
            manual=attempt.manual,
        )


class DeliveryOut(BaseModel):
    id: str = Field(description="The webhook-id every attempt of this delivery carries")
    subscription_id: str
    event_id: str
    event_type: str
    status: str = Field(examples=["pending", "succeeded", "failed"])
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="When the next retry is due (pending deliveries)")
    attempts: list[AttemptOut]

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> "DeliveryOut":
        return cls(
            id=delivery.id,
            subscription_id=delivery.subscription_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status.value,
            created_at=delivery.created_at,
            next_attempt_at=delivery.next_attempt_at,
            attempts=[AttemptOut.of(attempt) for attempt in delivery.attempts],
        )


def webhook_router(webhooks: Webhooks) -> APIRouter:
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])

    @router.post("/subscriptions", status_code=201, response_model=RegisteredOut)
    async def register(body: SubscriptionIn) -> RegisteredOut:
        """Subscribe a URL to event types; the answer carries the signing secret, shown this once.

        422 naming `url` for an address webhooks may not go to, `event_types` for an unknown or non-public
        type; 409 if this URL is registered for the same set of event types already.
        """
        subscription, secret = await webhooks.register(body.url, body.event_types)
        return RegisteredOut(**SubscriptionOut.of(subscription).model_dump(), secret=secret)

    @router.get("/subscriptions", response_model=list[SubscriptionOut])
    async def subscriptions() -> list[SubscriptionOut]:
        """Every subscription, oldest first (without secrets)."""
        return [SubscriptionOut.of(subscription) for subscription in await webhooks.list_subscriptions()]

    @router.get("/subscriptions/{subscription_id}/deliveries", response_model=list[DeliveryOut])
    async def deliveries(
        subscription_id: str,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> list[DeliveryOut]:
        """A subscription's deliveries, newest first, each with its attempts; 404 for an unknown subscription."""
        found = await webhooks.deliveries(subscription_id, limit, offset)
        return [DeliveryOut.of(delivery) for delivery in found]

    @router.post("/subscriptions/{subscription_id}/deliveries/{delivery_id}/replay", response_model=DeliveryOut)
    async def replay(subscription_id: str, delivery_id: str) -> DeliveryOut:
        """Send a delivery again now, whatever its status (same webhook-id); the delivery with the new attempt.

        404 for an unknown subscription or delivery; 409 while another attempt of it is under way.
        """
        return DeliveryOut.of(await webhooks.replay(subscription_id, delivery_id))

    return router
