"""SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol) for the User resource, as Entra ID and Okta speak it.

Only the mapping lives here: SCIM JSON in, `ProfileDraft` out, `Person` back to SCIM JSON, PATCH
operations applied to a profile, the one filter provisioning clients use, list responses and error
bodies. Reading the request and storing people is the service layer's job.

Provisioning clients are lenient about types and strict about answers: Entra sends booleans as the
strings "True"/"False", attribute names in any case, and many attributes Owlery does not keep. We accept
all of that, ignore what we do not keep, and answer anything we cannot take with a SCIM error body
naming the attribute, because that text is what an IT admin sees in the provisioning log.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from directory.domain.model import (
    DEFAULT_LOCALE,
    DEFAULT_TIME_ZONE,
    Person,
    ProfileDraft,
    normalise_email,
)
from shared.errors import Conflict, Invalid, NotFound, OwleryError

MEDIA_TYPE = "application/scim+json"

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

DEFAULT_COUNT = 100
MAX_COUNT = 200  # a page larger than this is cut, as RFC 7644 §3.4.2.4 allows a provider to

# Our field → the SCIM attribute an admin recognises in an error message.
SCIM_ATTRIBUTE = {
    "user_name": "userName",
    "display_name": "displayName",
    "email": "emails",
    "external_id": "externalId",
    "department": f"{ENTERPRISE_USER}:department",
    "manager_id": f"{ENTERPRISE_USER}:manager",
    "job_title": "title",
    "locale": "preferredLanguage",
    "time_zone": "timezone",
    "active": "active",
}

# User attributes of RFC 7643 §4.1 and §4.3 that Owlery does not keep: accepted and ignored, because
# Entra's default attribute mapping sends phone numbers, addresses and the like on every change.
_IGNORED_CORE = frozenset(
    name.casefold()
    for name in (
        "nickName",
        "profileUrl",
        "userType",
        "password",
        "phoneNumbers",
        "ims",
        "photos",
        "addresses",
        "groups",
        "entitlements",
        "roles",
        "x509Certificates",
    )
)
_IGNORED_ENTERPRISE = frozenset(
    name.casefold() for name in ("employeeNumber", "costCenter", "organization", "division")
)
_IGNORED_NAME_PARTS = frozenset(
    name.casefold() for name in ("givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix")
)
_READ_ONLY = frozenset(("id", "meta", "schemas"))


class ScimError(Exception):
    """An answer a SCIM client understands: HTTP status, RFC 7644 §3.12 scimType and a detail for the admin."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.scim_type = scim_type
        self.detail = detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR], "status": str(self.status)}
        if self.scim_type is not None:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body

    def __repr__(self) -> str:
        return f"ScimError({self.status}, {self.detail!r}, scim_type={self.scim_type!r})"

    @classmethod
    def invalid_syntax(cls, detail: str) -> "ScimError":
        return cls(400, detail, "invalidSyntax")

    @classmethod
    def invalid_filter(cls, detail: str) -> "ScimError":
        return cls(400, detail, "invalidFilter")

    @classmethod
    def invalid_value(cls, detail: str) -> "ScimError":
        return cls(400, detail, "invalidValue")

    @classmethod
    def invalid_path(cls, detail: str) -> "ScimError":
        return cls(400, detail, "invalidPath")

    @classmethod
    def no_target(cls, detail: str) -> "ScimError":
        return cls(400, detail, "noTarget")

    @classmethod
    def mutability(cls, detail: str) -> "ScimError":
        return cls(400, detail, "mutability")

    @classmethod
    def uniqueness(cls, user_name: str) -> "ScimError":
        return cls(409, f"userName {user_name!r} is already taken by another user", "uniqueness")

    @classmethod
    def not_found(cls, resource_id: str) -> "ScimError":
        return cls(404, f"no user with id {resource_id!r}")

    @classmethod
    def from_owlery_error(cls, error: OwleryError) -> "ScimError":
        """The SCIM answer to an error the domain or service layer raised."""
        if isinstance(error, Invalid):
            return cls.invalid_value(_scim_detail(error))
        if isinstance(error, Conflict):
            user_name = error.details.get("user_name")
            return cls.uniqueness(user_name) if isinstance(user_name, str) else cls(409, error.message, "uniqueness")
        if isinstance(error, NotFound):
            return cls(404, error.message)
        return cls(400, error.message)


def _scim_detail(error: Invalid) -> str:
    field = error.details.get("field")
    attribute = SCIM_ATTRIBUTE.get(field, field) if isinstance(field, str) else None
    return f"{attribute}: {error.message}" if attribute else error.message


def _validated(draft: ProfileDraft) -> ProfileDraft:
    try:
        return draft.validated()
    except Invalid as error:
        raise ScimError.invalid_value(_scim_detail(error)) from error


# --- reading values the way provisioning clients send them --------------------------------------------


def _get(resource: Mapping[str, Any], name: str) -> Any:
    """An attribute by name, case-insensitively (RFC 7643 §2.1); absent and null are both None."""
    if name in resource:
        return resource[name]
    folded = name.casefold()
    return next((value for key, value in resource.items() if key.casefold() == folded), None)


def _string(value: Any, attribute: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ScimError.invalid_value(f"{attribute} must be a string, got {_json_type(value)}")
    return value


def _boolean(value: Any, attribute: str) -> bool:
    if isinstance(value, bool):
        return value
    # Entra ID sends booleans in PATCH values as the strings "True" and "False".
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    raise ScimError.invalid_value(f"{attribute} must be true or false, got {json.dumps(value)}")


def _mapping(value: Any, attribute: str) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ScimError.invalid_value(f"{attribute} must be an object, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return "null" if value is None else type(value).__name__


def _work_email(value: Any) -> str | None:
    """The address to keep from a multi-valued `emails`: the primary one, else the work one, else the first."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ScimError.invalid_value(f"emails must be an array, got {_json_type(value)}")
    emails: list[Mapping[str, Any]] = []
    for index, item in enumerate(value):
        email = _mapping(item, f"emails[{index}]")
        if email is not None and _string(_get(email, "value"), f"emails[{index}].value"):
            emails.append(email)
    chosen = (
        next((e for e in emails if _get(e, "primary") is not None and _boolean(_get(e, "primary"), "primary")), None)
        or next((e for e in emails if str(_get(e, "type") or "").casefold() == "work"), None)
        or (emails[0] if emails else None)
    )
    return _get(chosen, "value") if chosen is not None else None


def _manager_id(value: Any, attribute: str) -> str | None:
    # Entra sends the manager as {"value": id} in a body and as a bare id string in a PATCH.
    if isinstance(value, Mapping):
        return _string(_get(value, "value"), f"{attribute}.value") or None
    return _string(value, attribute) or None


# --- SCIM User → our profile --------------------------------------------------------------------------


def person_fields_from_scim(resource: Mapping[str, Any]) -> ProfileDraft:
    """The profile in a SCIM User body (POST or PUT); unknown attributes are ignored.

    Raises `ScimError` 400 invalidValue naming the attribute when a value has the wrong type, a required
    one is missing (userName, a display name, an email) or a value breaks a directory rule.
    """
    if not isinstance(resource, Mapping):
        raise ScimError.invalid_syntax("the request body must be a SCIM User object")
    user_name = _string(_get(resource, "userName"), "userName")
    if not user_name or not user_name.strip():
        raise ScimError.invalid_value("userName is required")
    name = _mapping(_get(resource, "name"), "name") or {}
    enterprise = _mapping(_get(resource, ENTERPRISE_USER), ENTERPRISE_USER) or {}
    active = _get(resource, "active")
    locale = _string(_get(resource, "preferredLanguage"), "preferredLanguage") or _string(
        _get(resource, "locale"), "locale"
    )
    draft = ProfileDraft(
        user_name=user_name,
        display_name=_display_name(resource, name) or "",
        email=_work_email(_get(resource, "emails")) or _email_like(user_name) or "",
        external_id=_string(_get(resource, "externalId"), "externalId"),
        department=_string(_get(enterprise, "department"), f"{ENTERPRISE_USER}:department"),
        manager_id=_manager_id(_get(enterprise, "manager"), f"{ENTERPRISE_USER}:manager"),
        job_title=_string(_get(resource, "title"), "title"),
        locale=locale or DEFAULT_LOCALE,
        time_zone=_string(_get(resource, "timezone"), "timezone") or DEFAULT_TIME_ZONE,
        active=True if active is None else _boolean(active, "active"),
    )
    return _validated(draft)


def _display_name(resource: Mapping[str, Any], name: Mapping[str, Any]) -> str | None:
    display_name = _string(_get(resource, "displayName"), "displayName")
    if display_name and display_name.strip():
        return display_name
    formatted = _string(_get(name, "formatted"), "name.formatted")
    if formatted and formatted.strip():
        return formatted
    parts = (_string(_get(name, "givenName"), "name.givenName"), _string(_get(name, "familyName"), "name.familyName"))
    return " ".join(part.strip() for part in parts if part and part.strip()) or None


def _email_like(user_name: str) -> str | None:
    # With no emails at all the userName, usually a UPN shaped like an address, is the best we have.
    try:
        return normalise_email(user_name)
    except Invalid:
        return None


# --- our person → SCIM User ---------------------------------------------------------------------------


def etag(person: Person) -> str:
    """The weak ETag of a person's version, as `meta.version` and the ETag header carry it."""
    return f'W/"{person.version}"'


def person_to_scim(person: Person, base_url: str) -> dict[str, Any]:
    """The User resource; `base_url` is the SCIM root the client called (e.g. https://host/scim/v2)."""
    location = f"{base_url.rstrip('/')}/Users/{person.id}"
    resource: dict[str, Any] = {"schemas": [CORE_USER, ENTERPRISE_USER], "id": person.id}
    if person.external_id is not None:
        resource["externalId"] = person.external_id
    resource |= {
        "userName": person.user_name,
        "displayName": person.display_name,
        "name": {"formatted": person.display_name},
        "emails": [{"value": person.email, "type": "work", "primary": True}],
        "active": person.active,
    }
    if person.job_title is not None:
        resource["title"] = person.job_title
    resource |= {"preferredLanguage": person.locale, "locale": person.locale, "timezone": person.time_zone}
    enterprise: dict[str, Any] = {}
    if person.department is not None:
        enterprise["department"] = person.department
    if person.manager_id is not None:
        enterprise["manager"] = {"value": person.manager_id}
    if enterprise:
        resource[ENTERPRISE_USER] = enterprise
    resource["meta"] = {"resourceType": "User", "version": etag(person), "location": location}
    return resource


# --- PATCH (RFC 7644 §3.5.2) --------------------------------------------------------------------------

_PATH = re.compile(
    r"^(?P<attribute>[A-Za-z][\w$-]*)(?:\[(?P<filter>[^\]]*)\])?(?:\.(?P<sub>[A-Za-z][\w$-]*))?$",
)
_VALUE_FILTER = re.compile(
    r'^\s*(?P<attribute>[A-Za-z][\w$-]*)\s+eq\s+(?P<value>"(?:[^"\\]|\\.)*"|true|false)\s*$', re.I
)


def apply_patch(current: Person | ProfileDraft, patch_body: Mapping[str, Any]) -> ProfileDraft:
    """The profile after a PatchOp request; nothing is changed in `current`.

    Operations are applied in order; op names are case-insensitive (Entra sends "Replace"); an operation
    with no path takes an object whose keys are attribute names or full paths (Okta's style).
    Raises `ScimError`: 400 invalidSyntax for a malformed body, invalidPath for a path Owlery does not
    know, invalidFilter for a bad filter in a path, noTarget for a remove without a path, mutability for
    read-only attributes, invalidValue for wrong types or a result that breaks a directory rule.
    """
    profile = current.profile if isinstance(current, Person) else current
    fields: dict[str, Any] = asdict(profile)
    for op, path, value in _operations(patch_body):
        if path is None:
            if op == "remove":
                raise ScimError.no_target("a remove operation needs a path")
            if not isinstance(value, Mapping):
                raise ScimError.invalid_syntax(f"an {op} operation without a path needs an object value")
            _apply_object(fields, op, value, prefix="")
        else:
            _apply_path(fields, op, path, value)
    return _validated(ProfileDraft(**fields))


def _operations(body: Mapping[str, Any]) -> list[tuple[str, str | None, Any]]:
    if not isinstance(body, Mapping):
        raise ScimError.invalid_syntax("the request body must be a PatchOp object")
    schemas = _get(body, "schemas")
    # Okta leaves `schemas` out at times; when present it must name PatchOp.
    if schemas is not None and (
        not isinstance(schemas, list) or PATCH_OP.casefold() not in [str(s).casefold() for s in schemas]
    ):
        raise ScimError.invalid_syntax(f"schemas must contain {PATCH_OP}")
    operations = _get(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError.invalid_syntax("a PatchOp request needs a non-empty Operations array")
    parsed: list[tuple[str, str | None, Any]] = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, Mapping):
            raise ScimError.invalid_syntax(f"Operations[{index}] must be an object")
        op = _get(operation, "op")
        if not isinstance(op, str) or op.casefold() not in ("add", "replace", "remove"):
            raise ScimError.invalid_syntax(f"Operations[{index}].op must be add, replace or remove, got {op!r}")
        path = _get(operation, "path")
        if path is not None and (not isinstance(path, str) or not path.strip()):
            raise ScimError.invalid_path(f"Operations[{index}].path must be a non-empty string")
        has_value = any(key.casefold() == "value" for key in operation)
        if op.casefold() != "remove" and not has_value:
            raise ScimError.invalid_syntax(f"Operations[{index}] ({op}) needs a value")
        parsed.append((op.casefold(), path.strip() if path else None, _get(operation, "value")))
    return parsed


def _apply_object(fields: dict[str, Any], op: str, values: Mapping[str, Any], prefix: str) -> None:
    for key, value in values.items():
        if not isinstance(key, str):
            raise ScimError.invalid_path(f"not an attribute name: {key!r}")
        if not prefix and key.casefold() in _READ_ONLY:
            continue  # some clients send the whole resource back, id and meta included
        if key.casefold() == ENTERPRISE_USER.casefold():
            # {"urn:…:enterprise:2.0:User": {"department": …}}: the extension as an object of its attributes.
            extension = _mapping(value, ENTERPRISE_USER) or {}
            _apply_object(fields, op, extension, prefix=f"{ENTERPRISE_USER}:")
        elif not prefix and key.casefold() == "name" and isinstance(value, Mapping):
            _apply_object(fields, op, value, prefix="name.")
        else:
            _apply_path(fields, op, prefix + key, value)


def _apply_path(fields: dict[str, Any], op: str, path: str, value: Any) -> None:
    remove = op == "remove"
    if path.casefold() == ENTERPRISE_USER.casefold():
        # The whole extension: its attributes as an object, or all of them cleared.
        if remove:
            fields["department"] = fields["manager_id"] = None
        else:
            _apply_object(fields, op, _mapping(value, path) or {}, prefix=f"{ENTERPRISE_USER}:")
        return
    extension, attribute, value_filter, sub = _parse_path(path)
    key = attribute.casefold()
    sub_key = sub.casefold() if sub else None

    if extension:
        if key == "department" and sub_key is None and value_filter is None:
            fields["department"] = None if remove else _string(value, path)
        elif key == "manager" and sub_key in (None, "value") and value_filter is None:
            fields["manager_id"] = None if remove else _manager_id(value, path)
        elif key in _IGNORED_ENTERPRISE or key == "manager":
            pass
        else:
            raise ScimError.invalid_path(f"unsupported path {path!r}")
        return

    if key in _READ_ONLY:
        raise ScimError.mutability(f"{attribute} is read-only")
    if key in _IGNORED_CORE:
        return
    if value_filter is not None and key != "emails":
        raise ScimError.invalid_path(f"unsupported path {path!r}: only emails take a filter")
    if sub_key is not None and key not in ("name", "emails"):
        raise ScimError.invalid_path(f"unsupported path {path!r}")

    if key == "username":
        if remove:
            raise ScimError.invalid_value("userName is required and cannot be removed")
        fields["user_name"] = _string(value, "userName")
    elif key == "externalid":
        fields["external_id"] = None if remove else _string(value, "externalId")
    elif key == "displayname":
        if remove:
            raise ScimError.invalid_value("displayName is required and cannot be removed")
        fields["display_name"] = _string(value, "displayName")
    elif key == "name":
        _apply_name(fields, remove, sub_key, value, path)
    elif key == "title":
        fields["job_title"] = None if remove else _string(value, "title")
    elif key in ("preferredlanguage", "locale"):
        # A null value clears an attribute (RFC 7644 §3.5.2.3); here that means back to the default.
        fields["locale"] = (None if remove else _string(value, attribute)) or DEFAULT_LOCALE
    elif key == "timezone":
        fields["time_zone"] = (None if remove else _string(value, "timezone")) or DEFAULT_TIME_ZONE
    elif key == "active":
        if remove:
            raise ScimError.invalid_value("active cannot be removed: replace it with true or false")
        fields["active"] = _boolean(value, "active")
    elif key == "emails":
        _apply_emails(fields, op, value_filter, sub_key, value, path)
    else:
        raise ScimError.invalid_path(f"unsupported path {path!r}")


def _parse_path(path: str) -> tuple[bool, str, str | None, str | None]:
    """(in the enterprise extension, attribute, filter inside [ ], sub-attribute) of an attribute path."""
    extension = False
    for urn, is_extension in ((ENTERPRISE_USER, True), (CORE_USER, False)):
        if path.casefold().startswith(urn.casefold() + ":"):
            path, extension = path[len(urn) + 1 :], is_extension
            break
    else:
        if path.casefold().startswith("urn:"):
            raise ScimError.invalid_path(f"unsupported schema in path {path!r}")
    match = _PATH.match(path)
    if match is None:
        raise ScimError.invalid_path(f"not an attribute path: {path!r}")
    return extension, match["attribute"], match["filter"], match["sub"]


def _apply_name(fields: dict[str, Any], remove: bool, sub_key: str | None, value: Any, path: str) -> None:
    if sub_key is None:
        # The whole complex attribute: only `formatted` matters to us.
        if remove:
            raise ScimError.invalid_value("name cannot be removed: displayName is required")
        name = _mapping(value, "name") or {}
        formatted = _string(_get(name, "formatted"), "name.formatted")
        if formatted and formatted.strip():
            fields["display_name"] = formatted
    elif sub_key == "formatted":
        if remove:
            raise ScimError.invalid_value("name.formatted cannot be removed: displayName is required")
        fields["display_name"] = _string(value, "name.formatted")
    elif sub_key in _IGNORED_NAME_PARTS:
        # Given and family names are not kept: Entra and Okta send displayName alongside them.
        _string(value, path)
    else:
        raise ScimError.invalid_path(f"unsupported path {path!r}")


def _apply_emails(
    fields: dict[str, Any], op: str, value_filter: str | None, sub_key: str | None, value: Any, path: str
) -> None:
    if value_filter is None:
        if sub_key is not None:
            raise ScimError.invalid_path(f'unsupported path {path!r}: say which email, e.g. emails[type eq "work"]')
        if op == "remove":
            raise ScimError.invalid_value("emails cannot be removed: a person needs an email address")
        email = _work_email(value if isinstance(value, list) else [value])
        if email is not None:
            fields["email"] = email
        return
    if sub_key not in (None, "value"):
        if sub_key in ("type", "primary", "display"):
            return  # the address is always the primary work one here
        raise ScimError.invalid_path(f"unsupported path {path!r}")
    if not _is_work_email_filter(value_filter):
        return  # home and other addresses are not kept
    if op == "remove":
        raise ScimError.invalid_value("the work email cannot be removed: a person needs an email address")
    if sub_key is None:
        item = _mapping(value, path) or {}
        value = _get(item, "value")
    fields["email"] = _string(value, path)


def _is_work_email_filter(text: str) -> bool:
    match = _VALUE_FILTER.match(text)
    if match is None:
        raise ScimError.invalid_filter(f"unsupported filter in path: [{text}]")
    attribute, literal = match["attribute"].casefold(), match["value"]
    if attribute == "type":
        return literal.startswith('"') and _unquote(literal).casefold() == "work"
    if attribute == "primary":
        return literal.casefold() == "true"
    if attribute == "value":
        return True
    raise ScimError.invalid_filter(f"unsupported filter in path: [{text}]")


def _unquote(literal: str) -> str:
    try:
        text = json.loads(literal)
    except ValueError as error:
        raise ScimError.invalid_filter(f"bad string in filter: {literal}") from error
    if not isinstance(text, str):
        raise ScimError.invalid_filter(f"bad string in filter: {literal}")
    return text


# --- filtering and listing (RFC 7644 §3.4.2) ----------------------------------------------------------

_FILTER = re.compile(
    r'^\s*(?:urn:ietf:params:scim:schemas:core:2\.0:user:)?(?P<attribute>username|externalid)\s+eq\s+(?P<value>"(?:[^"\\]|\\.)*")\s*$',
    re.IGNORECASE,
)
_FILTER_ATTRIBUTE = {"username": "userName", "externalid": "externalId"}


class ScimFilter(NamedTuple):
    """`attribute eq "value"`; userName is to be compared case-insensitively, externalId exactly."""

    attribute: str  # "userName" or "externalId"
    value: str


def parse_filter(text: str | None) -> ScimFilter | None:
    """The `filter` query parameter: None when absent or blank; only `userName eq "…"` and `externalId eq "…"`.

    Those are the lookups Entra ID and Okta make before creating a user. Raises `ScimError` 400
    invalidFilter for anything else, so a client learns we cannot filter rather than getting everyone.
    """
    if text is None or not text.strip():
        return None
    match = _FILTER.match(text)
    if match is None:
        raise ScimError.invalid_filter(f'unsupported filter {text!r}: use userName eq "…" or externalId eq "…"')
    return ScimFilter(_FILTER_ATTRIBUTE[match["attribute"].casefold()], _unquote(match["value"]))


@dataclass(frozen=True)
class Page:
    """SCIM paging: `start_index` is 1-based; `offset` is what a repository skips."""

    start_index: int
    count: int

    @property
    def offset(self) -> int:
        return self.start_index - 1


def page(start_index: int | str | None = None, count: int | str | None = None) -> Page:
    """Paging parameters made sane: startIndex < 1 → 1, count < 0 → 0, count capped at MAX_COUNT."""
    start = _integer(start_index, "startIndex", default=1)
    size = _integer(count, "count", default=DEFAULT_COUNT)
    return Page(start_index=max(1, start), count=min(max(0, size), MAX_COUNT))


def _integer(value: int | str | None, name: str, default: int) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ScimError.invalid_value(f"{name} must be an integer, got {value!r}") from error


def list_response(resources: Iterable[Mapping[str, Any]], total: int, start_index: int, count: int) -> dict[str, Any]:
    """A ListResponse page; `itemsPerPage` is how many resources this page holds (never more than `count`)."""
    items = [dict(resource) for resource in resources][: max(0, min(count, MAX_COUNT))]
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": max(0, total),
        "startIndex": max(1, start_index),
        "itemsPerPage": len(items),
        "Resources": items,
    }
