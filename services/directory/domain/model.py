"""A person in the employee directory, as HR feeds it, and what can happen to them.

HR's system (Entra ID, Okta, a CSV export) owns the profile; the directory keeps one `Person` per
userName and publishes every change. Everything here is immutable: an operation returns the new
person together with the domain events it caused, so the service layer stores and publishes both
in one go. An operation that changes nothing returns no event and keeps the version, because SCIM
clients resend the same profile again and again and consumers should not hear about it each time.
"""

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import Any, Literal, NamedTuple, cast
from zoneinfo import available_timezones

from shared.errors import Invalid, NotFound

Locale = Literal["ru", "en"]
LOCALES: tuple[Locale, ...] = ("ru", "en")
DEFAULT_LOCALE: Locale = "en"
DEFAULT_TIME_ZONE = "UTC"

# A shape check only: deliverability is the mail system's business, and RFC 5322 in full is not worth it.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# A language tag or POSIX locale: "ru", "en-US", "en_GB", "ru-Cyrl-RU", "en_US.UTF-8".
_LOCALE = re.compile(r"^(?P<language>[A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*(?:\.[A-Za-z0-9-]+)?$")
# Names the tz database ships that are not places: the host's own zone and a placeholder.
_NOT_TIME_ZONES = frozenset({"localtime", "Factory", "posixrules", "posix", "right"})


def new_person_id() -> str:
    """Our stable id of a person: never reused, never derived from HR data (which changes)."""
    return uuid.uuid4().hex


def user_name_key(user_name: str) -> str:
    """The key userNames are compared by: case-insensitively, as Entra ID and Okta compare them."""
    return user_name.strip().casefold()


# --- field rules: public so the CSV import can report every bad field, not just the first -----------


def _text(value: str | None) -> str:
    return value.strip() if isinstance(value, str) else ""


def _optional(value: str | None) -> str | None:
    return _text(value) or None


def normalise_user_name(value: str | None) -> str:
    user_name = _text(value)
    if not user_name:
        raise Invalid("a person needs a user name", field="user_name")
    if any(char.isspace() or not char.isprintable() for char in user_name):
        raise Invalid(f"a user name cannot contain spaces or control characters: {user_name!r}", field="user_name")
    return user_name


def normalise_display_name(value: str | None) -> str:
    display_name = " ".join(_text(value).split())  # HR exports carry double and trailing spaces
    if not display_name:
        raise Invalid("a person needs a display name", field="display_name")
    return display_name


def normalise_email(value: str | None) -> str:
    email = _text(value)
    if not email:
        raise Invalid("a person needs an email address", field="email")
    if not _EMAIL.match(email):
        raise Invalid(f"not an email address: {email!r}", field="email")
    return email


def normalise_locale(value: str | None) -> Locale:
    """`ru`, `ru-RU`, `en_GB`, `EN-us` and the like → `ru` or `en`; any other language is refused."""
    text = _text(value)
    match = _LOCALE.match(text)
    language = match["language"].lower() if match else ""
    if language not in LOCALES:
        raise Invalid(f"unsupported locale {text!r}: Owlery speaks {' and '.join(LOCALES)}", field="locale")
    return cast(Locale, language)


@cache
def _time_zones() -> dict[str, str]:
    # Keyed case-insensitively so "europe/moscow" from a hand-made CSV still finds "Europe/Moscow".
    return {name.casefold(): name for name in available_timezones() if name.split("/")[0] not in _NOT_TIME_ZONES}


def normalise_time_zone(value: str | None) -> str:
    """An IANA time zone name in its canonical spelling."""
    text = _text(value)
    if text.casefold() == DEFAULT_TIME_ZONE.casefold():
        # The default must work even where the host has no tz database (a slim container without tzdata).
        return DEFAULT_TIME_ZONE
    name = _time_zones().get(text.casefold())
    if name is None:
        raise Invalid(f"unknown time zone {text!r}: use an IANA name such as Europe/Moscow", field="time_zone")
    return name


# --- the profile HR sends, and the person we keep -----------------------------------------------------


@dataclass(frozen=True)
class ProfileDraft:
    """Everything HR says about a person: what a SCIM body, a PATCH or a CSV row boils down to."""

    user_name: str
    display_name: str
    email: str
    external_id: str | None = None
    department: str | None = None
    manager_id: str | None = None
    job_title: str | None = None
    locale: str = DEFAULT_LOCALE
    time_zone: str = DEFAULT_TIME_ZONE
    active: bool = True

    @property
    def user_name_key(self) -> str:
        return user_name_key(self.user_name)

    def validated(self) -> "ProfileDraft":
        """The same profile, trimmed and normalised; raises `Invalid` naming the first bad field."""
        if not isinstance(self.active, bool):
            raise Invalid("active must be true or false", field="active")
        return ProfileDraft(
            user_name=normalise_user_name(self.user_name),
            display_name=normalise_display_name(self.display_name),
            email=normalise_email(self.email),
            external_id=_optional(self.external_id),
            department=_optional(self.department),
            manager_id=_optional(self.manager_id),
            job_title=_optional(self.job_title),
            locale=normalise_locale(self.locale),
            time_zone=normalise_time_zone(self.time_zone),
            active=self.active,
        )


PROFILE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ProfileDraft))


@dataclass(frozen=True)
class Person:
    """One employee. `version` starts at 1 and grows by one with every change consumers must hear of."""

    id: str
    user_name: str
    display_name: str
    email: str
    locale: Locale
    time_zone: str
    active: bool = True
    external_id: str | None = None
    department: str | None = None
    manager_id: str | None = None
    job_title: str | None = None
    version: int = 1
    erased: bool = False

    @property
    def user_name_key(self) -> str:
        """The unique key: the userName as typed is kept for display, this one is compared."""
        return user_name_key(self.user_name)

    @property
    def profile(self) -> ProfileDraft:
        return ProfileDraft(**{name: getattr(self, name) for name in PROFILE_FIELDS})

    # --- operations: each returns the new person and what happened --------------------------------

    @classmethod
    def create(cls, draft: ProfileDraft, person_id: str | None = None) -> "Change":
        """A new person from HR's profile; the id is ours (generated unless the caller reserved one)."""
        profile = draft.validated()
        pid = person_id or new_person_id()
        if profile.manager_id == pid:
            raise Invalid("a person cannot be their own manager", field="manager_id")
        person = cls(id=pid, **_profile_values(profile))
        return Change(person, (PersonUpserted(person, created=True),))

    def replace(self, draft: ProfileDraft) -> "Change":
        """The full profile as HR now has it (SCIM PUT, a PATCH result, a CSV row)."""
        self._ensure_not_erased()
        profile = draft.validated()
        if profile == self.profile:
            return Change(self, ())  # a resend: nothing to store, nothing to publish
        if profile.manager_id == self.id:
            raise Invalid("a person cannot be their own manager", field="manager_id")
        person = replace(self, version=self.version + 1, **_profile_values(profile))
        events: list[DomainEvent] = []
        # Only the active flag flipping off is a plain deactivation; anything else needs the whole profile.
        if replace(profile, active=self.active) != self.profile or person.active:
            events.append(PersonUpserted(person))
        if self.active and not person.active:
            events.append(PersonDeactivated(person.id, person.version))
        return Change(person, tuple(events))

    def deactivate(self) -> "Change":
        """HR switched the person off (left, long leave); already inactive → nothing happens."""
        self._ensure_not_erased()
        if not self.active:
            return Change(self, ())
        person = replace(self, active=False, version=self.version + 1)
        return Change(person, (PersonDeactivated(person.id, person.version),))

    def reactivate(self) -> "Change":
        """HR switched the person back on; consumers get the whole profile again."""
        self._ensure_not_erased()
        if self.active:
            return Change(self, ())
        person = replace(self, active=True, version=self.version + 1)
        return Change(person, (PersonUpserted(person),))

    def erase(self) -> "Change":
        """Forget the person: a tombstone keeps only the id, so a late or replayed upsert cannot revive them."""
        if self.erased:
            return Change(self, ())
        tombstone = Person(
            id=self.id,
            user_name="",
            display_name="",
            email="",
            locale=DEFAULT_LOCALE,
            time_zone=DEFAULT_TIME_ZONE,
            active=False,
            version=self.version + 1,
            erased=True,
        )
        return Change(tombstone, (PersonErased(self.id),))

    def _ensure_not_erased(self) -> None:
        if self.erased:
            raise NotFound("this person was erased", person_id=self.id)

    # --- state as plain data for the repository: the domain decides its own shape -----------------

    def to_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: getattr(self, name) for name in (f.name for f in fields(self)) if name != "id"}
        if not self.erased:
            # Tombstones carry no key, so a unique (sparse) index on it never sees two empty ones collide.
            state["user_name_key"] = self.user_name_key
        return state

    @classmethod
    def from_state(cls, person_id: str, state: Mapping[str, Any]) -> "Person":
        names = {f.name for f in fields(cls)} - {"id"}
        return cls(id=person_id, **{name: state[name] for name in names if name in state})


def _profile_values(profile: ProfileDraft) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in PROFILE_FIELDS}


# --- what happened, in the domain's words (the service layer maps them to integration events) ---------


@dataclass(frozen=True)
class PersonUpserted:
    """The person was created or their profile changed; `person` is the whole current profile."""

    person: Person
    created: bool = False


@dataclass(frozen=True)
class PersonDeactivated:
    person_id: str
    version: int


@dataclass(frozen=True)
class PersonErased:
    person_id: str


DomainEvent = PersonUpserted | PersonDeactivated | PersonErased


class Change(NamedTuple):
    """The person after an operation and the events it caused (none: nothing changed, store nothing)."""

    person: Person
    events: tuple[DomainEvent, ...]

    @property
    def changed(self) -> bool:
        return bool(self.events)
