"""The knowledge base through HTTP and the consumer, on the real MongoDB-wire server and Kafka."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bson import json_util

from mentoring.bootstrap import bootstrap
from mentoring.config import MentoringSettings
from mentoring.entrypoints.http import create_app
from mentoring.service import knowledge
from shared.auth.testing import TestIssuer
from shared.contracts import directory
from shared.contracts.enrolment import ConferenceTalkRecordingAttachedV1, MasterClassRecordingAttachedV1
from shared.messaging.cloudevents import OutboxEvent
from tests.support.infra import Servers, isolated, remove
from tests.support.kafka import deliver

pytestmark = pytest.mark.infra


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[MentoringSettings]:
    isolated_settings = isolated(MentoringSettings, servers, "mentoring")
    yield isolated_settings
    await remove(servers, isolated_settings)


async def test_articles_and_recordings_are_found_flagged_stale_and_reviewed(settings: MentoringSettings) -> None:
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    curator, host, reader = "cur-" + _short(), "host-" + _short(), "emp-" + _short()
    tag = "tag-" + _short()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
    ):

        async def search(query: str) -> list[str]:
            answer = await client.get(f"/knowledge/items?{query}", headers=issuer.headers(reader))
            assert answer.status_code == 200, answer.text
            return [found["id"] for found in answer.json()["items"]]

        article = {
            "article_id": "a-" + _short(),
            "title": "Как писать тест-кейсы",
            "summary": "Шаблон и примеры для QA",
            "body": "...",
            "language": "ru",
            "category": "QA",
            "tags": [tag, "qa"],
        }
        refused = await client.post("/knowledge/articles", json=article, headers=issuer.headers(reader))
        assert refused.status_code == 403
        written = await client.post("/knowledge/articles", json=article, headers=issuer.headers(curator, "curator"))
        assert written.status_code == 201, written.text
        article_id = written.json()["id"]
        assert (written.json()["owner_id"], written.json()["type"], written.json()["stale"]) == (
            curator,
            "article",
            False,
        )

        recording = MasterClassRecordingAttachedV1(
            master_class_id="mc-" + _short(),
            host_id=host,
            title="Neural networks for quality analysis",
            abstract="How the host team spots defects in photos",
            language="en",
            competencies=[tag, "ml"],
            recording_url="https://video.example/mc",
            materials=["https://slides.example/mc"],
        )
        event = OutboxEvent.of(recording, source="/owlery/enrolment", correlation_id="t")
        await deliver(service.runtime.consumer, event)
        await deliver(
            service.runtime.consumer, OutboxEvent.of(recording, source="/owlery/enrolment", correlation_id="u")
        )
        master_class_id = f"enrolment.master_class:{recording.master_class_id}"

        # Found by tag and by text; the event delivered twice (under two event ids) made one item.
        assert sorted(await search(f"tag={tag}&limit=100")) == sorted([article_id, master_class_id])
        assert await search(f"q=тест-кейс&tag={tag}") == [article_id]
        assert await search(f"q=NEURAL+quality&tag={tag}") == [master_class_id]
        assert await search(f"tag={tag}&type=master_class&language=en") == [master_class_id]
        item = (await client.get(f"/knowledge/items/{master_class_id}", headers=issuer.headers(reader))).json()
        assert (item["owner_id"], item["type"]) == (host, "master_class")
        assert item["links"] == ["https://video.example/mc", "https://slides.example/mc"]

        # A conference talk's recording becomes its speaker's item, found by its Russian text.
        talk_tag = "talk-" + _short()
        talk = ConferenceTalkRecordingAttachedV1(
            conference_id="cf-" + _short(),
            talk_id="talk-" + _short(),
            speaker_id=host,
            title="Тестирование 1С без боли",  # noqa: RUF001 (a Cyrillic letter, as Russians write it)
            abstract="Как писать тест-кейсы для конфигураций",
            language="ru",
            competencies=[talk_tag],
            recording_url="https://video.example/talk",
        )
        await deliver(service.runtime.consumer, OutboxEvent.of(talk, source="/owlery/enrolment", correlation_id="t"))
        found = await search(f"q=тестирование+1с&tag={talk_tag}&type=conference_talk&language=ru")  # noqa: RUF001
        assert found == [f"enrolment.conference_talk:{talk.talk_id}"]
        for bad, field in (("type=podcast", "type"), ("language=de", "language"), ("limit=0", "limit")):
            answer = await client.get(f"/knowledge/items?{bad}", headers=issuer.headers(reader))
            assert answer.status_code == 422 and field in answer.text, (bad, answer.text)

        # Past the review period, the job flags both items stale (once), telling their owners.
        service.clock = lambda: datetime.now(UTC) + timedelta(days=settings.knowledge_review_days + 1)
        assert await knowledge.flag_stale(service.knowledge) >= 2
        assert await knowledge.flag_stale(service.knowledge) == 0
        assert sorted(await search(f"tag={tag}&stale=true")) == sorted([article_id, master_class_id])
        commits = service.runtime.database["knowledge_commits"]
        told: list[dict[str, Any]] = [
            event["data"]
            async for commit in commits.find({"aggregate_id": master_class_id})
            for event in commit["events"]
        ]
        assert [(e["owner_id"], e["item_type"]) for e in told] == [(host, "master_class")]

        # Only the owner (or a curator) reviews: the flag goes.
        stranger = await client.post(f"/knowledge/items/{master_class_id}/review", headers=issuer.headers(reader))
        assert stranger.status_code == 403
        reviewed = await client.post(f"/knowledge/items/{master_class_id}/review", headers=issuer.headers(host))
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["stale"] is False
        assert await search(f"tag={tag}&stale=true") == [article_id]
        assert await search(f"tag={tag}&stale=false") == [master_class_id]

        # The directory erases the host: the item stays findable, owned by a former employee; the id is gone.
        await deliver(
            service.runtime.consumer,
            directory.PersonErasedV1(person_id=host, requested_by="hr-1", reason="left the company"),
            "/owlery/directory",
        )
        for collection in ("knowledge", "knowledge_commits"):
            stored = json_util.dumps(await service.runtime.database[collection].find({}).to_list())
            assert host not in stored, collection
        assert await search(f"tag={tag}&stale=false") == [master_class_id]


def _short() -> str:
    return uuid.uuid4().hex[:8]
