"""Who may call each notifications endpoint: the service's whole access policy on one screen."""

from notifications.entrypoints.lrs_http import LRS_POLICY
from notifications.entrypoints.webhooks_http import WEBHOOK_POLICY
from shared.auth.policy import OWN_RECORD, Guardrails, allow, own_record
from shared.http import PRIVACY_POLICY

GUARDRAILS = Guardrails(
    policy={
        # An inbox, its settings and what was sent are private: not even an admin reads someone else's (HR has
        # the privacy export).
        "GET /people/{person_id}/inbox": allow("employee", owner=OWN_RECORD),
        "POST /people/{person_id}/inbox/{message_id}/read": allow("employee", owner=OWN_RECORD),
        "POST /people/{person_id}/inbox/read": allow("employee", owner=OWN_RECORD),
        "GET /people/{person_id}/notification-preferences": allow("employee", owner=OWN_RECORD),
        "PUT /people/{person_id}/notification-preferences": allow("employee", owner=OWN_RECORD),
        "GET /people/{person_id}/notifications": allow("employee", owner=OWN_RECORD),
        **WEBHOOK_POLICY,
        **LRS_POLICY,
        **PRIVACY_POLICY,
    },
    rules={OWN_RECORD: own_record("person_id")},
)
