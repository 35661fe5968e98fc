"""Preferences decide when a message goes out: now, after the quiet hours in the person's zone, in a digest, or not."""

from datetime import UTC, datetime, time

import pytest

from notifications.domain.preferences import (
    Digest,
    DigestFrequency,
    PreferenceError,
    Preferences,
    QuietHours,
    Status,
)
from notifications.domain.routing import Category, Channel, Priority


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_message_at_night_in_moscow_waits_for_eight_in_the_morning_there() -> None:
    ann = Preferences("ann", zone_name="Europe/Moscow")
    plan = ann.plan(utc("2026-12-01T19:30"), Channel.EMAIL, Category.ENROLMENT, Priority.NORMAL)  # 22:30 in Moscow
    assert (plan.status, plan.send_at) == (Status.WAITING, utc("2026-12-02T05:00"))  # 08:00 in Moscow
    day = ann.plan(utc("2026-12-01T09:00"), Channel.EMAIL, Category.ENROLMENT, Priority.NORMAL)  # 12:00
    assert (day.status, day.send_at) == (Status.QUEUED, utc("2026-12-01T09:00"))


def test_the_end_of_the_quiet_hours_follows_the_local_clock_across_a_daylight_saving_change() -> None:
    bob = Preferences("bob", zone_name="America/New_York")
    # 23:00 EDT on 31 October; clocks go back at 02:00 on 1 November: 08:00 EST is 13:00 UTC, not 12:00.
    plan = bob.plan(utc("2026-11-01T03:00"), Channel.EMAIL, Category.HOMEWORK, Priority.NORMAL)
    assert plan.send_at == utc("2026-11-01T13:00")
    # And in spring, 08:00 EDT after the clocks went forward on 8 March is 12:00 UTC.
    spring = bob.plan(utc("2026-03-08T05:00"), Channel.EMAIL, Category.HOMEWORK, Priority.NORMAL)
    assert spring.send_at == utc("2026-03-08T12:00")


def test_a_window_that_does_not_span_midnight_and_a_disabled_one() -> None:
    siesta = Preferences("c", zone_name="UTC", quiet_hours=QuietHours(time(13), time(15)))
    assert siesta.plan(utc("2026-12-01T14:00"), Channel.EMAIL, Category.MENTORING, Priority.NORMAL).send_at == utc(
        "2026-12-01T15:00"
    )
    assert siesta.plan(utc("2026-12-01T23:00"), Channel.EMAIL, Category.MENTORING, Priority.NORMAL).send_at == utc(
        "2026-12-01T23:00"
    )
    never = Preferences("d", quiet_hours=QuietHours(enabled=False))
    assert never.plan(utc("2026-12-01T23:00"), Channel.EMAIL, Category.MENTORING, Priority.NORMAL).status == (
        Status.QUEUED
    )


def test_critical_messages_and_the_inbox_do_not_wait() -> None:
    ann = Preferences("ann", zone_name="Europe/Moscow", digests={Category.WAITLIST: Digest(DigestFrequency.DAILY, 9)})
    night = utc("2026-12-01T20:00")
    assert ann.plan(night, Channel.EMAIL, Category.WAITLIST, Priority.CRITICAL) == ann.plan(
        night, Channel.INAPP, Category.ENROLMENT, Priority.NORMAL
    )
    assert ann.plan(night, Channel.EMAIL, Category.WAITLIST, Priority.CRITICAL).send_at == night


def test_digests_wait_for_the_chosen_local_hour_daily_or_weekly() -> None:
    ann = Preferences(
        "ann",
        zone_name="Asia/Yekaterinburg",  # UTC+5
        digests={
            Category.MENTORING: Digest(DigestFrequency.DAILY, 18),
            Category.PEER_LEARNING: Digest(DigestFrequency.WEEKLY, 10, weekday=4),
        },
    )
    daily = ann.plan(utc("2026-12-01T14:00"), Channel.EMAIL, Category.MENTORING, Priority.NORMAL)  # 19:00 Tue
    assert (daily.status, daily.send_at, daily.digest) == (Status.WAITING, utc("2026-12-02T13:00"), True)
    weekly = ann.plan(utc("2026-12-01T14:00"), Channel.EMAIL, Category.PEER_LEARNING, Priority.NORMAL)
    assert weekly.send_at == utc("2026-12-04T05:00")  # Friday 10:00 there
    late = Preferences("b", digests={Category.HOMEWORK: Digest(DigestFrequency.DAILY, 22)})
    # A digest hour inside the quiet hours goes out when they end.
    assert late.plan(utc("2026-12-01T12:00"), Channel.EMAIL, Category.HOMEWORK, Priority.NORMAL).send_at == utc(
        "2026-12-02T08:00"
    )


def test_a_channel_switched_off_suppresses_and_a_critical_category_keeps_one_channel() -> None:
    ann = Preferences("ann", channels={Category.MENTORING: frozenset({Channel.INAPP})})
    plan = ann.plan(utc("2026-12-01T12:00"), Channel.EMAIL, Category.MENTORING, Priority.NORMAL)
    assert plan.status is Status.SUPPRESSED
    # Points and badges come often: by default they stay in the inbox; asked for, they are emailed too.
    assert Preferences("b").plan(
        utc("2026-12-01T12:00"), Channel.EMAIL, Category.ACHIEVEMENTS, Priority.NORMAL
    ).status is (Status.SUPPRESSED)
    emailed = Preferences("c", channels={Category.ACHIEVEMENTS: frozenset({Channel.INAPP, Channel.EMAIL})})
    assert emailed.plan(utc("2026-12-01T12:00"), Channel.EMAIL, Category.ACHIEVEMENTS, Priority.NORMAL).status is (
        Status.QUEUED
    )
    with pytest.raises(PreferenceError) as refused:
        Preferences("ann", channels={Category.PRIVACY: frozenset()})
    assert refused.value.field == "channels.privacy"


def test_bad_values_name_their_field() -> None:
    with pytest.raises(PreferenceError) as zone:
        Preferences("ann", zone_name="Mars/Olympus_Mons")
    assert zone.value.field == "time_zone"
    with pytest.raises(PreferenceError) as window:
        QuietHours(time(8), time(8))
    assert window.value.field == "quiet_hours"
    with pytest.raises(PreferenceError) as hour:
        Digest(DigestFrequency.DAILY, 24)
    assert hour.value.field == "digest.hour"
