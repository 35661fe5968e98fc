# ruff: noqa: RUF001  (the minus sign is what people read)
"""Times on the reader's clock: the zone's offset on that very day (daylight saving), both languages' formats."""

from datetime import UTC, date, datetime

from portal.domain.times import known_zone, local_time


def test_new_york_changes_its_offset_with_daylight_saving() -> None:
    winter, summer = "2030-01-15T17:30:00Z", "2030-07-15T17:30:00Z"
    assert local_time(winter, "America/New_York", "en") == "Jan 15, 2030, 12:30 PM (UTC−5)"
    assert local_time(summer, "America/New_York", "en") == "Jul 15, 2030, 1:30 PM (UTC−4)"
    assert local_time(winter, "America/New_York", "ru") == "15.01.2030 12:30 (UTC−5)"
    # The night the clocks go forward (10 March 2030, 2:00 → 3:00): 06:59 and 07:00 UTC are an hour and a minute apart.
    assert local_time("2030-03-10T06:59:00+00:00", "America/New_York", "en") == "Mar 10, 2030, 1:59 AM (UTC−5)"
    assert local_time("2030-03-10T07:00:00+00:00", "America/New_York", "en") == "Mar 10, 2030, 3:00 AM (UTC−4)"


def test_moscow_keeps_utc_plus_three_all_year_and_crosses_midnight() -> None:
    assert local_time("2030-01-02T12:00:00Z", "Europe/Moscow", "ru") == "02.01.2030 15:00 (UTC+3)"
    assert local_time("2030-07-02T12:00:00Z", "Europe/Moscow", "ru") == "02.07.2030 15:00 (UTC+3)"
    assert local_time("2030-12-31T22:30:00+00:00", "Europe/Moscow", "en") == "Jan 1, 2031, 1:30 AM (UTC+3)"
    assert local_time("2030-12-31T22:30:00Z", "Europe/Moscow", "ru", date_only=True) == "01.01.2031"
    # Before 2011 Moscow had summer time: history is respected too.
    assert local_time("2010-07-01T12:00:00Z", "Europe/Moscow", "ru") == "01.07.2010 16:00 (UTC+4)"


def test_odd_inputs_still_show_something_sensible() -> None:
    assert local_time("2030-01-02T12:00:00", "Asia/Kolkata", "en") == "Jan 2, 2030, 5:30 PM (UTC+5:30)"  # naive: UTC
    assert local_time(datetime(2030, 1, 2, 12, tzinfo=UTC), "Mars/Olympus", "ru") == "02.01.2030 12:00 (UTC+0)"
    assert local_time(None, "Europe/Moscow", "ru") == ""
    assert local_time("soon", "Europe/Moscow", "ru") == "soon"
    assert local_time("2030-01-02T00:00:00Z", "Europe/Moscow", "en") == "Jan 2, 2030, 3:00 AM (UTC+3)"
    assert local_time("2030-01-02T12:00:00Z", None, "en") == "Jan 2, 2030, 12:00 PM (UTC+0)"
    assert local_time("2030-01-02", "America/New_York", "en") == "Jan 2, 2030"  # a day, not a moment: never shifted
    assert local_time(date(2030, 1, 2), "America/New_York", "ru", date_only=True) == "02.01.2030"
    assert known_zone("Mars/Olympus") == "UTC"
    assert known_zone("Europe/Moscow") == "Europe/Moscow"
