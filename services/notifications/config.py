"""Notifications settings, read from OWLERY_NOTIFICATIONS_* environment variables."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_NOTIFICATIONS_", extra="ignore")

    mongodb_database: str = "owlery_notifications"
    consumer_group: str = "notifications"
    http_port: int = 8004
    smtp_host: str = Field("127.0.0.1", description="SMTP server that relays Owlery's email")
    smtp_port: int = Field(1025, description="Its port (1025: a local development mail catcher)")
    smtp_sender: str = Field("Owlery <noreply@owlery.local>", description="From: of every email")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS")
    chat_webhook_url: str | None = Field(
        None, description="The company's chat incoming webhook (Slack-compatible JSON); no chat messages if unset"
    )
    preferences_url: str | None = Field(None, description="Where people change their notification settings")
    send_check_seconds: float = Field(5.0, gt=0, description="How often due emails and chat messages are sent")
    session_reminder_hours: list[float] = Field(
        [24, 1], description="Hours before each session its reminders go out (to members and the trainer)"
    )
    homework_reminder_hours: float = Field(24, gt=0, description="Hours before homework is due its reminder goes out")
    reminder_check_seconds: float = Field(30.0, gt=0, description="How often due reminders are fired")
    webhook_retry_seconds: float = Field(5.0, gt=0, description="How often failed webhook deliveries are retried")
    lrs_endpoint: str | None = Field(
        None,
        description="Learning Record Store base address (e.g. https://lrs.example.com, `/xAPI/statements` is added "
        "unless it ends in /xAPI); no xAPI statements if unset",
    )
    lrs_username: str | None = Field(None, description="Basic-auth user for the LRS")
    lrs_password: SecretStr | None = Field(None, description="Its password")
    xapi_home_page: str = Field(
        "https://owlery.local",
        description="The company's home page: statements name people as accounts under it, and activities by it",
    )
    lrs_retry_seconds: float = Field(5.0, gt=0, description="How often statements the LRS did not take are retried")
