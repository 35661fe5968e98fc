"""Identity across the platform, as HR and employees meet it: SCIM in, sign-in, deactivation, erasure, export.

All five services run as processes on the real broker and store; each test checks the databases
directly, since "the person is gone" is a promise about storage, not about an API answer.
"""

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from bson import json_util
from pymongo import AsyncMongoClient

from shared.persistence.mongo import Document, connect
from tests.support.courses import open_course
from tests.support.kafka import eventually
from tests.support.platform import SCIM_TOKEN, Platform
from tests.support.programmes import mentor_profile, open_programme

DOMAIN_SERVICES = ("enrolment", "mentoring", "gamification", "notifications")
SCIM = {"Authorization": f"Bearer {SCIM_TOKEN}"}


@pytest_asyncio.fixture
async def mongo(platform: Platform) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = connect(platform.servers.mongodb_url)
    try:
        yield client
    finally:
        await client.close()


def new_employee(display_name: str) -> dict[str, Any]:
    person_id = f"e2e-{uuid.uuid4().hex[:10]}"
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": person_id,
        "userName": f"{person_id}@contoso.example",
        "displayName": display_name,
        "emails": [{"value": f"{person_id}@contoso.example", "type": "work", "primary": True}],
        "preferredLanguage": "ru-RU",
        "timezone": "Asia/Novosibirsk",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Логистика"},
    }


async def provision(client: httpx.AsyncClient, platform: Platform, user: dict[str, Any]) -> str:
    answer = await client.post(f"{platform.url('directory')}/scim/v2/Users", json=user, headers=SCIM)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def copies_of(mongo: AsyncMongoClient[Document], platform: Platform, person_id: str) -> dict[str, Document]:
    found = {}
    for service in DOMAIN_SERVICES:
        document = await mongo[platform.database(service)]["people"].find_one({"_id": person_id})
        if document is not None:
            found[service] = document
    return found


async def test_a_person_pushed_through_scim_reaches_every_service_and_deactivation_locks_them_out(
    platform: Platform, mongo: AsyncMongoClient[Document]
) -> None:
    hr = platform.headers("hr-olga", "hr_admin")
    async with httpx.AsyncClient(timeout=10) as client:
        started = time.monotonic()
        person_id = await provision(client, platform, new_employee("Фёдор Лесков"))
        copies = await eventually(
            lambda: copies_of(mongo, platform, person_id), lambda found: len(found) == 4, timeout=15
        )
        print(f"\nSCIM create -> all four read models: {time.monotonic() - started:.2f} s")
        assert copies["enrolment"]["locale"] == "ru"
        assert copies["enrolment"]["time_zone"] == "Asia/Novosibirsk"
        assert copies["mentoring"]["department"] == "Логистика"
        assert copies["notifications"]["display_name"] == "Фёдор Лесков"
        assert all(copy["active"] for copy in copies.values())

        enrolment = platform.url("enrolment")
        admin = platform.headers("setup-admin", "admin")
        first, second = [
            await open_course(client, platform, title) for title in ("1C: тестирование", "Excel для логистов")
        ]
        own = platform.headers(person_id)
        applied = await client.post(
            f"{enrolment}/courses/{first['id']}/applications", json={"person_id": person_id}, headers=own
        )
        assert applied.status_code == 201, applied.text

        deactivate = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
        }
        patched = await client.patch(
            f"{platform.url('directory')}/scim/v2/Users/{person_id}", json=deactivate, headers=SCIM
        )
        assert patched.status_code == 200, patched.text
        await eventually(
            lambda: copies_of(mongo, platform, person_id),
            lambda found: len(found) == 4 and not any(copy["active"] for copy in found.values()),
            timeout=15,
        )

        sign_in = await client.post(
            f"{platform.url('directory')}/dev-oidc/token", json={"user_name": f"{person_id}@contoso.example"}
        )
        assert sign_in.status_code == 400  # no new sign-in
        held = await client.post(
            f"{enrolment}/courses/{second['id']}/applications", json={"person_id": person_id}, headers=own
        )
        assert held.status_code == 401  # the token issued before no longer opens anything
        on_behalf = await client.post(
            f"{enrolment}/courses/{second['id']}/applications", json={"person_id": person_id}, headers=hr
        )
        assert on_behalf.status_code == 422
        assert "person_id" in on_behalf.text
        course = (await client.get(f"{enrolment}/courses/{second['id']}", headers=admin)).json()
        assert course["cohorts"][0]["enrolled"] == 0


def mentions(documents: list[tuple[str, Document]], text: str) -> list[tuple[str, Document]]:
    return [(collection, doc) for collection, doc in documents if text in json_util.dumps(doc, ensure_ascii=False)]


async def everything(mongo: AsyncMongoClient[Document], database: str) -> list[tuple[str, Document]]:
    found = []
    for collection in await mongo[database].list_collection_names():
        found += [(collection, doc) async for doc in mongo[database][collection].find({})]
    return found


async def test_erasure_empties_every_database_and_the_export_gathers_every_service(
    platform: Platform, mongo: AsyncMongoClient[Document]
) -> None:
    name = "Зинаида Эрасова"
    hr = platform.headers("hr-olga", "hr_admin")
    admin = platform.headers("setup-admin", "admin")
    async with httpx.AsyncClient(timeout=15) as client:
        person_id = await provision(client, platform, new_employee(name))
        await eventually(lambda: copies_of(mongo, platform, person_id), lambda found: len(found) == 4, timeout=15)
        own = platform.headers(person_id)
        mentoring = platform.url("mentoring")
        course = await open_course(client, platform, "SQL")
        programme = await open_programme(client, platform, admin, "Reverse")
        await client.post(
            f"{platform.url('enrolment')}/courses/{course['id']}/applications",
            json={"person_id": person_id},
            headers=own,
        )
        mentor = {"person_id": person_id, "role": "mentor", "profile": mentor_profile(), "accept_rules": True}
        joined = await client.post(f"{mentoring}/programmes/{programme['id']}/participants", json=mentor, headers=admin)
        assert joined.status_code == 201, joined.text

        async def points() -> int:
            answer = await client.get(f"{platform.url('gamification')}/people/{person_id}/points", headers=own)
            return int(answer.json()["balance"])

        await eventually(points, lambda balance: balance == 25, timeout=15)

        async def inbox() -> int:
            answer = await client.get(f"{platform.url('notifications')}/people/{person_id}/inbox", headers=own)
            return len(answer.json()["messages"])

        await eventually(inbox, lambda count: count >= 3, timeout=15)

        refused = await client.get(f"{platform.url('directory')}/people/{person_id}/export", headers=own)
        assert refused.status_code == 403
        exported = await client.get(f"{platform.url('directory')}/people/{person_id}/export", headers=hr)
        assert exported.status_code == 200, exported.text
        document = exported.json()
        assert document["complete"] is True
        services = document["services"]
        assert services["directory"]["person"]["display_name"] == name
        assert [a["course_id"] for a in services["enrolment"]["applications"]] == [course["id"]]
        assert [p["programme_id"] for p in services["mentoring"]["programmes"]] == [programme["id"]]
        assert services["gamification"]["balance"] == 25
        assert len(services["notifications"]["messages"]) >= 3
        assert all(part["person"]["display_name"] == name for s, part in services.items() if s != "directory")

        erased = await client.post(
            f"{platform.url('directory')}/people/{person_id}/erasure",
            json={"reason": "Erasure request HR-4711 (GDPR art. 17)"},
            headers=hr,
        )
        assert erased.status_code == 202, erased.text

        email = f"{person_id}@contoso.example"

        async def traces() -> dict[str, list[str]]:
            """Per database, the collections that still hold her name, her address or (domain services) her id."""
            left = {}
            for service in (*DOMAIN_SERVICES, "directory"):
                documents = await everything(mongo, platform.database(service))
                personal = mentions(documents, name) + mentions(documents, email)
                if service != "directory":  # the directory keeps the id as the key of its tombstone
                    personal += [
                        (collection, document)
                        for collection, document in mentions(documents, person_id)
                        if collection != "audit_log" and not (collection == "people" and document.get("erased"))
                    ]
                left[service] = sorted({collection for collection, _ in personal})
            return left

        remaining = await eventually(traces, lambda left: not any(left.values()), timeout=20)
        assert remaining == {service: [] for service in (*DOMAIN_SERVICES, "directory")}

        # Contributions stay: the course still counts its seat and the ledger its points, for a former employee.
        after = (await client.get(f"{platform.url('enrolment')}/courses/{course['id']}", headers=admin)).json()
        assert after["cohorts"][0]["enrolled"] == 1
        audit = await client.get(
            f"{platform.url('enrolment')}/privacy/audit", params={"subject_id": person_id}, headers=hr
        )
        assert [entry["action"] for entry in audit.json()] == ["person.erased", "person.exported"]
        assert json.dumps(audit.json()).count("HR-4711") == 1
