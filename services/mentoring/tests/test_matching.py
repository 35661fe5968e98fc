"""Whole-pool matching: hand-checked optima, every hard constraint, pins, reasons, and properties on random pools."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentoring.domain.matching import (
    W_INTERESTS,
    W_TIME,
    W_TOPICS,
    Constraints,
    InvalidPin,
    MatchProposal,
    Mentee,
    Mentor,
    Rule,
    Why,
    explain,
    form_groups,
    greedy_assignment,
    is_candidate,
    match,
    pair_score,
    pair_violations,
    working_hours_utc,
)
from mentoring.domain.model import Role
from shared.errors import Invalid

EN = frozenset({"en"})


def mentee(pid: str, topics: dict[str, int], **kw: object) -> Mentee:
    kw.setdefault("languages", EN)
    return Mentee(pid, topics, **kw)  # type: ignore[arg-type]


def mentor(pid: str, topics: dict[str, int], **kw: object) -> Mentor:
    kw.setdefault("languages", EN)
    return Mentor(pid, topics, **kw)  # type: ignore[arg-type]


def pairs_of(proposal: MatchProposal) -> set[tuple[str, str]]:
    return {(p.mentee_id, p.mentor_id) for p in proposal.pairs}


def why_of(proposal: MatchProposal, person_id: str, role: Role = Role.MENTEE) -> Why:
    [found] = [u for u in proposal.unmatched if u.person_id == person_id and u.role is role]
    return found.why


# A same-zone pair with no interests scores W_TOPICS * topic_fit + W_TIME (a full time overlap).
FULL_TIME = W_TIME


# ---------------------------------------------------------------------------------- hand-checked optima


def test_three_by_three_where_greedy_is_suboptimal() -> None:
    # b fits m1 best (shared interest) but a needs m1 (only m1 has both of a's topics).
    b = mentee("b", {"x": 2}, interests=frozenset({"chess"}))
    a = mentee("a", {"x": 2, "y": 2})
    c = mentee("c", {"z": 1})
    m1 = mentor("m1", {"x": 3, "y": 3}, interests=frozenset({"chess"}))
    m2 = mentor("m2", {"x": 2})
    m3 = mentor("m3", {"z": 1})
    pool = ([b, a, c], [m1, m2, m3])

    greedy = greedy_assignment(*pool)
    best = match(*pool)

    assert pairs_of(greedy) == {("b", "m1"), ("a", "m2"), ("c", "m3")}
    assert greedy.total_score == pytest.approx((W_TOPICS + W_INTERESTS + FULL_TIME) + (W_TOPICS / 2 + FULL_TIME) + 0.75)
    assert pairs_of(best) == {("a", "m1"), ("b", "m2"), ("c", "m3")}
    assert best.total_score == pytest.approx(3 * (W_TOPICS + FULL_TIME))
    assert best.total_score > greedy.total_score
    assert best.unmatched == []


def test_capacity_two_takes_the_two_best_and_explains_the_third() -> None:
    # Only m1 teaches x at level 4; it has room for two. p3 fits m1 least (no shared interest).
    p1 = mentee("p1", {"x": 4}, interests=frozenset({"go"}))
    p2 = mentee("p2", {"x": 4}, interests=frozenset({"go", "tea"}))
    p3 = mentee("p3", {"x": 4})
    m1 = mentor("m1", {"x": 5}, interests=frozenset({"go", "tea"}), capacity=2)
    m2 = mentor("m2", {"x": 3})

    proposal = match([p1, p2, p3], [m1, m2])

    assert pairs_of(proposal) == {("p1", "m1"), ("p2", "m1")}
    assert why_of(proposal, "p3") is Why.ALL_CANDIDATES_AT_CAPACITY
    assert why_of(proposal, "m2", Role.MENTOR) is Why.NO_MENTEE_WANTS_TOPICS


def test_capacity_two_optimum_splits_differently_from_greedy() -> None:
    # m1 (capacity 2) is everybody's favourite; the optimum sends to m2 the mentee who loses least there.
    p1 = mentee("p1", {"x": 1, "y": 1})
    p2 = mentee("p2", {"x": 1}, interests=frozenset({"a"}))
    p3 = mentee("p3", {"x": 1}, interests=frozenset({"a"}))
    m1 = mentor("m1", {"x": 1, "y": 1}, interests=frozenset({"a"}), capacity=2)
    m2 = mentor("m2", {"x": 1})

    proposal = match([p2, p3, p1], [m1, m2])
    greedy = greedy_assignment([p2, p3, p1], [m1, m2])

    assert pairs_of(greedy) == {("p2", "m1"), ("p3", "m1"), ("p1", "m2")}
    assert Counter(p.mentor_id for p in proposal.pairs) == {"m1": 2, "m2": 1}
    assert ("p1", "m1") in pairs_of(proposal)
    assert proposal.total_score == pytest.approx(brute_force_total([p2, p3, p1], [m1, m2], Constraints()))
    assert proposal.total_score > greedy.total_score


# ------------------------------------------------------------------------------------- hard constraints


def test_no_pair_when_the_mentor_is_in_the_mentees_reporting_line() -> None:
    proposal = match([mentee("e", {"x": 1}, manager_chain=("boss", "m"))], [mentor("m", {"x": 1})])
    assert proposal.pairs == []
    assert why_of(proposal, "e") is Why.ONLY_CANDIDATES_IN_REPORTING_LINE
    assert why_of(proposal, "m", Role.MENTOR) is Why.ONLY_CANDIDATES_IN_REPORTING_LINE


def test_no_pair_when_the_mentee_is_in_the_mentors_reporting_line() -> None:
    proposal = match([mentee("e", {"x": 1})], [mentor("m", {"x": 1}, manager_chain=("e",))])
    assert proposal.pairs == []
    assert why_of(proposal, "e") is Why.ONLY_CANDIDATES_IN_REPORTING_LINE


def test_reporting_line_falls_back_to_another_mentor() -> None:
    e = mentee("e", {"x": 1}, manager_chain=("m1",))
    proposal = match([e], [mentor("m1", {"x": 5}), mentor("m2", {"x": 1})])
    assert pairs_of(proposal) == {("e", "m2")}


def test_vetoed_pair_is_never_proposed() -> None:
    pool = ([mentee("e", {"x": 1})], [mentor("m", {"x": 1})])
    proposal = match(*pool, Constraints(vetoed=frozenset({("e", "m")})))
    assert proposal.pairs == []
    assert why_of(proposal, "e") is Why.ONLY_VETOED_CANDIDATES


def test_no_common_language_is_not_allowed() -> None:
    proposal = match([mentee("e", {"x": 1}, languages=frozenset({"ru"}))], [mentor("m", {"x": 1})])
    assert proposal.pairs == []
    assert why_of(proposal, "e") is Why.NO_COMMON_LANGUAGE
    assert why_of(proposal, "m", Role.MENTOR) is Why.NO_COMMON_LANGUAGE


def test_mentor_cannot_mentor_themselves() -> None:
    proposal = match([mentee("p", {"x": 1})], [mentor("p", {"x": 1})])
    assert proposal.pairs == []
    assert why_of(proposal, "p") is Why.ONLY_SELF


def test_topics_below_the_wanted_level_are_no_match() -> None:
    proposal = match([mentee("e", {"x": 4})], [mentor("m", {"x": 3}), mentor("n", {"y": 5})])
    assert proposal.pairs == []
    assert why_of(proposal, "e") is Why.NO_MENTOR_WITH_TOPICS


def test_capacity_is_never_exceeded() -> None:
    mentees = [mentee(f"e{i}", {"x": 1}) for i in range(5)]
    proposal = match(mentees, [mentor("m", {"x": 1}, capacity=3)])
    assert len(proposal.pairs) == 3
    assert sorted(u.why for u in proposal.unmatched) == [Why.ALL_CANDIDATES_AT_CAPACITY] * 2


@pytest.mark.parametrize(
    ("mentee_grade", "mentor_grade", "allow_unknown", "matched"),
    [
        (5, 3, False, True),  # the mentor is more junior: allowed
        (5, 5, False, False),  # same grade: not more junior
        (3, 5, False, False),  # more senior
        (None, 3, False, False),  # unknown: refused by default
        (5, None, False, False),
        (None, 3, True, True),  # unless the curator allows it
        (5, None, True, True),
        (3, 5, True, False),  # known grades still obey the rule
    ],
)
def test_reverse_programme_grade_rule(
    mentee_grade: int | None, mentor_grade: int | None, allow_unknown: bool, matched: bool
) -> None:
    pool = ([mentee("e", {"x": 1}, grade=mentee_grade)], [mentor("m", {"x": 1}, grade=mentor_grade)])
    proposal = match(*pool, Constraints(reverse=True, allow_unknown_grade=allow_unknown))
    assert bool(proposal.pairs) is matched
    if not matched:
        assert why_of(proposal, "e") is Why.GRADE_RULE


def test_grades_do_not_matter_outside_reverse_programmes() -> None:
    proposal = match([mentee("e", {"x": 1}, grade=5)], [mentor("m", {"x": 1}, grade=1)])
    assert pairs_of(proposal) == {("e", "m")}


# ------------------------------------------------------------------------------------------------ pins


def test_pinned_pair_is_honoured_and_consumes_capacity() -> None:
    # Left alone, the optimum would be e1-m (shared interest); the curator pins e2 to m.
    e1 = mentee("e1", {"x": 1}, interests=frozenset({"a"}))
    e2 = mentee("e2", {"y": 1})
    m = mentor("m", {"x": 1}, interests=frozenset({"a"}))
    n = mentor("n", {"x": 1})
    proposal = match([e1, e2], [m, n], Constraints(pinned=frozenset({("e2", "m")})))
    assert pairs_of(proposal) == {("e2", "m"), ("e1", "n")}
    [pinned] = [p for p in proposal.pairs if p.pinned]
    assert (pinned.mentee_id, pinned.mentor_id) == ("e2", "m")
    assert pinned.reasons.matched_topics == ()


def test_a_pin_overrides_a_veto_of_the_same_pair() -> None:
    both = frozenset({("e", "m")})
    proposal = match([mentee("e", {"x": 1})], [mentor("m", {"x": 1})], Constraints(vetoed=both, pinned=both))
    assert pairs_of(proposal) == {("e", "m")}


@pytest.mark.parametrize(
    ("the_mentee", "the_mentor", "constraints", "rule"),
    [
        (mentee("e", {"x": 1}, manager_chain=("m",)), mentor("m", {"x": 1}), Constraints(), Rule.REPORTING_LINE),
        (mentee("e", {"x": 1}), mentor("m", {"x": 1}, manager_chain=("e",)), Constraints(), Rule.REPORTING_LINE),
        (
            mentee("e", {"x": 1}, languages=frozenset({"de"})),
            mentor("m", {"x": 1}),
            Constraints(),
            Rule.NO_COMMON_LANGUAGE,
        ),
        (mentee("e", {"x": 1}, grade=1), mentor("m", {"x": 1}, grade=2), Constraints(reverse=True), Rule.GRADE),
        (mentee("m", {"x": 1}), mentor("m", {"x": 1}), Constraints(), Rule.SELF),
    ],
)
def test_a_pin_breaking_a_hard_constraint_is_refused(
    the_mentee: Mentee, the_mentor: Mentor, constraints: Constraints, rule: Rule
) -> None:
    pin = frozenset({(the_mentee.person_id, the_mentor.person_id)})
    with pytest.raises(InvalidPin) as refused:
        match([the_mentee], [the_mentor], Constraints(pinned=pin, reverse=constraints.reverse))
    assert refused.value.details["rule"] == rule.value
    assert rule.value in refused.value.message


def test_pins_beyond_capacity_are_refused() -> None:
    pins = frozenset({("e1", "m"), ("e2", "m")})
    with pytest.raises(InvalidPin) as refused:
        match([mentee("e1", {"x": 1}), mentee("e2", {"x": 1})], [mentor("m", {"x": 1})], Constraints(pinned=pins))
    assert refused.value.details["rule"] == Rule.CAPACITY.value


def test_pins_naming_strangers_or_twice_the_same_mentee_are_refused() -> None:
    pool = ([mentee("e", {"x": 1})], [mentor("m", {"x": 1}), mentor("n", {"x": 1})])
    with pytest.raises(Invalid, match="not in the pool"):
        match(*pool, Constraints(pinned=frozenset({("e", "ghost")})))
    with pytest.raises(Invalid, match="more than one mentor"):
        match(*pool, Constraints(pinned=frozenset({("e", "m"), ("e", "n")})))


# ------------------------------------------------------------------------------------ reasons and inputs


def test_reasons_and_score_of_a_pair() -> None:
    # Moscow works 06-15 UTC, Berlin (winter) 08-17 UTC: 7 hours a day in common, 35 a week.
    e = mentee(
        "e",
        {"x": 3, "y": 2, "z": 1},
        interests=frozenset({"chess", "go", "tea"}),
        languages=frozenset({"ru", "en"}),
        time_zone="Europe/Moscow",
    )
    m = mentor(
        "m",
        {"x": 4, "y": 1, "z": 1},
        interests=frozenset({"go", "tea", "jazz"}),
        languages=frozenset({"en", "ru", "de"}),
        time_zone="Europe/Berlin",
    )
    [pair] = match([e], [m]).pairs
    assert pair.reasons.matched_topics == ("x", "z")
    assert pair.reasons.shared_interests == ("go", "tea")
    assert pair.reasons.common_languages == ("en", "ru")
    assert pair.reasons.overlap_hours == 35
    assert pair.score == pytest.approx(W_TOPICS * 2 / 3 + W_INTERESTS * 2 / 4 + W_TIME * 35 / 45)
    assert pair.reasons == explain(e, m)
    assert not pair.pinned


def test_availability_replaces_the_working_day() -> None:
    e = mentee("e", {"x": 1}, availability=frozenset({(0, 10), (0, 11), (6, 3)}))
    m = mentor("m", {"x": 1}, time_zone="UTC")
    assert explain(e, m).overlap_hours == 2
    assert pair_score(e, m) == pytest.approx(W_TOPICS + W_TIME * 2 / 3)


def test_working_hours_follow_the_time_zone() -> None:
    assert len(working_hours_utc("Asia/Kolkata")) == 45
    assert working_hours_utc("UTC") == frozenset(d * 24 + h for d in range(5) for h in range(9, 18))
    # Los Angeles' Friday 17:00 is Saturday 01:00 UTC.
    assert 5 * 24 + 1 in working_hours_utc("America/Los_Angeles")


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(Invalid):
        mentee("e", {"x": 6})
    with pytest.raises(Invalid):
        mentor("m", {"x": 1}, capacity=0)
    with pytest.raises(Invalid):
        mentee("e", {"x": 1}, time_zone="Mars/Olympus")
    with pytest.raises(Invalid):
        mentee("e", {"x": 1}, availability=frozenset({(7, 1)}))
    with pytest.raises(Invalid, match="twice"):
        match([mentee("e", {"x": 1}), mentee("e", {"y": 1})], [])


def test_every_unmatched_person_has_a_why() -> None:
    mentees = [
        mentee("nothing", {}),
        mentee("lonely", {"rare": 1}),
        mentee("german", {"x": 1}, languages=frozenset({"de"})),
        mentee("fits", {"x": 1}),
        mentee("second", {"x": 1}),
    ]
    mentors = [mentor("m", {"x": 2}), mentor("idle", {"cobol": 5})]
    proposal = match(mentees, mentors)
    assert len(proposal.pairs) == 1
    why = {u.person_id: u.why for u in proposal.unmatched}
    assert why == {
        "nothing": Why.NO_TOPICS_WANTED,
        "lonely": Why.NO_MENTOR_WITH_TOPICS,
        "german": Why.NO_COMMON_LANGUAGE,
        "fits" if ("second", "m") in pairs_of(proposal) else "second": Why.ALL_CANDIDATES_AT_CAPACITY,
        "idle": Why.NO_MENTEE_WANTS_TOPICS,
    }
    assert all(u.text for u in proposal.unmatched)


def test_empty_pools() -> None:
    assert match([], []) == MatchProposal(pairs=[], unmatched=[])
    proposal = match([mentee("e", {"x": 1})], [])
    assert why_of(proposal, "e") is Why.NO_MENTOR_WITH_TOPICS


def test_small_k_still_gives_a_valid_assignment() -> None:
    mentees = [mentee(f"e{i}", {"x": 1 + i % 3}) for i in range(20)]
    mentors = [mentor(f"m{j}", {"x": 1 + j % 5}, capacity=1 + j % 2) for j in range(10)]
    narrow, exact = match(mentees, mentors, k=2), match(mentees, mentors, k=10)
    assert_valid(narrow, mentees, mentors, Constraints())
    assert narrow.total_score <= exact.total_score + 1e-9


# -------------------------------------------------------------------------------------------------- groups


def test_groups_gather_mentees_by_topic_with_one_mentor() -> None:
    mentees = [mentee(f"py{i}", {"python": 2}) for i in range(4)] + [mentee("boss", {"python": 1})]
    mentees.append(mentee("go", {"go": 1}))
    mentors = [
        mentor("guido", {"python": 5}, capacity=2, manager_chain=("boss",)),
        mentor("rob", {"go": 5}),
    ]
    proposal = form_groups(mentees, mentors, group_size=2)
    assert [(g.topic, g.mentor_id, len(g.members)) for g in proposal.groups] == [("python", "guido", 2)] * 2
    grouped = {m.mentee_id for g in proposal.groups for m in g.members}
    assert grouped == {"py0", "py1", "py2", "py3"}
    assert {u.person_id for u in proposal.unmatched} == {"boss", "go", "rob"}
    assert all(u.why is Why.NO_GROUP for u in proposal.unmatched)
    assert all(m.reasons.matched_topics == ("python",) for g in proposal.groups for m in g.members)


# ------------------------------------------------------------------------------------------- properties


def assert_valid(proposal: MatchProposal, mentees: Sequence[Mentee], mentors: Sequence[Mentor], c: Constraints) -> None:
    by_id_e = {p.person_id: p for p in mentees}
    by_id_m = {p.person_id: p for p in mentors}
    matched_e = [p.mentee_id for p in proposal.pairs]
    assert len(matched_e) == len(set(matched_e)), "a mentee appears twice"
    load = Counter(p.mentor_id for p in proposal.pairs)
    for mentor_id, count in load.items():
        assert count <= by_id_m[mentor_id].capacity
    assert {(p.mentee_id, p.mentor_id) for p in proposal.pairs if p.pinned} == set(c.pinned)
    for pair in proposal.pairs:
        e, m = by_id_e[pair.mentee_id], by_id_m[pair.mentor_id]
        if pair.pinned:
            assert [r for r in pair_violations(e, m, c) if r is not Rule.VETOED] == []
        else:
            assert is_candidate(e, m, c)
        assert pair.score == pair_score(e, m)
        assert pair.reasons == explain(e, m)
    unmatched_e = {u.person_id for u in proposal.unmatched if u.role is Role.MENTEE}
    unmatched_m = {u.person_id for u in proposal.unmatched if u.role is Role.MENTOR}
    assert unmatched_e == set(by_id_e) - set(matched_e)
    assert unmatched_m == set(by_id_m) - set(load)
    assert all(u.why and u.text for u in proposal.unmatched)


def brute_force_total(mentees: Sequence[Mentee], mentors: Sequence[Mentor], c: Constraints) -> float:
    pinned = dict(c.pinned)
    free = [m.capacity - sum(1 for v in pinned.values() if v == m.person_id) for m in mentors]
    fixed = sum(pair_score(e, m) for e in mentees for m in mentors if pinned.get(e.person_id) == m.person_id)
    rest = [e for e in mentees if e.person_id not in pinned]

    def best(index: int) -> float:
        if index == len(rest):
            return 0.0
        result = best(index + 1)  # leave rest[index] unmatched
        for j, m in enumerate(mentors):
            if free[j] > 0 and is_candidate(rest[index], m, c):
                free[j] -= 1
                result = max(result, pair_score(rest[index], m) + best(index + 1))
                free[j] += 1
        return result

    return fixed + best(0)


TOPICS = ["a", "b", "c"]
ZONES = ["UTC", "Europe/Moscow", "America/New_York"]


@st.composite
def pools(draw: st.DrawFn, max_mentees: int, max_mentors: int) -> tuple[list[Mentee], list[Mentor], Constraints]:
    n_e = draw(st.integers(0, max_mentees))
    n_m = draw(st.integers(0, max_mentors))
    ids_e = [f"e{i}" for i in range(n_e)]
    ids_m = [f"m{j}" for j in range(n_m)]
    # now and then one person is on both sides (self-mentoring must be refused)
    if n_e and n_m and draw(st.booleans()):
        ids_m[0] = ids_e[0]
    everyone = sorted(set(ids_e + ids_m))
    levels = st.dictionaries(st.sampled_from(TOPICS), st.integers(1, 5), max_size=3)
    common = {
        "interests": st.frozensets(st.sampled_from(["i1", "i2", "i3", "i4"]), max_size=3),
        "languages": st.frozensets(st.sampled_from(["en", "ru", "de"]), min_size=1, max_size=2),
        "time_zone": st.sampled_from(ZONES),
        "availability": st.none() | st.frozensets(st.tuples(st.integers(0, 6), st.integers(0, 23)), max_size=6),
        "grade": st.none() | st.integers(1, 5),
        "manager_chain": st.lists(st.sampled_from(everyone), max_size=2).map(tuple),
    }
    mentees = [draw(st.builds(Mentee, st.just(pid), levels, **common)) for pid in ids_e]
    mentors = [draw(st.builds(Mentor, st.just(pid), levels, capacity=st.integers(1, 3), **common)) for pid in ids_m]
    all_pairs = [(e, m) for e in ids_e for m in ids_m]
    vetoed = draw(st.frozensets(st.sampled_from(all_pairs), max_size=4)) if all_pairs else frozenset()
    reverse, allow_unknown = draw(st.booleans()), draw(st.booleans())
    base = Constraints(vetoed=vetoed, reverse=reverse, allow_unknown_grade=allow_unknown)
    # pins: a few valid ones (one per mentee, within capacity, no hard constraint but a veto broken)
    wished = draw(st.lists(st.sampled_from(all_pairs), max_size=3)) if all_pairs else []
    pins: dict[str, str] = {}
    load: Counter[str] = Counter()
    by_e, by_m = dict(zip(ids_e, mentees, strict=True)), dict(zip(ids_m, mentors, strict=True))
    for e, m in wished:
        broken = [r for r in pair_violations(by_e[e], by_m[m], base) if r is not Rule.VETOED]
        if e not in pins and not broken and load[m] < by_m[m].capacity:
            pins[e] = m
            load[m] += 1
    pinned = frozenset(pins.items())
    constraints = Constraints(vetoed=vetoed, pinned=pinned, reverse=reverse, allow_unknown_grade=allow_unknown)
    return mentees, mentors, constraints


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(pools(max_mentees=12, max_mentors=6))
def test_property_valid_and_never_worse_than_greedy(pool: tuple[list[Mentee], list[Mentor], Constraints]) -> None:
    mentees, mentors, constraints = pool
    k = max(len(mentors), 1)  # the whole allowed graph: the optimum is exact
    best = match(mentees, mentors, constraints, k=k)
    greedy = greedy_assignment(mentees, mentors, constraints, k=k)
    assert_valid(best, mentees, mentors, constraints)
    assert_valid(greedy, mentees, mentors, constraints)
    assert best.total_score >= greedy.total_score - 1e-9


@PROPERTY
@given(pools(max_mentees=5, max_mentors=3))
def test_property_equals_the_brute_force_optimum(pool: tuple[list[Mentee], list[Mentor], Constraints]) -> None:
    mentees, mentors, constraints = pool
    best = match(mentees, mentors, constraints)
    assert math.isclose(best.total_score, brute_force_total(mentees, mentors, constraints), abs_tol=1e-9)
