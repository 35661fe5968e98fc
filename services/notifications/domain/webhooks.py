"""Outgoing webhooks for other systems (an LMS, an HR portal, a chat bot), after the Standard Webhooks spec.

A subscriber registers a URL and the event types it wants, and gets a secret (`whsec_<base64>`) once.
Each event it wants becomes one delivery, whose id derives from the event and the subscription: a
redelivered event never makes a second one, and that id is the `webhook-id` a receiver deduplicates by.
Every request carries `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the secret's decoded bytes).

A failed attempt is retried after 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h, for up to a day
after the first attempt; then the delivery is marked failed. Each attempt is logged: when, the HTTP
status or the error, and how long it took. A replay (asked for by an admin) is one more attempt,
whatever the delivery's status, under the same `webhook-id`.

Plain Python: the standard library only.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
"""Random bytes in a new secret (the spec asks for 24 to 64)."""
SIGNATURE_VERSION = "v1"
CONTENT_TYPE = "application/json"
MAX_URL_LENGTH = 2048

RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
)
"""The wait after the 1st, 2nd, ... failed attempt; after those, `LATER_RETRY_DELAY` each time."""
LATER_RETRY_DELAY = timedelta(hours=2)
GIVE_UP_AFTER = timedelta(days=1)
"""No attempt is scheduled later than this after the first one: the delivery is marked failed instead."""
MAX_ERROR_LENGTH = 300


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    """Not delivered yet; another attempt is scheduled."""
    SUCCEEDED = "succeeded"
    """The subscriber answered 2xx."""
    FAILED = "failed"
    """No 2xx for a day: no further attempt is scheduled (an admin may still replay it)."""


class InvalidWebhookUrl(ValueError):
    """A URL a webhook may not be sent to; the message names the field (`url`)."""

    field = "url"


# --- subscriptions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    event_types: frozenset[str]
    """CloudEvents types the subscriber wants (`com.owlery.enrolment.application.enrolled.v1`, ...)."""
    secret: str
    """`whsec_<base64>`: signs every request; shown to the subscriber once, at registration."""
    created_at: datetime
    active: bool = True

    @classmethod
    def new(cls, url: str, event_types: Collection[str], secret: str, created_at: datetime) -> "Subscription":
        types = frozenset(event_types)
        return cls(subscription_id(url, types), url, types, secret, created_at)

    def wants(self, event_type: str) -> bool:
        return self.active and event_type in self.event_types


def subscription_id(url: str, event_types: Collection[str]) -> str:
    """The same URL with the same set of event types is the same subscription: registering it again clashes."""
    key = json.dumps(["webhook-subscription", url, sorted(set(event_types))])
    return "sub_" + hashlib.sha256(key.encode()).hexdigest()[:24]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The bytes a `whsec_<base64>` secret stands for: the HMAC key."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError as error:
        raise ValueError("a webhook secret is whsec_ followed by base64") from error
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


# --- signing -------------------------------------------------------------------------------------------


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signed_headers(secret: str, msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """Every header a request carries: the three of the spec and the content type."""
    timestamp = int(at.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": CONTENT_TYPE,
    }


def payload(event_type: str, occurred_at: datetime, data: Mapping[str, Any]) -> str:
    """The body, in the spec's shape: `{"type", "timestamp", "data"}`; the timestamp is when the event happened."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be an aware datetime")
    body = {"type": event_type, "timestamp": _iso(occurred_at), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return _iso(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# --- retries -------------------------------------------------------------------------------------------


def retry_delay(failed_attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt (n from 1) before the next one."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts counts from 1")
    return RETRY_DELAYS[failed_attempts - 1] if failed_attempts <= len(RETRY_DELAYS) else LATER_RETRY_DELAY


def next_retry(first_attempt_at: datetime, last_attempt_at: datetime, failed_attempts: int) -> datetime | None:
    """When to try again after `failed_attempts` failures, the last at `last_attempt_at`; None: give up."""
    at = last_attempt_at + retry_delay(failed_attempts)
    return at if at <= first_attempt_at + GIVE_UP_AFTER else None


def retry_schedule(first_attempt_at: datetime) -> list[datetime]:
    """Every attempt of a delivery that never succeeds, each made on time: the first, then each retry."""
    attempts = [first_attempt_at]
    while (at := next_retry(first_attempt_at, attempts[-1], len(attempts))) is not None:
        attempts.append(at)
    return attempts


# --- deliveries ----------------------------------------------------------------------------------------


def delivery_id(event_id: str, subscription_id: str) -> str:
    """One delivery per event and subscription, however often the event is delivered to us; the `webhook-id`."""
    key = json.dumps(["webhook-delivery", event_id, subscription_id])
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Outcome:
    """What one request came to: an HTTP status, or an error that kept it from getting one."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    @classmethod
    def answered(cls, status_code: int, duration_ms: int) -> "Outcome":
        return cls(status_code, None, duration_ms)

    @classmethod
    def broken(cls, error: str, duration_ms: int, status_code: int | None = None) -> "Outcome":
        return cls(status_code, error[:MAX_ERROR_LENGTH], duration_ms)


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status_code: int | None
    """The subscriber's HTTP status; None if the request got no answer (see `error`)."""
    error: str | None
    """Why the request got no answer (refused, timed out...), or what was wrong with the answer."""
    duration_ms: int
    manual: bool = False
    """A replay asked for by an admin, not a scheduled attempt: it does not move the retry schedule."""

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    @classmethod
    def of(cls, at: datetime, outcome: Outcome, *, manual: bool = False) -> "Attempt":
        return cls(at, outcome.status_code, outcome.error, outcome.duration_ms, manual)


INTERRUPTED = "interrupted: no outcome was recorded (the sender stopped before it could)"


@dataclass(frozen=True)
class WebhookDelivery:
    id: str
    """Derived from (event id, subscription id); sent as `webhook-id`."""
    subscription_id: str
    event_id: str
    event_type: str
    body: str
    """The JSON body, kept as first sent: every attempt and replay sends the same bytes."""
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: tuple[Attempt, ...] = ()
    next_attempt_at: datetime | None = None
    """When the next scheduled attempt is due (pending deliveries only)."""

    @classmethod
    def of(
        cls,
        subscription: Subscription,
        event_id: str,
        event_type: str,
        occurred_at: datetime,
        data: Mapping[str, Any],
        created_at: datetime,
    ) -> "WebhookDelivery":
        return cls(
            id=delivery_id(event_id, subscription.id),
            subscription_id=subscription.id,
            event_id=event_id,
            event_type=event_type,
            body=payload(event_type, occurred_at, data),
            created_at=created_at,
            next_attempt_at=created_at,
        )

    @property
    def scheduled_attempts(self) -> list[Attempt]:
        return [attempt for attempt in self.attempts if not attempt.manual]

    def is_due(self, now: datetime) -> bool:
        return (
            self.status is DeliveryStatus.PENDING and self.next_attempt_at is not None and self.next_attempt_at <= now
        )

    def recorded(self, attempt: Attempt) -> "WebhookDelivery":
        """The delivery after this attempt: succeeded, scheduled again, or failed for good.

        A replay that fails leaves the status and the schedule as they were: a pending delivery keeps
        its next retry, a failed one stays failed, one that succeeded before stays succeeded.
        """
        attempts = (*self.attempts, attempt)
        if attempt.succeeded:
            return replace(self, attempts=attempts, status=DeliveryStatus.SUCCEEDED, next_attempt_at=None)
        if attempt.manual:
            return replace(self, attempts=attempts)
        scheduled = [a for a in attempts if not a.manual]
        failures = sum(1 for a in scheduled if not a.succeeded)
        at = next_retry(scheduled[0].at, attempt.at, failures)
        status = DeliveryStatus.PENDING if at is not None else DeliveryStatus.FAILED
        return replace(self, attempts=attempts, status=status, next_attempt_at=at)

    def abandoned(self, at: datetime, reason: str) -> "WebhookDelivery":
        """Give up at once (its subscription is gone): failed, with the reason as its last attempt."""
        attempts = (*self.attempts, Attempt(at, None, reason[:MAX_ERROR_LENGTH], 0))
        return replace(self, attempts=attempts, status=DeliveryStatus.FAILED, next_attempt_at=None)

    def interrupted(self, at: datetime) -> "WebhookDelivery":
        """Record that the attempt claimed at `at` never reported back (its sender died): a failure."""
        return self.recorded(Attempt(at, None, INTERRUPTED, 0))


# --- where webhooks may go -----------------------------------------------------------------------------


def check_url(url: str, allow_private: bool) -> str:
    """The URL, if a webhook may be sent there; else `InvalidWebhookUrl` naming the field `url`.

    Only http and https with a host. Unless `allow_private` (dev mode), a literal address must be a
    public one (no loopback, private, link-local, unspecified, shared, reserved or multicast address,
    in any spelling the resolver accepts, like `127.1` or `2130706433`), and `localhost` is refused.
    A name that resolves to a private address is not caught here (the sender never follows redirects).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookUrl("url: give the http or https address to send webhooks to")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"url: at most {MAX_URL_LENGTH} characters")
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise InvalidWebhookUrl("url: no spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidWebhookUrl(f"url: not a valid address ({error})") from error
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidWebhookUrl(f"url: only http and https addresses are allowed, not {parts.scheme or 'none'!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidWebhookUrl("url: the address has no host")
    if port == 0:
        raise InvalidWebhookUrl("url: port 0 is not a port to send to")
    if allow_private:
        return url
    if host == "localhost" or host.endswith(".localhost"):
        raise InvalidWebhookUrl("url: localhost is not allowed outside dev mode")
    address = _literal_address(host)
    if address is not None and not _is_public(address):
        raise InvalidWebhookUrl(f"url: {host} is not a public address; private addresses are for dev mode only")
    return url


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _literal_address(host: str) -> Address | None:
    """The address a host written as one stands for, in the resolver's spellings too; None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # inet_aton takes what resolvers take: "127.1", "0x7f.1", "2130706433" (a pure parse, no lookup).
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not _is_public(embedded):
            return False
    return address.is_global and not address.is_multicast
