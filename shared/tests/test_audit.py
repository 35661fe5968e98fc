"""The audit log on the real MongoDB-wire server: appended once, read back newest first."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from shared.audit import AuditLog
from shared.errors import Conflict, Invalid
from shared.persistence.mongo import Document, connect
from tests.support.infra import Servers

pytestmark = pytest.mark.infra


@pytest.fixture
async def database(servers: Servers) -> AsyncIterator[AsyncDatabase[Document]]:
    client = connect(servers.mongodb_url)
    name = f"audit_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def test_a_recorded_action_reads_back_exactly_as_recorded(database: AsyncDatabase[Document]) -> None:
    log = AuditLog(database)
    before = datetime.now(UTC) - timedelta(milliseconds=1)
    recorded = await log.record(
        "role.granted",
        actor_id="admin-1",
        subject_id="person-7",
        reason="New team lead for the data guild",
        details={"role": "moderator", "scope": ["guild-data"]},
    )
    assert before <= recorded.recorded_at <= datetime.now(UTC)
    assert recorded.recorded_at.tzinfo is not None
    assert len(recorded.entry_id) == 32

    assert await log.about("person-7") == [recorded]
    assert await log.by_actor("admin-1") == [recorded]
    stored = await database["audit_log"].find_one({"_id": recorded.entry_id})
    assert stored is not None
    assert stored["details"] == {"role": "moderator", "scope": ["guild-data"]}


async def test_recording_the_same_entry_twice_keeps_one_entry(database: AsyncDatabase[Document]) -> None:
    log = AuditLog(database)
    first = await log.record("export.requested", "person-7", "person-7", entry_id="export-123")
    again = await log.record("export.requested", "person-7", "person-7", entry_id="export-123")
    assert again == first
    assert await log.about("person-7") == [first]
    assert await database["audit_log"].count_documents({}) == 1


async def test_concurrent_retries_of_one_entry_store_it_once(database: AsyncDatabase[Document]) -> None:
    log = AuditLog(database)
    entries = await asyncio.gather(
        *(
            log.record("person.erased", "dpo-1", "person-9", reason="GDPR article 17", entry_id="erase-9")
            for _ in range(10)
        )
    )
    assert len({entry.recorded_at for entry in entries}) == 1
    assert await database["audit_log"].count_documents({"_id": "erase-9"}) == 1


async def test_an_entry_id_cannot_be_reused_for_another_action(database: AsyncDatabase[Document]) -> None:
    log = AuditLog(database)
    original = await log.record("role.granted", "admin-1", "person-7", entry_id="change-1")
    with pytest.raises(Conflict, match="different action"):
        await log.record("role.revoked", "admin-1", "person-7", entry_id="change-1")
    assert await log.about("person-7") == [original]


async def test_history_of_a_subject_is_newest_first_and_only_theirs(database: AsyncDatabase[Document]) -> None:
    log = AuditLog(database)
    recorded = [await log.record(f"action.{n}", f"admin-{n % 2}", "person-7") for n in range(5)]
    await log.record("role.granted", "admin-0", "person-8")

    history = await log.about("person-7")
    assert [entry.action for entry in history] == [f"action.{n}" for n in reversed(range(5))]
    assert history == list(reversed(recorded))
    assert [entry.action for entry in await log.about("person-7", limit=2)] == ["action.4", "action.3"]
    assert await log.about("nobody") == []


async def test_what_an_actor_did_is_newest_first_across_subjects(database: AsyncDatabase[Document]) -> None:
    log = AuditLog(database, collection="privileged_actions")
    await log.record("author.revealed", "moderator-1", "person-1", reason="Threats in reply-7")
    await log.record("role.granted", "admin-1", "person-2")
    await log.record("author.revealed", "moderator-1", "person-3", reason="Doxxing in reply-9")

    done = await log.by_actor("moderator-1")
    assert [(entry.subject_id, entry.reason) for entry in done] == [
        ("person-3", "Doxxing in reply-9"),
        ("person-1", "Threats in reply-7"),
    ]
    assert await database["privileged_actions"].count_documents({}) == 3
    assert "audit_log" not in await database.list_collection_names()


@pytest.mark.parametrize(("action", "actor_id", "subject_id"), [("", "a", "s"), ("x", " ", "s"), ("x", "a", "")])
async def test_an_entry_must_say_what_who_and_to_whom(
    database: AsyncDatabase[Document], action: str, actor_id: str, subject_id: str
) -> None:
    with pytest.raises(Invalid, match="must not be empty"):
        await AuditLog(database).record(action, actor_id, subject_id)
    assert await database["audit_log"].count_documents({}) == 0


async def test_reads_refuse_an_unbounded_limit(database: AsyncDatabase[Document]) -> None:
    with pytest.raises(Invalid, match="limit"):
        await AuditLog(database).about("person-7", limit=0)
    with pytest.raises(Invalid, match="limit"):
        await AuditLog(database).by_actor("admin-1", limit=10_000)
