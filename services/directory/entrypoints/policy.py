"""Who may call each directory endpoint: the service's whole access policy on one screen."""

from shared.auth.policy import PROVISIONING, PUBLIC, SIGNED_IN, Access, Guardrails, allow
from shared.http import PRIVACY_POLICY

SCIM_ROUTES = [
    "GET /scim/v2/ServiceProviderConfig",
    "GET /scim/v2/Users",
    "POST /scim/v2/Users",
    "GET /scim/v2/Users/{person_id}",
    "PUT /scim/v2/Users/{person_id}",
    "PATCH /scim/v2/Users/{person_id}",
    "DELETE /scim/v2/Users/{person_id}",
]

DEV_ISSUER_ROUTES = [
    "GET /dev-oidc/.well-known/openid-configuration",
    "GET /dev-oidc/jwks",
    "GET /dev-oidc/authorize",
    "POST /dev-oidc/token",
]

POLICY: dict[str, Access] = {
    # HR's provisioning system proves itself with its own bearer token, not a person's sign-in.
    **dict.fromkeys(SCIM_ROUTES, PROVISIONING),
    # The development issuer exists only in dev mode; there, signing in needs no token, by definition.
    **dict.fromkeys(DEV_ISSUER_ROUTES, PUBLIC),
    "GET /people/me": SIGNED_IN,
    "GET /people/{person_id}": SIGNED_IN,
    "POST /people/import": allow("hr_admin", "admin"),
    "GET /imports": allow("hr_admin", "admin"),
    "GET /imports/{import_id}": allow("hr_admin", "admin"),
    "POST /people/{person_id}/erasure": allow("hr_admin"),
    "GET /people/{person_id}/export": allow("hr_admin", "admin"),
    **PRIVACY_POLICY,
}

GUARDRAILS = Guardrails(policy=POLICY)
