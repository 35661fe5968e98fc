"""Learning events as xAPI 1.0.3 statements, for a Learning Record Store.

The actor is always an `account` (the company's home page and the directory person id), never an email:
an LRS is another system, and a person id is all it needs to join statements up. Anonymous circle
content is stated under its pseudonym alone, on a home page of its own (pseudonyms are stable within
a task only), so no statement ties it to a person. Only events of public topics are stated: the
restricted ones name the real authors of anonymous comments.

A statement's id derives from its event's id (and its index when an event makes several), so a
redelivered event yields the same statements and the LRS stores each once.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from shared.contracts import enrolment, gamification, mentoring
from shared.contracts.base import IntegrationEvent

XAPI_VERSION = "1.0.3"
STATEMENT_NAMESPACE = uuid.UUID("5b0d7a52-2f7c-4f43-9d39-8f3c6f2f1a10")
"""Fixed for good: statement ids derived under it must come out the same on every redelivery and release."""

Json = dict[str, Any]


@dataclass(frozen=True)
class Verb:
    id: str
    en: str
    ru: str

    def to_json(self) -> Json:
        return {"id": self.id, "display": {"en-US": self.en, "ru-RU": self.ru}}


REGISTERED = Verb("http://adlnet.gov/expapi/verbs/registered", "registered", "зарегистрировался")
ATTENDED = Verb("http://adlnet.gov/expapi/verbs/attended", "attended", "посетил")
COMPLETED = Verb("http://adlnet.gov/expapi/verbs/completed", "completed", "завершил")
PASSED = Verb("http://adlnet.gov/expapi/verbs/passed", "passed", "сдал")
COMMENTED = Verb("http://adlnet.gov/expapi/verbs/commented", "commented", "прокомментировал")
MENTORED = Verb("http://id.tincanapi.com/verb/mentored", "mentored", "наставлял")
EARNED = Verb("http://id.tincanapi.com/verb/earned", "earned", "получил")
REVIEWED = Verb("http://id.tincanapi.com/verb/reviewed", "reviewed", "проверил")

COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
MEETING_TYPE = "http://adlnet.gov/expapi/activities/meeting"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
BADGE_TYPE = "http://activitystrea.ms/schema/1.0/badge"


@dataclass(frozen=True)
class Statement:
    """One statement and what the delivery log keeps beside it."""

    id: str
    event_id: str
    event_type: str
    person_id: str
    """The actor's account name: a directory person id, or a pseudonym (then `anonymous`)."""
    verb: str
    body: Json
    anonymous: bool = False


@dataclass(frozen=True)
class Vocabulary:
    """What one company's statements are built from: its home page, under which every IRI lives."""

    home_page: str

    @property
    def home(self) -> str:
        return self.home_page.rstrip("/")

    def agent(self, person_id: str) -> Json:
        return {"objectType": "Agent", "account": {"homePage": self.home_page, "name": person_id}}

    def pseudonym(self, task_id: str, pseudonym: str) -> Json:
        # A home page per task: the same pseudonym in another task is someone else (or not).
        return {
            "objectType": "Agent",
            "account": {"homePage": f"{self.home}/xapi/pseudonyms/task/{task_id}", "name": pseudonym},
        }

    def activity(
        self, kind: str, activity_id: str, names: Mapping[str, str | None] | None = None, type_: str | None = None
    ) -> Json:
        activity: Json = {"objectType": "Activity", "id": f"{self.home}/xapi/activities/{kind}/{activity_id}"}
        definition: Json = {}
        name = {language: text for language, text in (names or {}).items() if text}
        if name:
            definition["name"] = name
        if type_:
            definition["type"] = type_
        if definition:
            activity["definition"] = definition
        return activity

    def extension(self, name: str) -> str:
        return f"{self.home}/xapi/extensions/{name}"


@dataclass(frozen=True)
class Occurrence:
    """The event's envelope as the statements need it."""

    event_id: str
    event_type: str
    time: datetime
    correlation_id: str | None = None


@dataclass(frozen=True)
class _Draft:
    actor_id: str
    verb: Verb
    object: Json
    parents: tuple[Json, ...] = ()
    grouping: tuple[Json, ...] = ()
    result: Json | None = None
    registration: str | None = None
    """What ties one learner's statements of one run together (a cohort seat, a pair), hashed to a UUID."""
    actor: Json | None = None
    """Set for a pseudonym; else the account of `actor_id`."""


E = TypeVar("E", bound=IntegrationEvent)
Mapper = Callable[[Any, Vocabulary], list[_Draft]]
_MAPPERS: dict[str, Mapper] = {}


def _maps(
    contract: type[E],
) -> Callable[[Callable[[E, Vocabulary], list[_Draft]]], Callable[[E, Vocabulary], list[_Draft]]]:
    def register(mapper: Callable[[E, Vocabulary], list[_Draft]]) -> Callable[[E, Vocabulary], list[_Draft]]:
        if contract.topic.endswith(".restricted"):
            raise TypeError(f"{contract.ce_type} is restricted: it must never reach an LRS")
        _MAPPERS[contract.ce_type] = mapper
        return mapper

    return register


def stated_event_types() -> frozenset[str]:
    """The event types that become statements."""
    return frozenset(_MAPPERS)


def statement_id(event_id: str, index: int) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, f"{event_id}#{index}"))


def statements_of(event: IntegrationEvent, occurrence: Occurrence, vocabulary: Vocabulary) -> list[Statement]:
    """The statements one event makes (none for most events, or for one that says nothing was learnt)."""
    mapper = _MAPPERS.get(event.ce_type)
    if mapper is None:
        return []
    made = []
    for index, draft in enumerate(mapper(event, vocabulary)):
        made.append(_statement(draft, index, occurrence, vocabulary))
    return made


def _statement(draft: _Draft, index: int, occurrence: Occurrence, vocabulary: Vocabulary) -> Statement:
    sid = statement_id(occurrence.event_id, index)
    context: Json = {"platform": "Owlery"}
    if draft.registration:
        context["registration"] = str(uuid.uuid5(STATEMENT_NAMESPACE, draft.registration))
    activities: Json = {}
    if draft.parents:
        activities["parent"] = list(draft.parents)
    if draft.grouping:
        activities["grouping"] = list(draft.grouping)
    if activities:
        context["contextActivities"] = activities
    extensions = {vocabulary.extension("event-type"): occurrence.event_type}
    if occurrence.correlation_id:
        extensions[vocabulary.extension("correlation-id")] = occurrence.correlation_id
    context["extensions"] = extensions
    body: Json = {
        "id": sid,
        "actor": draft.actor or vocabulary.agent(draft.actor_id),
        "verb": draft.verb.to_json(),
        "object": draft.object,
        "timestamp": occurrence.time.isoformat(),
        "context": context,
        "version": XAPI_VERSION,
    }
    if draft.result is not None:
        body["result"] = draft.result
    return Statement(
        id=sid,
        event_id=occurrence.event_id,
        event_type=occurrence.event_type,
        person_id=draft.actor_id,
        verb=draft.verb.id,
        body=body,
        anonymous=draft.actor is not None,
    )


def _names(en: str | None = None, ru: str | None = None) -> dict[str, str | None]:
    return {"en": en, "ru": ru}


def _localised(title: str, locale: str) -> dict[str, str | None]:
    """A title given in one language (the reader's): stated under that language alone."""
    return {locale: title}


def _minutes(minutes: int) -> str:
    return f"PT{minutes}M"


# ------------------------------------------------------------------------------------------ enrolment


@_maps(enrolment.ApplicationEnrolledV1)
def _enrolled(event: enrolment.ApplicationEnrolledV1, v: Vocabulary) -> list[_Draft]:
    course = v.activity("course", event.course_id, _localised(event.course_title, event.locale), COURSE_TYPE)
    cohort = v.activity("cohort", event.cohort_id)
    seat = f"cohort:{event.cohort_id}:{event.person_id}"
    return [_Draft(event.person_id, REGISTERED, course, grouping=(cohort,), registration=seat)]


@_maps(enrolment.AttendanceMarkedV1)
def _attendance(event: enrolment.AttendanceMarkedV1, v: Vocabulary) -> list[_Draft]:
    if event.status != "present":
        return []
    session = v.activity(
        "session",
        f"{event.cohort_id}/{event.session_number}",
        _names(f"Session {event.session_number}", f"Занятие {event.session_number}"),
        MEETING_TYPE,
    )
    parents = (v.activity("course", event.course_id, type_=COURSE_TYPE),)
    seat = f"cohort:{event.cohort_id}:{event.person_id}"
    grouping = (v.activity("cohort", event.cohort_id),)
    return [_Draft(event.person_id, ATTENDED, session, parents, grouping, registration=seat)]


@_maps(enrolment.HomeworkReviewedV1)
def _homework(event: enrolment.HomeworkReviewedV1, v: Vocabulary) -> list[_Draft]:
    if event.outcome != "accepted":
        return []  # returned for changes: nothing passed yet
    homework = v.activity("homework", event.homework_id, type_=ASSESSMENT_TYPE)
    parents = (v.activity("course", event.course_id, type_=COURSE_TYPE),)
    seat = f"cohort:{event.cohort_id}:{event.person_id}"
    result = {"success": True, "completion": True, "extensions": {v.extension("attempt"): event.attempt}}
    grouping = (v.activity("cohort", event.cohort_id),)
    return [_Draft(event.person_id, PASSED, homework, parents, grouping, result, seat)]


@_maps(enrolment.CompletionDecidedV1)
def _completion(event: enrolment.CompletionDecidedV1, v: Vocabulary) -> list[_Draft]:
    if not event.completed:
        return []
    course = v.activity("course", event.course_id, type_=COURSE_TYPE)
    grouping = (v.activity("cohort", event.cohort_id),)
    seat = f"cohort:{event.cohort_id}:{event.person_id}"
    rates = {v.extension("attendance-rate"): event.attendance_rate, v.extension("homework-rate"): event.homework_rate}
    drafts = [_Draft(event.person_id, COMPLETED, course, (), grouping, {"completion": True, "extensions": rates}, seat)]
    if event.certificate_number:
        certificate = {"success": True, "extensions": {v.extension("certificate-number"): event.certificate_number}}
        drafts.append(_Draft(event.person_id, PASSED, course, (), grouping, certificate, seat))
    return drafts


@_maps(enrolment.MasterClassRegisteredV1)
def _master_class_registered(event: enrolment.MasterClassRegisteredV1, v: Vocabulary) -> list[_Draft]:
    master_class = v.activity("master-class", event.master_class_id, {"und": event.title}, MEETING_TYPE)
    return [_Draft(event.person_id, REGISTERED, master_class)]


@_maps(enrolment.MasterClassHeldV1)
def _master_class_held(event: enrolment.MasterClassHeldV1, v: Vocabulary) -> list[_Draft]:
    master_class = v.activity("master-class", event.master_class_id, {"und": event.title}, MEETING_TYPE)
    result = {"duration": _minutes(event.duration_minutes)}
    return [_Draft(person, ATTENDED, master_class, result=result) for person in event.attendee_ids]


@_maps(enrolment.ConferenceTalkRegisteredV1)
def _talk_registered(event: enrolment.ConferenceTalkRegisteredV1, v: Vocabulary) -> list[_Draft]:
    talk = v.activity("talk", event.talk_id, {"und": event.title}, MEETING_TYPE)
    return [_Draft(event.person_id, REGISTERED, talk, (v.activity("conference", event.conference_id),))]


@_maps(enrolment.ConferenceTalkAttendedV1)
def _talk_attended(event: enrolment.ConferenceTalkAttendedV1, v: Vocabulary) -> list[_Draft]:
    talk = v.activity("talk", event.talk_id, type_=MEETING_TYPE)
    return [_Draft(event.person_id, ATTENDED, talk, (v.activity("conference", event.conference_id),))]


# ------------------------------------------------------------------------------------------ mentoring


def _programme(v: Vocabulary, programme_id: str, title: str | None = None) -> Json:
    return v.activity("mentoring-programme", programme_id, {"und": title} if title else None)


@_maps(mentoring.ParticipantRegisteredV1)
def _participant(event: mentoring.ParticipantRegisteredV1, v: Vocabulary) -> list[_Draft]:
    programme = _programme(v, event.programme_id, event.programme_title)
    role = {"extensions": {v.extension("role"): event.role}}
    return [
        _Draft(
            event.person_id,
            REGISTERED,
            programme,
            result=role,
            registration=f"programme:{event.programme_id}:{event.person_id}",
        )
    ]


@_maps(mentoring.MeetingLoggedV1)
def _meeting(event: mentoring.MeetingLoggedV1, v: Vocabulary) -> list[_Draft]:
    meeting = v.activity("mentoring-meeting", event.meeting_id, type_=MEETING_TYPE)
    parents = (_programme(v, event.programme_id),)
    grouping = (v.activity("mentoring-pair", event.pair_id),)
    result = {"duration": _minutes(event.minutes)}
    pair = f"pair:{event.pair_id}"
    mentor = _Draft(event.mentor_id, MENTORED, meeting, parents, grouping, result, pair)
    return [mentor] + [_Draft(m, ATTENDED, meeting, parents, grouping, result, pair) for m in event.mentee_ids]


@_maps(mentoring.GoalAchievedV1)
def _goal(event: mentoring.GoalAchievedV1, v: Vocabulary) -> list[_Draft]:
    goal = v.activity("mentoring-goal", event.goal_id)
    parents = (_programme(v, event.programme_id),)
    grouping = (v.activity("mentoring-pair", event.pair_id),)
    done = {"completion": True, "success": True}
    return [_Draft(m, COMPLETED, goal, parents, grouping, done, f"pair:{event.pair_id}") for m in event.mentee_ids]


@_maps(mentoring.PairEndedV1)
def _pair_ended(event: mentoring.PairEndedV1, v: Vocabulary) -> list[_Draft]:
    if event.reason != "completed":
        return []  # left, rematched or closed: nothing completed
    programme = _programme(v, event.programme_id)
    grouping = (v.activity("mentoring-pair", event.pair_id),)
    members = list(event.member_ids)
    if event.mentor_id and event.mentor_id not in members:
        members.insert(0, event.mentor_id)
    drafts = []
    for person in members:
        result: Json = {"completion": True}
        if event.mentor_id:  # older events do not say who mentored
            role = "mentor" if person == event.mentor_id else "mentee"
            result["extensions"] = {v.extension("role"): role}
        drafts.append(_Draft(person, COMPLETED, programme, (), grouping, result, f"pair:{event.pair_id}"))
    return drafts


@_maps(mentoring.CommentPostedV1)
def _comment(event: mentoring.CommentPostedV1, v: Vocabulary) -> list[_Draft]:
    solution = v.activity("solution", event.solution_id)
    parents = (v.activity("task", event.task_id),)
    grouping = (v.activity("circle", event.circle_id),)
    if event.anonymous:
        # `author` is the pseudonym here: the real author travels on the restricted topic only.
        actor = v.pseudonym(event.task_id, event.author)
        return [_Draft(event.author, COMMENTED, solution, parents, grouping, actor=actor)]
    return [_Draft(event.author, COMMENTED, solution, parents, grouping)]


@_maps(mentoring.PracticalCheckRecordedV1)
def _practical_check(event: mentoring.PracticalCheckRecordedV1, v: Vocabulary) -> list[_Draft]:
    if not event.passed:
        return []
    task = v.activity("task", event.task_id, type_=ASSESSMENT_TYPE)
    grouping = (v.activity("circle", event.circle_id),)
    return [_Draft(event.person_id, PASSED, task, (), grouping, {"success": True})]


@_maps(mentoring.KnowledgeItemReviewedV1)
def _knowledge_reviewed(event: mentoring.KnowledgeItemReviewedV1, v: Vocabulary) -> list[_Draft]:
    item = v.activity("knowledge-item", event.item_id, {"und": event.title})
    return [
        _Draft(event.reviewer_id, REVIEWED, item, result={"extensions": {v.extension("item-type"): event.item_type}})
    ]


# ------------------------------------------------------------------------------------------ gamification


@_maps(gamification.BadgeAwardedV1)
def _badge(event: gamification.BadgeAwardedV1, v: Vocabulary) -> list[_Draft]:
    badge_id = f"{event.badge_id}/{event.scope_id}" if event.scope_id else event.badge_id
    badge = v.activity("badge", badge_id, _names(event.name_en, event.name_ru), BADGE_TYPE)
    return [_Draft(event.person_id, EARNED, badge)]


@_maps(gamification.PointsAwardedV1)
def _points(event: gamification.PointsAwardedV1, v: Vocabulary) -> list[_Draft]:
    if event.points <= 0:
        return []  # a correction: the LRS keeps what was earned, the ledger the balance
    rule = v.activity("points-rule", event.rule)
    grouping = (v.activity("circle", event.circle_id),) if event.circle_id else ()
    return [_Draft(event.person_id, EARNED, rule, (), grouping, {"score": {"raw": event.points}})]
