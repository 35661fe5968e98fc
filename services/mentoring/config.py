"""Mentoring settings, read from OWLERY_MENTORING_* environment variables."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class MentoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_MENTORING_", extra="ignore")

    mongodb_database: str = "owlery_mentoring"
    consumer_group: str = "mentoring"
    http_port: int = 8002
