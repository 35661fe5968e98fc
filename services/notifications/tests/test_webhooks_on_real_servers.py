"""Outgoing webhooks on the real MongoDB-wire server, delivered over HTTP to a real local receiver.

The receiver (a Starlette app served by uvicorn on a free port, in the test's event loop) checks every
request's signature with the independent `standardwebhooks` package and records it; it answers what
each test tells it to (500 for a while, say). Time is the test's clock, so a day of retries takes a moment.
"""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from notifications.adapters.webhooks import (
    CLAIMS,
    QUEUE,
    HttpWebhookSender,
    MongoWebhookDeliveries,
    MongoWebhookSubscriptions,
)
from notifications.domain.webhooks import DeliveryStatus, Subscription, WebhookDelivery, delivery_id
from notifications.entrypoints.webhooks_http import WEBHOOK_POLICY, webhook_router
from notifications.service.webhooks import CLAIM_TIMEOUT, Webhooks
from shared.auth.http import Gatekeeper
from shared.auth.policy import Guardrails
from shared.auth.testing import TEST_ISSUER, TestIssuer
from shared.auth.tokens import KeySet, TokenRules, TokenVerifier, static_key_fetcher
from shared.contracts import directory, enrolment, gamification, mentoring
from shared.errors import Conflict, Invalid, NotFound
from shared.http import prepare_app
from shared.persistence.mongo import Document, connect
from tests.support.infra import Servers, unique

pytestmark = pytest.mark.infra

ENROLLED = enrolment.ApplicationEnrolledV1.ce_type
WAITLISTED = enrolment.ApplicationWaitlistedV1.ce_type


# --- the receiver --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    endpoint: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    """The signature is the one `standardwebhooks` computes for this id, timestamp and body with the secret."""
    refused_by_verifier: str | None
    """None if `Webhook.verify` accepted the request as is (it also wants the timestamp within 5 min of now)."""
    answered: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def timestamp(self) -> int:
        return int(self.headers["webhook-timestamp"])


@dataclass
class Receiver:
    """A subscriber's endpoint per name: knows each endpoint's secret, answers as told, records every request."""

    port: int = 0
    secrets: dict[str, str] = field(default_factory=dict)
    answers: dict[str, list[int]] = field(default_factory=dict)
    """Statuses to answer an endpoint's next requests with, in order; 200 once they run out."""
    always: dict[str, int] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def url(self, endpoint: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{endpoint}"

    def of(self, endpoint: str) -> list[Received]:
        return [request for request in self.received if request.endpoint == endpoint]

    async def handle(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        body = await request.body()
        headers = dict(request.headers)
        secret = self.secrets[endpoint]
        verifier = Webhook(secret)
        stamped = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
        expected = verifier.sign(headers["webhook-id"], stamped, body)
        try:
            verifier.verify(body, headers)
            refused = None
        except WebhookVerificationError as error:
            refused = str(error)
        queued = self.answers.get(endpoint, [])
        status = queued.pop(0) if queued else self.always.get(endpoint, 200)
        signature_ok = expected in headers["webhook-signature"].split(" ")
        self.received.append(Received(endpoint, headers, body, signature_ok, refused, status))
        return Response("ok" if status < 300 else "not now", status_code=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = Starlette(routes=[Route("/hooks/{endpoint}", found.handle, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    found.port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "the receiver did not start"
    try:
        yield found
    finally:
        server.should_exit = True
        await serving
        sock.close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --- the service ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def to(self, moment: datetime) -> None:
        self.now = max(self.now, moment)


@pytest.fixture
async def database(servers: Servers, unique_name: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = connect(servers.mongodb_url)
    try:
        yield client[unique_name]
        await client.drop_database(unique_name)
    finally:
        await client.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def replica(database: AsyncDatabase[Document], clock: Clock, *, allow_private_urls: bool = True) -> Webhooks:
    """One service replica's webhooks on the shared database (several may run side by side)."""
    deliveries = MongoWebhookDeliveries(database)
    await deliveries.ensure_indexes()
    return Webhooks(
        MongoWebhookSubscriptions(database),
        deliveries,
        HttpWebhookSender(),
        clock,
        allow_private_urls=allow_private_urls,
    )


@pytest.fixture
async def webhooks(database: AsyncDatabase[Document], clock: Clock) -> AsyncIterator[Webhooks]:
    service = await replica(database, clock)
    yield service
    await close(service)


async def close(service: Webhooks) -> None:
    assert isinstance(service.sender, HttpWebhookSender)
    await service.sender.aclose()


async def subscribe(webhooks: Webhooks, receiver: Receiver, *event_types: str) -> tuple[Subscription, str]:
    """A fresh endpoint on the receiver, registered for these event types; the subscription and the endpoint."""
    endpoint = unique("hook")
    subscription, secret = await webhooks.register(receiver.url(endpoint), event_types)
    receiver.secrets[endpoint] = secret
    return subscription, endpoint


def enrolled_data(person_id: str = "ann") -> dict[str, Any]:
    event = enrolment.ApplicationEnrolledV1(
        application_id=unique("application"),
        course_id="course-1",
        course_title="Python для аналитиков",
        cohort_id="cohort-1",
        person_id=person_id,
        locale="ru",
    )
    return event.model_dump(mode="json")


async def forward_enrolled(webhooks: Webhooks, event_id: str | None = None) -> tuple[str, dict[str, Any], int]:
    event_id = event_id or str(uuid.uuid4())
    data = enrolled_data()
    made = await webhooks.forward(ENROLLED, event_id, datetime(2026, 11, 3, 9, 0, tzinfo=UTC), data)
    return event_id, data, made


async def only_delivery(webhooks: Webhooks, subscription: Subscription) -> WebhookDelivery:
    found = await webhooks.deliveries(subscription.id, 10, 0)
    assert len(found) == 1
    return found[0]


async def retry_until_settled(webhooks: Webhooks, subscription: Subscription, clock: Clock) -> WebhookDelivery:
    """Move the clock to each next retry and run the job, until the delivery is no longer pending."""
    delivery = await only_delivery(webhooks, subscription)
    for _ in range(100):
        if delivery.status is not DeliveryStatus.PENDING:
            return delivery
        assert delivery.next_attempt_at is not None
        clock.to(delivery.next_attempt_at)
        assert await webhooks.retry_due() == 1
        delivery = await only_delivery(webhooks, subscription)
    raise AssertionError("still pending after 100 retries")


# --- the tests -----------------------------------------------------------------------------------------


async def test_a_subscriber_gets_signed_deliveries_of_the_types_it_asked_for_only(
    webhooks: Webhooks, receiver: Receiver
) -> None:
    lms, lms_hook = await subscribe(webhooks, receiver, ENROLLED)
    hr, hr_hook = await subscribe(webhooks, receiver, WAITLISTED, ENROLLED)
    bot, bot_hook = await subscribe(webhooks, receiver, mentoring.PairFormedV1.ce_type)

    event_id, data, made = await forward_enrolled(webhooks)
    waitlisted = {"person_id": "bob", "position": 2}
    assert made == 2
    assert await webhooks.forward(WAITLISTED, "event-w", datetime.now(UTC), waitlisted) == 1
    # Nobody asked for points; nobody may ask for the directory's events or restricted ones.
    assert await webhooks.forward(gamification.PointsAwardedV1.ce_type, "event-p", datetime.now(UTC), {}) == 0
    upserted = directory.PersonUpsertedV1.ce_type
    assert await webhooks.forward(upserted, "event-d", datetime.now(UTC), {"person_id": "ann"}) == 0

    to_lms = receiver.of(lms_hook)
    assert len(to_lms) == 1
    request = to_lms[0]
    assert request.signature_ok
    assert request.refused_by_verifier is None  # the verifier's whole check, the timestamp's freshness included
    assert request.webhook_id == delivery_id(event_id, lms.id)
    assert request.headers["content-type"] == "application/json"
    assert Webhook(receiver.secrets[lms_hook]).verify(request.body, request.headers) == {
        "type": ENROLLED,
        "timestamp": "2026-11-03T09:00:00Z",
        "data": data,
    }
    assert [r.headers["webhook-id"] for r in receiver.of(hr_hook)] == [
        delivery_id(event_id, hr.id),
        delivery_id("event-w", hr.id),
    ]
    assert all(r.signature_ok and r.refused_by_verifier is None for r in receiver.of(hr_hook))
    assert receiver.of(bot_hook) == []
    # Each subscriber's secret is its own: the LMS's request does not verify with the HR portal's secret.
    with pytest.raises(WebhookVerificationError):
        Webhook(receiver.secrets[hr_hook]).verify(request.body, request.headers)

    delivery = await only_delivery(webhooks, lms)
    assert (delivery.id, delivery.event_id, delivery.event_type) == (request.webhook_id, event_id, ENROLLED)
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert [(a.status_code, a.error, a.manual) for a in delivery.attempts] == [(200, None, False)]
    assert delivery.attempts[0].duration_ms >= 0
    assert await webhooks.deliveries(bot.id, 10, 0) == []


async def test_a_redelivered_event_makes_no_second_delivery(webhooks: Webhooks, receiver: Receiver) -> None:
    lms, lms_hook = await subscribe(webhooks, receiver, ENROLLED)
    event_id, _, made = await forward_enrolled(webhooks)

    again = [await forward_enrolled(webhooks, event_id) for _ in range(2)]

    assert made == 1
    assert [made for _, _, made in again] == [0, 0]
    assert len(receiver.of(lms_hook)) == 1
    assert len(await webhooks.deliveries(lms.id, 10, 0)) == 1


async def test_two_replicas_forwarding_the_same_event_make_one_delivery_and_one_request(
    database: AsyncDatabase[Document], clock: Clock, receiver: Receiver
) -> None:
    first, second = await replica(database, clock), await replica(database, clock)
    try:
        lms, lms_hook = await subscribe(first, receiver, ENROLLED)
        event_id, data = str(uuid.uuid4()), enrolled_data()
        occurred = datetime.now(UTC)

        made = await asyncio.gather(*(r.forward(ENROLLED, event_id, occurred, data) for r in (first, second) * 3))

        assert sum(made) == 1
        assert len(receiver.of(lms_hook)) == 1
        assert len((await only_delivery(first, lms)).attempts) == 1
    finally:
        await close(first)
        await close(second)


async def test_a_failing_subscriber_is_retried_with_backoff_until_it_succeeds(
    webhooks: Webhooks, receiver: Receiver, clock: Clock
) -> None:
    lms, lms_hook = await subscribe(webhooks, receiver, ENROLLED)
    receiver.answers[lms_hook] = [500, 503, 500]
    started = clock()

    await forward_enrolled(webhooks)

    pending = await only_delivery(webhooks, lms)
    assert pending.status is DeliveryStatus.PENDING
    assert pending.next_attempt_at == started + timedelta(seconds=5)
    assert await webhooks.retry_due() == 0  # not due yet
    clock.advance(timedelta(seconds=4))
    assert await webhooks.retry_due() == 0

    clock.advance(timedelta(seconds=1))
    assert await webhooks.retry_due() == 1
    assert (await only_delivery(webhooks, lms)).next_attempt_at == clock() + timedelta(seconds=30)
    clock.advance(timedelta(seconds=30))
    assert await webhooks.retry_due() == 1
    clock.advance(timedelta(minutes=2))
    assert await webhooks.retry_due() == 1

    delivered = await only_delivery(webhooks, lms)
    assert delivered.status is DeliveryStatus.SUCCEEDED
    assert delivered.next_attempt_at is None
    assert [a.status_code for a in delivered.attempts] == [500, 503, 500, 200]
    assert [a.at - started for a in delivered.attempts] == [
        timedelta(0),
        timedelta(seconds=5),
        timedelta(seconds=35),
        timedelta(minutes=2, seconds=35),
    ]
    requests = receiver.of(lms_hook)
    assert [r.answered for r in requests] == [500, 503, 500, 200]
    assert {r.webhook_id for r in requests} == {delivered.id}  # one webhook-id: the receiver can deduplicate
    assert len({r.body for r in requests}) == 1
    assert all(r.signature_ok for r in requests)
    assert [r.timestamp for r in requests] == [int(a.at.timestamp()) for a in delivered.attempts]

    clock.advance(timedelta(days=2))
    assert await webhooks.retry_due() == 0
    assert len(receiver.of(lms_hook)) == 4


async def test_after_a_day_of_failures_the_delivery_is_marked_failed_and_no_longer_retried(
    webhooks: Webhooks, receiver: Receiver, clock: Clock, database: AsyncDatabase[Document]
) -> None:
    lms, lms_hook = await subscribe(webhooks, receiver, ENROLLED)
    receiver.always[lms_hook] = 500
    started = clock()
    await forward_enrolled(webhooks)

    failed = await retry_until_settled(webhooks, lms, clock)

    assert failed.status is DeliveryStatus.FAILED
    assert failed.next_attempt_at is None
    assert len(failed.attempts) == 18
    assert {a.status_code for a in failed.attempts} == {500}
    assert failed.attempts[-1].at - started <= timedelta(days=1)
    assert len(receiver.of(lms_hook)) == 18
    assert all(r.signature_ok for r in receiver.of(lms_hook))

    clock.advance(timedelta(days=3))
    assert await webhooks.retry_due() == 0
    assert len(receiver.of(lms_hook)) == 18
    # Nothing is left for the retry job to look at, nor any claim behind.
    assert await database[QUEUE].count_documents({}) == 0
    assert await database[CLAIMS].count_documents({}) == 0


async def test_an_unreachable_subscriber_has_the_error_logged_on_each_attempt(webhooks: Webhooks, clock: Clock) -> None:
    subscription, _ = await webhooks.register(f"http://127.0.0.1:{closed_port()}/hook", [ENROLLED])

    await forward_enrolled(webhooks)
    clock.advance(timedelta(seconds=5))
    assert await webhooks.retry_due() == 1

    delivery = await only_delivery(webhooks, subscription)
    assert delivery.status is DeliveryStatus.PENDING
    assert [a.status_code for a in delivery.attempts] == [None, None]
    assert all(a.error and a.error.startswith("ConnectError") for a in delivery.attempts)


async def test_two_replicas_running_the_retry_job_make_each_attempt_once(
    database: AsyncDatabase[Document], clock: Clock, receiver: Receiver
) -> None:
    first, second = await replica(database, clock), await replica(database, clock)
    try:
        hooks = [await subscribe(first, receiver, ENROLLED) for _ in range(5)]
        for _, endpoint in hooks:
            receiver.answers[endpoint] = [500]
        await forward_enrolled(first)
        clock.advance(timedelta(seconds=5))

        made = await asyncio.gather(first.retry_due(), second.retry_due(), first.retry_due(), second.retry_due())

        assert sum(made) == 5
        for subscription, endpoint in hooks:
            assert [r.answered for r in receiver.of(endpoint)] == [500, 200]
            assert [a.status_code for a in (await only_delivery(first, subscription)).attempts] == [500, 200]
    finally:
        await close(first)
        await close(second)


async def test_an_attempt_whose_sender_died_is_logged_as_interrupted_and_made_again(
    webhooks: Webhooks, receiver: Receiver, clock: Clock, database: AsyncDatabase[Document]
) -> None:
    lms, lms_hook = await subscribe(webhooks, receiver, ENROLLED)
    receiver.answers[lms_hook] = [500]
    await forward_enrolled(webhooks)
    delivery = await only_delivery(webhooks, lms)
    # A replica claims the second attempt and dies before sending it.
    clock.advance(timedelta(seconds=5))
    assert await MongoWebhookDeliveries(database).claim(delivery.id, 2, clock())

    assert await webhooks.retry_due() == 0  # the claim is fresh: its sender may still be at work
    clock.advance(CLAIM_TIMEOUT)
    assert await webhooks.retry_due() == 1

    recovered = await only_delivery(webhooks, lms)
    assert recovered.status is DeliveryStatus.SUCCEEDED
    assert [(a.status_code, (a.error or "")[:11]) for a in recovered.attempts] == [
        (500, ""),
        (None, "interrupted"),
        (200, ""),
    ]
    assert [r.answered for r in receiver.of(lms_hook)] == [500, 200]


async def test_replay_sends_a_delivery_again_whatever_its_status(
    webhooks: Webhooks, receiver: Receiver, clock: Clock
) -> None:
    lms, lms_hook = await subscribe(webhooks, receiver, ENROLLED)
    await forward_enrolled(webhooks)
    delivered = await only_delivery(webhooks, lms)

    clock.advance(timedelta(minutes=1))
    replayed = await webhooks.replay(lms.id, delivered.id)

    assert replayed.status is DeliveryStatus.SUCCEEDED
    assert [(a.status_code, a.manual) for a in replayed.attempts] == [(200, False), (200, True)]
    requests = receiver.of(lms_hook)
    assert [r.webhook_id for r in requests] == [delivered.id, delivered.id]
    assert requests[0].body == requests[1].body
    assert requests[1].timestamp == int(clock().timestamp())
    assert requests[1].signature_ok
    assert await only_delivery(webhooks, lms) == replayed

    # A delivery that failed for a day goes out again once the subscriber is back.
    hr, hr_hook = await subscribe(webhooks, receiver, ENROLLED)
    receiver.always[hr_hook] = 500
    await forward_enrolled(webhooks)
    failed = await retry_until_settled(webhooks, hr, clock)
    assert failed.status is DeliveryStatus.FAILED
    receiver.always[hr_hook] = 204

    revived = await webhooks.replay(hr.id, failed.id)

    assert revived.status is DeliveryStatus.SUCCEEDED
    assert (revived.attempts[-1].status_code, revived.attempts[-1].manual) == (204, True)
    assert receiver.of(hr_hook)[-1].webhook_id == failed.id

    with pytest.raises(NotFound):
        await webhooks.replay(lms.id, "msg_nothing")
    with pytest.raises(NotFound):
        await webhooks.replay(hr.id, delivered.id)  # not this subscription's delivery
    with pytest.raises(NotFound):
        await webhooks.replay("sub_nobody", delivered.id)


async def test_deliveries_are_listed_newest_first_with_paging(
    webhooks: Webhooks, receiver: Receiver, clock: Clock
) -> None:
    lms, _ = await subscribe(webhooks, receiver, ENROLLED)
    events = []
    for _ in range(3):
        event_id, _, _ = await forward_enrolled(webhooks)
        events.append(event_id)
        clock.advance(timedelta(seconds=1))

    page = await webhooks.deliveries(lms.id, 2, 0)
    rest = await webhooks.deliveries(lms.id, 2, 2)

    assert [d.event_id for d in page + rest] == events[::-1]
    assert all(len(d.attempts) == 1 for d in page + rest)
    with pytest.raises(NotFound):
        await webhooks.deliveries("sub_nobody", 10, 0)


async def test_registering_the_same_url_and_event_types_twice_conflicts(
    webhooks: Webhooks, receiver: Receiver, clock: Clock
) -> None:
    url = receiver.url(unique("hook"))
    subscription, secret = await webhooks.register(url, [ENROLLED, WAITLISTED])
    clock.advance(timedelta(seconds=1))

    with pytest.raises(Conflict) as clash:
        await webhooks.register(url, [WAITLISTED, ENROLLED, ENROLLED])
    other, other_secret = await webhooks.register(url, [ENROLLED])  # another set of types: another subscription

    assert clash.value.details["subscription_id"] == subscription.id
    assert other.id != subscription.id
    assert secret.startswith("whsec_")
    assert other_secret != secret
    assert [s.id for s in await webhooks.list_subscriptions()] == [subscription.id, other.id]
    for event_types in ([], ["com.owlery.nothing.thing.done.v1"], [mentoring.AuthorRevealedV1.ce_type]):
        with pytest.raises(Invalid) as refused:
            await webhooks.register(url + "/x", event_types)
        assert refused.value.details["field"] == "event_types"


# --- over HTTP -----------------------------------------------------------------------------------------


def webhook_app(service: Webhooks, issuer: TestIssuer) -> FastAPI:
    """A bare app with the webhook routes behind the real gate and error answers (no runtime)."""
    verifier = TokenVerifier(
        TokenRules(issuer=TEST_ISSUER, audience="owlery"), KeySet(static_key_fetcher(issuer.signer.jwks()))
    )
    app = prepare_app(FastAPI(), Gatekeeper(Guardrails(WEBHOOK_POLICY), verifier))
    app.include_router(webhook_router(service))
    return app


async def test_the_http_api_registers_lists_and_refuses_bad_input(
    database: AsyncDatabase[Document], clock: Clock
) -> None:
    service = await replica(database, clock, allow_private_urls=False)
    issuer = TestIssuer()
    admin = issuer.headers("an-admin", "admin")
    app = webhook_app(service, issuer)
    body = {"url": "https://lms.example.com/owlery/hooks", "event_types": [ENROLLED, WAITLISTED]}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications") as client:
            created = await client.post("/webhooks/subscriptions", json=body, headers=admin)
            assert created.status_code == 201, created.text
            registered = created.json()
            assert registered["url"] == body["url"]
            assert registered["event_types"] == sorted(body["event_types"])
            assert registered["secret"].startswith("whsec_")
            assert registered["id"].startswith("sub_")

            again = await client.post(
                "/webhooks/subscriptions", json={**body, "event_types": [WAITLISTED, ENROLLED]}, headers=admin
            )
            assert again.status_code == 409, again.text
            assert again.json()["subscription_id"] == registered["id"]

            for url in ("ftp://lms.example.com/hooks", "http://127.0.0.1:8080/hooks", "http://localhost/x"):
                refused = await client.post("/webhooks/subscriptions", json={**body, "url": url}, headers=admin)
                assert refused.status_code == 422, refused.text
                assert refused.json()["field"] == "url"
                assert "url" in refused.json()["detail"]
            unknown = await client.post(
                "/webhooks/subscriptions", json={**body, "event_types": ["com.owlery.x.y.z.v1"]}, headers=admin
            )
            assert unknown.status_code == 422
            assert unknown.json()["field"] == "event_types"
            missing = await client.post("/webhooks/subscriptions", json={"url": body["url"]}, headers=admin)
            assert missing.status_code == 422
            assert missing.json()["detail"][0]["loc"] == ["body", "event_types"]

            listed = await client.get("/webhooks/subscriptions", headers=admin)
            assert listed.status_code == 200
            assert [(s["id"], s["url"]) for s in listed.json()] == [(registered["id"], body["url"])]
            assert "secret" not in listed.json()[0]  # shown once, at registration
            deliveries = await client.get(f"/webhooks/subscriptions/{registered['id']}/deliveries", headers=admin)
            assert (deliveries.status_code, deliveries.json()) == (200, [])
            nobody = await client.get("/webhooks/subscriptions/sub_nobody/deliveries", headers=admin)
            assert nobody.status_code == 404
            bad_page = await client.get(f"/webhooks/subscriptions/{registered['id']}/deliveries?limit=0", headers=admin)
            assert bad_page.status_code == 422

            # Admins only: an employee, or nobody, gets nothing.
            employee = issuer.headers("someone", "employee")
            assert (await client.get("/webhooks/subscriptions", headers=employee)).status_code == 403
            assert (await client.post("/webhooks/subscriptions", json=body, headers=employee)).status_code == 403
            assert (await client.get("/webhooks/subscriptions")).status_code == 401
    finally:
        await close(service)


async def test_over_http_an_admin_sees_the_attempts_and_replays_a_delivery(
    database: AsyncDatabase[Document], clock: Clock, receiver: Receiver
) -> None:
    service = await replica(database, clock, allow_private_urls=True)  # dev mode: the receiver is on this machine
    issuer = TestIssuer()
    admin = issuer.headers("an-admin", "admin")
    app = webhook_app(service, issuer)
    endpoint = unique("hook")
    receiver.answers[endpoint] = [500]
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications") as client:
            created = await client.post(
                "/webhooks/subscriptions",
                json={"url": receiver.url(endpoint), "event_types": [ENROLLED]},
                headers=admin,
            )
            assert created.status_code == 201, created.text
            subscription_id = created.json()["id"]
            receiver.secrets[endpoint] = created.json()["secret"]
            event_id, _, _ = await forward_enrolled(service)

            listed = await client.get(f"/webhooks/subscriptions/{subscription_id}/deliveries", headers=admin)
            assert listed.status_code == 200
            [delivery] = listed.json()
            assert (delivery["event_id"], delivery["event_type"], delivery["status"]) == (event_id, ENROLLED, "pending")
            assert [(a["status_code"], a["manual"]) for a in delivery["attempts"]] == [(500, False)]
            assert delivery["next_attempt_at"] is not None

            replayed = await client.post(
                f"/webhooks/subscriptions/{subscription_id}/deliveries/{delivery['id']}/replay", headers=admin
            )
            assert replayed.status_code == 200, replayed.text
            assert replayed.json()["status"] == "succeeded"
            assert [(a["status_code"], a["manual"]) for a in replayed.json()["attempts"]] == [(500, False), (200, True)]
            assert [r.webhook_id for r in receiver.of(endpoint)] == [delivery["id"], delivery["id"]]
            assert all(r.signature_ok and r.refused_by_verifier is None for r in receiver.of(endpoint))
            missing = await client.post(
                f"/webhooks/subscriptions/{subscription_id}/deliveries/msg_nothing/replay", headers=admin
            )
            assert missing.status_code == 404
    finally:
        await close(service)
