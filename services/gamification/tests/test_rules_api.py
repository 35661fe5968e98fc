"""Admins edit the points rules over HTTP: bad rules are refused naming the field, stale edits with 409."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gamification.bootstrap import bootstrap
from gamification.config import GamificationSettings
from gamification.entrypoints.http import create_app
from shared.auth.testing import TestIssuer
from tests.support.infra import Servers, isolated, remove

pytestmark = pytest.mark.infra

ENROLLED = "com.owlery.enrolment.application.enrolled.v1"


@pytest.fixture
async def api(servers: Servers) -> AsyncIterator[tuple[httpx.AsyncClient, TestIssuer]]:
    settings = isolated(GamificationSettings, servers, "gamification")
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gamification") as client,
        ):
            yield client, issuer
    finally:
        await remove(servers, settings)


def rule(version: int, **changes: Any) -> dict[str, Any]:
    return {
        "expected_version": version,
        "event_type": ENROLLED,
        "credits": "person_id",
        "points": 7,
        "title_ru": "Зачисление",
        "title_en": "Enrolled",
        **changes,
    }


async def test_rules_are_edited_by_admins_against_the_version_they_read(
    api: tuple[httpx.AsyncClient, TestIssuer],
) -> None:
    client, issuer = api
    admin, employee = issuer.headers("root", "admin"), issuer.headers("ann")
    listed = (await client.get("/rules", headers=employee)).json()
    version = listed["version"]
    assert {"helpful-comment", "enrolment.enrolled", "mentoring-meeting-mentor"} <= {r["id"] for r in listed["rules"]}

    account = (await client.get("/people/ann/points", headers=employee)).json()
    assert (account["balance"], account["level"]) == (
        0,
        {"number": 1, "name_ru": "Совёнок", "name_en": "Owlet", "next_at": 50},
    )

    assert (await client.put("/rules/probe", json=rule(version), headers=employee)).status_code == 403

    unknown = await client.put("/rules/probe", json=rule(version, event_type="com.owlery.x.y.z.v1"), headers=admin)
    assert (unknown.status_code, unknown.json()["field"]) == (422, "event_type")
    condition = {"field": "colour", "op": "eq", "value": "red"}
    no_field = await client.put("/rules/probe", json=rule(version, conditions=[condition]), headers=admin)
    assert (no_field.status_code, no_field.json()["field"]) == (422, "conditions[0].field")
    assert "colour" in no_field.json()["detail"]

    created = await client.put("/rules/probe", json=rule(version), headers=admin)
    assert created.status_code == 200, created.text
    assert created.json()["version"] == version + 1
    stale = await client.put("/rules/probe", json=rule(version, points=9), headers=admin)
    assert stale.status_code == 409

    off = await client.post("/rules/probe/deactivation", json={"expected_version": version + 1}, headers=admin)
    assert (off.status_code, off.json()["rules"][0]["active"]) == (200, False)
    again = await client.post("/rules/probe/deactivation", json={"expected_version": version + 2}, headers=admin)
    assert again.status_code == 409
