"""A local mail catcher for `make run`: an SMTP server that keeps every email it receives as an .eml file.

Owlery's notifications service sends email to 127.0.0.1:1025 by default; `make run` starts this catcher
there, before the services, so developers can open what was sent (any mail client opens .eml files)
instead of losing it. Nothing is relayed anywhere.

    python -m deploy.local.mailbox [--host 127.0.0.1] [--port 1025] [--directory .run/run/mail]

Each email becomes `<directory>/<UTC time>-<random>.eml`: the message as received, headed by
`Return-Path` and one `Delivered-To` per envelope recipient (Bcc included). One log line per email
names its sender, recipients and subject. Any AUTH credentials are accepted; STARTTLS is not offered.

Environment: `OWLERY_MAIL_PORT` (default 1025). Needs `aiosmtpd` (a dev dependency); the rest of this
module, the part `deploy.local.platform` imports, is standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.policy
import importlib.util
import io
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from deploy.local.launcher import run_root

if TYPE_CHECKING:
    from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

DEFAULT_PORT = 1025
HOST = "127.0.0.1"

logger = logging.getLogger("owlery.mailbox")


def mail_port() -> int:
    return int(os.environ.get("OWLERY_MAIL_PORT", DEFAULT_PORT))


def mail_directory() -> Path:
    """Where `make run` keeps caught mail: beside Kafka's and FerretDB's state of the `run` profile."""
    return run_root() / "run" / "mail"


def aiosmtpd_available() -> bool:
    return importlib.util.find_spec("aiosmtpd") is not None


class Mailbox:
    """aiosmtpd handler: writes each message to its own .eml file and logs one line."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        sender = envelope.mail_from or ""
        path = self.store(sender, list(envelope.rcpt_tos), content)
        subject = BytesHeaderParser(policy=email.policy.default).parsebytes(content).get("Subject")
        logger.info(
            "mail from %s to %s, subject %r -> %s",
            sender or "<>",
            ", ".join(envelope.rcpt_tos),
            str(subject) if subject is not None else "(none)",
            path.name,
        )
        return "250 Message accepted for delivery"

    def store(self, sender: str, recipients: list[str], content: bytes) -> Path:
        """Write the file under a temporary name first, so a reader never sees half an email."""
        newline = b"\r\n" if b"\r\n" in content else b"\n"
        trace = [f"Return-Path: <{sender}>".encode()] + [f"Delivered-To: {to}".encode() for to in recipients]
        name = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{secrets.token_hex(3)}.eml"
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".{name}.partial"
        partial.write_bytes(newline.join(trace) + newline + content)
        return partial.replace(self.directory / name)


def _accept_any_login(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=True)


async def serve(host: str, port: int, directory: Path) -> None:
    """Take mail until SIGTERM or SIGINT."""
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    handler = Mailbox(directory)

    def connection() -> SMTP:
        return SMTP(
            handler,
            hostname="owlery-mailbox",  # the default, socket.getfqdn(), may wait on DNS
            ident="Owlery development mail catcher",
            enable_SMTPUTF8=True,
            auth_require_tls=False,
            authenticator=_accept_any_login,
            loop=loop,
        )

    server = await loop.create_server(connection, host, port)
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    logger.info("listening on %s:%d, each email saved in %s", host, port, directory)
    async with server:
        await stopping.wait()
    logger.info("stopped")


@dataclass
class MailCatcher:
    """The catcher as a child process, as the platform runs its services (`deploy.local.services`)."""

    port: int
    directory: Path
    log_path: Path
    host: str = HOST
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> MailCatcher:
        if _answers(self.host, self.port):
            raise RuntimeError(f"{self.address} is already taken (another mail catcher?); set OWLERY_MAIL_PORT")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        command = [sys.executable, "-m", "deploy.local.mailbox", "--host", self.host, "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--directory", str(self.directory)], stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def wait_ready(self, timeout: float = 15.0) -> None:
        """Ready when the port answers with an SMTP greeting."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the mail catcher exited:\n{self.log_tail()}")
            if _answers(self.host, self.port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the mail catcher did not answer on {self.address} within {timeout} s:\n{self.log_tail()}")

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _answers(host: str, port: int) -> bool:
    """An SMTP greeting (220) from host:port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1) as connection:
        connection.settimeout(2)
        return connection.recv(4).startswith(b"220")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.local.mailbox", description="Keep every email sent here as an .eml file."
    )
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=mail_port(), help="default: OWLERY_MAIL_PORT or 1025")
    parser.add_argument("--directory", type=Path, default=mail_directory(), help="where .eml files go")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):  # subjects in any language, whatever the locale
        sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    # aiosmtpd's own lines: every connection and command, and a deprecation warning of its own at each AUTH
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    if not aiosmtpd_available():
        logger.error("aiosmtpd is not installed (a dev dependency: `uv sync --all-packages` installs it)")
        return 2
    try:
        asyncio.run(serve(args.host, args.port, args.directory))
    except OSError as error:  # the port is taken, the address is not ours
        logger.error("cannot listen on %s:%d: %s", args.host, args.port, error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
