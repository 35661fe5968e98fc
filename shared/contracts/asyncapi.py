"""AsyncAPI 3.0.0 documents of Owlery's events, built from the contracts: one per service, and a merged catalogue.

Built here rather than by FastStream's generator: our outbox relay publishes with `broker.publish` (no
FastStream publisher to describe) and our consumer registers one raw batch subscriber over every topic it
reads, and only when the service starts, so FastStream would list prefixed topics with an empty payload.
The contracts know each event's CloudEvents type, topic, key and JSON Schema; the consumer's registrations
know what a service reads. Pure functions of those: no broker, no database, so the committed catalogue
and the tests build the same document the services serve.
"""

import html
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from shared.contracts.base import IntegrationEvent, all_contracts, contract_for

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
RESTRICTED_SUFFIX = ".restricted"
RESTRICTED_NOTE = (
    "RESTRICTED: these events name the real author of anonymous contributions (helpful comments, solutions) "
    "so that gamification can credit them and the author alone is told. Reading this topic needs the "
    "platform's permission; never join it with the public topics, whose events stay anonymous."
)
EXAMPLE_TIME = "2026-01-15T09:30:00Z"
EXAMPLE_DATE = "2026-01-15"
_EXAMPLE_NAMESPACE = uuid.UUID("6f0b6d2e-3c1a-4f0e-9a51-0c3e2f7d9b10")  # fixed: examples stay deterministic


def owner_of(contract: type[IntegrationEvent]) -> str:
    """The producing service: the second word of `com.owlery.<service>.<entity>.<action>.vN`."""
    return contract.ce_type.split(".")[2]


def published_by(service: str) -> list[type[IntegrationEvent]]:
    return [contract for contract in all_contracts() if owner_of(contract) == service]


def is_restricted(topic: str) -> bool:
    return topic.endswith(RESTRICTED_SUFFIX)


# ------------------------------------------------------------------------------------------------ examples


def example_of(contract: type[IntegrationEvent]) -> dict[str, Any]:
    """A valid body of this event, the same every time: the schema's own examples, else made up from it.

    Validated by the contract itself (a contract-level `examples` in `json_schema_extra` wins), and returned
    as the contract serialises it, so it is exactly what a subscriber would read.
    """
    schema = contract.model_json_schema()
    given = schema.get("examples")
    data = given[0] if isinstance(given, list) and given else _value(schema, schema, "event", 0)
    try:
        return contract.model_validate(data).model_dump(mode="json")
    except ValidationError as error:
        raise ValueError(
            f"{contract.ce_type}: the example made from its schema is invalid; give the contract one "
            f"(model_config json_schema_extra={{'examples': [...]}}): {error}"
        ) from error


def _value(schema: Mapping[str, Any], root: Mapping[str, Any], name: str, index: int) -> Any:
    if "$ref" in schema:
        return _value(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root, name, index)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][index % len(schema["enum"])]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            branches = [branch for branch in schema[combinator] if branch.get("type") != "null"]
            return _value(branches[0], root, name, index) if branches else None
    kind = schema.get("type")
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties", {})
        if properties:
            return {field: _value(sub, root, field, 0) for field, sub in properties.items()}
        extra = schema.get("additionalProperties")
        return {"key": _value(extra, root, "key", 0)} if isinstance(extra, dict) and extra else {}
    if kind == "array":
        items = schema.get("items", {})
        count = max(1, schema.get("minItems", 1))
        count = min(count, schema.get("maxItems", count))
        singular = name.removesuffix("s")
        return [_value(items, root, singular, i) for i in range(count)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = max(1, schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
        value = min(low, schema.get("maximum", low))
        return int(value) if kind == "integer" else float(value)
    return _text(schema, name, index)


def _text(schema: Mapping[str, Any], name: str, index: int) -> str:
    if schema.get("format") == "date-time":
        return EXAMPLE_TIME
    if schema.get("format") == "date":
        return EXAMPLE_DATE
    if schema.get("pattern") == r"^\d{4}-\d{2}$":
        return EXAMPLE_DATE[:7]
    if name.endswith("_url"):
        text = f"https://owlery.example/{name.removesuffix('_url')}/{index + 1}"
    elif name.endswith(("_id", "_ids")):
        text = f"{name.rsplit('_', 1)[0]}-{index + 1}"
    elif name == "email":
        text = "person-1@owlery.example"
    else:
        text = f"{name.replace('_', ' ')} {index + 1}" if index else name.replace("_", " ")
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    text = text.ljust(low, "x")
    return text[:high] if high is not None else text


def example_headers(contract: type[IntegrationEvent], data: Mapping[str, Any]) -> dict[str, str]:
    """The CloudEvents binary-mode headers that come with the example body (cf. `OutboxEvent.headers`)."""
    key = str(data[contract.key_field])
    return {
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "ce_id": str(uuid.uuid5(_EXAMPLE_NAMESPACE, contract.ce_type)),
        "ce_source": f"/owlery/{owner_of(contract)}",
        "ce_specversion": "1.0",
        "ce_type": contract.ce_type,
        "ce_time": EXAMPLE_TIME,
        "ce_subject": key,
        "content-type": "application/json",
        "ce_correlationid": str(uuid.uuid5(_EXAMPLE_NAMESPACE, "correlation")),
    }


def headers_schema(contract: type[IntegrationEvent]) -> dict[str, Any]:
    """Kafka record headers: CloudEvents 1.0 in binary mode, plus W3C trace context and our correlation id."""
    text = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "ce_id": {**text, "description": "Event id: deduplicate on it (delivery is at least once)"},
            "ce_source": {**text, "description": "Producing service, e.g. /owlery/enrolment"},
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_type": {"type": "string", "const": contract.ce_type, "description": "CloudEvents type"},
            "ce_time": {**text, "format": "date-time", "description": "When the event happened (UTC)"},
            "ce_subject": {**text, "description": f"The record key: the event's {contract.key_field}"},
            "content-type": {"type": "string", "const": "application/json"},
            "ce_correlationid": {**text, "description": "Correlation id of the request or event that caused it"},
            "traceparent": {**text, "description": "W3C trace context of the span that wrote the event, if any"},
        },
        "required": [
            "ce_id",
            "ce_source",
            "ce_specversion",
            "ce_type",
            "ce_time",
            "ce_subject",
            "content-type",
            "ce_correlationid",
        ],
    }


# ------------------------------------------------------------------------------------------------ documents


def _payload_schema(contract: type[IntegrationEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    """The contract's JSON Schema in `components.schemas`, its `$defs` moved beside it (refs are document-wide)."""
    schema = contract.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"{contract.ce_type}: nested schema {name!r} differs from another contract's")
    schemas[contract.ce_type] = schema
    return {"$ref": f"#/components/schemas/{contract.ce_type}"}


def _message(contract: type[IntegrationEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    data = example_of(contract)
    doc = (contract.__doc__ or "").strip()
    restricted = is_restricted(contract.topic)
    message: dict[str, Any] = {
        "name": contract.ce_type,
        "title": contract.__name__,
        "summary": doc.splitlines()[0] if doc else contract.ce_type,
        "description": "\n\n".join(
            part
            for part in (
                doc,
                f"Owner: {owner_of(contract)}. Topic: `{contract.topic}`. Key: `{contract.key_field}`.",
                RESTRICTED_NOTE if restricted else "",
            )
            if part
        ),
        "contentType": "application/json",
        "headers": headers_schema(contract),
        "payload": _payload_schema(contract, schemas),
        "correlationId": {
            "description": "Correlation id carried from the causing request or event",
            "location": "$message.header#/ce_correlationid",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"The event's {contract.key_field} (aggregate id)"},
                "bindingVersion": KAFKA_BINDING_VERSION,
                "x-owlery-key-field": contract.key_field,
            }
        },
        "examples": [
            {
                "name": contract.__name__,
                "summary": f"A {contract.ce_type} record",
                "headers": example_headers(contract, data),
                "payload": data,
            }
        ],
        "x-owlery-owner": owner_of(contract),
        "x-owlery-topic": contract.topic,
        "x-owlery-key": contract.key_field,
        "x-owlery-ce-type": contract.ce_type,
    }
    if restricted:
        message["x-owlery-restricted"] = True
    return message


def _channel(topic: str, message_ids: Iterable[str], topic_prefix: str) -> dict[str, Any]:
    owner = topic.split(".")[1]
    description = f"Kafka topic of the {owner} service's events; each record is one CloudEvent (binary mode)."
    if topic_prefix:
        description += f" This deployment prefixes its topics: the record topic is `{topic_prefix}{topic}`."
    else:
        description += " A deployment may prefix every topic name (setting `topic_prefix`)."
    channel: dict[str, Any] = {
        "address": topic,
        "title": topic,
        "description": description + (f"\n\n{RESTRICTED_NOTE}" if is_restricted(topic) else ""),
        "messages": {ce_type: {"$ref": f"#/components/messages/{ce_type}"} for ce_type in sorted(message_ids)},
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        "x-owlery-owner": owner,
    }
    if topic_prefix:
        channel["x-owlery-prefixed-topic"] = topic_prefix + topic
    if is_restricted(topic):
        channel["x-owlery-restricted"] = True
    return channel


def _operation(action: str, topic: str, ce_types: Iterable[str], group: str | None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{topic}"},
        "title": f"{'Publishes to' if action == 'send' else 'Consumes from'} {topic}",
        "messages": [{"$ref": f"#/channels/{topic}/messages/{ce_type}"} for ce_type in sorted(ce_types)],
    }
    if group is not None:
        operation["bindings"] = {
            "kafka": {"groupId": {"type": "string", "const": group}, "bindingVersion": KAFKA_BINDING_VERSION}
        }
    return operation


def build_document(
    *,
    title: str,
    version: str,
    description: str,
    sends: Iterable[type[IntegrationEvent]],
    receives: Iterable[type[IntegrationEvent]] = (),
    bootstrap_servers: str = "127.0.0.1:9092",
    topic_prefix: str = "",
    consumer_group: str | None = None,
) -> dict[str, Any]:
    """An AsyncAPI 3.0.0 document: a channel per (unprefixed) topic, a message per event type."""
    sent, received = list(sends), list(receives)
    schemas: dict[str, Any] = {}
    messages = {c.ce_type: _message(c, schemas) for c in sorted({*sent, *received}, key=lambda c: c.ce_type)}
    by_topic: dict[str, set[str]] = {}
    for contract in (*sent, *received):
        by_topic.setdefault(contract.topic, set()).add(contract.ce_type)
    operations: dict[str, Any] = {}
    for action, contracts, group in (("send", sent, None), ("receive", received, consumer_group)):
        topics: dict[str, list[str]] = {}
        for contract in contracts:
            topics.setdefault(contract.topic, []).append(contract.ce_type)
        for topic, ce_types in sorted(topics.items()):
            operations[f"{action}_{topic}"] = _operation(action, topic, ce_types, group)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": title, "version": version, "description": description},
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The deployment's Kafka cluster",
                "variables": {
                    "bootstrap": {"default": bootstrap_servers, "description": "Bootstrap servers, comma separated"}
                },
            }
        },
        "channels": {topic: _channel(topic, ids, topic_prefix) for topic, ids in sorted(by_topic.items())},
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def service_document(
    service: str,
    consumed: Iterable[str],
    *,
    version: str = "1.0.0",
    bootstrap_servers: str = "127.0.0.1:9092",
    topic_prefix: str = "",
    consumer_group: str | None = None,
) -> dict[str, Any]:
    """One service's document: the contracts it owns (sends) and the event types its consumer handles."""
    receives = [contract for ce_type in sorted(set(consumed)) if (contract := contract_for(ce_type)) is not None]
    return build_document(
        title=f"Owlery {service} events",
        version=version,
        description=(
            f"What the {service} service publishes to Kafka and what it consumes. Every event is a CloudEvent "
            "in Kafka binary mode (`ce_*` headers, JSON body), keyed by its aggregate id, delivered at least once."
        ),
        sends=published_by(service),
        receives=receives,
        bootstrap_servers=bootstrap_servers,
        topic_prefix=topic_prefix,
        consumer_group=consumer_group,
    )


def catalogue_document() -> dict[str, Any]:
    """Every event type of the platform, each with its owner, topic, key, CloudEvents type, schema and example."""
    return build_document(
        title="Owlery event catalogue",
        version="1.0.0",
        description=(
            "Every integration event Owlery publishes. Subscribe with your own consumer group; deduplicate on "
            "`ce_id`. Within a type `...vN` changes are additive only; a breaking change is a new `vN+1` type, "
            "published beside the old one. Topics ending in `.restricted` need the platform's permission."
        ),
        sends=all_contracts(),
    )


# ------------------------------------------------------------------------------------------------ HTML


_STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1d2330;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #d8dde8;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #d8dde8;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f4f8}code{background:#f2f4f8;padding:0 .2rem;border-radius:3px}
pre{background:#f7f8fb;border:1px solid #e2e6ee;padding:.6rem;overflow-x:auto;font-size:.85rem}
section.message{border:1px solid #d8dde8;border-radius:6px;padding:.2rem 1rem 1rem;margin:1rem 0}
.tag{display:inline-block;border-radius:3px;padding:0 .4rem;font-size:.8rem;font-weight:600;margin-left:.4rem}
.send{background:#dff3e4;color:#17612e}.receive{background:#e1ecfb;color:#1b4b91}
.restricted{background:#fde2e1;color:#9b1c1c}details{margin:.4rem 0}summary{cursor:pointer;font-weight:600}
"""


def render_html(document: Mapping[str, Any]) -> str:
    """A self-contained page (no scripts, no external assets) listing channels, operations and messages."""
    e = html.escape
    info = document["info"]
    messages: dict[str, Any] = document["components"]["messages"]
    schemas: dict[str, Any] = document["components"]["schemas"]
    server = document["servers"]["kafka"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(info['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(info['title'])}</h1><p>AsyncAPI {e(document['asyncapi'])} · version {e(info['version'])} · ",
        "machine-readable: <a href='asyncapi.json'>asyncapi.json</a></p>",
        f"<p>{e(info.get('description', ''))}</p>",
        f"<p>Kafka bootstrap servers: <code>{e(server['variables']['bootstrap']['default'])}</code></p>",
        "<h2>Channels (Kafka topics)</h2><table><tr><th>Topic</th><th>Owner</th><th>Events</th><th>Notes</th></tr>",
    ]
    for channel in document["channels"].values():
        restricted = "<span class='tag restricted'>restricted</span>" if channel.get("x-owlery-restricted") else ""
        events = "<br>".join(f"<a href='#{e(ce)}'><code>{e(ce)}</code></a>" for ce in channel["messages"])
        parts.append(
            f"<tr><td><code>{e(channel['address'])}</code>{restricted}</td><td>{e(channel['x-owlery-owner'])}</td>"
            f"<td>{events}</td><td>{e(channel['description'])}</td></tr>"
        )
    parts.append("</table><h2>Operations</h2><table><tr><th>Operation</th><th>Topic</th><th>Events</th></tr>")
    for operation_id, operation in document["operations"].items():
        topic = operation["channel"]["$ref"].removeprefix("#/channels/")
        events = "<br>".join(f"<code>{e(m['$ref'].rsplit('/', 1)[-1])}</code>" for m in operation["messages"])
        action = operation["action"]
        parts.append(
            f"<tr><td>{e(operation_id)}<span class='tag {e(action)}'>{e(action)}</span></td>"
            f"<td><code>{e(topic)}</code></td><td>{events}</td></tr>"
        )
    parts.append(f"</table><h2>Messages ({len(messages)})</h2>")
    for ce_type, message in messages.items():
        restricted = "<span class='tag restricted'>restricted</span>" if message.get("x-owlery-restricted") else ""
        payload = schemas[message["payload"]["$ref"].rsplit("/", 1)[-1]]
        example = message["examples"][0]
        parts += [
            f"<section class='message' id='{e(ce_type)}'><h3><code>{e(ce_type)}</code>{restricted}</h3>",
            f"<p>{e(message['summary'])}</p><table>",
            f"<tr><th>CloudEvents type</th><td><code>{e(ce_type)}</code></td></tr>",
            f"<tr><th>Owner</th><td>{e(message['x-owlery-owner'])}</td></tr>",
            f"<tr><th>Topic</th><td><code>{e(message['x-owlery-topic'])}</code></td></tr>",
            f"<tr><th>Key</th><td><code>{e(message['x-owlery-key'])}</code></td></tr>",
            f"<tr><th>Contract</th><td><code>{e(message['title'])}</code></td></tr></table>",
            f"<details open><summary>Payload schema</summary><pre>{e(_pretty(payload))}</pre></details>",
            f"<details><summary>Headers schema</summary><pre>{e(_pretty(message['headers']))}</pre></details>",
            f"<details open><summary>Example body</summary><pre>{e(_pretty(example['payload']))}</pre></details>",
            f"<details><summary>Example headers</summary><pre>{e(_pretty(example['headers']))}</pre></details>",
            "</section>",
        ]
    parts.append("</body></html>\n")
    return "".join(parts)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
