"""Mentoring settings, read from OWLERY_MENTORING_* environment variables."""

from pydantic import Field, SecretStr
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
