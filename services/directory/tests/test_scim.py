"""SCIM 2.0 as Entra ID and Okta speak it, and the person it feeds: what a provisioning client and an admin see.

The payloads are shaped after the ones Microsoft and Okta document for their provisioning clients.
The first section covers the `Person` itself, because every SCIM call ends in one of its operations.
"""

from typing import Any

import pytest

from directory.domain.model import (
    Change,
    Person,
    PersonDeactivated,
    PersonErased,
    PersonUpserted,
    ProfileDraft,
    new_person_id,
    normalise_locale,
    normalise_time_zone,
)
from directory.domain.scim import (
    CORE_USER,
    ENTERPRISE_USER,
    ERROR,
    LIST_RESPONSE,
    MAX_COUNT,
    PATCH_OP,
    ScimError,
    ScimFilter,
    apply_patch,
    etag,
    list_response,
    page,
    parse_filter,
    person_fields_from_scim,
    person_to_scim,
)
from shared.errors import Conflict, Invalid, NotFound

BASE_URL = "https://owlery.example.com/scim/v2"


def draft(**changes: Any) -> ProfileDraft:
    values: dict[str, Any] = {
        "user_name": "ann@example.com",
        "display_name": "Ann Lee",
        "email": "ann@example.com",
        "locale": "en",
        "time_zone": "Europe/Moscow",
    }
    return ProfileDraft(**(values | changes))


def ann(**changes: Any) -> Person:
    return Person.create(draft(**changes), person_id="p-ann").person


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


# --- the person --------------------------------------------------------------------------------------


def test_a_new_person_gets_a_fresh_hex_id_version_1_and_an_upsert_event() -> None:
    change = Person.create(draft())

    assert len(change.person.id) == 32
    int(change.person.id, 16)
    assert change.person.id != Person.create(draft()).person.id
    assert change.person.version == 1
    assert change.person.active is True
    assert change.events == (PersonUpserted(change.person, created=True),)


def test_new_person_ids_are_unique_hex() -> None:
    ids = {new_person_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_the_user_name_keeps_its_spelling_but_is_keyed_case_insensitively() -> None:
    person = ann(user_name="  Ann.Lee@Example.COM ")

    assert person.user_name == "Ann.Lee@Example.COM"
    assert person.user_name_key == "ann.lee@example.com"
    assert draft(user_name="ANN.LEE@example.com").user_name_key == person.user_name_key


def test_create_trims_values_and_drops_blank_optional_ones() -> None:
    person = ann(display_name="  Ann   Lee ", department="  ", job_title=" Engineer ", external_id="")

    assert person.display_name == "Ann Lee"
    assert person.department is None
    assert person.job_title == "Engineer"
    assert person.external_id is None


@pytest.mark.parametrize(
    ("raw", "locale"),
    [("ru", "ru"), ("en", "en"), ("ru-RU", "ru"), ("en-US", "en"), ("en_GB", "en"), ("EN-us", "en"), (" ru ", "ru")],
)
def test_locales_are_narrowed_to_russian_or_english(raw: str, locale: str) -> None:
    assert normalise_locale(raw) == locale
    assert ann(locale=raw).locale == locale


@pytest.mark.parametrize("raw", ["de", "de-DE", "fr_FR", "", "english", "r", "ru-"])
def test_other_locales_are_invalid_and_name_the_locale(raw: str) -> None:
    with pytest.raises(Invalid) as raised:
        ann(locale=raw)

    assert raised.value.details == {"field": "locale"}


def test_time_zones_are_iana_names_in_their_canonical_spelling() -> None:
    assert ann(time_zone="Asia/Yekaterinburg").time_zone == "Asia/Yekaterinburg"
    assert normalise_time_zone("europe/moscow") == "Europe/Moscow"
    assert normalise_time_zone("utc") == "UTC"


@pytest.mark.parametrize("raw", ["Mars/Olympus", "MSK", "+03:00", "", "localtime", "../etc/passwd"])
def test_unknown_time_zones_are_invalid_and_name_the_time_zone(raw: str) -> None:
    with pytest.raises(Invalid) as raised:
        ann(time_zone=raw)

    assert raised.value.details == {"field": "time_zone"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"user_name": "  "}, "user_name"),
        ({"user_name": "ann lee"}, "user_name"),
        ({"display_name": " "}, "display_name"),
        ({"email": ""}, "email"),
        ({"email": "ann"}, "email"),
        ({"email": "ann@example"}, "email"),
        ({"email": "ann@@example.com"}, "email"),
        ({"email": "ann lee@example.com"}, "email"),
    ],
)
def test_a_bad_profile_is_invalid_and_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as raised:
        Person.create(draft(**changes))

    assert raised.value.details == {"field": field}


def test_a_person_cannot_be_their_own_manager() -> None:
    with pytest.raises(Invalid) as raised:
        ann().replace(draft(manager_id="p-ann"))

    assert raised.value.details == {"field": "manager_id"}


def test_replacing_with_the_same_profile_changes_nothing() -> None:
    person = ann(department="R&D")

    change = person.replace(draft(department=" R&D ", display_name="Ann  Lee"))

    assert change == Change(person, ())
    assert not change.changed


def test_a_real_change_bumps_the_version_and_publishes_the_whole_profile() -> None:
    person = ann()

    change = person.replace(draft(job_title="Team lead"))

    assert change.person.job_title == "Team lead"
    assert change.person.version == 2
    assert change.person.id == person.id
    assert change.events == (PersonUpserted(change.person),)
    assert change.person.replace(draft(job_title="Team lead", locale="ru")).person.version == 3


def test_a_user_name_changing_only_in_case_is_still_a_change() -> None:
    change = ann().replace(draft(user_name="Ann@Example.com"))

    assert change.person.user_name == "Ann@Example.com"
    assert change.person.version == 2


def test_a_replace_that_only_switches_the_person_off_is_a_deactivation() -> None:
    change = ann().replace(draft(active=False))

    assert change.person.active is False
    assert change.events == (PersonDeactivated("p-ann", 2),)


def test_a_replace_that_switches_off_and_edits_publishes_the_profile_then_the_deactivation() -> None:
    change = ann().replace(draft(active=False, department="Sales"))

    assert change.events == (PersonUpserted(change.person), PersonDeactivated("p-ann", 2))
    assert change.person.department == "Sales"


def test_deactivate_switches_off_once() -> None:
    first = ann().deactivate()
    again = first.person.deactivate()

    assert first.person.active is False
    assert first.events == (PersonDeactivated("p-ann", 2),)
    assert again == Change(first.person, ())


def test_reactivate_publishes_the_whole_profile_again_and_only_when_needed() -> None:
    inactive = ann().deactivate().person

    change = inactive.reactivate()

    assert change.person.active is True
    assert change.person.version == 3
    assert change.events == (PersonUpserted(change.person),)
    assert change.person.reactivate() == Change(change.person, ())


def test_erase_leaves_a_tombstone_with_nothing_but_the_id() -> None:
    person = ann(department="R&D", job_title="Engineer", external_id="E-1", manager_id="p-boss")

    change = person.erase()

    tombstone = change.person
    assert change.events == (PersonErased("p-ann"),)
    assert tombstone.erased is True
    assert tombstone.active is False
    assert tombstone.version == 2
    assert (tombstone.user_name, tombstone.display_name, tombstone.email) == ("", "", "")
    assert (tombstone.department, tombstone.job_title, tombstone.external_id, tombstone.manager_id) == (None,) * 4
    assert tombstone.erase() == Change(tombstone, ())


def test_an_erased_person_cannot_be_changed() -> None:
    tombstone = ann().erase().person

    with pytest.raises(NotFound):
        tombstone.replace(draft())
    with pytest.raises(NotFound):
        tombstone.deactivate()
    with pytest.raises(NotFound):
        tombstone.reactivate()


def test_state_round_trips_and_carries_the_unique_key_except_for_tombstones() -> None:
    person = ann(user_name="Ann@Example.com", department="R&D", manager_id="p-boss")

    state = person.to_state()

    assert state["user_name_key"] == "ann@example.com"
    assert "id" not in state
    assert Person.from_state("p-ann", state) == person
    tombstone = person.erase().person
    assert "user_name_key" not in tombstone.to_state()
    assert Person.from_state("p-ann", tombstone.to_state()) == tombstone


# --- SCIM User → profile -----------------------------------------------------------------------------

ENTRA_CREATE: dict[str, Any] = {
    "schemas": [CORE_USER, ENTERPRISE_USER],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Ann.Lee@contoso.onmicrosoft.com",
    "active": True,
    "displayName": "Ann Lee",
    "title": "Senior engineer",
    "preferredLanguage": "ru-RU",
    "emails": [
        {"primary": False, "type": "home", "value": "ann@home.example"},
        {"primary": True, "type": "work", "value": "ann.lee@contoso.com"},
    ],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "Ann Lee", "familyName": "Lee", "givenName": "Ann"},
    "phoneNumbers": [{"type": "work", "value": "+7 495 000-00-00"}],
    "addresses": [{"type": "work", "formatted": "Moscow", "primary": True}],
    "roles": [],
    ENTERPRISE_USER: {
        "employeeNumber": "701984",
        "costCenter": "4130",
        "organization": "Contoso",
        "division": "Platform",
        "department": "R&D",
        "manager": {"value": "26118915609046aea3ab4e8e2e2ddd0b", "displayName": "Boris Smith"},
    },
}

OKTA_CREATE: dict[str, Any] = {
    "schemas": [CORE_USER],
    "userName": "boris@okta.example",
    "name": {"givenName": "Boris", "familyName": "Smith"},
    "emails": [{"primary": True, "value": "boris@okta.example", "type": "work"}],
    "displayName": "Boris Smith",
    "locale": "en_US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


def test_a_full_entra_create_body_maps_every_field_we_keep_and_ignores_the_rest() -> None:
    assert person_fields_from_scim(ENTRA_CREATE) == ProfileDraft(
        user_name="Ann.Lee@contoso.onmicrosoft.com",
        display_name="Ann Lee",
        email="ann.lee@contoso.com",
        external_id="0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        department="R&D",
        manager_id="26118915609046aea3ab4e8e2e2ddd0b",
        job_title="Senior engineer",
        locale="ru",
        time_zone="UTC",
        active=True,
    )


def test_an_okta_create_body_takes_the_locale_and_defaults_the_rest() -> None:
    profile = person_fields_from_scim(OKTA_CREATE)

    assert (profile.user_name, profile.display_name, profile.email) == (
        "boris@okta.example",
        "Boris Smith",
        "boris@okta.example",
    )
    assert (profile.locale, profile.time_zone, profile.external_id) == ("en", "UTC", "00ujl29u0le5T6Aj10h7")
    assert (profile.department, profile.manager_id, profile.job_title) == (None, None, None)


def test_attribute_names_are_case_insensitive() -> None:
    profile = person_fields_from_scim(
        {"USERNAME": "ann@example.com", "displayname": "Ann", "Active": False, "TimeZone": "Europe/Moscow"}
    )

    assert (profile.user_name, profile.display_name, profile.active) == ("ann@example.com", "Ann", False)
    assert profile.time_zone == "Europe/Moscow"


@pytest.mark.parametrize(("sent", "active"), [("True", True), ("False", False), ("true", True), (False, False)])
def test_active_may_be_a_boolean_or_the_strings_entra_sends(sent: object, active: bool) -> None:
    assert person_fields_from_scim({"userName": "a@example.com", "displayName": "A", "active": sent}).active is active


def test_a_missing_active_means_active() -> None:
    assert person_fields_from_scim({"userName": "a@example.com", "displayName": "A"}).active is True


def test_the_display_name_falls_back_to_the_formatted_name_then_given_and_family_names() -> None:
    base = {"userName": "a@example.com"}

    formatted = person_fields_from_scim(base | {"name": {"formatted": "Ann Lee", "givenName": "X"}})
    parts = person_fields_from_scim(base | {"displayName": "", "name": {"givenName": "Ann", "familyName": "Lee"}})
    given_only = person_fields_from_scim(base | {"name": {"givenName": "Ann"}})

    assert (formatted.display_name, parts.display_name, given_only.display_name) == ("Ann Lee", "Ann Lee", "Ann")


def test_without_any_name_the_display_name_is_reported() -> None:
    with pytest.raises(ScimError) as raised:
        person_fields_from_scim({"userName": "a@example.com"})

    assert raised.value.status == 400
    assert raised.value.scim_type == "invalidValue"
    assert "displayName" in raised.value.detail


def test_the_email_is_the_primary_one_else_the_work_one_else_the_first() -> None:
    def email(emails: list[dict[str, Any]]) -> str:
        return person_fields_from_scim({"userName": "a@example.com", "displayName": "A", "emails": emails}).email

    assert email([{"value": "w@x.com", "type": "work"}, {"value": "p@x.com", "primary": "True"}]) == "p@x.com"
    assert email([{"value": "h@x.com", "type": "home"}, {"value": "w@x.com", "type": "work"}]) == "w@x.com"
    assert email([{"value": "h@x.com", "type": "home"}, {"value": "o@x.com", "type": "other"}]) == "h@x.com"


def test_without_emails_an_address_shaped_user_name_is_the_email() -> None:
    assert person_fields_from_scim({"userName": "ann@example.com", "displayName": "A"}).email == "ann@example.com"


def test_without_emails_and_a_plain_user_name_the_emails_are_reported() -> None:
    with pytest.raises(ScimError) as raised:
        person_fields_from_scim({"userName": "ann", "displayName": "A"})

    assert raised.value.scim_type == "invalidValue"
    assert raised.value.detail.startswith("emails:")


def test_the_manager_may_be_an_object_or_a_bare_id() -> None:
    def manager(value: object) -> str | None:
        body = {"userName": "a@example.com", "displayName": "A", ENTERPRISE_USER: {"manager": value}}
        return person_fields_from_scim(body).manager_id

    assert manager({"value": "p-boss"}) == "p-boss"
    assert manager("p-boss") == "p-boss"
    assert manager({"value": ""}) is None
    assert manager(None) is None


@pytest.mark.parametrize("body", [{}, {"userName": ""}, {"userName": "   "}, {"userName": None}])
def test_a_missing_user_name_is_a_400_invalid_value(body: dict[str, Any]) -> None:
    with pytest.raises(ScimError) as raised:
        person_fields_from_scim(body | {"displayName": "A"})

    assert (raised.value.status, raised.value.scim_type) == (400, "invalidValue")
    assert "userName" in raised.value.detail


@pytest.mark.parametrize(
    ("changes", "attribute"),
    [
        ({"userName": 42}, "userName"),
        ({"displayName": ["Ann"]}, "displayName"),
        ({"active": "maybe"}, "active"),
        ({"active": 1}, "active"),
        ({"emails": "ann@example.com"}, "emails"),
        ({"emails": [{"value": 7}]}, "emails[0].value"),
        ({"title": {"text": "x"}}, "title"),
        ({"name": "Ann Lee"}, "name"),
        ({ENTERPRISE_USER: "R&D"}, ENTERPRISE_USER),
        ({ENTERPRISE_USER: {"department": 5}}, f"{ENTERPRISE_USER}:department"),
        ({ENTERPRISE_USER: {"manager": {"value": 5}}}, f"{ENTERPRISE_USER}:manager.value"),
        ({"timezone": 3}, "timezone"),
        ({"preferredLanguage": True}, "preferredLanguage"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_400_naming_the_attribute(changes: dict[str, Any], attribute: str) -> None:
    with pytest.raises(ScimError) as raised:
        person_fields_from_scim({"userName": "a@example.com", "displayName": "A"} | changes)

    assert (raised.value.status, raised.value.scim_type) == (400, "invalidValue")
    assert raised.value.detail.startswith(attribute)


@pytest.mark.parametrize(
    ("changes", "attribute"),
    [
        ({"preferredLanguage": "de-DE"}, "preferredLanguage"),
        ({"timezone": "Moscow"}, "timezone"),
        ({"emails": [{"value": "not-an-address"}]}, "emails"),
    ],
)
def test_a_value_breaking_a_directory_rule_is_a_400_naming_the_scim_attribute(
    changes: dict[str, Any], attribute: str
) -> None:
    with pytest.raises(ScimError) as raised:
        person_fields_from_scim({"userName": "a@example.com", "displayName": "A"} | changes)

    assert raised.value.scim_type == "invalidValue"
    assert raised.value.detail.startswith(f"{attribute}: ")


def test_a_body_that_is_not_an_object_is_invalid_syntax() -> None:
    with pytest.raises(ScimError) as raised:
        person_fields_from_scim(["userName"])  # type: ignore[arg-type]

    assert raised.value.scim_type == "invalidSyntax"


# --- profile → SCIM User -----------------------------------------------------------------------------


def test_a_person_is_rendered_as_a_full_user_resource() -> None:
    person = ann(external_id="E-1", department="R&D", manager_id="p-boss", job_title="Engineer", locale="ru-RU")

    assert person_to_scim(person, BASE_URL + "/") == {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "id": "p-ann",
        "externalId": "E-1",
        "userName": "ann@example.com",
        "displayName": "Ann Lee",
        "name": {"formatted": "Ann Lee"},
        "emails": [{"value": "ann@example.com", "type": "work", "primary": True}],
        "active": True,
        "title": "Engineer",
        "preferredLanguage": "ru",
        "locale": "ru",
        "timezone": "Europe/Moscow",
        ENTERPRISE_USER: {"department": "R&D", "manager": {"value": "p-boss"}},
        "meta": {"resourceType": "User", "version": 'W/"1"', "location": f"{BASE_URL}/Users/p-ann"},
    }


def test_absent_optional_attributes_are_left_out_rather_than_null() -> None:
    resource = person_to_scim(ann(), BASE_URL)

    assert not {"externalId", "title", ENTERPRISE_USER} & resource.keys()
    assert None not in resource.values()


def test_the_version_is_a_weak_etag_that_follows_changes() -> None:
    person = ann().replace(draft(job_title="Lead")).person

    assert etag(person) == 'W/"2"'
    assert person_to_scim(person, BASE_URL)["meta"]["version"] == 'W/"2"'


def test_a_rendered_user_reads_back_as_the_same_profile() -> None:
    person = ann(external_id="E-1", department="R&D", manager_id="p-boss", job_title="Engineer", active=False)

    assert person_fields_from_scim(person_to_scim(person, BASE_URL)) == person.profile


# --- PATCH -------------------------------------------------------------------------------------------


def test_entra_deactivates_with_a_replace_of_active_as_the_string_false() -> None:
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}

    profile = apply_patch(ann(), body)

    assert profile == draft(active=False)
    assert ann().replace(profile).events == (PersonDeactivated("p-ann", 2),)


def test_okta_deactivates_with_a_pathless_replace_and_no_schemas() -> None:
    body = {"Operations": [{"op": "replace", "value": {"active": False}}]}

    assert apply_patch(ann(), body).active is False


def test_entra_changes_the_work_email_and_sends_name_parts_we_do_not_keep() -> None:
    body = patch(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ann.lee@example.com"},
        {"op": "Replace", "path": "name.familyName", "value": "Lee-Smith"},
        {"op": "Replace", "path": "name.givenName", "value": "Ann"},
    )

    assert apply_patch(ann(), body) == draft(email="ann.lee@example.com")


def test_entra_sets_and_removes_the_manager_through_the_enterprise_extension() -> None:
    manager_path = f"{ENTERPRISE_USER}:manager"

    with_manager = apply_patch(ann(), patch({"op": "Add", "path": manager_path, "value": "p-boss"}))
    as_object = apply_patch(ann(), patch({"op": "Replace", "path": manager_path, "value": {"value": "p-boss"}}))
    removed = apply_patch(ann(manager_id="p-boss"), patch({"op": "Remove", "path": manager_path}))

    assert (with_manager.manager_id, as_object.manager_id, removed.manager_id) == ("p-boss", "p-boss", None)


def test_every_supported_path_lands_in_its_field() -> None:
    body = patch(
        {"op": "replace", "path": "userName", "value": "Ann.Lee@example.com"},
        {"op": "replace", "path": "externalId", "value": "E-9"},
        {"op": "replace", "path": "displayName", "value": "Ann L."},
        {"op": "replace", "path": "title", "value": "Architect"},
        {"op": "replace", "path": "preferredLanguage", "value": "ru-RU"},
        {"op": "replace", "path": "timezone", "value": "Asia/Novosibirsk"},
        {"op": "add", "path": f"{ENTERPRISE_USER}:department", "value": "Platform"},
        {"op": "add", "path": f"{ENTERPRISE_USER}:manager.value", "value": "p-boss"},
        {"op": "replace", "path": f"{CORE_USER}:active", "value": "True"},
    )

    assert apply_patch(ann(active=False), body) == ProfileDraft(
        user_name="Ann.Lee@example.com",
        display_name="Ann L.",
        email="ann@example.com",
        external_id="E-9",
        department="Platform",
        manager_id="p-boss",
        job_title="Architect",
        locale="ru",
        time_zone="Asia/Novosibirsk",
        active=True,
    )


def test_a_pathless_value_may_use_attribute_names_full_paths_and_the_extension_object() -> None:
    body = patch(
        {
            "op": "Replace",
            "value": {
                "displayName": "Ann L.",
                "name.givenName": "Ann",
                'emails[type eq "work"].value': "al@example.com",
                f"{ENTERPRISE_USER}:department": "Sales",
                ENTERPRISE_USER: {"manager": {"value": "p-boss"}, "employeeNumber": "42"},
                "name": {"formatted": "Ann Lee-Smith"},
                "id": "p-ann",
                "meta": {"resourceType": "User"},
            },
        }
    )

    profile = apply_patch(ann(), body)

    assert (profile.display_name, profile.email) == ("Ann Lee-Smith", "al@example.com")
    assert (profile.department, profile.manager_id) == ("Sales", "p-boss")


def test_operations_apply_in_order_and_the_last_one_wins() -> None:
    body = patch(
        {"op": "replace", "path": "title", "value": "First"},
        {"op": "remove", "path": "title"},
        {"op": "add", "path": "title", "value": "Last"},
    )

    assert apply_patch(ann(), body).job_title == "Last"


def test_removing_optional_attributes_clears_them_and_resets_defaults() -> None:
    body = patch(
        {"op": "remove", "path": "title"},
        {"op": "remove", "path": "externalId"},
        {"op": "remove", "path": f"{ENTERPRISE_USER}:department"},
        {"op": "remove", "path": "preferredLanguage"},
        {"op": "remove", "path": "timezone"},
    )

    profile = apply_patch(ann(job_title="Lead", external_id="E-1", department="R&D", locale="ru"), body)

    assert (profile.job_title, profile.external_id, profile.department) == (None, None, None)
    assert (profile.locale, profile.time_zone) == ("en", "UTC")


def test_replacing_the_language_or_time_zone_with_null_restores_the_default() -> None:
    body = patch(
        {"op": "replace", "path": "preferredLanguage", "value": None},
        {"op": "replace", "value": {"timezone": None}},
    )

    assert apply_patch(ann(locale="ru"), body) == draft(locale="en", time_zone="UTC")


def test_attributes_we_do_not_keep_are_accepted_and_ignored() -> None:
    body = patch(
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+7 495 000-00-00"},
        {"op": "Replace", "path": 'addresses[type eq "work"].locality', "value": "Moscow"},
        {"op": "Replace", "path": f"{ENTERPRISE_USER}:employeeNumber", "value": "701984"},
        {"op": "Replace", "path": 'emails[type eq "home"].value', "value": "ann@home.example"},
        {"op": "Remove", "path": "nickName"},
    )

    assert apply_patch(ann(), body) == draft()


def test_patching_a_person_with_the_values_they_have_changes_nothing() -> None:
    person = ann()
    body = patch(
        {"op": "Replace", "path": "active", "value": "True"},
        {"op": "replace", "path": "displayName", "value": "Ann Lee"},
    )

    assert person.replace(apply_patch(person, body)) == Change(person, ())


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [PATCH_OP]},
        {"schemas": [PATCH_OP], "Operations": []},
        {"schemas": [PATCH_OP], "Operations": {"op": "replace"}},
        {"schemas": [PATCH_OP], "Operations": ["replace"]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "merge", "path": "title", "value": "x"}]},
        {"schemas": [PATCH_OP], "Operations": [{"path": "title", "value": "x"}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title"}]},
        {"schemas": [CORE_USER], "Operations": [{"op": "replace", "path": "title", "value": "x"}]},
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": "x"}]},
    ],
)
def test_a_malformed_patch_body_is_invalid_syntax(body: dict[str, Any]) -> None:
    with pytest.raises(ScimError) as raised:
        apply_patch(ann(), body)

    assert (raised.value.status, raised.value.scim_type) == (400, "invalidSyntax")


@pytest.mark.parametrize(
    "path",
    [
        "favouriteColour",
        "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge",
        f"{ENTERPRISE_USER}:shoeSize",
        "name.nickname",
        "title.value",
        'title[value eq "x"]',
        "emails.value",
        "display Name",
    ],
)
def test_an_unsupported_path_is_invalid_path(path: str) -> None:
    with pytest.raises(ScimError) as raised:
        apply_patch(ann(), patch({"op": "replace", "path": path, "value": "x"}))

    assert (raised.value.status, raised.value.scim_type) == (400, "invalidPath")


def test_a_bad_filter_inside_a_path_is_invalid_filter() -> None:
    with pytest.raises(ScimError) as raised:
        apply_patch(ann(), patch({"op": "replace", "path": 'emails[type sw "w"].value', "value": "x@y.com"}))

    assert raised.value.scim_type == "invalidFilter"


def test_a_remove_without_a_path_is_no_target() -> None:
    with pytest.raises(ScimError) as raised:
        apply_patch(ann(), patch({"op": "remove"}))

    assert (raised.value.status, raised.value.scim_type) == (400, "noTarget")


@pytest.mark.parametrize("path", ["id", "meta", "meta.version"])
def test_changing_a_read_only_attribute_is_a_mutability_error(path: str) -> None:
    with pytest.raises(ScimError) as raised:
        apply_patch(ann(), patch({"op": "replace", "path": path, "value": "x"}))

    assert raised.value.scim_type == "mutability"


@pytest.mark.parametrize("path", ["userName", "displayName", "active", 'emails[type eq "work"].value', "emails"])
def test_removing_a_required_attribute_is_refused(path: str) -> None:
    with pytest.raises(ScimError) as raised:
        apply_patch(ann(), patch({"op": "remove", "path": path}))

    assert raised.value.scim_type == "invalidValue"
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("operation", "attribute"),
    [
        ({"op": "replace", "path": "active", "value": "no"}, "active"),
        ({"op": "replace", "path": "title", "value": 3}, "title"),
        ({"op": "replace", "value": {"displayName": None}}, "displayName"),
        ({"op": "replace", "path": "preferredLanguage", "value": "fr"}, "preferredLanguage"),
        ({"op": "replace", "path": 'emails[type eq "work"].value', "value": "nope"}, "emails"),
    ],
)
def test_a_patch_with_a_bad_value_is_invalid_value_naming_the_attribute(
    operation: dict[str, Any], attribute: str
) -> None:
    with pytest.raises(ScimError) as raised:
        apply_patch(ann(), patch(operation))

    assert raised.value.scim_type == "invalidValue"
    assert raised.value.detail.startswith(attribute)


def test_patch_leaves_the_current_profile_untouched() -> None:
    current = draft()

    apply_patch(current, patch({"op": "replace", "path": "title", "value": "Lead"}))

    assert current.job_title is None


# --- filter, paging, list responses --------------------------------------------------------------------


def test_entras_user_name_lookup_is_understood() -> None:
    assert parse_filter('userName eq "ann@example.com"') == ScimFilter("userName", "ann@example.com")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('USERNAME EQ "Ann@Example.com"', ScimFilter("userName", "Ann@Example.com")),
        ('  userName   eq   "a b"  ', ScimFilter("userName", "a b")),
        (r'userName eq "o\"brien@example.com"', ScimFilter("userName", 'o"brien@example.com')),
        (r'userName eq "back\\slash"', ScimFilter("userName", "back\\slash")),
        ('externalId eq "00ujl29u0le5T6Aj10h7"', ScimFilter("externalId", "00ujl29u0le5T6Aj10h7")),
        (f'{CORE_USER}:userName eq "a@x.com"', ScimFilter("userName", "a@x.com")),
    ],
)
def test_filters_on_user_name_and_external_id_are_parsed(text: str, expected: ScimFilter) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize("text", [None, "", "   "])
def test_no_filter_means_everyone(text: str | None) -> None:
    assert parse_filter(text) is None


@pytest.mark.parametrize(
    "text",
    [
        'userName co "ann"',
        'displayName eq "Ann"',
        "userName eq ann@example.com",
        'userName eq "ann" and active eq true',
        'userName eq "unterminated',
        r'userName eq "bad \q escape"',
        "userName pr",
        'emails[type eq "work"].value eq "a@x.com"',
    ],
)
def test_any_other_filter_is_invalid_filter(text: str) -> None:
    with pytest.raises(ScimError) as raised:
        parse_filter(text)

    assert (raised.value.status, raised.value.scim_type) == (400, "invalidFilter")


@pytest.mark.parametrize(
    ("start_index", "count", "expected"),
    [
        (None, None, (1, 100)),
        (1, 10, (1, 10)),
        (0, 10, (1, 10)),
        (-5, 10, (1, 10)),
        (3, -1, (3, 0)),
        (1, 0, (1, 0)),
        (1, 10_000, (1, MAX_COUNT)),
        ("21", "5", (21, 5)),
        ("", "", (1, 100)),
    ],
)
def test_paging_parameters_are_made_sane(
    start_index: int | str | None, count: int | str | None, expected: tuple[int, int]
) -> None:
    result = page(start_index, count)

    assert (result.start_index, result.count) == expected
    assert result.offset == expected[0] - 1


def test_a_non_numeric_paging_parameter_is_invalid_value() -> None:
    with pytest.raises(ScimError) as raised:
        page("first", None)

    assert raised.value.scim_type == "invalidValue"
    assert "startIndex" in raised.value.detail


def test_a_list_response_carries_the_page_and_the_total() -> None:
    resources = [person_to_scim(ann(), BASE_URL)]

    assert list_response(resources, total=7, start_index=3, count=1) == {
        "schemas": [LIST_RESPONSE],
        "totalResults": 7,
        "startIndex": 3,
        "itemsPerPage": 1,
        "Resources": resources,
    }


def test_an_empty_search_is_an_empty_list_not_an_error() -> None:
    body = list_response([], total=0, start_index=1, count=100)

    assert (body["totalResults"], body["itemsPerPage"], body["Resources"]) == (0, 0, [])


def test_a_list_response_never_holds_more_than_count_and_tidies_the_start_index() -> None:
    body = list_response([{"id": str(n)} for n in range(5)], total=5, start_index=0, count=2)

    assert body["itemsPerPage"] == 2
    assert body["startIndex"] == 1


# --- errors ------------------------------------------------------------------------------------------


def test_an_error_body_follows_rfc_7644_with_the_status_as_a_string() -> None:
    assert ScimError.invalid_value("userName is required").body() == {
        "schemas": [ERROR],
        "status": "400",
        "scimType": "invalidValue",
        "detail": "userName is required",
    }


def test_a_not_found_error_has_no_scim_type() -> None:
    error = ScimError.not_found("p-404")

    assert error.status == 404
    assert error.scim_type is None
    assert error.body() == {"schemas": [ERROR], "status": "404", "detail": "no user with id 'p-404'"}


def test_a_duplicate_user_name_is_a_409_uniqueness_error() -> None:
    body = ScimError.uniqueness("ann@example.com").body()

    assert (body["status"], body["scimType"]) == ("409", "uniqueness")
    assert "ann@example.com" in body["detail"]


@pytest.mark.parametrize(
    ("factory", "scim_type"),
    [
        (ScimError.invalid_syntax, "invalidSyntax"),
        (ScimError.invalid_filter, "invalidFilter"),
        (ScimError.invalid_path, "invalidPath"),
        (ScimError.no_target, "noTarget"),
        (ScimError.mutability, "mutability"),
    ],
)
def test_each_bad_request_helper_is_a_400_with_its_scim_type(factory: Any, scim_type: str) -> None:
    error: ScimError = factory("detail")

    assert (error.status, error.scim_type, error.detail) == (400, scim_type, "detail")
    assert error.body()["scimType"] == scim_type


def test_service_errors_translate_to_scim_answers() -> None:
    invalid = ScimError.from_owlery_error(Invalid("unknown time zone 'X'", field="time_zone"))
    taken = ScimError.from_owlery_error(Conflict("taken", user_name="ann@example.com"))
    missing = ScimError.from_owlery_error(NotFound("no such person", person_id="p-1"))

    assert (invalid.status, invalid.scim_type, invalid.detail) == (
        400,
        "invalidValue",
        "timezone: unknown time zone 'X'",
    )
    assert (taken.status, taken.scim_type) == (409, "uniqueness")
    assert (missing.status, missing.scim_type) == (404, None)
