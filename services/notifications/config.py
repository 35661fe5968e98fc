"""Notifications settings, read from OWLERY_NOTIFICATIONS_* environment variables."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_NOTIFICATIONS_", extra="ignore")

    mongodb_database: str = "owlery_notifications"
    consumer_group: str = "notifications"
    http_port: int = 8004
