"""The use cases through the service layer, with in-memory ports and the real templates."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from notifications.adapters.routing_file import load_routing
from notifications.adapters.templates import JinjaRenderer
from notifications.domain import model
from notifications.entrypoints import consumers
from notifications.service import handlers
from notifications.service.delivery import Delivery
from notifications.service.ports import Inbox, People
from notifications.tests.fakes import InMemoryInbox, InMemoryPeople, in_memory_delivery
from shared.contracts import enrolment, gamification, mentoring
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import Envelope

renderer = JinjaRenderer()
ROUTES = load_routing()
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def envelope(event_id: str, event: IntegrationEvent) -> Envelope:
    return Envelope(event_id, event.ce_type, "/owlery/tests", None, None, None, event)


async def texts(person_id: str, inbox: InMemoryInbox, people: InMemoryPeople) -> tuple[str, list[str]]:
    found = await handlers.read_inbox(person_id, inbox, people, renderer)
    return found.locale, [m.text for m in found.messages]


def delivering() -> tuple[Delivery, InMemoryInbox, InMemoryPeople]:
    delivery = in_memory_delivery(NOW)
    assert isinstance(delivery.inbox, InMemoryInbox) and isinstance(delivery.people, InMemoryPeople)
    return delivery, delivery.inbox, delivery.people


async def test_a_notice_becomes_one_message_keyed_by_its_cause_and_template() -> None:
    delivery, inbox, people = delivering()

    await delivery.deliver("ev-1", model.enrolled("ann", "Go"), locale="ru")

    (message,) = inbox.stored.values()
    assert message.id == "ev-1:enrolled"
    assert (message.person_id, message.category, message.cause_event_id) == ("ann", "enrolment", "ev-1")
    assert dict(message.params) == {"course_title": "Go"}  # kept unrendered: the language may change
    assert people.locales == {"ann": "ru"}


async def test_a_redelivered_event_makes_no_second_message() -> None:
    delivery, inbox, _ = delivering()

    await delivery.deliver("ev-1", model.waitlisted("ann", "Go", 2), locale="en")
    await delivery.deliver("ev-1", model.waitlisted("ann", "Go", 2), locale="en")

    assert list(inbox.stored) == ["ev-1:waitlisted"]


async def test_points_awarded_before_the_language_is_known_are_shown_in_it_once_it_is() -> None:
    delivery, inbox, people = delivering()
    await delivery.deliver("ev-points", model.points_awarded("ann", 10, "enrolment.enrolled"))

    assert await texts("ann", inbox, people) == ("en", ["You earned 10 points for enrolling in a course."])

    delivery.clock = lambda: NOW + timedelta(minutes=1)
    await delivery.deliver("ev-enrolled", model.enrolled("ann", "Go"), locale="ru")

    assert await texts("ann", inbox, people) == (
        "ru",
        ["Вы зачислены на курс «Go».", "Вы получили 10 баллов за зачисление на курс."],
    )


async def test_the_latest_language_wins() -> None:
    delivery, inbox, people = delivering()
    await delivery.deliver("ev-1", model.enrolled("ann", "Go"), locale="ru")
    delivery.clock = lambda: NOW + timedelta(minutes=1)
    await delivery.deliver("ev-2", model.mentoring_registered("ann", "Onboarding", "mentee"), locale="en")

    assert await texts("ann", inbox, people) == (
        "en",
        ["You are registered in the «Onboarding» mentoring programme as a mentee.", "You are enrolled in «Go»."],
    )


async def test_an_unknown_person_has_an_empty_inbox_in_english() -> None:
    found = await handlers.read_inbox("nobody", InMemoryInbox(), InMemoryPeople(), renderer)
    assert (found.person_id, found.locale, found.messages) == ("nobody", "en", [])


async def test_the_inbox_is_newest_first_and_pages() -> None:
    delivery, inbox, people = delivering()
    for number in range(1, 6):
        await delivery.deliver(f"ev-{number}", model.waitlisted("ann", "Go", number), locale="en")
    await delivery.deliver("ev-other", model.enrolled("bob", "Go"), locale="en")

    page = await handlers.read_inbox("ann", inbox, people, renderer, limit=2, offset=1)

    assert [m.message.cause_event_id for m in page.messages] == ["ev-4", "ev-3"]


async def routed(event: IntegrationEvent, event_id: str, delivery: Delivery) -> None:
    """The event through the routing table shipped with the service, as the consumer hands it over."""
    await consumers.route(ROUTES, event.ce_type, event_id, event.model_dump(mode="json"), delivery)


async def test_events_become_the_messages_the_routing_table_names() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    await routed(
        enrolment.ApplicationEnrolledV1(
            application_id="a1", course_id="c1", course_title="Go", cohort_id="h1", person_id="ann", locale="ru"
        ),
        "ev-1",
        delivery,
    )
    await routed(
        enrolment.ApplicationWaitlistedV1(
            application_id="a2", course_id="c1", course_title="Go", person_id="bob", locale="en", position=4
        ),
        "ev-2",
        delivery,
    )
    await routed(
        gamification.PointsAwardedV1(
            entry_id="e1",
            person_id="ann",
            points=10,
            rule="enrolment.enrolled",
            cause_event_id="ev-x",
            cause_event_type=enrolment.ApplicationEnrolledV1.ce_type,
        ),
        "ev-3",
        delivery,
    )

    assert sorted((m.id, m.category.value) for m in inbox.stored.values()) == [
        ("ev-1:enrolled", "enrolment"),
        ("ev-2:waitlisted", "waitlist"),
        ("ev-3:points_awarded", "achievements"),
    ]
    # Ann's enrolment told her language: every message of hers reads in Russian.
    assert sorted((await texts("ann", inbox, people))[1]) == [
        "Вы зачислены на курс «Go».",
        "Вы получили 10 баллов за зачисление на курс.",
    ]
    assert (await texts("bob", inbox, people))[0] == "en"  # the language the event told


def test_the_fakes_implement_the_ports() -> None:
    inbox: Inbox = InMemoryInbox()
    people: People = InMemoryPeople()
    assert inbox is not None
    assert people is not None


async def test_once_the_directory_has_spoken_its_language_wins_over_what_events_told() -> None:
    delivery, inbox, people = delivering()
    await delivery.deliver("ev-1", model.enrolled("ann", "Go"), locale="en")
    assert (await texts("ann", inbox, people))[0] == "en"

    people.upsert("ann", display_name="Ann Lee", email="ann@example.com", locale="ru", time_zone="Europe/Moscow")

    assert await texts("ann", inbox, people) == ("ru", ["Вы зачислены на курс «Go»."])
    # A later event in another language is still remembered, but does not overrule the directory.
    await delivery.deliver("ev-2", model.waitlisted("ann", "Rust", 2), locale="en")
    assert people.locales == {"ann": "en"}
    assert (await texts("ann", inbox, people))[0] == "ru"


async def test_a_directory_copy_without_a_language_falls_back_to_what_events_told() -> None:
    delivery, inbox, people = delivering()
    people.upsert("ann", display_name="Ann Lee")
    await delivery.deliver("ev-1", model.enrolled("ann", "Go"), locale="ru")

    assert await texts("ann", inbox, people) == ("ru", ["Вы зачислены на курс «Go»."])


async def two_inboxes() -> tuple[InMemoryInbox, InMemoryPeople]:
    delivery, inbox, people = delivering()
    await delivery.deliver("ev-1", model.enrolled("ann", "Go"), locale="ru")  # learned before the directory spoke
    await delivery.deliver("ev-2", model.points_awarded("ann", 10, "enrolment.enrolled"))
    await delivery.deliver("ev-3", model.enrolled("bob", "Go"), locale="en")
    people.upsert("ann", display_name="Ann Lee", email="ann@example.com", locale="ru", time_zone="Europe/Moscow")
    return inbox, people


async def test_erasure_deletes_the_persons_messages_and_language_and_leaves_a_tombstone() -> None:
    inbox, people = await two_inboxes()

    deleted = await handlers.erase_person("ann", inbox, people)

    assert deleted == 2
    assert list(inbox.stored) == ["ev-3:enrolled"]
    assert people.locales == {"bob": "en"}
    erased = await people.get("ann")
    assert erased is not None
    assert (erased.erased, erased.fields) == (True, {})
    assert await texts("ann", inbox, people) == ("en", [])
    assert await texts("bob", inbox, people) == ("en", ["You are enrolled in «Go»."])


async def test_a_second_erasure_changes_nothing() -> None:
    inbox, people = await two_inboxes()
    await handlers.erase_person("ann", inbox, people)
    stored, locales = dict(inbox.stored), dict(people.locales)

    assert await handlers.erase_person("ann", inbox, people) == 0
    assert (inbox.stored, people.locales, people.tombstones_written) == (stored, locales, 1)


async def test_an_event_arriving_after_the_erasure_brings_nothing_back() -> None:
    inbox, people = await two_inboxes()
    await handlers.erase_person("ann", inbox, people)

    delivery = dataclasses.replace(in_memory_delivery(NOW, people), inbox=inbox)
    await delivery.deliver("ev-late", model.enrolled("ann", "Rust"), locale="ru")

    assert all(m.person_id != "ann" for m in inbox.stored.values())
    assert "ann" not in people.locales


async def test_export_lists_the_profile_the_learned_language_and_every_message() -> None:
    inbox, people = await two_inboxes()

    exported = await handlers.export_person("ann", inbox, people)

    assert exported["service"] == "notifications"
    assert exported["person"] == {
        "active": True,
        "erased": False,
        "display_name": "Ann Lee",
        "email": "ann@example.com",
        "locale": "ru",
        "time_zone": "Europe/Moscow",
    }
    assert exported["learned_locale"] == "ru"
    assert sorted((m["id"], m["category"], m["template"], m["params"]) for m in exported["messages"]) == [
        ("ev-1:enrolled", "enrolment", "enrolled", {"course_title": "Go"}),
        ("ev-2:points_awarded", "achievements", "points_awarded", {"points": 10, "rule": "enrolment.enrolled"}),
    ]
    assert all(isinstance(m["created_at"], str) for m in exported["messages"])
    assert json.loads(json.dumps(exported)) == exported


async def test_export_pages_through_a_long_inbox() -> None:
    delivery, inbox, people = delivering()
    for number in range(handlers.EXPORT_PAGE + 3):
        await delivery.deliver(f"ev-{number}", model.enrolled("ann", "Go"), locale="en")

    exported = await handlers.export_person("ann", inbox, people)

    assert len({m["id"] for m in exported["messages"]}) == handlers.EXPORT_PAGE + 3


async def test_after_erasure_the_export_holds_nothing() -> None:
    inbox, people = await two_inboxes()
    await handlers.erase_person("ann", inbox, people)

    assert await handlers.export_person("ann", inbox, people) == {
        "service": "notifications",
        "person": None,
        "learned_locale": None,
        "messages": [],
    }


async def test_a_formed_group_tells_its_mentor_and_every_mentee_once() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    formed = mentoring.PairFormedV1(
        programme_id="m1",
        pair_id="p1",
        programme_title="Onboarding",
        kind="classic",
        mentor_id="mia",
        mentee_ids=["ann", "bob"],
        via="matching",
        curator_ids=["cur"],
    )

    for _ in range(2):  # a redelivery adds nothing
        await routed(formed, "ev-9", delivery)

    assert (await texts("mia", inbox, people))[1] == [
        "You are now a mentor in «Onboarding»: 2 mentees are waiting to meet you."
    ]
    for mentee in ("ann", "bob"):
        assert (await texts(mentee, inbox, people))[1] == [
            "You have a mentor in «Onboarding». Read the preparation material and set your first meeting."
        ]
    assert (await texts("cur", inbox, people))[1] == []


async def test_curators_hear_of_a_pair_at_risk_and_of_a_concern_without_its_words() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    at_risk = mentoring.PairAtRiskV1(
        programme_id="m1", pair_id="p1", curator_ids=["c1", "c2"], reasons=["goals_stalled"]
    )
    concern = mentoring.ConcernRaisedV1(programme_id="m1", concern_id="k1", pair_id="p1", curator_ids=["c1"])

    await routed(at_risk, "ev-1", delivery)
    await routed(concern, "ev-2", delivery)

    assert sorted((await texts("c1", inbox, people))[1]) == [
        "A mentoring pair you curate needs attention: goals have not moved.",
        "A participant of a programme you curate raised a confidential concern. Open your curator's desk to read it.",
    ]
    assert (await texts("c2", inbox, people))[1] == [
        "A mentoring pair you curate needs attention: goals have not moved."
    ]


async def test_coffee_partners_hear_of_each_other_and_a_revealed_author_is_told() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    coffee = mentoring.CoffeePairFormedV1(circle_id="c1", round_id="c1:2026-W48", person_ids=["ann", "bob"])
    revealed = mentoring.AuthorRevealedV1(
        circle_id="c1", task_id="t1", comment_id="k1", author_id="ann", moderator_id="mod"
    )

    await routed(coffee, "ev-1", delivery)
    await routed(revealed, "ev-2", delivery)

    assert sorted((await texts("ann", inbox, people))[1]) == [
        "A moderator revealed that you wrote one of your anonymous comments. The reason is recorded in the audit"
        " log; you can ask for it.",
        "Random coffee this week: you and bob from your learning circle. Pick a time that suits you both.",
    ]
    assert (await texts("bob", inbox, people))[1] == [
        "Random coffee this week: you and ann from your learning circle. Pick a time that suits you both."
    ]
    assert (await texts("mod", inbox, people))[1] == []


async def test_master_class_registrations_and_promotions_reach_the_person_in_their_language_and_zone() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    people.upsert("ann", locale="ru", time_zone="Europe/Moscow")
    starts = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    await routed(
        enrolment.MasterClassWaitlistedV1(master_class_id="mc1", person_id="ann", title="SQL за час", position=1),
        "ev-1",
        delivery,
    )
    await routed(
        enrolment.MasterClassPromotedV1(master_class_id="mc1", person_id="ann", title="SQL за час", starts_at=starts),
        "ev-2",
        delivery,
    )
    zone = (await delivery.preferences_of("ann")).zone_name
    rendered = [renderer.render(m.template, "ru", m.params, zone) for m in await inbox.messages("ann", 10, 0)]
    assert rendered == [
        "Освободилось место: вы записаны на мастер-класс «SQL за час», четверг, 10 декабря 2026, 15:00"
        " (Europe/Moscow).",
        "На мастер-классе «SQL за час» нет мест: вы в листе ожидания под номером 1 и получите первое"  # noqa: RUF001
        " освободившееся место.",
    ]


async def test_the_owner_of_a_stale_knowledge_item_is_asked_to_review_it() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    stale = mentoring.KnowledgeItemStaleV1(
        item_id="k1",
        owner_id="olga",
        title="Как писать тест-кейсы",
        item_type="article",
        last_reviewed_at=datetime(2026, 5, 1, 9, 0, tzinfo=UTC),
        review_days=180,
    )
    await routed(stale, "ev-stale", delivery)
    assert (await texts("olga", inbox, people))[1] == [
        "Your knowledge-base item «Как писать тест-кейсы» was last reviewed Friday, 1 May 2026, 09:00 (UTC), more"
        " than 180 days ago: please check it is still right and mark it reviewed."
    ]


async def test_a_manager_is_asked_to_approve_an_internship_in_their_own_language() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    people.upsert("irina", locale="ru")  # the Russian-speaking manager; "mark" is not in the directory yet
    for event_id, manager in (("ev-1", "irina"), ("ev-2", "mark")):
        applied = mentoring.InternshipAppliedV1(
            placement_id="pl1",
            internship_id=f"i-{manager}",
            guest_id="gleb",
            guest_unit="department:qa",
            manager_id=manager,
        )
        await routed(applied, event_id, delivery)

    assert await texts("irina", inbox, people) == (
        "ru",
        [
            "Заявка gleb на стажировку по обмену ждёт вашего согласования: откройте её в Owlery, чтобы одобрить или"
            " отклонить."
        ],
    )
    assert await texts("mark", inbox, people) == (
        "en",
        [
            "gleb applied for an exchange internship and needs your approval: open the application in Owlery to approve"
            " or decline it."
        ],
    )
    assert (await texts("gleb", inbox, people))[1] == []  # the guest applied: nothing to tell them
    assert {m.category.value for m in inbox.stored.values()} == {"mentoring"}


async def test_guest_and_host_each_hear_their_side_of_an_internship() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    people.upsert("gleb", locale="ru")
    ids = {"placement_id": "pl1", "internship_id": "i1", "guest_id": "gleb"}
    await routed(mentoring.InternshipApprovedV1(**ids, manager_id="irina", host_id="hana"), "ev-1", delivery)
    await routed(mentoring.InternshipGoalsAgreedV1(**ids, host_id="hana", goals=3), "ev-2", delivery)
    await routed(
        mentoring.InternshipCompletedV1(**ids, host_id="hana", guest_unit="department:qa", host_unit="partner:p1"),
        "ev-3",
        delivery,
    )

    assert (await texts("gleb", inbox, people))[1] == [
        "Ваша стажировка по обмену завершена — спасибо! Напишите, пожалуйста, отчёт о стажировке и опубликуйте его"  # noqa: RUF001 (Russian)
        " в базе знаний, чтобы коллеги тоже могли у вас поучиться.",  # noqa: RUF001 (Russian)
        "Цели вашей стажировки по обмену согласованы: 3 цели.",
        "Руководитель одобрил вашу стажировку по обмену. Согласуйте цели стажировки с принимающей стороной до её"  # noqa: RUF001 (Russian)
        " начала.",
    ]
    assert (await texts("hana", inbox, people))[1] == [
        "The exchange internship of gleb with you is complete: thank you for hosting!",
        "The goals of your exchange internship are agreed: 3 goals.",
        "gleb will join you on an exchange internship: their manager approved it. Agree its goals together before it"
        " starts.",
    ]
    assert (await texts("irina", inbox, people))[1] == []  # the manager decided it: nothing to tell them


async def test_the_host_hears_of_their_guests_published_report_and_the_guest_does_not() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    people.upsert("hana", locale="ru")
    ids = {"placement_id": "pl1", "internship_id": "i1", "guest_id": "gleb", "knowledge_item_id": "kb-1"}
    await routed(mentoring.InternshipReportPublishedV1(**ids, title="ML в QA", host_id="hana"), "ev-1", delivery)
    await routed(mentoring.InternshipReportPublishedV1(**ids, title="Без хозяина"), "ev-2", delivery)  # an early v1

    assert (await texts("hana", inbox, people))[1] == [
        "gleb опубликовал(а) отчёт о стажировке у вас — «ML в QA» — в базе знаний: посмотрите, чему гость научился"  # noqa: RUF001 (Russian)
        " и чем поделился."
    ]
    assert (await texts("gleb", inbox, people))[1] == []


async def test_a_declined_guest_is_told_and_pointed_to_the_reason_which_the_message_does_not_carry() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    declined = mentoring.InternshipDeclinedV1(
        placement_id="pl1", internship_id="i1", guest_id="gleb", manager_id="irina"
    )
    await routed(declined, "ev-1", delivery)

    assert (await texts("gleb", inbox, people))[1] == [
        "Your manager declined your exchange internship application. You can read their reason in the application in"
        " Owlery."
    ]
    assert [dict(m.params) for m in inbox.stored.values()] == [{}]


async def test_an_owner_hears_of_the_first_independent_review_of_their_item_only() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    people.upsert("olga", locale="ru")

    def reviewed(reviewer: str, first: bool) -> mentoring.KnowledgeItemReviewedV1:
        return mentoring.KnowledgeItemReviewedV1(
            item_id="k1",
            owner_id="olga",
            reviewer_id=reviewer,
            title="Как писать тест-кейсы",
            item_type="article",
            first_independent_review=first,
        )

    await routed(reviewed("olga", False), "ev-1", delivery)  # her own review
    await routed(reviewed("cur", True), "ev-2", delivery)
    await routed(reviewed("bob", False), "ev-3", delivery)  # a later one

    assert (await texts("olga", inbox, people))[1] == [
        "Коллега впервые проверил ваш материал в базе знаний «Как писать тест-кейсы»: теперь он считается проверенным."
    ]
    assert [m.cause_event_id for m in inbox.stored.values()] == ["ev-2"]
    assert (await texts("cur", inbox, people))[1] == []


async def test_the_owners_of_a_brainstorms_decision_are_told_they_own_it() -> None:
    delivery = in_memory_delivery(NOW)
    inbox, people = delivery.inbox, delivery.people
    assert isinstance(inbox, InMemoryInbox) and isinstance(people, InMemoryPeople)
    people.upsert("bob", locale="ru")
    decided = mentoring.BrainstormDecidedV1(
        circle_id="c1",
        brainstorm_id="b1",
        facilitator_id="fay",
        owner_ids=["ann", "bob"],
        themes=2,
        ideas=21,
        votes=5,
        knowledge_item_id="k9",
    )
    for _ in range(2):  # a redelivery adds nothing
        await routed(decided, "ev-1", delivery)

    assert (await texts("ann", inbox, people))[1] == [
        "A brainstorm in your learning circle reached its decision (21 ideas, 5 votes) and you are one of those who"
        " carry it out. Its summary is in the knowledge base."
    ]
    assert (await texts("bob", inbox, people))[1] == [
        "Мозговой штурм в вашем учебном круге завершился решением (21 идея, 5 голосов), и вы среди ответственных за"
        " его выполнение. Итоги — в базе знаний."  # noqa: RUF001 (Russian)
    ]
    assert (await texts("fay", inbox, people))[1] == []
    assert sorted(m.id for m in inbox.stored.values()) == ["ev-1/ann:brainstorm_decided", "ev-1/bob:brainstorm_decided"]
