"""iCalendar invitations (RFC 5545, with the iTIP methods of RFC 5546) to a cohort's sessions.

A cohort is one calendar event that recurs on each of its sessions: the first session is DTSTART/DTEND and
every later one an RDATE (a reschedule can make the sessions irregular, so no RRULE). The event's UID is
derived from the cohort alone, so every invitation of a cohort — the first one, an update after a reschedule,
a cancellation — is about the same event in the recipient's calendar; a calendar applies an update only when
its SEQUENCE is higher than the one it holds. All times are written in UTC ("…Z"), so no VTIMEZONE is needed:
the recipient's calendar shows them in the recipient's own zone.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Method = Literal["REQUEST", "CANCEL"]
METHODS: tuple[Method, ...] = ("REQUEST", "CANCEL")

PRODID = "-//Owlery//Notifications//EN"
_LINE_OCTETS = 75
"""RFC 5545 §3.1: a content line is at most 75 octets long, not counting its CRLF."""


@dataclass(frozen=True)
class CohortSchedule:
    """When a cohort meets: one session per start, in session order (session i+1 starts at index i)."""

    cohort_id: str
    course_title: str
    session_starts: tuple[datetime, ...]
    """Aware datetimes; written in UTC whatever zone they carry."""
    session_minutes: int = 90
    room_url: str | None = None
    organizer_email: str = "noreply@owlery.local"
    organizer_name: str = "Owlery"


def calendar_uid(cohort_id: str) -> str:
    """The event's UID: the same for every invitation of one cohort, different for every other cohort."""
    if not cohort_id:
        raise ValueError("a cohort id is needed for a calendar UID")
    return f"cohort-{cohort_id}@owlery"


def invitation(
    schedule: CohortSchedule,
    *,
    attendee_email: str,
    attendee_name: str | None,
    sequence: int,
    stamp: datetime,
    method: Method = "REQUEST",
) -> bytes:
    """The .ics (UTF-8, CRLF lines) inviting one attendee to a cohort's sessions, or cancelling them.

    `sequence` must grow with every change the attendee is sent: 0 for the first invitation, higher for
    each update after a reschedule, and higher again for the cancellation (METHOD:CANCEL), which calendars
    otherwise may ignore. `stamp` (aware) is when this invitation was made (DTSTAMP).

    Starts that are equal are one session (RFC 5545 counts duplicate instances once), and the earliest start
    is DTSTART, so the event is well formed even if a reschedule put the sessions out of order.
    """
    starts = _session_starts(schedule)
    if schedule.session_minutes <= 0:
        raise ValueError(f"session_minutes must be positive, got {schedule.session_minutes}")
    if sequence < 0:
        raise ValueError(f"sequence must not be negative, got {sequence}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError(f"stamp must be an aware datetime, got naive {stamp.isoformat()}")
    if not schedule.course_title.strip():
        raise ValueError("course_title must not be empty")
    attendee = _mailto(attendee_email, "attendee_email")
    organizer = _mailto(schedule.organizer_email, "organizer_email")

    first, later = starts[0], starts[1:]
    duration = timedelta(minutes=schedule.session_minutes)
    attendee_params = f";CN={_param(attendee_name)}" if attendee_name else ""
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{_text(PRODID)}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{_text(calendar_uid(schedule.cohort_id))}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(first)}",
        f"DTEND:{_utc(first + duration)}",
        *(f"RDATE:{_utc(start)}" for start in later),
        f"SUMMARY:{_text(schedule.course_title)}",
    ]
    if schedule.room_url:
        lines += [f"LOCATION:{_text(schedule.room_url)}", f"URL:{_uri(schedule.room_url, 'room_url')}"]
    lines += [
        f"ORGANIZER;CN={_param(schedule.organizer_name)}:{organizer}",
        f"ATTENDEE{attendee_params};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:{attendee}",
        f"STATUS:{'CONFIRMED' if method == 'REQUEST' else 'CANCELLED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return b"".join(_fold(line) for line in lines)


def _session_starts(schedule: CohortSchedule) -> list[datetime]:
    if not schedule.session_starts:
        raise ValueError(f"cohort {schedule.cohort_id} has no sessions to invite to")
    for number, start in enumerate(schedule.session_starts, start=1):
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"session {number} of cohort {schedule.cohort_id} starts at a naive datetime")
    return sorted({start.astimezone(UTC) for start in schedule.session_starts})


def _utc(moment: datetime) -> str:
    """DATE-TIME in UTC form (RFC 5545 §3.3.5 form #2); seconds kept, fractions dropped."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks escaped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _drop_controls(value, keep="\n\t")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _param(value: str) -> str:
    """A quoted parameter value (RFC 5545 §3.2), with RFC 6868 caret escapes for ^, line breaks and quotes."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _drop_controls(value, keep="\n\t")
    value = value.replace("^", "^^").replace("\n", "^n").replace('"', "^'")
    return f'"{value}"'


def _mailto(email: str, what: str) -> str:
    return "mailto:" + _uri(email, what)


def _uri(value: str, what: str) -> str:
    """A URI value is written as it is; one that would break the line or the value is refused."""
    if not value or any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise ValueError(f"{what} must be non-empty without spaces or control characters, got {value!r}")
    return value


def _drop_controls(value: str, *, keep: str) -> str:
    """RFC 5545 allows no control characters in values other than HTAB (line breaks are escaped)."""
    return "".join(char for char in value if char in keep or not (ord(char) < 0x20 or ord(char) == 0x7F))


def _fold(line: str) -> bytes:
    """One content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character, with its CRLF."""
    chunks: list[bytes] = []
    current = bytearray()
    limit = _LINE_OCTETS
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            chunks.append(bytes(current))
            current = bytearray(b" ")  # a continuation line starts with one space, which counts in its 75
        current += encoded
    chunks.append(bytes(current))
    return b"".join(chunk + b"\r\n" for chunk in chunks)
