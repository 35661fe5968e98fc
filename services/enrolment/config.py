"""Enrolment settings, read from OWLERY_ENROLMENT_* environment variables."""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EnrolmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OWLERY_ENROLMENT_", extra="ignore")

    mongodb_database: str = "owlery_enrolment"
    consumer_group: str = "enrolment"
    http_port: int = 8001
    offer_expiry_seconds: float = Field(30.0, gt=0, description="How often lapsed seat offers are passed on")
    master_class_approval: bool = Field(
        False, description="A curator approves each master class before it is published (else proposing publishes it)"
    )
    clock_shift_hours: float = Field(
        0.0, description="Dev mode only: run the service's clock ahead, to try a course's weeks in minutes"
    )

    @model_validator(mode="after")
    def _real_time_outside_dev(self) -> Self:
        if self.mode != "dev" and self.clock_shift_hours:
            raise ValueError("clock_shift_hours: only a dev-mode service may run ahead of time")
        return self
