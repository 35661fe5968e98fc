# ruff: noqa: RUF001  (Russian text is what these people write)
"""Peer-learning circles through the service layer, against in-memory adapters."""

import json
from datetime import timedelta

import pytest

from mentoring.service import circles as uc
from mentoring.service import handlers
from mentoring.service.ports import Ports
from mentoring.tests.fakes import Clock, InMemoryAggregates, InMemoryAudit, InMemoryPeople, fake_ports, published
from shared.contracts import mentoring as contracts
from shared.errors import Conflict, Forbidden, Invalid
from shared.privacy.anonymity import PSEUDONYM_PREFIX

FACILITATOR = uc.Caller("fa-olga")
MODERATOR = uc.Caller("mod-ivan", moderator=True)


async def circle_with(ports: Ports, *members: tuple[str, str]) -> str:
    circle = await uc.create_circle(
        ports, FACILITATOR, max_weekly_tasks=5, topic="CRM-автоматизации", description="Напоминания, шаблоны"
    )
    for person, experience in members:
        await uc.join(ports, circle.id, person, experience, "")
    return circle.id


async def task_in(ports: Ports, circle_id: str, clock: Clock) -> str:
    task = await uc.publish_task(
        ports,
        circle_id,
        FACILITATOR,
        statement="Настройте автоматическое напоминание клиентам с задержкой оплаты",
        expected_outcome="Скриншот правила и пример письма",
        due=clock().date() + timedelta(days=7),
        check_instructions="Покажите, как вы настроите его сейчас",
    )
    return task.id


async def test_a_task_waits_for_enough_experienced_members() -> None:
    ports = fake_ports()
    circle = await uc.create_circle(
        ports, FACILITATOR, max_weekly_tasks=5, topic="Excel", creator_experience="beginner"
    )
    for n in range(9):
        await uc.join(ports, circle.id, f"novice-{n}", "beginner", "")

    with pytest.raises(Conflict) as refused:
        await uc.publish_task(
            ports, circle.id, FACILITATOR, statement="Build a pivot table of late payments",
            expected_outcome="The file", due=ports.clock().date() + timedelta(days=3), check_instructions="",
        )  # fmt: skip
    assert refused.value.details["needed"] == 2  # (0 + 2) / (10 + 2) >= 10 %

    await uc.join(ports, circle.id, "guru", "expert", "")
    assert (await uc.get_circle(ports, circle.id)).experienced_needed() == 1


async def test_the_sixth_task_of_a_week_is_refused_with_the_next_free_slot() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    circle_id = await circle_with(ports, ("anna", "expert"))
    for _ in range(5):
        await task_in(ports, circle_id, clock)
        clock.advance(hours=1)

    with pytest.raises(Conflict) as refused:
        await task_in(ports, circle_id, clock)

    assert refused.value.details["limit"] == 5
    first = (await uc.tasks_of(ports, circle_id, FACILITATOR))[-1]
    assert refused.value.details["next_slot"] == (first.published_at + timedelta(days=7)).isoformat()
    clock.advance(days=7)
    await task_in(ports, circle_id, clock)  # a slot freed


async def test_only_facilitators_publish_tasks() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    circle_id = await circle_with(ports, ("anna", "expert"))
    with pytest.raises(Forbidden):
        await uc.publish_task(
            ports, circle_id, uc.Caller("anna"), statement="Something concrete", expected_outcome="A result",
            due=clock().date() + timedelta(days=2), check_instructions="",
        )  # fmt: skip
    with pytest.raises(Invalid) as bad:
        await uc.publish_task(
            ports, circle_id, FACILITATOR, statement=" ", expected_outcome="A result",
            due=clock().date() + timedelta(days=2), check_instructions="",
        )  # fmt: skip
    assert bad.value.details["field"] == "statement"


async def test_an_anonymous_comment_names_its_author_only_on_the_restricted_topic() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    circle_id = await circle_with(ports, ("anna", "expert"), ("boris", "beginner"), ("vera", "practitioner"))
    task_id = await task_in(ports, circle_id, clock)
    await uc.save_solution(ports, task_id, uc.Caller("anna"), "s1", "Правило в разделе «Автоматизация»", [], [])
    await uc.publish_solution(ports, task_id, uc.Caller("anna"), "s1")

    first = await uc.comment(ports, task_id, uc.Caller("boris"), "s1", None, "А почему не шаблон X?", anonymous=True)
    second = await uc.comment(ports, task_id, uc.Caller("boris"), "s1", None, "И ещё вопрос", anonymous=True)
    await uc.mark_helpful(ports, task_id, uc.Caller("anna"), first.id)
    with pytest.raises(Conflict):
        await uc.mark_helpful(ports, task_id, uc.Caller("anna"), first.id)
    with pytest.raises(Conflict):
        await uc.mark_helpful(ports, task_id, uc.Caller("boris"), first.id)  # one's own comment

    assert first.shown_author == second.shown_author  # one voice within the task
    assert first.shown_author.startswith(PSEUDONYM_PREFIX)
    events = published(ports)
    public = [e for e in events if e.topic == contracts.TOPIC]
    restricted = [e for e in events if e.topic == contracts.RESTRICTED_TOPIC]
    # Membership is no secret; what must never name him is anything about his anonymous comments.
    about_comments = [e for e in public if "comment_id" in type(e).model_fields]
    assert len(about_comments) == 3
    assert "boris" not in json.dumps([e.model_dump(mode="json") for e in about_comments])
    assert [(e.author_id, e.marked_by) for e in restricted if isinstance(e, contracts.HelpfulCommentCreditV1)] == [
        ("boris", "anna")
    ]
    other_task = await task_in(ports, circle_id, clock)
    await uc.save_solution(ports, other_task, uc.Caller("vera"), "s2", "Другое решение", [], [])
    await uc.publish_solution(ports, other_task, uc.Caller("vera"), "s2")
    elsewhere = await uc.comment(ports, other_task, uc.Caller("boris"), "s2", None, "Вопрос", anonymous=True)
    assert elsewhere.shown_author != first.shown_author  # unlinkable across tasks


async def test_a_moderator_hides_a_flagged_comment_and_its_helpful_credit_is_revoked() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    circle_id = await circle_with(ports, ("anna", "expert"), ("boris", "beginner"))
    task_id = await task_in(ports, circle_id, clock)
    await uc.save_solution(ports, task_id, uc.Caller("anna"), "s1", "Решение", [], [])
    await uc.publish_solution(ports, task_id, uc.Caller("anna"), "s1")
    rude = await uc.comment(ports, task_id, uc.Caller("boris"), "s1", None, "Чушь, всё неправильно", anonymous=True)
    await uc.mark_helpful(ports, task_id, FACILITATOR, rude.id)

    flag = await uc.raise_flag(ports, task_id, uc.Caller("anna"), rude.id, "rudeness", "Грубо и без аргументов")
    with pytest.raises(Forbidden):
        await uc.moderation_queue(ports, uc.Caller("anna"))
    assert [f.id for f in await uc.moderation_queue(ports, MODERATOR)] == [flag.id]
    await uc.moderate(ports, flag.id, MODERATOR, "hidden", "Грубость", None)

    assert await uc.moderation_queue(ports, MODERATOR) == []
    view = await uc.view_task(ports, task_id, uc.Caller("anna"))
    assert view.task.comments[rude.id].hidden
    with pytest.raises(Forbidden):
        await uc.hidden_item(ports, task_id, rude.id, uc.Caller("anna"))
    stored = await uc.hidden_item(ports, task_id, rude.id, MODERATOR)
    assert "Чушь" in json.dumps(stored, ensure_ascii=False) and "boris" not in json.dumps(stored)
    revoked = [e for e in published(ports) if isinstance(e, contracts.HelpfulCreditsRevokedV1)]
    assert [(e.author_id, e.marks) for e in revoked] == [("boris", 1)]


async def test_a_reveal_needs_a_reason_is_audited_and_names_the_author() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    circle_id = await circle_with(ports, ("anna", "expert"), ("boris", "beginner"))
    task_id = await task_in(ports, circle_id, clock)
    await uc.save_solution(ports, task_id, uc.Caller("anna"), "s1", "Решение", [], [])
    await uc.publish_solution(ports, task_id, uc.Caller("anna"), "s1")
    threat = await uc.comment(ports, task_id, uc.Caller("boris"), "s1", None, "Угроза", anonymous=True)

    with pytest.raises(Forbidden):
        await uc.reveal_author(ports, task_id, threat.id, FACILITATOR, "Угроза коллеге, нужна проверка")
    with pytest.raises(Invalid):
        await uc.reveal_author(ports, task_id, threat.id, MODERATOR, "так")
    assert await uc.reveal_author(ports, task_id, threat.id, MODERATOR, "Угроза коллеге, нужна проверка") == "boris"

    audit = ports.audit
    assert isinstance(audit, InMemoryAudit)
    assert [(e["action"], e["actor_id"], e["subject_id"]) for e in audit.entries] == [
        ("comment.author_revealed", "mod-ivan", "boris")
    ]
    revealed = [e for e in published(ports) if isinstance(e, contracts.AuthorRevealedV1)]
    assert [(e.author_id, e.topic) for e in revealed] == [("boris", contracts.RESTRICTED_TOPIC)]


async def test_the_library_keeps_promoted_solutions_and_finds_them() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    circle_id = await circle_with(ports, ("anna", "expert"), ("lib", "practitioner"))
    await uc.set_role(ports, circle_id, FACILITATOR, "lib", "librarian")
    task_id = await task_in(ports, circle_id, clock)
    await uc.save_solution(ports, task_id, uc.Caller("anna"), "s1", "Напоминание через правило автоматизации", [], [])
    await uc.publish_solution(ports, task_id, uc.Caller("anna"), "s1")

    with pytest.raises(Forbidden):
        await uc.promote(ports, task_id, uc.Caller("anna"), "s1", title="t", summary="s", tags=[])
    await uc.promote(
        ports, task_id, uc.Caller("lib"), "s1", title="Напоминания о долгах", summary="Правило и шаблон письма",
        tags=["crm", "Напоминания"],
    )  # fmt: skip
    with pytest.raises(Conflict):
        await uc.promote(ports, task_id, FACILITATOR, "s1", title="Again", summary="Again", tags=[])

    outsider = uc.Caller("someone-else")
    found = await uc.search_library(ports, outsider, text="напомин", tags=["crm"])
    assert [e.solution_id for e in found] == ["s1"]  # an open circle's library is for everyone
    promoted = [e for e in published(ports) if isinstance(e, contracts.SolutionPromotedV1)]
    assert [(e.author_id, e.promoted_by) for e in promoted] == [("anna", "lib")]


async def test_coffee_pairs_form_once_a_week_across_departments_and_not_again_soon() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    people = ports.people
    assert isinstance(people, InMemoryPeople)
    for person, department in (("a1", "sales"), ("a2", "sales"), ("b1", "it"), ("b2", "it")):
        people.upsert(person, department=department)
    circle_id = await circle_with(ports, ("a1", "expert"), ("a2", "beginner"), ("b1", "beginner"), ("b2", "expert"))
    for person in ("a1", "a2", "b1", "b2"):
        await uc.coffee(ports, circle_id, person, opt_in=True)

    assert await uc.form_coffee_rounds(ports) == 1
    assert await uc.form_coffee_rounds(ports) == 0  # once a week, however often the job runs
    first = {frozenset(e.person_ids) for e in published(ports) if isinstance(e, contracts.CoffeePairFormedV1)}
    assert all({p[0] for p in pair} == {"a", "b"} for pair in first)  # across departments

    clock.advance(weeks=1)
    assert await uc.form_coffee_rounds(ports) == 1
    pairs = [frozenset(e.person_ids) for e in published(ports) if isinstance(e, contracts.CoffeePairFormedV1)]
    assert not (set(pairs[2:]) & first)  # never the same two again within the memory window


async def test_erasure_reaches_circles_and_export_gathers_their_words() -> None:
    clock = Clock()
    ports = fake_ports(clock=clock)
    circle_id = await circle_with(ports, ("anna", "expert"), ("boris", "beginner"))
    task_id = await task_in(ports, circle_id, clock)
    await uc.save_solution(ports, task_id, uc.Caller("anna"), "s1", "Решение Анны", [], [])
    await uc.publish_solution(ports, task_id, uc.Caller("anna"), "s1")
    await uc.comment(ports, task_id, uc.Caller("boris"), "s1", None, "Анонимный вопрос Бориса", anonymous=True)

    exported = await handlers.export_person("boris", ports)
    assert [(c["kind"], c["anonymous"], c["text"]) for c in exported["contributions"]] == [
        ("comment", True, "Анонимный вопрос Бориса")
    ]
    assert [c["role"] for c in exported["circles"]] == ["member"]

    await handlers.erase_person("boris", ports)

    for repository in (ports.circles, ports.tasks):
        assert isinstance(repository, InMemoryAggregates)
        assert "boris" not in json.dumps([state for state, _ in repository.states.values()])
        assert "boris" not in json.dumps(list(repository.history.values()))
