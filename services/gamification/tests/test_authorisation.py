"""Who may call which gamification endpoint, checked route by route against the real servers.

A fresh person has an empty ledger, which is theirs to read; rule edits use fresh rule ids.
"""

import uuid
from typing import Any

import httpx
import pytest

from gamification.bootstrap import bootstrap
from gamification.config import GamificationSettings
from gamification.domain.engine import Rule
from gamification.entrypoints.http import create_app
from gamification.service import handlers
from shared.auth.testing import Call, Example, TestIssuer, about, authorization_matrix
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated


@pytest.mark.infra
async def test_authorisation_matrix(servers: Servers) -> None:
    settings = isolated(GamificationSettings, servers, "gamification")
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)

    def rule_body(version: int) -> dict[str, Any]:
        return {
            "expected_version": version,
            "event_type": "com.owlery.enrolment.application.enrolled.v1",
            "credits": "person_id",
            "points": 3,
            "title_ru": "Проба",
            "title_en": "Probe",
        }

    async def edit_rule(owner: str) -> Call:
        ruleset, _ = await service.rules.current()
        return Call("PUT", f"/rules/probe-{uuid.uuid4().hex[:8]}", rule_body(ruleset.version))

    async def deactivate_rule(owner: str) -> Call:
        rule_id = f"probe-{uuid.uuid4().hex[:8]}"
        ruleset, _ = await service.rules.current()
        state = {**rule_body(0), "id": rule_id, "version": 1, "active": True}
        del state["expected_version"]
        ruleset = await handlers.edit_rule(service.rules, ruleset.version, Rule.from_state(state))
        return Call(
            "POST",
            f"/rules/{rule_id}/deactivation",
            {"expected_version": ruleset.version},
            missing_path="/rules/no-such-rule/deactivation",
        )

    examples: dict[str, Example] = {
        "GET /rules": about("GET", "/rules"),
        "PUT /rules/{rule_id}": edit_rule,
        "POST /rules/{rule_id}/deactivation": deactivate_rule,
        "GET /people/{person_id}/points": about("GET", "/people/{person}/points"),
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gamification") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []
