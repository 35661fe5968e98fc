"""Who may call each notifications endpoint: the service's whole access policy on one screen."""

from shared.auth.policy import OWN_RECORD, Guardrails, allow, own_record
from shared.http import PRIVACY_POLICY

GUARDRAILS = Guardrails(
    policy={
        # An inbox is private: not even an admin reads someone else's (HR has the privacy export).
        "GET /people/{person_id}/inbox": allow("employee", owner=OWN_RECORD),
        **PRIVACY_POLICY,
    },
    rules={OWN_RECORD: own_record("person_id")},
)
