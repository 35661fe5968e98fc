"""`make run`: the whole platform on this machine; `make stop`: stop it.

Starts (provisioning if needed) Kafka and FerretDB of the `run` profile, a mail catcher (`deploy.local.mailbox`,
127.0.0.1:1025, each email an .eml file in `.run/run/mail/`), then the five services (domain services on
8001-8004, the directory with the development sign-in on 8005) in dev mode and the portal (8000) over them,
prints the portal's address and the API docs addresses and waits; Ctrl-C or `make stop` stops all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

from deploy.local.launcher import LocalServers, run_root
from deploy.local.mailbox import MailCatcher, aiosmtpd_available, mail_directory, mail_port
from deploy.local.services import PORTAL_PORT, SERVICES, ServiceProcess, dev_issuer_url, portal_environment


def _pid_dir() -> Path:
    return run_root() / "run" / "services"


def run() -> int:
    servers = LocalServers.for_profile("run")
    endpoints = servers.start()
    ports = {name: int(os.environ.get(f"OWLERY_{name.upper()}_HTTP_PORT", port)) for name, port in SERVICES.items()}
    mailbox = MailCatcher(mail_port(), mail_directory(), _pid_dir() / "mailbox.log")
    smtp = {"OWLERY_NOTIFICATIONS_SMTP_HOST": mailbox.host, "OWLERY_NOTIFICATIONS_SMTP_PORT": str(mailbox.port)}
    processes = [
        ServiceProcess(
            name=name,
            port=port,
            kafka_bootstrap=endpoints.kafka_bootstrap,
            mongodb_url=endpoints.mongodb_url,
            log_path=_pid_dir() / f"{name}.log",
            issuer=dev_issuer_url(ports["directory"]),
            extra_env={
                "OWLERY_DIRECTORY_EXPORT_SOURCES": json.dumps(_export_sources(ports)),
                **{key: value for key, value in smtp.items() if key not in os.environ},  # a developer's own SMTP wins
            },
        )
        for name, port in ports.items()
    ]
    portal_port = int(os.environ.get("OWLERY_PORTAL_HTTP_PORT", PORTAL_PORT))
    portal = ServiceProcess(
        name="portal",
        port=portal_port,
        kafka_bootstrap=endpoints.kafka_bootstrap,
        mongodb_url=endpoints.mongodb_url,
        log_path=_pid_dir() / "portal.log",
        issuer=dev_issuer_url(ports["directory"]),
        extra_env=portal_environment(ports, portal_port),
    )
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        catching_mail = _start_mailbox(mailbox)
        for process in processes:
            process.start()
            (_pid_dir() / f"{process.name}.pid").write_text(str(process.process.pid if process.process else ""))
        for process in processes:
            process.wait_ready()
        processes.append(portal.start())  # after the directory is ready: the portal reads its issuer's discovery
        (_pid_dir() / "portal.pid").write_text(str(portal.process.pid if portal.process else ""))
        portal.wait_ready()
        print("\nOwlery is running:")
        print(f"  Portal    {portal.url}/   (sign in as a demo person; log: {portal.log_path})")
        print(f"  Kafka     {endpoints.kafka_bootstrap}")
        print(f"  MongoDB   {endpoints.mongodb_url}  (FerretDB on SQLite, data in {run_root() / 'run'})")
        for process in processes:
            if process is not portal:
                print(f"  {process.name:<14} {process.url}/docs   (log: {process.log_path})")
        if catching_mail:
            print(f"  {'mail':<14} smtp://{mailbox.address} -> {mailbox.directory}/*.eml   (log: {mailbox.log_path})")
        else:
            print(f"  {'mail':<14} not kept: no mail catcher (see above)")
        print("\nSign in (development issuer, demo people anna, tom, irina, max, olga, root @owlery.dev):")
        print(f"  curl -s -X POST {processes[0].url}/dev-oidc/token -H 'content-type: application/json' \\")
        print('       -d \'{"user_name": "anna@owlery.dev"}\'')
        print("\nCtrl-C or `make stop` stops everything.", flush=True)
        (_pid_dir() / "platform.pid").write_text(str(os.getpid()))
        while not stopping:
            for process in processes:
                if process.process is not None and process.process.poll() is not None:
                    print(f"{process.name} exited:\n{process.log_tail()}", file=sys.stderr)
                    return 1
            if catching_mail and mailbox.exited():
                print(f"the mail catcher exited, emails are no longer kept:\n{mailbox.log_tail()}", file=sys.stderr)
                catching_mail = False
            time.sleep(0.5)
        return 0
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        print("stopping services…", flush=True)
        for process in reversed(processes):  # the portal first, the directory (its issuer) last
            process.stop()
        mailbox.stop()
        servers.stop()
        for pid_file in _pid_dir().glob("*.pid"):
            pid_file.unlink(missing_ok=True)


def _start_mailbox(mailbox: MailCatcher) -> bool:
    """Start the mail catcher before the services; without it (no aiosmtpd, port taken) the platform runs on."""
    if not aiosmtpd_available():
        print(
            "No mail catcher: aiosmtpd, a dev dependency, is not installed (`uv sync --all-packages` installs it);"
            f" emails to {mailbox.address} will fail and be retried.",
            file=sys.stderr,
        )
        return False
    try:
        mailbox.start()
        (_pid_dir() / "mailbox.pid").write_text(str(mailbox.process.pid if mailbox.process else ""))
        mailbox.wait_ready()
    except RuntimeError as error:
        print(f"No mail catcher: {error}", file=sys.stderr)
        mailbox.stop()
        return False
    return True


def _export_sources(ports: dict[str, int]) -> dict[str, str]:
    return {name: f"http://127.0.0.1:{port}" for name, port in ports.items() if name != "directory"}


def stop() -> int:
    platform_pid = _pid_dir() / "platform.pid"
    if platform_pid.exists():
        pid = int(platform_pid.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):  # the platform stops its services and servers itself
                os.kill(pid, 0)
                time.sleep(0.2)
        except ProcessLookupError:
            pass
    for pid_file in _pid_dir().glob("*.pid"):  # leftovers of a platform that died
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        pid_file.unlink(missing_ok=True)
    LocalServers.for_profile("run").stop()
    print("Owlery stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.platform", description=__doc__)
    parser.add_argument("command", choices=["run", "stop"])
    args = parser.parse_args(argv)
    return run() if args.command == "run" else stop()


if __name__ == "__main__":
    sys.exit(main())
