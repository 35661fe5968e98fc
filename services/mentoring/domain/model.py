"""Values every mentoring aggregate shares: the kinds of programme, the two roles, erased people's stand-ins."""

import secrets
from enum import StrEnum
from typing import TypeVar

from shared.errors import Invalid

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


def parse(kind: type[E], value: str, field_name: str) -> E:
    """`value` as a member of `kind`, or Invalid naming the field and the allowed values."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise Invalid(f"{field_name} must be one of {allowed}", field=field_name) from None
