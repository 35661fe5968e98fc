"""Who may call each mentoring endpoint: the service's whole access policy on one screen."""

from shared.auth.policy import OWN_RECORD, SIGNED_IN, Guardrails, allow, own_record
from shared.http import PRIVACY_POLICY

GUARDRAILS = Guardrails(
    policy={
        "POST /programmes": allow("curator", "admin"),
        "GET /programmes/{programme_id}": SIGNED_IN,
        # Participation is voluntary: people register themselves; a curator may add anyone.
        "POST /programmes/{programme_id}/participants": allow(
            "employee", owner=OWN_RECORD, unless=["curator", "admin"]
        ),
        **PRIVACY_POLICY,
    },
    rules={OWN_RECORD: own_record("person_id")},
)
