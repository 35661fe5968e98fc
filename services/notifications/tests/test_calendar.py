"""A cohort's invitation is an .ics that an independent iCalendar library (icalendar) reads back as we meant it."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import icalendar  # type: ignore[import-untyped]  # (the package ships no type hints)
import pytest

from notifications.domain.calendar import CohortSchedule, calendar_uid, invitation

STAMP = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
STARTS = (
    datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
    datetime(2026, 12, 8, 12, 0, tzinfo=UTC),
    datetime(2026, 12, 17, 15, 30, tzinfo=UTC),  # moved: sessions are irregular after a reschedule
)
TITLE = "Python для аналитиков; часть 1, «основы»"  # a Russian title with a semicolon and a comma


def schedule(**changes: Any) -> CohortSchedule:
    values: dict[str, Any] = {
        "cohort_id": "c-42",
        "course_title": TITLE,
        "session_starts": STARTS,
        "session_minutes": 90,
        "room_url": "https://meet.owlery.local/c-42?lang=ru",
    }
    return CohortSchedule(**(values | changes))


def invite(plan: CohortSchedule | None = None, **changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "attendee_email": "anna@example.com",
        "attendee_name": "Анна Иванова",
        "sequence": 0,
        "stamp": STAMP,
    }
    return invitation(plan or schedule(), **(arguments | changes))


def parsed(ics: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(ics)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def rdates(event: icalendar.Event) -> list[datetime]:
    found = event.get("RDATE", [])
    lists = found if isinstance(found, list) else [found]
    return [moment.dt for rdate in lists for moment in rdate.dts]


def test_an_invitation_is_a_request_for_one_event_with_the_calendar_header() -> None:
    calendar, event = parsed(invite())

    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "REQUEST"
    assert str(calendar["PRODID"])
    assert event["STATUS"] == "CONFIRMED"
    assert event["DTSTAMP"].dt == STAMP


def test_the_uid_is_the_same_for_every_invitation_of_a_cohort_and_differs_between_cohorts() -> None:
    _, first = parsed(invite(sequence=0))
    _, update = parsed(invite(schedule(session_starts=STARTS[:2]), sequence=1, attendee_email="boris@example.com"))
    _, other = parsed(invite(schedule(cohort_id="c-43")))

    assert first["UID"] == update["UID"] == calendar_uid("c-42")
    assert other["UID"] == calendar_uid("c-43")
    assert first["UID"] != other["UID"]


def test_the_sequence_is_the_one_given_so_an_update_outranks_the_first_invitation() -> None:
    _, first = parsed(invite(sequence=0))
    _, update = parsed(invite(sequence=3))

    assert first["SEQUENCE"] == 0
    assert update["SEQUENCE"] == 3


def test_the_event_recurs_exactly_on_the_sessions_each_as_long_as_a_session() -> None:
    _, event = parsed(invite())

    assert event["DTSTART"].dt == STARTS[0]
    assert event["DTEND"].dt == STARTS[0] + timedelta(minutes=90)
    assert [event["DTSTART"].dt, *rdates(event)] == list(STARTS)
    assert "RRULE" not in event


def test_session_starts_in_any_zone_are_written_in_utc() -> None:
    moscow = timezone(timedelta(hours=3))
    _, event = parsed(invite(schedule(session_starts=tuple(start.astimezone(moscow) for start in STARTS))))

    assert event["DTSTART"].dt == STARTS[0]
    assert event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert rdates(event) == list(STARTS[1:])


def test_a_single_session_has_no_rdate_and_its_own_length() -> None:
    _, event = parsed(invite(schedule(session_starts=STARTS[:1], session_minutes=45)))

    assert rdates(event) == []
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=45)


def test_a_rescheduled_session_moved_before_another_still_starts_the_event_at_the_earliest() -> None:
    _, event = parsed(invite(schedule(session_starts=(STARTS[1], STARTS[0], STARTS[0]))))

    assert event["DTSTART"].dt == STARTS[0]
    assert rdates(event) == [STARTS[1]]


def test_a_russian_title_with_commas_and_semicolons_reads_back_as_written() -> None:
    ics = invite()
    _, event = parsed(ics)

    assert str(event["SUMMARY"]) == TITLE
    unfolded = ics.replace(b"\r\n ", b"")
    assert "SUMMARY:Python для аналитиков\\; часть 1\\, «основы»\r\n".encode() in unfolded


def test_a_title_with_backslashes_and_line_breaks_reads_back_as_written() -> None:
    title = "Путь: диск:\\папка\\ и" + "\n" + "вторая строка" + "\r\n" + "третья"
    _, event = parsed(invite(schedule(course_title=title)))

    assert str(event["SUMMARY"]) == "\n".join(["Путь: диск:\\папка\\ и", "вторая строка", "третья"])


def test_a_long_title_is_folded_at_75_octets_without_splitting_a_character_and_reads_back_whole() -> None:
    title = "Практический курс: " + "распределённые системы, очереди; " * 8
    ics = invite(schedule(course_title=title))
    _, event = parsed(ics)

    assert str(event["SUMMARY"]) == title
    lines = ics.split(b"\r\n")
    assert lines[-1] == b""  # every line, the last too, ends with CRLF
    assert all(len(line) <= 75 for line in lines)
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    summary = next(index for index, line in enumerate(lines) if line.startswith(b"SUMMARY:"))
    continuations = [line for line in lines[summary + 1 :] if line.startswith(b" ")]
    assert len(continuations) >= 5
    for line in [lines[summary], *continuations]:
        line.decode("utf-8")  # a folded line never ends or starts inside a multi-byte character


def test_the_room_is_the_location_and_the_url() -> None:
    _, event = parsed(invite())

    assert str(event["LOCATION"]) == "https://meet.owlery.local/c-42?lang=ru"
    assert str(event["URL"]) == "https://meet.owlery.local/c-42?lang=ru"


def test_without_a_room_there_is_no_location() -> None:
    _, event = parsed(invite(schedule(room_url=None)))

    assert "LOCATION" not in event
    assert "URL" not in event


def test_the_attendee_and_the_organizer_are_mailto_addresses_with_names() -> None:
    _, event = parsed(invite())

    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:anna@example.com"
    assert attendee.params["CN"] == "Анна Иванова"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "FALSE"
    assert str(event["ORGANIZER"]) == "mailto:noreply@owlery.local"
    assert event["ORGANIZER"].params["CN"] == "Owlery"


def test_an_attendee_name_with_quotes_and_separators_reads_back_as_written() -> None:
    name = 'Пётр "Петя" Сидоров; отдел: продажи, ^север'
    _, event = parsed(invite(attendee_name=name))

    assert event["ATTENDEE"].params["CN"] == name
    assert str(event["ATTENDEE"]) == "mailto:anna@example.com"


def test_an_attendee_without_a_name_has_no_cn() -> None:
    _, event = parsed(invite(attendee_name=None))

    assert "CN" not in event["ATTENDEE"].params
    assert str(event["ATTENDEE"]) == "mailto:anna@example.com"


def test_a_cancellation_cancels_the_same_event() -> None:
    _, request = parsed(invite(sequence=1))
    calendar, cancel = parsed(invite(sequence=2, method="CANCEL"))

    assert calendar["METHOD"] == "CANCEL"
    assert cancel["STATUS"] == "CANCELLED"
    assert cancel["UID"] == request["UID"]
    assert cancel["SEQUENCE"] == 2
    assert str(cancel["ATTENDEE"]) == "mailto:anna@example.com"


@pytest.mark.parametrize(
    ("plan", "changes", "problem"),
    [
        (schedule(session_starts=()), {}, "no sessions"),
        (schedule(session_starts=(STARTS[0], datetime(2026, 12, 8, 12, 0))), {}, "session 2 .* naive"),
        (schedule(session_minutes=0), {}, "session_minutes"),
        (schedule(course_title="  "), {}, "course_title"),
        (schedule(), {"stamp": datetime(2026, 11, 20, 9, 30)}, "stamp"),
        (schedule(), {"sequence": -1}, "sequence"),
        (schedule(), {"attendee_email": "anna@example.com\r\nATTENDEE:mailto:eve@example.com"}, "attendee_email"),
        (schedule(), {"method": "PUBLISH"}, "method"),
        (schedule(cohort_id=""), {}, "cohort id"),
    ],
)
def test_an_invitation_that_cannot_be_right_is_refused_naming_the_problem(
    plan: CohortSchedule, changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        invite(plan, **changes)
