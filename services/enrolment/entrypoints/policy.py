"""Who may call each enrolment endpoint: the service's whole access policy on one screen."""

from shared.auth.policy import OWN_RECORD, SIGNED_IN, Guardrails, allow, own_record
from shared.http import PRIVACY_POLICY

GUARDRAILS = Guardrails(
    policy={
        "POST /courses": allow("trainer", "curator", "admin"),
        "GET /courses": SIGNED_IN,
        "GET /courses/{course_id}": SIGNED_IN,
        # Employees apply for themselves; HR may enrol anyone (the body names the person).
        "POST /courses/{course_id}/applications": allow("employee", owner=OWN_RECORD, unless=["hr_admin", "admin"]),
        **PRIVACY_POLICY,
    },
    rules={OWN_RECORD: own_record("person_id")},
)
