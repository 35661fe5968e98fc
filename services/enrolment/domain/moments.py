"""Moments as the domain compares them."""

from datetime import UTC, datetime


def utc(value: datetime) -> datetime:
    """Aware UTC (BSON gives dates back naive, in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
