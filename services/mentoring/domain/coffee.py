"""Weekly random coffee: pair the circle's members who opted in, for an informal chat.

People learn through trust as much as through tasks, so a circle offers a weekly coffee with someone
you would not otherwise meet: across departments where possible, and never the same two people again
within the period the service looks back over (it passes those pairs in as `recent`).

The approach is a randomized greedy with restarts, then local repairs:

1. Greedy: repeatedly take the unpaired person with the fewest possible partners left (the hardest to
   place goes first), and give them a partner from another department if any is left, else one from
   their own; among those, the partner with the fewest options left. Ties are broken at random.
2. Repairs: an augmenting step (u is alone, u may meet a, a's partner b may meet the lonely v: make
   u-a and b-v, one pair more), then swaps that give more cross-department pairs at the same count
   (two pairs trade partners, or someone left alone takes the place of one of a same-department pair).
3. Restarts: the above runs a few times with different random orders; the best result wins, by the
   number of pairs first and the number of cross-department pairs second.

This is a heuristic, not an exact maximum matching, which is plenty for a circle's few dozen people.
Everything random comes from `random.Random(seed)`, and candidates are put in a fixed order first, so
the same seed (the round id) gives the same pairs: a retried round does not reshuffle anybody.
"""

import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

RESTARTS = 12


@dataclass(frozen=True)
class CoffeeCandidate:
    person_id: str
    department: str | None  # None: unknown, so never counted as "the same department" as anyone


Pair = tuple[str, str]
Cross = Callable[[str, str], bool]  # are these two from different departments (or is one unknown)?


def pair_for_coffee(
    candidates: Sequence[CoffeeCandidate], recent: Collection[frozenset[str]], seed: str
) -> tuple[list[Pair], list[str]]:
    """Pairs of the candidates (each pair's ids in sorted order, the list sorted) and the people left out."""
    departments: dict[str, str | None] = {}
    for candidate in candidates:  # a person listed twice is still one person
        departments.setdefault(candidate.person_id, _normalised(candidate.department))
    people = sorted(departments)  # the input order must not change the outcome of a seed
    already_met = {pair for pair in recent if len(pair) == 2}
    partners = {
        person: {other for other in people if other != person and frozenset((person, other)) not in already_met}
        for person in people
    }

    def cross(a: str, b: str) -> bool:
        return departments[a] is None or departments[a] != departments[b]

    rng = random.Random(seed)
    best: list[Pair] = []
    best_score = (-1, -1)
    for _ in range(RESTARTS):
        pairs = _greedy(people, partners, cross, rng)
        _augment(pairs, people, partners)
        _swap_towards_cross(pairs, people, partners, cross)
        score = (len(pairs), sum(cross(a, b) for a, b in pairs))
        if score > best_score:
            best, best_score = pairs, score
        if best_score == (len(people) // 2, len(people) // 2):
            break  # nobody can do better than everyone paired across departments
    paired = {person for pair in best for person in pair}
    result = sorted((min(a, b), max(a, b)) for a, b in best)
    return result, [person for person in people if person not in paired]


def _normalised(department: str | None) -> str | None:
    if department is None or not department.strip():
        return None
    return department.strip().casefold()


def _greedy(people: list[str], partners: dict[str, set[str]], cross: Cross, rng: random.Random) -> list[Pair]:
    order = people[:]
    rng.shuffle(order)
    rank = {person: index for index, person in enumerate(order)}  # the random tie-break
    free = set(people)
    pairs: list[Pair] = []
    while True:
        options = {person: partners[person] & free for person in free}
        placeable = [person for person in free if options[person]]
        if not placeable:
            return pairs
        person = min(placeable, key=lambda p: (len(options[p]), rank[p]))
        across = [other for other in options[person] if cross(person, other)]
        chosen_from = across or list(options[person])
        partner = min(chosen_from, key=lambda p: (len(options[p]), rank[p]))
        pairs.append((person, partner))
        free -= {person, partner}


def _augment(pairs: list[Pair], people: list[str], partners: dict[str, set[str]]) -> None:
    """Turn one pair and two lonely people into two pairs while that is possible (augmenting paths of 3)."""
    improved = True
    while improved:
        improved = False
        paired = {person for pair in pairs for person in pair}
        lonely = [person for person in people if person not in paired]
        for index, (a, b) in enumerate(pairs):
            for first, second in ((a, b), (b, a)):
                u = next((p for p in lonely if p in partners[first]), None)
                v = next((p for p in lonely if p != u and p in partners[second]), None)
                if u is not None and v is not None:
                    pairs[index] = (u, first)
                    pairs.append((second, v))
                    improved = True
                    break
            if improved:
                break


def _swap_towards_cross(pairs: list[Pair], people: list[str], partners: dict[str, set[str]], cross: Cross) -> None:
    """Trade partners while that gives more cross-department pairs (never breaking a `recent` rule).

    Two moves: two pairs trade partners, or a person left alone takes the place of one of a pair.
    """
    while _trade_partners(pairs, partners, cross) or _take_a_place(pairs, people, partners, cross):
        pass


def _trade_partners(pairs: list[Pair], partners: dict[str, set[str]], cross: Cross) -> bool:
    for i in range(len(pairs)):
        for j in range(i + 1, len(pairs)):
            (a, b), (c, d) = pairs[i], pairs[j]
            before = cross(a, b) + cross(c, d)
            for first, second in (((a, c), (b, d)), ((a, d), (b, c))):
                allowed = first[1] in partners[first[0]] and second[1] in partners[second[0]]
                if allowed and cross(*first) + cross(*second) > before:
                    pairs[i], pairs[j] = first, second
                    return True
    return False


def _take_a_place(pairs: list[Pair], people: list[str], partners: dict[str, set[str]], cross: Cross) -> bool:
    paired = {person for pair in pairs for person in pair}
    lonely = [person for person in people if person not in paired]
    for index, (a, b) in enumerate(pairs):
        if cross(a, b):
            continue
        for stays in (a, b):
            newcomer = next((u for u in lonely if u in partners[stays] and cross(u, stays)), None)
            if newcomer is not None:
                pairs[index] = (stays, newcomer)
                return True
    return False
