"""Mentoring settings, read from OWLERY_MENTORING_* environment variables."""

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_SECRET_PREFIX, ServiceSettings

DEV_NOTES_KEY_ID = DEV_SECRET_PREFIX + "1"


class MentoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_MENTORING_", extra="ignore")

    mongodb_database: str = "owlery_mentoring"
    consumer_group: str = "mentoring"
    http_port: int = 8002
    pseudonym_key: SecretStr = Field(
        SecretStr(DEV_SECRET_PREFIX + "pseudonym-key-0123456789abcdef0123"),
        description="HMAC key (>= 32 bytes) for the pseudonyms of anonymous authors",
    )
    notes_keys: dict[str, SecretStr] = Field(
        # A fixed development key, refused outside dev mode (its id starts with dev-only-).
        default_factory=lambda: {DEV_NOTES_KEY_ID: SecretStr("ZGV2LW9ubHktbm90ZXMta2V5LTAxMjM0NTY3ODlhYmM=")},
        description="Key ring for confidential notes: key id -> base64 of 32 bytes (python -c "
        "'from shared.privacy.notes import generate_key; print(generate_key())')",
    )
    notes_current_key: str = Field(DEV_NOTES_KEY_ID, description="Key id new notes are sealed under")
    health_check_seconds: float = Field(
        3600.0, gt=0, description="How often pair health is re-assessed (no meeting, stalled goals, low check-ins)"
    )
    coffee_check_seconds: float = Field(
        3600.0, gt=0, description="How often circles without this week's random coffee get it"
    )
    coffee_memory_weeks: int = Field(
        8, ge=0, le=52, description="Two people are not paired for coffee again within this many weeks"
    )
    max_weekly_tasks: int = Field(
        5, ge=1, le=20, description="Admin setting: the most tasks a circle may publish in a rolling week"
    )
    knowledge_review_days: int = Field(
        180, ge=1, le=3650, description="Default review period of a knowledge-base item, in days"
    )
    knowledge_review_check_seconds: float = Field(
        3600.0, gt=0, description="How often knowledge-base items past their review period are flagged to their owners"
    )
    clock_shift_hours: float = Field(
        0.0, description="Dev mode only: run the service's clock ahead, to try a programme's weeks in minutes"
    )

    @model_validator(mode="after")
    def _clock_shift_only_in_dev(self) -> "MentoringSettings":
        if self.mode != "dev" and self.clock_shift_hours:
            raise ValueError("clock_shift_hours: only a dev-mode service may run ahead of time")
        return self
