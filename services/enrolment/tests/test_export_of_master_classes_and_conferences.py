"""The privacy export of master classes and conferences: the person's own part, nobody else's, and nothing
once they are erased."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from enrolment.domain.conference import Conference, Plan, Room, Slot, TalkIdea
from enrolment.domain.master_class import MasterClass, Proposal
from enrolment.service import handlers
from enrolment.service.ports import ConferenceRecords, MasterClassRecords
from enrolment.tests.fakes import (
    InMemoryAggregates,
    InMemoryCourseRepository,
    InMemoryErasures,
    InMemoryPeople,
    in_memory_conferences,
    in_memory_master_classes,
    names,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=7)
DAY = date(2026, 6, 10)
OTHERS = ("bob", "carol", "hanna", "cur-1", "chair", "hr-1")


def session(title: str, capacity: int = 5) -> Proposal:
    return Proposal(title, "An hour of it", "en", ("python",), START, 60, capacity, "https://meet.example.com/x")


async def master_classes_of_alice() -> InMemoryAggregates[MasterClass]:
    """Alice hosts one master class (rated by bob and carol), attends and rates another, waits for a third."""
    store = in_memory_master_classes()
    hosted = MasterClass.propose("mc-1", "alice", session("Pandas tricks"), needs_approval=False, now=NOW)
    attended = MasterClass.propose("mc-2", "hanna", session("SQL in an hour"), needs_approval=False, now=NOW)
    full = MasterClass.propose("mc-3", "hanna", session("Regex", capacity=1), needs_approval=False, now=NOW)
    elsewhere = MasterClass.propose("mc-4", "hanna", session("Git"), needs_approval=False, now=NOW)
    for master_class, people in ((hosted, ["bob", "carol"]), (attended, ["alice", "bob"]), (full, ["bob", "alice"])):
        for person in people:
            master_class.register(person, NOW)
    elsewhere.register("bob", NOW)
    after = START + timedelta(hours=2)
    for master_class in (hosted, attended):
        master_class.mark_held(after)
    hosted.attach_recording("https://video.example.com/pandas", ["https://example.com/slides"])
    hosted.give_feedback("bob", 5, "Great, thank you", after)
    hosted.give_feedback("carol", 2, "Too fast for me", after)
    attended.give_feedback("alice", 4, "Useful", after)
    attended.give_feedback("bob", 1, "Not for me", after)
    for master_class in (hosted, attended, full, elsewhere):
        await store.save(master_class, 0)
    return store


async def conferences_of_alice() -> InMemoryAggregates[Conference]:
    """Alice sits on the committee, speaks, scores bob's proposal and attends and rates bob's talk."""
    store = in_memory_conferences()
    plan = Plan(
        "Owlery Dev Days",
        DAY,
        DAY,
        "UTC",
        ("backend",),
        (Room("Hall", 50),),
        ("cur-1", "alice", "chair"),
        "chair",
    )
    conference = Conference.create("conf-1", plan, "hr-1", NOW)
    hers = conference.submit("alice", TalkIdea("Outbox on FerretDB", "Once", "advanced", "en", ("kafka",)), NOW)
    his = conference.submit("bob", TalkIdea("Kafka for analysts", "Topics", "beginner", "ru", ("kafka",)), NOW)
    conference.score(hers.id, "cur-1", {"relevance": 1, "novelty": 1, "clarity": 1})
    conference.score(his.id, "alice", {"relevance": 4, "novelty": 3, "clarity": 5})
    conference.score(his.id, "cur-1", {"relevance": 2, "novelty": 2, "clarity": 2})
    conference.decide(hers.id, "chair", True, "Welcome aboard")
    conference.decide(his.id, "chair", True, "Please keep it short")
    nine = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    conference.schedule(hers.id, "chair", Slot("backend", "Hall", nine, 45))
    conference.schedule(his.id, "chair", Slot("backend", "Hall", nine + timedelta(hours=1), 45))
    conference.publish("chair", NOW)
    conference.register(hers.id, "carol", NOW)
    for person in ("alice", "carol"):
        conference.register(his.id, person, NOW)
    later = nine + timedelta(hours=3)
    conference.mark_attended(his.id, "bob", ["alice", "carol"], later)
    conference.give_feedback(his.id, "alice", 5, "Clear", later)
    conference.give_feedback(his.id, "carol", 1, "Boring", later)
    conference.attach_recording(hers.id, "alice", "https://video.example.com/outbox", None, later)
    await store.save(conference, 0)
    elsewhere = Conference.create("conf-2", replace(plan, committee_ids=("cur-1", "chair")), "hr-1", NOW)
    elsewhere.submit("bob", TalkIdea("Elsewhere", "", "beginner", "en", ()), NOW)
    await store.save(elsewhere, 0)
    return store


def test_the_fakes_implement_the_ports() -> None:
    master_classes: MasterClassRecords = in_memory_master_classes()
    conferences: ConferenceRecords = in_memory_conferences()
    assert master_classes is not None and conferences is not None


async def test_export_shows_alices_master_classes_with_her_own_feedback_only() -> None:
    master_classes = await master_classes_of_alice()

    exported = await handlers.export_person(
        "alice", InMemoryCourseRepository(), InMemoryPeople(), master_classes=master_classes
    )

    records = exported["master_classes"]
    assert [(r["master_class_id"], r["roles"], r["waitlist_position"]) for r in records] == [
        ("mc-1", ["host"], None),
        ("mc-2", ["registered", "attended"], None),
        ("mc-3", ["waitlisted"], 1),
    ]
    hosted, attended, waiting = records
    assert hosted["title"] == "Pandas tricks" and hosted["status"] == "held" and hosted["feedback"] is None
    assert hosted["hosted"]["recording_url"] == "https://video.example.com/pandas"
    assert (hosted["hosted"]["feedback_count"], hosted["hosted"]["average_score"]) == (2, 3.5)
    assert attended["feedback"] == {"score": 4, "comment": "Useful", "at": (START + timedelta(hours=2)).isoformat()}
    assert "hosted" not in attended and waiting["feedback"] is None
    # Nobody else: no other attendee, host or comment.
    assert not any(names(records, other) for other in OTHERS)
    assert not any(text in str(records) for text in ("Great, thank you", "Too fast for me", "Not for me"))


async def test_export_shows_alices_proposals_talks_and_her_own_scores_but_no_one_elses() -> None:
    conferences = await conferences_of_alice()

    exported = await handlers.export_person(
        "alice", InMemoryCourseRepository(), InMemoryPeople(), conferences=conferences
    )

    [record] = exported["conferences"]
    assert (record["conference_id"], record["title"], record["roles"]) == (
        "conf-1",
        "Owlery Dev Days",
        ["committee", "speaker"],
    )
    [proposal] = record["proposals"]
    assert (proposal["title"], proposal["decision"], proposal["message"]) == (
        "Outbox on FerretDB",
        "accepted",
        "Welcome aboard",
    )
    assert proposal["slot"] == {
        "track": "backend",
        "room": "Hall",
        "starts_at": "2026-06-10T09:00:00+00:00",
        "duration_minutes": 45,
    }
    assert (proposal["registered"], proposal["recording_url"]) == (1, "https://video.example.com/outbox")
    assert "scores" not in proposal  # cur-1 scored it: not hers to see
    assert record["talks"] == [
        {
            "talk_id": "p-2",
            "title": "Kafka for analysts",
            "starts_at": "2026-06-10T10:00:00+00:00",
            "registered": True,
            "attended": True,
            "feedback": {"score": 5, "comment": "Clear", "at": "2026-06-10T12:00:00+00:00"},
        }
    ]
    assert record["scores_given"] == [
        {"proposal_id": "p-2", "title": "Kafka for analysts", "relevance": 4, "novelty": 3, "clarity": 5}
    ]
    assert record["decisions_taken"] == []
    assert not any(names(record, other) for other in OTHERS)
    assert "Boring" not in str(record) and "Please keep it short" not in str(record)


async def test_the_chair_sees_the_decisions_they_took_without_the_speakers() -> None:
    conferences = await conferences_of_alice()

    exported = await handlers.export_person(
        "chair", InMemoryCourseRepository(), InMemoryPeople(), conferences=conferences
    )

    [record, elsewhere] = exported["conferences"]
    assert record["roles"] == ["committee", "chair"]
    assert record["decisions_taken"] == [
        {"proposal_id": "p-1", "decision": "accepted"},
        {"proposal_id": "p-2", "decision": "accepted"},
    ]
    assert (record["proposals"], record["talks"], record["scores_given"]) == ([], [], [])
    assert elsewhere["conference_id"] == "conf-2"
    assert not names(exported["conferences"], "alice") and not names(exported["conferences"], "bob")


async def test_after_erasure_the_export_holds_no_master_class_or_conference_of_hers() -> None:
    master_classes, conferences = await master_classes_of_alice(), await conferences_of_alice()
    courses, people = InMemoryCourseRepository(), InMemoryPeople()
    people.upsert("alice", display_name="Alice")

    await handlers.erase_person(
        "alice", courses, people, InMemoryErasures(), master_classes=master_classes, conferences=conferences
    )
    exported = await handlers.export_person(
        "alice", courses, people, master_classes=master_classes, conferences=conferences
    )

    assert (exported["master_classes"], exported["conferences"]) == ([], [])
    assert await master_classes.involving("alice") == [] and await conferences.involving("alice") == []
    # Bob's part is still his.
    bobs = await handlers.export_person("bob", courses, people, master_classes=master_classes, conferences=conferences)
    assert [r["master_class_id"] for r in bobs["master_classes"]] == ["mc-1", "mc-2", "mc-3", "mc-4"]
