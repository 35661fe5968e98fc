"""The formats, achievements, preferences, course management and report pages against answering fakes."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from portal.entrypoints.pages_achievements import preference_field, preferences_body, preferences_form
from portal.entrypoints.pages_formats import aware, by_track, in_zone
from portal.tests.test_pages import Fakes, portal_over, sign_in

PNG = b"\x89PNG\r\n\x1a\nfake"
PREFERENCES = {
    "time_zone": "Europe/Moscow",
    "channels": {"enrolment": ["email", "inapp"], "privacy": ["email"]},
    "quiet_hours": {"start": "21:00:00", "end": "08:00:00", "enabled": True},
    "digests": {"enrolment": {"frequency": "immediate", "hour": 9, "weekday": 0}},
    "critical_categories": ["privacy"],
}
CONFERENCE = {
    "id": "conf-1", "title": "Owlery Conf", "starts_on": "2030-03-01", "ends_on": "2030-03-02",
    "time_zone": "Europe/Moscow", "tracks": ["QA", "Data"], "rooms": [{"name": "A", "capacity": 10, "url": None}],
    "committee_ids": ["demo-anna"], "chair_id": "demo-anna", "status": "call_open",
    "criteria": ["relevance", "novelty", "clarity"],
    "proposals": [{"id": "p1", "speaker_id": "demo-tom", "title": "Fuzzing", "abstract": "", "level": "beginner",
                   "language": "en", "competencies": [], "scored_by": 1, "my_score_given": True,
                   "decision": "accepted", "message": None, "scheduled": False}],
    "programme": [],
}  # fmt: skip


class FormatFakes(Fakes):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host, path, method = request.url.host, request.url.path, request.method
        body = json.loads(request.content) if request.content and host != "issuer.test" else None
        if host in ("enrolment.test", "gamification.test", "notifications.test", "mentoring.test"):
            self.sent.append((method, path, body))
        if host == "enrolment.test":
            if path == "/reports/courses/c1/charts/participation.png":
                assert request.headers["authorization"].startswith("Bearer ")
                return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
            if path == "/courses" and method == "POST":
                return httpx.Response(
                    422,
                    json={"detail": [{"loc": ["body", "sessions"], "msg": "Input should be >= 3", "type": "x"}]},
                )
            if path == "/conferences/conf-1":
                return httpx.Response(200, json=CONFERENCE)
            if path == "/conferences/conf-1/proposals/p1/slot":
                return httpx.Response(409, json={"detail": "the speaker is elsewhere then", "field": "speaker_id"})
        if host == "notifications.test" and path.endswith("/notification-preferences"):
            if method == "PUT":
                return httpx.Response(422, json={"detail": "time_zone: unknown", "field": "time_zone"})
            return httpx.Response(200, json=PREFERENCES)
        if host == "gamification.test" and path == "/people/demo-anna/badges/a1/credential":
            return httpx.Response(
                200, json={"award_id": "a1", "credential": "h.p.s", "media_type": "application/vc+jwt"}
            )
        return super().__call__(request)


@pytest.fixture
def fakes() -> FormatFakes:
    return FormatFakes()


@pytest_asyncio.fixture
async def browser(fakes: FormatFakes) -> AsyncIterator[httpx.AsyncClient]:
    async with portal_over(fakes) as client:
        yield client


async def test_a_chart_is_passed_through_with_the_persons_token(browser: httpx.AsyncClient, fakes: FormatFakes) -> None:
    await sign_in(browser, fakes)
    image = await browser.get("/reports/charts/courses/c1/participation.png")
    assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/png", PNG)


async def test_a_refused_proposal_keeps_what_was_typed_and_names_the_field(
    browser: httpx.AsyncClient, fakes: FormatFakes
) -> None:
    await sign_in(browser, fakes)
    answer = await browser.post(
        "/teaching/propose", data={"title_en": "Fuzzing <101>", "sessions": "1", "weekly_effort_hours": "2"}
    )
    assert answer.status_code == 422
    assert 'id="sessions-error"' in answer.text
    assert "A course has from 3 to 12 sessions" in answer.text
    assert 'value="Fuzzing &lt;101&gt;"' in answer.text
    posted = next(body for method, path, body in fakes.sent if (method, path) == ("POST", "/courses"))
    assert (posted["sessions"], posted["title_en"]) == (1, "Fuzzing <101>")


async def test_a_clash_in_the_schedule_shows_beside_the_start(browser: httpx.AsyncClient, fakes: FormatFakes) -> None:
    await sign_in(browser, fakes)
    form = {
        "slot-p1-track": "QA",
        "slot-p1-room": "A",
        "slot-p1-starts_at": "2030-03-01T10:00",
        "slot-p1-duration_minutes": "45",
    }
    answer = await browser.post("/conferences/conf-1/proposals/p1/slot", data=form)
    assert answer.status_code == 409
    assert 'id="slot-p1-starts_at-error"' in answer.text
    assert 'value="2030-03-01T10:00"' in answer.text
    placed = next(body for method, path, body in fakes.sent if method == "PUT")
    assert placed["starts_at"] == "2030-03-01T10:00:00+03:00"
    assert "demo-tom" not in answer.text.split('id="committee"')[1]  # blind: the speaker is not named


async def test_preferences_refused_by_field_and_the_credential_downloaded(
    browser: httpx.AsyncClient, fakes: FormatFakes
) -> None:
    await sign_in(browser, fakes)
    page = await browser.get("/preferences")
    assert page.status_code == 200
    assert 'id="channel-privacy-email" name="channel-privacy-email" value="on" checked' in page.text
    answer = await browser.post(
        "/preferences", data={"time_zone": "Mars/Base", "quiet_start": "22:30", "quiet_end": "07:00"}
    )
    assert answer.status_code == 422
    assert 'id="time_zone-error"' in answer.text and 'value="Mars/Base"' in answer.text
    credential = await browser.get("/achievements/badges/a1/credential")
    assert credential.text == "h.p.s"
    assert credential.headers["content-disposition"] == 'attachment; filename="owlery-badge-a1.jwt"'


def test_view_logic() -> None:
    assert preference_field("channels.privacy") == "channels-privacy"
    assert preference_field("quiet_hours") == "quiet_start"
    values = preferences_form(PREFERENCES)
    assert values["quiet_start"] == "21:00" and values["channel-enrolment-inapp"] == "on"
    body = preferences_body({**values, "digest-enrolment": "daily"}, PREFERENCES)
    assert body["channels"] == {"enrolment": ["inapp", "email"], "privacy": ["email"]}
    assert body["digests"]["enrolment"] == {"frequency": "daily", "hour": 9, "weekday": 0}
    assert aware("2030-03-01T10:00", "Europe/Moscow") == "2030-03-01T10:00:00+03:00"
    assert aware("soon", "Europe/Moscow") == "soon"
    talks = [
        {"track": "Data", "starts_at": "2030-03-01T09:00"},
        {"track": "QA", "starts_at": "2030-03-01T11:00"},
        {"track": "QA", "starts_at": "2030-03-01T10:00"},
    ]
    ordered = by_track({"tracks": ["QA", "Data"], "programme": talks, "time_zone": "Europe/Moscow"})
    assert [(track, [t["local_start"][-5:] for t in items]) for track, items in ordered] == [
        ("QA", ["10:00", "11:00"]),
        ("Data", ["09:00"]),
    ]
    assert in_zone("2030-03-01T07:00:00+00:00", "Europe/Moscow") == "2030-03-01 10:00"
