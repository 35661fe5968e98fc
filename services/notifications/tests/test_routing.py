"""The routing table shipped with the service against the event contracts it routes."""

import pytest

from notifications.adapters.routing_file import load_routing
from notifications.domain.model import Template
from shared.contracts import mentoring
from shared.contracts.base import IntegrationEvent, all_contracts

ROUTES = load_routing()
CONTRACTS: dict[str, type[IntegrationEvent]] = {contract.ce_type: contract for contract in all_contracts()}

SILENT = {
    # Said in the answer to whoever did it, or only the curators' desk and the read models need it.
    "com.owlery.mentoring.programme.created.v1",
    "com.owlery.mentoring.programme.stage_changed.v1",
    "com.owlery.mentoring.kickoff.scheduled.v1",
    "com.owlery.mentoring.kickoff.held.v1",
    "com.owlery.mentoring.preparation.acknowledged.v1",
    "com.owlery.mentoring.nomination.submitted.v1",
    "com.owlery.mentoring.nomination.decided.v1",
    "com.owlery.mentoring.nomination.withdrawn.v1",
    "com.owlery.mentoring.participant.left.v1",
    "com.owlery.mentoring.matching.proposed.v1",
    "com.owlery.mentoring.matching.approved.v1",
    "com.owlery.mentoring.mentor_request.made.v1",
    "com.owlery.mentoring.mentor_request.decided.v1",
    "com.owlery.mentoring.pair.started.v1",
    "com.owlery.mentoring.pair.ended.v1",
    "com.owlery.mentoring.pair.member_left.v1",
    "com.owlery.mentoring.goal.set.v1",
    "com.owlery.mentoring.goal.progressed.v1",
    "com.owlery.mentoring.goal.achieved.v1",
    "com.owlery.mentoring.meeting.scheduled.v1",
    "com.owlery.mentoring.check_in.recorded.v1",
    "com.owlery.mentoring.feedback.given.v1",
    "com.owlery.mentoring.experiment.published.v1",
    "com.owlery.mentoring.pair.recovered.v1",
    "com.owlery.mentoring.pair.mentee_adapted.v1",  # a milestone for the outcome reports, not news to anyone
    "com.owlery.mentoring.concern.action_recorded.v1",
    "com.owlery.mentoring.concern.resolved.v1",
    "com.owlery.mentoring.post.published.v1",
    # Circles: what members do is seen in the circle; restricted credits reach people as points.
    "com.owlery.mentoring.circle.created.v1",
    "com.owlery.mentoring.circle.member_joined.v1",
    "com.owlery.mentoring.circle.join_requested.v1",
    "com.owlery.mentoring.circle.role_changed.v1",
    "com.owlery.mentoring.circle.member_left.v1",
    "com.owlery.mentoring.task.published.v1",
    "com.owlery.mentoring.task.closed.v1",
    "com.owlery.mentoring.solution.published.v1",
    "com.owlery.mentoring.comment.posted.v1",
    "com.owlery.mentoring.comment.marked_helpful.v1",
    "com.owlery.mentoring.practical_check.recorded.v1",
    "com.owlery.mentoring.item.hidden.v1",
    "com.owlery.mentoring.item.restored.v1",
    "com.owlery.mentoring.item.edited.v1",
    "com.owlery.mentoring.flag.raised.v1",
    "com.owlery.mentoring.flag.resolved.v1",
    "com.owlery.mentoring.solution.promoted.v1",
    "com.owlery.mentoring.comment.helpful_credit.v1",
    "com.owlery.mentoring.comment.credits_revoked.v1",
    "com.owlery.mentoring.comment.credits_restored.v1",
    # Brainstorms: the facilitator runs them in the circle. Voting has started for every member of the circle,
    # but the event names none and this service keeps no copy of circles' members.
    "com.owlery.mentoring.brainstorm.opened.v1",
    "com.owlery.mentoring.brainstorm.idea_added.v1",
    "com.owlery.mentoring.brainstorm.voting_started.v1",
    "com.owlery.mentoring.brainstorm.voted.v1",
    # Exchange internships. A placement is offered by its host's side, who sees it offered; a partner is
    # registered by an admin. The guest's own log entries concern nobody else. Feedback given names only its
    # giver, not the other side (and completion tells both sides once both gave theirs).
    "com.owlery.mentoring.partner.registered.v1",
    "com.owlery.mentoring.placement.offered.v1",
    "com.owlery.mentoring.internship.logged.v1",
    "com.owlery.mentoring.internship.feedback_given.v1",
}


def mentoring_contracts() -> list[type[IntegrationEvent]]:
    return [c for c in all_contracts() if c.__module__ == mentoring.__name__]


@pytest.mark.parametrize("contract", mentoring_contracts(), ids=lambda c: c.ce_type)
def test_every_mentoring_event_is_routed_or_deliberately_silent(contract: type[IntegrationEvent]) -> None:
    routed = bool(ROUTES.routes_for(contract.ce_type))
    assert routed != (contract.ce_type in SILENT), "routed, or listed as silent with a reason: exactly one"


def test_the_silent_list_names_only_real_events() -> None:
    assert set(CONTRACTS) >= SILENT


@pytest.mark.parametrize("event_type", ROUTES.event_types)
def test_every_route_names_fields_its_event_has(event_type: str) -> None:
    fields = CONTRACTS[event_type].model_fields
    for route in ROUTES.routes_for(event_type):
        named = [*route.recipients, *route.params, *(v if k == "has" else k for k, v in route.when.items())]
        missing = [name for name in named if not name.startswith("@") and name not in fields]
        assert not missing, f"{route.template}: {event_type} has no {missing}"
        Template(route.template)
