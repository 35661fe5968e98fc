"""The four services as real processes on the session's servers, isolated by a unique prefix."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploy.local.services import SERVICES, ServiceProcess
from tests.support.infra import Servers, unique

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

    @property
    def topic_prefix(self) -> str:
        return f"{self.name}."

    def database(self, service: str) -> str:
        return f"{self.name}_{service}"

    def process(self, service: str, **extra_env: str) -> ServiceProcess:
        return ServiceProcess(
            name=service,
            port=free_port(),
            kafka_bootstrap=self.servers.kafka_bootstrap,
            mongodb_url=self.servers.mongodb_url,
            log_path=LOG_DIR / f"{self.name}-{service}.log",
            database=self.database(service),
            topic_prefix=self.topic_prefix,
            consumer_group=f"{self.name}-{service}",
            extra_env={**extra_env, f"OWLERY_{service.upper()}_OUTBOX_SWEEP_SECONDS": "2"},
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
        new.port = old.port
        self.processes[service] = new.start()
        return new

    def url(self, service: str) -> str:
        return self.processes[service].url

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


@pytest.fixture(scope="module")
def platform(servers: Servers) -> Iterator[Platform]:
    running = Platform(servers, unique("p"))
    running.start()
    try:
        yield running
    finally:
        running.stop()
