"""Outcome reports over HTTP from a course seeded on the real MongoDB-wire server.

The scenario and its hand-computed figures are those of `test_reports` (seeded the same way, through the
service layer, here into the real repositories); the service reads them back from its head collections.
"""

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image

from enrolment.bootstrap import Enrolment, bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints.http import create_app
from enrolment.tests.builders import CURATOR, TRAINER
from enrolment.tests.test_reports import (
    EXPECTED_COURSE,
    EXPECTED_DATA,
    EXPECTED_HOMEWORK,
    EXPECTED_SALES,
    EXPECTED_UNKNOWN,
    Seeded,
    seed,
)
from shared.auth.testing import TestIssuer
from shared.persistence.mongo import connect
from shared.reports import CHART_SIZE_PX
from tests.support.infra import Servers, isolated

pytestmark = pytest.mark.infra


@dataclass
class Reports:
    client: httpx.AsyncClient
    issuer: TestIssuer
    service: Enrolment
    seeded: Seeded

    @property
    def path(self) -> str:
        return f"/reports/courses/{self.seeded.course_id}"

    async def get(self, path: str, *roles: str, person: str = "hr-olga") -> httpx.Response:
        return await self.client.get(path, headers=self.issuer.headers(person, *roles))


@pytest.fixture
async def reports(servers: Servers) -> AsyncIterator[Reports]:
    settings = isolated(EnrolmentSettings, servers, "enrolment")
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    try:
        seeded = await seed(service.courses, service.runs)
        service.clock = lambda: seeded.decided_at
        app = create_app(service)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrolment") as client:
            yield Reports(client, issuer, service, seeded)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
        await service.runtime.client.close()


def _numbers(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row's cells as the JSON had them: empty is None, numbers are numbers."""
    parsed: dict[str, Any] = {}
    for key, cell in row.items():
        if cell == "":
            parsed[key] = None
        elif cell.lstrip("-").isdigit():
            parsed[key] = int(cell)
        else:
            try:
                parsed[key] = float(cell)
            except ValueError:
                parsed[key] = cell
    return parsed


def _as_csv(figures: dict[str, Any]) -> dict[str, Any]:
    flat = {key: value for key, value in figures.items() if key != "feedback_distribution"}
    distribution = figures["feedback_distribution"] or {}
    return flat | {f"feedback_{score}": distribution.get(str(score)) for score in range(1, 6)}


async def test_the_json_report_has_the_hand_computed_figures(reports: Reports) -> None:
    answer = await reports.get(reports.path, "hr_admin")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["figures"] == EXPECTED_COURSE
    assert [cohort["figures"] for cohort in body["cohorts"]] == [{**EXPECTED_COURSE, "applied": 8, "waitlisted": 0}]
    assert body["cohorts"][0]["starts_on"] == reports.seeded.starts_on.isoformat()
    assert [(d["department"], d["figures"]) for d in body["departments"]] == [
        ("Data", EXPECTED_DATA),
        ("Sales", EXPECTED_SALES),
        (None, EXPECTED_UNKNOWN),
    ]
    assert {
        row["person_id"]: (row["assigned"], row["handed_in"], row["accepted"], row["acceptance_rate"])
        for row in body["homework_by_person"]
    } == {person: tuple(values) for person, values in EXPECTED_HOMEWORK.items()}

    sales = await reports.get(f"{reports.path}?department=Sales", "hr_admin")
    assert sales.json()["figures"] == EXPECTED_SALES


async def test_the_csv_report_parses_to_the_same_figures(reports: Reports) -> None:
    answer = await reports.get(f"{reports.path}?format=csv", "hr_admin")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = [_numbers(row) for row in csv.DictReader(io.StringIO(answer.text))]
    assert [row["level"] for row in rows] == ["course", "cohort", "department", "department", "department"]
    figure_keys = _as_csv(EXPECTED_COURSE).keys()
    assert {key: rows[0][key] for key in figure_keys} == _as_csv(EXPECTED_COURSE)
    assert {key: rows[2][key] for key in figure_keys} == _as_csv(EXPECTED_DATA)
    assert (rows[2]["department"], rows[4]["department"]) == ("Data", None)


async def test_the_list_of_courses_shows_each_course_in_scope(reports: Reports) -> None:
    every = await reports.get("/reports/courses", "hr_admin")
    assert every.status_code == 200, every.text
    assert [c["figures"] for c in every.json()["courses"]] == [EXPECTED_COURSE]
    curator = await reports.get("/reports/courses", "curator", person=CURATOR)
    assert [c["course_id"] for c in curator.json()["courses"]] == [reports.seeded.course_id]
    stranger = await reports.get("/reports/courses", "curator", person="another-curator")
    assert stranger.status_code == 200 and stranger.json() == {"courses": []}
    as_csv = await reports.get("/reports/courses?format=csv&department=Data", "admin", person="root")
    rows = [_numbers(row) for row in csv.DictReader(io.StringIO(as_csv.text))]
    assert {key: rows[0][key] for key in _as_csv(EXPECTED_DATA)} == _as_csv(EXPECTED_DATA)


@pytest.mark.parametrize("chart", ["participation", "feedback"])
async def test_charts_are_images_of_the_agreed_size(reports: Reports, chart: str) -> None:
    answer = await reports.get(f"{reports.path}/charts/{chart}.png", "trainer", person=TRAINER)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(answer.content))
    assert image.size == CHART_SIZE_PX
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 10  # drawn on, not a blank canvas
    svg = await reports.get(f"{reports.path}/charts/{chart}.svg", "curator", person=CURATOR)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.content.lstrip().startswith(b"<?xml") and b"<svg" in svg.content


async def test_reports_outside_the_callers_scope_are_forbidden(reports: Reports) -> None:
    employee = await reports.get(reports.path, person="p1")
    assert employee.status_code == 403
    assert "needs one of the roles" in employee.json()["detail"]
    other_trainer = await reports.get(reports.path, "trainer", person="another-trainer")
    assert other_trainer.status_code == 403
    assert "trainer of this course or a curator who reviewed it" in other_trainer.json()["detail"]
    chart = await reports.get(f"{reports.path}/charts/feedback.png", "curator", person="another-curator")
    assert chart.status_code == 403
    assert (await reports.get("/reports/courses", person="p1")).status_code == 403


async def test_bad_filters_are_refused_naming_the_field(reports: Reports) -> None:
    cases = {
        "?colour=red": "colour",
        "?from=2026-12-01&to=2026-11-30": "to",
        "?from=yesterday": "from",
        "?format=xlsx": "format",
        "?department=Data&department=Sales": "department",
    }
    for query, field in cases.items():
        answer = await reports.get(reports.path + query, "hr_admin")
        assert answer.status_code == 422, (query, answer.text)
        assert answer.json()["field"] == field, (query, answer.text)
    listed = await reports.get("/reports/courses?colour=red", "hr_admin")
    assert (listed.status_code, listed.json()["field"]) == (422, "colour")
    chart = await reports.get(f"{reports.path}/charts/feedback.png?format=csv", "hr_admin")
    assert (chart.status_code, chart.json()["field"]) == (422, "format")
    for path, field in (
        (f"{reports.path}/charts/funnel.png", "chart"),
        (f"{reports.path}/charts/feedback.gif", "format"),
    ):
        answer = await reports.get(path, "hr_admin")
        assert (answer.status_code, answer.json()["field"]) == (422, field), answer.text


async def test_an_unknown_course_is_not_found(reports: Reports) -> None:
    for path in ("/reports/courses/no-such-course", "/reports/courses/no-such-course/charts/feedback.png"):
        assert (await reports.get(path, "hr_admin")).status_code == 404
        assert (await reports.get(path, "trainer", person=TRAINER)).status_code == 404
