"""Gamification settings, read from OWLERY_GAMIFICATION_* environment variables."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class GamificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_GAMIFICATION_", extra="ignore")

    mongodb_database: str = "owlery_gamification"
    consumer_group: str = "gamification"
    http_port: int = 8003
