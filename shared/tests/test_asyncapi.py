"""The AsyncAPI documents: valid AsyncAPI 3.0.0, complete, with examples their contracts accept (issue 12)."""

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shared.contracts.asyncapi import (
    RESTRICTED_SUFFIX,
    catalogue_document,
    example_headers,
    example_of,
    headers_schema,
    owner_of,
    published_by,
    render_html,
    service_document,
)
from shared.contracts.base import IntegrationEvent, all_contracts
from shared.contracts.catalogue import ASYNCAPI_FILE, SCHEMA_DIR, main, render
from shared.contracts.gamification import RESTRICTED_TOPIC as GAMIFICATION_RESTRICTED
from shared.contracts.mentoring import RESTRICTED_TOPIC as MENTORING_RESTRICTED

ASYNCAPI_SCHEMA = Path(__file__).parents[1] / "contracts" / "asyncapi-schema" / "asyncapi-3.0.0.json"
SERVICES = ("enrolment", "mentoring", "gamification", "notifications", "directory")
CONTRACTS = all_contracts()


@cache
def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text()))


@cache
def catalogue() -> dict[str, Any]:
    return catalogue_document()


def assert_valid_asyncapi(document: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator().iter_errors(document)]
    assert errors == []
    assert_refs_resolve(document, document)


def assert_refs_resolve(node: Any, document: dict[str, Any]) -> None:
    """AsyncAPI's schema does not follow `$ref`s: every one must point at something in the document."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            target: Any = document
            for step in node["$ref"].removeprefix("#/").split("/"):
                assert isinstance(target, dict)
                assert step in target, node["$ref"]
                target = target[step]
        for value in node.values():
            assert_refs_resolve(value, document)
    elif isinstance(node, list):
        for value in node:
            assert_refs_resolve(value, document)


def operation_types(document: dict[str, Any], action: str) -> set[str]:
    return {
        message["$ref"].rsplit("/", 1)[-1]
        for operation in document["operations"].values()
        if operation["action"] == action
        for message in operation["messages"]
    }


def test_the_vendored_schema_is_asyncapi_3_0_0_and_rejects_a_wrong_document() -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    assert schema["properties"]["asyncapi"]["const"] == "3.0.0"
    broken = json.loads(json.dumps(catalogue()))
    broken["operations"]["send_owlery.enrolment.events"]["action"] = "publish"  # AsyncAPI 2's word
    assert not validator().is_valid(broken)


def test_the_catalogue_is_valid_asyncapi_3_and_lists_every_contract() -> None:
    document = catalogue()
    assert_valid_asyncapi(document)
    messages = document["components"]["messages"]
    assert sorted(messages) == sorted(contract.ce_type for contract in CONTRACTS)
    assert operation_types(document, "send") == set(messages)
    for contract in CONTRACTS:
        message = messages[contract.ce_type]
        assert message["name"] == message["x-owlery-ce-type"] == contract.ce_type
        assert message["x-owlery-owner"] == owner_of(contract)
        assert message["x-owlery-topic"] == contract.topic
        assert message["x-owlery-key"] == message["bindings"]["kafka"]["x-owlery-key-field"] == contract.key_field
        assert contract.ce_type in document["channels"][contract.topic]["messages"]
        assert document["components"]["schemas"][contract.ce_type] == contract.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )


def test_channels_are_the_unprefixed_topics_and_restricted_ones_are_marked() -> None:
    channels = catalogue()["channels"]
    assert sorted(channels) == sorted({contract.topic for contract in CONTRACTS})
    restricted = {name for name, channel in channels.items() if channel.get("x-owlery-restricted")}
    assert restricted == {GAMIFICATION_RESTRICTED, MENTORING_RESTRICTED}
    assert all(name.endswith(RESTRICTED_SUFFIX) for name in restricted)
    for name, channel in channels.items():
        assert channel["address"] == channel["bindings"]["kafka"]["topic"] == name
        assert ("RESTRICTED" in channel["description"]) == (name in restricted)
    for message in catalogue()["components"]["messages"].values():
        assert message.get("x-owlery-restricted", False) == (message["x-owlery-topic"] in restricted)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.ce_type)
def test_each_example_is_accepted_by_its_contract_and_schema(contract: type[IntegrationEvent]) -> None:
    example = catalogue()["components"]["messages"][contract.ce_type]["examples"][0]
    assert contract.model_validate(example["payload"]).model_dump(mode="json") == example["payload"]
    jsonschema.Draft202012Validator(contract.model_json_schema()).validate(example["payload"])
    jsonschema.Draft202012Validator(headers_schema(contract)).validate(example["headers"])
    assert example["headers"]["ce_type"] == contract.ce_type
    assert example["headers"]["ce_subject"] == str(example["payload"][contract.key_field])
    assert example == {**example, "payload": example_of(contract)}  # the same every time
    assert example["headers"] == example_headers(contract, example["payload"])


def test_the_committed_catalogue_is_up_to_date_and_check_fails_on_a_stale_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ASYNCAPI_FILE.read_text() == render(catalogue())
    stale = tmp_path / "asyncapi.json"
    stale.write_text(render({**catalogue(), "channels": {}}))

    assert main(["check", "--dir", str(SCHEMA_DIR), "--asyncapi", str(stale)]) == 1
    assert "OUT OF DATE asyncapi.json" in capsys.readouterr().err
    assert main(["check", "--dir", str(SCHEMA_DIR), "--asyncapi", str(tmp_path / "missing.json")]) == 1


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_document_is_valid_and_lists_what_it_publishes_and_consumes(service: str) -> None:
    # What the service consumes comes from its consumer at run time (tests/test_asyncapi.py); any set will do here.
    consumed = {contract.ce_type for contract in CONTRACTS if contract.topic.startswith("owlery.directory")}
    document = service_document(service, consumed, topic_prefix="acme.", consumer_group=f"{service}-group")
    assert_valid_asyncapi(document)
    published = {contract.ce_type for contract in published_by(service)}
    assert published == {contract.ce_type for contract in CONTRACTS if contract.ce_type.split(".")[2] == service}
    assert operation_types(document, "send") == published
    assert operation_types(document, "receive") == consumed
    assert set(document["components"]["messages"]) == published | consumed
    for channel in document["channels"].values():
        assert not channel["address"].startswith("acme.")
        assert channel["x-owlery-prefixed-topic"] == "acme." + channel["address"]
    for operation in document["operations"].values():
        if operation["action"] == "receive":
            assert operation["bindings"]["kafka"]["groupId"]["const"] == f"{service}-group"


def test_the_html_page_is_self_contained_and_names_every_event_type() -> None:
    page = render_html(catalogue())
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    assert "src=" not in page
    assert "<link" not in page  # no asset from elsewhere: the page works offline
    for contract in CONTRACTS:
        assert f"id='{contract.ce_type}'" in page
    assert page.count("<span class='tag restricted'>restricted</span>") >= 2
