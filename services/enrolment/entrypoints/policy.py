"""Who may call each enrolment endpoint: the service's whole access policy on one screen."""

from collections.abc import Mapping

from enrolment.domain.model import CourseStatus
from enrolment.service import handlers
from enrolment.service.ports import CourseRepository
from shared.auth.policy import OWN_RECORD, SIGNED_IN, Access, Guardrails, OwnershipRule, RequestFacts, allow, own_record
from shared.auth.tokens import Principal
from shared.http import PRIVACY_POLICY

TRAINER_OF_COURSE = "trainer of this course"
MANAGER_OF_APPLICANT = "manager of this applicant"
SEES_COURSE = "published, or the course's own trainer"

COURSE_POLICY: dict[str, Access] = {
    "POST /courses": allow("trainer"),
    "GET /courses": SIGNED_IN,
    "GET /courses/proposals": allow("curator", "admin"),
    # Until it is published, a course is between its trainer and the curators.
    "GET /courses/{course_id}": allow("employee", owner=SEES_COURSE, unless=["curator", "admin"]),
    "PUT /courses/{course_id}": allow("trainer", owner=TRAINER_OF_COURSE),
    "POST /courses/{course_id}/reviews": allow("curator"),
    "POST /courses/{course_id}/rehearsal": allow("curator"),
    "POST /courses/{course_id}/cohorts": allow("trainer", "curator", owner=TRAINER_OF_COURSE, unless=["curator"]),
    # Employees apply for themselves; HR may enrol anyone (the body names the person).
    "POST /courses/{course_id}/applications": allow("employee", owner=OWN_RECORD, unless=["hr_admin", "admin"]),
    "GET /courses/{course_id}/applications/{person_id}": allow(
        "employee", owner=OWN_RECORD, unless=["curator", "hr_admin", "admin"]
    ),
    "POST /courses/{course_id}/applications/{person_id}/withdrawal": allow(
        "employee", owner=OWN_RECORD, unless=["hr_admin", "admin"]
    ),
    "POST /courses/{course_id}/applications/{person_id}/offer/confirmation": allow("employee", owner=OWN_RECORD),
    "POST /courses/{course_id}/applications/{person_id}/manager-decision": allow(
        "employee", owner=MANAGER_OF_APPLICANT
    ),
    "GET /courses/{course_id}/stream-proposal": allow("curator", "admin"),
    "POST /courses/{course_id}/stream-proposals/{proposal_id}/decision": allow("curator"),
}


def ownership_rules(courses: CourseRepository) -> dict[str, OwnershipRule]:
    async def trainer_of_course(principal: Principal, facts: RequestFacts) -> bool:
        course, _ = await handlers.get_course(facts.path["course_id"], courses)
        return course.trainer_id == principal.person_id

    async def manager_of_applicant(principal: Principal, facts: RequestFacts) -> bool:
        course, _ = await handlers.get_course(facts.path["course_id"], courses)
        application = course.applications.get(facts.path["person_id"])
        return application is not None and application.manager_id == principal.person_id

    async def sees_course(principal: Principal, facts: RequestFacts) -> bool:
        course, _ = await handlers.get_course(facts.path["course_id"], courses)
        return course.status is CourseStatus.APPROVED or course.trainer_id == principal.person_id

    return {
        OWN_RECORD: own_record("person_id"),
        TRAINER_OF_COURSE: trainer_of_course,
        MANAGER_OF_APPLICANT: manager_of_applicant,
        SEES_COURSE: sees_course,
    }


def guardrails(
    courses: CourseRepository,
    *extra: tuple[Mapping[str, Access], Mapping[str, OwnershipRule]],
) -> Guardrails:
    """The service's policy: courses and applications here, plus what each other router brings."""
    policy = {**COURSE_POLICY, **PRIVACY_POLICY}
    rules = ownership_rules(courses)
    for more_policy, more_rules in extra:
        policy |= more_policy
        rules |= more_rules
    return Guardrails(policy=policy, rules=rules)
