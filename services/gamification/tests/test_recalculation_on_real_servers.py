"""A rule change recalculated on the real MongoDB-wire server: the dry run's differences, the application's
compensating entries, balances equal to a from-scratch replay afterwards, and a second application refused.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from gamification.bootstrap import Gamification, bootstrap
from gamification.config import GamificationSettings
from gamification.domain.ledger import Deed
from gamification.domain.recalculation import RULE_ID
from gamification.domain.replay import Totals, deed_order, replay, totals
from gamification.entrypoints.http import create_app
from gamification.service import handlers
from gamification.service import recalculation as recalculations
from gamification.tests.test_replay import enrolled, helpful, meeting
from shared.auth.testing import TestIssuer
from shared.contracts.gamification import RecalculationAppliedV1
from shared.errors import Conflict
from tests.support.infra import Servers, isolated, remove, unique

pytestmark = pytest.mark.infra

# Whole seconds, days ago: what MongoDB keeps of a time, and well before the dry run's settling minute.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)


@pytest.fixture
async def service(servers: Servers) -> AsyncIterator[Gamification]:
    settings = isolated(GamificationSettings, servers, "gamification")
    built = bootstrap(settings)
    await built.ledger.ensure_indexes()
    await built.deeds.ensure_indexes()
    await built.recalculations.ensure_indexes()
    try:
        yield built
    finally:
        await built.runtime.client.close()
        await remove(servers, settings)


async def arrive(service: Gamification, *deeds: Deed) -> None:
    """As the consumer takes each deed: stored first, then priced."""
    for deed in deeds:
        await service.deeds.record(deed)
        await handlers.credit_deed(deed, service.ledger, service.people, service.rules)


async def set_points(service: Gamification, rule_id: str, points: int) -> int:
    ruleset, _ = await service.rules.current()
    changed = await handlers.edit_rule(service.rules, ruleset.version, replace(ruleset.rules[rule_id], points=points))
    return changed.version


async def from_scratch(service: Gamification) -> dict[str, Totals]:
    ruleset, _ = await service.rules.current()
    every = sorted([deed async for deed in service.deeds.every()], key=deed_order)
    return {person: sums for person, sums in totals(replay(every, ruleset)).items() if sums != Totals()}


async def balances(service: Gamification) -> dict[str, Totals]:
    return {person: sums for person, sums in (await service.ledger.totals()).items() if sums != Totals()}


async def test_a_rule_change_is_dry_run_applied_once_and_leaves_balances_equal_to_a_replay(
    service: Gamification,
) -> None:
    ann, bob, cid = unique("ann"), unique("bob"), unique("cid")
    await arrive(
        service,
        enrolled(unique("e"), ann, START),
        enrolled(unique("e"), ann, START + timedelta(days=1)),
        enrolled(unique("e"), bob, START + timedelta(days=1)),
        meeting(unique("m"), ann, [bob], START + timedelta(days=2)),
        helpful(unique("h"), cid, ann, "k1", START + timedelta(days=3)),
        helpful(unique("h"), cid, bob, "k1", START + timedelta(days=3)),
    )
    assert await balances(service) == {ann: Totals(30, 0), bob: Totals(15, 0), cid: Totals(0, 10)}
    unchanged = await recalculations.dry_run(
        service.deeds, service.ledger, service.rules, service.recalculations, service.people
    )
    assert unchanged.differences == ()

    version = await set_points(service, "enrolment.enrolled", 20)
    found = await recalculations.dry_run(
        service.deeds, service.ledger, service.rules, service.recalculations, service.people
    )

    assert found.ruleset_version == version
    assert [(d.person_id, d.current, d.replayed) for d in found.differences] == [
        (ann, Totals(30, 0), Totals(50, 0)),
        (bob, Totals(15, 0), Totals(25, 0)),
    ]
    assert (found.people_changed, found.points_difference) == (2, 30)
    assert await service.recalculations.get(found.id) == found

    applied = await recalculations.apply(
        found.id, version, service.ledger, service.rules, service.recalculations, service.people
    )

    assert applied.status == "applied"
    assert (
        await balances(service)
        == await from_scratch(service)
        == {
            ann: Totals(50, 0),
            bob: Totals(25, 0),
            cid: Totals(0, 10),
        }
    )
    for person, sums in (await from_scratch(service)).items():
        assert await service.ledger.balance(person) == sums.points
    stored = await service.recalculations.collection.find_one({"_id": found.id})
    assert stored is not None
    (event,) = stored["events"]
    assert (event["type"], stored["outbox_state"]) == (RecalculationAppliedV1.ce_type, "pending")
    assert event["data"] == {
        "recalculation_id": found.id,
        "ruleset_version": version,
        "people_changed": 2,
        "points_difference": 30,
    }

    entries_before = await service.ledger.entries_collection.count_documents({})
    with pytest.raises(Conflict, match="already applied"):
        await recalculations.apply(
            found.id, version, service.ledger, service.rules, service.recalculations, service.people
        )
    assert await service.ledger.entries_collection.count_documents({}) == entries_before
    assert await balances(service) == await from_scratch(service)
    assert (
        await recalculations.dry_run(
            service.deeds, service.ledger, service.rules, service.recalculations, service.people
        )
    ).differences == ()


async def test_the_http_api_dry_runs_shows_and_applies_and_answers_404_and_409(service: Gamification) -> None:
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    admin = issuer.headers(unique("admin"), "admin")
    ann = unique("ann")
    await arrive(service, enrolled(unique("e"), ann, START), helpful(unique("h"), ann, "bob", "k1", START))
    version = await set_points(service, "helpful-comment", 8)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gamification") as client:
        created = await client.post("/recalculations", headers=admin)
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["ruleset_version"], body["status"], body["people_changed"], body["points_difference"]) == (
            version,
            "dry_run",
            1,
            3,
        )
        assert body["differences"] == [
            {
                "person_id": ann,
                "current_public": 10,
                "current_restricted": 5,
                "replayed_public": 10,
                "replayed_restricted": 8,
                "change": 3,
            }
        ]
        shown = await client.get(f"/recalculations/{body['id']}", headers=admin)
        assert shown.json() == body

        missing = await client.post(
            "/recalculations/nope/application", json={"expected_ruleset_version": 1}, headers=admin
        )
        assert missing.status_code == 404
        stale = await client.post(
            f"/recalculations/{body['id']}/application", json={"expected_ruleset_version": version - 1}, headers=admin
        )
        assert stale.status_code == 409
        assert f"computed under rule set version {version}" in stale.text

        applied = await client.post(
            f"/recalculations/{body['id']}/application", json={"expected_ruleset_version": version}, headers=admin
        )
        assert applied.status_code == 200, applied.text
        assert (applied.json()["status"], applied.json()["applied_at"] is not None) == ("applied", True)
        again = await client.post(
            f"/recalculations/{body['id']}/application", json={"expected_ruleset_version": version}, headers=admin
        )
        assert again.status_code == 409
        assert "already applied" in again.text

    assert await balances(service) == await from_scratch(service) == {ann: Totals(10, 8)}
    (compensation,) = await service.ledger.entries_collection.find({"rule": RULE_ID}).to_list()
    assert (compensation["person_id"], compensation["points"], compensation["restricted"]) == (ann, 3, True)
    (event,) = compensation["events"]
    assert event["topic"].endswith(".restricted")  # restricted points are announced on the restricted topic only
