"""The HTTP API end to end, against the real MongoDB-wire server and Kafka."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from mentoring.bootstrap import Mentoring, bootstrap
from mentoring.config import MentoringSettings
from mentoring.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from shared.contracts import mentoring as contracts
from shared.persistence.mongo import connect
from shared.persistence.versioned import PUBLISHED
from tests.support.infra import Servers


@pytest.fixture
def settings(servers: Servers) -> MentoringSettings:
    """The session's servers, isolated for this test by a fresh database, topic prefix and consumer group."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    return MentoringSettings(
        mongodb_url=servers.mongodb_url,
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_database=f"owlery_mentoring_{name}",
        topic_prefix=f"{name}.",
        consumer_group=f"mentoring_{name}",
    )


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def service(settings: MentoringSettings, issuer: TestIssuer) -> Mentoring:
    built = bootstrap(settings)
    issuer.trust(built.runtime)  # before the app is created: its gate verifies tokens from this issuer
    return built


@pytest.fixture
def curator(issuer: TestIssuer) -> dict[str, str]:
    return issuer.headers("carol-curator", "curator")


@pytest_asyncio.fixture
async def api(service: Mentoring, settings: MentoringSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(service)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
        ):
            yield client
    finally:
        # Only once the service stopped: its outbox relay may still be marking commits published until then.
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()


async def wait_until_published(service: Mentoring, expected_events: int, timeout: float = 20.0) -> list[str]:
    """The event types of every commit, once the outbox relay has published them all to Kafka."""
    commits = service.runtime.database["programmes_commits"]
    deadline = time.monotonic() + timeout
    while True:
        documents = await commits.find({}).sort("version", 1).to_list()
        types = [event["type"] for document in documents for event in document["events"]]
        if len(types) == expected_events and all(d["outbox_state"] == PUBLISHED for d in documents):
            return types
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox not published in {timeout}s: {documents}")
        await asyncio.sleep(0.1)


@pytest.mark.infra
@pytest.mark.asyncio
async def test_programme_registration_over_http(
    api: httpx.AsyncClient, service: Mentoring, issuer: TestIssuer, curator: dict[str, str]
) -> None:
    assert (await api.get("/health/ready")).status_code == 200  # the probe needs no token

    new = {"title": "Reverse mentoring", "kind": "reverse"}
    anonymous = await api.post("/programmes", json=new)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    employee = await api.post("/programmes", json=new, headers=issuer.headers("alice"))
    assert employee.status_code == 403, employee.text

    created = await api.post("/programmes", json=new, headers=curator)
    assert created.status_code == 201, created.text
    programme = created.json()
    assert programme["title"] == "Reverse mentoring"
    assert programme["kind"] == "reverse"
    assert programme["participants"] == {"mentor": 0, "mentee": 0}
    participants = f"/programmes/{programme['id']}/participants"

    alice = issuer.headers("alice")
    for_someone_else = await api.post(participants, json={"person_id": "bob", "role": "mentor"}, headers=alice)
    assert for_someone_else.status_code == 403, for_someone_else.text

    # Alice registers herself.
    registered = await api.post(
        participants, json={"person_id": "alice", "role": "mentor", "locale": "ru"}, headers=alice
    )
    assert registered.status_code == 201, registered.text
    assert registered.json() == {
        "programme_id": programme["id"],
        "person_id": "alice",
        "role": "mentor",
        "locale": "ru",
    }

    again = await api.post(participants, json={"person_id": "alice", "role": "mentee", "locale": "ru"}, headers=alice)
    assert again.status_code == 409, again.text
    assert again.json()["role"] == "mentor"

    # Racing registrations on one programme conflict on its version; the retries keep every one of them.
    mentees = [f"mentee-{number}" for number in range(10)]
    racing = await asyncio.gather(
        *(api.post(participants, json={"person_id": p, "role": "mentee"}, headers=issuer.headers(p)) for p in mentees)
    )
    assert [response.status_code for response in racing] == [201] * len(mentees)

    assert (await api.get(f"/programmes/{programme['id']}")).status_code == 401
    fetched = await api.get(f"/programmes/{programme['id']}", headers=alice)
    assert fetched.status_code == 200
    assert fetched.json()["participants"] == {"mentor": 1, "mentee": len(mentees)}

    assert await wait_until_published(service, expected_events=2 + len(mentees)) == [
        contracts.ProgrammeCreatedV1.ce_type
    ] + [contracts.ParticipantRegisteredV1.ce_type] * (1 + len(mentees))


@pytest.mark.infra
@pytest.mark.asyncio
async def test_bad_requests_over_http(api: httpx.AsyncClient, issuer: TestIssuer, curator: dict[str, str]) -> None:
    # Without a token the caller learns nothing about the request's shape.
    assert (await api.post("/programmes", json={"title": "Mentoring", "kind": "group"})).status_code == 401

    bad_kind = await api.post("/programmes", json={"title": "Mentoring", "kind": "group"}, headers=curator)
    assert bad_kind.status_code == 422
    assert [error["loc"] for error in bad_kind.json()["detail"]] == [["body", "kind"]]

    extra = await api.post("/programmes", json={"title": "Mentoring", "kind": "peer", "owner": "bob"}, headers=curator)
    assert extra.status_code == 422
    assert [error["loc"] for error in extra.json()["detail"]] == [["body", "owner"]]

    blank_title = await api.post("/programmes", json={"title": "   ", "kind": "peer"}, headers=curator)
    assert blank_title.status_code == 422
    assert blank_title.json()["field"] == "title"

    alice = issuer.headers("alice")
    unknown = await api.post(
        "/programmes/nope/participants", json={"person_id": "alice", "role": "mentor"}, headers=alice
    )
    assert unknown.status_code == 404
    assert (await api.get("/programmes/nope", headers=alice)).status_code == 404

    created = (await api.post("/programmes", json={"title": "Mentoring", "kind": "classic"}, headers=curator)).json()
    bad_role = await api.post(
        f"/programmes/{created['id']}/participants", json={"person_id": "alice", "role": "boss"}, headers=alice
    )
    assert bad_role.status_code == 422
    assert [error["loc"] for error in bad_role.json()["detail"]] == [["body", "role"]]
