"""Who may call which notifications endpoint, checked route by route against the real servers.

Nothing over HTTP creates data here: a fresh person has an empty inbox, which is theirs to read.
"""

import httpx
import pytest

from notifications.bootstrap import bootstrap
from notifications.config import NotificationsSettings
from notifications.entrypoints.http import create_app
from shared.auth.testing import Example, TestIssuer, about, authorization_matrix
from shared.persistence.mongo import connect
from tests.support.infra import Servers, isolated


@pytest.mark.infra
async def test_authorisation_matrix(servers: Servers) -> None:
    settings = isolated(NotificationsSettings, servers, "notifications")
    service = bootstrap(settings)
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    examples: dict[str, Example] = {
        "GET /people/{person_id}/inbox": about("GET", "/people/{person}/inbox"),
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []
