"""CloudEvents binary mode: the headers an event carries, and what a consumer reads back or rejects."""

import json
import re
from datetime import datetime
from typing import Any

import pytest

from shared.contracts import all_contracts
from shared.contracts.enrolment import ApplicationEnrolledV1, ApplicationWaitlistedV1
from shared.messaging.cloudevents import MalformedEvent, OutboxEvent, read_envelope

SOURCE = "/owlery/enrolment"


def enrolled() -> ApplicationEnrolledV1:
    return ApplicationEnrolledV1(
        application_id="a1",
        course_id="c1",
        course_title="Python — основы",
        cohort_id="k1",
        person_id="p1",
        locale="ru",
    )


def record(event: OutboxEvent) -> tuple[dict[str, Any], bytes]:
    """What a Kafka consumer sees: header values as bytes, the data as the body."""
    return {name: value.encode() for name, value in event.headers().items()}, event.body()


def test_outbox_event_headers_carry_the_cloudevents_attributes() -> None:
    event = OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="corr-1")

    headers = event.headers()

    assert headers["ce_id"] == event.id
    assert event.id
    assert headers["ce_source"] == SOURCE
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == "com.owlery.enrolment.application.enrolled.v1"
    assert headers["ce_subject"] == "c1"  # the key: the course
    assert headers["content-type"] == "application/json"
    assert headers["ce_correlationid"] == "corr-1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", headers["ce_time"])
    assert datetime.fromisoformat(headers["ce_time"].replace("Z", "+00:00")) == event.time
    assert (event.topic, event.key) == ("owlery.enrolment.events", "c1")


def test_every_outbox_event_gets_its_own_id() -> None:
    first = OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c")
    second = OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c")

    assert first.id != second.id


def test_read_envelope_round_trips_a_record_into_its_contract() -> None:
    event = OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="corr-1")
    headers, body = record(event)

    envelope = read_envelope(headers, body)

    assert envelope is not None
    assert isinstance(envelope.event, ApplicationEnrolledV1)
    assert envelope.event == enrolled()
    assert envelope.id == event.id
    assert envelope.type == "com.owlery.enrolment.application.enrolled.v1"
    assert envelope.source == SOURCE
    assert envelope.subject == "c1"
    assert envelope.time == event.headers()["ce_time"]
    assert envelope.correlation_id == "corr-1"


def test_read_envelope_accepts_text_header_values_too() -> None:
    event = OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="corr-1")

    envelope = read_envelope(event.headers(), event.body())

    assert envelope is not None
    assert envelope.event == enrolled()


@pytest.mark.parametrize("header", ["ce_id", "ce_type", "ce_source"])
def test_a_missing_required_header_is_malformed_and_named(header: str) -> None:
    headers, body = record(OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c"))
    del headers[header]

    with pytest.raises(MalformedEvent, match=header):
        read_envelope(headers, body)


def test_an_empty_ce_id_is_malformed() -> None:
    headers, body = record(OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c"))
    headers["ce_id"] = b""

    with pytest.raises(MalformedEvent, match="ce_id"):
        read_envelope(headers, body)


def test_another_spec_version_is_malformed() -> None:
    headers, body = record(OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c"))
    headers["ce_specversion"] = b"0.3"

    with pytest.raises(MalformedEvent, match="ce_specversion"):
        read_envelope(headers, body)


@pytest.mark.parametrize("body", [b"not json at all", b'{"truncated": ', b"\xff\xfe\x00"])
def test_a_body_that_is_not_json_is_malformed(body: bytes) -> None:
    headers, _ = record(OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c"))

    with pytest.raises(MalformedEvent, match="not JSON"):
        read_envelope(headers, body)


def test_a_schema_failure_names_the_field() -> None:
    headers, _ = record(OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c"))
    data = enrolled().model_dump(mode="json")
    del data["person_id"]

    with pytest.raises(MalformedEvent, match="person_id") as raised:
        read_envelope(headers, json.dumps(data).encode())
    assert "application.enrolled.v1" in str(raised.value)


def test_a_value_out_of_range_names_the_field() -> None:
    event = ApplicationWaitlistedV1(
        application_id="a1", course_id="c1", course_title="t", person_id="p1", locale="en", position=1
    )
    headers, _ = record(OutboxEvent.of(event, source=SOURCE, correlation_id="c"))
    data = {**event.model_dump(mode="json"), "position": 0}

    with pytest.raises(MalformedEvent, match="position"):
        read_envelope(headers, json.dumps(data).encode())


def test_an_extra_field_in_the_body_is_malformed_because_contracts_are_closed() -> None:
    headers, _ = record(OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c"))
    data = {**enrolled().model_dump(mode="json"), "surprise": True}

    with pytest.raises(MalformedEvent, match="surprise"):
        read_envelope(headers, json.dumps(data).encode())


def test_an_unknown_event_type_is_someone_elses_and_reads_as_none() -> None:
    headers, _ = record(OutboxEvent.of(enrolled(), source=SOURCE, correlation_id="c"))
    headers["ce_type"] = b"com.example.billing.invoice.paid.v1"

    assert read_envelope(headers, b"not even json") is None


CONTRACTS = all_contracts()


def test_there_are_contracts_to_check() -> None:
    assert len(CONTRACTS) >= 6


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.ce_type)
def test_every_contract_follows_the_naming_rule_and_keys_on_one_of_its_fields(contract: Any) -> None:
    match = re.fullmatch(r"com\.owlery\.([a-z]+)\.([a-z_]+)\.([a-z_]+)\.v([1-9][0-9]*)", contract.ce_type)
    assert match, contract.ce_type
    service = match.group(1)
    assert isinstance(contract.topic, str)
    assert contract.topic.startswith("owlery.")
    assert contract.key_field in contract.model_fields
    assert contract.__module__ == f"shared.contracts.{service}"
