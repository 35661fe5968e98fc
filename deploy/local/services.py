"""Run Owlery's services as local processes: `make run` uses it, and so do the cross-service tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

SERVICES: dict[str, int] = {
    "directory": 8005,
    "enrolment": 8001,
    "mentoring": 8002,
    "gamification": 8003,
    "notifications": 8004,
}
"""Every service and its default port; the directory first, as it is the development sign-in too."""


PORTAL_PORT = 8000
"""The portal's default port: the web pages over the services' APIs (it has no database or broker of its own)."""


def dev_issuer_url(directory_port: int) -> str:
    return f"http://127.0.0.1:{directory_port}/dev-oidc"


def portal_environment(service_ports: dict[str, int], portal_port: int) -> dict[str, str]:
    """What the portal is told: its own public address and each service's (the issuer comes with `issuer`)."""
    return {
        "OWLERY_PORTAL_PUBLIC_URL": f"http://127.0.0.1:{portal_port}",
        **{f"OWLERY_PORTAL_{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in service_ports.items()},
    }


@dataclass
class ServiceProcess:
    """One service (`python -m <name>`) with its settings given as OWLERY_<NAME>_* variables."""

    name: str
    port: int
    kafka_bootstrap: str
    mongodb_url: str
    log_path: Path
    database: str | None = None
    topic_prefix: str = ""
    consumer_group: str | None = None
    issuer: str | None = None
    """The development issuer every service trusts (dev mode); None: the service's configured one."""
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        prefix = f"OWLERY_{self.name.upper()}_"
        settings = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "MONGODB_URL": self.mongodb_url,
            "HTTP_PORT": str(self.port),
            "TOPIC_PREFIX": self.topic_prefix,
        }
        if self.database:
            settings["MONGODB_DATABASE"] = self.database
        if self.consumer_group:
            settings["CONSUMER_GROUP"] = self.consumer_group
        if self.issuer:
            settings |= {"MODE": "dev", "OIDC_ISSUER": self.issuer}
            if self.name == "directory":
                settings["DEV_ISSUER_URL"] = self.issuer
        return {**os.environ, **{prefix + key: value for key, value in settings.items()}, **self.extra_env}

    def start(self) -> ServiceProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.name], env=self.environment(), stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
