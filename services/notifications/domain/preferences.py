"""A person's say over their notifications: which channels per category, quiet hours in their own zone, digests.

`plan` decides, for one message on one channel, whether it goes now, waits (for the end of the quiet
hours or for the person's digest) or is suppressed. Critical messages (a seat offer with a deadline, a
privacy reveal) skip quiet hours and digests; a category that can carry them cannot be switched off on
every channel. Times are wall-clock times in the person's IANA zone, so daylight-saving changes move the
UTC instant, never the local hour.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notifications.domain.routing import Category, Channel, Priority

CRITICAL_CATEGORIES = frozenset({Category.WAITLIST, Category.PRIVACY})
"""Categories that carry critical messages: at least one channel stays on."""
DEFAULT_CHANNELS = frozenset({Channel.INAPP, Channel.EMAIL})
QUIET_BY_DEFAULT = {Category.ACHIEVEMENTS: frozenset({Channel.INAPP})}
"""Points and badges come often: in the inbox only, unless the person asks for email too."""
DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)


class PreferenceError(ValueError):
    """Preferences that cannot be kept; `field` names what is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def time_zone(name: str, field_name: str = "time_zone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise PreferenceError(field_name, f"unknown IANA time zone {name!r}") from error


@dataclass(frozen=True)
class QuietHours:
    """A nightly window, [start, end) in local wall-clock time; start after end spans midnight."""

    start: time = DEFAULT_QUIET_START
    end: time = DEFAULT_QUIET_END
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.start == self.end and self.enabled:
            raise PreferenceError("quiet_hours", "start and end must differ (disable quiet hours instead)")

    def holds(self, moment: datetime, zone: ZoneInfo) -> bool:
        if not self.enabled:
            return False
        local = moment.astimezone(zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """`moment` itself outside the window; else the end of the window it falls in."""
        if not self.holds(moment, zone):
            return moment
        local = moment.astimezone(zone)
        end = _at(local.date(), self.end, zone)
        if end <= moment:
            end = _at(local.date() + timedelta(days=1), self.end, zone)
        return end


class DigestFrequency(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class Digest:
    frequency: DigestFrequency = DigestFrequency.IMMEDIATE
    hour: int = 9
    """Local hour the digest goes out."""
    weekday: int = 0
    """0 = Monday (weekly digests)."""

    def __post_init__(self) -> None:
        if not 0 <= self.hour <= 23:
            raise PreferenceError("digest.hour", "must be 0-23")
        if not 0 <= self.weekday <= 6:
            raise PreferenceError("digest.weekday", "must be 0-6 (0 = Monday)")

    def next_slot(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The first digest time at or after `moment`."""
        local = moment.astimezone(zone)
        day = local.date()
        for _ in range(8):
            slot = _at(day, time(self.hour), zone)
            if slot >= moment and (self.frequency is DigestFrequency.DAILY or day.weekday() == self.weekday):
                return slot
            day += timedelta(days=1)
        raise AssertionError("a weekly slot is always within 8 days")


class Status(StrEnum):
    QUEUED = "queued"
    WAITING = "waiting"
    """For the end of quiet hours or for a digest."""
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    """By the person's preferences."""


@dataclass(frozen=True)
class Plan:
    status: Status
    send_at: datetime | None
    digest: bool = False


@dataclass(frozen=True)
class Preferences:
    person_id: str
    zone_name: str = "UTC"
    channels: Mapping[Category, frozenset[Channel]] = field(default_factory=dict)
    """Channels on per category; a category not listed has the defaults (in-app and email; achievements in-app)."""
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    digests: Mapping[Category, Digest] = field(default_factory=dict)

    def __post_init__(self) -> None:
        time_zone(self.zone_name)
        for category in CRITICAL_CATEGORIES:
            if not self.channels_for(category):
                raise PreferenceError(
                    f"channels.{category.value}", "carries critical messages: at least one channel stays on"
                )

    @property
    def zone(self) -> ZoneInfo:
        return time_zone(self.zone_name)

    def channels_for(self, category: Category) -> frozenset[Channel]:
        return self.channels.get(category, QUIET_BY_DEFAULT.get(category, DEFAULT_CHANNELS))

    def digest_for(self, category: Category) -> Digest:
        return self.digests.get(category, Digest())

    def with_zone(self, zone_name: str) -> "Preferences":
        return replace(self, zone_name=zone_name)

    def plan(self, now: datetime, channel: Channel, category: Category, priority: Priority) -> Plan:
        """When a message of this category and priority goes out on this channel, if at all."""
        if channel not in self.channels_for(category):
            return Plan(Status.SUPPRESSED, None)
        if channel is Channel.INAPP or priority is Priority.CRITICAL:
            return Plan(Status.QUEUED, now)  # an inbox does not wake anyone; critical cannot wait
        digest = self.digest_for(category)
        if digest.frequency is not DigestFrequency.IMMEDIATE:
            slot = self.quiet_hours.release(digest.next_slot(now, self.zone), self.zone)
            return Plan(Status.WAITING, slot, digest=True)
        release = self.quiet_hours.release(now, self.zone)
        return Plan(Status.QUEUED if release == now else Status.WAITING, release)


def _at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant the local clock in `zone` reads `wall` on `day` (the earlier one when it reads it twice)."""
    return datetime.combine(day, wall, tzinfo=zone)
