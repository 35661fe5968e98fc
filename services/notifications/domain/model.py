"""In-app inbox messages: what to tell whom, kept as a template and its parameters.

A message is rendered only when it is read, in the reader's language at that moment: the event
that causes a message (points awarded, say) may not carry a language, and may arrive before the
event that does. A message's id derives from the event that caused it and its template, so the
same event never puts a second copy of a message in anyone's inbox.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, TypeGuard

from notifications.domain.routing import Category, Priority

Locale = Literal["ru", "en"]
LOCALES: tuple[Locale, ...] = ("ru", "en")
DEFAULT_LOCALE: Locale = "en"
"""The language of a person whose language is not known yet, and of any missing translation."""

Role = Literal["mentor", "mentee"]
Param = str | int | list[str]


def is_locale(value: object) -> TypeGuard[Locale]:
    return value in LOCALES


class Template(StrEnum):
    """The kinds of message; each has a text per language."""

    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    SEAT_OFFERED = "seat_offered"
    WITHDRAWN = "withdrawn"
    SESSION_REMINDER = "session_reminder"
    SESSION_RESCHEDULED = "session_rescheduled"
    HOMEWORK_DUE = "homework_due"
    POINTS_AWARDED = "points_awarded"
    BADGE_AWARDED = "badge_awarded"
    MENTORING_REGISTERED = "mentoring_registered"
    PAIR_FORMED = "pair_formed"
    MEETING_LOGGED = "meeting_logged"
    PAIR_AT_RISK = "pair_at_risk"
    CONCERN_RAISED = "concern_raised"
    COFFEE_PAIR = "coffee_pair"
    AUTHOR_REVEALED = "author_revealed"
    MASTER_CLASS_REGISTERED = "master_class_registered"
    MASTER_CLASS_WAITLISTED = "master_class_waitlisted"
    MASTER_CLASS_PROMOTED = "master_class_promoted"
    KNOWLEDGE_ITEM_STALE = "knowledge_item_stale"
    KNOWLEDGE_ITEM_REVIEWED = "knowledge_item_reviewed"
    BRAINSTORM_DECIDED = "brainstorm_decided"
    INTERNSHIP_APPLIED = "internship_applied"
    INTERNSHIP_APPROVED = "internship_approved"
    INTERNSHIP_DECLINED = "internship_declined"
    INTERNSHIP_GOALS_AGREED = "internship_goals_agreed"
    INTERNSHIP_COMPLETED = "internship_completed"
    INTERNSHIP_REPORT_PUBLISHED = "internship_report_published"

    @property
    def category(self) -> Category:
        """The category a message of this kind belongs to unless its route says otherwise."""
        return DEFAULT_CATEGORIES[self]


DEFAULT_CATEGORIES: dict[Template, Category] = {
    Template.ENROLLED: Category.ENROLMENT,
    Template.WAITLISTED: Category.WAITLIST,
    Template.SEAT_OFFERED: Category.WAITLIST,
    Template.WITHDRAWN: Category.ENROLMENT,
    Template.SESSION_REMINDER: Category.SESSION_REMINDER,
    Template.SESSION_RESCHEDULED: Category.ENROLMENT,
    Template.HOMEWORK_DUE: Category.HOMEWORK,
    Template.POINTS_AWARDED: Category.ACHIEVEMENTS,
    Template.BADGE_AWARDED: Category.ACHIEVEMENTS,
    Template.MENTORING_REGISTERED: Category.MENTORING,
    Template.PAIR_FORMED: Category.MENTORING,
    Template.MEETING_LOGGED: Category.MENTORING,
    Template.PAIR_AT_RISK: Category.CURATOR_ALERT,
    Template.CONCERN_RAISED: Category.CURATOR_ALERT,
    Template.COFFEE_PAIR: Category.PEER_LEARNING,
    Template.AUTHOR_REVEALED: Category.PRIVACY,
    Template.MASTER_CLASS_REGISTERED: Category.ENROLMENT,
    Template.MASTER_CLASS_WAITLISTED: Category.WAITLIST,
    Template.MASTER_CLASS_PROMOTED: Category.ENROLMENT,
    Template.KNOWLEDGE_ITEM_STALE: Category.PEER_LEARNING,
    Template.KNOWLEDGE_ITEM_REVIEWED: Category.PEER_LEARNING,
    Template.BRAINSTORM_DECIDED: Category.PEER_LEARNING,
    Template.INTERNSHIP_APPLIED: Category.MENTORING,
    Template.INTERNSHIP_APPROVED: Category.MENTORING,
    Template.INTERNSHIP_DECLINED: Category.MENTORING,
    Template.INTERNSHIP_GOALS_AGREED: Category.MENTORING,
    Template.INTERNSHIP_COMPLETED: Category.MENTORING,
    Template.INTERNSHIP_REPORT_PUBLISHED: Category.MENTORING,
}

INTERNSHIP_SIDES = frozenset({Template.INTERNSHIP_APPROVED, Template.INTERNSHIP_COMPLETED})
"""Internship messages that read differently for the guest and for the host."""


@dataclass(frozen=True)
class Notice:
    """What to tell one person, before it is rendered in any language."""

    person_id: str
    template: Template
    params: Mapping[str, Param]
    category: Category | None = None
    """The route's category; None: the template's own."""
    priority: Priority = Priority.NORMAL

    @property
    def category_or_default(self) -> Category:
        return self.category or self.template.category


def enrolled(person_id: str, course_title: str) -> Notice:
    return Notice(person_id, Template.ENROLLED, {"course_title": course_title})


def waitlisted(person_id: str, course_title: str, position: int) -> Notice:
    return Notice(person_id, Template.WAITLISTED, {"course_title": course_title, "position": position})


def points_awarded(person_id: str, points: int, rule: str) -> Notice:
    return Notice(person_id, Template.POINTS_AWARDED, {"points": points, "rule": rule})


def mentoring_registered(person_id: str, programme_title: str, role: Role) -> Notice:
    return Notice(person_id, Template.MENTORING_REGISTERED, {"programme_title": programme_title, "role": role})


def pair_formed(person_id: str, programme_title: str, role: Role, partners: int) -> Notice:
    """`partners`: how many people they are paired with (a mentor of a group has several)."""
    params: dict[str, Param] = {"programme_title": programme_title, "role": role, "partners": partners}
    return Notice(person_id, Template.PAIR_FORMED, params)


def pair_at_risk(curator_id: str, reasons: list[str]) -> Notice:
    return Notice(curator_id, Template.PAIR_AT_RISK, {"reasons": ",".join(reasons)})


def concern_raised(curator_id: str) -> Notice:
    """Nothing about who or what: a concern is read in mentoring, by its curators."""
    return Notice(curator_id, Template.CONCERN_RAISED, {})


def coffee_pair(person_id: str, partner_id: str) -> Notice:
    return Notice(person_id, Template.COFFEE_PAIR, {"partner_id": partner_id})


def author_revealed(author_id: str) -> Notice:
    """The author of an anonymous comment learns a moderator revealed them (not to whom else: nobody)."""
    return Notice(author_id, Template.AUTHOR_REVEALED, {})


def message_id(cause_event_id: str, template: Template) -> str:
    """One message per causing event and template, however often the event is delivered."""
    return f"{cause_event_id}:{template.value}"


@dataclass(frozen=True)
class InboxMessage:
    id: str
    person_id: str
    template: Template
    params: Mapping[str, Param]
    cause_event_id: str
    created_at: datetime
    category: Category
    read: bool = False

    @classmethod
    def caused_by(cls, cause_event_id: str, notice: Notice, created_at: datetime) -> "InboxMessage":
        return cls(
            id=message_id(cause_event_id, notice.template),
            person_id=notice.person_id,
            template=notice.template,
            params=dict(notice.params),
            cause_event_id=cause_event_id,
            created_at=created_at,
            category=notice.category_or_default,
        )


def personal_params(template: Template, data: Mapping[str, object], recipient: str) -> dict[str, Param]:
    """What a message shows that differs between its recipients (a mentor and their mentees, coffee partners)."""
    if template is Template.PAIR_FORMED:
        mentees = data.get("mentee_ids")
        count = len(mentees) if isinstance(mentees, list) else 1
        if recipient == data.get("mentor_id"):
            return {"role": "mentor", "partners": count}
        return {"role": "mentee", "partners": 1}
    if template is Template.COFFEE_PAIR:
        people = data.get("person_ids")
        partners = [person for person in people if person != recipient] if isinstance(people, list) else []
        return {"partner_id": str(partners[0]) if partners else ""}
    if template in INTERNSHIP_SIDES:
        return {"side": "guest" if recipient == data.get("guest_id") else "host"}
    if template is Template.PAIR_AT_RISK:
        reasons = data.get("reasons")
        return {"reasons": ",".join(str(r) for r in reasons) if isinstance(reasons, list) else str(reasons or "")}
    return {}
