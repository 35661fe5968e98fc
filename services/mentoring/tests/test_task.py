"""A circle's task and its discussion, in plain Python: solutions, comments, helpful marks, moderation, reflections."""

import dataclasses
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from mentoring.domain.task import (
    AuthorRevealed,
    CommentMarkedHelpful,
    CommentPosted,
    HelpfulCommentCredit,
    HelpfulCreditsRestored,
    HelpfulCreditsRevoked,
    ItemEdited,
    ItemHidden,
    ItemRestored,
    PracticalCheckRecorded,
    SolutionPublished,
    Task,
    TaskClosed,
    TaskPublished,
    TaskStatus,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
DUE = date(2025, 3, 17)
STATEMENT = "Set up an automatic reminder in the CRM for clients whose payment is late"
OUTCOME = "A rule that sends the reminder three days after the due date, with a screenshot of its settings"


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


def published_task() -> Task:
    task = Task.publish("task-1", "circle-1", "fay", STATEMENT, OUTCOME, DUE, "Show the rule firing", NOW)
    task.events.clear()
    return task


def with_solution(author: str = "ann", solution_id: str = "sol-ann") -> Task:
    task = published_task()
    task.save_solution(
        author, solution_id, "I used a workflow with a delay step", ["https://wiki.example/crm"], [], NOW
    )
    task.publish_solution(author, solution_id, NOW)
    task.events.clear()
    return task


def field_of(error: pytest.ExceptionInfo[Invalid]) -> Any:
    return error.value.details["field"]


def has_nested_array(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_nested_array(inner) for inner in value.values())
    if isinstance(value, list):
        return any(isinstance(inner, list) or has_nested_array(inner) for inner in value)
    return False


# --- publishing and closing the task -------------------------------------------------------------


def test_publishing_a_task_records_who_and_by_when() -> None:
    task = Task.publish("task-1", "circle-1", "fay", f"  {STATEMENT} ", OUTCOME, DUE, "", NOW)

    assert task.status is TaskStatus.OPEN
    assert task.statement == STATEMENT
    assert task.events == [TaskPublished("circle-1", "task-1", "fay", DUE)]


@pytest.mark.parametrize(
    ("statement", "outcome", "due", "field"),
    [
        ("", OUTCOME, DUE, "statement"),
        ("   \n ", OUTCOME, DUE, "statement"),
        ("x" * 5001, OUTCOME, DUE, "statement"),
        (STATEMENT, "", DUE, "expected_outcome"),
        (STATEMENT, "y" * 2001, DUE, "expected_outcome"),
        (STATEMENT, OUTCOME, date(2025, 3, 1), "due"),
        (STATEMENT, OUTCOME, NOW.date(), "due"),  # due today leaves no time to work on it
    ],
)
def test_bad_task_input_names_the_field(statement: str, outcome: str, due: date, field: str) -> None:
    with pytest.raises(Invalid) as error:
        Task.publish("task-1", "circle-1", "fay", statement, outcome, due, "", NOW)
    assert field_of(error) == field


def test_a_past_due_date_is_refused_in_words_a_person_understands() -> None:
    with pytest.raises(Invalid, match="a due date in the past"):
        Task.publish("task-1", "circle-1", "fay", STATEMENT, OUTCOME, date(2025, 2, 1), "", NOW)


def test_closing_names_authors_of_published_solutions_and_named_comments_once_each_sorted() -> None:
    task = with_solution("ann")
    task.save_solution("zed", "sol-zed", "Draft only", [], [], NOW)  # a draft is not participation
    task.comment("bob", "c1", "sol-ann", None, "Did you check the automation settings?", False, None, at(4))
    task.comment("bob", "c2", "sol-ann", "c1", "Also the template", False, None, at(4))
    task.comment("cat", "c3", "sol-ann", None, "I had the same", False, None, at(4))
    task.comment("dan", "c4", "sol-ann", None, "Me too", True, "Quiet Owl", at(4))
    task.events.clear()

    task.close("fay", at(20))

    assert task.status is TaskStatus.CLOSED
    assert task.closed_at == at(20)
    # dan wrote only anonymously: naming him would say who "Quiet Owl" is
    assert task.events == [TaskClosed("circle-1", "task-1", ["ann", "bob", "cat"])]
    with pytest.raises(Conflict):
        task.close("fay", at(21))


# --- solutions -----------------------------------------------------------------------------------


def test_a_draft_is_seen_by_its_author_only_until_published() -> None:
    task = published_task()
    task.save_solution("ann", "sol-ann", "My first try", [], [], NOW)

    assert [s.id for s in task.visible_solutions("ann", moderator=False)] == ["sol-ann"]
    assert task.visible_solutions("bob", moderator=False) == []
    assert task.visible_solutions("mod", moderator=True) == []  # a draft is private, also to moderators
    assert task.events == []

    task.publish_solution("ann", "sol-ann", at(4))

    assert [s.id for s in task.visible_solutions("bob", moderator=False)] == ["sol-ann"]
    assert task.events == [SolutionPublished("circle-1", "task-1", "sol-ann", "ann")]


def test_editing_keeps_every_version_and_only_the_author_may_edit() -> None:
    task = with_solution("ann")

    task.save_solution("ann", "sol-ann", "Better: a workflow plus template X", [], ["upload-7f3a"], at(5))

    versions = task.solution("sol-ann").versions
    assert [v.text for v in versions] == ["I used a workflow with a delay step", "Better: a workflow plus template X"]
    assert versions[0].links == ("https://wiki.example/crm",)
    assert versions[1].attachments == ("upload-7f3a",)
    assert task.solution("sol-ann").published_at == NOW  # still published
    with pytest.raises(Forbidden):
        task.save_solution("bob", "sol-ann", "Hijacked", [], [], at(5))


def test_one_solution_per_person_per_task() -> None:
    task = with_solution("ann")

    with pytest.raises(Conflict, match="you already have a solution here"):
        task.save_solution("ann", "sol-ann-2", "Another one", [], [], at(5))


@pytest.mark.parametrize(
    ("text", "links", "attachments", "field"),
    [
        ("", [], [], "text"),
        ("x" * 20001, [], [], "text"),
        ("ok", ["javascript:alert(1)"], [], "links"),
        ("ok", ["ftp://files.example/a"], [], "links"),
        ("ok", ["wiki.example/crm"], [], "links"),
        ("ok", [], [f"upload-{n}" for n in range(11)], "attachments"),
        ("ok", [], ["javascript:alert(1)"], "attachments"),
        ("ok", [], [""], "attachments"),
    ],
)
def test_bad_solution_input_names_the_field(text: str, links: list[str], attachments: list[str], field: str) -> None:
    task = published_task()
    with pytest.raises(Invalid) as error:
        task.save_solution("ann", "sol-ann", text, links, attachments, NOW)
    assert field_of(error) == field
    assert task.solutions == {}


def test_attachments_may_be_ids_or_web_urls_up_to_ten() -> None:
    task = published_task()
    references = ["upload-1", "https://files.example/report.xlsx", *[f"upload-{n}" for n in range(2, 10)]]

    solution = task.save_solution("ann", "sol-ann", "See attached", [], references, NOW)

    assert solution.current.attachments == tuple(references)


def test_publishing_to_a_closed_task_is_a_conflict() -> None:
    task = published_task()
    task.save_solution("ann", "sol-ann", "Late work", [], [], NOW)
    task.close("fay", at(20))

    with pytest.raises(Conflict, match="publishing to a closed task"):
        task.publish_solution("ann", "sol-ann", at(21))
    with pytest.raises(Conflict):
        task.save_solution("ann", "sol-ann", "Edited late", [], [], at(21))
    with pytest.raises(Conflict):
        task.save_solution("bob", "sol-bob", "New late", [], [], at(21))


def test_publishing_twice_is_a_conflict_and_others_cannot_publish_your_draft() -> None:
    task = published_task()
    task.save_solution("ann", "sol-ann", "Mine", [], [], NOW)
    with pytest.raises(Forbidden):
        task.publish_solution("bob", "sol-ann", NOW)
    task.publish_solution("ann", "sol-ann", NOW)
    with pytest.raises(Conflict):
        task.publish_solution("ann", "sol-ann", NOW)
    with pytest.raises(NotFound):
        task.publish_solution("ann", "sol-nope", NOW)


# --- comments and helpful marks ------------------------------------------------------------------


def test_an_anonymous_comment_event_carries_the_pseudonym_never_the_id() -> None:
    task = with_solution("ann")

    comment = task.comment("bob", "c1", "sol-ann", None, "Why not template X?", True, "Quiet Owl", at(4))

    assert comment.author_id == "bob"  # kept for "not your own comment" and erasure
    assert task.events == [CommentPosted("circle-1", "task-1", "c1", "sol-ann", "Quiet Owl", True)]
    assert "bob" not in json.dumps([dataclasses.asdict(event) for event in task.events])


def test_a_named_comment_event_carries_the_person_id() -> None:
    task = with_solution("ann")

    task.comment("bob", "c1", "sol-ann", None, "Why not template X?", False, None, at(4))

    assert task.events == [CommentPosted("circle-1", "task-1", "c1", "sol-ann", "bob", False)]


def test_an_anonymous_comment_without_a_pseudonym_is_a_programming_error() -> None:
    task = with_solution("ann")
    with pytest.raises(ValueError, match="pseudonym"):
        task.comment("bob", "c1", "sol-ann", None, "Hm", True, None, at(4))


def test_comments_need_a_published_solution_and_a_parent_under_it() -> None:
    task = with_solution("ann")
    task.save_solution("bob", "sol-bob", "Draft", [], [], NOW)
    task.comment("cat", "c1", "sol-ann", None, "Nice", False, None, at(4))

    with pytest.raises(NotFound):
        task.comment("cat", "c2", "sol-bob", None, "On a draft", False, None, at(4))
    with pytest.raises(NotFound):
        task.comment("cat", "c2", "sol-nope", None, "On nothing", False, None, at(4))
    with pytest.raises(Invalid) as error:
        task.comment("cat", "c2", "sol-ann", "c-nope", "Reply", False, None, at(4))
    assert field_of(error) == "parent_id"
    with pytest.raises(Invalid) as error:
        task.comment("cat", "c2", "sol-ann", None, "   ", False, None, at(4))
    assert field_of(error) == "text"

    reply = task.comment("ann", "c2", "sol-ann", "c1", "Thanks!", False, None, at(4))
    assert reply.parent_id == "c1"


def test_a_parent_under_another_solution_is_refused() -> None:
    task = with_solution("ann")
    task.save_solution("bob", "sol-bob", "Mine", [], [], NOW)
    task.publish_solution("bob", "sol-bob", NOW)
    task.comment("cat", "c1", "sol-bob", None, "Nice", False, None, at(4))

    with pytest.raises(Invalid) as error:
        task.comment("cat", "c2", "sol-ann", "c1", "Reply in the wrong thread", False, None, at(4))
    assert field_of(error) == "parent_id"


def test_commenting_on_a_closed_task_is_a_conflict() -> None:
    task = with_solution("ann")
    task.close("fay", at(20))
    with pytest.raises(Conflict):
        task.comment("bob", "c1", "sol-ann", None, "Too late", False, None, at(21))


def test_marking_helpful_publishes_the_pseudonym_and_credits_the_real_author_on_the_restricted_event() -> None:
    task = with_solution("ann")
    task.comment("bob", "c1", "sol-ann", None, "Use template X", True, "Quiet Owl", at(4))
    task.events.clear()

    task.mark_helpful("ann", "c1", at(5))

    assert task.events == [
        CommentMarkedHelpful("circle-1", "task-1", "c1", "Quiet Owl", True, "ann"),
        HelpfulCommentCredit("circle-1", "task-1", "c1", "bob", "ann"),
    ]
    assert task.helpful_count("sol-ann") == 1


def test_second_helpful_mark_and_own_comment_are_conflicts() -> None:
    task = with_solution("ann")
    task.comment("bob", "c1", "sol-ann", None, "Use template X", True, "Quiet Owl", at(4))
    task.mark_helpful("ann", "c1", at(5))

    with pytest.raises(Conflict, match="marked helpful already"):
        task.mark_helpful("ann", "c1", at(5))
    with pytest.raises(Conflict, match="one cannot mark one's own comment"):
        task.mark_helpful("bob", "c1", at(5))  # anonymity does not hide the author from the rule
    with pytest.raises(NotFound):
        task.mark_helpful("ann", "c-nope", at(5))
    assert task.comments["c1"].helpful_by == ("ann",)


# --- practical checks and reflections ------------------------------------------------------------


def test_a_later_check_supersedes_and_a_reviewer_cannot_check_themselves() -> None:
    task = with_solution("ann")

    task.record_check("rev", "ann", False, "Forgot the delay", at(5))
    task.record_check("rev", "ann", True, "Works now", at(6))

    latest = task.latest_check("ann")
    assert latest is not None and latest.passed and latest.note == "Works now"
    assert len(task.checks) == 2
    assert task.latest_check("bob") is None
    assert task.events[-1] == PracticalCheckRecorded("circle-1", "task-1", "ann", "rev", True)
    with pytest.raises(Invalid) as error:
        task.record_check("ann", "ann", True, "", at(6))
    assert field_of(error) == "person_id"


def test_reflections_come_only_after_close_and_once() -> None:
    task = with_solution("ann")
    with pytest.raises(Conflict):
        task.reflect("ann", "I learnt the delay step", at(5))

    task.close("fay", at(20))
    task.reflect("ann", "I learnt the delay step", at(21))

    with pytest.raises(Conflict):
        task.reflect("ann", "Again", at(22))
    with pytest.raises(Invalid) as error:
        task.reflect("bob", "", at(22))
    assert field_of(error) == "text"


def test_reflection_summary_has_no_names_and_counts_words_in_both_languages() -> None:
    task = with_solution("ann")
    task.close("fay", at(20))
    task.reflect("ann", "Понял автоматизацию. Шаблон помог, шаблон!", at(21))
    task.reflect("bob", "The template and the delay step: template first.", at(21))
    task.reflect("cat", "Шаблоны и автоматизацию надо проверять", at(22))

    summary = task.reflection_summary()

    assert summary["count"] == 3
    assert summary["answers"] == [
        "Понял автоматизацию. Шаблон помог, шаблон!",
        "The template and the delay step: template first.",
        "Шаблоны и автоматизацию надо проверять",
    ]
    words = {entry["word"]: entry["count"] for entry in summary["top_words"]}
    assert words["автоматизацию"] == 2
    assert words["шаблон"] == 2
    assert words["template"] == 2
    assert "the" not in words and "и" not in words  # shorter than four letters
    assert summary["top_words"][0]["count"] == 2
    assert "ann" not in json.dumps(summary, ensure_ascii=False)


def test_reflection_summary_keeps_the_ten_most_frequent_words_ties_alphabetical() -> None:
    task = with_solution("ann")
    task.close("fay", at(20))
    once = " ".join(["kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"])
    task.reflect("ann", f"alpha alpha alpha bravo bravo {once}", at(21))
    task.reflect("bob", "Bravo, 2025 v2 step12", at(21))

    top = task.reflection_summary()["top_words"]

    assert top[:2] == [{"word": "alpha", "count": 3}, {"word": "bravo", "count": 3}]
    assert [entry["word"] for entry in top[2:]] == [
        "kilo",
        "lima",
        "mike",
        "november",
        "oscar",
        "papa",
        "quebec",
        "romeo",
    ]


# --- moderation ----------------------------------------------------------------------------------


def test_hiding_a_marked_comment_revokes_its_credits_and_restoring_gives_them_back() -> None:
    task = with_solution("ann")
    task.comment("bob", "c1", "sol-ann", None, "Wrong claim", True, "Quiet Owl", at(4))
    task.mark_helpful("ann", "c1", at(5))
    task.mark_helpful("cat", "c1", at(5))
    task.events.clear()

    task.hide("c1", "mod", "False information", at(6))

    assert task.events == [
        ItemHidden("circle-1", "task-1", "c1", "comment"),
        HelpfulCreditsRevoked("circle-1", "task-1", "c1", "bob", 2),
    ]
    assert task.helpful_count("sol-ann") == 0
    assert task.comments["c1"].current.text == "Wrong claim"  # hidden content stays stored
    assert task.visible_comments("sol-ann", moderator=False) == []
    assert [c.id for c in task.visible_comments("sol-ann", moderator=True)] == ["c1"]
    with pytest.raises(Conflict):
        task.mark_helpful("dan", "c1", at(6))
    with pytest.raises(Conflict):
        task.hide("c1", "mod", "", at(6))
    task.events.clear()

    task.restore("c1", "mod", "Checked: it was right", at(7))

    assert task.events == [
        ItemRestored("circle-1", "task-1", "c1", "comment"),
        HelpfulCreditsRestored("circle-1", "task-1", "c1", "bob", 2),
    ]
    assert task.helpful_count("sol-ann") == 2
    with pytest.raises(Conflict):
        task.restore("c1", "mod", "", at(7))


def test_hiding_an_unmarked_comment_revokes_nothing() -> None:
    task = with_solution("ann")
    task.comment("bob", "c1", "sol-ann", None, "Spam", False, None, at(4))
    task.events.clear()

    task.hide("c1", "mod", "", at(6))

    assert task.events == [ItemHidden("circle-1", "task-1", "c1", "comment")]


def test_a_hidden_solution_is_seen_by_moderators_and_its_author_only() -> None:
    task = with_solution("ann")

    task.hide("sol-ann", "mod", "Contains a client's name", at(5))

    assert task.visible_solutions("bob", moderator=False) == []
    assert [s.id for s in task.visible_solutions("mod", moderator=True)] == ["sol-ann"]
    own = task.visible_solutions("ann", moderator=False)
    assert [(s.id, s.hidden, s.moderation_note) for s in own] == [("sol-ann", True, "Contains a client's name")]
    with pytest.raises(NotFound):
        task.comment("bob", "c1", "sol-ann", None, "Hm", False, None, at(5))


def test_moderators_read_a_hidden_item_as_stored_without_the_anonymous_author() -> None:
    task = with_solution("ann")
    task.comment("bob", "c1", "sol-ann", None, "Rude words", True, "Quiet Owl", at(4))
    task.moderate_edit("c1", "mod", "[removed]", "rudeness", at(5))
    task.hide("c1", "mod", "rudeness", at(5))

    record = task.item_record("c1")

    assert task.item_kind("c1") == "comment"
    assert task.item_kind("sol-ann") == "solution"
    assert record["kind"] == "comment" and record["hidden"] is True
    assert [v["text"] for v in record["versions"]] == ["Rude words", "[removed]"]
    assert record["author"] == "Quiet Owl"
    assert record["versions"][0]["edited_by"] == "Quiet Owl"
    assert "bob" not in json.dumps(record)
    assert task.item_record("sol-ann")["author"] == "ann"
    with pytest.raises(NotFound):
        task.item_kind("nope")


def test_revealing_an_anonymous_author_is_recorded_on_the_restricted_event_only() -> None:
    task = with_solution("ann")
    task.comment("bob", "c1", "sol-ann", None, "Rude words", True, "Quiet Owl", at(4))
    task.comment("cat", "c2", "sol-ann", None, "Named", False, None, at(4))
    task.events.clear()

    task.record_reveal("c1", "mod")

    assert task.events == [AuthorRevealed("circle-1", "task-1", "c1", "bob", "mod")]
    with pytest.raises(Conflict):
        task.record_reveal("c2", "mod")
    with pytest.raises(NotFound):
        task.record_reveal("nope", "mod")


def test_a_moderator_edit_is_a_new_version_with_a_visible_note() -> None:
    task = with_solution("ann")
    task.comment("bob", "c1", "sol-ann", None, "Call Ivanov at +7 900 000", False, None, at(4))
    task.events.clear()

    task.moderate_edit("c1", "mod", "Call the client", "removed a phone number", at(5))
    task.moderate_edit("sol-ann", "mod", "I used a workflow with a delay step (fixed)", "typo", at(5))

    comment_versions = task.comments["c1"].versions
    assert [v.text for v in comment_versions] == ["Call Ivanov at +7 900 000", "Call the client"]
    assert (comment_versions[1].edited_by, comment_versions[1].note) == ("mod", "removed a phone number")
    solution = task.solution("sol-ann")
    assert len(solution.versions) == 2
    assert solution.current.links == ("https://wiki.example/crm",)  # links kept as they were
    assert task.events == [
        ItemEdited("circle-1", "task-1", "c1", "comment"),
        ItemEdited("circle-1", "task-1", "sol-ann", "solution"),
    ]
    with pytest.raises(NotFound):
        task.moderate_edit("nope", "mod", "x", "", at(5))
    with pytest.raises(NotFound):
        task.hide("nope", "mod", "", at(5))
    with pytest.raises(Invalid) as error:
        task.moderate_edit("c1", "mod", "", "", at(5))
    assert field_of(error) == "text"


def test_events_never_carry_text_or_notes() -> None:
    task = with_solution("ann")
    task.comment("bob", "c1", "sol-ann", None, "SECRET-COMMENT", False, None, at(4))
    task.mark_helpful("ann", "c1", at(5))
    task.record_check("rev", "ann", True, "SECRET-NOTE", at(5))
    task.moderate_edit("c1", "mod", "SECRET-EDIT", "SECRET-MOD-NOTE", at(5))
    task.hide("c1", "mod", "SECRET-HIDE-NOTE", at(5))
    task.close("fay", at(20))
    task.reflect("ann", "SECRET-REFLECTION", at(21))

    dumped = json.dumps([dataclasses.asdict(event) for event in task.events], default=str)

    assert "SECRET" not in dumped


# --- dominance -----------------------------------------------------------------------------------


def test_dominance_names_authors_above_the_share_once_there_are_five_comments() -> None:
    task = with_solution("ann")
    for n in range(3):
        task.comment("bob", f"b{n}", "sol-ann", None, "Me again", True, "Loud Owl", at(4))
    task.comment("cat", "c1", "sol-ann", None, "Hi", False, None, at(4))
    assert task.dominance(0.5) == {}  # four comments: too few to tell

    task.comment("dan", "d1", "sol-ann", None, "Hello", False, None, at(4))

    assert task.dominance(0.5) == {"Loud Owl": 0.6}  # 3 of 5, shown by the pseudonym, never as "bob"
    assert task.dominance(0.6) == {}  # exceeds, not reaches
    assert list(task.dominance(0.1)) == ["Loud Owl", "cat", "dan"]
    with pytest.raises(Invalid) as error:
        task.dominance(1.5)
    assert field_of(error) == "threshold"


# --- state and erasure ---------------------------------------------------------------------------


def full_task() -> Task:
    task = with_solution("ann")
    task.save_solution("ann", "sol-ann", "Second version", ["http://old.example/x"], ["upload-1"], at(5))
    task.save_solution("bob", "sol-bob", "Bob's draft", [], [], at(5))
    task.comment("bob", "c1", "sol-ann", None, "Anonymous remark", True, "Quiet Owl", at(5))
    task.comment("cat", "c2", "sol-ann", "c1", "Reply", False, None, at(5))
    task.mark_helpful("ann", "c1", at(6))
    task.mark_helpful("cat", "c1", at(6))
    task.moderate_edit("c2", "mod", "Reply (edited)", "tone", at(6))
    task.hide("c2", "mod", "off topic", at(6))
    task.record_check("rev", "ann", True, "Fine", at(7))
    task.close("fay", at(20))
    task.reflect("ann", "Learnt a lot", at(21))
    task.reflect("bob", "Templates matter", at(21))
    return task


def test_state_round_trips_through_json_without_arrays_inside_arrays() -> None:
    task = full_task()

    state = json.loads(json.dumps(task.to_state()))
    restored = Task.from_state("task-1", state)

    assert restored == task
    assert not has_nested_array(state)
    assert restored.reflection_summary() == task.reflection_summary()
    assert restored.latest_check("ann") == task.latest_check("ann")


def test_erasure_replaces_the_person_everywhere_but_keeps_pseudonyms() -> None:
    task = full_task()
    events_before = len(task.events)

    assert task.erase_person("bob", "former-1") is True

    dumped = json.dumps(task.to_state())
    assert '"bob"' not in dumped
    assert task.comments["c1"].author_id == "former-1"
    assert task.comments["c1"].pseudonym == "Quiet Owl"
    assert task.solution("sol-bob").author_id == "former-1"
    assert task.solution("sol-bob").current.edited_by == "former-1"
    assert "former-1" in task.reflections
    assert len(task.events) == events_before  # no event: it would carry the person's trace to Kafka


def test_erasure_reaches_helpful_marks_checks_and_moderator_edits() -> None:
    task = full_task()

    assert task.erase_person("cat", "former-2") is True
    assert task.erase_person("rev", "former-3") is True
    assert task.erase_person("mod", "former-4") is True

    assert task.comments["c1"].helpful_by == ("ann", "former-2")
    assert task.comments["c2"].author_id == "former-2"
    assert task.checks[0].reviewer_id == "former-3"
    assert task.comments["c2"].versions[1].edited_by == "former-4"
    assert task.erase_person("nobody", "former-5") is False
    with pytest.raises(ValueError, match="replacement"):
        task.erase_person("ann", "former-2")
