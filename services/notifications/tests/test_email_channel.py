"""Email as people receive it, through a real SMTP server: their language, HTML and plain text, the invite.

The server is aiosmtpd on a free local port (notifications.tests.smtp_server); nothing is mocked.
"""

import asyncio
import logging
import shutil
import socket
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import icalendar  # type: ignore[import-untyped]  # (the package ships no type hints)
import pytest

from notifications.adapters.email import SmtpChannel, SmtpSettings, message_id
from notifications.adapters.email_templates import EmailContent, EmailRenderer
from notifications.adapters.templates import TEMPLATE_DIR
from notifications.domain.delivery import Attachment, DeliveryFailed, Outgoing
from notifications.domain.model import LOCALES
from notifications.tests.smtp_server import SmtpServer, running_smtp_server
from notifications.tests.smtp_server import smtp_server as smtp_server_fixture  # noqa: F401 (the smtp_server fixture)

SENDER = "Owlery <noreply@owlery.local>"
CATEGORIES = (
    "enrolment",
    "waitlist",
    "session_reminder",
    "homework",
    "mentoring",
    "curator_alert",
    "peer_learning",
    "achievements",
    "privacy",
)
INVITE = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Owlery//Notifications//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:cohort-c-42@owlery",
        "SEQUENCE:0",
        "DTSTAMP:20261120T093000Z",
        "DTSTART:20261201T120000Z",
        "DURATION:PT1H30M",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "SUMMARY:Python для аналитиков",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
).encode()


def channel(server: SmtpServer) -> SmtpChannel:
    return SmtpChannel(SmtpSettings(server.host, server.port, SENDER))


def outgoing(content: EmailContent, address: str = "anna@example.com", **changes: object) -> Outgoing:
    values: dict[str, object] = {
        "notification_id": "evt-7f3a:person-1:email",
        "person_id": "person-1",
        "address": address,
        "subject": content.subject,
        "text": content.text,
        "html": content.html,
    }
    return Outgoing(**(values | changes))  # type: ignore[arg-type]


def invite_attachment() -> Attachment:
    return Attachment("course.ics", "text/calendar; method=REQUEST; charset=utf-8", INVITE)


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The plain text and HTML alternatives, with the CRLF line ends of MIME's canonical form made \\n."""
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(plain, EmailMessage)
    assert isinstance(html, EmailMessage)
    return plain.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


async def test_an_english_email_arrives_with_html_text_and_the_calendar_invite(smtp_server: SmtpServer) -> None:
    content = EmailRenderer().message("enrolment", "en", "You are enrolled in «Python for analysts».")
    await channel(smtp_server).send(outgoing(content, attachments=(invite_attachment(),)))

    [mail] = await smtp_server.wait_for(1)
    assert mail.rcpt_tos == ("anna@example.com",)
    assert mail.mail_from == "noreply@owlery.local"
    message = mail.message
    assert message["Subject"] == "Owlery: your course enrolment"
    assert message["To"] == "anna@example.com"
    assert message["From"] == SENDER
    assert message["Date"].datetime is not None
    assert message["Message-ID"] == message_id("evt-7f3a:person-1:email")
    assert message.get_content_type() == "multipart/mixed"

    plain, html = bodies(message)
    assert "You are enrolled in «Python for analysts»." in plain
    assert "Enrolment" in plain
    assert "notification settings" in plain  # the footer leads to the preferences
    assert "<p" in html
    assert "You are enrolled in «Python for analysts»." in html

    # Mail clients show the invitation from the text/calendar alternative, its method in the content type...
    [invitation] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_content_disposition() is None
    assert invitation.get_payload(decode=True) == INVITE
    # ... and the file, byte for byte, is there to save.
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "course.ics"
    assert attachment.get_payload(decode=True) == INVITE
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "cohort-c-42@owlery"
    assert str(event["SUMMARY"]) == "Python для аналитиков"


async def test_a_russian_email_arrives_in_russian(smtp_server: SmtpServer) -> None:
    content = EmailRenderer().message("enrolment", "ru", "Вы зачислены на курс «Python для аналитиков».")
    await channel(smtp_server).send(outgoing(content, address="ivan@example.ru"))

    [mail] = await smtp_server.wait_for(1)
    assert mail.rcpt_tos == ("ivan@example.ru",)
    assert mail.message["Subject"] == "Owlery: запись на курс"
    assert mail.message.get_content_type() == "multipart/alternative"
    plain, html = bodies(mail.message)
    assert "Вы зачислены на курс «Python для аналитиков»." in plain
    assert "Запись на курсы" in plain
    assert "настройкам уведомлений" in plain
    assert "Вы зачислены на курс «Python для аналитиков»." in html
    assert '<html lang="ru">' in html


async def test_html_shows_the_text_as_written_and_plain_text_keeps_it_verbatim(smtp_server: SmtpServer) -> None:
    text = "Course «<script>alert('x')</script> & Co» starts.\n\nBring a laptop."
    content = EmailRenderer(preferences_url="https://owlery.example/me/notifications?tab=email&x=1").message(
        "session_reminder", "en", text
    )
    await channel(smtp_server).send(outgoing(content))

    [mail] = await smtp_server.wait_for(1)
    plain, html = bodies(mail.message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    assert "Bring a laptop." in html
    assert 'href="https://owlery.example/me/notifications?tab=email&amp;x=1"' in html
    assert text in plain
    assert "https://owlery.example/me/notifications?tab=email&x=1" in plain


async def test_a_digest_groups_notifications_by_category_in_one_email(smtp_server: SmtpServer) -> None:
    content = EmailRenderer().digest(
        "ru",
        [
            ("homework", "Завтра срок сдачи задания «SQL, часть 2»."),
            ("achievements", "Вы получили 10 баллов за зачисление на курс."),
            ("homework", "Завтра срок сдачи задания «Проект»."),
        ],
    )
    assert content.subject == "Owlery: 3 новых уведомления"
    await channel(smtp_server).send(outgoing(content, notification_id="digest:person-1:2026-12-01"))

    [mail] = await smtp_server.wait_for(1)
    assert mail.message["Subject"] == "Owlery: 3 новых уведомления"
    plain, html = bodies(mail.message)
    homework, achievements = plain.index("Домашние задания"), plain.index("Достижения")
    assert homework < plain.index("«SQL, часть 2»") < plain.index("«Проект»") < achievements
    assert achievements < plain.index("10 баллов")
    assert html.count("<h2") == 2


@pytest.mark.parametrize(
    ("locale", "count", "subject"),
    [
        ("en", 1, "Owlery: 1 new notification"),
        ("en", 3, "Owlery: 3 new notifications"),
        ("ru", 1, "Owlery: 1 новое уведомление"),
        ("ru", 3, "Owlery: 3 новых уведомления"),
        ("ru", 5, "Owlery: 5 новых уведомлений"),
        ("ru", 11, "Owlery: 11 новых уведомлений"),
        ("ru", 21, "Owlery: 21 новое уведомление"),
    ],
)
def test_a_digest_subject_counts_in_the_readers_language(locale: str, count: int, subject: str) -> None:
    content = EmailRenderer().digest(locale, [("homework", f"Item {number}") for number in range(count)])  # type: ignore[arg-type]
    assert content.subject == subject


def test_every_category_has_its_own_subject_and_title_in_russian_and_english(caplog: pytest.LogCaptureFixture) -> None:
    renderer = EmailRenderer()
    with caplog.at_level(logging.WARNING):
        subjects = {
            (category, locale): renderer.message(category, locale, "x").subject
            for category in CATEGORIES
            for locale in LOCALES
        }
    assert caplog.records == []  # no fallback to English, no fallback to "other"
    assert len(set(subjects.values())) == len(CATEGORIES) * len(LOCALES)
    assert all(subject.startswith("Owlery: ") for subject in subjects.values())


def test_a_missing_russian_template_falls_back_to_english_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(TEMPLATE_DIR / "email", tmp_path / "email")
    (tmp_path / "email" / "notification.ru.html").unlink()
    renderer = EmailRenderer(tmp_path)
    with caplog.at_level(logging.WARNING, logger="notifications.adapters.email_templates"):
        first = renderer.message("homework", "ru", "Сдайте задание до пятницы.")
        renderer.message("homework", "ru", "Сдайте задание до субботы.")
    assert '<html lang="en">' in first.html
    assert "Сдайте задание до пятницы." in first.html
    assert "Домашние задания" in first.text  # the plain-text translation is there and used
    assert first.subject == "Owlery: срок сдачи домашнего задания"
    assert [record.getMessage() for record in caplog.records] == [
        "no ru translation of email notification.ru.html; showing it in en"
    ]


def test_a_category_missing_from_the_russian_strings_is_shown_in_english(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(TEMPLATE_DIR / "email", tmp_path / "email")
    strings = tmp_path / "email" / "strings.ru.toml"
    strings.write_text(strings.read_text(encoding="utf-8").replace("[categories.privacy]", "[categories.unused]"))
    with caplog.at_level(logging.WARNING, logger="notifications.adapters.email_templates"):
        content = EmailRenderer(tmp_path).message("privacy", "ru", "Модератор раскрыл ваше авторство.")
    assert content.subject == "Owlery: a privacy notice"
    assert "Privacy" in content.text
    assert "Модератор раскрыл ваше авторство." in content.text
    assert len(caplog.records) == 2  # the subject and the title
    assert all("no ru translation" in record.getMessage() for record in caplog.records)


async def test_the_same_notification_keeps_its_message_id_on_every_attempt(smtp_server: SmtpServer) -> None:
    content = EmailRenderer().message("homework", "en", "Homework is due tomorrow.")
    await channel(smtp_server).send(outgoing(content))
    await channel(smtp_server).send(outgoing(content))
    await channel(smtp_server).send(outgoing(content, notification_id="evt-other:person-1:email"))

    first, second, other = await smtp_server.wait_for(3)
    assert first.message["Message-ID"] == second.message["Message-ID"] == "<evt-7f3a=3Aperson-1=3Aemail@owlery>"
    assert other.message["Message-ID"] != first.message["Message-ID"]


async def test_a_refused_mailbox_is_a_permanent_failure_naming_the_reply(smtp_server: SmtpServer) -> None:
    smtp_server.refuse.add("gone@example.com")
    content = EmailRenderer().message("waitlist", "en", "A seat opened for you.")

    with pytest.raises(DeliveryFailed) as failure:
        await channel(smtp_server).send(outgoing(content, address="gone@example.com"))
    assert failure.value.permanent
    assert "550" in failure.value.reason
    assert "gone@example.com" in failure.value.reason
    assert smtp_server.messages == []


async def test_an_unusable_address_is_a_permanent_failure_without_asking_the_server(smtp_server: SmtpServer) -> None:
    content = EmailRenderer().message("waitlist", "en", "A seat opened for you.")
    for address in ("not-an-address", "anna@example.com\r\nBcc: all@example.com", "a@example.com, b@example.com"):
        with pytest.raises(DeliveryFailed) as failure:
            await channel(smtp_server).send(outgoing(content, address=address))
        assert failure.value.permanent
    assert smtp_server.attempts == 0


async def test_a_server_answering_421_is_a_transient_failure_and_a_retry_later_arrives(
    smtp_server: SmtpServer,
) -> None:
    content = EmailRenderer().message("waitlist", "en", "A seat opened for you.")
    smtp_server.unavailable_for(None)

    with pytest.raises(DeliveryFailed) as failure:
        await channel(smtp_server).send(outgoing(content))
    assert not failure.value.permanent
    assert "421" in failure.value.reason
    assert smtp_server.messages == []

    smtp_server.recover()
    await channel(smtp_server).send(outgoing(content))
    [mail] = await smtp_server.wait_for(1)
    assert mail.message["Subject"] == "Owlery: news from the waitlist"


async def test_a_server_busy_for_a_while_fails_transiently_until_then() -> None:
    content = EmailRenderer().message("waitlist", "en", "A seat opened for you.")
    with running_smtp_server() as server:
        server.unavailable_for(0.3)
        with pytest.raises(DeliveryFailed) as failure:
            await channel(server).send(outgoing(content))
        assert not failure.value.permanent
        await asyncio.sleep(0.4)
        await channel(server).send(outgoing(content))
        assert len(await server.wait_for(1)) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_unreachable_server_is_a_transient_failure() -> None:
    content = EmailRenderer().message("waitlist", "en", "A seat opened for you.")
    closed = SmtpChannel(SmtpSettings("127.0.0.1", free_port(), SENDER, timeout_seconds=2))

    with pytest.raises(DeliveryFailed) as failure:
        await closed.send(outgoing(content))
    assert not failure.value.permanent
    assert "no connection" in failure.value.reason


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A server that accepts connections and never says a word: an SMTP server hung mid-greeting."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def test_a_server_that_never_answers_is_a_transient_failure_after_the_timeout(silent_server: int) -> None:
    content = EmailRenderer().message("waitlist", "en", "A seat opened for you.")
    hung = SmtpChannel(SmtpSettings("127.0.0.1", silent_server, SENDER, timeout_seconds=0.3))

    with pytest.raises(DeliveryFailed) as failure:
        await asyncio.wait_for(hung.send(outgoing(content)), timeout=5)
    assert not failure.value.permanent


async def test_a_server_requiring_login_takes_mail_from_the_configured_user() -> None:
    content = EmailRenderer().message("mentoring", "en", "Your mentor logged a meeting.")
    with running_smtp_server(login=("owlery", "s3cret")) as server:
        settings = SmtpSettings(server.host, server.port, SENDER, username="owlery", password="s3cret")
        await SmtpChannel(settings).send(outgoing(content))
        [mail] = await server.wait_for(1)
    assert mail.message["Subject"] == "Owlery: mentoring news"


@pytest.mark.parametrize(("username", "password", "code"), [("owlery", "wrong", "535"), (None, None, "530")])
async def test_a_login_the_server_refuses_is_transient_so_mail_waits_for_the_fix(
    username: str | None, password: str | None, code: str
) -> None:
    content = EmailRenderer().message("mentoring", "en", "Your mentor logged a meeting.")
    with running_smtp_server(login=("owlery", "s3cret")) as server:
        settings = SmtpSettings(server.host, server.port, SENDER, username=username, password=password)
        with pytest.raises(DeliveryFailed) as failure:
            await SmtpChannel(settings).send(outgoing(content))
        assert server.messages == []
    assert not failure.value.permanent
    assert code in failure.value.reason
