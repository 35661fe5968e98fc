"""Who may call each gamification endpoint: the service's whole access policy on one screen."""

from shared.auth.policy import OWN_RECORD, SIGNED_IN, Guardrails, allow, own_record
from shared.http import PRIVACY_POLICY

GUARDRAILS = Guardrails(
    policy={
        # A person's ledger says what they did and when: theirs to see, and HR's.
        "GET /people/{person_id}/points": allow("employee", owner=OWN_RECORD, unless=["hr_admin", "admin"]),
        "GET /rules": SIGNED_IN,
        "PUT /rules/{rule_id}": allow("admin"),
        "POST /rules/{rule_id}/deactivation": allow("admin"),
        **PRIVACY_POLICY,
    },
    rules={OWN_RECORD: own_record("person_id")},
)
