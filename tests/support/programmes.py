"""A mentoring programme open for people to join, for cross-service tests that need one."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.platform import Platform


def programme_terms(**overrides: Any) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return {
        "format": "one_to_one",
        "topics": ["ai tools"],
        "enrolment_opens": today.isoformat(),
        "enrolment_closes": (today + timedelta(days=14)).isoformat(),
        "starts": today.isoformat(),
        "duration_weeks": 12,
        "cadence_days": 14,
        "rules_text": "Confidentiality, an equal dialogue, the right to make mistakes",
        **overrides,
    }


def mentor_profile(*topics: str) -> dict[str, Any]:
    return {"competencies": dict.fromkeys(topics or ("ai tools",), 4), "topics": list(topics or ("ai tools",))}


async def open_programme(
    client: httpx.AsyncClient, platform: Platform, curator: dict[str, str], title: str, kind: str = "reverse"
) -> dict[str, Any]:
    """A programme created by `curator` (its curator from then on) and opened for nominations."""
    url = platform.url("mentoring")
    body = {"title": title, "kind": kind, "terms": programme_terms()}
    created = await client.post(f"{url}/programmes", json=body, headers=curator)
    assert created.status_code == 201, created.text
    programme: dict[str, Any] = created.json()
    opened = await client.post(f"{url}/programmes/{programme['id']}/stage", json={"stage": "open"}, headers=curator)
    assert opened.status_code == 200, opened.text
    return programme
