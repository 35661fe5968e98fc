"""Gamification settings, read from OWLERY_GAMIFICATION_* environment variables."""

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from gamification.domain.levels import DEFAULT_LEVELS, checked_levels
from shared.errors import Invalid
from shared.settings import ServiceSettings


class GamificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_GAMIFICATION_", extra="ignore")

    mongodb_database: str = "owlery_gamification"
    consumer_group: str = "gamification"
    http_port: int = 8003
    levels: list[tuple[int, str, str]] = Field(
        default_factory=lambda: [(level.points, level.name_ru, level.name_en) for level in DEFAULT_LEVELS],
        description='Levels as JSON [[points, "Russian name", "English name"], ...], the first at 0 points',
    )

    @field_validator("levels")
    @classmethod
    def _levels_make_sense(cls, value: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
        try:
            checked_levels(value)  # refused at start, not at the first read of a balance
        except Invalid as refused:
            raise ValueError(refused.message) from refused
        return value
