"""Who may call each mentoring endpoint: the service's whole access policy on one screen.

Curators act on the programmes they curate (not on every programme); a pair's pages are its members'
(a curator of the programme sees the pair without its confidential texts); a concern is between the
person who raised it and the curators.
"""

from mentoring.domain.circle import Circle, CircleRole
from mentoring.domain.internship import Internship
from mentoring.service.adaptation import is_manager_of
from mentoring.service.handlers import load
from mentoring.service.knowledge import KnowledgeBase
from mentoring.service.ports import Ports
from shared.auth.policy import OWN_RECORD, SIGNED_IN, Access, Guardrails, OwnershipRule, RequestFacts, allow, own_record
from shared.auth.tokens import Principal
from shared.errors import NotFound
from shared.http import PRIVACY_POLICY

CURATOR_OF_PROGRAMME = "curator of this programme"
SELF_OR_CURATOR = "the person named, or a curator of this programme"
OWN_REQUEST = "the mentee asking"
MEMBER_OF_PAIR = "member of this pair"
MEMBER_OR_CURATOR_OF_PAIR = "member or curator of this pair"
CURATOR_OF_CONCERN = "curator of this concern"
RAISER_OR_CURATOR_OF_CONCERN = "raiser or curator of this concern"
CURATOR_OR_MANAGER_OF_MENTEE = "curator of this pair's programme or the mentee's manager"

# An admin may create a programme and so become its curator; either way only the programme's curators act on it.
IN_CIRCLE = "member of this circle"
FACILITATES = "facilitator of this circle"
CHECKS = "reviewer, expert or facilitator of this circle"
KEEPS_LIBRARY = "librarian or facilitator of this circle"
OWNS_ITEM = "owner of this knowledge-base item"
GUEST = "guest of this internship"
HOST = "host of this internship"
GUEST_OR_HOST = "guest or host of this internship"
SEES_INTERNSHIP = "guest, host or the guest's manager"
GUEST_MANAGER = "manager of this internship's guest"

CURATOR = allow("curator", "admin", owner=CURATOR_OF_PROGRAMME)
REPORTS_ALL = ("hr_admin", "admin")  # roles that see every programme's and circle's outcome report
OWN = allow("employee", owner=OWN_RECORD)
MEMBER = allow("employee", owner=MEMBER_OF_PAIR)
P = "/programmes/{programme_id}"

POLICY: dict[str, Access] = {
    "POST /programmes": allow("curator", "admin"),
    f"GET {P}": SIGNED_IN,
    f"PUT {P}": CURATOR,
    f"POST {P}/stage": CURATOR,
    f"POST {P}/kickoff": CURATOR,
    f"POST {P}/kickoff/held": CURATOR,
    # Participation is voluntary: mentees register themselves; the programme's curators may add anyone.
    f"POST {P}/participants": allow("employee", owner=SELF_OR_CURATOR),
    f"GET {P}/participants/{{person_id}}": allow("employee", owner=SELF_OR_CURATOR),
    f"PUT {P}/participants/{{person_id}}/profile": OWN,
    f"POST {P}/participants/{{person_id}}/preparation": OWN,
    f"POST {P}/participants/{{person_id}}/departure": OWN,
    f"POST {P}/participants/{{person_id}}/vetoes": OWN,
    # Anyone may put themselves or a colleague forward; only the nominee consents (checked by the programme).
    f"POST {P}/nominations": SIGNED_IN,
    f"GET {P}/nominations": CURATOR,
    f"POST {P}/nominations/{{nomination_id}}/consent": SIGNED_IN,
    f"POST {P}/nominations/{{nomination_id}}/withdrawal": SIGNED_IN,  # the nominee only (checked by the programme)
    f"POST {P}/nominations/{{nomination_id}}/decision": CURATOR,
    f"POST {P}/matching/rules": CURATOR,
    f"POST {P}/matching": CURATOR,
    f"GET {P}/matching": CURATOR,
    f"POST {P}/matching/{{proposal_id}}/approval": CURATOR,
    f"POST {P}/requests": allow("employee", owner=OWN_REQUEST),
    f"POST {P}/requests/{{request_id}}/answer": SIGNED_IN,  # only the mentor asked (checked by the programme)
    f"GET {P}/pairs": CURATOR,
    f"POST {P}/health-check": CURATOR,
    f"GET {P}/report": CURATOR,
    f"GET {P}/concerns": CURATOR,
    f"GET {P}/experiments": SIGNED_IN,
    f"POST {P}/posts": CURATOR,
    f"GET {P}/posts": SIGNED_IN,
    f"POST {P}/posts/{{post_id}}/reaction": SIGNED_IN,
    # One's own pairs across programmes: the person alone (a curator sees a programme's pairs on its roster).
    "GET /people/{person_id}/pairs": OWN,
    "GET /pairs/{pair_id}": allow("employee", owner=MEMBER_OR_CURATOR_OF_PAIR),
    "POST /pairs/{pair_id}/goals": MEMBER,
    "POST /pairs/{pair_id}/goals/check": MEMBER,
    "PUT /pairs/{pair_id}/goals/{goal_id}/progress": MEMBER,
    "POST /pairs/{pair_id}/meetings": MEMBER,
    "PUT /pairs/{pair_id}/meetings/{meeting_id}": MEMBER,
    # Notes are the pair's alone: a curator is refused like anyone else.
    "GET /pairs/{pair_id}/meetings/{meeting_id}/notes": MEMBER,
    "POST /pairs/{pair_id}/check-ins": MEMBER,
    "POST /pairs/{pair_id}/feedback": MEMBER,
    "POST /pairs/{pair_id}/experiments": MEMBER,
    "POST /pairs/{pair_id}/experiments/{experiment_id}/publication": MEMBER,
    "POST /pairs/{pair_id}/concerns": MEMBER,
    "POST /pairs/{pair_id}/mentees/{person_id}/adaptation": allow("employee", owner=CURATOR_OR_MANAGER_OF_MENTEE),
    # Outcome reports: counts and averages only. A curator sees the programmes they curate, a circle's
    # facilitator that circle; an HR admin or an admin sees every one.
    "GET /reports/programmes": allow("curator", "hr_admin", "admin"),
    f"GET /reports{P}": allow("curator", "hr_admin", "admin", owner=CURATOR_OF_PROGRAMME, unless=REPORTS_ALL),
    f"GET /reports{P}/charts/{{chart}}": allow(
        "curator", "hr_admin", "admin", owner=CURATOR_OF_PROGRAMME, unless=REPORTS_ALL
    ),
    "GET /reports/circles/{circle_id}": allow("employee", owner=FACILITATES, unless=REPORTS_ALL),
    "GET /reports/circles/{circle_id}/charts/{chart}": allow("employee", owner=FACILITATES, unless=REPORTS_ALL),
    "GET /concerns/{concern_id}": allow("employee", owner=RAISER_OR_CURATOR_OF_CONCERN),
    "POST /concerns/{concern_id}/actions": allow("curator", "admin", owner=CURATOR_OF_CONCERN),
    "POST /concerns/{concern_id}/resolution": allow("curator", "admin", owner=CURATOR_OF_CONCERN),
    # Peer-learning circles: a moderator acts in any circle; members see and write; roles do the rest.
    "POST /circles": SIGNED_IN,
    "GET /circles": SIGNED_IN,
    "GET /circles/{circle_id}": SIGNED_IN,
    "POST /circles/{circle_id}/members": OWN,
    "POST /circles/{circle_id}/requests/{person_id}/decision": allow(
        "employee", owner=FACILITATES, unless=["moderator"]
    ),
    "PUT /circles/{circle_id}/members/{person_id}/role": allow("employee", owner=FACILITATES, unless=["moderator"]),
    "POST /circles/{circle_id}/members/{person_id}/departure": OWN,
    "PUT /circles/{circle_id}/members/{person_id}/coffee": OWN,
    "GET /circles/{circle_id}/coffee": allow("employee", owner=IN_CIRCLE),
    "POST /circles/{circle_id}/tasks": allow("employee", owner=FACILITATES, unless=["moderator"]),
    "GET /circles/{circle_id}/tasks": allow("employee", owner=IN_CIRCLE, unless=["moderator"]),
    "GET /tasks/{task_id}": allow("employee", owner=IN_CIRCLE, unless=["moderator"]),
    "POST /tasks/{task_id}/closure": allow("employee", owner=FACILITATES, unless=["moderator"]),
    "PUT /tasks/{task_id}/solutions/{solution_id}": allow("employee", owner=IN_CIRCLE),
    "POST /tasks/{task_id}/solutions/{solution_id}/publication": allow("employee", owner=IN_CIRCLE),
    "POST /tasks/{task_id}/solutions/{solution_id}/comments": allow("employee", owner=IN_CIRCLE),
    "POST /tasks/{task_id}/comments/{comment_id}/helpful": allow("employee", owner=IN_CIRCLE),
    "POST /tasks/{task_id}/checks": allow("employee", owner=CHECKS, unless=["moderator"]),
    "POST /tasks/{task_id}/reflections": allow("employee", owner=IN_CIRCLE),
    "GET /tasks/{task_id}/reflections": allow("employee", owner=FACILITATES, unless=["moderator"]),
    "GET /tasks/{task_id}/dominance": allow("employee", owner=FACILITATES, unless=["moderator"]),
    "POST /tasks/{task_id}/flags": allow("employee", owner=IN_CIRCLE, unless=["moderator"]),
    "POST /tasks/{task_id}/solutions/{solution_id}/promotion": allow(
        "employee", owner=KEEPS_LIBRARY, unless=["moderator"]
    ),
    "GET /library": SIGNED_IN,
    # Collective brainstorms: members open, add ideas and vote; the facilitator's steps are checked by the brainstorm.
    "POST /circles/{circle_id}/brainstorms": allow("employee", owner=IN_CIRCLE),
    "GET /circles/{circle_id}/brainstorms": allow("employee", owner=IN_CIRCLE, unless=["moderator"]),
    "GET /circles/{circle_id}/brainstorms/{brainstorm_id}": allow("employee", owner=IN_CIRCLE, unless=["moderator"]),
    "POST /circles/{circle_id}/brainstorms/{brainstorm_id}/ideas": allow("employee", owner=IN_CIRCLE),
    "POST /circles/{circle_id}/brainstorms/{brainstorm_id}/voting": allow(
        "employee", owner=IN_CIRCLE, unless=["moderator"]
    ),
    "POST /circles/{circle_id}/brainstorms/{brainstorm_id}/ideas/{idea_id}/votes": allow("employee", owner=IN_CIRCLE),
    "POST /circles/{circle_id}/brainstorms/{brainstorm_id}/decision": allow(
        "employee", owner=IN_CIRCLE, unless=["moderator"]
    ),
    # The knowledge base: anyone reads it; curators write articles; an item's owner (or a curator) reviews it.
    "POST /knowledge/articles": allow("curator", "admin"),
    "GET /knowledge/items": SIGNED_IN,
    "GET /knowledge/items/{item_id}": SIGNED_IN,
    "POST /knowledge/items/{item_id}/review": allow("employee", owner=OWNS_ITEM, unless=["curator", "admin"]),
    # Exchange internships: admins register partners; units offer placements (which unit: checked by the
    # service); anyone applies; the guest's manager decides; the host agrees goals; the guest logs and reports.
    # Reciprocity is counts per unit only, no names: anyone signed in sees it.
    "POST /partners": allow("admin"),
    "GET /partners": SIGNED_IN,
    "POST /placements": SIGNED_IN,
    "GET /placements": SIGNED_IN,
    "GET /placements/{placement_id}": SIGNED_IN,
    "POST /placements/{placement_id}/applications": SIGNED_IN,
    "GET /internships": SIGNED_IN,
    "GET /reciprocity": SIGNED_IN,
    "GET /internships/{internship_id}": allow("employee", owner=SEES_INTERNSHIP),
    "POST /internships/{internship_id}/decision": allow("employee", owner=GUEST_MANAGER),
    "POST /internships/{internship_id}/goals/check": allow("employee", owner=GUEST_OR_HOST),
    "POST /internships/{internship_id}/goals": allow("employee", owner=HOST),
    "POST /internships/{internship_id}/log": allow("employee", owner=GUEST),
    "POST /internships/{internship_id}/feedback": allow("employee", owner=GUEST_OR_HOST),
    "PUT /internships/{internship_id}/report": allow("employee", owner=GUEST),
    "POST /internships/{internship_id}/report/publication": allow("employee", owner=GUEST),
    # Hidden content and the real authors of anonymous comments: moderators only, the reveal audited.
    "GET /moderation/flags": allow("moderator"),
    "POST /moderation/flags/{flag_id}/decision": allow("moderator"),
    "GET /tasks/{task_id}/items/{item_id}": allow("moderator"),
    "GET /moderation/hidden": allow("moderator"),
    "POST /tasks/{task_id}/items/{item_id}/restoration": allow("moderator"),
    "POST /tasks/{task_id}/comments/{comment_id}/reveal": allow("moderator"),
}


def ownership_rules(ports: Ports, knowledge_base: KnowledgeBase | None = None) -> dict[str, OwnershipRule]:
    async def curator_of_programme(principal: Principal, facts: RequestFacts) -> bool:
        programme, _ = await load(ports.programmes, facts.path["programme_id"], "programme")
        return programme.is_curator(principal.person_id)

    async def self_or_curator(principal: Principal, facts: RequestFacts) -> bool:
        return await own_record("person_id")(principal, facts) or await curator_of_programme(principal, facts)

    async def member_of_pair(principal: Principal, facts: RequestFacts) -> bool:
        pair, _ = await load(ports.pairs, facts.path["pair_id"], "pair")
        return pair.is_member(principal.person_id)

    async def member_or_curator_of_pair(principal: Principal, facts: RequestFacts) -> bool:
        pair, _ = await load(ports.pairs, facts.path["pair_id"], "pair")
        return pair.is_member(principal.person_id) or principal.person_id in pair.terms.curator_ids

    async def curator_or_manager_of_mentee(principal: Principal, facts: RequestFacts) -> bool:
        pair, _ = await load(ports.pairs, facts.path["pair_id"], "pair")
        if principal.person_id in pair.terms.curator_ids:
            return True
        return await is_manager_of(ports, principal.person_id, facts.path["person_id"])

    async def curator_of_concern(principal: Principal, facts: RequestFacts) -> bool:
        concern, _ = await load(ports.concerns, facts.path["concern_id"], "concern")
        return principal.person_id in concern.curator_ids

    async def raiser_or_curator(principal: Principal, facts: RequestFacts) -> bool:
        concern, _ = await load(ports.concerns, facts.path["concern_id"], "concern")
        return concern.visible_to(principal.person_id)

    async def circle_of(facts: RequestFacts) -> Circle:
        circle_id = facts.path.get("circle_id")
        if circle_id is None:
            task, _ = await load(ports.tasks, facts.path["task_id"], "task")
            circle_id = task.circle_id
        circle, _ = await load(ports.circles, circle_id, "circle")
        return circle

    def circle_role(*roles: CircleRole) -> OwnershipRule:
        async def rule(principal: Principal, facts: RequestFacts) -> bool:
            role = (await circle_of(facts)).role_of(principal.person_id)
            return role is not None and (not roles or role in roles)

        return rule

    async def owns_item(principal: Principal, facts: RequestFacts) -> bool:
        if knowledge_base is None:
            return False
        item, _ = await load(knowledge_base.items, facts.path["item_id"], "item")
        return item.owner_id == principal.person_id

    async def internship_of(facts: RequestFacts) -> Internship:
        if ports.internships is None:
            raise NotFound("internships are not kept here")
        internship, _ = await load(ports.internships, facts.path["internship_id"], "internship")
        return internship

    async def guest(principal: Principal, facts: RequestFacts) -> bool:
        return (await internship_of(facts)).guest_id == principal.person_id

    async def host(principal: Principal, facts: RequestFacts) -> bool:
        return (await internship_of(facts)).host_id == principal.person_id

    async def guest_or_host(principal: Principal, facts: RequestFacts) -> bool:
        return (await internship_of(facts)).is_party(principal.person_id)

    async def guest_manager(principal: Principal, facts: RequestFacts) -> bool:
        return (await internship_of(facts)).manager_id == principal.person_id

    async def sees_internship(principal: Principal, facts: RequestFacts) -> bool:
        internship = await internship_of(facts)
        return internship.is_party(principal.person_id) or internship.manager_id == principal.person_id

    return {
        GUEST: guest,
        HOST: host,
        GUEST_OR_HOST: guest_or_host,
        GUEST_MANAGER: guest_manager,
        SEES_INTERNSHIP: sees_internship,
        OWNS_ITEM: owns_item,
        IN_CIRCLE: circle_role(),
        FACILITATES: circle_role(CircleRole.FACILITATOR),
        CHECKS: circle_role(CircleRole.REVIEWER, CircleRole.EXPERT, CircleRole.FACILITATOR),
        KEEPS_LIBRARY: circle_role(CircleRole.LIBRARIAN, CircleRole.FACILITATOR),
        OWN_RECORD: own_record("person_id"),
        OWN_REQUEST: own_record("mentee_id"),
        CURATOR_OF_PROGRAMME: curator_of_programme,
        SELF_OR_CURATOR: self_or_curator,
        MEMBER_OF_PAIR: member_of_pair,
        MEMBER_OR_CURATOR_OF_PAIR: member_or_curator_of_pair,
        CURATOR_OR_MANAGER_OF_MENTEE: curator_or_manager_of_mentee,
        CURATOR_OF_CONCERN: curator_of_concern,
        RAISER_OR_CURATOR_OF_CONCERN: raiser_or_curator,
    }


def guardrails(ports: Ports, knowledge_base: KnowledgeBase | None = None) -> Guardrails:
    return Guardrails(policy={**POLICY, **PRIVACY_POLICY}, rules=ownership_rules(ports, knowledge_base))
