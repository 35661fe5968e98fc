"""The first live slice through the services, over HTTP and real Kafka, as a user sees it."""

import json
from typing import Any

import httpx

from shared.contracts.enrolment import TOPIC as ENROLMENT_TOPIC
from shared.contracts.gamification import TOPIC as GAMIFICATION_TOPIC
from tests.support.courses import open_course
from tests.support.kafka import eventually, header, read_topic
from tests.support.platform import Platform


async def points_of(client: httpx.AsyncClient, platform: Platform, person_id: str) -> dict[str, Any]:
    answer = await client.get(f"{platform.url('gamification')}/people/{person_id}/points")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def inbox_of(client: httpx.AsyncClient, platform: Platform, person_id: str) -> list[str]:
    # An inbox is private: only its owner reads it.
    answer = await client.get(
        f"{platform.url('notifications')}/people/{person_id}/inbox", headers=platform.headers(person_id)
    )
    assert answer.status_code == 200, answer.text
    return [message["text"] for message in answer.json()["messages"]]


async def test_two_seats_three_applicants_points_and_inbox_in_each_language(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=10, headers=platform.headers("hr-robot", "admin")) as client:
        course_id = (await open_course(client, platform, "Python для аналитиков", capacity=2))["id"]
        applicants = [("anna", "ru"), ("boris", "en"), ("vera", "ru")]
        statuses = {}
        for person_id, locale in applicants:
            answer = await client.post(
                f"{platform.url('enrolment')}/courses/{course_id}/applications",
                json={"person_id": person_id, "locale": locale},
            )
            assert answer.status_code == 201, answer.text
            statuses[person_id] = answer.json()["status"]
        assert statuses == {"anna": "enrolled", "boris": "enrolled", "vera": "waitlisted"}

        for person_id in ("anna", "boris"):

            async def account(person_id: str = person_id) -> dict[str, Any]:
                return await points_of(client, platform, person_id)

            credited = await eventually(account, lambda found: found["balance"] == 10, timeout=10)
            assert [entry["rule"] for entry in credited["ledger"]] == ["enrolment.enrolled"]
        assert (await points_of(client, platform, "vera"))["balance"] == 0

        anna = await eventually(lambda: inbox_of(client, platform, "anna"), lambda texts: len(texts) == 2)
        assert any("Вы зачислены" in text and "Python для аналитиков" in text for text in anna)
        assert any("балл" in text for text in anna)  # the points message, in Russian too
        boris = await eventually(lambda: inbox_of(client, platform, "boris"), lambda texts: len(texts) == 2)
        assert any("You are enrolled" in text for text in boris)
        assert any("points" in text for text in boris)
        vera = await eventually(lambda: inbox_of(client, platform, "vera"), lambda texts: len(texts) == 1)
        assert "листе ожидания под номером 1" in vera[0]


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(platform: Platform) -> None:
    enrolment = platform.url("enrolment")
    async with httpx.AsyncClient(timeout=10, headers=platform.headers("hr-robot", "admin")) as client:
        trainer = platform.headers("e2e-trainer-tom", "trainer")
        body = {"title_en": "Go", "sessions": 3, "weekly_effort_hours": 2, "rules": {"capacity": 1}}
        invalid = await client.post(f"{enrolment}/courses", json=body, headers=trainer)
        assert invalid.status_code == 422
        assert invalid.json()["detail"][0]["loc"] == ["body", "rules", "capacity"]
        too_short = await client.post(
            f"{enrolment}/courses", json={**body, "sessions": 2, "rules": {}}, headers=trainer
        )
        assert too_short.status_code == 422
        assert too_short.json()["detail"][0]["loc"] == ["body", "sessions"]

        unknown = await client.post(f"{enrolment}/courses/nope/applications", json={"person_id": "anna"})
        assert unknown.status_code == 404
        assert "nope" in unknown.json()["detail"]

        course_id = (await open_course(client, platform, "Go", capacity=2))["id"]
        bad_locale = await client.post(
            f"{enrolment}/courses/{course_id}/applications", json={"person_id": "anna", "locale": "de"}
        )
        assert bad_locale.status_code == 422
        assert bad_locale.json()["detail"][0]["loc"] == ["body", "locale"]

        first = await client.post(f"{enrolment}/courses/{course_id}/applications", json={"person_id": "gleb"})
        again = await client.post(f"{enrolment}/courses/{course_id}/applications", json={"person_id": "gleb"})
        assert first.status_code == 201
        assert again.status_code == 409
        assert again.json()["status"] == "enrolled"
        assert again.json()["application_id"] == first.json()["application_id"]
        course = (await client.get(f"{enrolment}/courses/{course_id}")).json()
        assert course["cohorts"][0]["enrolled"] == 1
        assert course["waitlist_length"] == 0


async def test_the_correlation_id_of_a_request_travels_with_every_event_it_causes(platform: Platform) -> None:
    enrolment = platform.url("enrolment")
    async with httpx.AsyncClient(timeout=10, headers=platform.headers("hr-robot", "admin")) as client:
        course_id = (await open_course(client, platform, "SQL", capacity=3))["id"]
        answer = await client.post(
            f"{enrolment}/courses/{course_id}/applications",
            json={"person_id": "zoya", "locale": "en"},
            headers={"X-Correlation-ID": "trace-zoya-1"},
        )
        assert answer.headers["x-correlation-id"] == "trace-zoya-1"

    def about_zoya(records: list[Any]) -> list[Any]:
        return [r for r in records if r.value and json.loads(r.value).get("person_id") == "zoya"]

    enrolled = about_zoya(
        await read_topic(platform.servers.kafka_bootstrap, platform.topic_prefix + ENROLMENT_TOPIC, at_least=1)
    )
    assert [header(r, "ce_correlationid") for r in enrolled] == ["trace-zoya-1"]
    awarded = await eventually(
        lambda: read_topic(platform.servers.kafka_bootstrap, platform.topic_prefix + GAMIFICATION_TOPIC, at_least=1),
        lambda records: len(about_zoya(records)) == 1,
    )
    assert [header(r, "ce_correlationid") for r in about_zoya(awarded)] == ["trace-zoya-1"]
