"""Gamification settings, read from OWLERY_GAMIFICATION_* environment variables."""

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from gamification.domain.levels import DEFAULT_LEVELS, checked_levels
from shared.errors import Invalid
from shared.settings import ServiceSettings


class GamificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_GAMIFICATION_", extra="ignore")

    mongodb_database: str = "owlery_gamification"
    consumer_group: str = "gamification"
    http_port: int = 8003
    titles_check_seconds: float = Field(3600.0, gt=0, description="How often to look for a month to name experts of")
    titles_grace_minutes: int = Field(
        60, ge=0, description="Deeds of a month's last minutes get this long to arrive before its experts are named"
    )
    rings_check_seconds: float = Field(
        600.0, gt=0, description="How often to look for reciprocal rings and hold the points of flagged ones"
    )
    leaderboard_refresh_seconds: float = Field(
        10.0, gt=0, description="How often each process rebuilds its in-memory leaderboards from the standings"
    )
    badge_issuer_url: str = Field(
        "http://127.0.0.1:8003",
        description="Public base URL of this service: the badge issuer profile and its keys are published under it",
    )
    badge_issuer_name: str = Field("Owlery", description="The issuing organisation's name in Open Badges credentials")
    badge_issuer_homepage: str | None = Field(None, description="The issuing organisation's home page, if any")
    badge_signing_key: SecretStr | None = Field(
        None,
        description="Ed25519 private key (PEM, PKCS#8) that signs badge credentials; unset: one generated and "
        "kept in the database, the same for every replica",
    )
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

    @property
    def badge_issuer_id(self) -> str:
        """The issuer profile's URL: it is also the issuer's id in every credential."""
        return self.badge_issuer_url.rstrip("/") + "/badges/issuer"

    @property
    def badge_jwks_url(self) -> str:
        return self.badge_issuer_id + "/jwks"
