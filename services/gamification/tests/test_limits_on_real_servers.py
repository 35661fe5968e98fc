"""Caps on the real MongoDB-wire server: deeds of one person priced at the same moment by several replicas
never take more places than the cap allows, and a redelivery after the claim records the entry once.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from bson import json_util

from gamification.adapters.ledger import LIMITS, MongoLedger
from gamification.bootstrap import Gamification, bootstrap
from gamification.config import GamificationSettings
from gamification.domain.engine import SOLUTION_PUBLISHED
from gamification.domain.ledger import Deed, LedgerEntry
from gamification.service import handlers
from tests.support.infra import Servers, isolated, remove, unique

pytestmark = pytest.mark.infra

SOLUTIONS_PER_DAY = 5  # the starting "solution-published" rule's cap


@pytest.fixture
async def service(servers: Servers) -> AsyncIterator[Gamification]:
    settings = isolated(GamificationSettings, servers, "gamification")
    built = bootstrap(settings)
    await built.ledger.ensure_indexes()
    try:
        yield built
    finally:
        await built.runtime.client.close()
        await remove(servers, settings)


def published(author: str, number: int, at: datetime) -> Deed:
    data = {"circle_id": "c1", "task_id": f"t{number}", "solution_id": f"s{number}", "author_id": author}
    return Deed(f"{author}-solution-{number}", SOLUTION_PUBLISHED, data, at)


async def test_racing_replicas_never_award_past_the_daily_cap(service: Gamification) -> None:
    author = unique("ann")
    at = datetime.now(UTC).replace(microsecond=0)
    # Eight replicas, each with its own ledger adapter, price eight different solutions at the same moment.
    replicas = [MongoLedger(service.runtime.database) for _ in range(8)]
    deeds = [published(author, number, at + timedelta(seconds=number)) for number in range(8)]

    results = await asyncio.gather(
        *(
            handlers.credit_deed(deed, ledger, service.people, service.rules)
            for deed, ledger in zip(deeds, replicas, strict=True)
        )
    )

    assert sum(len(awarded) for awarded in results) == SOLUTIONS_PER_DAY
    assert await service.ledger.balance(author) == SOLUTIONS_PER_DAY * 10
    # A day later there is room again.
    later = await handlers.credit_deed(
        published(author, 9, at + timedelta(days=1, seconds=9)), replicas[0], service.people, service.rules
    )
    assert len(later) == 1


async def test_claims_made_at_the_same_instant_take_only_the_places_there_are(service: Gamification) -> None:
    author = unique("dan")
    at = datetime.now(UTC).replace(microsecond=0)
    entries = [
        LedgerEntry(f"{author}-{n}", author, 10, "solution-published", f"e{n}", SOLUTION_PUBLISHED, at)
        for n in range(8)
    ]

    def fits(times: list[datetime]) -> bool:
        return len(times) < SOLUTIONS_PER_DAY

    replicas = [MongoLedger(service.runtime.database) for _ in entries]
    claimed = await asyncio.gather(
        *(
            ledger.append_limited(entry, fits, timedelta(days=1))
            for entry, ledger in zip(entries, replicas, strict=True)
        )
    )

    assert claimed.count(True) == SOLUTIONS_PER_DAY
    assert len(await service.ledger.awarded_since("solution-published", author, at)) == SOLUTIONS_PER_DAY


async def test_a_deed_claimed_before_a_crash_is_recorded_once_on_redelivery(service: Gamification) -> None:
    author = unique("bob")
    at = datetime.now(UTC).replace(microsecond=0)
    first = published(author, 1, at)

    class CrashingLedger(MongoLedger):
        async def append(self, entry: object) -> bool:  # the claim is made, then the process dies
            raise ConnectionError("gone")

    with pytest.raises(ConnectionError):
        await handlers.credit_deed(first, CrashingLedger(service.runtime.database), service.people, service.rules)
    assert await service.ledger.balance(author) == 0

    assert len(await handlers.credit_deed(first, service.ledger, service.people, service.rules)) == 1
    assert await handlers.credit_deed(first, service.ledger, service.people, service.rules) == []
    assert await service.ledger.balance(author) == 10


async def test_the_limits_never_show_whom_they_count_and_go_with_an_erasure(service: Gamification) -> None:
    author = unique("cat")
    await handlers.credit_deed(published(author, 1, datetime.now(UTC)), service.ledger, service.people, service.rules)
    stored = [doc async for doc in service.runtime.database[LIMITS].find({})]
    assert stored and author not in json_util.dumps(stored)

    await handlers.erase_person(author, service.ledger, service.people, service.deeds)

    assert [doc async for doc in service.runtime.database[LIMITS].find({})] == []
    assert [doc async for doc in service.runtime.database[f"{LIMITS}_commits"].find({})] == []
