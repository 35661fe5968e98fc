"""The send queue on the real MongoDB-wire server: the sender never drops a notification being written."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from notifications.adapters.deliveries import NOTIFICATIONS, ORPHAN_AGE, QUEUE, MongoNotifications, _document
from notifications.domain.delivery import Notification
from notifications.domain.model import Notice, Template
from notifications.domain.preferences import Plan, Status
from notifications.domain.routing import Channel
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


def planned(cause: str) -> Notification:
    notice = Notice("ann", Template.WAITLISTED, {"course_title": "Go", "position": 1})
    return Notification.planned(cause, notice, Channel.EMAIL, Plan(Status.QUEUED, NOW), NOW)


async def test_a_notification_being_written_is_not_taken_for_an_orphan(database: AsyncDatabase[Document]) -> None:
    store = MongoNotifications(database)
    writing = planned("ev-1")
    # The writer has queued it and not yet kept the notification when the sender looks.
    await store._enqueue(writing)
    assert await store.due(NOW) == []
    assert await database[QUEUE].count_documents({}) == 1  # still queued
    await database[NOTIFICATIONS].insert_one(_document(writing))
    assert [n.id for n in await store.due(NOW)] == [writing.id]


async def test_a_queue_entry_left_behind_by_a_crash_is_dropped_once_it_is_old(
    database: AsyncDatabase[Document],
) -> None:
    store = MongoNotifications(database)
    crashed = planned("ev-2")
    await database[QUEUE].insert_one(
        {"_id": crashed.id, "send_at": NOW, "person_id": "ann", "queued_at": datetime.now(UTC) - ORPHAN_AGE * 2}
    )
    assert await store.due(NOW + timedelta(minutes=1)) == []
    assert await database[QUEUE].count_documents({}) == 0
