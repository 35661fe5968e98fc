"""A real SMTP server for tests (aiosmtpd), listening on 127.0.0.1 on a free port, in a thread of its own.

Use it as a fixture: import it into the test module and name it as a parameter. Import it under
an alias, so that ruff sees no parameter shadowing an import (the fixture keeps the name
`smtp_server`, given in its decorator); or add "notifications.tests.smtp_server" to `pytest_plugins`
in the root conftest.py and import only the types.

    from notifications.tests.smtp_server import SmtpServer
    from notifications.tests.smtp_server import smtp_server as smtp_server_fixture  # noqa: F401 (the fixture)

    async def test_mail(smtp_server: SmtpServer) -> None:
        channel = SmtpChannel(SmtpSettings(smtp_server.host, smtp_server.port, "Owlery <noreply@owlery.local>"))
        await channel.send(...)
        [mail] = await smtp_server.wait_for(1)
        assert mail.rcpt_tos == ("ivan@example.org",)
        assert mail.message["Subject"] == "..."            # decoded (policy.default)

Or start one outside a fixture (a benchmark): `with running_smtp_server() as server: ...`.

What it can do:
- `messages`: every accepted message, in order, as `ReceivedMail(mail_from, rcpt_tos, message)` where
  `message` is an `email.message.EmailMessage` parsed with `email.policy.default` (decoded headers,
  `get_body`, `iter_attachments`, `get_content`); `to(address)` keeps those for one recipient;
  `await wait_for(count)` waits until that many have arrived (deliveries are asynchronous).
- `refuse`: addresses answered `550 5.1.1 mailbox unavailable` at RCPT (a permanent failure).
- `unavailable_for(seconds)` (or `unavailable_for(None)`: until `recover()`): every transaction is
  answered `421 4.3.2 service not available` at MAIL (a transient failure); `attempts` counts MAIL
  commands, answered or not.
- `running_smtp_server(login=("user", "password"))`: a server that requires AUTH (PLAIN or LOGIN).
"""

import asyncio
import email.policy
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    """The envelope sender (MAIL FROM)."""
    rcpt_tos: tuple[str, ...]
    """The envelope recipients (RCPT TO), which may differ from the To header."""
    message: EmailMessage


class SmtpServer:
    """The server's state, shared between its thread (which writes) and the test (which reads)."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.messages: list[ReceivedMail] = []
        self.refuse: set[str] = set()
        self.attempts = 0
        self._unavailable_until: float | None = None
        self._lock = threading.Lock()

    def unavailable_for(self, seconds: float | None) -> None:
        """Answer 421 to every transaction for that long; None: until `recover()`."""
        self._unavailable_until = float("inf") if seconds is None else time.monotonic() + seconds

    def recover(self) -> None:
        self._unavailable_until = None

    @property
    def unavailable(self) -> bool:
        return self._unavailable_until is not None and time.monotonic() < self._unavailable_until

    def to(self, address: str) -> list[ReceivedMail]:
        """The messages delivered to that envelope recipient."""
        with self._lock:
            return [mail for mail in self.messages if address.lower() in (rcpt.lower() for rcpt in mail.rcpt_tos)]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """All messages, once at least `count` have arrived; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} messages arrived in {timeout} s; expected {count}")
            await asyncio.sleep(0.02)

    # aiosmtpd handler hooks, run in the server's thread.

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        with self._lock:
            self.attempts += 1
        if self.unavailable:
            return "421 4.3.2 Service not available, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in {refused.lower() for refused in self.refuse}:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = BytesParser(_class=EmailMessage, policy=email.policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(ReceivedMail(envelope.mail_from or "", tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """Listens on port 0 (the system picks a free one) and learns the port before anyone connects."""

    def factory(self) -> SMTP:
        with warnings.catch_warnings():  # "AUTH without TLS": a local test server, on purpose
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()  # type: ignore[no-any-return, no-untyped-call]

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def running_smtp_server(login: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """A server; with `login` (user, password), one that takes mail only after AUTH with them (no TLS)."""
    state = SmtpServer()
    if login is None:
        controller = _FreePortController(state, hostname=state.host, port=0)
    else:
        expected = LoginPassword(login[0].encode(), login[1].encode())

        def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
            return AuthResult(success=data == expected, handled=False)  # aiosmtpd answers 235 or 535

        controller = _FreePortController(
            state,
            hostname=state.host,
            port=0,
            authenticator=authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
    controller.start()
    state.port = controller.port
    try:
        yield state
    finally:
        controller.stop()


@pytest.fixture(name="smtp_server")  # the name stays the fixture's under an import alias
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server
