"""Every service serves its AsyncAPI document and page over HTTP, without a token (issue 12).

Each app is built in-process from its real bootstrap, so the document lists what the service's consumer
really registered; no server is needed (nothing connects until the lifespan starts, which these don't).
"""

import importlib
import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from gamification.bootstrap import bootstrap as gamification_bootstrap
from gamification.config import GamificationSettings
from gamification.entrypoints.http import create_app as gamification_app
from shared.contracts.asyncapi import published_by
from shared.contracts.base import contract_for

ASYNCAPI_SCHEMA = Path(__file__).parents[1] / "shared" / "contracts" / "asyncapi-schema" / "asyncapi-3.0.0.json"
SERVICES = ("enrolment", "mentoring", "gamification", "notifications", "directory")


def types_of(document: dict[str, Any], action: str) -> set[str]:
    return {
        message["$ref"].rsplit("/", 1)[-1]
        for operation in document["operations"].values()
        if operation["action"] == action
        for message in operation["messages"]
    }


@pytest.mark.parametrize("name", SERVICES)
async def test_the_service_serves_its_asyncapi_document_and_page_to_anyone(name: str) -> None:
    service = importlib.import_module(f"{name}.bootstrap").bootstrap()
    app = importlib.import_module(f"{name}.entrypoints.http").create_app(service)
    runtime = service.runtime
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}") as client:
            answer = await client.get("/asyncapi.json")
            page = await client.get("/asyncapi")
    finally:
        await runtime.client.close()

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    validator = jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text()))
    assert [error.message for error in validator.iter_errors(document)] == []
    published = {contract.ce_type for contract in published_by(name)}
    consumed = set(runtime.consumer.handled_types)
    assert types_of(document, "send") == published
    assert types_of(document, "receive") == consumed
    consumed_topics = {runtime.settings.topic_prefix + contract_for(t).topic for t in consumed}  # type: ignore[union-attr]
    assert consumed_topics == set(runtime.consumer.topics)
    assert "/asyncapi.json" not in app.openapi()["paths"]

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for ce_type in published | consumed:
        assert ce_type in page.text


async def test_the_document_names_unprefixed_topics_and_this_deployment_s_prefix_and_servers() -> None:
    settings = GamificationSettings(topic_prefix="acme.", kafka_bootstrap_servers="kafka-1:9092,kafka-2:9092")
    service = gamification_bootstrap(settings)
    app = gamification_app(service)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
            document = (await client.get("/asyncapi.json")).json()
    finally:
        await service.runtime.client.close()

    assert document["servers"]["kafka"]["variables"]["bootstrap"]["default"] == "kafka-1:9092,kafka-2:9092"
    for topic, channel in document["channels"].items():
        assert channel["address"] == topic
        assert channel["x-owlery-prefixed-topic"] == f"acme.{topic}"
    assert {"acme." + topic for topic in document["channels"]} >= set(service.runtime.consumer.topics)
    receiving = [op for op in document["operations"].values() if op["action"] == "receive"]
    assert {op["bindings"]["kafka"]["groupId"]["const"] for op in receiving} == {settings.consumer_group}
    restricted = {topic for topic, channel in document["channels"].items() if channel.get("x-owlery-restricted")}
    assert restricted == {"owlery.gamification.restricted", "owlery.mentoring.restricted"}
