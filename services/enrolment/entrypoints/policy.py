"""Who may call each enrolment endpoint: the service's whole access policy on one screen."""

from collections.abc import Mapping

from enrolment.domain.model import CourseStatus
from enrolment.service import conferences as conference_use
from enrolment.service import handlers
from enrolment.service import master_classes as master_class_use
from enrolment.service.conferences import Conferences
from enrolment.service.master_classes import MasterClasses
from enrolment.service.ports import CourseRepository
from shared.auth.policy import OWN_RECORD, SIGNED_IN, Access, Guardrails, OwnershipRule, RequestFacts, allow, own_record
from shared.auth.tokens import EMPLOYEE, Principal
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
    # One's own learning page; HR and admins see anyone's.
    "GET /people/{person_id}/applications": allow("employee", owner=OWN_RECORD, unless=["hr_admin", "admin"]),
    "GET /courses/{course_id}/stream-proposal": allow("curator", "admin"),
    "GET /courses/stream-proposals": allow("curator", "admin"),
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


# --- master classes (routes in master_classes_http.py) ---------------------------------------------------

MASTER_CLASS = "/master-classes/{master_class_id}"

HOST = "host of this master class"
REGISTERED = "registered for this master class"
SEES_MASTER_CLASS = "published master class, or its host"

SEE_ALL_MASTER_CLASSES = ("curator", "admin")
"""Roles that see master classes before they are published (to approve them)."""

MASTER_CLASS_POLICY: dict[str, Access] = {
    "POST /master-classes": SIGNED_IN,
    "GET /master-classes": SIGNED_IN,
    f"GET {MASTER_CLASS}": allow(EMPLOYEE, owner=SEES_MASTER_CLASS, unless=SEE_ALL_MASTER_CLASSES),
    f"POST {MASTER_CLASS}/approval": allow("curator"),
    f"POST {MASTER_CLASS}/registrations": SIGNED_IN,
    f"DELETE {MASTER_CLASS}/registrations/{{person_id}}": allow(EMPLOYEE, owner=OWN_RECORD),
    f"POST {MASTER_CLASS}/held": allow(EMPLOYEE, owner=HOST),
    f"POST {MASTER_CLASS}/recording": allow(EMPLOYEE, owner=HOST),
    f"POST {MASTER_CLASS}/feedback": allow(EMPLOYEE, owner=REGISTERED),
}


def master_class_ownership_rules(master_classes: MasterClasses) -> dict[str, OwnershipRule]:
    """The rules MASTER_CLASS_POLICY names (own record comes with the course policy); unknown ids are 404."""

    async def host(principal: Principal, facts: RequestFacts) -> bool:
        found = await master_class_use.get(master_classes, facts.path["master_class_id"])
        return principal.person_id == found.host_id

    async def registered(principal: Principal, facts: RequestFacts) -> bool:
        found = await master_class_use.get(master_classes, facts.path["master_class_id"])
        return principal.person_id in found.registered

    async def sees(principal: Principal, facts: RequestFacts) -> bool:
        found = await master_class_use.get(master_classes, facts.path["master_class_id"])
        return found.status != "proposed" or principal.person_id == found.host_id

    return {HOST: host, REGISTERED: registered, SEES_MASTER_CLASS: sees}


# --- conferences (routes in conferences_http.py) ----------------------------------------------------------

CONFERENCE = "/conferences/{conference_id}"
PROPOSAL = f"{CONFERENCE}/proposals/{{proposal_id}}"
TALK = f"{CONFERENCE}/talks/{{talk_id}}"

COMMITTEE = "programme committee of this conference"
CHAIR = "chair of this conference"
SPEAKER = "speaker of this talk"
SPEAKER_OR_CHAIR = "speaker of this talk, or the chair"
ATTENDED = "attended this talk"

CONFERENCE_POLICY: dict[str, Access] = {
    "POST /conferences": allow("curator", "hr_admin"),
    "GET /conferences": SIGNED_IN,
    f"GET {CONFERENCE}": SIGNED_IN,
    f"POST {CONFERENCE}/proposals": SIGNED_IN,
    # Blind review: even admins do not read scores; a member reads them after scoring (else 403).
    f"POST {PROPOSAL}/scores": allow(EMPLOYEE, owner=COMMITTEE),
    f"GET {PROPOSAL}/scores": allow(EMPLOYEE, owner=COMMITTEE),
    f"POST {PROPOSAL}/decision": allow(EMPLOYEE, owner=CHAIR),
    f"PUT {PROPOSAL}/slot": allow(EMPLOYEE, owner=CHAIR),
    f"POST {CONFERENCE}/programme": allow(EMPLOYEE, owner=CHAIR),
    f"POST {TALK}/registrations": SIGNED_IN,
    f"POST {TALK}/attendance": allow(EMPLOYEE, owner=SPEAKER_OR_CHAIR),
    f"POST {TALK}/feedback": allow(EMPLOYEE, owner=ATTENDED),
    f"POST {TALK}/recording": allow(EMPLOYEE, owner=SPEAKER),
}


def conference_ownership_rules(conferences: Conferences) -> dict[str, OwnershipRule]:
    """The rules CONFERENCE_POLICY names; unknown conferences, proposals and talks are 404."""

    async def committee(principal: Principal, facts: RequestFacts) -> bool:
        found = await conference_use.get(conferences, facts.path["conference_id"])
        return found.is_member(principal.person_id)

    async def chair(principal: Principal, facts: RequestFacts) -> bool:
        found = await conference_use.get(conferences, facts.path["conference_id"])
        return found.is_chair(principal.person_id)

    async def speaker(principal: Principal, facts: RequestFacts) -> bool:
        found = await conference_use.get(conferences, facts.path["conference_id"])
        return found.talk(facts.path["talk_id"]).speaker_id == principal.person_id

    async def speaker_or_chair(principal: Principal, facts: RequestFacts) -> bool:
        return await chair(principal, facts) or await speaker(principal, facts)

    async def attended(principal: Principal, facts: RequestFacts) -> bool:
        found = await conference_use.get(conferences, facts.path["conference_id"])
        return principal.person_id in found.talk(facts.path["talk_id"]).attended

    return {
        COMMITTEE: committee,
        CHAIR: chair,
        SPEAKER: speaker,
        SPEAKER_OR_CHAIR: speaker_or_chair,
        ATTENDED: attended,
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
