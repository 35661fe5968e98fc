"""Portal settings, read from OWLERY_PORTAL_* environment variables.

The portal keeps no data: it needs the issuer people sign in with, its own public address (the sign-in
comes back to it) and the base address of each service whose public API it calls.
"""

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DEV_ISSUER, DEV_SECRET_PREFIX


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_PORTAL_", extra="ignore")

    mode: Literal["dev", "production"] = "production"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    public_url: str = Field("http://127.0.0.1:8000", description="Address browsers reach the portal at")
    oidc_issuer: str = Field(DEV_ISSUER, description="The issuer people sign in with; its discovery names the rest")
    oidc_browser_issuer: str | None = Field(
        None,
        description="The issuer's address as browsers reach it, if not oidc_issuer (in containers the portal calls"
        " http://directory:8005/dev-oidc, a browser http://127.0.0.1:8005/dev-oidc): the sign-in page's address"
        " from discovery is moved onto it",
    )
    oidc_client_id: str = Field("owlery-portal", description="The portal's client id at the issuer (public, PKCE)")
    oidc_audience: str | None = Field(
        None, description="Audience (aud) the access tokens must carry, checked when set (the services' own: owlery)"
    )
    oidc_person_claim: str = Field("sub", description="Claim holding the directory person id (Entra: oid)")
    oidc_roles_claim: str = Field("roles", description="Claim listing the person's roles (Okta: groups)")
    oidc_role_map: dict[str, str] = Field(default_factory=dict, description="IdP group -> Owlery role")
    session_secret: SecretStr = Field(
        SecretStr(DEV_SECRET_PREFIX + "portal-session"), description="Signs the session cookie"
    )
    enrolment_url: str = "http://127.0.0.1:8001"
    mentoring_url: str = "http://127.0.0.1:8002"
    gamification_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    directory_url: str = "http://127.0.0.1:8005"
    api_timeout_seconds: float = Field(15.0, gt=0)
    inbox_poll_seconds: int = Field(5, ge=1, description="How often an open page asks for the unread count")

    @model_validator(mode="after")
    def _no_dev_defaults_in_production(self) -> Self:
        if self.mode == "production":
            if self.oidc_issuer == DEV_ISSUER:
                raise ValueError("oidc_issuer: production cannot sign in with the development issuer")
            if self.session_secret.get_secret_value().startswith(DEV_SECRET_PREFIX):
                raise ValueError("session_secret: set a secret of your own in production")
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")
