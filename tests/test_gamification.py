"""Gamification on the real broker and store, fed by the events enrolment and mentoring publish.

Enrolment and mentoring events land on their topics as those services would put them there; the
gamification service prices them into exactly the expected ledger (caps and conditions included),
awards the owl badge to a new internal trainer and exports it as an Open Badges 3.0 credential an
independent library verifies; every event delivered once more changes nothing; an admin's rule change
is dry-run (the right per-person differences), applied with compensating entries, and leaves every
balance equal to a from-scratch replay (a second dry run finds no difference).
"""

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from shared.contracts import enrolment, mentoring
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from tests.support.infra import Servers, unique
from tests.support.kafka import caught_up, cloud_event_record, eventually, produce
from tests.support.platform import Platform


@pytest.fixture(scope="module")
def gamification_platform(servers: Servers) -> Iterator[Platform]:
    running = Platform(servers, unique("g"))
    running.start("directory", "gamification")  # the directory issues the tokens
    try:
        yield running
    finally:
        running.stop()


async def expect(answer: httpx.Response, status: int = 200) -> Any:
    assert answer.status_code == status, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.content else None


HAPPENED = datetime.now(UTC) - timedelta(minutes=10)
"""When the deeds happened: a dry run replays deeds older than a minute (younger ones may not be priced yet)."""


def record(event: IntegrationEvent, source: str) -> tuple[bytes, bytes, dict[str, str]]:
    outbox = OutboxEvent.of(event, source=source, correlation_id="e2e")
    return cloud_event_record(dataclasses.replace(outbox, time=HAPPENED))


async def test_events_from_enrolment_and_mentoring_make_exactly_the_expected_ledger(
    gamification_platform: Platform,
) -> None:
    platform = gamification_platform
    run = uuid.uuid4().hex[:6]
    anna, boris, tim, mia, ned = (f"{name}-{run}" for name in ("anna", "boris", "tim", "mia", "ned"))
    course, cohort, circle = f"course-{run}", f"cohort-{run}", f"circle-{run}"
    enrolled = {
        person: enrolment.ApplicationEnrolledV1(
            application_id=f"app-{person}",
            course_id=course,
            course_title="Excel для аналитиков",
            cohort_id=cohort,
            person_id=person,
            locale="ru",
        )
        for person in (anna, boris)
    }
    enrolment_events: list[IntegrationEvent] = [
        *enrolled.values(),
        enrolment.TrainerDebutedV1(person_id=tim, course_id=course),
        *(
            enrolment.HomeworkReviewedV1(
                course_id=course,
                cohort_id=cohort,
                homework_id=f"hw-{number}",
                person_id=anna,
                trainer_id=tim,
                outcome="accepted",
                attempt=1,
            )
            for number in (1, 2)
        ),
        enrolment.HomeworkReviewedV1(
            course_id=course,
            cohort_id=cohort,
            homework_id="hw-1",
            person_id=boris,
            trainer_id=tim,
            outcome="returned",  # no points for homework sent back
            attempt=1,
        ),
        enrolment.SessionFeedbackGivenV1(course_id=course, cohort_id=cohort, session_number=1, person_id=anna),
        enrolment.CompletionDecidedV1(
            course_id=course,
            cohort_id=cohort,
            person_id=anna,
            trainer_id=tim,
            completed=True,
            attendance_rate=1.0,
            homework_rate=1.0,
            certificate_number="C-1",
        ),
        enrolment.CompletionDecidedV1(
            course_id=course,
            cohort_id=cohort,
            person_id=boris,
            trainer_id=tim,
            completed=False,  # no points for a course not completed
            attendance_rate=0.3,
            homework_rate=0.0,
        ),
        enrolment.CohortFinishedV1(course_id=course, cohort_id=cohort, trainer_id=tim, participants=2, completed=1),
    ]
    programme, pair = f"programme-{run}", f"pair-{run}"
    mentoring_events: list[IntegrationEvent] = [
        *(
            mentoring.MeetingLoggedV1(
                programme_id=programme,
                pair_id=pair,
                meeting_id=f"meeting-{number}",
                mentor_id=mia,
                mentee_ids=[ned],
                held_on=date.today(),
                minutes=minutes,
            )
            # Four real meetings in one week (capped at three) and a two-minute one "for points".
            for number, minutes in enumerate((60, 45, 50, 30, 2))
        ),
        mentoring.GoalAchievedV1(
            programme_id=programme, pair_id=pair, goal_id="goal-1", mentor_id=mia, mentee_ids=[ned]
        ),
        mentoring.SolutionPublishedV1(circle_id=circle, task_id="task-1", solution_id="solution-1", author_id=ned),
    ]
    expected = {
        anna: sorted(
            [
                ("enrolment.enrolled", 10),
                ("homework-accepted", 10),
                ("homework-accepted", 10),
                ("session-feedback-given", 2),
                ("enrolment-completed", 50),
            ]
        ),
        boris: [("enrolment.enrolled", 10)],
        tim: [("course-completed-as-trainer", 100)],
        mia: sorted([("mentoring-meeting-mentor", 10)] * 3 + [("goal-achieved-mentor", 20)]),
        ned: sorted([("mentoring-meeting-mentee", 5)] * 3 + [("goal-achieved-mentee", 30), ("solution-published", 10)]),
    }
    records: dict[str, list[tuple[bytes | None, bytes, dict[str, str]]]] = {
        platform.topic_prefix + enrolment.TOPIC: [record(e, "/owlery/enrolment") for e in enrolment_events],
        platform.topic_prefix + mentoring.TOPIC: [record(e, "/owlery/mentoring") for e in mentoring_events],
    }
    for topic, batch in records.items():
        await produce(platform.servers.kafka_bootstrap, topic, batch)

    base = platform.url("gamification")
    admin = platform.headers(f"admin-{run}", "admin")
    async with httpx.AsyncClient(timeout=30) as client:

        async def ledger_of(person: str) -> list[tuple[str, int]]:
            url = f"{base}/people/{person}/points?limit=500"
            body = await expect(await client.get(url, headers=platform.headers(person)))
            return sorted((entry["rule"], entry["points"]) for entry in body["ledger"])

        async def everyone() -> dict[str, list[tuple[str, int]]]:
            return {person: await ledger_of(person) for person in expected}

        await eventually(everyone, lambda books: books == expected, timeout=60)

        # --- every event delivered once more changes nothing ----------------------------------------
        for topic, batch in records.items():
            await produce(platform.servers.kafka_bootstrap, topic, batch)
        group = f"{platform.name}-gamification"
        await eventually(lambda: caught_up(platform.servers.kafka_bootstrap, group, list(records)), bool, timeout=60)
        assert await everyone() == expected

        # --- balances are projections of the ledger; the new internal trainer has the owl badge -------
        async def balance(person: str) -> int:
            url = f"{base}/people/{person}/points"
            return int((await expect(await client.get(url, headers=platform.headers(person))))["balance"])

        sums = {person: sum(points for _, points in entries) for person, entries in expected.items()}

        async def balances() -> dict[str, int]:
            return {person: await balance(person) for person in sums}

        await eventually(balances, lambda found: found == sums)

        async def badges(person: str) -> list[dict[str, Any]]:
            url = f"{base}/people/{person}/badges"
            return list(await expect(await client.get(url, headers=platform.headers(person))))

        (owl,) = await badges(tim)
        assert owl["badge_id"] == "owl" and owl["name_ru"] and owl["name_en"]
        assert [b["badge_id"] for b in await badges(ned)] == ["first-solution"]
        assert [(b["badge_id"], b["scope_id"]) for b in await badges(anna)] == [("course-completed", course)]
        # The credential verifies with an independent library against the issuer's published key.
        exported = await expect(await client.get(f"{base}{owl['credential']}", headers=platform.headers(tim)))
        keys = await expect(await client.get(f"{base}/badges/issuer/jwks"))
        header = jwt.get_unverified_header(exported["credential"])
        (key,) = [jwt.PyJWK(k) for k in keys["keys"] if header["kid"].endswith(k["kid"]) or k["kid"] == header["kid"]]
        claims = jwt.decode(exported["credential"], key=key, algorithms=["EdDSA"], options={"verify_aud": False})
        assert "OpenBadgeCredential" in claims["type"]
        assert "AchievementSubject" in claims["credentialSubject"]["type"]
        assert claims["credentialSubject"]["achievement"]["name"] == owl["name_en"]

        # --- an admin doubles the homework points: dry run, apply, and the ledger equals a replay -------
        rules = await expect(await client.get(f"{base}/rules", headers=admin))
        (homework,) = [rule for rule in rules["rules"] if rule["id"] == "homework-accepted"]
        edit = {
            key: homework[key]
            for key in ("event_type", "credits", "conditions", "not_own", "title_ru", "title_en", "subject_field")
        }
        edit.update(expected_version=rules["version"], points=20)
        changed = await expect(await client.put(f"{base}/rules/homework-accepted", json=edit, headers=admin))

        dry_run = await expect(await client.post(f"{base}/recalculations", headers=admin), 201)
        assert dry_run["status"] == "dry_run" and dry_run["ruleset_version"] == changed["version"]
        assert [(d["person_id"], d["change"]) for d in dry_run["differences"]] == [(anna, 20)]  # two homeworks x 10
        nothing_yet = await balance(anna)
        assert nothing_yet == sums[anna]  # a dry run changes no balance

        url = f"{base}/recalculations/{dry_run['id']}/application"
        applied = await expect(
            await client.post(url, json={"expected_ruleset_version": changed["version"]}, headers=admin)
        )
        assert (applied["status"], applied["points_difference"]) == ("applied", 20)
        again = await client.post(url, json={"expected_ruleset_version": changed["version"]}, headers=admin)
        assert again.status_code == 409
        await eventually(lambda: balance(anna), lambda found: found == sums[anna] + 20)
        assert sorted(await ledger_of(anna)) == sorted([*expected[anna], ("recalculation", 20)])
        # A from-scratch replay of every stored deed now agrees with every balance.
        replay = await expect(await client.post(f"{base}/recalculations", headers=admin), 201)
        assert replay["differences"] == []
