"""Who may call which gamification endpoint, checked route by route against the real servers.

A fresh person has an empty ledger, which is theirs to read; rule edits use fresh rule ids.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gamification.bootstrap import bootstrap
from gamification.config import GamificationSettings
from gamification.domain.badges import BADGES, Step, award_of
from gamification.domain.engine import Rule
from gamification.domain.ledger import Deed
from gamification.domain.rings import Evidence, Ring, pair_of
from gamification.entrypoints.http import create_app
from gamification.service import handlers
from gamification.service import recalculation as recalculations
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

    async def dry_run(owner: str) -> Call:
        found = await recalculations.dry_run(
            service.deeds, service.ledger, service.rules, service.recalculations, service.people
        )
        return Call("GET", f"/recalculations/{found.id}", missing_path="/recalculations/no-such-recalculation")

    async def apply_recalculation(owner: str) -> Call:
        # One recalculation is applied per rule set version: each application needs a rule change first.
        ruleset, _ = await service.rules.current()
        state = {**rule_body(0), "id": f"probe-{uuid.uuid4().hex[:8]}", "version": 1, "active": True}
        del state["expected_version"]
        ruleset = await handlers.edit_rule(service.rules, ruleset.version, Rule.from_state(state))
        found = await recalculations.dry_run(
            service.deeds, service.ledger, service.rules, service.recalculations, service.people
        )
        return Call(
            "POST",
            f"/recalculations/{found.id}/application",
            {"expected_ruleset_version": ruleset.version},
            missing_path="/recalculations/no-such-recalculation/application",
        )

    async def badge_credential(owner: str) -> Call:
        owl = BADGES["owl"]
        debut = Deed(f"debut-{uuid.uuid4().hex}", owl.event_type, {"person_id": owner}, datetime.now(UTC))
        award = award_of(Step(owl, owner, None, "award"), debut)
        await service.badges.record(award)
        return Call(
            "GET",
            f"/people/{owner}/badges/{award.id}/credential",
            missing_path=f"/people/{owner}/badges/{'0' * 32}/credential",
        )

    async def flagged_ring() -> str:
        now = datetime.now(UTC)
        members = pair_of(f"person-{uuid.uuid4().hex[:8]}", f"person-{uuid.uuid4().hex[:8]}")
        ring = Ring.flag(Evidence(f"circle-{uuid.uuid4().hex[:8]}", members, (3, 3), 1.0, now), 1, now)
        assert await service.rings.flag(ring)
        return ring.ring_id

    async def ring_details(owner: str) -> Call:
        return Call("GET", f"/rings/{await flagged_ring()}", missing_path="/rings/no-such-ring")

    async def ring_decision(owner: str) -> Call:
        return Call(
            "POST",
            f"/rings/{await flagged_ring()}/decision",
            {"decision": "reversed", "reason": "probe"},
            missing_path="/rings/no-such-ring/decision",
        )

    examples: dict[str, Example] = {
        "GET /rings": about("GET", "/rings?status=flagged"),
        "GET /rings/{ring_id}": ring_details,
        "POST /rings/{ring_id}/decision": ring_decision,
        "GET /badges/issuer": about("GET", "/badges/issuer"),
        "GET /badges/issuer/jwks": about("GET", "/badges/issuer/jwks"),
        "GET /people/{person_id}/badges": about("GET", "/people/{person}/badges"),
        "GET /people/{person_id}/badges/{award_id}/credential": badge_credential,
        "POST /recalculations": about("POST", "/recalculations"),
        "GET /recalculations/{recalculation_id}": dry_run,
        "POST /recalculations/{recalculation_id}/application": apply_recalculation,
        "GET /rules": about("GET", "/rules"),
        "GET /leaderboards": about("GET", "/leaderboards?period=week&scope=department&scope_id=R%26D"),
        "GET /leaderboards/departments": about("GET", "/leaderboards/departments?period=month"),
        "GET /people/{person_id}/rank": about("GET", "/people/{person}/rank?neighbours=3"),
        "PUT /people/{person_id}/leaderboard-visibility": about(
            "PUT", "/people/{person}/leaderboard-visibility", {"visible": False}
        ),
        "GET /titles": about("GET", "/titles?month=2026-12&scope=circle"),
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
