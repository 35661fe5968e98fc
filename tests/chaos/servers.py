"""The session's Kafka and FerretDB as processes this test may stop, restart and pause.

The servers come from deploy/local's launcher (`LocalServers.for_profile(...)`): its pid files name the
processes. Which profile: `OWLERY_CHAOS_PROFILE` if set, else the one whose ports match the session's
servers (the test profile, with any OWLERY_*_PORT overrides, or the run profile when the tests point
at `make run`'s servers). Servers the launcher did not start (a company's own, testcontainers) cannot be
stopped from here: the test says so and fails, it never skips the faults silently.
"""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import urlparse

from deploy.local.launcher import READY_TIMEOUT_S, STOP_TIMEOUT_S, LocalServers
from tests.support.infra import Servers


def _port_of(address: str) -> int:
    parsed = urlparse(address if "://" in address else f"kafka://{address}")
    if parsed.port is None:
        raise ValueError(f"no port in {address!r}")
    return parsed.port


class ServerControl:
    """Stop and start the profile's Kafka broker; pause and resume its FerretDB."""

    def __init__(self, servers: Servers) -> None:
        kafka_port = _port_of(servers.kafka_bootstrap.split(",")[0])
        mongodb_port = _port_of(servers.mongodb_url)
        wanted = os.environ.get("OWLERY_CHAOS_PROFILE")
        candidates = [wanted] if wanted else ["test", "run"]
        for name in candidates:
            local = LocalServers.for_profile(name)
            if local.kafka.port == kafka_port and local.ferretdb.port == mongodb_port:
                self.local = local
                break
        else:
            raise AssertionError(
                f"the session's servers (kafka port {kafka_port}, mongodb port {mongodb_port}) are not a local "
                f"launcher profile's ({', '.join(candidates)}): the chaos test stops and pauses them through the "
                "launcher's pid files; set OWLERY_CHAOS_PROFILE or run on the local servers"
            )

    def kafka_pid(self) -> int:
        pid = self.local.kafka.pid()
        if pid is None:
            raise AssertionError(f"no running Kafka in {self.local.kafka.pid_file}")
        return pid

    def ferretdb_pid(self) -> int:
        pid = self.local.ferretdb.pid()
        if pid is None:
            raise AssertionError(f"no running FerretDB in {self.local.ferretdb.pid_file}")
        return pid

    def stop_kafka(self) -> float:
        """SIGTERM the broker and wait until it is gone; seconds it took."""
        started = time.monotonic()
        pid = self.local.kafka.signal_stop()
        if pid is None:
            raise AssertionError("Kafka was not running")
        self.local.kafka.finish_stop(pid, time.monotonic() + STOP_TIMEOUT_S)
        return time.monotonic() - started

    def start_kafka(self) -> float:
        """Start the broker again on its kept storage and wait until it answers; seconds it took."""
        started = time.monotonic()
        pid = self.local.kafka.spawn()
        self.local.kafka.wait_ready(pid, time.monotonic() + READY_TIMEOUT_S)
        return time.monotonic() - started

    def pause_database(self, seconds: float) -> None:
        pid = self.ferretdb_pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.kill(pid, signal.SIGCONT)
