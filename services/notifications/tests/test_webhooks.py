"""Outgoing webhooks, the pure part: signatures a Standard Webhooks verifier accepts, retries for a day, safe URLs."""

import base64
import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifications.domain.webhooks import (
    GIVE_UP_AFTER,
    Attempt,
    DeliveryStatus,
    InvalidWebhookUrl,
    Subscription,
    WebhookDelivery,
    check_url,
    delivery_id,
    new_secret,
    payload,
    retry_schedule,
    sign,
    signed_headers,
    subscription_id,
)
from notifications.service.webhooks import public_event_types
from shared.contracts import directory, enrolment, gamification, mentoring

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
ENROLLED = enrolment.ApplicationEnrolledV1.ce_type


def a_delivery() -> WebhookDelivery:
    subscription = Subscription.new("https://lms.example.com/hook", [ENROLLED], new_secret(), T0)
    return WebhookDelivery.of(subscription, "event-1", ENROLLED, T0, {"person_id": "ann"}, T0)


def failed(at: datetime, *, manual: bool = False) -> Attempt:
    return Attempt(at, 500, None, 12, manual)


def succeeded(at: datetime, *, manual: bool = False) -> Attempt:
    return Attempt(at, 204, None, 8, manual)


# --- signing -------------------------------------------------------------------------------------------


def test_a_signed_request_passes_the_standard_webhooks_verifier() -> None:
    secret = new_secret()
    body = payload(ENROLLED, T0, {"person_id": "ann", "course_title": "Python для аналитиков"}).encode()
    now = datetime.now(UTC)

    headers = signed_headers(secret, "msg_1", now, body)

    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["content-type"] == "application/json"
    verified = Webhook(secret).verify(body, headers)
    assert verified == {
        "type": ENROLLED,
        "timestamp": "2026-11-03T09:00:00Z",
        "data": {"person_id": "ann", "course_title": "Python для аналитиков"},
    }


def test_the_signature_matches_the_specs_published_example() -> None:
    # The example of the Standard Webhooks reference libraries.
    secret, msg_id, timestamp, body = (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )

    assert sign(secret, msg_id, timestamp, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, msg_id, timestamp, body) == Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, UTC), body
    )


def test_a_changed_body_id_or_secret_fails_verification() -> None:
    secret = new_secret()
    body = payload(ENROLLED, T0, {"person_id": "ann"}).encode()
    headers = signed_headers(secret, "msg_1", datetime.now(UTC), body)

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"ann", b"bob"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "msg_2"})
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_secrets_are_whsec_and_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()

    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert first != second


def test_the_body_is_the_specs_shape() -> None:
    occurred = datetime(2026, 11, 3, 12, 30, tzinfo=UTC) + timedelta(microseconds=5)

    body = json.loads(payload(ENROLLED, occurred, {"cohort_id": "c1", "position": 2}))

    assert body == {
        "type": ENROLLED,
        "timestamp": "2026-11-03T12:30:00.000005Z",
        "data": {"cohort_id": "c1", "position": 2},
    }


# --- once ----------------------------------------------------------------------------------------------


def test_one_delivery_per_event_and_subscription() -> None:
    assert delivery_id("event-1", "sub_a") == delivery_id("event-1", "sub_a")
    assert delivery_id("event-1", "sub_a") != delivery_id("event-1", "sub_b")
    assert delivery_id("event-1", "sub_a") != delivery_id("event-2", "sub_a")
    assert delivery_id("event-1", "sub_a").startswith("msg_")


def test_the_same_url_and_event_set_is_the_same_subscription() -> None:
    url = "https://lms.example.com/hook"
    waitlisted = enrolment.ApplicationWaitlistedV1.ce_type

    assert subscription_id(url, [ENROLLED, waitlisted]) == subscription_id(url, {waitlisted, ENROLLED})
    assert subscription_id(url, [ENROLLED]) != subscription_id(url, [ENROLLED, waitlisted])
    assert subscription_id(url, [ENROLLED]) != subscription_id(url + "2", [ENROLLED])


# --- retries -------------------------------------------------------------------------------------------


def test_retries_back_off_and_stop_a_day_after_the_first_attempt() -> None:
    attempts = retry_schedule(T0)
    waits = [later - earlier for earlier, later in pairwise(attempts)]

    assert waits[:6] == [
        timedelta(seconds=5),
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
        timedelta(hours=1),
    ]
    assert set(waits[6:]) == {timedelta(hours=2)}
    assert attempts[-1] <= T0 + GIVE_UP_AFTER
    assert attempts[-1] + timedelta(hours=2) > T0 + GIVE_UP_AFTER
    assert len(attempts) == 18


def test_a_delivery_failing_for_a_day_is_marked_failed_and_not_scheduled_again() -> None:
    delivery = a_delivery()
    for at in retry_schedule(T0):
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.next_attempt_at is not None
        assert delivery.next_attempt_at <= at
        delivery = delivery.recorded(failed(at))

    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert len(delivery.attempts) == 18
    assert not delivery.is_due(T0 + timedelta(days=30))


def test_a_late_retry_waits_from_when_it_was_made() -> None:
    delivery = a_delivery().recorded(failed(T0))
    assert delivery.next_attempt_at == T0 + timedelta(seconds=5)

    late = T0 + timedelta(minutes=3)  # the service was down a while
    delivery = delivery.recorded(failed(late))

    assert delivery.next_attempt_at == late + timedelta(seconds=30)


def test_success_ends_the_retries() -> None:
    delivery = a_delivery().recorded(failed(T0)).recorded(succeeded(T0 + timedelta(seconds=5)))

    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert delivery.next_attempt_at is None
    assert [a.status_code for a in delivery.attempts] == [500, 204]


def test_a_failed_replay_keeps_the_schedule_and_a_good_one_succeeds_even_a_failed_delivery() -> None:
    pending = a_delivery().recorded(failed(T0))
    replayed = pending.recorded(failed(T0 + timedelta(seconds=2), manual=True))

    assert replayed.status is DeliveryStatus.PENDING
    assert replayed.next_attempt_at == pending.next_attempt_at

    gave_up = a_delivery()
    for at in retry_schedule(T0):
        gave_up = gave_up.recorded(failed(at))
    assert gave_up.recorded(failed(T0 + timedelta(days=2), manual=True)).status is DeliveryStatus.FAILED
    revived = gave_up.recorded(succeeded(T0 + timedelta(days=2), manual=True))
    assert revived.status is DeliveryStatus.SUCCEEDED
    assert revived.attempts[-1].manual


def test_a_delivery_whose_subscription_is_gone_fails_at_once_saying_why() -> None:
    delivery = a_delivery().recorded(failed(T0)).abandoned(T0 + timedelta(seconds=5), "the subscription is gone")

    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.attempts[-1].error == "the subscription is gone"


def test_an_attempt_that_never_reported_back_counts_as_a_failure() -> None:
    delivery = a_delivery().interrupted(T0)

    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.next_attempt_at == T0 + timedelta(seconds=5)
    assert delivery.attempts[0].error is not None
    assert delivery.attempts[0].error.startswith("interrupted")


# --- where webhooks may go -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://lms.example.com/owlery/hook",
        "http://hr.example.org:8080/hooks?token=abc",
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
    ],
)
def test_public_http_and_https_addresses_are_accepted(url: str) -> None:
    assert check_url(url, allow_private=False) == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "lms.example.com/hook",
        "https://",
        "http:///path-only",
        "",
        "https://example.com/a hook",
        "https://example.com:99999/hook",
    ],
)
def test_anything_but_an_http_or_https_address_with_a_host_is_refused_even_in_dev_mode(url: str) -> None:
    for allow_private in (False, True):
        with pytest.raises(InvalidWebhookUrl, match=r"^url: "):
            check_url(url, allow_private=allow_private)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://127.1/hook",
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://localhost/hook",
        "http://LOCALHOST./hook",
        "http://api.localhost/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://[::1]/hook",
        "http://[::]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_loopback_private_and_link_local_addresses_are_refused_outside_dev_mode(url: str) -> None:
    with pytest.raises(InvalidWebhookUrl, match=r"^url: "):
        check_url(url, allow_private=False)

    assert check_url(url, allow_private=True) == url  # dev mode: a receiver on this machine


def test_the_refusal_is_a_value_error_naming_the_field() -> None:
    with pytest.raises(ValueError, match="url") as raised:
        check_url("http://127.0.0.1/", allow_private=False)

    assert isinstance(raised.value, InvalidWebhookUrl)
    assert raised.value.field == "url"


# --- what may be subscribed to -------------------------------------------------------------------------


def test_restricted_and_directory_events_cannot_be_subscribed_to() -> None:
    public = public_event_types()

    assert ENROLLED in public
    assert mentoring.PairFormedV1.ce_type in public
    assert gamification.PointsAwardedV1.ce_type in public
    assert gamification.RestrictedPointsAwardedV1.ce_type not in public
    assert mentoring.AuthorRevealedV1.ce_type not in public
    assert directory.PersonUpsertedV1.ce_type not in public
