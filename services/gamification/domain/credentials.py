"""A badge award as an Open Badges 3.0 credential: an `OpenBadgeCredential` whose subject holds the achievement.

The shape is that of 1EdTech Open Badges 3.0 (on the W3C Verifiable Credentials Data Model 2.0); the
proof is the JSON Web Token format of OB 3.0 section 8.2: the JWT payload is the credential itself
with the registered claims `iss` (issuer.id), `jti` (id), `sub` (credentialSubject.id) and `nbf`
(validFrom). Signing is the adapter's; everything here is data.

Identifiers: the credential's id is a UUID URN derived from the award id, so exporting the same badge
twice gives the same credential; the recipient and the achievement are URNs under `urn:owlery:`.
A credential from a restricted deed is valid from the start of its day, like everything else shown of it.

Plain Python: stdlib and the domain's own modules only.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gamification.domain.badges import Badge, BadgeAward

CREDENTIALS_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OPEN_BADGES_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT = [CREDENTIALS_V2_CONTEXT, OPEN_BADGES_CONTEXT]
LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Issuer:
    """The organisation that vouches for the badges: its profile is published at `id`."""

    id: str  # an HTTP(S) URL that dereferences to the profile
    name: str
    url: str | None = None  # the organisation's home page

    def profile(self) -> dict[str, Any]:
        """The OB 3.0 `Profile`, as embedded in a credential."""
        profile: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        if self.url:
            profile["url"] = self.url
        return profile

    def published_profile(self) -> dict[str, Any]:
        """The profile as a stand-alone JSON-LD document, for whoever dereferences the issuer id."""
        return {"@context": CONTEXT, **self.profile()}


def credential_id(award: BadgeAward) -> str:
    return uuid.UUID(hex=award.id[:32].ljust(32, "0")).urn


def recipient_id(person_id: str) -> str:
    return f"urn:owlery:person:{person_id}"


def achievement_id(award: BadgeAward) -> str:
    scope = f":{award.scope_id}" if award.scope_id else ""
    return f"urn:owlery:achievement:{award.badge_id}{scope}"


def open_badge_credential(award: BadgeAward, badge: Badge, issuer: Issuer, lang: str = "en") -> dict[str, Any]:
    """The unsigned OpenBadgeCredential for one award, its texts in `lang` (en or ru)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}")
    return {
        "@context": CONTEXT,
        "id": credential_id(award),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer.profile(),
        "validFrom": _xsd_datetime(award.valid_from),
        "name": badge.name(lang),
        "credentialSubject": {
            "id": recipient_id(award.person_id),
            "type": ["AchievementSubject"],
            "achievement": {
                "id": achievement_id(award),
                "type": ["Achievement"],
                "name": badge.name(lang),
                "description": badge.description(lang),
                "criteria": {"narrative": badge.criteria(lang)},
                "achievementType": badge.achievement_type,
                "inLanguage": lang,
            },
        },
    }


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The JWT payload of OB 3.0's JSON Web Token proof: the credential plus the claims mirroring it."""
    valid_from = datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))
    return {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": int(valid_from.timestamp()),
    }


def _xsd_datetime(moment: datetime) -> str:
    """Whole seconds in UTC with a Z, so `nbf` (whole seconds) equals it exactly, as a verifier checks."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
