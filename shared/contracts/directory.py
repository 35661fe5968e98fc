"""Events the directory service publishes: the employee directory as HR feeds it.

Every domain service keeps its own people collection from these events; none reads the directory's.
The topic is compacted-friendly: one key per person, the latest upsert carries the whole profile.
"""

from typing import ClassVar, Literal

from shared.contracts.base import IntegrationEvent

TOPIC = "owlery.directory.people"

Locale = Literal["ru", "en"]


class PersonUpsertedV1(IntegrationEvent):
    """A person was created or changed in the directory; carries the whole current profile."""

    ce_type: ClassVar[str] = "com.owlery.directory.person.upserted.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "person_id"

    person_id: str
    user_name: str
    display_name: str
    email: str
    department: str | None = None
    manager_id: str | None = None
    job_title: str | None = None
    locale: Locale
    time_zone: str
    active: bool
    version: int
    """Directory version of this profile: a consumer ignores an upsert older than what it holds."""


class PersonDeactivatedV1(IntegrationEvent):
    """HR deactivated a person (left the company, long leave): no new sign-ins, applications or pairs."""

    ce_type: ClassVar[str] = "com.owlery.directory.person.deactivated.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "person_id"

    person_id: str
    version: int


class PersonErasedV1(IntegrationEvent):
    """HR erased a person: every service deletes or anonymises what it holds on them."""

    ce_type: ClassVar[str] = "com.owlery.directory.person.erased.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "person_id"

    person_id: str
    requested_by: str
    """The HR admin who asked, for every service's audit log."""
    reason: str
