"""Who may call which enrolment endpoint, checked route by route against the real servers."""

import uuid
from typing import Any

import httpx
import pytest

from enrolment.bootstrap import bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints.http import create_app
from shared.auth.testing import Call, Example, TestIssuer, authorization_matrix
from shared.persistence.mongo import connect
from tests.support.infra import Servers


def settings_for(servers: Servers) -> EnrolmentSettings:
    """The session's servers, isolated by a fresh database, topic prefix and consumer group."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    return EnrolmentSettings(
        mongodb_url=servers.mongodb_url,
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_database=f"owlery_enrolment_{name}",
        topic_prefix=f"{name}.",
        consumer_group=f"enrolment_{name}",
    )


def about(method: str, path: str, json: dict[str, Any] | None = None) -> Example:
    """An example whose request needs nothing created first; `{person}` in the path names the owner."""

    async def example(owner: str) -> Call:
        return Call(method, path.format(person=owner), json)

    return example


@pytest.mark.infra
async def test_authorisation_matrix(servers: Servers) -> None:
    settings = settings_for(servers)
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    setup = issuer.headers("setup-admin", "admin")

    async def new_course() -> str:
        answer = await client.post("/courses", json={"title": "Python for analysts", "capacity": 3}, headers=setup)
        assert answer.status_code == 201, answer.text
        course_id: str = answer.json()["id"]
        return course_id

    async def get_course(owner: str) -> Call:
        return Call("GET", f"/courses/{await new_course()}", missing_path="/courses/does-not-exist")

    async def apply(owner: str) -> Call:
        body = {"person_id": owner, "locale": "ru"}
        path = f"/courses/{await new_course()}/applications"
        return Call("POST", path, body, missing_path="/courses/does-not-exist/applications")

    examples: dict[str, Example] = {
        "POST /courses": about("POST", "/courses", {"title": "Excel for everyone", "capacity": 7}),
        "GET /courses": about("GET", "/courses"),
        "GET /courses/{course_id}": get_course,
        "POST /courses/{course_id}/applications": apply,
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://enrolment") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []
