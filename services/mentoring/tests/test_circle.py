"""A peer-learning circle's rules, in plain Python: roles, requests, the experienced share, the task cap."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mentoring.domain.circle import (
    Circle,
    CircleCreated,
    CircleRole,
    Experience,
    JoinPolicy,
    JoinRequest,
    JoinRequested,
    Member,
    MemberJoined,
    MemberLeft,
    MemberRoleChanged,
)
from mentoring.domain.coffee import CoffeeCandidate
from shared.errors import Conflict, Forbidden, Invalid, NotFound

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def circle(*, join_policy: str = "open", creator_experience: str = "expert", **settings: Any) -> Circle:
    made = Circle.create(
        "c-1",
        "CRM automation",
        "Solve one real CRM task a week.",
        "fay",
        NOW,
        join_policy=join_policy,
        creator_experience=creator_experience,
        creator_department="Sales",
        **settings,
    )
    made.events.clear()
    return made


def with_members(experiences: list[str], **settings: Any) -> Circle:
    """A circle whose facilitator fay has the first experience and m1, m2... the rest."""
    made = circle(creator_experience=experiences[0], **settings)
    for index, experience in enumerate(experiences[1:], start=1):
        made.join(f"m{index}", experience, NOW)
    made.events.clear()
    return made


# --------------------------------------------------------------------------------------------- creating


def test_the_creator_is_the_first_facilitator() -> None:
    made = Circle.create("c-1", "  CRM automation ", "", "fay", NOW)

    assert made.topic == "CRM automation"
    assert made.join_policy is JoinPolicy.OPEN
    assert (made.experienced_threshold, made.weekly_task_limit, made.dominance_share) == (0.10, 5, 0.40)
    assert made.members == {"fay": Member("fay", CircleRole.FACILITATOR, Experience.EXPERT, NOW)}
    assert made.events == [
        CircleCreated("c-1", "CRM automation", "fay"),
        MemberJoined("c-1", "fay", "facilitator", "expert"),
    ]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"topic": "  "}, "topic"),
        ({"topic": "x" * 201}, "topic"),
        ({"description": "x" * 5001}, "description"),
        ({"experienced_threshold": -0.01}, "experienced_threshold"),
        ({"experienced_threshold": 1.01}, "experienced_threshold"),
        ({"dominance_share": 0}, "dominance_share"),
        ({"dominance_share": 1.5}, "dominance_share"),
        ({"weekly_task_limit": 0}, "weekly_task_limit"),
        ({"weekly_task_limit": 6}, "weekly_task_limit"),
        ({"join_policy": "invite"}, "join_policy"),
        ({"creator_experience": "guru"}, "creator_experience"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(settings: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"topic": "CRM", "description": "", **settings}

    with pytest.raises(Invalid) as refused:
        Circle.create("c-1", created_by="fay", now=NOW, **arguments)

    assert refused.value.details["field"] == field


def test_the_weekly_task_limit_never_goes_above_the_company_maximum() -> None:
    with pytest.raises(Invalid) as refused:
        Circle.create("c-1", "CRM", "", "fay", NOW, weekly_task_limit=4, max_weekly_tasks=3)
    assert refused.value.details["field"] == "weekly_task_limit"

    assert Circle.create("c-1", "CRM", "", "fay", NOW, weekly_task_limit=3, max_weekly_tasks=3).weekly_task_limit == 3
    assert Circle.create("c-1", "CRM", "", "fay", NOW, weekly_task_limit=7, max_weekly_tasks=8).weekly_task_limit == 7


def test_a_lowered_company_maximum_caps_an_older_circle_limit() -> None:
    made = with_members(["expert"], weekly_task_limit=5)
    for number in range(3):
        made.record_task("fay", f"t-{number}", NOW + timedelta(hours=number))

    with pytest.raises(Conflict) as refused:
        made.record_task("fay", "t-3", NOW + timedelta(hours=3), max_weekly_tasks=3)

    assert refused.value.details["limit"] == 3


# ---------------------------------------------------------------------------------------------- joining


def test_anyone_joins_an_open_circle_at_once() -> None:
    made = circle()

    member = made.join("ann", "beginner", NOW, department="IT")

    assert member == Member("ann", CircleRole.MEMBER, Experience.BEGINNER, NOW, "IT")
    assert made.is_member("ann")
    assert made.role_of("ann") is CircleRole.MEMBER
    assert made.events == [MemberJoined("c-1", "ann", "member", "beginner")]


def test_joining_twice_is_a_conflict() -> None:
    made = circle()
    made.join("ann", "beginner", NOW)

    with pytest.raises(Conflict):
        made.join("ann", "expert", NOW)


def test_a_request_circle_waits_for_the_facilitator() -> None:
    made = circle(join_policy="request")

    request = made.join("ann", "practitioner", NOW, message="I set up our CRM bots", department="IT")

    assert request == JoinRequest("ann", Experience.PRACTITIONER, "I set up our CRM bots", NOW, "IT")
    assert not made.is_member("ann")
    assert made.events == [JoinRequested("c-1", "ann")]  # the message stays out of the event
    with pytest.raises(Conflict):
        made.join("ann", "practitioner", NOW)


def test_an_accepted_request_makes_a_member() -> None:
    made = circle(join_policy="request")
    made.join("ann", "practitioner", NOW, department="IT")
    made.events.clear()

    member = made.decide_request("fay", "ann", True, NOW + timedelta(days=1))

    assert member == Member("ann", CircleRole.MEMBER, Experience.PRACTITIONER, NOW + timedelta(days=1), "IT")
    assert made.requests == {}
    assert made.events == [MemberJoined("c-1", "ann", "member", "practitioner")]


def test_a_declined_request_is_gone_and_the_person_may_ask_again() -> None:
    made = circle(join_policy="request")
    made.join("ann", "beginner", NOW)

    assert made.decide_request("fay", "ann", False, NOW) is None
    assert not made.is_member("ann")
    assert made.requests == {}
    made.join("ann", "beginner", NOW)  # no conflict
    assert "ann" in made.requests


def test_only_a_facilitator_or_a_moderator_decides_requests() -> None:
    made = circle(join_policy="request")
    made.join("bob", "expert", NOW)
    made.decide_request("fay", "bob", True, NOW)
    made.join("ann", "beginner", NOW)

    with pytest.raises(Forbidden):
        made.decide_request("bob", "ann", True, NOW)  # a plain member
    with pytest.raises(Forbidden):
        made.decide_request("stranger", "ann", True, NOW)
    assert made.decide_request("mod", "ann", True, NOW, is_moderator=True) is not None


def test_deciding_a_request_nobody_made_is_not_found() -> None:
    with pytest.raises(NotFound):
        circle(join_policy="request").decide_request("fay", "ann", True, NOW)


@pytest.mark.parametrize("person_id", ["", "  ", "former-employee-1a2b3c"])
def test_no_blank_ids_and_no_former_employees_join(person_id: str) -> None:
    with pytest.raises(Invalid) as refused:
        circle().join(person_id, "beginner", NOW)
    assert refused.value.details["field"] == "person_id"


# ------------------------------------------------------------------------------------------------ roles


def test_the_facilitator_gives_roles() -> None:
    made = with_members(["expert", "practitioner"])

    changed = made.set_role("fay", "m1", "reviewer")

    assert changed.role is CircleRole.REVIEWER
    assert made.role_of("m1") is CircleRole.REVIEWER
    assert made.events == [MemberRoleChanged("c-1", "m1", "reviewer")]


def test_only_a_facilitator_or_a_moderator_gives_roles() -> None:
    made = with_members(["expert", "practitioner", "beginner"])
    made.set_role("fay", "m1", "expert")

    with pytest.raises(Forbidden):
        made.set_role("m1", "m2", "librarian")
    made.set_role("mod", "m2", "librarian", is_moderator=True)
    assert made.role_of("m2") is CircleRole.LIBRARIAN


def test_a_role_for_a_non_member_or_an_unknown_role_is_refused() -> None:
    made = with_members(["expert", "beginner"])

    with pytest.raises(NotFound):
        made.set_role("fay", "stranger", "reviewer")
    with pytest.raises(Invalid) as refused:
        made.set_role("fay", "m1", "boss")
    assert refused.value.details["field"] == "role"


def test_the_last_facilitator_can_neither_be_demoted_nor_leave() -> None:
    made = with_members(["expert", "beginner"])

    with pytest.raises(Conflict):
        made.set_role("fay", "fay", "member")
    with pytest.raises(Conflict):
        made.leave("fay")

    made.set_role("fay", "m1", "facilitator")
    made.set_role("m1", "fay", "member")  # now there is another
    assert made.role_of("fay") is CircleRole.MEMBER
    with pytest.raises(Conflict):
        made.leave("m1")  # m1 is the last one now


def test_a_member_leaves_and_leaves_the_coffee_too() -> None:
    made = with_members(["expert", "beginner"])
    made.opt_in("m1")

    made.leave("m1")

    assert not made.is_member("m1")
    assert made.coffee == set()
    assert made.events == [MemberLeft("c-1", "m1")]
    with pytest.raises(NotFound):
        made.leave("m1")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("facilitator", {"publish_task", "close_task", "record_check", "promote_to_library"}),
        ("expert", {"record_check"}),
        ("reviewer", {"record_check"}),
        ("librarian", {"promote_to_library"}),
        ("member", set()),
    ],
)
def test_what_each_role_may_do(role: str, allowed: set[str]) -> None:
    made = with_members(["expert", "beginner"])
    made.set_role("fay", "m1", "facilitator")
    made.set_role("m1", "fay", role)
    actions = {"publish_task", "close_task", "record_check", "promote_to_library"}

    assert {action for action in actions if made.can("fay", action)} == allowed
    assert all(made.can("mod", action, is_moderator=True) for action in actions)
    assert not any(made.can("stranger", action) for action in actions)


# --------------------------------------------------------------------------------- the experienced share


@pytest.mark.parametrize(
    ("experiences", "threshold", "share", "needed"),
    [
        (["expert"] + ["beginner"] * 9, 0.10, 0.10, 0),  # 1 in 10 is exactly 10 %: enough
        (["beginner"] * 5, 0.10, 0.0, 1),  # 0 in 5: one more makes 1 in 6
        (["beginner"] * 10, 0.10, 0.0, 2),  # 1 in 11 is below 10 %, 2 in 12 is not
        (["practitioner"] + ["beginner"] * 19, 0.20, 0.05, 4),  # 5 in 24 >= 20 %, 4 in 23 is not
        (["expert"] + ["beginner"] * 4, 0.30, 0.20, 1),  # 2 in 6
        (["beginner"] * 3, 0.0, 0.0, 0),
        (["expert", "beginner"], 1.0, 0.5, 1),  # nobody joining helps: the beginner is counted
    ],
)
def test_how_many_experienced_members_are_needed(
    experiences: list[str], threshold: float, share: float, needed: int
) -> None:
    made = with_members(experiences, experienced_threshold=threshold)

    assert made.experienced_share() == pytest.approx(share)
    assert made.experienced_needed() == needed


def test_the_answer_is_the_smallest_number_that_reaches_the_threshold() -> None:
    def share_after(beginners: int, experienced_joining: int) -> float:
        grown = with_members(["beginner"] * beginners)
        for number in range(experienced_joining):
            grown.join(f"x{number}", "practitioner", NOW)
        return grown.experienced_share()

    for beginners in range(1, 25):
        for threshold in (0.1, 0.15, 0.2, 0.25, 0.33, 0.5, 0.9):
            needed = with_members(["beginner"] * beginners, experienced_threshold=threshold).experienced_needed()
            assert share_after(beginners, needed) >= threshold, (beginners, threshold)
            if needed:
                assert share_after(beginners, needed - 1) < threshold, (beginners, threshold)


def test_a_circle_of_beginners_cannot_publish_tasks_yet() -> None:
    made = with_members(["beginner"] * 5)

    with pytest.raises(Conflict) as refused:
        made.record_task("fay", "t-1", NOW)

    assert refused.value.details["needed"] == 1
    assert "1 more" in refused.value.message
    assert made.tasks_published == []

    made.join("eve", "expert", NOW)
    made.record_task("fay", "t-1", NOW)
    assert made.tasks_published == [("t-1", NOW)]


# ---------------------------------------------------------------------------------------- the task cap


def test_five_tasks_in_seven_days_then_the_next_slot_is_named() -> None:
    made = with_members(["expert"])
    times = [NOW + timedelta(days=day) for day in range(5)]
    for number, at in enumerate(times):
        made.record_task("fay", f"t-{number}", at)

    with pytest.raises(Conflict) as refused:
        made.record_task("fay", "t-5", NOW + timedelta(days=6))

    assert refused.value.details["limit"] == 5
    assert refused.value.details["next_slot"] == (NOW + timedelta(days=7)).isoformat()


def test_the_slot_opens_when_the_oldest_task_turns_seven_days_old() -> None:
    made = with_members(["expert"])
    for number in range(5):
        made.record_task("fay", f"t-{number}", NOW + timedelta(days=number))

    with pytest.raises(Conflict):
        made.record_task("fay", "t-5", NOW + timedelta(days=7) - timedelta(seconds=1))
    made.record_task("fay", "t-5", NOW + timedelta(days=7))

    with pytest.raises(Conflict) as refused:
        made.record_task("fay", "t-6", NOW + timedelta(days=7, hours=1))
    assert refused.value.details["next_slot"] == (NOW + timedelta(days=8)).isoformat()


def test_a_circle_with_a_smaller_limit_stops_sooner() -> None:
    made = with_members(["expert"], weekly_task_limit=2)
    made.record_task("fay", "t-1", NOW)
    made.record_task("fay", "t-2", NOW + timedelta(hours=1))

    with pytest.raises(Conflict) as refused:
        made.record_task("fay", "t-3", NOW + timedelta(hours=2))

    assert refused.value.details == {"limit": 2, "next_slot": (NOW + timedelta(days=7)).isoformat()}


def test_recording_the_same_task_again_changes_nothing() -> None:
    made = with_members(["expert"], weekly_task_limit=1)
    made.record_task("fay", "t-1", NOW)

    made.record_task("fay", "t-1", NOW + timedelta(minutes=1))  # a retried publication

    assert made.tasks_published == [("t-1", NOW)]


def test_only_a_facilitator_or_a_moderator_publishes_tasks() -> None:
    made = with_members(["expert", "expert"])
    made.set_role("fay", "m1", "expert")

    with pytest.raises(Forbidden):
        made.record_task("m1", "t-1", NOW)
    with pytest.raises(Forbidden):
        made.record_task("stranger", "t-1", NOW)
    made.record_task("mod", "t-1", NOW, is_moderator=True)
    assert [task_id for task_id, _ in made.tasks_published] == ["t-1"]


# ------------------------------------------------------------------------------------------------ coffee


def test_members_opt_in_and_out_of_the_coffee() -> None:
    made = with_members(["expert", "beginner"])
    made.join("ann", "beginner", NOW, department="IT")

    made.opt_in("ann")
    made.opt_in("fay")
    made.opt_in("ann")  # twice is once
    assert made.coffee_candidates() == [CoffeeCandidate("fay", "Sales"), CoffeeCandidate("ann", "IT")]

    made.opt_out("fay")
    assert made.coffee == {"ann"}
    with pytest.raises(NotFound):
        made.opt_in("stranger")


# ----------------------------------------------------------------------------------------------- state


def populated() -> Circle:
    made = circle(join_policy="request", experienced_threshold=0.25, weekly_task_limit=3, dominance_share=0.5)
    made.join("ann", "practitioner", NOW, message="let me in", department="IT")
    made.decide_request("fay", "ann", True, NOW)
    made.join("bob", "beginner", NOW + timedelta(hours=1), message="me too")
    made.set_role("fay", "ann", "librarian")
    made.opt_in("ann")
    made.opt_in("fay")
    made.record_task("fay", "t-1", NOW + timedelta(hours=2))
    return made


def _has_nested_arrays(value: Any, inside_array: bool = False) -> bool:
    if isinstance(value, list):
        return inside_array or any(_has_nested_arrays(item, True) for item in value)
    if isinstance(value, dict):
        return any(_has_nested_arrays(item) for item in value.values())
    return False


def test_the_state_round_trips_through_json() -> None:
    made = populated()

    state = json.loads(json.dumps(made.to_state()))
    restored = Circle.from_state("c-1", state)

    assert restored == made
    assert restored.tasks_published == [("t-1", NOW + timedelta(hours=2))]
    assert restored.requests["bob"].message == "me too"


def test_the_state_has_no_arrays_inside_arrays() -> None:
    state = populated().to_state()

    assert not _has_nested_arrays(state)
    assert state["tasks_published"] == [{"task_id": "t-1", "published_at": "2026-03-02T11:00:00+00:00"}]
    assert _has_nested_arrays({"a": [[1]]})  # the checker itself sees them


# --------------------------------------------------------------------------------------------- erasure


def test_erasure_puts_a_former_employee_in_the_members_place() -> None:
    made = populated()
    made.events.clear()

    assert made.erase_person("ann", "former-employee-x1")

    assert "ann" not in json.dumps(made.to_state())
    assert made.members["former-employee-x1"] == Member(
        "former-employee-x1", CircleRole.LIBRARIAN, Experience.PRACTITIONER, NOW, None
    )
    assert list(made.members) == ["fay", "former-employee-x1"]  # the joining order stays
    assert made.coffee == {"fay"}
    assert made.experienced_share() == 1.0  # the circle's shape stays
    assert made.events == []
    assert not made.erase_person("ann", "former-employee-x2")


def test_erasure_drops_a_pending_request_and_its_message() -> None:
    made = populated()

    assert made.erase_person("bob", "former-employee-x2")

    assert made.requests == {}
    assert "me too" not in json.dumps(made.to_state())


def test_erasing_the_creator_keeps_them_as_facilitator_under_the_new_id() -> None:
    made = populated()

    assert made.erase_person("fay", "former-employee-x3")

    assert made.created_by == "former-employee-x3"
    assert made.role_of("former-employee-x3") is CircleRole.FACILITATOR
    assert "fay" not in json.dumps(made.to_state())
    assert Circle.from_state("c-1", made.to_state()) == made


def test_an_unknown_person_is_not_erased() -> None:
    made = populated()
    before = made.to_state()

    assert not made.erase_person("zoe", "former-employee-x4")
    assert made.to_state() == before
