"""Weekly slots: when a cohort's sessions happen, and which slot suits a group spread over time zones."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import Invalid

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WORKDAY_START, WORKDAY_END = time(9, 0), time(18, 0)
"""A slot suits a person when it falls on one of their weekdays within these local hours."""


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise Invalid(f"unknown time zone {name!r}: use an IANA name such as Europe/Moscow", field=field) from error


@dataclass(frozen=True)
class Slot:
    """A weekly slot: weekday (0 = Monday) and local start time in a time zone."""

    weekday: int
    local_time: str
    time_zone: str

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise Invalid("weekday must be 0 (Monday) to 6 (Sunday)", field="weekday")
        if not _TIME.match(self.local_time):
            raise Invalid("local_time must be HH:MM", field="local_time")
        zone(self.time_zone)

    @property
    def clock(self) -> time:
        hours, minutes = self.local_time.split(":")
        return time(int(hours), int(minutes))

    def first_on_or_after(self, day: date) -> date:
        return day + timedelta(days=(self.weekday - day.weekday()) % 7)

    def sessions(self, start_date: date, count: int) -> tuple[datetime, ...]:
        """The start of each of `count` weekly sessions from the first slot on or after `start_date`, in UTC.

        Computed in the slot's zone, so a daylight-saving change keeps the local time, not the UTC one.
        """
        first = self.first_on_or_after(start_date)
        tz = zone(self.time_zone)
        return tuple(
            datetime.combine(first + timedelta(weeks=week), self.clock, tzinfo=tz).astimezone(UTC)
            for week in range(count)
        )

    def suits(self, time_zone: str, on: date) -> bool:
        """True if this slot, on the given week, is a weekday working hour in `time_zone`."""
        start = datetime.combine(self.first_on_or_after(on), self.clock, tzinfo=zone(self.time_zone))
        local = start.astimezone(zone(time_zone))
        return local.weekday() < 5 and WORKDAY_START <= local.time() <= WORKDAY_END


DEFAULT_CANDIDATE_HOURS = ("10:00", "11:00", "12:00", "14:00", "15:00", "16:00")
DEFAULT_CANDIDATE_DAYS = (1, 2, 3)  # Tuesday to Thursday: Mondays and Fridays lose the most people


def suggest_slot(
    member_time_zones: Sequence[str], trainer_slots: Iterable[Slot], trainer_time_zone: str, week_of: date
) -> Slot:
    """The slot most members can attend in their working hours, among the trainer's available slots.

    Without stated availability the trainer's weekday mornings and afternoons (Tue-Thu) are the
    candidates. Ties keep the trainer's order, so their first preference wins among equals.
    """
    candidates = list(trainer_slots) or [
        Slot(day, hour, trainer_time_zone) for day in DEFAULT_CANDIDATE_DAYS for hour in DEFAULT_CANDIDATE_HOURS
    ]
    return max(candidates, key=lambda slot: sum(slot.suits(tz, week_of) for tz in member_time_zones))
