"""Learning events as xAPI statements, and their delivery log's retries, on plain data and fakes."""

import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from notifications.adapters.lrs import statements_url
from notifications.domain.xapi import Occurrence, Statement, Vocabulary, stated_event_types, statements_of
from notifications.service.learning_records import (
    LAST_RETRY,
    LearningRecords,
    LoggedStatement,
    SendOutcome,
    SendResult,
    backoff,
)
from shared.contracts import enrolment, gamification, mentoring
from shared.contracts.base import IntegrationEvent, contract_for

HOME = "https://learn.example.com"
VOCABULARY = Vocabulary(HOME)
AT = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def stated(event: IntegrationEvent, event_id: str = "e-1", correlation_id: str | None = None) -> list[Statement]:
    return statements_of(event, Occurrence(event_id, event.ce_type, AT, correlation_id), VOCABULARY)


def account(name: str, home: str = HOME) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": home, "name": name}}


ENROLLED = enrolment.ApplicationEnrolledV1(
    application_id="a1", course_id="c1", course_title="Kafka в деталях", cohort_id="k1", person_id="anna", locale="ru"
)


def test_an_enrolment_is_registered_by_an_account_actor_with_a_statement_id_from_the_event() -> None:
    [statement] = stated(ENROLLED, "evt-1", correlation_id="corr-9")
    body = statement.body
    assert body["actor"] == account("anna")
    assert body["verb"]["id"] == "http://adlnet.gov/expapi/verbs/registered"
    assert body["object"]["id"] == f"{HOME}/xapi/activities/course/c1"
    assert body["object"]["definition"]["name"] == {"ru": "Kafka в деталях"}
    assert body["timestamp"] == AT.isoformat()
    assert body["context"]["extensions"][f"{HOME}/xapi/extensions/correlation-id"] == "corr-9"
    assert body["context"]["contextActivities"]["grouping"][0]["id"] == f"{HOME}/xapi/activities/cohort/k1"
    assert body["id"] == statement.id
    # The same event, delivered again, states the same; another event, another statement.
    assert stated(ENROLLED, "evt-1", correlation_id="corr-9") == [statement]
    assert stated(ENROLLED, "evt-2")[0].id != statement.id


def test_a_course_run_attended_passed_and_completed_with_one_registration() -> None:
    present = enrolment.AttendanceMarkedV1(
        course_id="c1", cohort_id="k1", session_number=2, person_id="anna", trainer_id="tom", status="present"
    )
    absent = present.model_copy(update={"status": "absent"})
    accepted = enrolment.HomeworkReviewedV1(
        course_id="c1",
        cohort_id="k1",
        homework_id="h1",
        person_id="anna",
        trainer_id="tom",
        outcome="accepted",
        attempt=1,
    )
    returned = accepted.model_copy(update={"outcome": "returned"})
    completed = enrolment.CompletionDecidedV1(
        course_id="c1",
        cohort_id="k1",
        person_id="anna",
        trainer_id="tom",
        completed=True,
        attendance_rate=1.0,
        homework_rate=1.0,
        certificate_number="OWL-1",
    )
    assert stated(absent) == [] and stated(returned) == []
    assert stated(completed.model_copy(update={"completed": False, "certificate_number": None})) == []
    [attended] = stated(present)
    [passed] = stated(accepted)
    done, certified = stated(completed, "evt-done")
    assert [attended.verb, passed.verb, done.verb, certified.verb] == [
        "http://adlnet.gov/expapi/verbs/attended",
        "http://adlnet.gov/expapi/verbs/passed",
        "http://adlnet.gov/expapi/verbs/completed",
        "http://adlnet.gov/expapi/verbs/passed",
    ]
    assert attended.body["object"]["id"] == f"{HOME}/xapi/activities/session/k1/2"
    assert attended.body["context"]["contextActivities"]["parent"][0]["id"] == f"{HOME}/xapi/activities/course/c1"
    assert done.id != certified.id  # two statements of one event: each its own id
    registrations = {s.body["context"]["registration"] for s in (attended, passed, done, certified)}
    assert registrations == {stated(ENROLLED)[0].body["context"]["registration"]}


def test_a_mentoring_programme_registered_mentored_attended_and_completed() -> None:
    registered = mentoring.ParticipantRegisteredV1(
        programme_id="p1", programme_title="Onboarding", person_id="nick", role="mentee", locale="en"
    )
    meeting = mentoring.MeetingLoggedV1(
        programme_id="p1",
        pair_id="pr1",
        meeting_id="m1",
        mentor_id="maria",
        mentee_ids=["nick"],
        held_on=date(2026, 11, 2),
        minutes=45,
    )
    ended = mentoring.PairEndedV1(
        programme_id="p1",
        pair_id="pr1",
        reason="completed",
        member_ids=["maria", "nick"],
        curator_ids=["c"],
        mentor_id="maria",
    )
    [joined] = stated(registered)
    mentored, attended = stated(meeting)
    completions = stated(ended)
    assert joined.body["object"]["definition"]["name"] == {"und": "Onboarding"}
    assert (mentored.person_id, mentored.verb) == ("maria", "http://id.tincanapi.com/verb/mentored")
    assert (attended.person_id, attended.verb) == ("nick", "http://adlnet.gov/expapi/verbs/attended")
    assert mentored.body["result"] == {"duration": "PT45M"}
    assert {(s.person_id, s.verb) for s in completions} == {
        ("maria", "http://adlnet.gov/expapi/verbs/completed"),
        ("nick", "http://adlnet.gov/expapi/verbs/completed"),
    }
    assert stated(ended.model_copy(update={"reason": "left"})) == []


def test_an_anonymous_comment_is_stated_under_its_pseudonym_alone() -> None:
    comment = mentoring.CommentPostedV1(
        circle_id="ci1", task_id="t1", comment_id="co1", solution_id="s1", author="Quiet Owl", anonymous=True
    )
    [statement] = stated(comment)
    assert statement.anonymous
    assert statement.body["actor"] == account("Quiet Owl", f"{HOME}/xapi/pseudonyms/task/t1")
    assert statement.body["verb"]["id"] == "http://adlnet.gov/expapi/verbs/commented"
    [named] = stated(comment.model_copy(update={"author": "anna", "anonymous": False}))
    assert named.body["actor"] == account("anna") and not named.anonymous


def test_restricted_events_never_become_statements() -> None:
    for ce_type in stated_event_types():
        contract = contract_for(ce_type)
        assert contract is not None and not contract.topic.endswith(".restricted"), ce_type
    credit = mentoring.HelpfulCommentCreditV1(
        circle_id="ci1", task_id="t1", comment_id="co1", author_id="anna", marked_by="bob"
    )
    assert stated(credit) == []


def test_no_statement_carries_an_email_or_mbox() -> None:
    events: list[IntegrationEvent] = [
        ENROLLED,
        mentoring.KnowledgeItemReviewedV1(
            item_id="i1",
            owner_id="anna",
            reviewer_id="bob",
            title="Kafka",
            item_type="article",
            first_independent_review=True,
        ),
        gamification.BadgeAwardedV1(award_id="aw1", person_id="anna", badge_id="owl", name_ru="Сова", name_en="Owl"),
        gamification.PointsAwardedV1(
            entry_id="en1", person_id="anna", points=5, rule="r1", cause_event_id="x", cause_event_type="y"
        ),
        enrolment.MasterClassHeldV1(
            master_class_id="mc1", host_id="h", title="Regex", duration_minutes=60, attendee_ids=["a", "b"]
        ),
    ]
    statements = [s for event in events for s in stated(event)]
    assert len(statements) == 6
    text = json.dumps([s.body for s in statements], ensure_ascii=False)
    assert "@" not in text and "mbox" not in text and "mailto" not in text
    assert {s.body["verb"]["id"].rsplit("/", 1)[1] for s in statements} == {
        "registered",
        "reviewed",
        "earned",
        "attended",
    }
    negative = gamification.PointsAwardedV1(
        entry_id="en2", person_id="anna", points=-5, rule="r1", cause_event_id="x", cause_event_type="y"
    )
    assert stated(negative) == []


def test_statements_url_and_backoff() -> None:
    assert statements_url("http://lrs:8100") == "http://lrs:8100/xAPI/statements"
    assert statements_url("http://lrs:8100/xAPI/") == "http://lrs:8100/xAPI/statements"
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert backoff(100) == LAST_RETRY


# ------------------------------------------------------------------------------------------ the delivery log


class FakeLog:
    def __init__(self) -> None:
        self.logged: dict[str, LoggedStatement] = {}
        self.queue: dict[str, datetime] = {}

    async def add(self, statements: Sequence[Statement], created_at: datetime, due_at: datetime) -> set[str]:
        new = {s.id for s in statements if s.id not in self.logged}
        for s in statements:
            if s.id in new:
                self.queue[s.id] = due_at
                self.logged[s.id] = LoggedStatement(
                    s.id, s.event_id, s.event_type, s.verb, s.body, created_at, "pending", 0, None, None, None
                )
        return new

    async def get(self, statement_ids: Collection[str]) -> list[LoggedStatement]:
        return [self.logged[sid] for sid in statement_ids if sid in self.logged]

    async def due(self, now: datetime, limit: int) -> list[str]:
        return sorted((sid for sid, at in self.queue.items() if at <= now), key=self.queue.__getitem__)[:limit]

    async def dequeue(self, statement_ids: Collection[str]) -> None:
        for sid in statement_ids:
            self.queue.pop(sid, None)

    async def sent(self, statement_ids: Collection[str], at: datetime) -> None:
        for sid in statement_ids:
            s = self.logged[sid]
            self.logged[sid] = replace(s, state="sent", sent_at=at, attempts=s.attempts + 1, next_attempt_at=None)
        await self.dequeue(statement_ids)

    async def rejected(self, statement_id: str, at: datetime, error: str) -> None:
        s = self.logged[statement_id]
        self.logged[statement_id] = replace(s, state="rejected", last_error=error, attempts=s.attempts + 1)
        await self.dequeue([statement_id])

    async def failed(self, statement_ids: Collection[str], at: datetime, error: str, next_at: datetime) -> None:
        for sid in statement_ids:
            s = self.logged[sid]
            self.logged[sid] = replace(s, last_error=error, attempts=s.attempts + 1, next_attempt_at=next_at)
            self.queue[sid] = next_at

    async def recent(self, state: str | None, limit: int, offset: int) -> list[LoggedStatement]:
        return [s for s in self.logged.values() if state is None or s.state == state][offset : offset + limit]

    async def forget_person(self, person_id: str) -> int:
        return 0


class FakeLrs:
    def __init__(self) -> None:
        self.up = False
        self.stored: dict[str, dict[str, Any]] = {}
        self.requests = 0

    async def send(self, statements: Sequence[dict[str, Any]]) -> SendResult:
        self.requests += 1
        ids = [str(s["id"]) for s in statements]
        if not self.up:
            return SendResult.all_failed(ids, "ConnectError: refused")
        for s in statements:
            self.stored.setdefault(str(s["id"]), s)
        return SendResult(dict.fromkeys(ids, SendOutcome.SENT))


async def test_an_lrs_that_is_down_delays_statements_and_loses_none() -> None:
    now = [AT]
    log, lrs = FakeLog(), FakeLrs()
    records = LearningRecords(log, lrs, VOCABULARY, lambda: now[0], send_in_background=False)
    statements = stated(ENROLLED, "evt-1") + stated(ENROLLED, "evt-2")
    assert await records.record(statements) == 2
    assert {s.state for s in log.logged.values()} == {"pending"}
    assert {s.next_attempt_at for s in log.logged.values()} == {AT + timedelta(seconds=5)}
    assert await records.record(statements) == 0  # redelivered: nothing logged or sent again

    now[0] = AT + timedelta(seconds=6)
    assert await records.retry_due() == 0  # still down: attempt 2 failed, next in 10 s
    assert {s.attempts for s in log.logged.values()} == {2}
    lrs.up = True
    assert await records.retry_due() == 0  # not due yet
    now[0] = AT + timedelta(seconds=20)
    assert await records.retry_due() == 2
    assert set(lrs.stored) == {s.id for s in statements}
    assert {s.state for s in log.logged.values()} == {"sent"} and log.queue == {}
    assert [s.id for s in await records.deliveries("sent")] == [s.id for s in statements]
    with pytest.raises(Exception, match="state"):
        await records.deliveries("lost")
