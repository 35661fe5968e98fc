"""The five services as real processes on the session's servers, isolated by a unique prefix.

The directory is the platform's development issuer, with a signing key the test knows: tests sign
their own tokens for any person and role (`platform.headers(...)`), and every service verifies them
against the directory's published keys, exactly as in `make run`.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploy.local.services import SERVICES, ServiceProcess, dev_issuer_url
from shared.auth.signing import TokenSigner, generate_private_key_pem
from tests.support.infra import Servers, unique

SCIM_TOKEN = "test-provisioning-token"
"""The HR system's bearer token for the directory's SCIM endpoint in tests."""

LOG_DIR = Path(__file__).resolve().parents[2] / ".run" / "test" / "services"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Platform:
    servers: Servers
    name: str
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    replicas: list[ServiceProcess] = field(default_factory=list)
    """Further processes of a service, on their own ports, sharing its database and consumer group."""
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in SERVICES})
    signing_key: str = field(default_factory=generate_private_key_pem)

    @property
    def signer(self) -> TokenSigner:
        return TokenSigner(dev_issuer_url(self.ports["directory"]), self.signing_key)

    def headers(self, person_id: str, *roles: str) -> dict[str, str]:
        """A bearer token for this person, as the platform's development issuer would sign it."""
        return {"Authorization": f"Bearer {self.signer.sign(person_id, roles)}"}

    @property
    def topic_prefix(self) -> str:
        return f"{self.name}."

    def database(self, service: str) -> str:
        return f"{self.name}_{service}"

    def process(self, service: str, **extra_env: str) -> ServiceProcess:
        return self._process(service, self.ports[service], f"{self.name}-{service}.log", extra_env)

    def _process(self, service: str, port: int, log_name: str, extra_env: dict[str, str]) -> ServiceProcess:
        sources = {name: f"http://127.0.0.1:{other}" for name, other in self.ports.items() if name != "directory"}
        return ServiceProcess(
            name=service,
            port=port,
            kafka_bootstrap=self.servers.kafka_bootstrap,
            mongodb_url=self.servers.mongodb_url,
            log_path=LOG_DIR / log_name,
            database=self.database(service),
            topic_prefix=self.topic_prefix,
            consumer_group=f"{self.name}-{service}",
            issuer=self.signer.issuer,
            extra_env={
                **extra_env,
                f"OWLERY_{service.upper()}_OUTBOX_SWEEP_SECONDS": "2",
                # A killed replica's sweep lease ends within seconds, so the tests need not wait half a minute.
                f"OWLERY_{service.upper()}_OUTBOX_LEASE_SECONDS": "12",
                f"OWLERY_{service.upper()}_OUTBOX_ORPHAN_SECONDS": "5",
                f"OWLERY_{service.upper()}_OUTBOX_PUBLISH_TIMEOUT_SECONDS": "4",
                "OWLERY_DIRECTORY_DEV_ISSUER_KEY_PEM": self.signing_key,
                "OWLERY_DIRECTORY_EXPORT_SOURCES": json.dumps(sources),
                "OWLERY_DIRECTORY_SCIM_TOKEN": SCIM_TOKEN,
            },
        )

    def start(self, *services: str, **extra_env: str) -> None:
        for service in services or tuple(SERVICES):
            self.processes[service] = self.process(service, **extra_env).start()
        for service in services or tuple(SERVICES):
            self.processes[service].wait_ready()

    def restart(self, service: str, **extra_env: str) -> ServiceProcess:
        """Stop (if alive) and start again on the same port, database and consumer group."""
        old = self.processes[service]
        old.stop()
        new = self.process(service, **extra_env)
        self.processes[service] = new.start()
        return new

    def add_replicas(self, *services: str, **extra_env: str) -> list[ServiceProcess]:
        """Start one more process of each service (all of them if none is named), ready when this returns."""
        number = len(self.replicas) + 2
        started = [
            self._process(service, free_port(), f"{self.name}-{service}-{number}.log", extra_env).start()
            for service in services or tuple(SERVICES)
        ]
        self.replicas += started
        for process in started:
            process.wait_ready()
        return started

    def url(self, service: str) -> str:
        return self.processes[service].url

    def stop(self) -> None:
        for process in [*self.replicas, *self.processes.values()]:
            process.stop()


@pytest.fixture(scope="module")
def platform(servers: Servers) -> Iterator[Platform]:
    running = Platform(servers, unique("p"))
    running.start()
    try:
        yield running
    finally:
        running.stop()
