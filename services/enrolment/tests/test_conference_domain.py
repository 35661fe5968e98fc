"""The conference's rules on their own: dates, blind scoring, clashes, capacity, once-only feedback."""

from datetime import UTC, date, datetime, timedelta

import pytest

from enrolment.domain.conference import (
    Conference,
    Plan,
    ProposalDecided,
    Room,
    Slot,
    TalkIdea,
    TalkRecordingAttached,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
DAY = date(2026, 6, 10)


def plan(**changes: object) -> Plan:
    values: dict[str, object] = {
        "title": "Owlery Dev Days",
        "starts_on": DAY,
        "ends_on": DAY + timedelta(days=1),
        "time_zone": "UTC",
        "tracks": ("backend", "data"),
        "rooms": (Room("Hall", 2), Room("Online", 100, "https://meet.example.com/dd")),
        "committee_ids": ("cur-1", "cur-2", "chair"),
        "chair_id": "chair",
    }
    values.update(changes)
    return Plan(**values)  # type: ignore[arg-type]


def idea(title: str = "Outbox on FerretDB") -> TalkIdea:
    return TalkIdea(title, "How we publish once", "intermediate", "en", ("kafka", "python"))


def at(hour: int, day: int = 0) -> datetime:
    return datetime.combine(DAY + timedelta(days=day), datetime.min.time(), UTC) + timedelta(hours=hour)


def accepted(*speakers: str) -> Conference:
    conference = Conference.create("conf-1", plan(), "hr-1", NOW)
    for speaker in speakers:
        proposal = conference.submit(speaker, idea(f"Talk of {speaker}"), NOW)
        conference.decide(proposal.id, "chair", True, "Welcome aboard")
    return conference


def test_an_end_before_the_start_is_refused_naming_the_field() -> None:
    with pytest.raises(Invalid) as error:
        Conference.create("c", plan(ends_on=DAY - timedelta(days=1)), "hr-1", NOW)
    assert error.value.details["field"] == "ends_on"
    with pytest.raises(Invalid) as error:
        Conference.create("c", plan(chair_id="stranger"), "hr-1", NOW)
    assert error.value.details["field"] == "chair_id"


@pytest.mark.parametrize("seats", [0, 2**64])
def test_a_room_without_seats_or_with_more_than_can_be_stored_is_refused_naming_the_field(seats: int) -> None:
    with pytest.raises(Invalid) as error:
        Conference.create("c", plan(rooms=(Room("Hall", seats),)), "hr-1", NOW)
    assert error.value.details["field"] == "rooms"


def test_scoring_is_blind_until_a_member_has_scored() -> None:
    conference = accepted()
    proposal = conference.submit("ann", idea(), NOW)
    conference.score(proposal.id, "cur-1", {"relevance": 5, "novelty": 4, "clarity": 3})
    with pytest.raises(Forbidden):
        conference.scores_seen_by(proposal.id, "cur-2")  # has not scored yet
    with pytest.raises(Forbidden):
        conference.score(proposal.id, "ann", {"relevance": 5, "novelty": 5, "clarity": 5})  # not on the committee
    with pytest.raises(Invalid) as error:
        conference.score(proposal.id, "cur-2", {"relevance": 6, "novelty": 4, "clarity": 3})
    assert error.value.details["field"] == "scores"
    conference.score(proposal.id, "cur-2", {"relevance": 3, "novelty": 2, "clarity": 1})
    seen = conference.scores_seen_by(proposal.id, "cur-2")
    assert seen["averages"] == {"relevance": 4.0, "novelty": 3.0, "clarity": 2.0}
    with pytest.raises(Conflict):
        conference.score(proposal.id, "cur-1", {"relevance": 1, "novelty": 1, "clarity": 1})


def test_the_chair_decides_once_with_a_message_for_the_speaker() -> None:
    conference = accepted()
    proposal = conference.submit("ann", idea(), NOW)
    with pytest.raises(Forbidden):
        conference.decide(proposal.id, "cur-1", True, "yes")
    conference.decide(proposal.id, "chair", False, "Too close to last year's talk")
    decided = [e for e in conference.events if isinstance(e, ProposalDecided)]
    assert (decided[-1].decision, decided[-1].speaker_id, decided[-1].message) == (
        "rejected",
        "ann",
        "Too close to last year's talk",
    )
    with pytest.raises(Conflict):
        conference.decide(proposal.id, "chair", True, "changed my mind")
    with pytest.raises(Conflict):  # rejected talks are not scheduled
        conference.schedule(proposal.id, "chair", Slot("backend", "Hall", at(10), 45))


def test_a_slot_outside_the_dates_is_invalid_and_clashes_conflict() -> None:
    conference = accepted("ann", "bob")
    with pytest.raises(Invalid) as error:
        conference.schedule("p-1", "chair", Slot("backend", "Hall", at(10, day=2), 45))
    assert error.value.details["field"] == "starts_at"
    with pytest.raises(Invalid) as error:
        conference.schedule("p-1", "chair", Slot("backend", "Hall", at(23, day=1), 90))  # runs past the last day
    assert error.value.details["field"] == "starts_at"
    with pytest.raises(Invalid) as error:
        conference.schedule("p-1", "chair", Slot("nope", "Hall", at(10), 45))
    assert error.value.details["field"] == "track"
    conference.schedule("p-1", "chair", Slot("backend", "Hall", at(10), 45))
    with pytest.raises(Conflict) as clash:  # bob in the same room, overlapping
        conference.schedule("p-2", "chair", Slot("data", "Hall", at(10, 0) + timedelta(minutes=30), 45))
    assert clash.value.details["field"] == "room"
    conference.schedule("p-2", "chair", Slot("data", "Hall", at(11), 45))  # back to back is fine
    # ann's second talk, in another room, at the time of her first: a speaker in two places at once
    proposal = conference.submit("ann", idea("Second talk"), NOW)
    conference.decide(proposal.id, "chair", True, "ok")
    with pytest.raises(Conflict) as clash:
        conference.schedule(proposal.id, "chair", Slot("data", "Online", at(10) + timedelta(minutes=15), 30))
    assert clash.value.details["field"] == "speaker_id"


def test_capacity_is_the_rooms_and_registration_is_once() -> None:
    conference = accepted("ann")
    conference.schedule("p-1", "chair", Slot("backend", "Hall", at(10), 45))
    with pytest.raises(NotFound):  # not published yet: no talk to register for
        conference.register("p-1", "x", NOW)
    conference.publish("chair", NOW)
    with pytest.raises(Conflict):
        conference.submit("late", idea(), NOW)  # the call closed with publication
    conference.register("p-1", "x", NOW)
    with pytest.raises(Conflict):
        conference.register("p-1", "x", NOW)
    with pytest.raises(Conflict):
        conference.register("p-1", "ann", NOW)  # the speaker
    conference.register("p-1", "y", NOW)
    with pytest.raises(Conflict) as full:
        conference.register("p-1", "z", NOW)
    assert full.value.details["capacity"] == 2


def test_attendance_feedback_and_recording_after_the_talk() -> None:
    conference = accepted("ann")
    conference.schedule("p-1", "chair", Slot("backend", "Hall", at(10), 45))
    conference.publish("chair", NOW)
    conference.register("p-1", "x", NOW)
    conference.register("p-1", "y", NOW)
    with pytest.raises(Conflict):
        conference.mark_attended("p-1", "ann", ["x"], NOW)  # not started
    with pytest.raises(Forbidden):
        conference.mark_attended("p-1", "cur-1", ["x"], at(11))
    conference.mark_attended("p-1", "ann", ["x"], at(11))
    with pytest.raises(Forbidden):
        conference.give_feedback("p-1", "y", 5, None, at(11))  # registered, not present
    conference.give_feedback("p-1", "x", 4, "Clear", at(11))
    with pytest.raises(Conflict):
        conference.give_feedback("p-1", "x", 5, None, at(11))
    with pytest.raises(Conflict):
        conference.attach_recording("p-1", "ann", "https://v.example.com/1", None, at(10, 0))
    conference.attach_recording("p-1", "ann", "https://v.example.com/1", "https://s.example.com/1", at(11))
    attached = conference.events[-1]
    assert isinstance(attached, TalkRecordingAttached)
    assert (attached.speaker_id, attached.competencies, attached.language) == ("ann", ("kafka", "python"), "en")


def test_state_round_trips() -> None:
    conference = Conference.create("conf-1", plan(), "hr-1", NOW)
    conference.submit("ann", idea(), NOW)
    conference.score("p-1", "cur-1", {"relevance": 5, "novelty": 4, "clarity": 3})
    conference.decide("p-1", "chair", True, "Welcome aboard")
    conference.schedule("p-1", "chair", Slot("backend", "Hall", at(10), 45))
    again = Conference.from_state("conf-1", conference.to_state())
    assert again.to_state() == conference.to_state()
