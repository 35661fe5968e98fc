"""Fixtures the notifications tests share: a real SMTP server and a real webhook receiver."""

from notifications.tests.smtp_server import smtp_server
from notifications.tests.test_webhooks_on_real_servers import receiver

__all__ = ["receiver", "smtp_server"]
