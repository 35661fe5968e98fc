"""Who may call which notifications endpoint, checked route by route against the real servers.

Nothing over HTTP creates data here: a fresh person has an empty inbox, which is theirs to read.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from notifications.bootstrap import bootstrap
from notifications.config import NotificationsSettings
from notifications.domain.model import InboxMessage, Notice, Template
from notifications.entrypoints.http import create_app
from shared.auth.testing import Call, Example, TestIssuer, about, authorization_matrix
from shared.contracts.enrolment import ApplicationEnrolledV1
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated


@pytest.mark.infra
async def test_authorisation_matrix(servers: Servers) -> None:
    settings = isolated(NotificationsSettings, servers, "notifications")
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)

    async def with_a_message(owner: str) -> Call:
        notice = Notice(owner, Template.ENROLLED, {"course_title": "Go"})
        message = InboxMessage.caused_by(f"ev-{uuid.uuid4().hex}", notice, datetime.now(UTC))
        await service.inbox.add(message)
        return Call("POST", f"/people/{owner}/inbox/{message.id}/read")

    def a_subscription() -> dict[str, Any]:
        return {"url": f"http://127.0.0.1:9/{uuid.uuid4().hex}", "event_types": [ENROLLED]}

    async def subscription_deliveries(owner: str) -> Call:
        subscription, _ = await service.webhooks.register(**a_subscription())
        return Call("GET", f"/webhooks/subscriptions/{subscription.id}/deliveries")

    async def a_replay(owner: str) -> Call:
        subscription, _ = await service.webhooks.register(**a_subscription())
        await service.webhooks.forward(ENROLLED, f"ev-{uuid.uuid4().hex}", datetime.now(UTC), {"person_id": owner})
        await service.webhooks.settled()  # its first attempt runs in the background
        (delivery,) = await service.webhooks.deliveries(subscription.id, 10, 0)
        return Call("POST", f"/webhooks/subscriptions/{subscription.id}/deliveries/{delivery.id}/replay")

    preferences = {"time_zone": "Europe/Moscow", "quiet_hours": {"start": "22:00", "end": "07:00"}}
    examples: dict[str, Example] = {
        "GET /people/{person_id}/inbox": about("GET", "/people/{person}/inbox"),
        "POST /people/{person_id}/inbox/{message_id}/read": with_a_message,
        "POST /people/{person_id}/inbox/read": about("POST", "/people/{person}/inbox/read"),
        "GET /people/{person_id}/notification-preferences": about("GET", "/people/{person}/notification-preferences"),
        "PUT /people/{person_id}/notification-preferences": about(
            "PUT", "/people/{person}/notification-preferences", preferences
        ),
        "GET /people/{person_id}/notifications": about("GET", "/people/{person}/notifications"),
        "POST /webhooks/subscriptions": lambda owner: _call("POST", "/webhooks/subscriptions", a_subscription()),
        "GET /webhooks/subscriptions": about("GET", "/webhooks/subscriptions"),
        "GET /webhooks/subscriptions/{subscription_id}/deliveries": subscription_deliveries,
        "POST /webhooks/subscriptions/{subscription_id}/deliveries/{delivery_id}/replay": a_replay,
        "GET /lrs/deliveries": about("GET", "/lrs/deliveries"),
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []


ENROLLED = ApplicationEnrolledV1.ce_type


async def _call(method: str, path: str, json: dict[str, Any]) -> Call:
    return Call(method, path, json)
