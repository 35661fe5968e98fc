"""Master classes as plain Python: the session rules, seats, waitlist promotion and feedback once."""

from datetime import UTC, datetime, timedelta

import pytest

from enrolment.domain.master_class import (
    FeedbackGiven,
    Held,
    MasterClass,
    Promoted,
    Proposal,
    Proposed,
    Published,
    RecordingAttached,
    Registered,
    Waitlisted,
    Withdrawn,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=7)
HOST = "hanna"


def proposal(**changes: object) -> Proposal:
    values: dict[str, object] = {
        "title": "Property-based testing in an hour",
        "abstract": "Hypothesis, from the first strategy to shrinking",
        "language": "en",
        "competencies": ("testing", "python", "testing"),
        "starts_at": START,
        "duration_minutes": 60,
        "capacity": 2,
        "room_url": "https://meet.example.com/pbt",
    }
    values.update(changes)
    return Proposal(**values)  # type: ignore[arg-type]


def published(capacity: int = 2) -> MasterClass:
    master_class = MasterClass.propose("mc-1", HOST, proposal(capacity=capacity), needs_approval=False, now=NOW)
    master_class.events.clear()
    return master_class


@pytest.mark.parametrize(("minutes", "fine"), [(29, False), (30, True), (120, True), (121, False), (150, False)])
def test_a_master_class_lasts_30_to_120_minutes(minutes: int, fine: bool) -> None:
    if fine:
        assert MasterClass.propose("mc", HOST, proposal(duration_minutes=minutes), False, NOW).status == "published"
        return
    with pytest.raises(Invalid) as refused:
        MasterClass.propose("mc", HOST, proposal(duration_minutes=minutes), False, NOW)
    assert refused.value.details["field"] == "duration_minutes"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": NOW - timedelta(minutes=1)}, "starts_at"),
        ({"starts_at": NOW}, "starts_at"),
        ({"starts_at": START.replace(tzinfo=None)}, "starts_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 2**64}, "capacity"),  # too big to store: a 422 naming the field, never a 500 from the write
        ({"title": "  "}, "title"),
        ({"language": "de"}, "language"),
    ],
)
def test_bad_proposals_name_their_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        MasterClass.propose("mc", HOST, proposal(**changes), False, NOW)
    assert refused.value.details["field"] == field


def test_without_approval_proposing_publishes_at_once() -> None:
    master_class = MasterClass.propose("mc-1", HOST, proposal(), needs_approval=False, now=NOW)
    assert master_class.status == "published"
    assert [type(e) for e in master_class.events] == [Proposed, Published]
    assert master_class.proposal.competencies == ("testing", "python")
    published_event = master_class.events[1]
    assert isinstance(published_event, Published) and published_event.approved_by is None


def test_with_approval_a_curator_publishes_it_once() -> None:
    master_class = MasterClass.propose("mc-1", HOST, proposal(), needs_approval=True, now=NOW)
    assert master_class.status == "proposed"
    assert [type(e) for e in master_class.events] == [Proposed]
    with pytest.raises(Conflict):
        master_class.register("bob", NOW)  # not published yet
    master_class.approve("curt", NOW)
    assert (master_class.status, master_class.approved_by) == ("published", "curt")
    assert isinstance(master_class.events[-1], Published) and master_class.events[-1].approved_by == "curt"
    with pytest.raises(Conflict):
        master_class.approve("curt", NOW)


def test_seats_then_the_waitlist_then_promotion_in_order() -> None:
    master_class = published(capacity=2)
    assert [master_class.register(p, NOW) for p in ("ann", "bob", "cat", "dan")] == [
        "registered",
        "registered",
        "waitlisted",
        "waitlisted",
    ]
    assert master_class.events[2:] == [
        Waitlisted("mc-1", "cat", master_class.proposal.title, 1),
        Waitlisted("mc-1", "dan", master_class.proposal.title, 2),
    ]
    view = master_class.view("dan")
    assert (view.seats_left, view.waitlist_length, view.my_status, view.my_waitlist_position) == (0, 2, "waitlisted", 2)
    master_class.events.clear()

    master_class.withdraw("bob", NOW)  # cat waited longest: she takes the seat at once
    assert master_class.registered == ["ann", "cat"] and master_class.waitlist == ["dan"]
    assert [type(e) for e in master_class.events] == [Withdrawn, Promoted]
    assert isinstance(master_class.events[1], Promoted) and master_class.events[1].person_id == "cat"
    master_class.events.clear()

    master_class.withdraw("dan", NOW)  # leaving the waitlist frees nothing
    assert master_class.events == [Withdrawn("mc-1", "dan", "waitlisted")]
    master_class.withdraw("ann", NOW)
    assert master_class.registered == ["cat"] and master_class.view("x").seats_left == 1
    with pytest.raises(NotFound):
        master_class.withdraw("ann", NOW)


def test_registering_twice_or_as_the_host_is_a_conflict() -> None:
    master_class = published()
    master_class.register("ann", NOW)
    with pytest.raises(Conflict):
        master_class.register("ann", NOW)
    with pytest.raises(Conflict) as host:
        master_class.register(HOST, NOW)
    assert host.value.details["field"] == "person_id"
    with pytest.raises(Conflict):
        master_class.register("bob", START)  # it started: registration is closed


def test_held_recording_and_feedback_once_from_registered_people() -> None:
    master_class = published(capacity=2)
    for person in ("ann", "bob", "cat"):
        master_class.register(person, NOW)
    with pytest.raises(Conflict):
        master_class.mark_held(NOW)  # not started yet
    with pytest.raises(Conflict):
        master_class.give_feedback("ann", 5, None, NOW)  # not held yet
    with pytest.raises(Invalid) as stranger:
        master_class.mark_held(START, ["ann", "cat"])  # cat only waited
    assert stranger.value.details["field"] == "attendee_ids"
    master_class.events.clear()

    master_class.mark_held(START + timedelta(hours=1))
    assert master_class.events == [
        Held("mc-1", HOST, master_class.proposal.title, ("testing", "python"), 60, ("ann", "bob"))
    ]
    with pytest.raises(Conflict):
        master_class.mark_held(START + timedelta(hours=1))
    with pytest.raises(Conflict):
        master_class.withdraw("ann", START + timedelta(hours=1))

    master_class.attach_recording("https://video.example.com/pbt", ["https://slides.example.com/pbt"])
    recording = master_class.events[-1]
    assert isinstance(recording, RecordingAttached)
    assert recording.materials == ("https://slides.example.com/pbt",) and recording.abstract.startswith("Hypothesis")

    later = START + timedelta(days=1)
    with pytest.raises(Invalid) as score:
        master_class.give_feedback("ann", 6, None, later)
    assert score.value.details["field"] == "score"
    master_class.give_feedback("ann", 5, "  Clear  ", later)
    master_class.give_feedback("bob", 4, None, later)
    with pytest.raises(Conflict):
        master_class.give_feedback("ann", 1, None, later)
    with pytest.raises(Forbidden):
        master_class.give_feedback("cat", 5, None, later)  # on the waitlist, never seated
    with pytest.raises(Forbidden):
        master_class.give_feedback(HOST, 5, None, later)
    assert master_class.events[-1] == FeedbackGiven("mc-1", HOST, "bob")
    view = master_class.view("ann")
    assert (view.feedback_count, view.average_score, view.my_feedback_given) == (2, 4.5, True)
    assert master_class.feedback[0].comment == "Clear"


def test_state_round_trips() -> None:
    master_class = published(capacity=1)
    master_class.register("ann", NOW)
    master_class.register("bob", NOW)
    master_class.mark_held(START)
    master_class.attach_recording("https://video.example.com/x", [])
    master_class.give_feedback("ann", 3, None, START)
    again = MasterClass.from_state("mc-1", master_class.to_state())
    assert again.to_state() == master_class.to_state()
    assert again.view("ann") == master_class.view("ann")
    assert [type(e) for e in master_class.events][:2] == [Registered, Waitlisted]
