# ruff: noqa: RUF001 - Russian titles: Cyrillic letters are meant
"""Points rules as data, checked against the event catalogue, and the pure pricing of one event.

A `Rule` listens to one CloudEvents type of the catalogue (`shared.contracts`), holds when all its
`Condition`s hold on the event's data, and credits the person (or each person of a list) an event
field names. Limits make abuse not pay: a cap per person per rolling day (24 h) and week (7 days), a
cooldown between two awards of the same rule to the same person, and `not_own` (no award when the
acting person is the credited one). A reversal rule gives nothing of its own: it cancels the standing
entries of another rule whose subject (e.g. a comment id) equals a field of its event.

`RuleSet` is the versioned set an admin edits: every edit names the version it was read at (a stale
one is a `Conflict`, HTTP 409), bumps the set's and the rule's version, and records a
`RuleSetChanged`. Rules are never deleted, only deactivated, so a rule id never reuses a version and
an entry id is never reused either.

`price` turns one event into `Award`s. It decides caps and cooldowns itself from what the caller's
`history` answers, and derives every entry id from (rule id, rule version, event id, person), hashed:
a redelivered event prices to the same ids, so the append-only ledger can never award twice.

What an owner sees of an entry is the rule's static titles (never formatted with event data) and the
entry's time; `subject` is kept for reversals only and is never shown, since it may be the id of an
anonymous comment.

Plain Python: stdlib, `shared.errors` and `shared.contracts` (to read the catalogue) only.
"""

import hashlib
import json
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol, Union, get_args, get_origin

from shared.contracts import contract_for
from shared.errors import Conflict, Invalid, NotFound

Op = Literal["eq", "ne", "in", "not_in", "gte", "lte", "exists"]
OPS: tuple[str, ...] = get_args(Op)
Change = Literal["created", "edited", "deactivated"]

MIN_POINTS = 1
MAX_POINTS = 1000
MAX_CAP = 10_000  # awards per person in a day or a week: beyond this a cap caps nothing
MAX_COOLDOWN_MINUTES = 366 * 24 * 60  # a year
INT64 = 2**63  # a whole number outside -INT64..INT64-1 cannot be stored (BSON) nor held by a timedelta
MAX_TITLE_LENGTH = 120
SLUG = re.compile(r"^[a-z0-9]+(?:[-._][a-z0-9]+)*$")  # "helpful-comment", "enrolment.enrolled"
MAX_SLUG_LENGTH = 64
OWN_EVENTS_PREFIX = "com.owlery.gamification."  # points for awarding points would feed on themselves
ENTRY_ID_LENGTH = 32  # hex characters of sha256: ids never show the person they credit
RECALCULATION_RULE = "recalculation"
RING_HOLD_RULE = "ring-hold"
RING_RELEASE_RULE = "ring-release"
CORRECTION_RULES = frozenset({RECALCULATION_RULE, RING_HOLD_RULE, RING_RELEASE_RULE})
"""Entries the service writes itself (compensations, ring holds): never a rule's id, so none collides with them."""
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


# --------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Condition:
    """`field` `op` `value` on an event's data. A field absent or None satisfies only `ne`, `not_in`
    and `exists` False; `True` never equals 1 (booleans compare only with booleans)."""

    field: str
    op: str
    value: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.value, list | set | frozenset):  # kept as a tuple: a rule stays hashable
            object.__setattr__(self, "value", tuple(self.value))

    def holds(self, data: Mapping[str, Any]) -> bool:
        actual = data.get(self.field)
        present = actual is not None
        if self.op == "exists":
            return self.value is present
        if self.op == "eq":
            return present and _same(actual, self.value)
        if self.op == "ne":
            return not (present and _same(actual, self.value))
        if self.op == "in":
            return present and any(_same(actual, option) for option in self.value)
        if self.op == "not_in":
            return not (present and any(_same(actual, option) for option in self.value))
        if self.op in ("gte", "lte"):
            return present and _ordered(actual, self.op, self.value)
        return False


@dataclass(frozen=True)
class Reversal:
    """Cancel the standing entries of rule `rule_id` whose subject equals this event's `subject_field`."""

    rule_id: str
    subject_field: str


@dataclass(frozen=True)
class Rule:
    id: str
    event_type: str
    credits: str  # the event field naming who is credited: one person, or a list of them
    points: int  # 1..1000; 0 for a reversal rule, whose entries mirror the ones it cancels
    title_ru: str  # static text the owner sees; never formatted with the event's data
    title_en: str
    version: int = 1
    conditions: tuple[Condition, ...] = ()
    cap_per_day: int | None = None  # awards per person in any 24 hours
    cap_per_week: int | None = None  # awards per person in any 7 days
    cooldown_minutes: int | None = None  # least time between two awards to one person
    not_own: str | None = None  # the event field naming the actor: no award to the actor themselves
    subject_field: str | None = None  # the event field stored on entries as their subject
    reverses: Reversal | None = None
    active: bool = True

    @property
    def limited(self) -> bool:
        """Capped or cooled down: an award must be claimed against the person's others under this rule."""
        return self.reverses is None and bool(self.cap_per_day or self.cap_per_week or self.cooldown_minutes)

    @property
    def limits_window(self) -> timedelta:
        """How far back the limits look: a week for the caps, or the cooldown if longer."""
        return max(WEEK, timedelta(minutes=self.cooldown_minutes or 0))

    def holds(self, event_type: str, data: Mapping[str, Any]) -> bool:
        return self.active and event_type == self.event_type and all(c.holds(data) for c in self.conditions)

    def credited(self, data: Mapping[str, Any]) -> list[str]:
        """Who the event credits under this rule: each listed person once, the actor never when `not_own`."""
        named = data.get(self.credits)
        candidates = list(named) if isinstance(named, list | tuple) else [named]
        actor = data.get(self.not_own) if self.not_own else None
        persons: list[str] = []
        for candidate in candidates:
            if isinstance(candidate, str) and candidate and candidate != actor and candidate not in persons:
                persons.append(candidate)
        return persons

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "event_type": self.event_type,
            "credits": self.credits,
            "points": self.points,
            "title_ru": self.title_ru,
            "title_en": self.title_en,
            "conditions": [
                {"field": c.field, "op": c.op, "value": list(c.value) if isinstance(c.value, tuple) else c.value}
                for c in self.conditions
            ],
            "cap_per_day": self.cap_per_day,
            "cap_per_week": self.cap_per_week,
            "cooldown_minutes": self.cooldown_minutes,
            "not_own": self.not_own,
            "subject_field": self.subject_field,
            "reverses": (
                None
                if self.reverses is None
                else {"rule_id": self.reverses.rule_id, "subject_field": self.reverses.subject_field}
            ),
            "active": self.active,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "Rule":
        reverses = state.get("reverses")
        return cls(
            id=state["id"],
            version=state["version"],
            event_type=state["event_type"],
            credits=state["credits"],
            points=state["points"],
            title_ru=state["title_ru"],
            title_en=state["title_en"],
            conditions=tuple(Condition(c["field"], c["op"], c.get("value")) for c in state.get("conditions", ())),
            cap_per_day=state.get("cap_per_day"),
            cap_per_week=state.get("cap_per_week"),
            cooldown_minutes=state.get("cooldown_minutes"),
            not_own=state.get("not_own"),
            subject_field=state.get("subject_field"),
            reverses=None if reverses is None else Reversal(reverses["rule_id"], reverses["subject_field"]),
            active=state.get("active", True),
        )


def validate_rule(rule: Rule) -> None:
    """Check one rule against the event catalogue; `Invalid` names the first field at fault.

    Checks that need the other rules (what a reversal cancels) are `RuleSet.edit`'s.
    """
    if not SLUG.match(rule.id) or len(rule.id) > MAX_SLUG_LENGTH:
        raise Invalid(
            f"a rule id is lower-case letters and digits joined by single - . or _, at most {MAX_SLUG_LENGTH} long",
            field="id",
        )
    if rule.id in CORRECTION_RULES:
        raise Invalid(f"{rule.id!r} names the service's own corrections; choose another id", field="id")
    if not _is_int(rule.version) or rule.version < 1:
        raise Invalid("a rule version is a whole number from 1", field="version")
    contract = contract_for(rule.event_type)
    if contract is None:
        raise Invalid(f"no event of type {rule.event_type!r} is in the catalogue", field="event_type")
    if rule.event_type.startswith(OWN_EVENTS_PREFIX):
        raise Invalid("points cannot be earned by gamification's own events", field="event_type")
    fields = {name: info.annotation for name, info in contract.model_fields.items()}

    for index, condition in enumerate(rule.conditions):
        _validate_condition(rule.event_type, fields, index, condition)

    _require_field(rule.event_type, fields, "credits", rule.credits, _names_people)
    if rule.not_own is not None:
        _require_field(rule.event_type, fields, "not_own", rule.not_own, _names_one)
    if rule.subject_field is not None:
        _require_field(rule.event_type, fields, "subject_field", rule.subject_field, _names_one)

    if rule.reverses is not None:
        _require_field(rule.event_type, fields, "reverses.subject_field", rule.reverses.subject_field, _names_one)
        if rule.reverses.rule_id == rule.id:
            raise Invalid("a rule cannot reverse itself", field="reverses.rule_id")
        if rule.points != 0:
            raise Invalid("a reversal gives back exactly what it cancels: its points are 0", field="points")
        for limit in ("cap_per_day", "cap_per_week", "cooldown_minutes"):
            if getattr(rule, limit) is not None:
                raise Invalid("a reversal is never capped nor cooled down", field=limit)
    elif not _is_int(rule.points) or not MIN_POINTS <= rule.points <= MAX_POINTS:
        raise Invalid(f"points are a whole number from {MIN_POINTS} to {MAX_POINTS}", field="points")

    limits = (("cap_per_day", MAX_CAP), ("cap_per_week", MAX_CAP), ("cooldown_minutes", MAX_COOLDOWN_MINUTES))
    for limit, most in limits:
        value = getattr(rule, limit)
        if value is not None and (not _is_int(value) or not 1 <= value <= most):
            raise Invalid(f"{limit} is a whole number from 1 to {most}, or none", field=limit)

    for title in ("title_ru", "title_en"):
        text = getattr(rule, title)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TITLE_LENGTH:
            raise Invalid(f"a title has 1 to {MAX_TITLE_LENGTH} characters", field=title)


def _validate_condition(event_type: str, fields: Mapping[str, Any], index: int, condition: Condition) -> None:
    where = f"conditions[{index}]"
    if condition.field not in fields:
        raise Invalid(f"event {event_type} has no field {condition.field!r}", field=f"{where}.field")
    if condition.op not in OPS:
        raise Invalid(f"op {condition.op!r} is not one of {', '.join(OPS)}", field=f"{where}.op")
    annotation = fields[condition.field]
    value = condition.value
    if not _storable(value):
        raise Invalid(f"a whole number in a condition is from {-INT64} to {INT64 - 1}", field=f"{where}.value")
    if condition.op == "exists":
        if not isinstance(value, bool):
            raise Invalid("exists takes true or false", field=f"{where}.value")
    elif condition.op in ("in", "not_in"):
        if not isinstance(value, tuple) or not value:
            raise Invalid(f"{condition.op} takes a non-empty list", field=f"{where}.value")
        for option in value:
            if not _accepts(annotation, option):
                raise Invalid(f"field {condition.field!r} never holds {option!r}", field=f"{where}.value")
    elif condition.op in ("gte", "lte"):
        if not _orderable(annotation):
            raise Invalid(f"field {condition.field!r} cannot be compared by size", field=f"{where}.op")
        if value is None or not _accepts(annotation, value):
            raise Invalid(f"field {condition.field!r} never holds {value!r}", field=f"{where}.value")
    elif not _accepts(annotation, value):
        raise Invalid(f"field {condition.field!r} never holds {value!r}", field=f"{where}.value")


def _require_field(event_type: str, fields: Mapping[str, Any], role: str, name: str, fits: Any) -> None:
    if name not in fields:
        raise Invalid(f"event {event_type} has no field {name!r}", field=role)
    if not fits(fields[name]):
        raise Invalid(f"field {name!r} of {event_type} does not name a person or item", field=role)


# ---------------------------------------------------------------------------------- rule set


@dataclass(frozen=True)
class RuleSetChanged:
    version: int
    rule_id: str
    rule_version: int
    change: Change


@dataclass(frozen=True)
class RuleSet:
    """The rules in force, by id (deactivated ones kept, so their versions are never reused)."""

    version: int = 0
    rules: Mapping[str, Rule] = field(default_factory=dict)
    events: list[RuleSetChanged] = field(default_factory=list, compare=False)

    def for_event(self, event_type: str) -> tuple[Rule, ...]:
        return tuple(rule for _, rule in sorted(self.rules.items()) if rule.active and rule.event_type == event_type)

    def edit(self, expected_version: int, rule: Rule) -> "RuleSet":
        """Create or replace a rule (and activate it): a new set, one version up, the rule one version up."""
        self._expect(expected_version)
        previous = self.rules.get(rule.id)
        stored = replace(rule, version=1 if previous is None else previous.version + 1, active=True)
        validate_rule(stored)
        self._validate_links(stored)
        return self._with(stored, "created" if previous is None else "edited")

    def deactivate(self, expected_version: int, rule_id: str) -> "RuleSet":
        """Stop a rule pricing new events; its past entries stand (and can still be reversed)."""
        self._expect(expected_version)
        current = self.rules.get(rule_id)
        if current is None:
            raise NotFound(f"no rule {rule_id!r}", rule_id=rule_id)
        if not current.active:
            raise Conflict(f"rule {rule_id!r} is already inactive", rule_id=rule_id)
        return self._with(replace(current, version=current.version + 1, active=False), "deactivated")

    def _expect(self, expected_version: int) -> None:
        if expected_version != self.version:
            raise Conflict(
                f"this rule set changed since you read it: version {self.version}",
                version=self.version,
                expected_version=expected_version,
            )

    def _validate_links(self, rule: Rule) -> None:
        """A reversal must find what it cancels by subject; a rule others reverse must keep its subject."""
        if rule.reverses is not None:
            target = self.rules.get(rule.reverses.rule_id)
            if target is None:
                raise Invalid(f"no rule {rule.reverses.rule_id!r} to reverse", field="reverses.rule_id")
            if target.subject_field is None and target.reverses is None:
                raise Invalid(
                    f"rule {target.id!r} stores no subject on its entries: nothing could be found to reverse",
                    field="reverses.rule_id",
                )
        if rule.subject_field is None and rule.reverses is None:
            for other in self.rules.values():
                if other.id != rule.id and other.reverses is not None and other.reverses.rule_id == rule.id:
                    raise Invalid(
                        f"rule {other.id!r} reverses this rule's entries by their subject", field="subject_field"
                    )

    def _with(self, rule: Rule, change: Change) -> "RuleSet":
        version = self.version + 1
        return RuleSet(
            version=version,
            rules={**self.rules, rule.id: rule},
            events=[*self.events, RuleSetChanged(version, rule.id, rule.version, change)],
        )

    def to_state(self) -> dict[str, Any]:
        # Not "version": the versioned store keeps its own version under that name in the head document.
        return {"ruleset_version": self.version, "rules": [rule.to_state() for _, rule in sorted(self.rules.items())]}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "RuleSet":
        rules = (Rule.from_state(item) for item in state["rules"])
        return cls(version=state["ruleset_version"], rules={rule.id: rule for rule in rules})


# ------------------------------------------------------------------------------------ pricing


@dataclass(frozen=True)
class PastAwards:
    count: int
    latest: datetime | None


class AwardHistory(Protocol):
    """The person's awards (not reversals) under rule `rule_id`, at or after `since`: how many, and the latest."""

    def __call__(self, rule_id: str, person_id: str, since: datetime) -> PastAwards: ...


@dataclass(frozen=True)
class PastEntry:
    entry_id: str
    points: int
    reversed: bool  # a reversal of it stands (one that was not itself reversed)


class EntriesOf(Protocol):
    """The person's entries under rule `rule_id` whose subject is `subject`."""

    def __call__(self, rule_id: str, subject: str, person_id: str) -> Iterable[PastEntry]: ...


@dataclass(frozen=True)
class Award:
    entry_id: str
    person_id: str
    points: int
    rule_id: str
    rule_version: int
    cause_event_id: str
    cause_event_type: str
    subject: str | None
    reverses_entry_id: str | None
    at: datetime


def entry_id(rule_id: str, rule_version: int, event_id: str, person_id: str, reverses: str | None = None) -> str:
    """Stable and opaque: the same (rule version, event, person[, cancelled entry]) always gives the same id."""
    key = json.dumps(["entry", rule_id, rule_version, event_id, person_id, reverses])
    return hashlib.sha256(key.encode()).hexdigest()[:ENTRY_ID_LENGTH]


def price(
    event_id: str,
    event_type: str,
    data: Mapping[str, Any],
    ruleset: RuleSet,
    history: AwardHistory,
    now: datetime,
    entries_of: EntriesOf,
) -> list[Award]:
    """The awards one event earns under the rule set (none when no rule holds or every limit is reached).

    `now` is when the deed happened (the event's time), so a replay prices the same way.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    awards: list[Award] = []
    for rule in ruleset.for_event(event_type):
        if not rule.holds(event_type, data):
            continue
        for person in rule.credited(data):
            if rule.reverses is not None:
                awards.extend(_reversals(rule, rule.reverses, event_id, data, person, now, entries_of))
            elif within_limits(rule, person, history, now):
                subject = data.get(rule.subject_field) if rule.subject_field else None
                awards.append(
                    Award(
                        entry_id=entry_id(rule.id, rule.version, event_id, person),
                        person_id=person,
                        points=rule.points,
                        rule_id=rule.id,
                        rule_version=rule.version,
                        cause_event_id=event_id,
                        cause_event_type=event_type,
                        subject=None if subject is None else str(subject),
                        reverses_entry_id=None,
                        at=now,
                    )
                )
    return awards


def within_limits(rule: Rule, person: str, history: AwardHistory, now: datetime) -> bool:
    """True if one more award of `rule` to `person` at `now` keeps within its cooldown and caps."""
    if rule.cooldown_minutes is not None:
        cooldown = timedelta(minutes=rule.cooldown_minutes)
        latest = history(rule.id, person, now - cooldown).latest
        if latest is not None and latest > now - cooldown:
            return False
    for cap, window in ((rule.cap_per_day, DAY), (rule.cap_per_week, WEEK)):
        if cap is not None and history(rule.id, person, now - window).count >= cap:
            return False
    return True


def _reversals(
    rule: Rule,
    reversal: Reversal,
    event_id: str,
    data: Mapping[str, Any],
    person: str,
    now: datetime,
    entries_of: EntriesOf,
) -> list[Award]:
    subject = data.get(reversal.subject_field)
    if subject is None or subject == "":
        return []
    awards: list[Award] = []
    seen: set[str] = set()
    for entry in entries_of(reversal.rule_id, str(subject), person):
        if entry.reversed or entry.points == 0 or entry.entry_id in seen:
            continue
        seen.add(entry.entry_id)
        awards.append(
            Award(
                entry_id=entry_id(rule.id, rule.version, event_id, person, reverses=entry.entry_id),
                person_id=person,
                points=-entry.points,
                rule_id=rule.id,
                rule_version=rule.version,
                cause_event_id=event_id,
                cause_event_type=rule.event_type,
                subject=str(subject),
                reverses_entry_id=entry.entry_id,
                at=now,
            )
        )
    return awards


# ------------------------------------------------------------------------ reading field types


def _is_int(value: Any) -> bool:
    """A whole number (not a bool) small enough to store: a bigger one would fail the write, not the request."""
    return isinstance(value, int) and not isinstance(value, bool) and -INT64 <= value < INT64


def _storable(value: Any) -> bool:
    """No whole number in `value`, however nested, is too big to store."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _is_int(value)
    if isinstance(value, list | tuple):
        return all(_storable(item) for item in value)
    if isinstance(value, dict):
        return all(_storable(item) for item in value.values())
    return True


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    return bool(actual == expected)


def _ordered(actual: Any, op: str, bound: Any) -> bool:
    if isinstance(actual, bool) or isinstance(bound, bool):
        return False
    try:
        return bool(actual >= bound) if op == "gte" else bool(actual <= bound)
    except TypeError:
        return False


def _arms(annotation: Any) -> tuple[Any, ...]:
    """The alternatives of `X | Y` (or `Optional[X]`), or the annotation alone."""
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _accepts(annotation: Any, value: Any) -> bool:
    """Could an event's field of this type hold `value`? Types not read here (dates, lists) accept anything."""
    for arm in _arms(annotation):
        if arm is type(None):
            if value is None:
                return True
        elif get_origin(arm) is Literal:
            if any(_same(value, option) for option in get_args(arm)):
                return True
        elif arm is bool:
            if isinstance(value, bool):
                return True
        elif arm is int:
            if _is_int(value):
                return True
        elif arm is float:
            if _is_int(value) or isinstance(value, float):
                return True
        elif arm is str:
            if isinstance(value, str):
                return True
        else:
            return True
    return False


def _orderable(annotation: Any) -> bool:
    return any(arm in (int, float, str, date, datetime) for arm in _arms(annotation))


def _names_one(annotation: Any) -> bool:
    return str in _arms(annotation)


def _names_people(annotation: Any) -> bool:
    return any(arm is str or (get_origin(arm) is list and get_args(arm) == (str,)) for arm in _arms(annotation))


# ---------------------------------------------------------------------------- starting rules

COMPLETION_DECIDED = "com.owlery.enrolment.completion.decided.v1"
HOMEWORK_REVIEWED = "com.owlery.enrolment.homework.reviewed.v1"
SESSION_FEEDBACK_GIVEN = "com.owlery.enrolment.session.feedback_given.v1"
COHORT_FINISHED = "com.owlery.enrolment.cohort.finished.v1"
MEETING_LOGGED = "com.owlery.mentoring.meeting.logged.v1"
GOAL_ACHIEVED = "com.owlery.mentoring.goal.achieved.v1"
PROGRAMME_FEEDBACK_GIVEN = "com.owlery.mentoring.feedback.given.v1"
SOLUTION_PUBLISHED = "com.owlery.mentoring.solution.published.v1"
HELPFUL_COMMENT_CREDIT = "com.owlery.mentoring.comment.helpful_credit.v1"
HELPFUL_CREDITS_REVOKED = "com.owlery.mentoring.comment.credits_revoked.v1"
HELPFUL_CREDITS_RESTORED = "com.owlery.mentoring.comment.credits_restored.v1"
SOLUTION_PROMOTED = "com.owlery.mentoring.solution.promoted.v1"
PRACTICAL_CHECK_RECORDED = "com.owlery.mentoring.practical_check.recorded.v1"
MASTER_CLASS_HELD = "com.owlery.enrolment.master_class.held.v1"
CONFERENCE_PROGRAMME_PUBLISHED = "com.owlery.enrolment.conference.programme_published.v1"
MASTER_CLASS_FEEDBACK_GIVEN = "com.owlery.enrolment.master_class.feedback_given.v1"
INTERNSHIP_COMPLETED = "com.owlery.mentoring.internship.completed.v1"
INTERNSHIP_REPORT_PUBLISHED = "com.owlery.mentoring.internship.report_published.v1"
KNOWLEDGE_ITEM_REVIEWED = "com.owlery.mentoring.knowledge.item_reviewed.v1"
BRAINSTORM_DECIDED = "com.owlery.mentoring.brainstorm.decided.v1"
MIN_MEETING_MINUTES = 15  # a two-minute "meeting" logged for points earns none

# "Trainer ran a session" has no rule: no event says a session took place (attendance is marked
# once per participant, so crediting it would pay the trainer per head and per correction).
# Order matters: a reversal comes after the rule it cancels.
STARTING_RULES: tuple[Rule, ...] = (
    # Taking part at all: the rules Owlery started with, kept under their first ids.
    Rule(
        "enrolment.enrolled",
        "com.owlery.enrolment.application.enrolled.v1",
        credits="person_id",
        points=10,
        title_ru="Зачисление на курс",
        title_en="Enrolled in a course",
    ),
    Rule(
        "mentoring.mentor_registered",
        "com.owlery.mentoring.participant.registered.v1",
        credits="person_id",
        points=15,
        conditions=(Condition("role", "eq", "mentor"),),
        title_ru="Ментор в программе менторства",
        title_en="Became a mentor",
    ),
    Rule(
        "mentoring.mentee_registered",
        "com.owlery.mentoring.participant.registered.v1",
        credits="person_id",
        points=5,
        conditions=(Condition("role", "eq", "mentee"),),
        title_ru="Участие в программе менторства",
        title_en="Joined a mentoring programme",
    ),
    Rule(
        "enrolment-completed",
        COMPLETION_DECIDED,
        credits="person_id",
        points=50,
        conditions=(Condition("completed", "eq", True),),
        title_ru="Курс пройден",
        title_en="Course completed",
    ),
    Rule(
        "homework-accepted",
        HOMEWORK_REVIEWED,
        credits="person_id",
        points=10,
        conditions=(Condition("outcome", "eq", "accepted"),),
        not_own="trainer_id",
        title_ru="Домашнее задание принято",
        title_en="Homework accepted",
    ),
    Rule(
        "session-feedback-given",
        SESSION_FEEDBACK_GIVEN,
        credits="person_id",
        points=2,
        title_ru="Отзыв о занятии",
        title_en="Session feedback given",
    ),
    Rule(
        "course-completed-as-trainer",
        COHORT_FINISHED,
        credits="trainer_id",
        points=100,
        conditions=(Condition("participants", "gte", 1),),
        title_ru="Поток курса проведён",
        title_en="Course run to completion as trainer",
    ),
    Rule(
        "mentoring-meeting-mentor",
        MEETING_LOGGED,
        credits="mentor_id",
        points=10,
        conditions=(Condition("minutes", "gte", MIN_MEETING_MINUTES),),
        cap_per_week=3,
        title_ru="Встреча с подопечным",
        title_en="Mentoring meeting held (mentor)",
    ),
    Rule(
        "mentoring-meeting-mentee",
        MEETING_LOGGED,
        credits="mentee_ids",
        points=5,
        conditions=(Condition("minutes", "gte", MIN_MEETING_MINUTES),),
        cap_per_week=3,
        title_ru="Встреча с наставником",
        title_en="Mentoring meeting held (mentee)",
    ),
    Rule(
        "goal-achieved-mentee",
        GOAL_ACHIEVED,
        credits="mentee_ids",
        points=30,
        title_ru="Цель достигнута",
        title_en="Goal achieved",
    ),
    Rule(
        "goal-achieved-mentor",
        GOAL_ACHIEVED,
        credits="mentor_id",
        points=20,
        title_ru="Подопечный достиг цели",
        title_en="Your mentee achieved a goal",
    ),
    Rule(
        "programme-finished-with-feedback",
        PROGRAMME_FEEDBACK_GIVEN,
        credits="person_id",
        points=20,
        title_ru="Программа завершена с отзывом",
        title_en="Programme finished with feedback",
    ),
    Rule(
        "solution-published",
        SOLUTION_PUBLISHED,
        credits="author_id",
        points=10,
        subject_field="solution_id",
        cap_per_day=5,
        title_ru="Решение задачи опубликовано",
        title_en="Task solution published",
    ),
    Rule(
        "helpful-comment",
        HELPFUL_COMMENT_CREDIT,
        credits="author_id",
        points=5,
        not_own="marked_by",
        subject_field="comment_id",
        cap_per_day=10,
        title_ru="Ваш комментарий отметили полезным",
        title_en="A comment of yours was marked helpful",
    ),
    Rule(
        "helpful-comment-revoked",
        HELPFUL_CREDITS_REVOKED,
        credits="author_id",
        points=0,
        reverses=Reversal("helpful-comment", "comment_id"),
        title_ru="Комментарий скрыт: баллы за него отменены",
        title_en="A comment was hidden: its helpful points are withdrawn",
    ),
    Rule(
        "helpful-comment-restored",
        HELPFUL_CREDITS_RESTORED,
        credits="author_id",
        points=0,
        reverses=Reversal("helpful-comment-revoked", "comment_id"),
        title_ru="Комментарий восстановлен: баллы за него возвращены",
        title_en="A comment was restored: its helpful points stand again",
    ),
    Rule(
        "solution-promoted",
        SOLUTION_PROMOTED,
        credits="author_id",
        points=25,
        not_own="promoted_by",
        subject_field="solution_id",
        title_ru="Решение добавлено в библиотеку",
        title_en="Solution promoted to the library",
    ),
    Rule(
        "practical-check-passed",
        PRACTICAL_CHECK_RECORDED,
        credits="person_id",
        points=30,
        conditions=(Condition("passed", "eq", True),),
        not_own="reviewer_id",
        title_ru="Практическая проверка пройдена",
        title_en="Practical check passed",
    ),
    # Master classes and conferences (issue 10): the host once it is held, each speaker once the programme is
    # published, attendees for their feedback.
    Rule(
        "master-class-held",
        MASTER_CLASS_HELD,
        credits="host_id",
        points=40,
        title_ru="Проведён мастер-класс",
        title_en="Ran a master class",
    ),
    Rule(
        "conference-speaker",
        CONFERENCE_PROGRAMME_PUBLISHED,
        credits="speaker_ids",
        points=60,
        title_ru="Доклад на внутренней конференции",
        title_en="Speaking at an internal conference",
    ),
    Rule(
        "master-class-feedback",
        MASTER_CLASS_FEEDBACK_GIVEN,
        credits="person_id",
        points=2,
        not_own="host_id",
        title_ru="Отзыв о мастер-классе",
        title_en="Feedback on a master class",
    ),
    # Exchange internships, the knowledge base and brainstorms (issue 10): the host once both sides closed the
    # internship, the guest for a report others can read, an item's owner once someone else vouched for it,
    # and whoever facilitated a brainstorm to a decision with ideas enough to call it one.
    Rule(
        "intern-hosted",
        INTERNSHIP_COMPLETED,
        credits="host_id",
        points=50,
        not_own="guest_id",
        title_ru="Принят стажёр по обмену",
        title_en="Hosted an exchange intern",
    ),
    Rule(
        "internship-report-published",
        INTERNSHIP_REPORT_PUBLISHED,
        credits="guest_id",
        points=20,
        title_ru="Отчёт о стажировке в базе знаний",
        title_en="Internship report in the knowledge base",
    ),
    Rule(
        "knowledge-item-reviewed",
        KNOWLEDGE_ITEM_REVIEWED,
        credits="owner_id",
        points=30,
        conditions=(Condition("first_independent_review", "eq", True),),
        not_own="reviewer_id",
        subject_field="item_id",
        title_ru="Материал базы знаний прошёл проверку",
        title_en="A knowledge-base item of yours was reviewed",
    ),
    Rule(
        "brainstorm-facilitated",
        BRAINSTORM_DECIDED,
        credits="facilitator_id",
        points=15,
        conditions=(Condition("ideas", "gte", 3),),
        title_ru="Мозговой штурм доведён до решения",
        title_en="Facilitated a brainstorm to a decision",
    ),
)


def starting_rule_set() -> RuleSet:
    """The seeded set, built by edits like any other: each starting rule is validated and recorded as created."""
    ruleset = RuleSet()
    for rule in STARTING_RULES:
        ruleset = ruleset.edit(ruleset.version, rule)
    return ruleset
