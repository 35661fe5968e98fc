"""Courses through the enrolment API as people make them: a trainer proposes, a curator approves and opens a cohort."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.platform import Platform

TRAINER, CURATOR = "e2e-trainer-tom", "e2e-curator-irina"


async def open_course(
    client: httpx.AsyncClient, platform: Platform, title: str, capacity: int = 7, sessions: int = 3, **rules: Any
) -> dict[str, Any]:
    """A published course with one cohort starting in two weeks; the course as GET /courses/{id} shows it."""
    enrolment = platform.url("enrolment")
    trainer, curator = platform.headers(TRAINER, "trainer"), platform.headers(CURATOR, "curator")
    body = {"title_ru": title, "sessions": sessions, "weekly_effort_hours": 2, "rules": {"capacity": capacity, **rules}}
    proposed = await client.post(f"{enrolment}/courses", json=body, headers=trainer)
    assert proposed.status_code == 201, proposed.text
    course_id = proposed.json()["id"]
    approved = await client.post(
        f"{enrolment}/courses/{course_id}/reviews", json={"verdict": "approved"}, headers=curator
    )
    assert approved.status_code == 200, approved.text
    start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    slot = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
    opened = await client.post(f"{enrolment}/courses/{course_id}/cohorts", json=slot, headers=curator)
    assert opened.status_code == 201, opened.text
    course: dict[str, Any] = opened.json()
    return course
