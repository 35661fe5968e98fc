"""Settings every service has; each service subclasses with its own env prefix (OWLERY_<SERVICE>_...)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    consumer_max_attempts: int = Field(4, ge=1, description="Attempts for a failing handler before dead-lettering")
    consumer_retry_backoff_seconds: float = Field(0.2, ge=0, description="First retry delay; doubles each attempt")
    topic_partitions: int = Field(3, ge=1)
    processed_event_retention_hours: float = Field(
        24 * 14, gt=0, description="How long a consumer remembers a handled event id (longer than any redelivery)"
    )
