"""Erasure on the real MongoDB-wire server and Kafka: the person's id is gone from every stored document."""

import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from enrolment.bootstrap import Enrolment, bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.domain.cohort_run import AttendanceStatus, CohortRun, Roster, certificate_number
from enrolment.domain.model import Rules
from enrolment.domain.trainers import Trainer
from enrolment.service import cohort_runs as run_uc
from enrolment.service import handlers
from enrolment.service import trainers as trainer_uc
from enrolment.tests.builders import CURATOR, NOW, TRAINER, published_course
from enrolment.tests.fakes import FakeRosters
from shared.contracts import directory
from shared.contracts import enrolment as contracts
from shared.errors import Invalid, NotFound
from shared.messaging.cloudevents import OutboxEvent
from shared.persistence.mongo import Document
from shared.persistence.versioned import PENDING, PUBLISHED
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import cloud_event_record, eventually, produce
from tests.support.storage import every_document, mentioning

pytestmark = pytest.mark.infra

STAND_IN = re.compile(r"former-employee-[0-9a-f]{12}")
DAY, WEEK = timedelta(days=1), timedelta(weeks=1)


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[EnrolmentSettings]:
    """A service instance whose database, topics and consumer group are its own, removed afterwards."""
    isolated_settings = isolated(EnrolmentSettings, servers, "enrolment")
    yield isolated_settings
    await remove(servers, isolated_settings)


def profile(person_id: str) -> directory.PersonUpsertedV1:
    return directory.PersonUpsertedV1(
        person_id=person_id,
        user_name=person_id,
        display_name="Alice Liddell",
        email="alice@example.com",
        department="Data",
        locale="ru",
        time_zone="Europe/Moscow",
        active=True,
        version=1,
    )


async def test_an_erased_applicant_is_gone_from_every_document(settings: EnrolmentSettings, servers: Servers) -> None:
    service = bootstrap(settings)
    commits = service.runtime.database["courses_commits"]
    alice, bob, carol, dave = (unique(name) for name in ("alice", "bob", "carol", "dave"))
    await service.runtime.start()
    try:
        await service.people.apply_upsert(profile(alice))
        seated = await published_course(service.courses, title="Python", capacity=2)
        queued = await published_course(service.courses, title="SQL", capacity=2)
        # Python: bob and alice take the seats, carol and dave wait (and are proposed a stream); SQL: she waits.
        for course, person in [(seated, bob), (seated, alice), (seated, carol), (seated, dave)]:
            await handlers.apply(
                handlers.Apply(course.id, person, "ru"), service.courses, people=service.people, now=NOW
            )
        for person in (bob, carol, alice):
            await handlers.apply(
                handlers.Apply(queued.id, person, "ru"), service.courses, people=service.people, now=NOW
            )
        await eventually(lambda: commits.count_documents({"outbox_state": PENDING}), lambda pending: pending == 0)

        exported = await handlers.export_person(alice, service.courses, service.people)
        assert exported["person"]["display_name"] == "Alice Liddell"
        assert sorted((a["course_title"], a["status"]) for a in exported["applications"]) == [
            ("Python", "enrolled"),
            ("SQL", "waitlisted"),
        ]
        before_erasure = await every_document(service.runtime.database)
        assert mentioning(before_erasure, alice).keys() == {
            "people",
            "courses",
            "courses_commits",
        }

        # The directory erases her; the running service hears it from Kafka.
        erasure = directory.PersonErasedV1(person_id=alice, requested_by="hr-1", reason="left the company in 2024")
        erased = OutboxEvent.of(erasure, source="/owlery/directory", correlation_id="t")
        await produce(servers.kafka_bootstrap, settings.topic_prefix + directory.TOPIC, [cloud_event_record(erased)])
        handled = service.runtime.database["processed_events"]
        marker = f"{settings.consumer_group}:{erased.id}"
        await eventually(lambda: handled.find_one({"_id": marker}), lambda found: found is not None, timeout=60)

        after = await every_document(service.runtime.database)
        # A redelivered erasure finds nothing and writes nothing (the tombstone's own timestamp aside).
        assert await handlers.erase_person(alice, service.courses, service.people, service.erasures) == 0
        again = await every_document(service.runtime.database)
        assert {k: v for k, v in again.items() if k != "people"} == {k: v for k, v in after.items() if k != "people"}
        with pytest.raises(Invalid):
            await handlers.apply(
                handlers.Apply(seated.id, alice, "en"), service.courses, people=service.people, now=NOW
            )
    finally:
        await service.runtime.stop()

    # What is left in the database, read raw: her id only in the directory copy's tombstone, which holds nothing
    # else, and in the audit entry of the erasure itself, which the law keeps.
    left = mentioning(after, alice)
    assert left.keys() == {"people", "audit_log"}
    assert left["people"] == [
        {"_id": alice, "active": False, "erased": True, "updated_at": left["people"][0]["updated_at"]}
    ]
    assert [(e["action"], e["actor_id"], e["subject_id"]) for e in left["audit_log"]] == [
        ("person.erased", "hr-1", alice)
    ]
    assert "Alice Liddell" not in json.dumps(after, default=str)
    heads = {head["_id"]: head for head in after["courses"]}
    python, sql = heads[seated.id], heads[queued.id]
    stand_in = python["cohorts"][0]["members"][1]
    assert stand_in.startswith("former-employee-")
    assert python["cohorts"][0]["members"] == [bob, stand_in]
    assert python["waitlist"] == [carol, dave]
    assert python["stream_proposal"]["member_ids"] == [carol, dave]
    assert sql["cohorts"][0]["members"] == [bob, carol]
    assert sql["waitlist"] == [stand_in]
    assert (len(python["applications"]), len(sql["applications"])) == (4, 3)
    stood_in = [a for a in python["applications"] + sql["applications"] if a["person_id"] == stand_in]
    assert [(a["locale"], a["department"], a["time_zone"]) for a in stood_in] == [(None, None, None)] * 2
    # One new version per course; history rewritten in place, nothing published again or left pending.
    assert (python["version"], sql["version"]) == (8, 7)  # propose, approve, cohort, applicants, erasure
    assert len(after["courses_commits"]) == 15
    assert {commit["outbox_state"] for commit in after["courses_commits"]} == {PUBLISHED}
    payloads: list[dict[str, Any]] = [e["data"] for c in after["courses_commits"] for e in c["events"]]
    assert sorted(p["person_id"] for p in payloads if "person_id" in p) == sorted(
        [bob, stand_in, carol, dave, bob, carol, stand_in]
    )
    assert [p["member_ids"] for p in payloads if "member_ids" in p] == [[carol, dave]]
    # The catalogue's cards name no applicant; both courses are listed, full for now.
    assert sorted((card["title_ru"], len(card["cohorts"])) for card in after["catalogue"]) == [
        ("Python", 1),
        ("SQL", 1),
    ]
    assert after.get("erasures_in_progress", []) == []


# --- cohort runs, certificates and trainers' profiles ------------------------------------------------------


async def erase_through_kafka(service: Enrolment, settings: EnrolmentSettings, servers: Servers, person: str) -> None:
    """The directory erases the person; wait until the running service has handled it."""
    erasure = directory.PersonErasedV1(person_id=person, requested_by="hr-1", reason="left the company in 2024")
    erased = OutboxEvent.of(erasure, source="/owlery/directory", correlation_id="t")
    await produce(servers.kafka_bootstrap, settings.topic_prefix + directory.TOPIC, [cloud_event_record(erased)])
    await handled(service, settings, erased)


async def handled(service: Enrolment, settings: EnrolmentSettings, event: OutboxEvent) -> None:
    processed = service.runtime.database["processed_events"]
    marker = f"{settings.consumer_group}:{event.id}"
    await eventually(lambda: processed.find_one({"_id": marker}), lambda found: found is not None, timeout=60)


async def nothing_pending(service: Enrolment, *collections: str) -> None:
    database = service.runtime.database

    async def pending() -> int:
        return sum([await database[name].count_documents({"outbox_state": PENDING}) for name in collections])

    await eventually(pending, lambda count: count == 0, timeout=30)


def only_the_tombstone_and_the_audit_entry(after: dict[str, list[Document]], person: str) -> None:
    left = mentioning(after, person)
    assert left.keys() == {"people", "audit_log"}
    assert left["people"] == [
        {"_id": person, "active": False, "erased": True, "updated_at": left["people"][0]["updated_at"]}
    ]
    assert [(e["action"], e["subject_id"]) for e in left["audit_log"]] == [("person.erased", person)]
    assert "Alice Liddell" not in json.dumps(after, default=str)


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


async def test_an_erased_member_of_a_cohort_run_is_gone_and_the_runs_figures_stay(
    settings: EnrolmentSettings, servers: Servers
) -> None:
    service = bootstrap(settings)
    alice, bob, carol = (unique(name) for name in ("alice", "bob", "carol"))
    runs, rosters = service.runs, handlers.CourseRosters(service.courses)
    await service.runtime.start()
    try:
        await service.people.apply_upsert(profile(alice))
        rules = Rules(capacity=3, peer_review=True, anonymous_feedback=False, min_attendance=0.7, min_homework=0.5)
        course = await published_course(service.courses, title="Python", rules=rules)
        for person in (bob, alice, carol):
            await handlers.apply(
                handlers.Apply(course.id, person, "ru"), service.courses, people=service.people, now=NOW
            )
        course_id, cohort_id = course.id, course.cohorts[0].id
        roster = await rosters.roster(course_id, cohort_id)
        later = at(roster.session_starts[-1] + timedelta(hours=2))  # all four sessions have started
        marks = {alice: "ppap", bob: "pppp", carol: "paap"}
        for person, statuses in marks.items():
            for number, mark in enumerate(statuses, start=1):
                status: AttendanceStatus = "present" if mark == "p" else "absent"
                await run_uc.mark_attendance(runs, rosters, course_id, cohort_id, number, person, status, clock=later)
        await run_uc.assign_homework(
            runs, rosters, course_id, cohort_id, 1, "Exercise", roster.session_starts[0] + timedelta(days=3)
        )
        for person in (alice, bob):
            await run_uc.submit_homework(
                runs, rosters, course_id, cohort_id, "hw-1", person, "My answer", [], clock=later
            )
            await run_uc.review_homework(
                runs, rosters, course_id, cohort_id, "hw-1", person, "accepted", "Good", clock=later
            )
        await run_uc.comment_submission(runs, rosters, course_id, cohort_id, "hw-1", bob, alice, "Neat", clock=later)
        await run_uc.comment_submission(runs, rosters, course_id, cohort_id, "hw-1", alice, bob, "Thanks", clock=later)
        for person, rating in ((alice, 5), (bob, 4), (carol, 3)):
            comment = "Great session" if person == alice else None
            await run_uc.give_feedback(runs, rosters, course_id, cohort_id, 1, person, rating, comment, clock=later)
        decided = await run_uc.decide_completion(runs, rosters, course_id, cohort_id, CURATOR, clock=later)
        issued = next(d.certificate_number for d in decided if d.person_id == alice)
        assert issued is not None and (await run_uc.certificate(runs, issued)).person_id == alice
        await nothing_pending(service, "courses_commits", "cohort_runs_commits")
        # The projection has folded the finished cohort into the course's trainer's profile: nothing is in flight.
        await eventually(lambda: service.trainers.get(TRAINER), lambda found: found is not None and found[1] >= 3)

        exported = await handlers.export_person(
            alice, service.courses, service.people, runs=runs, trainers=service.trainers
        )
        (records,) = exported["cohort_runs"]
        assert (records["cohort_id"], records["roles"]) == (cohort_id, ["member"])
        assert [a["status"] for a in records["attendance"]] == ["present", "present", "absent", "present"]
        assert [(h["homework_id"], h["status"]) for h in records["homework"]] == [("hw-1", "accepted")]
        assert [w["on_submission_of"] for w in records["comments_written"]] == [bob]
        assert records["feedback_given"] == [{"session_number": 1, "rating": 5, "comment": "Great session"}]
        assert records["completion"]["completed"] is True
        assert [cert["number"] for cert in records["certificates"]] == [issued]
        assert exported["trainer_profile"] is None
        before = await every_document(service.runtime.database)
        assert mentioning(before, alice).keys() == {
            "people",
            "courses",
            "courses_commits",
            "cohort_runs",
            "cohort_runs_commits",
        }
        run_before = CohortRun.from_state(cohort_id, next(h for h in before["cohort_runs"] if h["_id"] == cohort_id))

        await erase_through_kafka(service, settings, servers, alice)

        after = await every_document(service.runtime.database)
        assert (
            await handlers.erase_person(
                alice, service.courses, service.people, service.erasures, runs=runs, trainers=service.trainers
            )
            == 0
        )
        again = await every_document(service.runtime.database)
        assert {n: v for n, v in again.items() if n != "people"} == {n: v for n, v in after.items() if n != "people"}
        exported = await handlers.export_person(
            alice, service.courses, service.people, runs=runs, trainers=service.trainers
        )
        assert (exported["applications"], exported["cohort_runs"], exported["trainer_profile"]) == ([], [], None)
        with pytest.raises(NotFound):
            await run_uc.certificate(runs, issued)
    finally:
        await service.runtime.stop()

    only_the_tombstone_and_the_audit_entry(after, alice)
    stand_in = next(h for h in after["courses"] if h["_id"] == course_id)["cohorts"][0]["members"][1]
    assert STAND_IN.fullmatch(stand_in)
    head = next(h for h in after["cohort_runs"] if h["_id"] == cohort_id)
    run = CohortRun.from_state(cohort_id, head)
    assert run.members == [bob, stand_in, carol]  # the same stand-in as in the course, in her place
    # Every figure as it was: rates, cohort size, ratings, completions, certificates.
    assert [run.attendance_rate(p) for p in (stand_in, bob, carol)] == [
        run_before.attendance_rate(p) for p in (alice, bob, carol)
    ]
    assert [run.attendance_rate(p) for p in (stand_in, bob, carol)] == [0.75, 1.0, 0.5]
    assert run.homework_rate(stand_in) == run_before.homework_rate(alice) == 1.0
    assert run.average_rating() == run_before.average_rating() == 4.0
    assert [(d.completed, d.attendance_rate) for d in run.decisions] == [
        (d.completed, d.attendance_rate) for d in run_before.decisions
    ]
    assert run.sessions[0].ratings[0].author_id == stand_in and run.sessions[0].ratings[0].comment == "Great session"
    new_number = certificate_number(cohort_id, stand_in, next(iter(run.certificates.values())).issued_on.year)
    assert {cert.person_id for cert in run.certificates.values()} == {bob, stand_in}
    assert new_number in run.certificates and issued not in run.certificates
    assert sorted(entry["_id"] for entry in after["cohort_run_certificates"]) == sorted(run.certificates)
    # One new version of the run, with no events; history rewritten in place, nothing left to publish again.
    assert head["version"] == run_before_version(before, cohort_id) + 1
    commits = after["cohort_runs_commits"]
    assert len(commits) == len(before["cohort_runs_commits"]) + 1
    assert {commit["outbox_state"] for commit in commits} == {PUBLISHED}
    completed = [
        e["data"] for commit in commits for e in commit["events"] if e["type"].endswith("completion.decided.v1")
    ]
    assert sorted((d["person_id"], d["completed"]) for d in completed) == sorted(
        [(bob, True), (stand_in, True), (carol, False)]
    )
    assert next(d["certificate_number"] for d in completed if d["person_id"] == stand_in) == new_number
    assert after.get("erasures_in_progress", []) == []


def run_before_version(documents: dict[str, list[Document]], cohort_id: str) -> int:
    return int(next(h for h in documents["cohort_runs"] if h["_id"] == cohort_id)["version"])


async def test_an_erased_trainer_s_profile_debut_and_run_go_to_the_stand_in_and_a_replay_brings_nothing_back(
    settings: EnrolmentSettings, servers: Servers
) -> None:
    service = bootstrap(settings)
    tina, bob, carol = (unique(name) for name in ("tina", "bob", "carol"))
    runs, rosters = service.runs, FakeRosters()
    course_id, cohort_id = unique("course"), unique("cohort")
    now = datetime.now(UTC).replace(microsecond=0)
    rosters.put(
        Roster(
            course_id=course_id,
            cohort_id=cohort_id,
            course_title="Python",
            trainer_id=tina,
            members=(bob, carol),
            session_starts=(now - 2 * WEEK, now - WEEK),
            peer_review=False,
            anonymous_feedback=True,
            min_attendance=0.5,
            min_homework=0.5,
            hours_per_session=2.0,
            trains_trainers=False,
        )
    )
    await service.runtime.start()
    try:
        await service.people.apply_upsert(profile(tina))
        # Her first course is published (she debuts) and its cohort scheduled, as the projection hears it.
        first = trainer_uc.CoursePublished(tina, course_id, "Python", "Питон", ("python",), now, "corr-1")
        await trainer_uc.course_published(first, service.trainers)
        await trainer_uc.cohort_scheduled(trainer_uc.CohortScheduled(tina, course_id, cohort_id), service.trainers)
        # She runs the cohort: marks, reviews with a comment, decides completion.
        clock = at(now)
        marks: list[tuple[str, list[AttendanceStatus]]] = [
            (bob, ["present", "present"]),
            (carol, ["present", "absent"]),
        ]
        for person, statuses in marks:
            for number, status in enumerate(statuses, start=1):
                await run_uc.mark_attendance(runs, rosters, course_id, cohort_id, number, person, status, clock=clock)
        await run_uc.assign_homework(runs, rosters, course_id, cohort_id, 1, "Exercise", now - 2 * WEEK + 3 * DAY)
        for person in (bob, carol):
            await run_uc.submit_homework(runs, rosters, course_id, cohort_id, "hw-1", person, "Done", [], clock=clock)
            await run_uc.review_homework(
                runs, rosters, course_id, cohort_id, "hw-1", person, "accepted", "Well done", clock=clock
            )
        for person, rating in ((bob, 4), (carol, 5)):
            await run_uc.give_feedback(runs, rosters, course_id, cohort_id, 1, person, rating, None, clock=clock)
        await run_uc.decide_completion(runs, rosters, course_id, cohort_id, tina, clock=clock)
        # The run's CohortFinishedV1 goes out through the relay and comes back into her profile.
        await eventually(
            lambda: service.trainers.get(tina),
            lambda found: found is not None and found[0].cohorts_given == 1,
            timeout=30,
        )
        await nothing_pending(service, "trainer_debuts", "cohort_runs_commits")

        exported = await handlers.export_person(
            tina, service.courses, service.people, runs=runs, trainers=service.trainers
        )
        assert exported["trainer_profile"]["debut"]["course_id"] == course_id
        assert exported["trainer_profile"]["courses"][0]["cohorts_finished"] == [
            {"cohort_id": cohort_id, "participants": 2, "completed": 2, "average_rating": 4.5}
        ]
        assert [r["roles"] for r in exported["cohort_runs"]] == [["trainer", "decided_completion"]]
        before = await every_document(service.runtime.database)
        assert mentioning(before, tina).keys() == {
            "people",
            "trainers",
            "trainers_commits",
            "trainer_debuts",
            "cohort_runs",
            "cohort_runs_commits",
        }
        loaded = await service.trainers.get(tina)
        assert loaded is not None
        profile_before, version_before = loaded
        run_before = CohortRun.from_state(cohort_id, before["cohort_runs"][0])

        await erase_through_kafka(service, settings, servers, tina)

        after = await every_document(service.runtime.database)
        assert (
            await handlers.erase_person(
                tina, service.courses, service.people, service.erasures, runs=runs, trainers=service.trainers
            )
            == 0
        )
        again = await every_document(service.runtime.database)
        assert {n: v for n, v in again.items() if n != "people"} == {n: v for n, v in after.items() if n != "people"}
        # Her first course's publication comes again from Kafka (a replay): no profile, no second debut.
        replay = OutboxEvent.of(
            contracts.CoursePublishedV1(
                course_id=course_id,
                trainer_id=tina,
                title_en="Python",
                title_ru="Питон",
                language="ru",
                competencies=["python"],
                sessions=2,
            ),
            source="/owlery/enrolment",
            correlation_id="replay",
        )
        await produce(servers.kafka_bootstrap, settings.topic_prefix + contracts.TOPIC, [cloud_event_record(replay)])
        await handled(service, settings, replay)
        replayed = await every_document(service.runtime.database)
        unchanged = ("people", "processed_events")
        assert {n: v for n, v in replayed.items() if n not in unchanged} == {
            n: v for n, v in after.items() if n not in unchanged
        }
        assert await service.trainers.get(tina) is None
    finally:
        await service.runtime.stop()

    only_the_tombstone_and_the_audit_entry(replayed, tina)
    # The profile, every version of it and the debut now belong to the stand-in, with the same figures.
    (head,) = after["trainers"]
    stand_in = head["_id"]
    assert STAND_IN.fullmatch(stand_in)
    profile_after = Trainer.from_state(stand_in, head)
    assert (head["version"], profile_after.to_state()) == (
        version_before,
        {**profile_before.to_state(), "person_id": stand_in},
    )
    assert sorted(commit["_id"] for commit in after["trainers_commits"]) == [
        f"{stand_in}@{version}" for version in range(1, version_before + 1)
    ]
    (debut,) = after["trainer_debuts"]
    assert (debut["_id"], debut["outbox_state"], debut["course_id"]) == (stand_in, PUBLISHED, course_id)
    assert [event["data"] for event in debut["events"]] == [{"person_id": stand_in, "course_id": course_id}]
    # The run she gave: the same stand-in as trainer, every figure as it was.
    run = CohortRun.from_state(cohort_id, after["cohort_runs"][0])
    assert (run.trainer_id, run.decided_by) == (stand_in, stand_in)
    assert {certificate.trainer_id for certificate in run.certificates.values()} == {stand_in}
    assert sorted(run.certificates) == sorted(run_before.certificates)  # the members' numbers stay
    assert [run.attendance_rate(p) for p in (bob, carol)] == [1.0, 0.5]
    assert run.average_rating() == run_before.average_rating() == 4.5
    events = [e["data"] for commit in after["cohort_runs_commits"] for e in commit["events"]]
    assert {data["trainer_id"] for data in events if "trainer_id" in data} == {stand_in}
    assert {commit["outbox_state"] for commit in after["cohort_runs_commits"]} == {PUBLISHED}
    assert after.get("erasures_in_progress", []) == []
