"""Badges on the real MongoDB-wire server: awarded once, published through the outbox once, exported as
Open Badges 3.0 credentials that an independent JOSE library (PyJWT) verifies with the published key.

Deeds go through the service's own reliable consumer, as Kafka would deliver them; the relay is not
started, so what the service would publish is still in the outbox to be counted.
"""

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from bson import json_util

from gamification.adapters.badges import COLLECTION, MongoBadges
from gamification.adapters.signing import KEYS, IssuerKey
from gamification.bootstrap import Gamification, bootstrap
from gamification.config import GamificationSettings
from gamification.domain.badges import BADGES, award_id
from gamification.domain.engine import HELPFUL_COMMENT_CREDIT
from gamification.domain.ledger import Deed
from gamification.entrypoints.http import create_app
from gamification.service.badges import award_for_deed
from shared.auth.testing import TestIssuer
from shared.contracts import enrolment
from shared.contracts.gamification import BadgeAwardedV1, RestrictedBadgeAwardedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.consumer import PROCESSED_EVENTS
from shared.messaging.outbox import OutboxRelay
from shared.persistence.versioned import PENDING
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import deliver

pytestmark = pytest.mark.infra

ISSUER_URL = "https://owlery.example.com/gamification"


@pytest.fixture
async def service(servers: Servers) -> AsyncIterator[Gamification]:
    settings = isolated(GamificationSettings, servers, "gamification", badge_issuer_url=ISSUER_URL)
    built = bootstrap(settings)
    await built.runtime.consumer.ensure_indexes()
    await built.ledger.ensure_indexes()
    await built.deeds.ensure_indexes()
    await built.badges.ensure_indexes()
    try:
        yield built
    finally:
        await built.runtime.client.close()
        await remove(servers, settings)


def debuted(person_id: str) -> enrolment.TrainerDebutedV1:
    return enrolment.TrainerDebutedV1(person_id=person_id, course_id=unique("course"))


async def test_the_owl_badge_is_awarded_once_though_its_deed_is_handled_twice(service: Gamification) -> None:
    ann = unique("ann")
    consumer = service.runtime.consumer
    debut = OutboxEvent.of(debuted(ann), source="/owlery/enrolment", correlation_id="test")

    await deliver(consumer, debut)
    # Deeds keep no handled-event marker (every effect is keyed by the deed): a redelivery is handled in full.
    assert await service.runtime.database[PROCESSED_EVENTS].count_documents({"event_id": debut.id}) == 0
    await deliver(consumer, debut)
    # And a second debut announced under another event id (enrolment re-announcing it) earns nothing more.
    await deliver(consumer, debuted(ann), "/owlery/enrolment")

    awards = await service.runtime.database[COLLECTION].find({}).to_list()
    assert [doc["_id"] for doc in awards] == [award_id("owl", None, ann)]
    (award,) = awards
    (event,) = award["events"]
    assert event["type"] == BadgeAwardedV1.ce_type
    assert event["data"] == {
        "award_id": award["_id"],
        "person_id": ann,
        "badge_id": "owl",
        "scope_id": None,
        "name_ru": "Сова с книгой",  # noqa: RUF001 - Russian name
        "name_en": "Owl with a book",
    }
    assert award["outbox_state"] == PENDING
    assert (award["cause_event_id"], award["cause_event_type"]) == (debut.id, debut.type)


async def test_an_exported_credential_verifies_with_pyjwt_and_the_published_key(service: Gamification) -> None:
    bo, someone_else = unique("bo"), unique("cy")
    await deliver(service.runtime.consumer, debuted(bo), "/owlery/enrolment")
    await deliver(service.runtime.consumer, debuted(someone_else), "/owlery/enrolment")
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gamification") as client:
        listed = (await client.get(f"/people/{bo}/badges", headers=issuer.headers(bo))).json()
        (badge,) = listed
        assert (badge["badge_id"], badge["name_en"], badge["scope_id"]) == ("owl", "Owl with a book", None)
        exported = await client.get(badge["credential"], headers=issuer.headers(bo))
        assert exported.status_code == 200, exported.text
        token = exported.json()["credential"]
        russian = (await client.get(badge["credential"] + "?lang=ru", headers=issuer.headers(bo))).json()
        # Any verifier: the issuer profile and its keys need no sign-in.
        profile = (await client.get("/badges/issuer")).json()
        jwks = (await client.get(exported.json()["jwks_url"].removeprefix(ISSUER_URL))).json()
        # Someone else's award under one's own path is as unknown as an award that does not exist.
        theirs = award_id("owl", None, someone_else)
        assert (
            await client.get(f"/people/{bo}/badges/{theirs}/credential", headers=issuer.headers(bo))
        ).status_code == 404
        missing = await client.get(f"/people/{bo}/badges/{'0' * 32}/credential", headers=issuer.headers(bo))
        assert missing.status_code == 404

    (public_key,) = jwks["keys"]
    assert "d" not in public_key  # never the private part
    key = jwt.PyJWK(public_key)
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": public_key["kid"], "typ": "JWT"}
    claims = jwt.decode(token, key, algorithms=["EdDSA"], options={"require": ["iss", "sub", "jti", "nbf"]})

    assert claims["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert profile == {
        "@context": claims["@context"],
        "id": f"{ISSUER_URL}/badges/issuer",
        "type": ["Profile"],
        "name": "Owlery",
    }
    assert claims["issuer"] == {key: value for key, value in profile.items() if key != "@context"}
    subject = claims["credentialSubject"]
    assert subject["id"] == f"urn:owlery:person:{bo}"
    assert subject["type"] == ["AchievementSubject"]
    achievement = subject["achievement"]
    assert (achievement["id"], achievement["type"], achievement["name"]) == (
        "urn:owlery:achievement:owl",
        ["Achievement"],
        "Owl with a book",
    )
    assert achievement["criteria"]["narrative"] and achievement["description"]
    # The registered claims mirror the credential, as OB 3.0's JWT proof requires of a verifier.
    assert (claims["iss"], claims["sub"], claims["jti"]) == (claims["issuer"]["id"], subject["id"], claims["id"])
    valid_from = datetime.fromisoformat(claims["validFrom"].replace("Z", "+00:00"))
    assert claims["nbf"] == int(valid_from.timestamp())
    assert abs(valid_from - datetime.now(UTC)) < timedelta(minutes=5)

    russian_claims = jwt.decode(russian["credential"], key, algorithms=["EdDSA"])
    assert russian_claims["credentialSubject"]["achievement"]["name"] == "Сова с книгой"  # noqa: RUF001
    assert russian_claims["id"] == claims["id"]  # one credential, whichever language it is shown in

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(_one_byte_changed(token), key, algorithms=["EdDSA"])


def _one_byte_changed(token: str) -> str:
    """The same JWS with one byte of its payload changed (the person's id gets another letter)."""
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    at = raw.index(b"urn:owlery:person:") + len("urn:owlery:person:")
    raw[at] = ord("z") if raw[at] != ord("z") else ord("y")
    changed = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert json.loads(base64.urlsafe_b64decode(changed + "=" * (-len(changed) % 4)))  # still a readable credential
    return f"{header}.{changed}.{signature}"


async def test_replicas_starting_together_sign_with_one_key(service: Gamification) -> None:
    database = service.runtime.database
    url = f"{ISSUER_URL}/badges/issuer/jwks"
    replicas = [IssuerKey(database, url) for _ in range(4)]

    key_sets = await asyncio.gather(*(replica.jwks() for replica in replicas))
    later = await IssuerKey(database, url).jwks()

    assert all(keys == later for keys in key_sets)
    assert await database[KEYS].count_documents({}) == 1
    token = await replicas[1].sign({"iss": "x", "sub": "y"})
    assert jwt.decode(token, jwt.PyJWK(later["keys"][0]), algorithms=["EdDSA"]) == {"iss": "x", "sub": "y"}


async def test_ten_helpful_comments_credited_at_once_earn_one_restricted_badge_with_the_day_only(
    service: Gamification,
) -> None:
    dee = unique("dee")
    marked_at = datetime(2026, 4, 7, 15, 42, 9, tzinfo=UTC)

    def credit(comment: str, marked_by: str) -> Deed:
        data = {"circle_id": "c", "task_id": "t", "comment_id": comment, "author_id": dee, "marked_by": marked_by}
        return Deed(unique("event"), HELPFUL_COMMENT_CREDIT, data, marked_at, restricted=True)

    credits = [credit(f"comment-{n}", "eve") for n in range(10)] + [credit("comment-1", "fox")]
    # Two replicas' stores, handling the credits from several partitions at once.
    replicas = [service.badges, MongoBadges(service.runtime.database)]
    handled = await asyncio.gather(
        *(award_for_deed(deed, replicas[n % 2], replicas[n % 2], service.people) for n, deed in enumerate(credits))
    )

    assert sum(len(awards) for awards in handled) == 1
    (award,) = await service.runtime.database[COLLECTION].find({}).to_list()
    midnight = datetime(2026, 4, 7, tzinfo=UTC)
    assert award["_id"] == award_id("helpful-10", None, dee)
    assert (award["earned_on"], award["earned_at"], award["cause_event_id"]) == ("2026-04-07", None, None)
    assert award["committed_at"] == midnight
    (event,) = award["events"]
    assert (event["type"], event["topic"], event["time"]) == (
        RestrictedBadgeAwardedV1.ce_type,
        RestrictedBadgeAwardedV1.topic,
        midnight,
    )
    # Nothing kept with the badge points at a comment or at the time of a mark.
    stored = json_util.dumps(award)
    assert "comment-" not in stored and "15:42" not in stored and "T15" not in stored
    # Published, it still keeps no time but its day: the relay marks the state alone.
    sent: list[OutboxEvent] = []

    class Collecting:
        async def publish(self, events: list[OutboxEvent]) -> None:
            sent.extend(events)

    assert await OutboxRelay(service.runtime.database, [COLLECTION], Collecting()).drain() == 1
    assert [event.type for event in sent] == [RestrictedBadgeAwardedV1.ce_type]
    published = await service.runtime.database[COLLECTION].find_one({"_id": award["_id"]})
    assert published is not None and published["outbox_state"] == "published"
    times = [value for value in published.values() if isinstance(value, datetime)]
    assert times and all(value.replace(tzinfo=UTC) == midnight for value in times)
    progress, _ = await service.badges.load(BADGES["helpful-10"], dee)
    assert sorted(progress.counted) == sorted(f"comment-{n}" for n in range(10))


async def test_erasure_moves_a_badge_to_the_stand_in_and_leaves_no_trace_of_the_person(
    service: Gamification,
) -> None:
    gil = unique("gil")
    await deliver(service.runtime.consumer, debuted(gil), "/owlery/enrolment")
    helpful = Deed(
        unique("event"),
        HELPFUL_COMMENT_CREDIT,
        {"circle_id": "c", "task_id": "t", "comment_id": "c1", "author_id": gil, "marked_by": "eve"},
        datetime.now(UTC),
        restricted=True,
    )
    await award_for_deed(helpful, service.badges, service.badges, service.people)

    assert await service.badges.reattribute(gil, "former-employee-0000000000aa") == 1

    database = service.runtime.database
    left: dict[str, Any] = {
        name: await database[name].find({}).to_list()
        for name in (COLLECTION, "badge_progress", "badge_progress_commits")
    }
    assert gil not in json_util.dumps(left)
    (moved,) = left[COLLECTION]
    assert moved["_id"] == award_id("owl", None, "former-employee-0000000000aa")
    assert moved["events"][0]["data"]["award_id"] == moved["_id"]
    assert moved["events"][0]["data"]["person_id"] == "former-employee-0000000000aa"
    assert moved["outbox_state"] == PENDING  # still to be published, for the stand-in
    assert left["badge_progress"] == left["badge_progress_commits"] == []
