"""The curators' list of streams awaiting a decision and the list of conferences, over HTTP on the real servers."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from enrolment.tests.test_master_classes_on_real_servers import Running, running
from tests.support.infra import Servers, unique

pytestmark = pytest.mark.infra

TRAINER, CURATOR = ("trainer-1", "trainer"), ("curator-1", "curator")


@pytest.fixture
async def svc(servers: Servers) -> AsyncIterator[Running]:
    async for service in running(servers, approval=False):
        yield service


async def ok(svc: Running, method: str, path: str, who: tuple[str, ...], json: Any = None) -> dict[str, Any]:
    answer = await svc.call(method, path, svc.as_(*who), json)
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    return body


async def published(svc: Running, title: str) -> str:
    """A published course with one cohort of two seats, two weeks from now."""
    body = {"title_en": title, "title_ru": f"{title} (ru)", "sessions": 3, "weekly_effort_hours": 2}
    course_id = str((await ok(svc, "POST", "/courses", TRAINER, {**body, "rules": {"capacity": 2}}))["id"])
    await ok(svc, "POST", f"/courses/{course_id}/reviews", CURATOR, {"verdict": "approved"})
    start = (svc.now[0] + timedelta(days=14)).date().isoformat()
    cohort = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
    await ok(svc, "POST", f"/courses/{course_id}/cohorts", CURATOR, cohort)
    return course_id


async def applied(svc: Running, course_id: str, people: int) -> None:
    for _ in range(people):
        person = unique("emp")
        await ok(svc, "POST", f"/courses/{course_id}/applications", (person,), {"person_id": person})


async def test_curators_list_the_streams_awaiting_them_longest_waitlist_first(svc: Running) -> None:
    quiet = await published(svc, "Nobody waits")
    shorter = await published(svc, "SQL basics")
    longer = await published(svc, "Kafka in practice")
    await applied(svc, quiet, 2)  # full, nobody waiting: no stream
    await applied(svc, shorter, 4)  # two seated, two waiting: a stream of two is proposed
    await applied(svc, longer, 5)  # three waiting

    listed = await ok(svc, "GET", "/courses/stream-proposals", CURATOR)

    assert [(item["course_id"], item["title_en"], item["waitlist_length"]) for item in listed["items"]] == [
        (longer, "Kafka in practice", 3),
        (shorter, "SQL basics", 2),
    ]
    assert listed["total"] == 2
    first = listed["items"][0]["proposal"]
    single = await ok(svc, "GET", f"/courses/{longer}/stream-proposal", CURATOR)
    assert first == single and first["open"] and len(first["member_ids"]) == 2
    assert listed["items"][0]["title_ru"] == "Kafka in practice (ru)"


async def test_a_decided_stream_leaves_the_list(svc: Running) -> None:
    course_id = await published(svc, "Pytest at scale")
    await applied(svc, course_id, 4)
    [item] = (await ok(svc, "GET", "/courses/stream-proposals", CURATOR))["items"]

    decision = {"accept": False}
    await ok(
        svc,
        "POST",
        f"/courses/{course_id}/stream-proposals/{item['proposal']['proposal_id']}/decision",
        CURATOR,
        decision,
    )

    assert (await ok(svc, "GET", "/courses/stream-proposals", ("admin-1", "admin")))["items"] == []


async def test_only_curators_and_admins_list_the_streams(svc: Running) -> None:
    for who in (("emp-anna",), TRAINER, ("hr-olga", "hr_admin")):
        answer = await svc.call("GET", "/courses/stream-proposals", svc.as_(*who))
        assert answer.status_code == 403, (who, answer.text)
    assert (await svc.call("GET", "/courses/stream-proposals", {})).status_code == 401


def plan(svc: Running, title: str, in_days: int, chair: str) -> dict[str, Any]:
    first = (svc.now[0] + timedelta(days=in_days)).date()
    return {
        "title": title,
        "starts_on": first.isoformat(),
        "ends_on": (first + timedelta(days=1)).isoformat(),
        "time_zone": "Europe/Moscow",
        "tracks": ["backend"],
        "rooms": [{"name": "Hall", "capacity": 30}],
        "committee_ids": [chair],
        "chair_id": chair,
    }


async def test_every_employee_lists_conferences_coming_soonest_first_then_past_newest_first(svc: Running) -> None:
    chair = unique("chair")
    ids = {}
    for title, in_days in (("Later", 40), ("Long ago", -60), ("Soon", 5), ("Last month", -30), ("Today", -1)):
        created = await ok(svc, "POST", "/conferences", (chair, "curator"), plan(svc, title, in_days, chair))
        ids[title] = created["id"]
    soon = f"/conferences/{ids['Soon']}"
    talk = {"title": "Outbox on FerretDB", "level": "intermediate"}
    proposal = await ok(svc, "POST", f"{soon}/proposals", ("emp-ann",), talk)
    await ok(svc, "POST", f"{soon}/proposals/{proposal['id']}/decision", (chair,), {"accept": True, "message": "Yes"})
    first_day = (svc.now[0] + timedelta(days=5)).date().isoformat()
    slot = {"track": "backend", "room": "Hall", "starts_at": f"{first_day}T10:00:00+03:00", "duration_minutes": 45}
    await ok(svc, "PUT", f"{soon}/proposals/{proposal['id']}/slot", (chair,), slot)
    await ok(svc, "POST", f"{soon}/programme", (chair,))

    listed = await ok(svc, "GET", "/conferences", ("emp-bob",))

    assert [item["title"] for item in listed["items"]] == ["Today", "Soon", "Later", "Last month", "Long ago"]
    assert listed["total"] == 5
    by_title = {item["title"]: item for item in listed["items"]}
    assert by_title["Soon"]["status"] == "published" and by_title["Later"]["status"] == "call_open"
    assert [item["past"] for item in listed["items"]] == [False, False, False, True, True]
    assert not any(item["i_am_on_committee"] or item["i_chair"] for item in listed["items"])
    assert "proposals" not in by_title["Soon"]  # a headline: nobody's talk ideas in the list

    as_chair = await ok(svc, "GET", "/conferences?limit=2&offset=1", (chair, "curator"))
    assert [item["title"] for item in as_chair["items"]] == ["Soon", "Later"]
    assert as_chair["total"] == 5 and all(item["i_chair"] for item in as_chair["items"])


async def test_listing_conferences_needs_a_sign_in_and_sane_paging(svc: Running) -> None:
    assert (await svc.call("GET", "/conferences", {})).status_code == 401
    answer = await svc.call("GET", "/conferences?limit=0", svc.as_("emp-bob"))
    assert answer.status_code == 422 and "limit" in answer.text, answer.text


async def test_a_card_written_before_the_flag_existed_gets_it_at_start(svc: Running) -> None:
    course_id = await published(svc, "Legacy card")
    await applied(svc, course_id, 4)  # a stream of two is proposed
    catalogue = svc.service.courses.catalogue
    await catalogue.update_one({"_id": course_id}, {"$unset": {"stream_proposal_open": ""}})
    assert (await ok(svc, "GET", "/courses/stream-proposals", CURATOR))["items"] == []  # as an old card was

    await svc.service.courses.ensure_indexes()  # what a start runs

    assert [item["course_id"] for item in (await ok(svc, "GET", "/courses/stream-proposals", CURATOR))["items"]] == [
        course_id
    ]
