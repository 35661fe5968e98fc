"""The development mail catcher `make run` starts (`deploy.local.mailbox`): a real email in, an .eml file out.

It runs as `make run` runs it, a child process, on a free port and a directory of the test's own.
"""

import email.policy
import smtplib
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from deploy.local.mailbox import MailCatcher

SUBJECT = "Вы зачислены: Kotlin for 1C developers"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def eventually_files(directory: Path, count: int, timeout: float = 10.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(directory.glob("*.eml")) if directory.exists() else []
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} .eml files in {directory} after {timeout} s")


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    mailbox = MailCatcher(free_port(), tmp_path / "mail", tmp_path / "mailbox.log").start()
    try:
        mailbox.wait_ready()
        yield mailbox
    finally:
        mailbox.stop()


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Owlery <noreply@owlery.local>"
    mail["To"] = to
    mail["Subject"] = SUBJECT
    mail.set_content("Занятия по средам в 15:00.")
    return mail


def test_each_email_becomes_an_eml_file_with_its_subject_and_a_log_line(catcher: MailCatcher) -> None:
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as client:
        client.send_message(message("anna@owlery.dev"), to_addrs=["anna@owlery.dev", "hidden@owlery.dev"])

    [path] = eventually_files(catcher.directory, 1)
    parsed = BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == SUBJECT
    assert parsed["To"] == "anna@owlery.dev"
    assert parsed.get_all("Delivered-To") == ["anna@owlery.dev", "hidden@owlery.dev"]  # the Bcc too
    assert parsed["Return-Path"] == "<noreply@owlery.local>"
    body = parsed.get_body(("plain",))
    assert body is not None
    assert body.get_content().strip() == "Занятия по средам в 15:00."
    assert not list(catcher.directory.glob(".*"))  # no half-written file left behind

    deadline = time.monotonic() + 5
    while path.name not in catcher.log_tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    [line] = [line for line in catcher.log_tail().splitlines() if path.name in line]
    assert "from noreply@owlery.local to anna@owlery.dev, hidden@owlery.dev" in line
    assert SUBJECT in line


def test_any_login_is_accepted_and_every_email_gets_its_own_file(catcher: MailCatcher) -> None:
    """The notifications service may be configured with SMTP credentials; the catcher takes any."""
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as client:
        client.login("owlery", "whatever")
        for person in ("tom", "irina", "max"):
            client.send_message(message(f"{person}@owlery.dev"))

    paths = eventually_files(catcher.directory, 3)
    recipients = {BytesParser(policy=email.policy.default).parsebytes(p.read_bytes())["To"] for p in paths}
    assert recipients == {"tom@owlery.dev", "irina@owlery.dev", "max@owlery.dev"}


def test_a_taken_port_is_a_clear_error(catcher: MailCatcher, tmp_path: Path) -> None:
    second = MailCatcher(catcher.port, tmp_path / "other", tmp_path / "other.log")
    with pytest.raises(RuntimeError, match="already taken"):
        second.start()
    second.stop()
    assert second.process is None
