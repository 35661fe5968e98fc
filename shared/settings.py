"""Settings every service has; each service subclasses with its own env prefix (OWLERY_<SERVICE>_...)."""

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_ISSUER = "http://127.0.0.1:8005/dev-oidc"
"""The development issuer `make run` starts inside the directory service; never trusted outside dev mode."""

DEV_SECRET_PREFIX = "dev-only-"
"""Every default secret starts with this, so a production start can tell it was never configured."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, comma separated")
    mongodb_url: str = Field("mongodb://127.0.0.1:27017/", description="MongoDB (or FerretDB) connection string")
    mongodb_database: str = Field(description="The service's own database")
    topic_prefix: str = Field("", description="Prefix for every topic name, to run several platforms on one cluster")
    consumer_group: str = Field(description="Kafka consumer group of this service's subscribers")
    http_host: str = "127.0.0.1"
    http_port: int
    log_level: str = "INFO"
    outbox_sweep_seconds: float = Field(
        30.0, description="Safety-net sweep of the outbox for what another replica or a lost wake-up left behind"
    )
    outbox_lease_seconds: float = Field(
        30.0, gt=0, description="How long one replica holds the outbox sweep before another may take it over"
    )
    outbox_orphan_seconds: float = Field(
        10.0, gt=0, description="How long an outbox entry waits for its writer before the sweeping replica takes it"
    )
    outbox_publish_timeout_seconds: float = Field(
        4.0, gt=0, description="A replica gives up publishing the entries it wrote after this (a sweep takes them)"
    )
    outbox_store_timeout_seconds: float = Field(
        20.0, gt=0, description="The outbox relay's bound on each store call: past it, the call fails and is retried"
    )
    tracing_exporter: Literal["none", "otlp"] = Field(
        "none", description="Where spans go: nowhere (they still give logs and events their trace ids) or OTLP/HTTP"
    )
    otlp_traces_endpoint: str | None = Field(
        None, description="OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces (default: the SDK's)"
    )
    consumer_max_attempts: int = Field(4, ge=1, description="Attempts for a failing handler before dead-lettering")
    consumer_retry_backoff_seconds: float = Field(0.2, ge=0, description="First retry delay; doubles each attempt")
    topic_partitions: int = Field(3, ge=1)
    mode: Literal["dev", "production"] = Field(
        "production", description="dev trusts the development issuer and default secrets; production refuses both"
    )
    oidc_issuer: str = Field(DEV_ISSUER, description="Issuer (iss) of the access tokens; its JWKS is discovered")
    oidc_audience: str = Field("owlery", description="Audience (aud) the tokens must be issued for")
    oidc_jwks_url: str | None = Field(None, description="JWKS address, if not the one the issuer's discovery names")
    oidc_algorithms: list[str] = Field(
        ["RS256"], description="Signature algorithms accepted (pinned, never the token's)"
    )
    oidc_person_claim: str = Field("sub", description="Claim holding the directory person id (Entra: oid)")
    oidc_roles_claim: str = Field("roles", description="Claim listing the caller's roles or groups (Okta: groups)")
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict, description="IdP role or group name -> Owlery role; Owlery role names map to themselves"
    )
    processed_event_retention_hours: float = Field(
        24 * 14, gt=0, description="How long a consumer remembers a handled event id (longer than any redelivery)"
    )

    @model_validator(mode="after")
    def _refuse_dev_setup_outside_dev(self) -> Self:
        if self.mode == "dev":
            return self
        if self.oidc_issuer.rstrip("/") == DEV_ISSUER or self.oidc_issuer.rstrip("/").endswith("/dev-oidc"):
            raise ValueError("oidc_issuer: the development issuer is only trusted in dev mode")
        defaults = [name for name, value in self if _holds_dev_secret(value)]
        if defaults:
            raise ValueError(f"default development secrets outside dev mode: {', '.join(defaults)}")
        return self


def _holds_dev_secret(value: object) -> bool:
    """A default secret, or a key ring with a default key (its id or its value says dev-only)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value().startswith(DEV_SECRET_PREFIX)
    if isinstance(value, dict):
        return any(str(key).startswith(DEV_SECRET_PREFIX) or _holds_dev_secret(item) for key, item in value.items())
    return False
