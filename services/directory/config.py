"""Directory settings, read from OWLERY_DIRECTORY_* environment variables."""

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_ISSUER, DEV_SECRET_PREFIX, ServiceSettings

DOMAIN_SERVICES = {
    "enrolment": "http://127.0.0.1:8001",
    "mentoring": "http://127.0.0.1:8002",
    "gamification": "http://127.0.0.1:8003",
    "notifications": "http://127.0.0.1:8004",
}


class DirectorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_DIRECTORY_", extra="ignore")

    mongodb_database: str = "owlery_directory"
    consumer_group: str = "directory"
    http_port: int = 8005
    public_url: str = Field("http://127.0.0.1:8005", description="Base address HR systems reach the directory at")
    scim_token: SecretStr = Field(
        SecretStr(DEV_SECRET_PREFIX + "scim-token"),
        description="Bearer token the HR system's SCIM provisioning sends (Entra: Secret Token; Okta: API token)",
    )
    dev_issuer: bool = Field(True, description="Serve the development sign-in at /dev-oidc (dev mode only)")
    dev_issuer_url: str = Field(DEV_ISSUER, description="Issuer name the development tokens carry")
    dev_issuer_key_pem: SecretStr | None = Field(
        None, description="RSA key (PEM) of the development issuer; generated at start when not given"
    )
    dev_demo_people: bool = Field(True, description="Seed the demo people at start (dev mode only)")
    export_sources: dict[str, str] = Field(
        default_factory=lambda: dict(DOMAIN_SERVICES),
        description="Service name -> base URL whose /privacy/people/{id} an HR export gathers",
    )

    @model_validator(mode="after")
    def _dev_issuer_only_in_dev(self) -> Self:
        if self.mode != "dev" and self.dev_issuer:
            raise ValueError("dev_issuer: the development sign-in cannot run outside dev mode")
        return self
