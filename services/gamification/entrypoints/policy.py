"""Who may call each gamification endpoint: the service's whole access policy on one screen."""

from shared.auth.policy import OWN_RECORD, PUBLIC, SIGNED_IN, Guardrails, allow, own_record
from shared.http import PRIVACY_POLICY

GUARDRAILS = Guardrails(
    policy={
        # A person's ledger says what they did and when: theirs to see, and HR's.
        "GET /people/{person_id}/points": allow("employee", owner=OWN_RECORD, unless=["hr_admin", "admin"]),
        "GET /rules": SIGNED_IN,
        # Boards show names, departments and points of those who did not opt out: for every colleague.
        "GET /leaderboards": SIGNED_IN,
        "GET /leaderboards/departments": SIGNED_IN,
        # A rank is computed even for someone who opted out: theirs to see, and HR's.
        "GET /people/{person_id}/rank": allow("employee", owner=OWN_RECORD, unless=["hr_admin", "admin"]),
        "PUT /people/{person_id}/leaderboard-visibility": allow("employee", owner=OWN_RECORD),
        # A title names a person, a scope and a count: for every colleague to see, never a comment or a time.
        "GET /titles": SIGNED_IN,
        # Rings say who marks whom (and so who wrote what): moderators only; their decisions are audited.
        "GET /rings": allow("moderator", "admin"),
        "GET /rings/{ring_id}": allow("moderator", "admin"),
        "POST /rings/{ring_id}/decision": allow("moderator", "admin"),
        # Badges: the issuer and its key are for any verifier outside; a person's badges are theirs and HR's,
        # and only the person exports one as a credential (it is theirs to hand out).
        "GET /badges/issuer": PUBLIC,
        "GET /badges/issuer/jwks": PUBLIC,
        "GET /people/{person_id}/badges": allow("employee", owner=OWN_RECORD, unless=["hr_admin", "admin"]),
        "GET /people/{person_id}/badges/{award_id}/credential": allow("employee", owner=OWN_RECORD),
        "PUT /rules/{rule_id}": allow("admin"),
        "POST /rules/{rule_id}/deactivation": allow("admin"),
        # Recalculations list every changed person's totals, restricted points included: admins only.
        "POST /recalculations": allow("admin"),
        "GET /recalculations/{recalculation_id}": allow("admin"),
        "POST /recalculations/{recalculation_id}/application": allow("admin"),
        **PRIVACY_POLICY,
    },
    rules={OWN_RECORD: own_record("person_id")},
)
