"""Moments shown on the person's own clock: the services speak UTC, people read their local time.

`local_time` is the templates' filter (registered in entrypoints/web.py): an ISO timestamp (or a
datetime) in the reader's IANA time zone, in their language's usual format, with the UTC offset of
that moment, so a time on either side of a daylight-saving change reads right. Conference programmes
do not use it: they keep the conference's own clock.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "UTC"

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The named zone, or UTC when the name is missing or unknown (a page must still show its times)."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def known_zone(name: str | None) -> str:
    """The zone name as shown on the page: the one that `local_time` will use."""
    return zone_or_utc(name).key


def parse_moment(value: object) -> datetime | None:
    """A datetime from what the APIs send: ISO text with Z or an offset (no offset means UTC)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def utc_offset(offset: timedelta | None) -> str:
    """UTC+3, UTC+5:30; west of Greenwich a real minus sign (U+2212), as typography wants."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_date(day: date, lang: str) -> str:
    """ru: 02.01.2030; en: Jan 2, 2030."""
    if lang == "ru":
        return f"{day:%d.%m.%Y}"
    return f"{_MONTHS_EN[day.month - 1]} {day.day}, {day.year}"


def format_clock(moment: datetime, lang: str) -> str:
    """ru: 15:00 (24 hours); en: 3:00 PM."""
    if lang == "ru":
        return f"{moment:%H:%M}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def local_time(value: object, zone: str | None, lang: str, date_only: bool = False) -> str:
    """The moment on the reader's clock: "02.01.2030 15:00 (UTC+3)" in Russian, "Jan 2, 2030, 3:00 PM (UTC+3)"
    in English; with `date_only` just the local date. Text that is not a moment is shown as it came."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date(value, lang)  # a calendar day is the same day on every clock
    if isinstance(value, str) and len(value.strip()) == len("2030-01-02"):
        try:
            return format_date(date.fromisoformat(value.strip()), lang)
        except ValueError:
            return value
    moment = parse_moment(value)
    if moment is None:
        return "" if value is None else str(value)
    local = moment.astimezone(zone_or_utc(zone))
    day = format_date(local.date(), lang)
    if date_only:
        return day
    separator = " " if lang == "ru" else ", "
    return f"{day}{separator}{format_clock(local, lang)} ({utc_offset(local.utcoffset())})"
