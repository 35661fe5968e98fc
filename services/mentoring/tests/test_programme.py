"""The programme's rules, in plain Python: stages, terms, people, nominations, matching, pairs, erasure."""

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mentoring.domain.matching import Why
from mentoring.domain.model import ProgrammeKind, Role
from mentoring.domain.programme import (
    AlreadyRegistered,
    Format,
    KickoffHeld,
    MatchingApproved,
    MatchingProposed,
    MentorRequestDecided,
    MentorRequested,
    NominationDecided,
    NominationStatus,
    NominationSubmitted,
    ParticipantLeft,
    ParticipantRegistered,
    PlannedPair,
    PreparationAcknowledged,
    Profile,
    Programme,
    ProgrammeCreated,
    ProgrammeStageChanged,
    RequestStatus,
    Stage,
    Terms,
)
from shared.errors import Conflict, Forbidden, Invalid, NotFound

TITLE = "Python for analysts"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TERMS_FIELDS: dict[str, Any] = {
    "format": "one_to_one",
    "topics": ["python", "sql", "design"],
    "enrolment_opens": date(2026, 3, 1),
    "enrolment_closes": date(2026, 3, 20),
    "starts": date(2026, 4, 1),
    "duration_weeks": 12,
    "cadence_days": 14,
    "rules_text": "Meet every two weeks; what is said in a pair stays in the pair.",
    "preparation": "Read the mentoring guide.",
}
TERMS = Terms.checked(**TERMS_FIELDS)
GROUP_TERMS = Terms.checked(**{**TERMS_FIELDS, "format": "group", "group_size": 2})
STAGES = [Stage.DRAFT, Stage.OPEN, Stage.MATCHING, Stage.RUNNING, Stage.CLOSING, Stage.CLOSED]


def mentee(*topics: str, grade: int | None = None, languages: Sequence[str] = ("en",)) -> Profile:
    return Profile.checked(Role.MENTEE, competencies={}, topics=topics or ("python",), languages=languages, grade=grade)


def mentor(
    levels: Mapping[str, int] | None = None,
    *,
    capacity: int = 1,
    grade: int | None = None,
    languages: Sequence[str] = ("en",),
) -> Profile:
    levels = levels or {"python": 4}
    return Profile.checked(
        Role.MENTOR, competencies=levels, topics=list(levels), capacity=capacity, languages=languages, grade=grade
    )


def programme(stage: Stage = Stage.OPEN, *, kind: str = "classic", terms: Terms = TERMS) -> Programme:
    made = Programme.create("prog-1", TITLE, kind, terms, ["carol"])
    for next_stage in STAGES[1 : STAGES.index(stage) + 1]:
        made.advance(next_stage.value)
    made.events.clear()
    return made


def add(made: Programme, person_id: str, profile: Profile, role: Role = Role.MENTEE) -> None:
    """The curator adds someone (allowed at any stage before closing, for either role)."""
    made.register(person_id, role.value, "en", profile, accepted_rules=True, by_curator=True)


def matching_programme(
    mentors: Mapping[str, Profile],
    mentees: Mapping[str, Profile],
    *,
    kind: str = "classic",
    terms: Terms = TERMS,
) -> Programme:
    made = programme(Stage.MATCHING, kind=kind, terms=terms)
    for person_id, profile in mentors.items():
        add(made, person_id, profile, Role.MENTOR)
    for person_id, profile in mentees.items():
        add(made, person_id, profile)
    made.events.clear()
    return made


def alice_fits_bob_best() -> Programme:
    """Bob wants python and sql: Alice offers both, Dave only python."""
    return matching_programme(
        {"alice": mentor({"python": 4, "sql": 4}), "dave": mentor({"python": 4})}, {"bob": mentee("python", "sql")}
    )


def proposed(made: Programme, proposal_id: str = "prop-1", chains: Mapping[str, Sequence[str]] = {}) -> set[Any]:
    """(mentor, mentee ids) of each pairing of a fresh proposal."""
    proposal = made.propose_matching(proposal_id, chains, NOW)
    return {(pairing.mentor_id, pairing.mentee_ids) for pairing in proposal.pairings}


def unmatched(made: Programme) -> dict[str, str]:
    assert made.proposal is not None
    return {person.person_id: person.why for person in made.proposal.unmatched}


# ---------------------------------------------------------------------------------------------- stages


def test_creating_a_programme_makes_a_draft_with_its_curators() -> None:
    made = Programme.create("prog-1", f"  {TITLE}  ", "reverse", TERMS, ["carol", "carol", " ", "dan"])

    assert (made.title, made.kind, made.stage) == (TITLE, ProgrammeKind.REVERSE, Stage.DRAFT)
    assert made.curator_ids == ("carol", "dan")
    assert made.events == [ProgrammeCreated("prog-1", TITLE, "reverse")]


@pytest.mark.parametrize(
    ("title", "kind", "curators", "field"),
    [
        (" ", "classic", ["carol"], "title"),
        (TITLE, "group", ["carol"], "kind"),
        (TITLE, "classic", [" "], "curator_ids"),
    ],
)
def test_a_programme_needs_a_title_a_known_kind_and_a_curator(
    title: str, kind: str, curators: list[str], field: str
) -> None:
    with pytest.raises(Invalid) as raised:
        Programme.create("prog-1", title, kind, TERMS, curators)
    assert raised.value.details["field"] == field


def test_a_programme_moves_through_every_stage_in_order() -> None:
    made = programme(Stage.DRAFT)

    for stage in STAGES[1:]:
        made.advance(stage.value)

    assert made.stage is Stage.CLOSED
    assert made.events == [ProgrammeStageChanged("prog-1", TITLE, stage.value, ["carol"]) for stage in STAGES[1:]]


@pytest.mark.parametrize(
    ("at", "to"),
    [
        (Stage.DRAFT, Stage.MATCHING),
        (Stage.OPEN, Stage.RUNNING),
        (Stage.MATCHING, Stage.CLOSED),
        (Stage.RUNNING, Stage.OPEN),
        (Stage.OPEN, Stage.OPEN),
    ],
)
def test_a_stage_cannot_be_skipped_or_gone_back_to(at: Stage, to: Stage) -> None:
    made = programme(at)

    with pytest.raises(Conflict) as raised:
        made.advance(to.value)

    assert raised.value.details == {"stage": at.value, "next": STAGES[STAGES.index(at) + 1].value}
    assert made.stage is at
    assert made.events == []


def test_a_closed_programme_goes_nowhere() -> None:
    made = programme(Stage.CLOSED)
    with pytest.raises(Conflict) as raised:
        made.advance("open")
    assert raised.value.details == {"stage": "closed", "next": None}


def test_an_unknown_stage_names_the_field() -> None:
    with pytest.raises(Invalid) as raised:
        programme(Stage.DRAFT).advance("paused")
    assert raised.value.details["field"] == "stage"


def test_a_programme_without_terms_cannot_open() -> None:
    made = Programme.create("prog-1", TITLE, "classic", None, ["carol"])
    with pytest.raises(Conflict):
        made.advance("open")
    assert made.stage is Stage.DRAFT


def test_terms_change_only_while_a_draft() -> None:
    made = programme(Stage.DRAFT)
    made.edit(GROUP_TERMS, "Group mentoring")
    assert (made.title, made.terms) == ("Group mentoring", GROUP_TERMS)

    made.advance("open")
    with pytest.raises(Conflict):
        made.edit(TERMS)
    assert made.terms == GROUP_TERMS


# ----------------------------------------------------------------------------------------------- terms


def test_terms_clean_the_topics_and_know_when_the_programme_ends() -> None:
    terms = Terms.checked(**{**TERMS_FIELDS, "topics": [" Python ", "python", "", "SQL"]})

    assert terms.topics == ("python", "sql")
    assert terms.format is Format.ONE_TO_ONE
    assert terms.ends == date(2026, 6, 24)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cadence_days": 0}, "cadence_days"),
        ({"cadence_days": 61}, "cadence_days"),
        ({"duration_weeks": 0}, "duration_weeks"),
        ({"duration_weeks": 105}, "duration_weeks"),
        ({"format": "group"}, "group_size"),
        ({"format": "group", "group_size": 1}, "group_size"),
        ({"format": "group", "group_size": 21}, "group_size"),
        ({"group_size": 3}, "group_size"),
        ({"topics": []}, "topics"),
        ({"topics": ["  ", ""]}, "topics"),
        ({"topics": [f"topic {n}" for n in range(31)]}, "topics"),
        ({"enrolment_closes": date(2026, 2, 28)}, "enrolment_closes"),
        ({"starts": date(2026, 2, 28)}, "starts"),
        ({"rules_text": "  "}, "rules_text"),
        ({"format": "hackathon"}, "format"),
        ({"reverse_rule": "seniority"}, "reverse_rule"),
    ],
)
def test_terms_refuse_a_bad_value_naming_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as raised:
        Terms.checked(**{**TERMS_FIELDS, **changes})
    assert raised.value.details["field"] == field


# --------------------------------------------------------------------------------------------- profile


def test_a_profile_is_cleaned() -> None:
    profile = Profile.checked(
        Role.MENTOR, competencies={" Python ": 4}, topics=["PYTHON", "python"], languages=["EN", "en"], capacity=3
    )
    assert (profile.competencies, profile.topics, profile.languages, profile.capacity) == (
        {"python": 4},
        ("python",),
        ("en",),
        3,
    )


@pytest.mark.parametrize(
    ("role", "changes", "field"),
    [
        (Role.MENTOR, {"capacity": 0}, "capacity"),
        (Role.MENTOR, {"capacity": 11}, "capacity"),
        (Role.MENTEE, {"capacity": 2}, "capacity"),
        (Role.MENTOR, {"topics": ["python", "sql"]}, "competencies"),
        (Role.MENTOR, {"competencies": {"python": 6}}, "competencies"),
        (Role.MENTEE, {"competencies": {"python": 0}}, "competencies"),
        (Role.MENTEE, {"topics": [" "]}, "topics"),
        (Role.MENTEE, {"time_zone": "Mars/Olympus"}, "time_zone"),
        (Role.MENTEE, {"availability": [(7, 10)]}, "availability"),
    ],
)
def test_a_profile_refuses_a_bad_value_naming_its_field(role: Role, changes: dict[str, Any], field: str) -> None:
    given: dict[str, Any] = {"competencies": {"python": 4}, "topics": ["python"], **changes}
    with pytest.raises(Invalid) as raised:
        Profile.checked(role, **given)
    assert raised.value.details["field"] == field


def test_a_mentor_is_told_which_offered_topics_lack_a_level() -> None:
    with pytest.raises(Invalid) as raised:
        Profile.checked(Role.MENTOR, competencies={"python": 4}, topics=["python", "sql", "design"])
    assert "sql, design" in raised.value.message


# ---------------------------------------------------------------------------------------- registration


def test_a_mentee_registers_while_the_programme_is_open() -> None:
    made = programme(Stage.OPEN)

    participant = made.register("bob", "mentee", "ru", mentee(), accepted_rules=True)

    assert (participant.role, participant.locale, participant.profile) == (Role.MENTEE, "ru", mentee())
    assert made.count_by_role() == {Role.MENTOR: 0, Role.MENTEE: 1}
    assert made.events == [ParticipantRegistered("prog-1", TITLE, "bob", "mentee", "ru")]


@pytest.mark.parametrize("stage", [Stage.DRAFT, Stage.MATCHING, Stage.RUNNING, Stage.CLOSED])
def test_mentees_register_themselves_only_while_open(stage: Stage) -> None:
    made = programme(stage)

    with pytest.raises(Conflict) as raised:
        made.register("bob", "mentee", "en", mentee(), accepted_rules=True)

    assert raised.value.details == {"stage": stage.value}
    assert made.participants == {}


def test_joining_needs_the_rules_accepted_and_a_profile() -> None:
    made = programme()

    with pytest.raises(Invalid) as no_rules:
        made.register("bob", "mentee", "en", mentee(), accepted_rules=False)
    with pytest.raises(Invalid) as no_profile:
        made.register("bob", "mentee", "en", None, accepted_rules=True)
    with pytest.raises(Invalid) as bad_locale:
        made.register("bob", "mentee", "de", mentee(), accepted_rules=True)

    assert [e.value.details["field"] for e in (no_rules, no_profile, bad_locale)] == [
        "accept_rules",
        "profile",
        "locale",
    ]
    assert made.participants == {}
    assert made.events == []


def test_registering_twice_is_refused_with_the_existing_role() -> None:
    made = programme()
    add(made, "alice", mentor(), Role.MENTOR)
    made.events.clear()

    with pytest.raises(AlreadyRegistered) as raised:
        made.register("alice", "mentee", "en", mentee(), accepted_rules=True)

    assert isinstance(raised.value, Conflict)
    assert raised.value.details == {"person_id": "alice", "role": "mentor"}
    assert made.participants["alice"].role is Role.MENTOR
    assert made.events == []


def test_mentors_come_in_by_nomination_or_by_a_curator() -> None:
    made = programme()

    with pytest.raises(Invalid) as raised:
        made.register("alice", "mentor", "en", mentor(), accepted_rules=True)
    assert raised.value.details["field"] == "role"
    assert made.participants == {}

    made.register("alice", "mentor", "en", mentor(), accepted_rules=True, by_curator=True)
    assert made.participants["alice"].role is Role.MENTOR


def test_a_curator_adds_people_after_enrolment_but_not_once_the_programme_ends() -> None:
    running = programme(Stage.RUNNING)
    add(running, "bob", mentee())
    assert running.active_ids() == ["bob"]

    closing = programme(Stage.CLOSING)
    with pytest.raises(Conflict):
        add(closing, "bob", mentee())


def test_a_former_employee_cannot_take_part() -> None:
    with pytest.raises(Invalid) as raised:
        programme().register("former-employee-0123456789ab", "mentee", "en", mentee(), accepted_rules=True)
    assert raised.value.details["field"] == "person_id"


def test_someone_who_left_may_come_back() -> None:
    made = programme()
    made.register("bob", "mentee", "en", mentee(), accepted_rules=True)
    made.leave("bob")

    made.register("bob", "mentee", "en", mentee("sql"), accepted_rules=True)

    assert made.participants["bob"].active
    assert made.participants["bob"].profile == mentee("sql")


# ----------------------------------------------------------------------------------------- nominations


def test_a_self_nomination_waits_for_the_curator() -> None:
    made = programme()

    nomination = made.nominate_self("n-1", "alice", "en", mentor(), accepted_rules=True)

    assert nomination.status is NominationStatus.PENDING
    assert "alice" not in made.participants  # not a mentor before the curator says yes
    assert made.events == [NominationSubmitted("prog-1", "n-1", "alice", False, ["carol"])]


def test_a_self_nomination_needs_the_rules_accepted() -> None:
    made = programme()
    with pytest.raises(Invalid) as raised:
        made.nominate_self("n-1", "alice", "en", mentor(), accepted_rules=False)
    assert raised.value.details["field"] == "accept_rules"
    assert made.nominations == {}


def test_a_recommendation_waits_for_the_nominees_consent_and_only_theirs() -> None:
    made = programme()

    recommended = made.recommend("n-1", "alice", "bob", "  Alice explains pandas so well  ")
    assert (recommended.status, recommended.recommended_by, recommended.reason) == (
        NominationStatus.AWAITING_CONSENT,
        "bob",
        "Alice explains pandas so well",
    )
    assert made.events == [NominationSubmitted("prog-1", "n-1", "alice", True, ["carol"])]
    with pytest.raises(Conflict):
        made.decide_nomination("n-1", accept=True)  # nobody becomes a mentor without saying yes

    with pytest.raises(Forbidden):
        made.consent("n-1", "bob", "en", mentor(), accepted_rules=True)
    assert made.nominations["n-1"].status is NominationStatus.AWAITING_CONSENT

    consented = made.consent("n-1", "alice", "ru", mentor(), accepted_rules=True)
    assert (consented.status, consented.locale, consented.profile) == (NominationStatus.PENDING, "ru", mentor())
    with pytest.raises(Conflict):
        made.consent("n-1", "alice", "ru", mentor(), accepted_rules=True)


def test_consent_needs_the_rules_accepted() -> None:
    made = programme()
    made.recommend("n-1", "alice", "bob", "Great at SQL")
    with pytest.raises(Invalid) as raised:
        made.consent("n-1", "alice", "en", mentor(), accepted_rules=False)
    assert raised.value.details["field"] == "accept_rules"
    assert made.nominations["n-1"].status is NominationStatus.AWAITING_CONSENT


@pytest.mark.parametrize("second", ["self", "recommendation"])
@pytest.mark.parametrize("first", ["self", "recommendation"])
def test_nominating_someone_already_nominated_is_a_conflict(first: str, second: str) -> None:
    made = programme()

    def nominate(nomination_id: str, how: str) -> None:
        if how == "self":
            made.nominate_self(nomination_id, "alice", "en", mentor(), accepted_rules=True)
        else:
            made.recommend(nomination_id, "alice", "bob", "Great at SQL")

    nominate("n-1", first)
    with pytest.raises(Conflict) as raised:
        nominate("n-2", second)

    assert raised.value.details["nomination_id"] == "n-1"
    assert list(made.nominations) == ["n-1"]


def test_a_participant_cannot_be_nominated() -> None:
    made = programme()
    made.register("bob", "mentee", "en", mentee(), accepted_rules=True)

    with pytest.raises(AlreadyRegistered) as raised:
        made.recommend("n-1", "bob", "dan", "Bob knows SQL")

    assert raised.value.details["role"] == "mentee"


@pytest.mark.parametrize(("nominee", "reason", "field"), [("bob", "Great", "person_id"), ("alice", " ", "reason")])
def test_a_recommendation_names_someone_else_and_says_why(nominee: str, reason: str, field: str) -> None:
    with pytest.raises(Invalid) as raised:
        programme().recommend("n-1", nominee, "bob", reason)
    assert raised.value.details["field"] == field


def test_nominations_are_taken_only_while_open() -> None:
    made = programme(Stage.MATCHING)
    with pytest.raises(Conflict):
        made.nominate_self("n-1", "alice", "en", mentor(), accepted_rules=True)
    with pytest.raises(Conflict):
        made.recommend("n-1", "alice", "bob", "Great at SQL")


def test_accepting_a_nomination_adds_the_mentor() -> None:
    made = programme()
    made.recommend("n-1", "alice", "bob", "Great at SQL")
    made.consent("n-1", "alice", "ru", mentor({"sql": 5}, capacity=2), accepted_rules=True)
    made.events.clear()

    decided = made.decide_nomination("n-1", accept=True)

    assert decided.status is NominationStatus.ACCEPTED
    alice = made.participants["alice"]
    assert (alice.role, alice.locale, alice.profile) == (Role.MENTOR, "ru", mentor({"sql": 5}, capacity=2))
    assert made.events == [
        ParticipantRegistered("prog-1", TITLE, "alice", "mentor", "ru"),
        NominationDecided("prog-1", "n-1", "alice", True),
    ]
    with pytest.raises(Conflict):
        made.decide_nomination("n-1", accept=False)


def test_declining_a_nomination_adds_nobody() -> None:
    made = programme()
    made.nominate_self("n-1", "alice", "en", mentor(), accepted_rules=True)
    made.events.clear()

    assert made.decide_nomination("n-1", accept=False).status is NominationStatus.DECLINED

    assert made.participants == {}
    assert made.events == [NominationDecided("prog-1", "n-1", "alice", False)]


def test_deciding_an_unknown_nomination_is_not_found() -> None:
    with pytest.raises(NotFound):
        programme().decide_nomination("n-404", accept=True)


# -------------------------------------------------------------------------------------------- matching


def test_matching_runs_only_while_matching_or_running() -> None:
    made = programme(Stage.OPEN)
    add(made, "alice", mentor(), Role.MENTOR)
    add(made, "bob", mentee())
    with pytest.raises(Conflict):
        made.propose_matching("prop-1", {}, NOW)
    assert made.proposal is None


def test_a_proposal_pairs_the_best_fit_and_tells_the_curators() -> None:
    made = alice_fits_bob_best()

    proposal = made.propose_matching("prop-1", {}, NOW)

    assert [(p.mentor_id, p.mentee_ids) for p in proposal.pairings] == [("alice", ("bob",))]
    assert proposal.made_at == NOW
    assert made.events == [MatchingProposed("prog-1", "prop-1", 1, 1, ["carol"])]


@pytest.mark.parametrize("chains", [{"bob": ("alice",)}, {"bob": ("erin", "alice")}, {"alice": ("bob",)}])
def test_nobody_is_matched_within_their_reporting_line(chains: dict[str, tuple[str, ...]]) -> None:
    made = alice_fits_bob_best()

    assert proposed(made, chains=chains) == {("dave", ("bob",))}  # alice would fit better


def test_a_mentee_whose_only_mentor_is_their_manager_is_told_why() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee()})

    assert proposed(made, chains={"bob": ("alice",)}) == set()
    assert unmatched(made) == {
        "bob": Why.ONLY_CANDIDATES_IN_REPORTING_LINE,
        "alice": Why.ONLY_CANDIDATES_IN_REPORTING_LINE,
    }


@pytest.mark.parametrize("who", ["mentee", "mentor", "curator"])
def test_vetoed_and_forbidden_pairs_are_never_proposed(who: str) -> None:
    made = alice_fits_bob_best()
    if who == "mentee":
        made.veto("bob", "alice")
    elif who == "mentor":
        made.veto("alice", "bob")
    else:
        made.forbid("bob", "alice")

    assert proposed(made) == {("dave", ("bob",))}


def test_a_veto_is_for_a_counterpart_of_the_other_role() -> None:
    made = matching_programme({"alice": mentor(), "dave": mentor()}, {"bob": mentee()})
    with pytest.raises(Invalid):
        made.veto("alice", "dave")
    assert made.vetoes == set()


def test_a_pin_is_honoured_over_a_better_fit() -> None:
    made = alice_fits_bob_best()
    made.pin("bob", "dave")

    proposal = made.propose_matching("prop-1", {}, NOW)

    assert [(p.mentor_id, p.mentee_ids, p.pinned) for p in proposal.pairings] == [("dave", ("bob",), True)]
    with pytest.raises(Conflict):
        made.pin("bob", "alice")  # one pin per mentee: unpin first
    made.forbid("bob", "dave")  # the curator's later word replaces the pin
    assert proposed(made, "prop-2") == {("alice", ("bob",))}


def test_a_pin_never_overrides_a_participants_veto() -> None:
    made = matching_programme({"alice": mentor(), "dave": mentor()}, {"bob": mentee()})
    made.veto("alice", "bob")  # private: the curator pins without knowing
    made.pin("bob", "alice")

    assert proposed(made) == {("dave", ("bob",))}


def test_a_reverse_programme_pairs_a_more_junior_mentor_with_a_more_senior_mentee() -> None:
    made = matching_programme(
        {"senior": mentor({"python": 5, "sql": 5}, grade=7), "junior": mentor(grade=2)},
        {"boss": mentee("python", "sql", grade=6)},
        kind="reverse",
    )

    assert proposed(made) == {("junior", ("boss",))}  # the senior would fit the topics better


def test_a_reverse_programme_explains_a_mentee_left_out_by_the_grade_rule() -> None:
    made = matching_programme({"senior": mentor(grade=7)}, {"boss": mentee(grade=6)}, kind="reverse")

    assert proposed(made) == set()
    assert unmatched(made)["boss"] == Why.GRADE_RULE


def test_a_reverse_programme_may_leave_the_grades_to_the_curator() -> None:
    terms = Terms.checked(**{**TERMS_FIELDS, "reverse_rule": "curator"})
    made = matching_programme({"senior": mentor(grade=7)}, {"boss": mentee(grade=6)}, kind="reverse", terms=terms)

    assert proposed(made) == {("senior", ("boss",))}


def test_a_mentor_takes_no_more_mentees_than_their_capacity() -> None:
    made = matching_programme({"alice": mentor(capacity=2)}, {"bob": mentee(), "erin": mentee(), "fay": mentee()})

    proposal = made.propose_matching("prop-1", {}, NOW)

    taken = [mentee_id for pairing in proposal.pairings for mentee_id in pairing.mentee_ids]
    assert {pairing.mentor_id for pairing in proposal.pairings} == {"alice"}
    assert len(taken) == 2
    (left_out,) = {"bob", "erin", "fay"} - set(taken)
    assert unmatched(made) == {left_out: Why.ALL_CANDIDATES_AT_CAPACITY}

    made.approve("prop-1")
    assert made.free_places("alice") == 0
    assert proposed(made, "prop-2") == set()  # a full mentor is not in the pool any more
    assert unmatched(made) == {left_out: Why.NO_MENTOR_WITH_TOPICS}


def test_a_group_programme_forms_groups_of_its_size() -> None:
    made = matching_programme(
        {"alice": mentor()}, {"bob": mentee(), "erin": mentee(), "fay": mentee()}, terms=GROUP_TERMS
    )

    proposal = made.propose_matching("prop-1", {}, NOW)

    (group,) = proposal.pairings
    assert (group.mentor_id, group.topic, len(group.mentee_ids), len(group.reasons)) == ("alice", "python", 2, 2)
    (left_out,) = {"bob", "erin", "fay"} - set(group.mentee_ids)
    assert unmatched(made) == {left_out: Why.NO_GROUP}

    (planned,) = made.approve("prop-1")
    assert (planned.mentor_id, planned.mentee_ids) == ("alice", group.mentee_ids)
    assert made.free_places("alice") == 0  # capacity counts groups here


def test_every_proposed_pair_has_its_reasons_and_every_person_left_out_a_why() -> None:
    made = matching_programme(
        {"alice": mentor({"python": 4, "sql": 3}), "dave": mentor({"design": 2})},
        {"bob": mentee("python", "sql"), "erin": mentee("python", languages=["ru"]), "fay": mentee("statistics")},
    )

    proposal = made.propose_matching("prop-1", {}, NOW)

    (pairing,) = proposal.pairings
    assert (pairing.mentor_id, pairing.mentee_ids) == ("alice", ("bob",))
    (reason,) = pairing.reasons
    assert reason["mentee_id"] == "bob"
    assert reason["matched_topics"] == ["python", "sql"]
    assert reason["common_languages"] == ["en"]
    assert reason["overlap_hours"] == 45
    assert pairing.score > 0
    assert unmatched(made) == {
        "erin": Why.NO_COMMON_LANGUAGE,
        "fay": Why.NO_MENTOR_WITH_TOPICS,
        "dave": Why.NO_MENTEE_WANTS_TOPICS,
    }
    assert all(person.text for person in proposal.unmatched)
    assert {person.person_id: person.role for person in proposal.unmatched}["dave"] == "mentor"


def test_approving_puts_the_pairs_on_the_roster() -> None:
    made = matching_programme({"alice": mentor(), "dave": mentor({"sql": 3})}, {"bob": mentee(), "erin": mentee("sql")})
    made.propose_matching("prop-1", {}, NOW)
    made.events.clear()

    planned = made.approve("prop-1")

    assert sorted((p.mentor_id, p.mentee_ids, p.via) for p in planned) == [
        ("alice", ("bob",), "matching"),
        ("dave", ("erin",), "matching"),
    ]
    assert len({p.pair_id for p in planned}) == 2
    assert all(p.pair_id.startswith("prop-1-") for p in planned)
    assert {pair_id: made.roster[pair_id].mentor_id for pair_id in made.roster} == {
        p.pair_id: p.mentor_id for p in planned
    }
    assert made.paired("bob")
    assert made.paired("erin")
    assert made.events == [MatchingApproved("prog-1", "prop-1", 2)]
    with pytest.raises(Conflict):
        made.approve("prop-1")
    assert len(made.roster) == 2


def test_only_the_latest_proposal_can_be_approved() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee()})
    made.propose_matching("prop-1", {}, NOW)
    made.propose_matching("prop-2", {}, NOW)

    with pytest.raises(Conflict) as raised:
        made.approve("prop-1")

    assert raised.value.details == {"proposal_id": "prop-1"}
    assert made.roster == {}
    assert [p.pair_id for p in made.approve("prop-2")] == ["prop-2-1"]


def test_approving_skips_people_who_left_since_the_proposal() -> None:
    made = matching_programme(
        {"alice": mentor(), "dave": mentor({"sql": 3}), "gus": mentor({"design": 3})},
        {"bob": mentee(), "erin": mentee("sql"), "fay": mentee("design")},
    )
    assert proposed(made) == {("alice", ("bob",)), ("dave", ("erin",)), ("gus", ("fay",))}
    made.leave("bob")
    made.leave("dave")
    made.events.clear()

    planned = made.approve("prop-1")

    assert [(p.mentor_id, p.mentee_ids) for p in planned] == [("gus", ("fay",))]
    assert made.events == [MatchingApproved("prog-1", "prop-1", 1)]
    assert not made.paired("erin")


def test_a_rematched_mentee_never_gets_the_same_mentor_again() -> None:
    made = alice_fits_bob_best()
    (first,) = made.approve(made.propose_matching("prop-1", {}, NOW).id)
    assert first.mentor_id == "alice"
    assert made.free_places("dave") == 1

    made.pair_ended(first.pair_id, "rematch")

    assert not made.paired("bob")
    assert made.free_places("alice") == 1
    assert proposed(made, "prop-2") == {("dave", ("bob",))}  # alice still fits best, and is free
    (second,) = made.approve("prop-2")
    assert (second.mentor_id, second.via) == ("dave", "rematch")


def test_a_pin_left_from_the_first_round_does_not_bring_the_same_mentor_back() -> None:
    made = matching_programme({"alice": mentor(), "dave": mentor()}, {"bob": mentee()})
    made.pin("bob", "alice")
    (first,) = made.approve(made.propose_matching("prop-1", {}, NOW).id)
    made.pair_ended(first.pair_id, "rematch")

    assert proposed(made, "prop-2") == {("dave", ("bob",))}


def test_a_rematched_mentee_whose_only_mentor_was_the_last_one_is_told_why() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee()})
    (first,) = made.approve(made.propose_matching("prop-1", {}, NOW).id)
    made.pair_ended(first.pair_id, "rematch")

    assert proposed(made, "prop-2") == set()
    assert unmatched(made)["bob"] == Why.ONLY_VETOED_CANDIDATES


# ------------------------------------------------------------------------------------- direct requests


def test_a_mentee_asks_a_mentor_directly_and_the_mentor_accepts() -> None:
    made = matching_programme({"alice": mentor(), "dave": mentor()}, {"bob": mentee()})

    request = made.request_mentor("req-1", "bob", "alice")
    assert request.status is RequestStatus.PENDING
    assert made.events == [MentorRequested("prog-1", "req-1", "bob", "alice")]
    with pytest.raises(Forbidden):
        made.answer_request("req-1", "dave", accept=True)
    assert made.requests["req-1"] == request  # still pending

    planned = made.answer_request("req-1", "alice", accept=True)

    assert planned == PlannedPair("req-1-pair", "alice", ("bob",), "request")
    assert made.paired("bob")
    assert made.requests["req-1"].status is RequestStatus.ACCEPTED
    assert made.events[-1] == MentorRequestDecided("prog-1", "req-1", "bob", "alice", True)
    with pytest.raises(Conflict):
        made.answer_request("req-1", "alice", accept=False)
    assert made.requests["req-1"].status is RequestStatus.ACCEPTED


def test_a_declined_request_pairs_nobody() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee()})
    made.request_mentor("req-1", "bob", "alice")

    assert made.answer_request("req-1", "alice", accept=False) is None

    assert made.requests["req-1"].status is RequestStatus.DECLINED
    assert made.roster == {}
    with pytest.raises(Conflict):
        made.answer_request("req-1", "alice", accept=True)


def test_a_mentor_without_a_free_place_cannot_be_asked_or_accept() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee(), "erin": mentee(), "fay": mentee()})
    made.request_mentor("req-1", "bob", "alice")
    made.request_mentor("req-2", "erin", "alice")
    made.answer_request("req-1", "alice", accept=True)

    with pytest.raises(Conflict):
        made.answer_request("req-2", "alice", accept=True)
    with pytest.raises(Conflict):
        made.request_mentor("req-3", "fay", "alice")

    assert made.requests["req-2"].status is RequestStatus.PENDING
    assert "req-3" not in made.requests
    assert made.pairs_of("alice") == ["req-1-pair"]


@pytest.mark.parametrize("obstacle", ["paired", "forbidden", "asked already", "programme closing"])
def test_a_request_that_cannot_lead_to_a_pair_is_refused(obstacle: str) -> None:
    made = matching_programme({"alice": mentor(capacity=2), "dave": mentor()}, {"bob": mentee(), "erin": mentee()})
    if obstacle == "paired":
        made.request_mentor("req-0", "bob", "dave")
        made.answer_request("req-0", "dave", accept=True)
    elif obstacle == "forbidden":
        made.forbid("bob", "alice")
    elif obstacle == "asked already":
        made.request_mentor("req-0", "bob", "alice")
    else:
        made.advance("running")
        made.advance("closing")

    with pytest.raises(Conflict):
        made.request_mentor("req-1", "bob", "alice")

    assert "req-1" not in made.requests


def test_only_a_mentor_can_be_asked() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee(), "erin": mentee()})
    with pytest.raises(Invalid) as raised:
        made.request_mentor("req-1", "bob", "erin")
    assert raised.value.details["field"] == "mentor_id"


# ---------------------------------------------------------------------------------------------- leaving


def test_leaving_returns_the_active_pairs_and_withdraws_what_is_open() -> None:
    made = programme()
    made.recommend("n-1", "bob", "dan", "Bob could mentor SQL later")
    made.register("bob", "mentee", "en", mentee(), accepted_rules=True)
    add(made, "alice", mentor(), Role.MENTOR)
    add(made, "dave", mentor(), Role.MENTOR)
    made.advance("matching")
    made.request_mentor("req-1", "bob", "alice")
    (pair,) = made.approve(made.propose_matching("prop-1", {}, NOW).id)
    made.events.clear()

    assert made.leave("bob") == [pair.pair_id]

    assert not made.participants["bob"].active
    assert made.nominations["n-1"].status is NominationStatus.WITHDRAWN
    assert made.requests["req-1"].status is RequestStatus.WITHDRAWN
    assert made.count_by_role() == {Role.MENTOR: 2, Role.MENTEE: 0}
    assert made.events == [ParticipantLeft("prog-1", "bob", "mentee")]
    with pytest.raises(NotFound):
        made.leave("bob")


def test_leaving_after_a_pair_ended_ends_nothing_more() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee()})
    (pair,) = made.approve(made.propose_matching("prop-1", {}, NOW).id)
    made.pair_ended(pair.pair_id, "completed")

    assert made.leave("alice") == []


# ------------------------------------------------------------------------------------ kickoff, preparation


def test_a_pair_is_ready_once_the_kickoff_was_held_and_everyone_prepared() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee()})
    made.schedule_kickoff(NOW + timedelta(days=3), NOW)
    made.acknowledge_preparation("alice")
    made.acknowledge_preparation("bob")
    assert not made.ready_to_start(["alice", "bob"])  # the kickoff is still ahead

    made.hold_kickoff(NOW + timedelta(days=3))

    assert made.ready_to_start(["alice", "bob"])
    assert not made.ready_to_start(["alice", "bob", "stranger"])


def test_a_pair_with_someone_unprepared_is_not_ready() -> None:
    made = matching_programme({"alice": mentor()}, {"bob": mentee()})
    made.schedule_kickoff(NOW + timedelta(days=3), NOW)
    made.hold_kickoff(NOW + timedelta(days=3))
    made.acknowledge_preparation("alice")
    made.events.clear()

    assert not made.ready_to_start(["alice", "bob"])
    made.acknowledge_preparation("bob")
    made.acknowledge_preparation("bob")  # twice changes nothing
    assert made.ready_to_start(["alice", "bob"])
    assert made.events == [PreparationAcknowledged("prog-1", "bob")]


def test_the_kickoff_is_scheduled_in_the_future_and_held_once() -> None:
    made = programme(Stage.MATCHING)
    with pytest.raises(Conflict):
        made.hold_kickoff(NOW)  # not scheduled
    with pytest.raises(Invalid) as raised:
        made.schedule_kickoff(NOW, NOW)
    assert raised.value.details["field"] == "starts_at"

    made.schedule_kickoff(NOW + timedelta(days=1), NOW)
    made.hold_kickoff(NOW + timedelta(days=1))
    with pytest.raises(Conflict):
        made.hold_kickoff(NOW + timedelta(days=2))
    assert made.events[-1] == KickoffHeld("prog-1", NOW + timedelta(days=1))


def test_only_participants_acknowledge_the_preparation() -> None:
    with pytest.raises(NotFound):
        programme().acknowledge_preparation("stranger")


# ---------------------------------------------------------------------------------------------- erasure


def busy_programme() -> Programme:
    """Bob is in every corner: a mentee, a recommender, a vetoer, in a proposal, a pair and a request."""
    made = programme(Stage.DRAFT, terms=TERMS)
    made.advance("open")
    made.register("bob", "mentee", "ru", mentee("python", "sql"), accepted_rules=True)
    made.register("erin", "mentee", "en", mentee(), accepted_rules=True)
    made.register("fay", "mentee", "en", mentee("statistics"), accepted_rules=True)
    made.nominate_self("n-1", "alice", "en", mentor({"python": 4, "sql": 4}), accepted_rules=True)
    made.recommend("n-2", "dave", "bob", "Dave explains SQL well")
    made.consent("n-2", "dave", "en", mentor({"python": 3, "design": 4}, capacity=2), accepted_rules=True)
    made.recommend("n-3", "gus", "bob", "Gus would be great")
    made.decide_nomination("n-1", accept=True)
    made.decide_nomination("n-2", accept=True)
    made.schedule_kickoff(NOW + timedelta(days=7), NOW)
    made.advance("matching")
    made.veto("bob", "dave")
    made.pin("erin", "dave")
    made.forbid("fay", "alice")
    made.acknowledge_preparation("bob")
    made.approve(made.propose_matching("prop-1", {"erin": ("zoe",)}, NOW).id)
    made.hold_kickoff(NOW + timedelta(days=7))
    made.request_mentor("req-1", "fay", "dave")
    made.events.clear()
    return made


def test_the_busy_programme_names_bob_everywhere() -> None:
    made = busy_programme()
    assert made.paired("bob")
    assert made.proposal is not None
    assert [p.mentee_ids for p in made.proposal.pairings] == [("bob",), ("erin",)]
    assert made.nominations["n-2"].recommended_by == "bob"
    assert ("bob", "dave") in made.vetoes
    assert made.requests["req-1"].status is RequestStatus.PENDING


def test_erasure_puts_a_stand_in_everywhere_the_person_was() -> None:
    made = busy_programme()
    before = made.count_by_role()
    stand_in = "former-employee-0123456789ab"

    assert made.erase_person("bob", stand_in)

    state = json.dumps(made.to_state())
    assert '"bob"' not in state
    assert made.participants[stand_in].role is Role.MENTEE
    assert made.participants[stand_in].locale is None
    assert made.participants[stand_in].prepared
    assert list(made.participants) == [stand_in, "erin", "fay", "alice", "dave"]  # places in order stay
    assert [n.recommended_by for n in made.nominations.values()] == [None, stand_in, stand_in]
    assert (stand_in, "dave") in made.vetoes
    assert made.paired(stand_in)
    assert made.proposal is not None
    assert made.proposal.pairings[0].mentee_ids == (stand_in,)
    assert made.proposal.pairings[0].reasons[0]["mentee_id"] == stand_in
    assert made.count_by_role() == before
    assert made.events == []  # erasure is not news


def test_erasure_reaches_pins_forbidden_pairs_requests_and_nominees() -> None:
    made = busy_programme()

    assert made.erase_person("dave", "former-employee-aaaaaaaaaaaa")
    assert made.erase_person("fay", "former-employee-bbbbbbbbbbbb")
    assert made.erase_person("gus", "former-employee-cccccccccccc")  # only ever recommended

    assert made.pins == {("erin", "former-employee-aaaaaaaaaaaa")}
    assert made.forbidden == {("former-employee-bbbbbbbbbbbb", "alice")}
    assert made.requests["req-1"].mentee_id == "former-employee-bbbbbbbbbbbb"
    assert made.nominations["n-3"].person_id == "former-employee-cccccccccccc"
    assert made.nominations["n-2"].locale is None
    state = json.dumps(made.to_state())
    assert not any(f'"{person}"' in state for person in ("dave", "fay", "gus"))


def test_erasing_someone_not_there_changes_nothing() -> None:
    made = busy_programme()
    made.erase_person("bob", "former-employee-0123456789ab")
    state = made.to_state()

    assert not made.erase_person("bob", "former-employee-ffffffffffff")
    assert not made.erase_person("stranger", "former-employee-ffffffffffff")

    assert made.to_state() == state


def test_erasure_never_reuses_an_id_in_use() -> None:
    made = busy_programme()
    with pytest.raises(ValueError, match="already in use"):
        made.erase_person("bob", "erin")


@pytest.mark.parametrize("build", [busy_programme, lambda: programme(Stage.DRAFT)], ids=["busy", "draft"])
def test_the_state_round_trips_through_json(build: Any) -> None:
    made: Programme = build()

    restored = Programme.from_state(made.id, json.loads(json.dumps(made.to_state())))

    assert restored == made
    assert restored.to_state() == made.to_state()


def test_a_group_programme_round_trips_through_json() -> None:
    made = matching_programme({"alice": mentor(capacity=2)}, {"bob": mentee(), "erin": mentee()}, terms=GROUP_TERMS)
    made.approve(made.propose_matching("prop-1", {}, NOW).id)

    restored = Programme.from_state(made.id, json.loads(json.dumps(made.to_state())))

    assert restored == made
    assert restored.terms == GROUP_TERMS
    assert restored.proposal is not None
    assert restored.proposal.pairings[0].topic == "python"


def test_a_nominee_can_say_no_before_or_after_consenting() -> None:
    made = programme()
    recommended = made.recommend("n1", "bob", "ann", "Knows SQL well")
    made.events.clear()

    with pytest.raises(Forbidden):
        made.withdraw_nomination(recommended.id, "ann")  # not the recommender's to withdraw
    withdrawn = made.withdraw_nomination(recommended.id, "bob")

    assert withdrawn.status is NominationStatus.WITHDRAWN
    assert [type(event).__name__ for event in made.events] == ["NominationWithdrawn"]
    with pytest.raises(Conflict):
        made.withdraw_nomination(recommended.id, "bob")
    with pytest.raises(Conflict):
        made.decide_nomination(recommended.id, accept=True)
    again = made.recommend("n2", "bob", "ann", "Still knows SQL well")  # a new nomination may follow
    assert again.status is NominationStatus.AWAITING_CONSENT
