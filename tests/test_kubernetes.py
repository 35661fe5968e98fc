"""deploy/k8s: the Kubernetes manifests (kustomize base + dev and prod overlays), checked offline.

Each overlay is rendered by the small kustomize renderer below (no kustomize or kubectl binary needed): it
implements exactly the kustomization fields the manifests use and refuses any other, so what it renders is what
`kubectl apply -k` applies. Every rendered object is then validated:

- core objects against the Kubernetes OpenAPI schemas bundled by `kubernetes-validate` (strict: unknown fields
  fail), for the oldest and newest Kubernetes versions the checks target;
- the operators' custom resources (Strimzi Kafka, KafkaNodePool, KafkaTopic; MongoDBCommunity) against small JSON
  Schemas of the fields these manifests use, written below from the operators' CRDs (no CRD ships offline);

and against what the services (and the portal) really are: probes on the paths each one's app serves, ports and
settings as its settings class reads them, a Secret reference for every production secret, a KafkaTopic for every
topic the services publish or consume (and its dead-letter topic), and the production overlay's availability
guarantees.
Each check is a function that raises AssertionError; the last tests break a rendered copy to show each one fails.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from fastapi import FastAPI
from pydantic import SecretStr

from portal.config import PortalSettings
from shared.http import health_router
from shared.messaging.kafka import DEAD_LETTER_SUFFIX
from shared.settings import DEV_SECRET_PREFIX, ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
DATA_SERVICES = ("enrolment", "mentoring", "gamification", "notifications", "directory")
"""The services with a MongoDB database and Kafka topics of their own."""
SERVICES = (*DATA_SERVICES, "portal")
"""Every Deployment of ours. The portal has no database, broker or topic (it calls the services' HTTP APIs), so
the checks of MongoDB users, Kafka bootstrap and topics run over DATA_SERVICES only; every other check covers it."""
SETTINGS_CLASSES = {
    "enrolment": "EnrolmentSettings",
    "mentoring": "MentoringSettings",
    "gamification": "GamificationSettings",
    "notifications": "NotificationsSettings",
    "directory": "DirectorySettings",
    "portal": "PortalSettings",
}
K8S_VERSIONS = ("1.33.0", "1.37.0")
"""Kubernetes versions whose schemas every core object must satisfy (both bundled by kubernetes-validate)."""

Object = dict[str, Any]


# --------------------------------------------------------------------------------------------------------------
# A small kustomize: exactly the fields deploy/k8s uses, in kustomize's order (generators, patches, namespace,
# labels, replicas, images). Anything else is refused, so the manifests cannot drift beyond what this renders.

SUPPORTED_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "replicas",
    "patches",
    "secretGenerator",
    "generatorOptions",
}


def load_documents(path: Path) -> list[Object]:
    documents = [document for document in yaml.safe_load_all(path.read_text()) if document is not None]
    for document in documents:
        assert isinstance(document, dict), f"{path}: a document is not a mapping"
    return documents


def render(directory: Path) -> list[Object]:
    kustomization_file = directory / "kustomization.yaml"
    [kustomization] = load_documents(kustomization_file)
    unsupported = set(kustomization) - SUPPORTED_FIELDS
    assert not unsupported, f"{kustomization_file}: fields this renderer does not implement: {sorted(unsupported)}"
    objects: list[Object] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        objects += render(path) if path.is_dir() else load_documents(path)
    objects += generated_secrets(kustomization, kustomization_file)
    for patch in kustomization.get("patches", []):
        apply_patch(objects, patch, directory)
    if "namespace" in kustomization:
        for item in objects:
            item["metadata"]["namespace"] = kustomization["namespace"]
    for label_set in kustomization.get("labels", []):
        assert set(label_set) <= {"pairs", "includeSelectors"}, f"{kustomization_file}: labels: {label_set}"
        assert label_set.get("includeSelectors") is False, "labels: only includeSelectors: false is implemented"
        for item in objects:
            item["metadata"].setdefault("labels", {}).update(label_set["pairs"])
    for replica in kustomization.get("replicas", []):
        matches = [
            item for item in objects if item["kind"] == "Deployment" and item["metadata"]["name"] == replica["name"]
        ]
        assert matches, f"{kustomization_file}: replicas: no Deployment {replica['name']}"
        for item in matches:
            item["spec"]["replicas"] = replica["count"]
    for image in kustomization.get("images", []):
        assert set(image) <= {"name", "newName", "newTag"}, f"{kustomization_file}: images: {image}"
        for container in (c for item in objects for c in containers(item)):
            name, _, _ = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', 'latest')}"
    keys = [(item["kind"], item["metadata"]["name"]) for item in objects]
    assert len(keys) == len(set(keys)), f"{directory}: an object is defined twice"
    return objects


def generated_secrets(kustomization: Object, source: Path) -> list[Object]:
    generators = kustomization.get("secretGenerator", [])
    if generators:
        # A hashed name would need kustomize's name-reference rewriting; the overlays do without it.
        assert kustomization.get("generatorOptions") == {"disableNameSuffixHash": True}, f"{source}: generatorOptions"
    secrets = []
    for generator in generators:
        assert set(generator) <= {"name", "literals"}, f"{source}: secretGenerator: only name and literals"
        data = {}
        for literal in generator["literals"]:
            key, _, value = literal.partition("=")
            data[key] = base64.b64encode(value.encode()).decode()
        secrets.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": generator["name"]},
                "type": "Opaque",
                "data": data,
            }
        )
    return secrets


def apply_patch(objects: list[Object], patch: Object, directory: Path) -> None:
    assert set(patch) <= {"path", "target"}, f"{directory}: patches: only path and target are implemented"
    documents = list(yaml.safe_load_all((directory / patch["path"]).read_text()))
    if len(documents) == 1 and isinstance(documents[0], list):  # a JSON 6902 patch, for every object targeted
        target = patch.get("target")
        assert isinstance(target, dict) and set(target) <= {"kind", "name"}, f"{patch['path']}: target kind/name"
        matches = [
            item
            for item in objects
            if item["kind"] == target["kind"] and re.fullmatch(target.get("name", ".*"), item["metadata"]["name"])
        ]
        assert matches, f"{patch['path']}: targets nothing"
        for item in matches:
            for operation in documents[0]:
                json_patch(item, operation)
        return
    assert "target" not in patch, f"{patch['path']}: a strategic-merge patch names its object itself"
    assert len(documents) == 1, f"{patch['path']}: one strategic-merge patch per file"
    [document] = documents
    matches = [
        item
        for item in objects
        if (item["apiVersion"], item["kind"], item["metadata"]["name"])
        == (document["apiVersion"], document["kind"], document["metadata"]["name"])
    ]
    assert len(matches) == 1, f"{patch['path']}: matches {len(matches)} objects"
    merge(matches[0], {key: value for key, value in document.items() if key not in ("apiVersion", "kind")})


def merge(target: Object, patch: Object) -> None:
    """Strategic merge of mappings (null deletes); lists would need merge keys, so they are refused."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            assert not isinstance(value, list), f"strategic-merge patch of a list ({key}): use a JSON 6902 patch"
            target[key] = copy.deepcopy(value)


def json_patch(document: Object, operation: Object) -> None:
    op, path = operation["op"], operation["path"]
    assert op in ("add", "replace", "remove"), f"JSON patch op {op} is not implemented"
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, copy.deepcopy(operation["value"]))
        else:
            assert index < len(node), f"{op} {path}: no such element"
            node[index : index + 1] = [] if op == "remove" else [copy.deepcopy(operation["value"])]
        return
    assert op == "add" or last in node, f"{op} {path}: no such field"
    if op == "remove":
        del node[last]
    else:
        node[last] = copy.deepcopy(operation["value"])


def containers(item: Object) -> list[Object]:
    if item["kind"] != "Deployment":
        return []
    spec = item["spec"]["template"]["spec"]
    return list(spec.get("initContainers", [])) + list(spec["containers"])


# --------------------------------------------------------------------------------------------------------------
# The operators' custom resources: JSON Schemas of the fields used here, after the Strimzi (v1beta2) and MongoDB
# Community Operator (mongodbcommunity.mongodb.com/v1) CRDs. Closed objects, so a misspelt field fails.


def closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or [], "additionalProperties": False}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
SCALAR = {"type": ["string", "integer", "number", "boolean"]}
METADATA = closed(
    {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
        "namespace": STRING,
        "labels": {"type": "object", "additionalProperties": STRING},
        "annotations": {"type": "object", "additionalProperties": STRING},
    },
    ["name"],
)
QUANTITY = {"type": ["string", "integer"]}
RESOURCES = closed(
    {
        "requests": {"type": "object", "additionalProperties": QUANTITY},
        "limits": {"type": "object", "additionalProperties": QUANTITY},
    }
)


def custom_resource(api_version: str, kind: str, spec: dict[str, Any], cluster_label: bool = False) -> dict[str, Any]:
    metadata = copy.deepcopy(METADATA)
    if cluster_label:  # Strimzi finds the cluster of a node pool or topic by this label
        metadata["required"] = ["name", "labels"]
        metadata["properties"]["labels"]["required"] = ["strimzi.io/cluster"]
    return closed(
        {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": metadata, "spec": spec},
        ["apiVersion", "kind", "metadata", "spec"],
    )


STRIMZI = "kafka.strimzi.io/v1beta2"
CUSTOM_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    (STRIMZI, "Kafka"): custom_resource(
        STRIMZI,
        "Kafka",
        closed(
            {
                "kafka": closed(
                    {
                        "version": STRING,
                        "metadataVersion": STRING,
                        "listeners": {
                            "type": "array",
                            "minItems": 1,
                            "items": closed(
                                {
                                    "name": {"type": "string", "pattern": "^[a-z0-9]{1,11}$"},
                                    "port": {"type": "integer", "minimum": 9092},
                                    "type": {
                                        "enum": [
                                            "internal",
                                            "route",
                                            "loadbalancer",
                                            "nodeport",
                                            "ingress",
                                            "cluster-ip",
                                        ]
                                    },
                                    "tls": {"type": "boolean"},
                                },
                                ["name", "port", "type", "tls"],
                            ),
                        },
                        "config": {"type": "object", "additionalProperties": SCALAR},
                    },
                    ["listeners"],
                ),
                "entityOperator": closed({"topicOperator": closed({}), "userOperator": closed({})}),
            },
            ["kafka"],
        ),
    ),
    (STRIMZI, "KafkaNodePool"): custom_resource(
        STRIMZI,
        "KafkaNodePool",
        closed(
            {
                "replicas": {"type": "integer", "minimum": 0},
                "roles": {"type": "array", "items": {"enum": ["controller", "broker"]}, "minItems": 1},
                "storage": closed(
                    {
                        "type": {"const": "jbod"},
                        "volumes": {
                            "type": "array",
                            "minItems": 1,
                            "items": closed(
                                {
                                    "id": INTEGER,
                                    "type": {"enum": ["ephemeral", "persistent-claim"]},
                                    "size": STRING,
                                    "deleteClaim": {"type": "boolean"},
                                    "kraftMetadata": {"const": "shared"},
                                },
                                ["id", "type"],
                            ),
                        },
                    },
                    ["type", "volumes"],
                ),
                "resources": RESOURCES,
            },
            ["replicas", "roles", "storage"],
        ),
        cluster_label=True,
    ),
    (STRIMZI, "KafkaTopic"): custom_resource(
        STRIMZI,
        "KafkaTopic",
        closed(
            {
                "topicName": STRING,
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                "config": {"type": "object", "additionalProperties": SCALAR},
            },
            ["partitions", "replicas"],
        ),
        cluster_label=True,
    ),
    ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"): custom_resource(
        "mongodbcommunity.mongodb.com/v1",
        "MongoDBCommunity",
        closed(
            {
                "type": {"const": "ReplicaSet"},
                "members": {"type": "integer", "minimum": 1},
                "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
                "security": closed(
                    {
                        "authentication": closed(
                            {
                                "modes": {
                                    "type": "array",
                                    "items": {"enum": ["SCRAM", "SCRAM-SHA-1", "SCRAM-SHA-256", "X509"]},
                                }
                            },
                            ["modes"],
                        )
                    }
                ),
                "users": {
                    "type": "array",
                    "items": closed(
                        {
                            "name": STRING,
                            "db": STRING,
                            "passwordSecretRef": closed({"name": STRING, "key": STRING}, ["name"]),
                            "roles": {"type": "array", "items": closed({"name": STRING, "db": STRING}, ["name", "db"])},
                            "scramCredentialsSecretName": {
                                "type": "string",
                                "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
                            },
                        },
                        ["name", "db", "passwordSecretRef", "roles", "scramCredentialsSecretName"],
                    ),
                },
                "additionalMongodConfig": {"type": "object", "additionalProperties": SCALAR},
            },
            ["type", "members", "version", "security", "users"],
        ),
    ),
}


# --------------------------------------------------------------------------------------------------------------
# What the services are: their settings classes, and (built from the dev overlay's settings) their apps and topics.


Settings = ServiceSettings | PortalSettings


def settings_class(service: str) -> type[Settings]:
    cls: object = getattr(importlib.import_module(f"{service}.config"), SETTINGS_CLASSES[service])
    assert isinstance(cls, type)
    if service in DATA_SERVICES:
        assert issubclass(cls, ServiceSettings), f"{service}: settings are not ServiceSettings"
        return cls
    assert issubclass(cls, PortalSettings), f"{service}: settings are not PortalSettings"
    return cls


def env_prefix(service: str) -> str:
    return str(settings_class(service).model_config["env_prefix"])


def setting_names(service: str) -> set[str]:
    return {env_prefix(service) + field.upper() for field in settings_class(service).model_fields}


@dataclass(frozen=True)
class Rendered:
    overlay: str
    objects: list[Object]

    def of_kind(self, kind: str) -> list[Object]:
        return [item for item in self.objects if item["kind"] == kind]

    def get(self, kind: str, name: str) -> Object:
        matches = [item for item in self.of_kind(kind) if item["metadata"]["name"] == name]
        assert matches, f"{self.overlay}: no {kind} {name}"
        return matches[0]

    def find(self, kind: str, name: str) -> Object | None:
        return next((item for item in self.of_kind(kind) if item["metadata"]["name"] == name), None)


def container_of(rendered: Rendered, service: str) -> Object:
    deployment = rendered.get("Deployment", service)
    pod_containers: list[Object] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(pod_containers) == 1, f"{rendered.overlay}: {service} runs {len(pod_containers)} containers"
    return pod_containers[0]


# What an operator puts into the Secrets they create (README.md), for building the settings of an overlay.
EXAMPLE_SECRET_VALUES = {
    "pseudonym-key": "k8s-example-pseudonym-key-0123456789abcdef",
    "notes-keys": json.dumps({"2026-12": base64.b64encode(bytes(32)).decode()}),
    "notes-current-key": "2026-12",
    "scim-token": "k8s-example-scim-token",
    "badge-signing-key": "",  # optional: not set
    "smtp-username": "",
    "smtp-password": "",
    "session-secret": "k8s-example-portal-session-secret-0123456789",
}


def mongodb_connection_secrets(rendered: Rendered) -> dict[str, Object]:
    """The Secrets the MongoDB operator writes, one per user: <resource>-<auth db>-<user>."""
    return {
        f"{resource['metadata']['name']}-{user['db']}-{user['name']}": {"resource": resource, "user": user}
        for resource in rendered.of_kind("MongoDBCommunity")
        for user in resource["spec"]["users"]
    }


def secret_value(rendered: Rendered, name: str, key: str) -> str | None:
    secret = rendered.find("Secret", name)
    if secret is not None:
        if key in secret.get("stringData", {}):
            return str(secret["stringData"][key])
        if key in secret.get("data", {}):
            return base64.b64decode(secret["data"][key]).decode()
        return None
    if name in mongodb_connection_secrets(rendered) and key == "connectionString.standard":
        return f"mongodb://user:password@{name}.example:27017/admin?replicaSet=owlery-mongodb"
    return EXAMPLE_SECRET_VALUES.get(key) or None


def environment(rendered: Rendered, service: str) -> dict[str, str]:
    """The service container's environment, as the kubelet would build it (envFrom first, env over it)."""
    container = container_of(rendered, service)
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, f"{service}: envFrom only from ConfigMaps (secrets by key)"
        config_map = rendered.get("ConfigMap", source["configMapRef"]["name"])
        values |= {key: str(value) for key, value in config_map.get("data", {}).items()}
    for variable in container.get("env", []):
        if "value" in variable:
            values[variable["name"]] = str(variable["value"])
            continue
        reference = variable["valueFrom"]["secretKeyRef"]
        value = secret_value(rendered, reference["name"], reference["key"])
        assert value is not None or reference.get("optional"), f"{service}: no value for {variable['name']}"
        if value is not None:
            values[variable["name"]] = value
    return values


def service_settings(rendered: Rendered, service: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings the service starts with in this overlay, read by its own settings class from its environment."""
    for name in [name for name in os.environ if name.startswith("OWLERY_")]:
        monkeypatch.delenv(name)
    for name, value in environment(rendered, service).items():
        monkeypatch.setenv(name, value)
    return settings_class(service)()


def data_service_settings(rendered: Rendered, service: str, monkeypatch: pytest.MonkeyPatch) -> ServiceSettings:
    settings = service_settings(rendered, service, monkeypatch)
    assert isinstance(settings, ServiceSettings), f"{service}: no Kafka or MongoDB settings"
    return settings


@dataclass(frozen=True)
class ServiceFacts:
    get_paths: set[str]
    """Every path the service's app answers GET on."""
    topics: set[str]
    """Every topic the service publishes or consumes."""


@pytest.fixture(scope="module")
def rendered() -> dict[str, Rendered]:
    return {overlay: Rendered(overlay, render(K8S / "overlays" / overlay)) for overlay in OVERLAYS}


@pytest.fixture(scope="module")
def facts(rendered: dict[str, Rendered]) -> dict[str, ServiceFacts]:
    """Each service built (not started: nothing connects) with the dev overlay's settings."""
    found = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for service in SERVICES:
            settings = service_settings(rendered["dev"], service, monkeypatch)
            bootstrap = importlib.import_module(f"{service}.bootstrap").bootstrap
            http = importlib.import_module(f"{service}.entrypoints.http")
            built = bootstrap(settings)
            app: FastAPI = http.create_app(built)
            paths = {path for path, methods in app.openapi()["paths"].items() if "get" in methods}
            if service not in DATA_SERVICES:  # the portal: no runtime, no topics
                found[service] = ServiceFacts(paths, set())
                continue
            runtime = built.runtime
            found[service] = ServiceFacts(paths, set(runtime.published_topics) | set(runtime.consumer.topics))
    return found


def health_paths() -> dict[str, str]:
    """The shared health endpoints every service mounts: {"live": ..., "ready": ...}."""
    return {route.name: route.path for route in health_router({}).routes}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------------------
# The checks. Each raises AssertionError; the tests at the end show each one fails on a broken manifest.


def check_schemas(rendered: Rendered) -> None:
    for item in rendered.objects:
        where = f"{rendered.overlay}: {item.get('kind')} {item.get('metadata', {}).get('name')}"
        schema = CUSTOM_SCHEMAS.get((item.get("apiVersion", ""), item.get("kind", "")))
        if schema is not None:
            try:
                jsonschema.validate(item, schema)
            except jsonschema.ValidationError as error:
                raise AssertionError(f"{where}: {error.message} at {list(error.absolute_path)}") from error
            continue
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(item, version, strict=True)
            except kubernetes_validate.SchemaNotFoundError as error:
                raise AssertionError(f"{where}: no schema for {item.get('apiVersion')} {item.get('kind')}") from error
            except kubernetes_validate.ValidationError as error:
                raise AssertionError(f"{where} (Kubernetes {version}): {error.message}") from error


def check_service_objects(rendered: Rendered) -> None:
    for service in SERVICES:
        deployment = rendered.get("Deployment", service)
        template = deployment["spec"]["template"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= template["metadata"]["labels"].items(), f"{service}: selector misses its pods"
        service_object = rendered.get("Service", service)
        assert service_object["spec"]["selector"].items() <= template["metadata"]["labels"].items(), (
            f"{service}: the Service selects none of its pods"
        )
        autoscaler = rendered.get("HorizontalPodAutoscaler", service)
        target = autoscaler["spec"]["scaleTargetRef"]
        assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", service)
        assert autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
        assert any(
            metric["type"] == "Resource"
            and metric["resource"]["name"] == "cpu"
            and metric["resource"]["target"]["type"] == "Utilization"
            for metric in autoscaler["spec"]["metrics"]
        ), f"{service}: the autoscaler does not scale on CPU utilisation"
        container = container_of(rendered, service)
        assert re.fullmatch(rf"owlery/{service}:[\w.-]+", container["image"]), f"{service}: image {container['image']}"
        assert not container["image"].endswith(":latest"), f"{rendered.overlay}: {service} runs the latest tag"
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container.get("resources", {}).get(kind, {})), f"{service}: {kind}"


def check_probes(rendered: Rendered, facts: dict[str, ServiceFacts]) -> None:
    health = health_paths()
    for service in SERVICES:
        container = container_of(rendered, service)
        ports = {port.get("name"): port["containerPort"] for port in container["ports"]}
        expected = {"livenessProbe": health["live"], "readinessProbe": health["ready"], "startupProbe": health["live"]}
        for probe_name, path in expected.items():
            if probe_name == "startupProbe" and probe_name not in container:
                continue
            probe = container.get(probe_name)
            assert probe is not None, f"{rendered.overlay}: {service} has no {probe_name}"
            get = probe["httpGet"]
            assert get["path"] == path, f"{service}: {probe_name} on {get['path']}, the service answers on {path}"
            assert get["path"] in facts[service].get_paths, f"{service}: its app serves no GET {get['path']}"
            port = ports.get(get["port"]) if isinstance(get["port"], str) else get["port"]
            assert port in ports.values(), f"{service}: {probe_name} port {get['port']} is no container port"


def check_ports(rendered: Rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    for service in SERVICES:
        settings = service_settings(rendered, service, monkeypatch)
        container = container_of(rendered, service)
        named = {port.get("name"): port["containerPort"] for port in container["ports"]}
        assert list(named.values()) == [settings.http_port], f"{service}: container port is not http_port"
        assert settings.http_host == "0.0.0.0", f"{service}: listens on {settings.http_host} only"
        for port in rendered.get("Service", service)["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            resolved = named.get(target) if isinstance(target, str) else target
            assert resolved == settings.http_port, f"{service}: Service targetPort {target} is not {settings.http_port}"


def check_settings(rendered: Rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every variable is a real setting of its service, and its settings class accepts the whole environment."""
    for service in SERVICES:
        known = setting_names(service)
        container = container_of(rendered, service)
        names = {variable["name"] for variable in container.get("env", [])}
        for source in container.get("envFrom", []):
            names |= set(rendered.get("ConfigMap", source["configMapRef"]["name"]).get("data", {}))
        unknown = names - known
        assert not unknown, f"{rendered.overlay}: {service} is given variables it has no setting for: {sorted(unknown)}"
        settings = service_settings(rendered, service, monkeypatch)  # raises if refused (e.g. dev issuer in prod)
        expected_mode = "dev" if rendered.overlay == "dev" else "production"
        assert settings.mode == expected_mode, f"{rendered.overlay}: {service} runs in {settings.mode} mode"


def check_secrets(rendered: Rendered, documented: str) -> None:
    """Secrets come from Secrets by key, never from a ConfigMap; each production secret is referenced."""
    connection_secrets = mongodb_connection_secrets(rendered)
    for service in SERVICES:
        cls = settings_class(service)
        prefix = env_prefix(service)
        secret_fields = {
            prefix + name.upper()
            for name, field in cls.model_fields.items()
            if "SecretStr" in str(field.annotation) or name == "mongodb_url"
        }
        must_be_set = {
            prefix + name.upper()
            for name, field in cls.model_fields.items()
            if str(field.get_default(call_default_factory=True)).startswith(DEV_SECRET_PREFIX)
            or _dev_secret(field.get_default(call_default_factory=True))
        }
        if service in DATA_SERVICES:  # the portal has no database to connect to
            must_be_set.add(prefix + "MONGODB_URL")
        container = container_of(rendered, service)
        for source in container.get("envFrom", []):
            in_config = set(rendered.get("ConfigMap", source["configMapRef"]["name"]).get("data", {}))
            assert not in_config & secret_fields, f"{service}: secrets in a ConfigMap: {in_config & secret_fields}"
        references = {
            variable["name"]: variable["valueFrom"]["secretKeyRef"]
            for variable in container.get("env", [])
            if "secretKeyRef" in variable.get("valueFrom", {})
        }
        assert not must_be_set - set(references), f"{service}: not from a Secret: {must_be_set - set(references)}"
        plain = {variable["name"] for variable in container.get("env", []) if "value" in variable}
        assert not plain & secret_fields, f"{service}: secrets given as plain values: {plain & secret_fields}"
        for variable, reference in references.items():
            name, key = reference["name"], reference["key"]
            assert not (reference.get("optional") and variable in must_be_set), f"{service}: {variable} is optional"
            if name in connection_secrets:
                user = connection_secrets[name]["user"]
                database = settings_class(service).model_fields["mongodb_database"].default
                assert key == "connectionString.standard", f"{service}: {name} has no key {key}"
                assert {"name": "readWrite", "db": database} in user["roles"], (
                    f"{service}: {name} cannot write {database}"
                )
                assert user["name"] == service, f"{service}: connects as MongoDB user {user['name']}"
            elif rendered.find("Secret", name) is not None:
                assert secret_value(rendered, name, key) is not None, f"{service}: Secret {name} has no key {key}"
            else:  # created by the operator of the cluster: the README must say so
                assert f"`{name}`" in documented and f"`{key}`" in documented, f"README: Secret {name} key {key}"
    for resource in rendered.of_kind("MongoDBCommunity"):
        for user in resource["spec"]["users"]:
            name, key = user["passwordSecretRef"]["name"], user["passwordSecretRef"].get("key", "password")
            if rendered.find("Secret", name) is None:
                assert f"`{name}`" in documented and f"`{key}`" in documented, f"README: Secret {name} key {key}"


def _dev_secret(value: object) -> bool:
    if isinstance(value, SecretStr):
        return value.get_secret_value().startswith(DEV_SECRET_PREFIX)
    if isinstance(value, dict):
        return any(str(key).startswith(DEV_SECRET_PREFIX) or _dev_secret(item) for key, item in value.items())
    return False


def check_security(rendered: Rendered) -> None:
    for service in SERVICES:
        pod = rendered.get("Deployment", service)["spec"]["template"]["spec"]
        pod_context = pod.get("securityContext", {})
        for container in pod["containers"]:
            context = {**pod_context, **container.get("securityContext", {})}
            where = f"{rendered.overlay}: {service}/{container['name']}"
            assert context.get("runAsNonRoot") is True, f"{where}: may run as root"
            # The image's user is a name (owlery); the kubelet can only verify a numeric uid is not root.
            assert isinstance(context.get("runAsUser"), int) and context["runAsUser"] > 0, f"{where}: runAsUser"
            assert context.get("readOnlyRootFilesystem") is True, f"{where}: writable root filesystem"
            assert context.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation"
            assert "ALL" in context.get("capabilities", {}).get("drop", []), f"{where}: capabilities not dropped"
            assert not context.get("capabilities", {}).get("add"), f"{where}: adds capabilities"


def check_topics(rendered: Rendered, facts: dict[str, ServiceFacts], monkeypatch: pytest.MonkeyPatch) -> None:
    [kafka] = rendered.of_kind("Kafka")
    pools = rendered.of_kind("KafkaNodePool")
    brokers = sum(pool["spec"]["replicas"] for pool in pools if "broker" in pool["spec"]["roles"])
    assert all(pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"] for pool in pools)
    topics = {}
    for topic in rendered.of_kind("KafkaTopic"):
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"], "topic of no cluster"
        assert topic["spec"]["replicas"] <= brokers, f"{topic['metadata']['name']}: more replicas than brokers"
        min_insync = int(topic["spec"].get("config", {}).get("min.insync.replicas", 1))
        assert min_insync <= topic["spec"]["replicas"], f"{topic['metadata']['name']}: min.insync.replicas"
        topics[topic["spec"].get("topicName", topic["metadata"]["name"])] = topic
    plain = [listener for listener in kafka["spec"]["kafka"]["listeners"] if not listener["tls"]]
    for service in DATA_SERVICES:  # not the portal: it neither publishes nor consumes
        settings = data_service_settings(rendered, service, monkeypatch)
        bootstrap = {f"{kafka['metadata']['name']}-kafka-bootstrap:{listener['port']}" for listener in plain}
        assert settings.kafka_bootstrap_servers in bootstrap, f"{service}: Kafka at {settings.kafka_bootstrap_servers}"
        used = {settings.topic_prefix + topic for topic in facts[service].topics}
        for name in sorted(used | {topic + DEAD_LETTER_SUFFIX for topic in used}):
            assert name in topics, f"{rendered.overlay}: {service} uses topic {name}, which has no KafkaTopic"
            assert topics[name]["spec"]["partitions"] >= settings.topic_partitions, f"{name}: too few partitions"


def check_availability(rendered: Rendered) -> None:
    """prod: at least two replicas, kept by a PodDisruptionBudget and spread over nodes; dev: one of each."""
    for service in SERVICES:
        deployment = rendered.get("Deployment", service)
        autoscaler = rendered.get("HorizontalPodAutoscaler", service)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if rendered.overlay == "dev":
            assert deployment["spec"]["replicas"] == 1 and autoscaler["spec"]["maxReplicas"] == 1, service
            continue
        assert deployment["spec"]["replicas"] >= 2, f"{service}: fewer than two replicas"
        assert autoscaler["spec"]["minReplicas"] >= 2, f"{service}: may scale down to one replica"
        budgets = [
            budget
            for budget in rendered.of_kind("PodDisruptionBudget")
            if budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(budgets) == 1, f"{service}: {len(budgets)} PodDisruptionBudgets"
        spec = budgets[0]["spec"]
        assert spec.get("maxUnavailable") == 1 or (0 < spec.get("minAvailable", 0) < autoscaler["spec"]["minReplicas"])
        pod = deployment["spec"]["template"]["spec"]
        spread = [
            constraint
            for constraint in pod.get("topologySpreadConstraints", [])
            if constraint["topologyKey"] == "kubernetes.io/hostname"
            and constraint["whenUnsatisfiable"] == "DoNotSchedule"
            and constraint["labelSelector"]["matchLabels"].items() <= labels.items()
            and set(constraint.get("matchLabelKeys", [])) & set(deployment["spec"]["selector"]["matchLabels"])
        ]
        anti_affinity = pod.get("affinity", {}).get("podAntiAffinity")
        assert spread or anti_affinity, f"{service}: its replicas may share a node"


# --------------------------------------------------------------------------------------------------------------
# The tests.


@pytest.fixture(scope="module")
def readme() -> str:
    return (K8S / "README.md").read_text()


def test_the_base_renders_with_latest_images() -> None:
    base = Rendered("base", render(K8S / "base"))
    images = {container["image"] for item in base.objects for container in containers(item)}
    assert images == {f"owlery/{service}:latest" for service in SERVICES}
    check_schemas(base)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_satisfies_its_schema(rendered: dict[str, Rendered], overlay: str) -> None:
    check_schemas(rendered[overlay])
    kinds = {item["kind"] for item in rendered[overlay].objects}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "MongoDBCommunity"} <= kinds
    assert "StatefulSet" not in kinds, "Kafka and MongoDB come from their operators"
    assert {item["metadata"].get("namespace") for item in rendered[overlay].objects} == {
        f"owlery-{overlay}" if overlay == "dev" else "owlery"
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_deployment_service_config_and_autoscaler(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    check_service_objects(rendered[overlay])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_ask_the_health_endpoints_the_services_serve(
    rendered: dict[str, Rendered], facts: dict[str, ServiceFacts], overlay: str
) -> None:
    check_probes(rendered[overlay], facts)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ports_match_the_services_settings(
    rendered: dict[str, Rendered], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_ports(rendered[overlay], monkeypatch)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configuration_is_made_of_real_settings(
    rendered: dict[str, Rendered], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_settings(rendered[overlay], monkeypatch)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_come_from_secrets(rendered: dict[str, Rendered], overlay: str, readme: str) -> None:
    check_secrets(rendered[overlay], readme)


def test_prod_creates_no_secret(rendered: dict[str, Rendered]) -> None:
    assert not rendered["prod"].of_kind("Secret"), "production secrets are created in the cluster, not kept here"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_run_unprivileged(rendered: dict[str, Rendered], overlay: str) -> None:
    check_security(rendered[overlay])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_topic_in_use_has_a_kafka_topic(
    rendered: dict[str, Rendered], facts: dict[str, ServiceFacts], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_topics(rendered[overlay], facts, monkeypatch)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replicas_disruption_budgets_and_spread(rendered: dict[str, Rendered], overlay: str) -> None:
    check_availability(rendered[overlay])


# Each check fails on a broken manifest: a copy of the rendered overlay, broken in one place.


def broken(rendered: Rendered, kind: str, name: str, breaking: Callable[[Object], None]) -> Rendered:
    objects = copy.deepcopy(rendered.objects)
    for item in objects:
        if item["kind"] == kind and item["metadata"]["name"] == name:
            breaking(item)
    return Rendered(rendered.overlay, objects)


def first_container(item: Object) -> Object:
    container: Object = item["spec"]["template"]["spec"]["containers"][0]
    return container


def removed_topic(name: str) -> Callable[[Rendered], Rendered]:
    return lambda rendered: Rendered(
        rendered.overlay, [item for item in rendered.objects if item.get("spec", {}).get("topicName") != name]
    )


BREAKAGES: dict[str, tuple[str, Callable[[Rendered], Rendered]]] = {
    "wrong liveness path": (
        "probes",
        lambda r: broken(
            r,
            "Deployment",
            "mentoring",
            lambda d: first_container(d)["livenessProbe"]["httpGet"].update(path="/healthz"),
        ),
    ),
    "readiness on the liveness path": (
        "probes",
        lambda r: broken(
            r,
            "Deployment",
            "enrolment",
            lambda d: first_container(d)["readinessProbe"]["httpGet"].update(path="/health/live"),
        ),
    ),
    "unknown variable": (
        "settings",
        lambda r: broken(
            r, "ConfigMap", "gamification", lambda c: c["data"].update(OWLERY_GAMIFICATION_BADGE_ISSUER="x")
        ),
    ),
    "another service's variable": (
        "settings",
        lambda r: broken(r, "ConfigMap", "enrolment", lambda c: c["data"].update(OWLERY_MENTORING_MODE="dev")),
    ),
    "Service targetPort": (
        "ports",
        lambda r: broken(r, "Service", "notifications", lambda s: s["spec"]["ports"][0].update(targetPort=8080)),
    ),
    "secret in a ConfigMap": (
        "secrets",
        lambda r: broken(r, "ConfigMap", "directory", lambda c: c["data"].update(OWLERY_DIRECTORY_SCIM_TOKEN="x")),
    ),
    "secret reference dropped": (
        "secrets",
        lambda r: broken(
            r,
            "Deployment",
            "mentoring",
            lambda d: first_container(d).update(
                env=[v for v in first_container(d)["env"] if "PSEUDONYM" not in v["name"]]
            ),
        ),
    ),
    "missing dead-letter topic": ("topics", removed_topic("owlery.mentoring.events.dlt")),
    "missing topic": ("topics", removed_topic("owlery.directory.people")),
    "root filesystem writable": (
        "security",
        lambda r: broken(
            r,
            "Deployment",
            "directory",
            lambda d: first_container(d)["securityContext"].update(readOnlyRootFilesystem=False),
        ),
    ),
    "unknown field": (
        "schemas",
        lambda r: broken(r, "Deployment", "enrolment", lambda d: first_container(d).update(livenessprobe={})),
    ),
    "unknown custom resource field": (
        "schemas",
        lambda r: broken(r, "MongoDBCommunity", "owlery-mongodb", lambda m: m["spec"].update(replicas=3)),
    ),
    "one replica in prod": (
        "availability",
        lambda r: broken(r, "HorizontalPodAutoscaler", "gamification", lambda h: h["spec"].update(minReplicas=1)),
    ),
    "portal readiness on a path it does not serve": (
        "probes",
        lambda r: broken(
            r,
            "Deployment",
            "portal",
            lambda d: first_container(d)["readinessProbe"]["httpGet"].update(path="/ready"),
        ),
    ),
    "portal given a Kafka setting it does not have": (
        "settings",
        lambda r: broken(
            r, "ConfigMap", "portal", lambda c: c["data"].update(OWLERY_PORTAL_KAFKA_BOOTSTRAP_SERVERS="x:9092")
        ),
    ),
    "portal session secret in a ConfigMap": (
        "secrets",
        lambda r: broken(r, "ConfigMap", "portal", lambda c: c["data"].update(OWLERY_PORTAL_SESSION_SECRET="x")),
    ),
    "portal session secret reference dropped": (
        "secrets",
        lambda r: broken(r, "Deployment", "portal", lambda d: first_container(d).update(env=[])),
    ),
    "portal container port is not its http_port": (
        "ports",
        lambda r: broken(
            r, "Deployment", "portal", lambda d: first_container(d)["ports"][0].update(containerPort=8080)
        ),
    ),
    "portal without a disruption budget": (
        "availability",
        lambda r: Rendered(
            r.overlay,
            [i for i in r.objects if (i["kind"], i["metadata"]["name"]) != ("PodDisruptionBudget", "portal")],
        ),
    ),
    "portal may run as root": (
        "security",
        lambda r: broken(
            r,
            "Deployment",
            "portal",
            lambda d: d["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False),
        ),
    ),
    "no disruption budget": (
        "availability",
        lambda r: Rendered(
            r.overlay,
            [i for i in r.objects if (i["kind"], i["metadata"]["name"]) != ("PodDisruptionBudget", "directory")],
        ),
    ),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_each_check_fails_on_a_broken_manifest(
    rendered: dict[str, Rendered],
    facts: dict[str, ServiceFacts],
    readme: str,
    monkeypatch: pytest.MonkeyPatch,
    breakage: str,
) -> None:
    check, breaking = BREAKAGES[breakage]
    checks: dict[str, Callable[[Rendered], None]] = {
        "probes": lambda r: check_probes(r, facts),
        "settings": lambda r: check_settings(r, monkeypatch),
        "ports": lambda r: check_ports(r, monkeypatch),
        "secrets": lambda r: check_secrets(r, readme),
        "topics": lambda r: check_topics(r, facts, monkeypatch),
        "security": check_security,
        "schemas": check_schemas,
        "availability": check_availability,
    }
    prod = rendered["prod"]
    checks[check](prod)  # the unbroken overlay passes
    with pytest.raises(AssertionError):
        checks[check](breaking(prod))


def test_the_renderer_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nnamePrefix: owlery-\n")
    with pytest.raises(AssertionError, match="namePrefix"):
        render(tmp_path)


def test_the_renderer_applies_patches_like_kustomize() -> None:
    document: Object = {"spec": {"a": [1, 2], "b": {"c": 1}}}
    for operation in (
        {"op": "add", "path": "/spec/a/-", "value": 3},
        {"op": "replace", "path": "/spec/b/c", "value": 2},
        {"op": "remove", "path": "/spec/a/0"},
        {"op": "add", "path": "/spec/d", "value": {"e": 1}},
    ):
        json_patch(document, operation)
    assert document == {"spec": {"a": [2, 3], "b": {"c": 2}, "d": {"e": 1}}}
    with pytest.raises((AssertionError, KeyError)):
        json_patch(document, {"op": "replace", "path": "/spec/missing", "value": 1})
    merge(document, {"spec": {"b": {"c": None, "f": "g"}}})
    assert document["spec"]["b"] == {"f": "g"}


def iter_overlay_files() -> Iterator[Path]:
    yield from sorted(K8S.rglob("*.yaml"))


def test_every_manifest_file_is_used() -> None:
    """A file no kustomization names (resource or patch) would be silently left out of every deployment."""
    named = set()
    for kustomization_file in K8S.rglob("kustomization.yaml"):
        [kustomization] = load_documents(kustomization_file)
        for entry in kustomization.get("resources", []) + [patch["path"] for patch in kustomization.get("patches", [])]:
            named.add((kustomization_file.parent / entry).resolve())
    unused = [
        path for path in iter_overlay_files() if path.name != "kustomization.yaml" and path.resolve() not in named
    ]
    assert not unused, f"manifests no kustomization uses: {unused}"
