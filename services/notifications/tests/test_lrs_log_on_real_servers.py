"""The xAPI delivery log on the real MongoDB-wire server: a statement's outcome survives a lost update.

FerretDB updates by reading and replacing a document. A background send and the retry job may update one
statement at once; a late "failed" can then put back the pending document it read before "sent" landed.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from notifications.adapters.lrs import QUEUE, STATEMENTS, MongoStatementLog
from notifications.domain.xapi import Statement
from shared.persistence.mongo import Document, connect
from tests.support.infra import Servers

pytestmark = pytest.mark.infra

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def database(servers: Servers, unique_name: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = connect(servers.mongodb_url)
    try:
        yield client[unique_name]
    finally:
        await client.drop_database(unique_name)
        await client.close()


def statement(number: int) -> Statement:
    return Statement(
        id=f"00000000-0000-5000-8000-{number:012d}",
        event_id=f"event-{number}",
        event_type="com.owlery.enrolment.application.enrolled.v1",
        person_id="anna",
        verb="http://adlnet.gov/expapi/verbs/registered",
        body={"id": f"00000000-0000-5000-8000-{number:012d}", "verb": {"id": "registered"}},
    )


async def test_a_failure_recorded_over_a_send_it_raced_does_not_undo_the_send(
    database: AsyncDatabase[Document],
) -> None:
    log = MongoStatementLog(database)
    sent, rejected, pending = statement(1), statement(2), statement(3)
    await log.add([sent, rejected, pending], created_at=NOW, due_at=NOW)
    read_before = {doc["_id"]: doc async for doc in database[STATEMENTS].find({})}

    await log.sent([sent.id], NOW + timedelta(seconds=1))
    await log.rejected(rejected.id, NOW + timedelta(seconds=1), "400: not a statement")
    # A slower writer that read both before they were decided writes them back as it saw them (FerretDB's
    # read-and-replace), with its failure: the lost update.
    for statement_id in (sent.id, rejected.id):
        failed = {**read_before[statement_id], "last_error": "timed out", "attempts": 1}
        await database[STATEMENTS].replace_one({"_id": statement_id}, failed)
    await log.failed([pending.id], NOW + timedelta(seconds=2), "timed out", NOW + timedelta(minutes=1))

    by_id = {logged.id: logged for logged in await log.get([sent.id, rejected.id, pending.id])}
    assert (by_id[sent.id].state, by_id[sent.id].sent_at) == ("sent", NOW + timedelta(seconds=1))
    assert (by_id[rejected.id].state, by_id[rejected.id].last_error) == ("rejected", "400: not a statement")
    assert by_id[pending.id].state == "pending"
    # Nothing decided is left to the retry job, and the listing by state shows each where it belongs.
    assert [doc["_id"] async for doc in database[QUEUE].find({})] == [pending.id]
    assert [logged.id for logged in await log.recent("sent", 10, 0)] == [sent.id]
    assert [logged.id for logged in await log.recent("pending", 10, 0)] == [pending.id]
    assert [logged.id for logged in await log.recent("rejected", 10, 0)] == [rejected.id]
