"""Enrolment settings, read from OWLERY_ENROLMENT_* environment variables."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EnrolmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_ENROLMENT_", extra="ignore")

    mongodb_database: str = "owlery_enrolment"
    consumer_group: str = "enrolment"
    http_port: int = 8001
