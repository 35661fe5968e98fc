"""Who may call which mentoring endpoint, checked route by route against the real servers."""

import httpx
import pytest

from mentoring.bootstrap import bootstrap
from mentoring.config import MentoringSettings
from mentoring.entrypoints.http import create_app
from shared.auth.testing import Call, Example, TestIssuer, about, authorization_matrix
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated


@pytest.mark.infra
async def test_authorisation_matrix(servers: Servers) -> None:
    settings = isolated(MentoringSettings, servers, "mentoring")
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    setup = issuer.headers("setup-curator", "curator")

    async def new_programme() -> str:
        answer = await client.post("/programmes", json={"title": "Reverse mentoring", "kind": "reverse"}, headers=setup)
        assert answer.status_code == 201, answer.text
        programme_id: str = answer.json()["id"]
        return programme_id

    async def get_programme(owner: str) -> Call:
        return Call("GET", f"/programmes/{await new_programme()}", missing_path="/programmes/does-not-exist")

    async def register(owner: str) -> Call:
        body = {"person_id": owner, "role": "mentee", "locale": "ru"}
        path = f"/programmes/{await new_programme()}/participants"
        return Call("POST", path, body, missing_path="/programmes/does-not-exist/participants")

    examples: dict[str, Example] = {
        "POST /programmes": about("POST", "/programmes", {"title": "Peer mentoring", "kind": "peer"}),
        "GET /programmes/{programme_id}": get_programme,
        "POST /programmes/{programme_id}/participants": register,
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []
