"""The weekly random coffee: who meets whom, in plain Python."""

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from mentoring.domain.coffee import CoffeeCandidate, pair_for_coffee


def people(*specs: str) -> list[CoffeeCandidate]:
    """'ann@sales' -> ann of sales; 'bob' -> bob of an unknown department."""
    return [CoffeeCandidate(*spec.split("@")) if "@" in spec else CoffeeCandidate(spec, None) for spec in specs]


def met(*pairs: str) -> set[frozenset[str]]:
    return {frozenset(pair.split("-")) for pair in pairs}


def test_everyone_is_paired_when_the_count_is_even() -> None:
    pairs, left_out = pair_for_coffee(people("ann@sales", "bob@it", "cid@hr", "dan@ops"), set(), "round-1")

    assert len(pairs) == 2
    assert left_out == []
    assert sorted(p for pair in pairs for p in pair) == ["ann", "bob", "cid", "dan"]


def test_an_odd_count_leaves_exactly_one_out() -> None:
    pairs, left_out = pair_for_coffee(people("ann@sales", "bob@it", "cid@hr"), set(), "round-1")

    assert len(pairs) == 1
    assert len(left_out) == 1
    assert {left_out[0], *pairs[0]} == {"ann", "bob", "cid"}


def test_people_who_met_recently_do_not_meet_again() -> None:
    candidates = people("ann@sales", "bob@it", "cid@hr", "dan@ops")
    recent = met("ann-bob", "cid-dan", "ann-cid")

    pairs, left_out = pair_for_coffee(candidates, recent, "round-2")

    assert pairs == [("ann", "dan"), ("bob", "cid")]
    assert left_out == []


def test_nobody_is_paired_when_everyone_met_everyone() -> None:
    candidates = people("ann", "bob", "cid")

    pairs, left_out = pair_for_coffee(candidates, met("ann-bob", "ann-cid", "bob-cid"), "round-3")

    assert pairs == []
    assert left_out == ["ann", "bob", "cid"]


def test_colleagues_of_one_department_meet_people_from_other_departments() -> None:
    candidates = people("ann@sales", "amy@sales", "bob@it", "ben@it")

    for seed in ("a", "b", "c", "d", "e", "f"):
        pairs, _ = pair_for_coffee(candidates, set(), seed)
        assert all(a[0] != b[0] for a, b in pairs), (seed, pairs)  # names start like their department


def test_the_department_comparison_ignores_case_and_spaces() -> None:
    candidates = [
        CoffeeCandidate("ann", "Sales"),
        CoffeeCandidate("amy", " sales "),
        CoffeeCandidate("bob", "IT"),
        CoffeeCandidate("ben", "it"),
    ]

    pairs, _ = pair_for_coffee(candidates, set(), "seed")

    assert all(a[0] != b[0] for a, b in pairs)


def test_one_department_pairs_within_itself_when_no_other_partner_is_left() -> None:
    # bob (it) met both sales people: ann and amy can still meet each other rather than sit alone.
    pairs, left_out = pair_for_coffee(people("ann@sales", "amy@sales", "bob@it"), met("ann-bob", "amy-bob"), "s")

    assert pairs == [("amy", "ann")]
    assert left_out == ["bob"]


def test_the_number_of_pairs_is_maximised_over_a_tempting_first_choice() -> None:
    # cid can meet only ann; pairing ann with bob first would leave two people alone.
    candidates = people("ann@x", "bob@y", "cid@z", "dan@w")
    recent = met("cid-bob", "cid-dan")

    pairs, left_out = pair_for_coffee(candidates, recent, "any")

    assert pairs == [("ann", "cid"), ("bob", "dan")]
    assert left_out == []


def test_a_retried_round_gives_the_same_pairs_whatever_the_order_of_candidates() -> None:
    candidates = people(*(f"p{i}@d{i % 3}" for i in range(11)))
    recent = met("p0-p1", "p2-p4", "p5-p9")

    first = pair_for_coffee(candidates, recent, "round-42")
    again = pair_for_coffee(list(reversed(candidates)), recent, "round-42")

    assert first == again


def test_different_rounds_shuffle_who_meets_whom() -> None:
    candidates = people(*(f"p{i}" for i in range(12)))

    outcomes = {tuple(pair_for_coffee(candidates, set(), f"round-{n}")[0]) for n in range(10)}

    assert len(outcomes) > 1


def test_a_person_listed_twice_is_paired_once() -> None:
    pairs, left_out = pair_for_coffee(people("ann@a", "ann@a", "bob@b"), set(), "seed")

    assert pairs == [("ann", "bob")]
    assert left_out == []


def _max_pairs(names: list[str], recent: set[frozenset[str]]) -> int:
    """The largest number of pairs, by brute force (small groups only)."""
    if len(names) < 2:
        return 0
    first, rest = names[0], names[1:]
    best = _max_pairs(rest, recent)  # first sits out
    for other in rest:
        if frozenset((first, other)) not in recent:
            best = max(best, 1 + _max_pairs([n for n in rest if n != other], recent))
    return best


Round = tuple[list[CoffeeCandidate], set[frozenset[str]], str]  # candidates, recent pairs, seed


@st.composite
def rounds(draw: st.DrawFn) -> Round:
    count = draw(st.integers(min_value=0, max_value=9))
    names = [f"p{i}" for i in range(count)]
    candidates = [CoffeeCandidate(name, draw(st.sampled_from([None, "sales", "it", "hr"]))) for name in names]
    all_pairs = [frozenset(pair) for pair in combinations(names, 2)]
    recent = set(draw(st.lists(st.sampled_from(all_pairs), unique=True))) if all_pairs else set()
    return candidates, recent, draw(st.text(max_size=8))


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_pairs_are_valid_and_as_many_as_possible(
    round_: tuple[list[CoffeeCandidate], set[frozenset[str]], str],
) -> None:
    candidates, recent, seed = round_
    names = [c.person_id for c in candidates]

    pairs, left_out = pair_for_coffee(candidates, recent, seed)

    paired = [person for pair in pairs for person in pair]
    assert len(paired) == len(set(paired)), "nobody appears twice"
    assert not {frozenset(pair) for pair in pairs} & recent, "no recent pair again"
    assert sorted(paired + left_out) == sorted(names), "everyone is paired or left out"
    assert len(pairs) == _max_pairs(names, recent)
    assert pair_for_coffee(candidates, recent, seed) == (pairs, left_out)
