"""How a moment reads for a person: in their time zone (an IANA name) and in their language.

The text names the zone, so a person who travels, or reads a colleague's invitation, knows which clock it
is on: "вторник, 1 декабря 2026, 15:00 (Europe/Moscow)", "Tuesday, 1 December 2026, 15:00 (Europe/Moscow)".
Names of days and months are our own, not the host's locale, so the text is the same on every machine.
"""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notifications.domain.model import Locale

_WEEKDAYS: dict[Locale, tuple[str, ...]] = {
    "ru": ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS: dict[Locale, tuple[str, ...]] = {
    # Russian dates name the month in the genitive: "1 декабря".
    "ru": (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

_NOT_ZONES = frozenset({"localtime", "posixrules"})
"""Files a system's zoneinfo directory may hold that are not IANA zone names (the host's own zone, a rule file)."""
_NOT_ZONE_PREFIXES = ("posix/", "right/")
"""System copies of the database; "right/…" counts leap seconds, and its clocks are off by them."""


class UnknownTimeZone(ValueError):
    """The name is not an IANA time zone (such as "Europe/Moscow")."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone {name!r}: expected an IANA name such as 'Europe/Moscow'")
        self.name = name


def zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name (case matters: "Europe/Moscow"); UnknownTimeZone if there is none."""
    if name in _NOT_ZONES or name.startswith(_NOT_ZONE_PREFIXES):
        raise UnknownTimeZone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        # Not found; not a relative path ("", "/etc/x", "../x"); a directory ("Europe") or unreadable.
        raise UnknownTimeZone(name) from error


def local_text(moment: datetime, zone_name: str, locale: Locale) -> str:
    """The moment on the zone's wall clock, with weekday, date and zone, in the language, to the minute."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the moment must be an aware datetime, got naive {moment.isoformat()}")
    local = moment.astimezone(zone(zone_name))
    weekday = _WEEKDAYS[locale][local.weekday()]
    month = _MONTHS[locale][local.month - 1]
    return f"{weekday}, {local.day} {month} {local.year}, {local:%H:%M} ({zone_name})"
