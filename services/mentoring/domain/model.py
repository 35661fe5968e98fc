"""The programme aggregate: a mentoring programme and the people registered in it, one role each.

The programme is the consistency boundary for registrations: "is this person already in?" needs
every participant of the programme, so two registrations racing on one programme are two writers
of one aggregate, and the version check in the repository makes the loser re-read and decide again.
"""

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from mentoring.domain.events import DomainEvent, ParticipantRegistered, ProgrammeCreated
from shared.errors import Conflict, Invalid

LOCALES = ("ru", "en")
FORMER_EMPLOYEE_PREFIX = "former-employee-"

E = TypeVar("E", bound=StrEnum)


def former_employee_id() -> str:
    """A fresh stand-in for an erased person: random, so nobody can recompute it from a known person id."""
    return FORMER_EMPLOYEE_PREFIX + secrets.token_hex(6)


class ProgrammeKind(StrEnum):
    CLASSIC = "classic"  # a senior mentors a junior
    REVERSE = "reverse"  # a junior mentors a senior (e.g. in new tools)
    PEER = "peer"  # colleagues of one level mentor each other


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class AlreadyRegistered(Conflict):
    """The person is already registered in this programme; the existing registration stands."""


@dataclass
class Participant:
    person_id: str
    role: Role
    locale: str | None  # None once the person was erased: a former employee has no language preference


@dataclass
class Programme:
    id: str
    title: str
    kind: ProgrammeKind
    participants: dict[str, Participant] = field(default_factory=dict)  # by person id, in registration order
    events: list[DomainEvent] = field(default_factory=list, compare=False)

    @classmethod
    def create(cls, programme_id: str, title: str, kind: str) -> "Programme":
        if not title.strip():
            raise Invalid("a programme needs a title", field="title")
        programme = cls(id=programme_id, title=title.strip(), kind=_parse(ProgrammeKind, kind, "kind"))
        programme.events.append(ProgrammeCreated(programme.id, programme.title, programme.kind.value))
        return programme

    def register(self, person_id: str, role: str, locale: str) -> Participant:
        if not person_id.strip():
            raise Invalid("a participant needs a person id", field="person_id")
        if person_id.startswith(FORMER_EMPLOYEE_PREFIX):
            raise Invalid("former employees cannot register", field="person_id")
        if locale not in LOCALES:
            raise Invalid(f"locale must be one of {', '.join(LOCALES)}", field="locale")
        parsed_role = _parse(Role, role, "role")
        existing = self.participants.get(person_id)
        if existing is not None:
            raise AlreadyRegistered(
                "this person is already registered in this programme",
                person_id=person_id,
                role=existing.role.value,
            )
        participant = Participant(person_id, parsed_role, locale)
        self.participants[person_id] = participant
        self.events.append(ParticipantRegistered(self.id, self.title, person_id, participant.role.value, locale))
        return participant

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place; False if the person is not here (erased already).

        The role and the place in registration order stay, so the counts do not move; the locale
        goes with the person. No event is recorded: erasure is not news for other services (they
        follow the directory themselves), and an event would only carry the person's trace to Kafka.
        """
        if person_id not in self.participants:
            return False
        if replacement in self.participants:
            raise ValueError("the replacement id is already in use in this programme")
        self.participants = {
            (replacement if key == person_id else key): (
                Participant(replacement, participant.role, None) if key == person_id else participant
            )
            for key, participant in self.participants.items()
        }
        return True

    def count_by_role(self) -> dict[Role, int]:
        counts = dict.fromkeys(Role, 0)
        for participant in self.participants.values():
            counts[participant.role] += 1
        return counts

    # The state as plain data, for the repository: the domain decides its own shape.
    def to_state(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind.value,
            "participants": [
                {"person_id": p.person_id, "role": p.role.value, "locale": p.locale} for p in self.participants.values()
            ],
        }

    @classmethod
    def from_state(cls, programme_id: str, state: dict[str, Any]) -> "Programme":
        return cls(
            id=programme_id,
            title=state["title"],
            kind=ProgrammeKind(state["kind"]),
            participants={
                p["person_id"]: Participant(p["person_id"], Role(p["role"]), p.get("locale"))
                for p in state["participants"]
            },
        )


def _parse(kind: type[E], value: str, field_name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise Invalid(f"{field_name} must be one of {allowed}", field=field_name) from None
