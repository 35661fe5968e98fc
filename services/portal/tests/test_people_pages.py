"""HR's import history and one run's problems, and times on the person's own clock, against answering fakes."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from portal.tests.test_pages import Fakes, portal_over, sign_in

RUNS = [
    {"id": "imp-2", "started_at": "2030-01-02T12:00:00Z", "finished_at": "2030-01-02T12:00:01Z",
     "started_by": "demo-olga", "source": "csv", "outcome": "rejected", "created": 0, "updated": 0,
     "unchanged": 0, "refused": 1, "errors_total": 1},
    {"id": "imp-1", "started_at": "2030-01-01T08:00:00Z", "finished_at": "2030-01-01T08:00:01Z",
     "started_by": "cli", "source": "cli", "outcome": "imported", "created": 2, "updated": 0,
     "unchanged": 0, "refused": 0, "errors_total": 0},
]  # fmt: skip
REJECTED = {
    **RUNS[0],
    "errors": [{"line": 3, "field": "email", "message": "not an email address: 'not-an-email'"}],
    "errors_truncated": False,
    "failure": None,
}


class PeopleFakes(Fakes):
    """The directory also keeps the import history, and says Anna lives in Moscow."""

    def __init__(self) -> None:
        super().__init__()
        self.history_status = 200
        self.history_asked: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "notifications.test" and request.url.path.endswith("/notification-preferences"):
            if request.method == "PUT":
                return httpx.Response(200, json=json.loads(request.content))
            return httpx.Response(200, json={"time_zone": "Europe/Moscow", "channels": {}, "digests": {}})
        if request.url.host != "directory.test":
            return super().__call__(request)
        path = request.url.path
        if path == "/imports":
            self.history_asked.append(dict(request.url.params))
            if self.history_status != 200:
                return httpx.Response(self.history_status, json={"detail": "hr_admin or admin only"})
            return httpx.Response(200, json={"items": RUNS, "total": 12, "offset": 0, "limit": 10})
        if path == "/imports/imp-2":
            return httpx.Response(200, json=REJECTED)
        if path.startswith("/imports/"):
            return httpx.Response(404, json={"detail": "no import run"})
        person = path.rsplit("/", 1)[-1]
        person = "demo-anna" if person == "me" else person
        body: dict[str, Any] = {"id": person, "display_name": f"Name of {person}", "locale": "en"}
        return httpx.Response(200, json={**body, "time_zone": "Europe/Moscow"})


@pytest.fixture
def fakes() -> PeopleFakes:
    return PeopleFakes()


@pytest_asyncio.fixture
async def browser(fakes: PeopleFakes) -> AsyncIterator[httpx.AsyncClient]:
    async with portal_over(fakes) as client:
        yield client


async def test_the_hr_desk_lists_import_runs_newest_first_with_who_and_counts(
    browser: httpx.AsyncClient, fakes: PeopleFakes
) -> None:
    await sign_in(browser, fakes)
    page = await browser.get("/hr")
    assert page.status_code == 200
    rows = page.text.split('data-testid="import-run"')[1:]
    assert len(rows) == 2
    assert 'href="/hr/imports/imp-2"' in rows[0] and "Name of demo-olga" in rows[0]
    assert "Refused, nothing imported" in rows[0] and "Jan 2, 2030, 3:00 PM (UTC+3)" in rows[0]  # Moscow time
    assert "Command line" in rows[1] and "Imported" in rows[1]
    assert 'href="/hr?offset=10#history"' in page.text  # 12 runs: an older page
    assert "Times on these pages are in the Europe/Moscow time zone." in page.text
    older = await browser.get("/hr?offset=10")
    assert fakes.history_asked[-1] == {"limit": "10", "offset": "10"}
    assert 'href="/hr?offset=0#history"' in older.text


async def test_one_run_shows_each_bad_line_with_its_field(browser: httpx.AsyncClient, fakes: PeopleFakes) -> None:
    await sign_in(browser, fakes)
    page = await browser.get("/hr/imports/imp-2")
    assert page.status_code == 200
    errors = page.text.split('data-testid="import-error"')[1:]
    assert len(errors) == 1
    assert "<td>3</td><td>email</td>" in errors[0] and "not-an-email" in errors[0]
    assert (await browser.get("/hr/imports/imp-404")).status_code == 404


async def test_someone_not_in_hr_is_told_the_history_is_not_theirs(
    browser: httpx.AsyncClient, fakes: PeopleFakes
) -> None:
    fakes.history_status = 403
    await sign_in(browser, fakes)
    page = await browser.get("/hr")
    assert page.status_code == 200
    assert "The import history is for HR administrators and administrators." in page.text
    assert 'data-testid="import-run"' not in page.text


async def test_a_session_time_is_shown_on_the_persons_clock(browser: httpx.AsyncClient, fakes: PeopleFakes) -> None:
    await sign_in(browser, fakes)
    course = await browser.get("/courses/c1")
    assert '<time datetime="2030-01-02T12:00:00Z">Jan 2, 2030, 3:00 PM (UTC+3)</time>' in course.text
    await browser.post("/language", data={"lang": "ru", "next": "/courses/c1"})
    russian = await browser.get("/courses/c1")
    assert '<time datetime="2030-01-02T12:00:00Z">02.01.2030 15:00 (UTC+3)</time>' in russian.text
    assert "Время на страницах указано по часовому поясу Europe/Moscow." in russian.text


async def test_a_zone_saved_in_the_preferences_is_the_clock_from_then_on(
    browser: httpx.AsyncClient, fakes: PeopleFakes
) -> None:
    await sign_in(browser, fakes)
    saved = await browser.post("/preferences", data={"time_zone": "America/New_York", "quiet_start": "21:00"})
    assert (saved.status_code, saved.headers["location"]) == (303, "/preferences?saved=1")
    course = await browser.get("/courses/c1")
    assert '<time datetime="2030-01-02T12:00:00Z">Jan 2, 2030, 7:00 AM (UTC\u22125)</time>' in course.text
    assert "Times on these pages are in the America/New_York time zone." in course.text
