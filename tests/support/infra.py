"""The servers a test session runs against, started once per session.

Picked in this order:
1. addresses in the environment (`OWLERY_TEST_KAFKA_BOOTSTRAP` and `OWLERY_TEST_MONGODB_URL`):
   a company's own Kafka and MongoDB;
2. testcontainers with the official `apache/kafka` and `mongo` images, when a Docker engine answers;
3. otherwise real local processes: Kafka from Maven Central and FerretDB, via deploy/local.
A server that cannot be had fails the session loudly: no test ever skips for lack of infrastructure.
Tests isolate themselves by unique database names, topic prefixes and consumer groups.
"""

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.persistence.mongo import connect
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    mongodb_url: str
    origin: str


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def _containers() -> Iterator[Servers]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka, MongoDbContainer("mongo:8") as mongo:
        yield Servers(kafka.get_bootstrap_server(), mongo.get_connection_url(), "testcontainers")


@contextlib.contextmanager
def _local_processes() -> Iterator[Servers]:
    from deploy.local.launcher import LocalServers

    # Shared with any other test session running now: the last one to finish stops the servers.
    with LocalServers.for_profile("test").shared() as endpoints:
        yield Servers(endpoints.kafka_bootstrap, endpoints.mongodb_url, "local processes")


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    kafka, mongodb = os.environ.get("OWLERY_TEST_KAFKA_BOOTSTRAP"), os.environ.get("OWLERY_TEST_MONGODB_URL")
    if kafka and mongodb:
        yield Servers(kafka, mongodb, "environment")
        return
    source = _containers() if _docker_answers() else _local_processes()
    with source as started:
        # Service subprocesses and helper fixtures find the servers here.
        os.environ["OWLERY_TEST_KAFKA_BOOTSTRAP"] = started.kafka_bootstrap
        os.environ["OWLERY_TEST_MONGODB_URL"] = started.mongodb_url
        yield started


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def unique_name() -> str:
    """A fresh name for a database, topic prefix or consumer group: tests never share state."""
    return unique("t")


S = TypeVar("S", bound=ServiceSettings)


def isolated(settings_class: type[S], servers: Servers, service: str, **overrides: Any) -> S:
    """A service's settings on the session's servers, isolated by a fresh database, topic prefix and group."""
    name = unique("t")
    values: dict[str, Any] = {
        "mongodb_url": servers.mongodb_url,
        "kafka_bootstrap_servers": servers.kafka_bootstrap,
        "mongodb_database": f"owlery_{service}_{name}",
        "topic_prefix": f"{name}.",
        "consumer_group": f"{service}_{name}",
        **overrides,
    }
    return settings_class(**values)


async def remove(servers: Servers, settings: ServiceSettings) -> None:
    """Drop what an isolated service left behind: its database and the topics under its prefix."""
    if not settings.topic_prefix:
        raise ValueError("only an isolated service (one with a topic prefix) is removed: it would take every topic")
    client = connect(servers.mongodb_url)
    try:
        await client.drop_database(settings.mongodb_database)
    finally:
        await client.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        ours = [topic for topic in await admin.list_topics() if topic.startswith(settings.topic_prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()
