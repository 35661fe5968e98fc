"""A moment reads on the person's own clock, in their language, with the zone named."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from notifications.domain.localtime import UnknownTimeZone, local_text, zone
from notifications.domain.model import Locale

NOON_UTC = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone_name", "locale", "expected"),
    [
        ("Europe/Moscow", "ru", "вторник, 1 декабря 2026, 15:00 (Europe/Moscow)"),
        ("Europe/Moscow", "en", "Tuesday, 1 December 2026, 15:00 (Europe/Moscow)"),
        ("America/New_York", "ru", "вторник, 1 декабря 2026, 07:00 (America/New_York)"),
        ("America/New_York", "en", "Tuesday, 1 December 2026, 07:00 (America/New_York)"),
        ("UTC", "en", "Tuesday, 1 December 2026, 12:00 (UTC)"),
    ],
)
def test_a_utc_moment_reads_on_the_persons_clock_in_their_language(
    zone_name: str, locale: Locale, expected: str
) -> None:
    assert local_text(NOON_UTC, zone_name, locale) == expected


def test_the_local_date_is_the_one_on_the_persons_calendar_not_the_utc_one() -> None:
    late_evening_utc = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)

    assert local_text(late_evening_utc, "Europe/Moscow", "ru") == "пятница, 1 января 2027, 01:30 (Europe/Moscow)"
    assert local_text(late_evening_utc, "America/New_York", "en") == (
        "Thursday, 31 December 2026, 17:30 (America/New_York)"
    )


def test_a_moment_in_another_offset_reads_the_same_as_its_utc_instant() -> None:
    in_novosibirsk_offset = datetime(2026, 12, 1, 19, 0, tzinfo=timezone(timedelta(hours=7)))

    assert local_text(in_novosibirsk_offset, "Europe/Moscow", "en") == local_text(NOON_UTC, "Europe/Moscow", "en")


def test_across_the_end_of_daylight_saving_the_same_utc_hour_reads_an_hour_earlier() -> None:
    # New York leaves daylight saving time at 02:00 local on Sunday 1 November 2026 (UTC-4 -> UTC-5).
    before = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    after = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)

    assert local_text(before, "America/New_York", "en") == "Saturday, 31 October 2026, 11:00 (America/New_York)"
    assert local_text(after, "America/New_York", "en") == "Sunday, 1 November 2026, 10:00 (America/New_York)"
    assert local_text(after, "America/New_York", "ru") == "воскресенье, 1 ноября 2026, 10:00 (America/New_York)"


def test_moscow_keeps_one_offset_all_year() -> None:
    summer = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)

    assert local_text(summer, "Europe/Moscow", "ru") == "среда, 15 июля 2026, 15:00 (Europe/Moscow)"


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "europe/moscow", "Europe", "", "../etc/passwd", "/etc/localtime", "localtime"]
)
def test_an_unknown_zone_is_refused_by_name(name: str) -> None:
    with pytest.raises(UnknownTimeZone) as refused:
        zone(name)

    assert repr(name) in str(refused.value)
    assert refused.value.name == name


def test_an_unknown_zone_in_a_text_is_refused_and_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        local_text(NOON_UTC, "Mars/Olympus_Mons", "en")


def test_a_known_zone_is_found() -> None:
    assert zone("Asia/Yekaterinburg").utcoffset(NOON_UTC.replace(tzinfo=None)) == timedelta(hours=5)


def test_a_moment_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_text(datetime(2026, 12, 1, 12, 0), "Europe/Moscow", "en")
