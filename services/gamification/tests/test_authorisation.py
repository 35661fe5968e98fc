"""Who may call which gamification endpoint, checked route by route against the real servers.

Nothing over HTTP creates data here: a fresh person has an empty ledger, which is theirs to read.
"""

import uuid
from typing import Any

import httpx
import pytest

from gamification.bootstrap import bootstrap
from gamification.config import GamificationSettings
from gamification.entrypoints.http import create_app
from shared.auth.testing import Call, Example, TestIssuer, authorization_matrix
from shared.persistence.mongo import connect
from tests.support.infra import Servers


def settings_for(servers: Servers) -> GamificationSettings:
    """The session's servers, isolated by a fresh database, topic prefix and consumer group."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    return GamificationSettings(
        mongodb_url=servers.mongodb_url,
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_database=f"owlery_gamification_{name}",
        topic_prefix=f"{name}.",
        consumer_group=f"gamification_{name}",
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
    examples: dict[str, Example] = {
        "GET /people/{person_id}/points": about("GET", "/people/{person}/points"),
        "GET /privacy/people/{person_id}": about("GET", "/privacy/people/{person}"),
        "GET /privacy/audit": about("GET", "/privacy/audit?subject_id={person}"),
        "GET /health/live": about("GET", "/health/live"),
        "GET /health/ready": about("GET", "/health/ready"),
    }
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gamification") as client,
        ):
            problems = await authorization_matrix(client, app, issuer, examples)
    finally:
        cleanup = connect(settings.mongodb_url)
        await cleanup.drop_database(settings.mongodb_database)
        await cleanup.close()
    assert problems == []
