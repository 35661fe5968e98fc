# ruff: noqa: RUF001 - Russian names: Cyrillic letters are meant
"""Badge rules on fakes: once per badge (and item), thresholds, withdrawals before the badge, restricted deeds."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gamification.domain.badges import (
    BADGES,
    CATALOGUE,
    PAIR_ENDED,
    TRAINER_DEBUTED,
    BadgeAward,
    Step,
    award_id,
    award_of,
    validate_badge,
)
from gamification.domain.credentials import Issuer, jwt_claims, open_badge_credential
from gamification.domain.engine import (
    COMPLETION_DECIDED,
    HELPFUL_COMMENT_CREDIT,
    HELPFUL_CREDITS_RESTORED,
    HELPFUL_CREDITS_REVOKED,
    SOLUTION_PUBLISHED,
)
from gamification.domain.ledger import Deed
from gamification.service.badges import award_for_deed, export_badges
from gamification.service.ports import Badges
from gamification.tests.fakes import InMemoryBadges, InMemoryPeople

AT = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
ISSUER = Issuer(id="https://owlery.example/badges/issuer", name="Owlery")
_numbers = iter(range(1, 1_000_000))


def deed(event_type: str, data: dict[str, Any], *, restricted: bool = False, at: datetime = AT) -> Deed:
    return Deed(f"event-{next(_numbers)}", event_type, data, at, restricted=restricted)


def helpful(author: str, comment: str, marked_by: str = "colleague", at: datetime = AT) -> Deed:
    data = {"circle_id": "c1", "task_id": "t1", "comment_id": comment, "author_id": author, "marked_by": marked_by}
    return deed(HELPFUL_COMMENT_CREDIT, data, restricted=True, at=at)


def revoked(author: str, comment: str) -> Deed:
    data = {"circle_id": "c1", "task_id": "t1", "comment_id": comment, "author_id": author, "marks": 1}
    return deed(HELPFUL_CREDITS_REVOKED, data, restricted=True)


def restored(author: str, comment: str) -> Deed:
    data = {"circle_id": "c1", "task_id": "t1", "comment_id": comment, "author_id": author, "marks": 1}
    return deed(HELPFUL_CREDITS_RESTORED, data, restricted=True)


async def earn(*deeds: Deed, badges: InMemoryBadges | None = None, people: InMemoryPeople | None = None) -> list[str]:
    """Hand each deed to the use case; the ids of the badges newly awarded, in order."""
    badges = badges if badges is not None else InMemoryBadges()
    people = people if people is not None else InMemoryPeople()
    earned: list[str] = []
    for one in deeds:
        earned.extend(award.badge_id for award in await award_for_deed(one, badges, badges, people))
    return earned


def test_the_fake_implements_the_port() -> None:
    badges: Badges = InMemoryBadges()
    assert badges is not None


def test_every_badge_names_fields_its_events_have() -> None:
    assert {badge.id: validate_badge(badge) for badge in CATALOGUE} == {badge.id: [] for badge in CATALOGUE}
    wrong = replace(BADGES["owl"], credits="trainer_id", scope_field="cohort_id")
    assert validate_badge(wrong) == [
        f"owl: {TRAINER_DEBUTED} has no field 'trainer_id'",
        f"owl: {TRAINER_DEBUTED} has no field 'cohort_id'",
    ]


async def test_the_owl_badge_is_awarded_once_however_often_its_event_arrives() -> None:
    badges = InMemoryBadges()
    debuted = deed(TRAINER_DEBUTED, {"person_id": "ann", "course_id": "go"})

    first = await award_for_deed(debuted, badges, badges, InMemoryPeople())
    again = await earn(debuted, deed(TRAINER_DEBUTED, {"person_id": "ann", "course_id": "rust"}), badges=badges)

    assert [(a.id, a.badge_id, a.person_id, a.scope_id) for a in first] == [
        (award_id("owl", None, "ann"), "owl", "ann", None)
    ]
    assert again == []
    (award,) = await badges.of_person("ann")
    assert (award.earned_at, award.cause_event_id, award.restricted) == (
        AT.replace(microsecond=0),
        debuted.event_id,
        False,
    )


async def test_the_first_solution_badge_comes_with_the_first_solution_only() -> None:
    def published(solution: str) -> Deed:
        return deed(
            SOLUTION_PUBLISHED, {"circle_id": "c1", "task_id": "t1", "solution_id": solution, "author_id": "bob"}
        )

    assert await earn(published("s1"), published("s2")) == ["first-solution"]


async def test_a_course_badge_is_one_per_course_and_only_when_completed() -> None:
    badges = InMemoryBadges()

    def decided(course: str, completed: bool) -> Deed:
        data = {"course_id": course, "cohort_id": "k", "person_id": "cat", "trainer_id": "t", "completed": completed}
        return deed(COMPLETION_DECIDED, {**data, "attendance_rate": 1.0, "homework_rate": 1.0})

    earned = await earn(
        decided("go", False), decided("go", True), decided("rust", True), decided("go", True), badges=badges
    )

    assert earned == ["course-completed", "course-completed"]
    assert sorted(a.scope_id or "" for a in await badges.of_person("cat")) == ["go", "rust"]


async def test_the_mentor_of_a_completed_pair_gets_the_mentor_badge() -> None:
    def ended(reason: str, mentor: str | None) -> Deed:
        data = {"programme_id": "p", "pair_id": f"pair-{reason}", "reason": reason, "member_ids": ["m", "e"]}
        return deed(PAIR_ENDED, {**data, "curator_ids": ["cur"], "mentor_id": mentor})

    badges = InMemoryBadges()
    earned = await earn(ended("left", "m"), ended("completed", None), ended("completed", "m"), badges=badges)

    assert earned == ["mentor-finished-programme"]
    assert [a.person_id for a in badges.awarded.values()] == ["m"]


async def test_ten_distinct_helpful_comments_earn_the_badge_once_and_restricted() -> None:
    badges = InMemoryBadges()
    nine = [helpful("dan", f"comment-{n}") for n in range(9)]
    not_counted = [
        helpful("dan", "comment-0", marked_by="eve"),  # a second mark on a comment already counted
        helpful("dan", "own", marked_by="dan"),  # marking one's own comment
    ]

    assert await earn(*nine, *not_counted, badges=badges) == []
    (progress, _) = badges.progress[("helpful-10", "dan")]
    assert len(progress.counted) == 9

    tenth = helpful("dan", "comment-9", at=AT + timedelta(days=1))
    assert await earn(tenth, helpful("dan", "comment-10"), badges=badges) == ["helpful-10"]

    (award,) = await badges.of_person("dan")
    # The day only, and nothing pointing at the comment that completed it.
    assert (award.restricted, award.earned_at, award.cause_event_id) == (True, None, None)
    assert award.earned_on == date(2026, 3, 3)
    assert award.id == award_id("helpful-10", None, "dan")
    assert len(badges.progress[("helpful-10", "dan")][0].counted) == 10  # never counts past the threshold


async def test_a_hidden_comment_leaves_the_count_until_the_badge_is_earned() -> None:
    badges = InMemoryBadges()
    await earn(*[helpful("fay", f"comment-{n}") for n in range(9)], revoked("fay", "comment-3"), badges=badges)

    assert await earn(helpful("fay", "comment-9"), badges=badges) == []  # 9 again, not 10
    assert await earn(restored("fay", "comment-3"), badges=badges) == ["helpful-10"]

    # Earned is earned: hiding a comment afterwards takes nothing back.
    assert await earn(revoked("fay", "comment-9"), badges=badges) == []
    assert [a.badge_id for a in await badges.of_person("fay")] == ["helpful-10"]
    assert "comment-9" in badges.progress[("helpful-10", "fay")][0].counted


async def test_revoking_a_comment_never_counted_changes_nothing() -> None:
    badges = InMemoryBadges()
    await earn(helpful("gus", "comment-1"), revoked("gus", "other"), badges=badges)

    assert badges.progress[("helpful-10", "gus")][0].counted == ("comment-1",)
    assert badges.progress[("helpful-10", "gus")][1] == 1  # no write for a withdrawal that moved nothing


async def test_a_credit_racing_another_replica_keeps_both_values() -> None:
    badges = InMemoryBadges()
    await earn(*[helpful("hal", f"comment-{n}") for n in range(8)], badges=badges)
    # Another replica counts comment-8 between our read and our write: ours conflicts, re-reads, and adds.
    badges.other_writer.append((BADGES["helpful-10"], "hal", "comment-8"))

    assert await earn(helpful("hal", "comment-9"), badges=badges) == ["helpful-10"]
    assert set(badges.progress[("helpful-10", "hal")][0].counted) == {f"comment-{n}" for n in range(10)}


async def test_an_erased_person_earns_no_badge_and_a_former_employee_neither() -> None:
    people = InMemoryPeople()
    await people.apply_erased("ivy")

    earned = await earn(
        deed(TRAINER_DEBUTED, {"person_id": "ivy", "course_id": "go"}),
        deed(TRAINER_DEBUTED, {"person_id": "former-employee-0123456789ab", "course_id": "go"}),
        people=people,
    )

    assert earned == []


async def test_erasure_moves_awards_to_the_stand_in_under_the_stand_ins_id() -> None:
    badges = InMemoryBadges()
    await earn(deed(TRAINER_DEBUTED, {"person_id": "jo", "course_id": "go"}), helpful("jo", "c"), badges=badges)

    assert await badges.reattribute("jo", "former-employee-1") == 1

    assert await badges.of_person("jo") == []
    (moved,) = await badges.of_person("former-employee-1")
    assert moved.id == award_id("owl", None, "former-employee-1")
    assert badges.progress == {}


def test_a_credential_is_an_open_badge_for_the_person_and_the_achievement() -> None:
    award = _award("course-completed", "kim", scope="go")
    credential = open_badge_credential(award, BADGES["course-completed"], ISSUER, "ru")

    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {"id": ISSUER.id, "type": ["Profile"], "name": "Owlery"}
    assert credential["validFrom"] == "2026-03-02T09:30:15Z"
    subject = credential["credentialSubject"]
    assert subject["id"] == "urn:owlery:person:kim"
    assert subject["type"] == ["AchievementSubject"]
    assert subject["achievement"] == {
        "id": "urn:owlery:achievement:course-completed:go",
        "type": ["Achievement"],
        "name": "Курс пройден",
        "description": BADGES["course-completed"].description_ru,
        "criteria": {"narrative": BADGES["course-completed"].criteria_ru},
        "achievementType": "CertificateOfCompletion",
        "inLanguage": "ru",
    }
    claims = jwt_claims(credential)
    assert (claims["iss"], claims["sub"], claims["jti"]) == (ISSUER.id, subject["id"], credential["id"])
    assert claims["nbf"] == int(datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC).timestamp())
    assert credential["id"].startswith("urn:uuid:")
    # The same award always exports as the same credential id.
    assert open_badge_credential(award, BADGES["course-completed"], ISSUER)["id"] == credential["id"]


def test_a_restricted_badges_credential_is_valid_from_the_start_of_its_day() -> None:
    award = replace(_award("helpful-10", "lu"), restricted=True, earned_at=None, cause_event_id=None)

    credential = open_badge_credential(award, BADGES["helpful-10"], ISSUER)

    assert credential["validFrom"] == "2026-03-02T00:00:00Z"
    assert credential["credentialSubject"]["achievement"]["name"] == "Helpful ×10"


def _award(badge_id: str, person: str, scope: str | None = None) -> BadgeAward:
    badge = BADGES[badge_id]
    return award_of(Step(badge, person, scope, "award"), deed(badge.event_type, {}))


async def test_a_subject_access_request_gets_the_badges_and_the_progress_counts() -> None:
    badges = InMemoryBadges()
    debut = deed(TRAINER_DEBUTED, {"person_id": "max", "course_id": "go"})
    await earn(debut, helpful("max", "c1"), helpful("max", "c2"), badges=badges)

    exported = await export_badges("max", badges, badges)

    assert exported == {
        "awards": [
            {
                "award_id": award_id("owl", None, "max"),
                "badge_id": "owl",
                "scope_id": None,
                "earned_on": "2026-03-02",
                "earned_at": "2026-03-02T09:30:15+00:00",
                "cause_event_id": debut.event_id,
                "cause_event_type": TRAINER_DEBUTED,
            }
        ],
        "progress": {"helpful-10": 2},
    }
    assert await export_badges("nobody", badges, badges) == {"awards": [], "progress": {}}


async def test_hosting_an_exchange_intern_and_running_a_master_class_each_earn_their_badge_once() -> None:
    completed = "com.owlery.mentoring.internship.completed.v1"
    held = "com.owlery.enrolment.master_class.held.v1"

    def internship(guest: str) -> Deed:
        units = {"guest_unit": "department:qa", "host_unit": "partner:ml-lab"}
        return deed(completed, {"placement_id": "p1", "internship_id": f"p1:{guest}", "guest_id": guest,
                                "host_id": "hana", **units})  # fmt: skip

    def master_class(host: str) -> Deed:
        return deed(held, {"master_class_id": "mc1", "host_id": host, "title": "SQL", "duration_minutes": 60,
                           "attendee_ids": []})  # fmt: skip

    badges = InMemoryBadges()
    assert await earn(internship("gleb"), internship("galya"), badges=badges) == ["exchange-host"]
    assert await earn(master_class("hana"), master_class("hana"), badges=badges) == ["master-class-host"]
    assert {award.badge_id for award in await badges.of_person("hana")} == {"exchange-host", "master-class-host"}
    assert await badges.of_person("gleb") == []  # the guest is not the host
