"""docker-compose.yml and the service Dockerfiles: the structure a user of `docker compose up` relies on.

Static checks only (no Docker needed): official infrastructure images, one healthy, correctly wired
container per service and for the portal, built from its own Dockerfile, reachable on its documented port,
given only variables its settings class reads.
"""

import importlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from deploy.local.services import PORTAL_PORT, SERVICES, portal_environment

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"

INFRASTRUCTURE = ("kafka", "mongo")

APPS: dict[str, int] = {**SERVICES, "portal": PORTAL_PORT}
"""Every container built from this repository -> the port its settings default to and the README documents.
SERVICES are the five with a database and Kafka; the portal has neither (it calls the services' HTTP APIs), so
the checks about Kafka and MongoDB run over SERVICES, and the rest over APPS."""

SETTINGS_CLASSES = {
    "enrolment": "EnrolmentSettings",
    "mentoring": "MentoringSettings",
    "gamification": "GamificationSettings",
    "notifications": "NotificationsSettings",
    "directory": "DirectorySettings",
    "portal": "PortalSettings",
}


def env_prefix(service: str) -> str:
    return f"OWLERY_{service.upper()}_"


def settings_class(name: str) -> type[BaseSettings]:
    cls: object = getattr(importlib.import_module(f"{name}.config"), SETTINGS_CLASSES[name])
    assert isinstance(cls, type) and issubclass(cls, BaseSettings)
    assert cls.model_config.get("env_prefix") == env_prefix(name), f"{name}: settings read another prefix"
    return cls


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    assert isinstance(document.get("services"), dict), "docker-compose.yml has no services"
    return document


def service_definition(compose: dict[str, Any], name: str) -> dict[str, Any]:
    definition = compose["services"].get(name)
    assert isinstance(definition, dict), f"{name}: missing from docker-compose.yml"
    return definition


def environment(definition: dict[str, Any]) -> dict[str, str]:
    """Compose allows a mapping or a list of KEY=VALUE; values may be numbers."""
    raw = definition.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def published_ports(definition: dict[str, Any]) -> set[tuple[int, int]]:
    """(host port, container port) pairs from the short ("[ip:]host:container[/proto]") or long syntax."""
    pairs = set()
    for entry in definition.get("ports") or []:
        if isinstance(entry, dict):
            if entry.get("published") is not None:
                pairs.add((int(entry["published"]), int(entry["target"])))
            continue
        parts = str(entry).split("/")[0].split(":")
        if len(parts) >= 2:
            pairs.add((int(parts[-2]), int(parts[-1])))
    return pairs


def image_name(image: str) -> tuple[str, str]:
    """("apache/kafka", "4.1.1") from "docker.io/apache/kafka:4.1.1"; official library images lose "library/"."""
    repository, _, tag = image.partition(":")
    for registry in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        repository = repository.removeprefix(registry)
    return repository.removeprefix("library/"), tag


def dockerfile_of(definition: dict[str, Any]) -> Path:
    build = definition.get("build")
    if isinstance(build, str):
        return (ROOT / build / "Dockerfile").resolve()
    assert isinstance(build, dict)
    context, dockerfile = str(build.get("context", ".")), str(build.get("dockerfile", "Dockerfile"))
    return (ROOT / context / dockerfile).resolve()


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and backslash continuations joined."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = full.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
    return result


@pytest.mark.parametrize(
    ("name", "repository", "tag_prefix"), [("kafka", "apache/kafka", "4."), ("mongo", "mongo", "")]
)
def test_infrastructure_uses_official_images_and_is_health_checked(
    compose: dict[str, Any], name: str, repository: str, tag_prefix: str
) -> None:
    definition = service_definition(compose, name)
    image = definition.get("image")
    assert isinstance(image, str), f"{name}: no image"
    actual_repository, tag = image_name(image)
    assert actual_repository == repository, f"{name}: image {image!r} is not the official {repository}"
    assert tag.startswith(tag_prefix), f"{name}: image {image!r} is not tagged {tag_prefix}x"
    assert definition.get("healthcheck", {}).get("test"), f"{name}: no healthcheck, so service_healthy never holds"


@pytest.mark.parametrize("name", APPS)
def test_service_builds_from_its_own_dockerfile(compose: dict[str, Any], name: str) -> None:
    definition = service_definition(compose, name)
    assert definition.get("build"), f"{name}: not built from source (no build:)"
    dockerfile = dockerfile_of(definition)
    expected = ROOT / "services" / name / "Dockerfile"
    assert dockerfile == expected, f"{name}: builds from {dockerfile}, expected {expected}"
    assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
    build = definition["build"]
    context = (ROOT / (build if isinstance(build, str) else build.get("context", "."))).resolve()
    assert context == ROOT, f"{name}: build context {context} is not the repository root (uv needs the workspace)"


@pytest.mark.parametrize("name", APPS)
def test_service_has_a_healthcheck(compose: dict[str, Any], name: str) -> None:
    healthcheck = service_definition(compose, name).get("healthcheck") or {}
    assert not healthcheck.get("disable"), f"{name}: healthcheck disabled"
    test = healthcheck.get("test")
    assert test, f"{name}: no healthcheck"
    assert "/health/live" in " ".join(test if isinstance(test, list) else [test]), (
        f"{name}: healthcheck does not probe /health/live"
    )


# Not the portal: it has neither Kafka nor MongoDB (it waits for the services instead, tested below).
@pytest.mark.parametrize("name", SERVICES)
def test_service_waits_for_healthy_kafka_and_mongo(compose: dict[str, Any], name: str) -> None:
    depends_on = service_definition(compose, name).get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must be a mapping with condition: service_healthy"
    for dependency in INFRASTRUCTURE:
        condition = (depends_on.get(dependency) or {}).get("condition")
        assert condition == "service_healthy", f"{name}: does not wait for {dependency} to be healthy ({condition=})"


def test_the_portal_waits_for_healthy_services(compose: dict[str, Any]) -> None:
    depends_on = service_definition(compose, "portal").get("depends_on")
    assert isinstance(depends_on, dict), "portal: depends_on must be a mapping with condition: service_healthy"
    for dependency in SERVICES:
        condition = (depends_on.get(dependency) or {}).get("condition")
        assert condition == "service_healthy", f"portal: does not wait for {dependency} to be healthy ({condition=})"
    assert not set(depends_on) & set(INFRASTRUCTURE), "portal: waits for servers it never uses"


# Not the portal: it has no Kafka or MongoDB settings (its wiring is the services' addresses, tested below).
@pytest.mark.parametrize("name", SERVICES)
def test_service_environment_is_wired(compose: dict[str, Any], name: str) -> None:
    env = environment(service_definition(compose, name))
    prefix = env_prefix(name)
    for field in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL", "MONGODB_DATABASE"):
        assert env.get(prefix + field), f"{name}: {prefix}{field} is not set"
    assert env[prefix + "KAFKA_BOOTSTRAP_SERVERS"].split(":")[0] == "kafka", (
        f"{name}: {prefix}KAFKA_BOOTSTRAP_SERVERS does not point at the kafka service"
    )
    assert "mongo:" in env[prefix + "MONGODB_URL"], f"{name}: {prefix}MONGODB_URL does not point at the mongo service"
    foreign = [key for key in env if key.startswith("OWLERY_") and not key.startswith(prefix)]
    assert not foreign, f"{name}: variables for another service's prefix, ignored by this one: {foreign}"


@pytest.mark.parametrize("name", APPS)
def test_environment_is_made_of_real_settings(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every OWLERY_ variable is one the container's settings class reads, and the class accepts them all."""
    env = environment(service_definition(compose, name))
    cls = settings_class(name)
    known = {env_prefix(name) + field.upper() for field in cls.model_fields}
    unknown = sorted(key for key in env if key.startswith("OWLERY_") and key not in known)
    assert not unknown, f"{name}: variables no setting reads (ignored): {unknown}"
    for key in [key for key in os.environ if key.startswith("OWLERY_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cls()  # raises if refused


def test_the_portal_calls_each_service_by_its_compose_name(compose: dict[str, Any]) -> None:
    env = environment(service_definition(compose, "portal"))
    for name, port in SERVICES.items():
        variable = f"OWLERY_PORTAL_{name.upper()}_URL"
        assert env.get(variable) == f"http://{name}:{port}", f"portal: {variable} is {env.get(variable)!r}"
    told = set(portal_environment(SERVICES, PORTAL_PORT))  # what `make run` tells the portal
    assert told <= set(env), f"portal: not set as `make run` sets it: {sorted(told - set(env))}"


def test_the_portal_sends_browsers_to_addresses_the_host_reaches(compose: dict[str, Any]) -> None:
    """The browser runs on the host: the portal's public URL and the sign-in page are on published ports."""
    env = environment(service_definition(compose, "portal"))
    issuer, browser_issuer = (
        urlsplit(env["OWLERY_PORTAL_OIDC_ISSUER"]),
        urlsplit(env["OWLERY_PORTAL_OIDC_BROWSER_ISSUER"]),
    )
    public = urlsplit(env["OWLERY_PORTAL_PUBLIC_URL"])
    assert (public.hostname, public.port) == ("127.0.0.1", PORTAL_PORT), f"portal: public URL {public.geturl()}"
    assert issuer.hostname == "directory", "portal: the issuer it calls is not the directory container"
    directory_port = SERVICES["directory"]
    assert (browser_issuer.hostname, browser_issuer.port) == ("127.0.0.1", directory_port), browser_issuer.geturl()
    assert (directory_port, directory_port) in published_ports(service_definition(compose, "directory"))
    assert browser_issuer.path == issuer.path, "portal: the browser is sent to another issuer than the portal calls"


def test_services_have_distinct_databases(compose: dict[str, Any]) -> None:
    databases: dict[str, str] = {}
    for name in SERVICES:
        database = environment(service_definition(compose, name)).get(env_prefix(name) + "MONGODB_DATABASE", "")
        owner = next((other for other, used in databases.items() if used == database), None)
        assert owner is None, f"{name}: shares database {database!r} with {owner}"
        databases[name] = database


@pytest.mark.parametrize(("name", "port"), APPS.items())
def test_service_publishes_its_http_port(compose: dict[str, Any], name: str, port: int) -> None:
    definition = service_definition(compose, name)
    env = environment(definition)
    prefix = env_prefix(name)
    http_port = int(env.get(prefix + "HTTP_PORT", port))
    assert http_port == port, f"{name}: {prefix}HTTP_PORT is {http_port}, documented port is {port}"
    assert env.get(prefix + "HTTP_HOST", "0.0.0.0") == "0.0.0.0", (
        f"{name}: {prefix}HTTP_HOST must be 0.0.0.0 to be reachable through the published port"
    )
    pairs = published_ports(definition)
    assert (port, http_port) in pairs, f"{name}: does not publish {port}:{http_port} (ports: {sorted(pairs)})"


@pytest.mark.parametrize(("name", "port"), APPS.items())
def test_dockerfile_runs_the_service_as_non_root(name: str, port: int) -> None:
    dockerfile = ROOT / "services" / name / "Dockerfile"
    assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
    steps = instructions(dockerfile)
    commands = [arguments for keyword, arguments in steps if keyword == "CMD"]
    assert commands, f"{name}: Dockerfile has no CMD"
    command = commands[-1]
    argv = json.loads(command) if command.startswith("[") else command.split()
    assert Path(argv[0]).name.startswith("python"), f"{name}: CMD {argv} does not start python"
    assert argv[1:] == ["-m", name], f"{name}: CMD {argv} does not run `python -m {name}`"
    users = [arguments for keyword, arguments in steps if keyword == "USER"]
    assert users, f"{name}: Dockerfile never leaves root (no USER)"
    assert users[-1].split(":")[0] not in {"root", "0"}, f"{name}: runs as {users[-1]}"
    exposed = {
        token.split("/")[0] for keyword, arguments in steps if keyword == "EXPOSE" for token in arguments.split()
    }
    assert str(port) in exposed, f"{name}: Dockerfile does not EXPOSE {port} (exposes {sorted(exposed)})"
    assert any(keyword == "HEALTHCHECK" and "/health/live" in arguments for keyword, arguments in steps), (
        f"{name}: Dockerfile has no HEALTHCHECK on /health/live"
    )


def test_every_service_trusts_the_directorys_development_issuer_in_dev_mode(compose: dict[str, Any]) -> None:
    issuers = {}
    for name in APPS:  # the portal too: people sign in to it there
        env = environment(service_definition(compose, name))
        assert env.get(env_prefix(name) + "MODE") == "dev", f"{name}: the development issuer needs dev mode"
        issuers[name] = env.get(env_prefix(name) + "OIDC_ISSUER")
    directory = environment(service_definition(compose, "directory"))
    assert set(issuers.values()) == {directory["OWLERY_DIRECTORY_DEV_ISSUER_URL"]}
    assert str(issuers["directory"]).startswith("http://directory:8005/")  # reachable from every container
