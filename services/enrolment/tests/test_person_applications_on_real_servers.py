"""A person's applications across courses, read from the course heads on the real MongoDB-wire server."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from enrolment.bootstrap import bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated

pytestmark = pytest.mark.infra

PERSON = "emp-anna"


@dataclass
class Api:
    client: httpx.AsyncClient
    issuer: TestIssuer

    async def call(self, method: str, path: str, who: str, *roles: str, json: Any = None) -> dict[str, Any]:
        answer = await self.client.request(method, path, json=json, headers=self.issuer.headers(who, *roles))
        assert answer.status_code in (200, 201), answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def published(self, title: str) -> str:
        """A published course with one cohort of two seats, two weeks from now."""
        body = {"title_en": title, "sessions": 3, "weekly_effort_hours": 2, "rules": {"capacity": 2}}
        course_id = str((await self.call("POST", "/courses", "trainer-1", "trainer", json=body))["id"])
        await self.call("POST", f"/courses/{course_id}/reviews", "curator-1", "curator", json={"verdict": "approved"})
        start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
        cohort = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
        await self.call("POST", f"/courses/{course_id}/cohorts", "curator-1", "curator", json=cohort)
        return course_id

    async def fill(self, course_id: str) -> None:
        """Take both seats of the course."""
        for person_id in ("emp-first", "emp-second"):
            await self.apply(course_id, person_id)

    async def apply(self, course_id: str, person_id: str) -> dict[str, Any]:
        return await self.call("POST", f"/courses/{course_id}/applications", person_id, json={"person_id": person_id})


@pytest.fixture
async def api(servers: Servers) -> AsyncIterator[Api]:
    settings = isolated(EnrolmentSettings, servers, "enrolment")
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    try:
        app = create_app(service)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrolment") as client:
            yield Api(client, issuer)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
        await service.runtime.client.close()


async def test_a_person_reads_their_applications_across_courses_newest_first(api: Api) -> None:
    enrolled_in = await api.published("SQL basics")
    waitlisted_in = await api.published("Kafka in practice")
    unrelated = await api.published("Nobody's course")
    await api.apply(unrelated, "emp-other")
    enrolled = await api.apply(enrolled_in, PERSON)
    await api.fill(waitlisted_in)
    waitlisted = await api.apply(waitlisted_in, PERSON)

    mine = await api.call("GET", f"/people/{PERSON}/applications", PERSON)

    assert mine["person_id"] == PERSON
    assert [
        (item["course_id"], item["course_title"], item["status"], item["waitlist_position"], item["cohort_id"])
        for item in mine["items"]
    ] == [
        (waitlisted_in, "Kafka in practice", "waitlisted", 1, None),
        (enrolled_in, "SQL basics", "enrolled", None, enrolled["cohort_id"]),
    ]
    assert [item["application_id"] for item in mine["items"]] == [
        waitlisted["application_id"],
        enrolled["application_id"],
    ]
    assert mine["items"][1]["cohort_session_starts"] and mine["items"][0]["cohort_session_starts"] == []
    assert all(item["offer_expires_at"] is None for item in mine["items"])
    first, second = (datetime.fromisoformat(item["applied_at"]) for item in mine["items"])
    assert first >= second


async def test_a_freed_seat_shows_its_offer_deadline(api: Api) -> None:
    course_id = await api.published("Testing 1C")
    await api.fill(course_id)
    await api.apply(course_id, PERSON)
    await api.call("POST", f"/courses/{course_id}/applications/emp-first/withdrawal", "emp-first")

    [item] = (await api.call("GET", f"/people/{PERSON}/applications", PERSON))["items"]

    assert item["status"] == "offered"
    assert item["offer_expires_at"] is not None


async def test_only_the_person_and_hr_read_them(api: Api) -> None:
    await api.apply(await api.published("SQL basics"), PERSON)
    path = f"/people/{PERSON}/applications"

    other = await api.client.get(path, headers=api.issuer.headers("emp-other"))
    hr = await api.client.get(path, headers=api.issuer.headers("hr-olga", "hr_admin"))

    assert other.status_code == 403, other.text
    assert hr.status_code == 200, hr.text
    assert [item["status"] for item in hr.json()["items"]] == ["enrolled"]
