"""The email channel: one message per send over SMTP, HTML and plain text, calendar invites attached.

A message is `multipart/alternative` (plain text, then HTML) and, when it carries files,
`multipart/mixed` around that. A calendar file (`text/calendar; method=...`) goes in twice, the way
calendar services send invites: as a `text/calendar` alternative with its method, which mail
clients show as an invitation with Accept/Decline, and as a downloadable `.ics` file typed
`application/ics` (so that no client shows the invitation twice).

Failures are told apart by what retrying could change: a 5xx reply about the message or its
recipient (550 no such mailbox, 552 too large) is permanent; a 4xx reply, a refused connection, a
timeout or a broken connection is transient. A server that rejects our own login (530, 535) or lacks
STARTTLS is a configuration fault, not the recipient's: transient, so messages wait for the fix
instead of being given up.
"""

import email.policy
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, parseaddr

import aiosmtplib

from notifications.domain.delivery import Attachment, DeliveryFailed, Outgoing

_MESSAGE_ID_SAFE = re.compile(r"[A-Za-z0-9_-]")
_MESSAGE_ID_MAX = 200
_LOGIN_CODES = {530, 534, 535, 538}
"""Replies about our own login (RFC 4954): the operator's to fix, so messages wait rather than fail."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    """The From header, e.g. "Owlery <noreply@owlery.local>"; its address is also the envelope sender."""
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    """Upgrade the connection with STARTTLS (and verify the server's certificate) before logging in."""
    timeout_seconds: float = 10.0


class SmtpChannel:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._envelope_sender = parseaddr(settings.sender)[1]
        if "@" not in self._envelope_sender:
            raise ValueError(f"the SMTP sender {settings.sender!r} has no email address")

    async def send(self, message: Outgoing) -> None:
        """Deliver the message to the SMTP server; raises DeliveryFailed saying whether a retry may help."""
        mail = self.build(message)
        recipient = message.address
        try:
            await aiosmtplib.send(
                mail,
                sender=self._envelope_sender,
                recipients=[recipient],
                hostname=self.settings.host,
                port=self.settings.port,
                username=self.settings.username,
                password=self.settings.password,
                start_tls=self.settings.starttls,
                timeout=self.settings.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            # One recipient per message: all refused means it was refused.
            replies = "; ".join(f"{error.code} {error.message}" for error in refused.recipients)
            permanent = all(_permanent(error.code) for error in refused.recipients)
            raise DeliveryFailed(f"SMTP server refused recipient {recipient}: {replies}", permanent=permanent) from None
        except aiosmtplib.SMTPAuthenticationError as error:
            raise DeliveryFailed(f"SMTP server refused our login: {_describe(error)}", permanent=False) from None
        except aiosmtplib.SMTPNotSupported as error:
            raise DeliveryFailed(f"SMTP server lacks an extension we need: {error.message}", permanent=False) from None
        except aiosmtplib.SMTPResponseException as error:
            raise DeliveryFailed(f"SMTP server answered {_describe(error)}", permanent=_permanent(error.code)) from None
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError, OSError) as error:
            # Connection refused, timed out, dropped (OSError covers ConnectionError and TimeoutError): try later.
            what = str(error) or type(error).__name__
            where = f"{self.settings.host}:{self.settings.port}"
            raise DeliveryFailed(f"no connection to the SMTP server {where}: {what}", permanent=False) from None
        except aiosmtplib.SMTPException as error:  # e.g. STARTTLS or AUTH configured, not offered
            raise DeliveryFailed(f"SMTP session failed: {error.message}", permanent=False) from None
        except ValueError as error:  # aiosmtplib: an address it cannot send safely
            raise DeliveryFailed(f"cannot send to {recipient!r}: {error}", permanent=True) from None

    def build(self, message: Outgoing) -> EmailMessage:
        """The MIME message as it goes over the wire; DeliveryFailed(permanent) for an unusable address."""
        mail = EmailMessage(policy=email.policy.SMTP)
        try:
            mail["To"] = _recipient(message.address)
        except (ValueError, IndexError) as error:
            raise DeliveryFailed(f"not a usable email address {message.address!r}: {error}", permanent=True) from None
        mail["From"] = self.settings.sender
        mail["Subject"] = " ".join(message.subject.split())  # one line: a newline would end the header
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail["Message-ID"] = message_id(message.notification_id)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders do not answer it

        mail.set_content(message.text, charset="utf-8")
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html", charset="utf-8")
        files = [(attachment, *_content_type(attachment)) for attachment in message.attachments]
        for attachment, maintype, subtype, params in files:
            if (maintype, subtype) == ("text", "calendar"):
                mail.add_alternative(attachment.data, maintype, subtype, params=params)
        for attachment, maintype, subtype, params in files:
            if (maintype, subtype) == ("text", "calendar"):
                # The file to save; the invitation itself is the alternative above (one invite, not two).
                maintype, subtype, params = "application", "ics", {}
            mail.add_attachment(attachment.data, maintype, subtype, params=params, filename=attachment.filename)
        return mail


def message_id(notification_id: str) -> str:
    """`<...@owlery>`, the same for every attempt at one notification, so clients and servers drop copies.

    Characters a Message-ID cannot hold are written as `=XX` (hex of their UTF-8 bytes), so distinct
    notification ids never share a Message-ID; a very long id is replaced by its SHA-256.
    """
    local = "".join(
        char if _MESSAGE_ID_SAFE.fullmatch(char) else "".join(f"={byte:02X}" for byte in char.encode())
        for char in notification_id
    )
    if not local or len(local) > _MESSAGE_ID_MAX:
        local = hashlib.sha256(notification_id.encode()).hexdigest()
    return f"<{local}@owlery>"


def _recipient(address: str) -> Address:
    if any(char in address for char in "\r\n<>,;") or address != address.strip():
        raise ValueError("one plain address expected")
    username, at, domain = address.rpartition("@")
    if not at or not username or not domain:
        raise ValueError("no user@domain")
    return Address(username=username, domain=domain)


def _content_type(attachment: Attachment) -> tuple[str, str, dict[str, str]]:
    """ "text/calendar; method=REQUEST; charset=utf-8" → ("text", "calendar", {"method": "REQUEST", "charset": ...})."""
    header = Message()
    header["Content-Type"] = attachment.content_type
    maintype, subtype = header.get_content_maintype(), header.get_content_subtype()
    params = {str(name): str(value) for name, value in header.get_params(failobj=[])[1:]}
    return maintype, subtype, params


def _permanent(code: int) -> bool:
    """A 5xx reply is final, except one about our login (530 authentication required, 535 bad credentials...)."""
    return code >= 500 and code not in _LOGIN_CODES


def _describe(error: aiosmtplib.SMTPResponseException) -> str:
    return f"{error.code} {error.message}".strip()
