"""Whole-pool matching of mentees with mentors: the best total fit, with the reasons of every pair and of every miss.

Plain domain code (numpy/scipy for speed, nothing of HTTP, Kafka or MongoDB).

Score of a pair (every term in [0, 1], so a score is in [0, 1]):

    score = W_TOPICS    * topic_fit        (matched wanted topics / wanted topics; a wanted topic is matched
                                            when the mentor offers it at a level >= the level the mentee wants)
          + W_INTERESTS * interest_fit     (Jaccard |A & B| / |A | B| of the interests; 0 if both have none)
          + W_TIME      * time_fit         (overlapping hours of the week / hours of the smaller of the two
                                            weeks; 0 if either has none)

The week of a person is their ``availability`` (a set of (weekday, hour) in UTC, Monday = 0) when given,
else their working week: Monday to Friday, WORKDAY_START to WORKDAY_END local time in their IANA time zone,
taken on the fixed week of REFERENCE_MONDAY (a winter week: results do not depend on the day it runs).
``Reasons.overlap_hours`` is that weekly overlap (two people of one zone share 45 hours a week).

Hard constraints (a pair that breaks one is never proposed): a mentor cannot mentor themselves; nobody is
matched within their reporting line (the mentor in the mentee's ``manager_chain`` or the other way round);
vetoed pairs; a common language is required; in a reverse programme the mentor must be more junior (a lower
``grade``) than the mentee, and a missing grade on either side forbids the pair unless the curator set
``allow_unknown_grade``; a mentor takes at most ``capacity`` mentees. Besides, a proposed pair must match at
least one wanted topic (topic_fit > 0): a pair with nothing to learn is no proposal.

Pinned pairs are the curator's decisions: they are placed first and consume the mentor's capacity. A pin
that breaks a hard constraint is refused with ``InvalidPin`` (naming the rule), except a veto: the pin is
the curator's later, more specific word on the same pair, so it wins. A pin needs no topic in common.

The optimum. After the pins, every remaining mentee gets the candidate edges the rules allow (with
topic_fit > 0) and keeps its best ``k``. The capacitated assignment on that candidate graph is solved as a
plain assignment: each mentor with c free places becomes c identical slot columns, and each mentee gets
one private "unmatched" column. Every edge to a slot costs 2 - score and the unmatched column costs 2, so
every full matching of the mentee rows (one always exists thanks to the private columns) costs
2·n - (total score of the pairs it uses), and its minimum (``min_weight_full_bipartite_matching``, the
sparse Jonker-Volgenant algorithm, exact) is the maximum total score over all capacity-respecting
assignments of the candidate graph: slots turn "at most c mentees per mentor" into "one mentee per
column", and leaving a mentee unmatched is priced at score 0, never better than a candidate (every
candidate scores > 0).

What k trades off: the result is the exact optimum on the candidate graph, and the candidate graph is the
whole allowed graph when k >= the number of mentors. A smaller k drops, for each mentee, edges worse than
its k-th best; the true optimum only needs such an edge when at least k better mentors of that mentee are
filled by people they fit better, which becomes unlikely quickly as k grows. A smaller k means fewer
edges (about k · mean capacity per mentee after slot expansion), so a faster solve and less memory; the
default DEFAULT_K keeps 10,000 x 2,000 well under five seconds on two CPUs.

``greedy_assignment`` is the baseline: on the same pins and the same candidate graph, each mentee in turn
takes its best mentor that still has a free place.

``form_groups`` forms groups of mentees around one topic with one mentor (see its docstring).
"""

from __future__ import annotations

import importlib
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mentoring.domain.model import Role
from shared.errors import Invalid


class _OnFirstUse:
    """A module imported at its first attribute lookup."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)


if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from scipy import sparse
    from scipy.sparse import csgraph

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]
else:
    # numpy and scipy are loaded when a matching is first computed, not when the service starts: they
    # are ~60 MB of a process that may never match anyone (issue 11's idle memory target).
    np = _OnFirstUse("numpy")
    sparse = _OnFirstUse("scipy.sparse")
    csgraph = _OnFirstUse("scipy.sparse.csgraph")


W_TOPICS = 0.6
W_INTERESTS = 0.25
W_TIME = 0.15

MIN_LEVEL = 1
MAX_LEVEL = 5
WORKDAY_START = 9  # local hour the working day starts
WORKDAY_END = 18  # local hour it ends (exclusive): 9 hours
WORKDAYS = 5  # Monday to Friday
REFERENCE_MONDAY = date(2025, 1, 6)
HOURS_PER_WEEK = 7 * 24

DEFAULT_K = 40  # candidate mentors kept per mentee
_BLOCK = 1024  # mentees scored at once (memory: a few arrays of _BLOCK x mentors)
_UNMATCHED_COST = 2.0  # > 1 >= any score: cost of an edge is _UNMATCHED_COST - score > 0

Pair = tuple[str, str]  # (mentee id, mentor id)


# ---------------------------------------------------------------------------------------------- inputs


def _frozen_set(value: Iterable[Any]) -> frozenset[Any]:
    return value if isinstance(value, frozenset) else frozenset(value)


def _check_levels(person_id: str, levels: Mapping[str, int], what: str) -> None:
    for topic, level in levels.items():
        if not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
            raise Invalid(f"{person_id}: the level of {topic!r} must be {MIN_LEVEL} to {MAX_LEVEL}", field=what)


def _check_availability(person_id: str, availability: frozenset[tuple[int, int]] | None) -> None:
    for slot in availability or ():
        weekday, hour = slot
        if not (0 <= weekday <= 6 and 0 <= hour <= 23):
            raise Invalid(
                f"{person_id}: availability {slot} is not a (weekday 0-6, hour 0-23) pair", field="availability"
            )


@dataclass(frozen=True)
class Mentee:
    person_id: str
    wanted_topics: dict[str, int]  # topic -> level wanted, 1..5
    interests: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    time_zone: str = "UTC"  # IANA name
    availability: frozenset[tuple[int, int]] | None = None  # (weekday 0 = Monday, hour) in UTC
    grade: int | None = None
    manager_chain: tuple[str, ...] = ()  # their manager, their manager's manager, ...

    def __post_init__(self) -> None:
        object.__setattr__(self, "interests", _frozen_set(self.interests))
        object.__setattr__(self, "languages", _frozen_set(self.languages))
        if self.availability is not None:
            object.__setattr__(self, "availability", _frozen_set(self.availability))
        object.__setattr__(self, "manager_chain", tuple(self.manager_chain))
        _check_levels(self.person_id, self.wanted_topics, "wanted_topics")
        _check_availability(self.person_id, self.availability)
        working_hours_utc(self.time_zone)  # an unknown zone is refused here


@dataclass(frozen=True)
class Mentor:
    person_id: str
    offered: dict[str, int]  # topic -> level of competence, 1..5
    interests: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    time_zone: str = "UTC"
    availability: frozenset[tuple[int, int]] | None = None
    grade: int | None = None
    manager_chain: tuple[str, ...] = ()
    capacity: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "interests", _frozen_set(self.interests))
        object.__setattr__(self, "languages", _frozen_set(self.languages))
        if self.availability is not None:
            object.__setattr__(self, "availability", _frozen_set(self.availability))
        object.__setattr__(self, "manager_chain", tuple(self.manager_chain))
        _check_levels(self.person_id, self.offered, "offered")
        _check_availability(self.person_id, self.availability)
        if self.capacity < 1:
            raise Invalid(f"{self.person_id}: a mentor's capacity is at least 1", field="capacity")
        working_hours_utc(self.time_zone)


@dataclass(frozen=True)
class Constraints:
    vetoed: frozenset[Pair] = frozenset()  # (mentee id, mentor id) never to be proposed
    pinned: frozenset[Pair] = frozenset()  # (mentee id, mentor id) forced by the curator
    reverse: bool = False  # reverse programme: the mentor must be more junior (lower grade) than the mentee
    allow_unknown_grade: bool = False  # reverse programme: may a pair with a missing grade be matched?

    def __post_init__(self) -> None:
        object.__setattr__(self, "vetoed", _frozen_set(self.vetoed))
        object.__setattr__(self, "pinned", _frozen_set(self.pinned))


# --------------------------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Reasons:
    matched_topics: tuple[str, ...]  # wanted topics the mentor offers at the level wanted or above
    shared_interests: tuple[str, ...]
    common_languages: tuple[str, ...]
    overlap_hours: int  # hours a week both are working (or available)


@dataclass(frozen=True)
class ProposedPair:
    mentee_id: str
    mentor_id: str
    score: float
    reasons: Reasons
    pinned: bool = False


class Why(StrEnum):
    NO_TOPICS_WANTED = "no_topics_wanted"
    NO_MENTOR_WITH_TOPICS = "no_mentor_with_topics"
    NO_MENTEE_WANTS_TOPICS = "no_mentee_wants_topics"
    NO_COMMON_LANGUAGE = "no_common_language"
    GRADE_RULE = "grade_rule"
    ONLY_SELF = "only_self"
    ONLY_CANDIDATES_IN_REPORTING_LINE = "only_candidates_in_reporting_line"
    ONLY_VETOED_CANDIDATES = "only_vetoed_candidates"
    ALL_CANDIDATES_AT_CAPACITY = "all_candidates_at_capacity"
    ALL_CANDIDATES_MATCHED_ELSEWHERE = "all_candidates_matched_elsewhere"
    NO_GROUP = "no_group"


_TEXT: dict[Why, str] = {
    Why.NO_TOPICS_WANTED: "They asked for no topic, so there is nothing to match on.",
    Why.NO_MENTOR_WITH_TOPICS: "No mentor offers any of their wanted topics at the level they want.",
    Why.NO_MENTEE_WANTS_TOPICS: "No mentee wants a topic they offer at a level they offer it.",
    Why.NO_COMMON_LANGUAGE: "Every counterpart who fits on topics shares no language with them.",
    Why.GRADE_RULE: "Every remaining counterpart breaks the reverse-programme grade rule (or has no grade).",
    Why.ONLY_SELF: "The only counterpart who fits is the same person.",
    Why.ONLY_CANDIDATES_IN_REPORTING_LINE: "Every counterpart who fits is in their reporting line.",
    Why.ONLY_VETOED_CANDIDATES: "Every counterpart who fits was vetoed by the curator.",
    Why.ALL_CANDIDATES_AT_CAPACITY: "Every mentor who fits is full with mentees they fit as well or better.",
    Why.ALL_CANDIDATES_MATCHED_ELSEWHERE: "Every mentee they fit went to a mentor who fits them as well or better.",
    Why.NO_GROUP: "No group of the requested size with a suitable mentor could be formed for their topics.",
}


@dataclass(frozen=True)
class Unmatched:
    person_id: str
    role: Role
    why: Why  # a stable code
    text: str  # the same, for people


@dataclass(frozen=True)
class MatchProposal:
    pairs: list[ProposedPair]
    unmatched: list[Unmatched]

    @property
    def total_score(self) -> float:
        return float(sum(pair.score for pair in self.pairs))


class Rule(StrEnum):
    SELF = "self"
    REPORTING_LINE = "reporting_line"
    VETOED = "vetoed"
    NO_COMMON_LANGUAGE = "no_common_language"
    GRADE = "reverse_grade_rule"
    CAPACITY = "capacity"


class InvalidPin(Invalid):
    """A pinned pair breaks a hard constraint; `details` has mentee_id, mentor_id and rule."""


# ------------------------------------------------------------------------------------ scoring of a pair


@lru_cache(maxsize=4096)
def working_hours_utc(time_zone: str) -> frozenset[int]:
    """Hours of the week (weekday * 24 + hour, UTC, Monday = 0) of a Monday-to-Friday working day there."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"unknown time zone {time_zone!r}", field="time_zone") from exc
    hours = set()
    for day_index in range(WORKDAYS):
        day = REFERENCE_MONDAY + timedelta(days=day_index)
        for hour in range(WORKDAY_START, WORKDAY_END):
            utc = datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)
            hours.add(((utc.date() - REFERENCE_MONDAY).days * 24 + utc.hour) % HOURS_PER_WEEK)
    return frozenset(hours)


def week_hours(person: Mentee | Mentor) -> frozenset[int]:
    if person.availability is not None:
        return frozenset(weekday * 24 + hour for weekday, hour in person.availability)
    return working_hours_utc(person.time_zone)


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def matched_topics(mentee: Mentee, mentor: Mentor) -> tuple[str, ...]:
    return tuple(sorted(t for t, level in mentee.wanted_topics.items() if mentor.offered.get(t, 0) >= level))


def explain(mentee: Mentee, mentor: Mentor) -> Reasons:
    return Reasons(
        matched_topics=matched_topics(mentee, mentor),
        shared_interests=tuple(sorted(mentee.interests & mentor.interests)),
        common_languages=tuple(sorted(mentee.languages & mentor.languages)),
        overlap_hours=len(week_hours(mentee) & week_hours(mentor)),
    )


def pair_score(mentee: Mentee, mentor: Mentor) -> float:
    """The documented formula, one pair at a time (the vectorised scorer computes the very same floats)."""
    topic_fit = _ratio(len(matched_topics(mentee, mentor)), len(mentee.wanted_topics))
    interest_fit = _ratio(len(mentee.interests & mentor.interests), len(mentee.interests | mentor.interests))
    a, b = week_hours(mentee), week_hours(mentor)
    time_fit = _ratio(len(a & b), min(len(a), len(b)))
    return W_TOPICS * topic_fit + W_INTERESTS * interest_fit + W_TIME * time_fit


def _grade_allows(mentee: Mentee, mentor: Mentor, constraints: Constraints) -> bool:
    if not constraints.reverse:
        return True
    if mentee.grade is None or mentor.grade is None:
        return constraints.allow_unknown_grade
    return mentor.grade < mentee.grade


def pair_violations(mentee: Mentee, mentor: Mentor, constraints: Constraints) -> list[Rule]:
    """The hard constraints one pair breaks by itself (capacity is a matter of the whole assignment)."""
    broken = []
    if mentee.person_id == mentor.person_id:
        broken.append(Rule.SELF)
    if mentor.person_id in mentee.manager_chain or mentee.person_id in mentor.manager_chain:
        broken.append(Rule.REPORTING_LINE)
    if (mentee.person_id, mentor.person_id) in constraints.vetoed:
        broken.append(Rule.VETOED)
    if not mentee.languages & mentor.languages:
        broken.append(Rule.NO_COMMON_LANGUAGE)
    if not _grade_allows(mentee, mentor, constraints):
        broken.append(Rule.GRADE)
    return broken


def is_candidate(mentee: Mentee, mentor: Mentor, constraints: Constraints) -> bool:
    """May the optimiser propose this pair? No hard constraint broken and at least one topic matched."""
    return not pair_violations(mentee, mentor, constraints) and bool(matched_topics(mentee, mentor))


# --------------------------------------------------------------------------------- the candidate graph


_MENTEE_STAGES = (
    Why.NO_MENTOR_WITH_TOPICS,
    Why.NO_COMMON_LANGUAGE,
    Why.GRADE_RULE,
    Why.ONLY_SELF,
    Why.ONLY_CANDIDATES_IN_REPORTING_LINE,
    Why.ONLY_VETOED_CANDIDATES,
)
_MENTOR_STAGES = (Why.NO_MENTEE_WANTS_TOPICS, *_MENTEE_STAGES[1:])


@dataclass
class _Graph:
    """Candidate edges (best k per unpinned mentee) and, per person, how many counterparts survive each rule."""

    rows: IntArray  # mentee index of each edge
    cols: IntArray  # mentor index
    scores: FloatArray
    mentee_stages: npt.NDArray[np.int64]  # (mentees, stages) counts
    mentor_stages: npt.NDArray[np.int64]  # (mentors, stages) counts


def _indicator(rows: list[int], cols: list[int], shape: tuple[int, int]) -> sparse.csr_matrix:
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sparse.csr_matrix(
        (data, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))), shape=shape
    )
    matrix.sum_duplicates()
    return matrix


def _vocabulary(*groups: Iterable[Iterable[str]]) -> dict[str, int]:
    vocabulary: dict[str, int] = {}
    for group in groups:
        for items in group:
            for item in items:
                vocabulary.setdefault(item, len(vocabulary))
    return vocabulary


def _set_matrix(sets: Sequence[Iterable[str]], vocabulary: Mapping[str, int]) -> sparse.csr_matrix:
    rows, cols = [], []
    for index, items in enumerate(sets):
        for item in items:
            rows.append(index)
            cols.append(vocabulary[item])
    return _indicator(rows, cols, (len(sets), max(len(vocabulary), 1)))


def _pairs_index(pairs: Iterable[tuple[int, int]], n_mentors: int) -> IntArray:
    """Pairs (mentee index, mentor index) as sorted unique flat indices."""
    flat = [i * n_mentors + j for i, j in pairs]
    return np.unique(np.asarray(flat, dtype=np.int64))


def _exclusions(
    mentees: Sequence[Mentee], mentors: Sequence[Mentor], constraints: Constraints
) -> tuple[IntArray, IntArray, IntArray]:
    mentee_at = {p.person_id: i for i, p in enumerate(mentees)}
    mentor_at = {p.person_id: j for j, p in enumerate(mentors)}
    m = len(mentors)
    self_pairs = [(i, mentor_at[p.person_id]) for i, p in enumerate(mentees) if p.person_id in mentor_at]
    line = [(i, mentor_at[boss]) for i, p in enumerate(mentees) for boss in p.manager_chain if boss in mentor_at]
    line += [(mentee_at[boss], j) for j, p in enumerate(mentors) for boss in p.manager_chain if boss in mentee_at]
    vetoes = [(mentee_at[a], mentor_at[b]) for a, b in constraints.vetoed if a in mentee_at and b in mentor_at]
    return _pairs_index(self_pairs, m), _pairs_index(line, m), _pairs_index(vetoes, m)


def _build_graph(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    constraints: Constraints,
    free: IntArray,
    skip: BoolArray,
    k: int,
) -> _Graph:
    """Score every (mentee, mentor) pair block by block, vectorised, and keep each mentee's best k candidates.

    ``free`` is each mentor's capacity left after the pins (mentors with none get no edges); mentees with
    ``skip`` (the pinned ones) get no edges but still count in the per-rule counts behind the reasons.
    """
    n, m = len(mentees), len(mentors)
    # Topics: a mentee row has a one at (topic, level wanted); a mentor column has ones at (topic, l) for
    # every l up to the level offered, so the product counts the wanted topics offered at that level or more.
    topics = _vocabulary((p.wanted_topics for p in mentees), (p.offered for p in mentors))
    wanted = _indicator(
        [i for i, p in enumerate(mentees) for _ in p.wanted_topics],
        [topics[t] * MAX_LEVEL + level - 1 for p in mentees for t, level in p.wanted_topics.items()],
        (n, max(len(topics), 1) * MAX_LEVEL),
    )
    offered = _indicator(
        [topics[t] * MAX_LEVEL + lv for p in mentors for t, level in p.offered.items() for lv in range(level)],
        [j for j, p in enumerate(mentors) for t, level in p.offered.items() for _ in range(level)],
        (max(len(topics), 1) * MAX_LEVEL, m),
    ).toarray()
    n_wanted = np.array([len(p.wanted_topics) for p in mentees], dtype=np.float64)

    interests = _vocabulary((p.interests for p in mentees), (p.interests for p in mentors))
    mentee_interests = _set_matrix([p.interests for p in mentees], interests)
    mentor_interests = _set_matrix([p.interests for p in mentors], interests).T.toarray()
    n_interests_e = np.array([len(p.interests) for p in mentees], dtype=np.float64)
    n_interests_m = np.array([len(p.interests) for p in mentors], dtype=np.float64)

    languages = _vocabulary((p.languages for p in mentees), (p.languages for p in mentors))
    mentee_languages = _set_matrix([p.languages for p in mentees], languages)
    mentor_languages = _set_matrix([p.languages for p in mentors], languages).T.toarray()

    # Weeks: the time term of every (mentee week, mentor week) among the distinct weeks (usually one per zone).
    week_ids: dict[frozenset[int], int] = {}
    mentee_week = np.array([week_ids.setdefault(week_hours(p), len(week_ids)) for p in mentees], dtype=np.int64)
    mentor_week = np.array([week_ids.setdefault(week_hours(p), len(week_ids)) for p in mentors], dtype=np.int64)
    weeks = np.zeros((max(len(week_ids), 1), HOURS_PER_WEEK), dtype=np.float64)
    for week, index in week_ids.items():
        weeks[index, list(week)] = 1.0
    overlap = weeks @ weeks.T  # exact small integers
    hours = weeks.sum(axis=1)
    smaller = np.minimum(hours[:, None], hours[None, :])
    time_term = W_TIME * np.divide(overlap, smaller, out=np.zeros_like(overlap), where=smaller > 0)
    time_term = time_term[:, mentor_week]  # (distinct weeks, mentors)

    grade_e = np.array([np.nan if p.grade is None else p.grade for p in mentees], dtype=np.float64)
    grade_m = np.array([np.nan if p.grade is None else p.grade for p in mentors], dtype=np.float64)
    self_flat, line_flat, veto_flat = _exclusions(mentees, mentors, constraints)

    has_room = free > 0
    rows_out: list[IntArray] = []
    cols_out: list[IntArray] = []
    scores_out: list[FloatArray] = []
    mentee_stages = np.zeros((n, len(_MENTEE_STAGES)), dtype=np.int64)
    mentor_stages = np.zeros((m, len(_MENTOR_STAGES)), dtype=np.int64)

    for lo in range(0, n, _BLOCK):
        hi = min(lo + _BLOCK, n)
        stages = mentee_stages[lo:hi]  # a view: filled in place
        matched = wanted[lo:hi] @ offered  # float32 counts of wanted topics offered at the level or above
        allowed = matched > 0
        stages[:, 0], block_counts = np.count_nonzero(allowed, axis=1), np.count_nonzero(allowed, axis=0)
        mentor_stages[:, 0] += block_counts
        allowed &= (mentee_languages[lo:hi] @ mentor_languages) > 0
        stages[:, 1], block_counts = np.count_nonzero(allowed, axis=1), np.count_nonzero(allowed, axis=0)
        mentor_stages[:, 1] += block_counts
        if constraints.reverse:
            gm, ge = grade_m[None, :], grade_e[lo:hi, None]
            unknown = np.isnan(ge) | np.isnan(gm)
            allowed &= (gm < ge) | (unknown & constraints.allow_unknown_grade)
            stages[:, 2], block_counts = np.count_nonzero(allowed, axis=1), np.count_nonzero(allowed, axis=0)
        else:
            stages[:, 2] = stages[:, 1]
        mentor_stages[:, 2] += block_counts
        # The few pairs ruled out one by one: only the counts of the cells still allowed change.
        flat_allowed = allowed.reshape(-1)  # a view
        row_counts = stages[:, 2].copy()
        for stage, flat in enumerate((self_flat, line_flat, veto_flat), start=3):
            cells = flat[(flat >= lo * m) & (flat < hi * m)] - lo * m
            cells = cells[flat_allowed[cells]]
            flat_allowed[cells] = False
            row_counts -= np.bincount(cells // m, minlength=hi - lo)
            block_counts = block_counts - np.bincount(cells % m, minlength=m)
            stages[:, stage] = row_counts
            mentor_stages[:, stage] += block_counts

        score = matched.astype(np.float64)
        score /= np.maximum(n_wanted[lo:hi, None], 1.0)
        score *= W_TOPICS
        shared = (mentee_interests[lo:hi] @ mentor_interests).astype(np.float64)
        union = np.add.outer(n_interests_e[lo:hi], n_interests_m)
        union -= shared
        np.divide(shared, union, out=shared, where=union > 0)  # both without interests: shared stays 0
        shared *= W_INTERESTS
        score += shared
        score += time_term[mentee_week[lo:hi]]

        allowed &= has_room[None, :]
        allowed &= ~skip[lo:hi, None]
        np.copyto(score, -np.inf, where=~allowed)
        top = (
            np.argpartition(score, m - k, axis=1)[:, m - k :] if m > k else np.broadcast_to(np.arange(m), (hi - lo, m))
        )
        top_scores = np.take_along_axis(score, top, axis=1)
        keep = np.isfinite(top_scores)
        rows_out.append((np.nonzero(keep)[0] + lo).astype(np.int64))
        cols_out.append(top[keep].astype(np.int64))
        scores_out.append(top_scores[keep])

    return _Graph(
        rows=np.concatenate(rows_out) if rows_out else np.zeros(0, dtype=np.int64),
        cols=np.concatenate(cols_out) if cols_out else np.zeros(0, dtype=np.int64),
        scores=np.concatenate(scores_out) if scores_out else np.zeros(0, dtype=np.float64),
        mentee_stages=mentee_stages,
        mentor_stages=mentor_stages,
    )


# ------------------------------------------------------------------------------------------- the solvers


def _solve_optimal(graph: _Graph, n: int, free: IntArray) -> IntArray:
    """Mentor index per mentee (-1: none): the maximum total score on the candidate graph (see the docstring).

    The smaller side is the side every vertex of which is matched (LAPJVsp augments once per row, so fewer
    rows is faster): mentee rows with a private "unmatched" column each, or, when places are scarcer than
    mentees, slot rows with a private "empty" column each. Both are the same problem.
    """
    assigned = np.full(n, -1, dtype=np.int64)
    if graph.rows.size == 0:
        return assigned
    # Slots: a mentor needs no more slots than the mentees who list them.
    degree = np.bincount(graph.cols, minlength=free.size)
    slots = np.minimum(free, degree)
    first_slot = np.concatenate(([0], np.cumsum(slots)[:-1]))
    n_slots = int(slots.sum())
    per_edge = slots[graph.cols]
    edge = np.repeat(np.arange(graph.rows.size), per_edge)
    offset = np.arange(edge.size) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    mentee_of = graph.rows[edge]
    slot_of = first_slot[graph.cols[edge]] + offset
    costs = np.concatenate((_UNMATCHED_COST - graph.scores[edge], np.full(min(n, n_slots), _UNMATCHED_COST)))
    owner = np.repeat(np.arange(free.size), slots)
    if n <= n_slots:
        rows = np.concatenate((mentee_of, np.arange(n)))
        cols = np.concatenate((slot_of, n_slots + np.arange(n)))
        matrix = sparse.csr_matrix((costs, (rows, cols)), shape=(n, n_slots + n))
        mentee_ind, slot_ind = csgraph.min_weight_full_bipartite_matching(matrix)
    else:
        rows = np.concatenate((slot_of, np.arange(n_slots)))
        cols = np.concatenate((mentee_of, n + np.arange(n_slots)))
        matrix = sparse.csr_matrix((costs, (rows, cols)), shape=(n_slots, n + n_slots))
        slot_ind, mentee_ind = csgraph.min_weight_full_bipartite_matching(matrix)
    real = (mentee_ind < n) & (slot_ind < n_slots)
    assigned[mentee_ind[real]] = owner[slot_ind[real]]
    return assigned


def _solve_greedy(graph: _Graph, n: int, free: IntArray) -> IntArray:
    """Each mentee in input order takes its best candidate with a free place (ties: the earlier mentor)."""
    assigned = np.full(n, -1, dtype=np.int64)
    left = free.copy()
    order = np.lexsort((graph.cols, -graph.scores, graph.rows))
    rows, cols = graph.rows[order], graph.cols[order]
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        if assigned[row] < 0 and left[col] > 0:
            assigned[row] = col
            left[col] -= 1
    return assigned


# -------------------------------------------------------------------------------------------- the API


def _check_pool(mentees: Sequence[Mentee], mentors: Sequence[Mentor]) -> None:
    for people, role in ((mentees, "mentees"), (mentors, "mentors")):
        duplicates = [pid for pid, count in Counter(p.person_id for p in people).items() if count > 1]
        if duplicates:
            raise Invalid(f"{role} listed twice: {', '.join(sorted(duplicates))}", field=role)


def _place_pins(
    mentees: Sequence[Mentee], mentors: Sequence[Mentor], constraints: Constraints
) -> tuple[list[tuple[int, int]], IntArray]:
    """Validate the pins; (mentee index, mentor index) of each and the capacity they leave to each mentor."""
    mentee_at = {p.person_id: i for i, p in enumerate(mentees)}
    mentor_at = {p.person_id: j for j, p in enumerate(mentors)}
    free = np.array([p.capacity for p in mentors], dtype=np.int64)
    placed: list[tuple[int, int]] = []
    seen: set[str] = set()
    for mentee_id, mentor_id in sorted(constraints.pinned):
        if mentee_id not in mentee_at or mentor_id not in mentor_at:
            raise Invalid(f"pinned pair ({mentee_id}, {mentor_id}) names someone not in the pool", field="pinned")
        if mentee_id in seen:
            raise Invalid(f"{mentee_id} is pinned to more than one mentor", field="pinned", mentee_id=mentee_id)
        seen.add(mentee_id)
        i, j = mentee_at[mentee_id], mentor_at[mentor_id]
        broken = [rule for rule in pair_violations(mentees[i], mentors[j], constraints) if rule is not Rule.VETOED]
        if broken:
            raise InvalidPin(
                f"pinned pair ({mentee_id}, {mentor_id}) breaks the rule: {broken[0].value}",
                field="pinned",
                mentee_id=mentee_id,
                mentor_id=mentor_id,
                rule=broken[0].value,
            )
        if free[j] == 0:
            raise InvalidPin(
                f"pinned pair ({mentee_id}, {mentor_id}) exceeds {mentor_id}'s capacity of {mentors[j].capacity}",
                field="pinned",
                mentee_id=mentee_id,
                mentor_id=mentor_id,
                rule=Rule.CAPACITY.value,
            )
        free[j] -= 1
        placed.append((i, j))
    return placed, free


def _why(counts: npt.NDArray[np.int64], stages: tuple[Why, ...], otherwise: Why) -> Why:
    for count, why in zip(counts.tolist(), stages, strict=True):
        if count == 0:
            return why
    return otherwise


def _propose(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    constraints: Constraints,
    k: int,
    greedy: bool,
    timings: dict[str, float] | None,
) -> MatchProposal:
    if k < 1:
        raise Invalid("k must be at least 1", field="k")
    _check_pool(mentees, mentors)
    pins, free = _place_pins(mentees, mentors, constraints)
    n = len(mentees)
    skip = np.zeros(n, dtype=np.bool_)
    for i, _ in pins:
        skip[i] = True
    started = time.perf_counter()
    graph = _build_graph(mentees, mentors, constraints, free, skip, k)
    built = time.perf_counter()
    assigned = (_solve_greedy if greedy else _solve_optimal)(graph, n, free)
    solved = time.perf_counter()

    pairs = [(i, j, True) for i, j in pins] + [(i, int(j), False) for i, j in enumerate(assigned.tolist()) if j >= 0]
    pairs.sort(key=lambda pair: pair[0])
    proposed = [
        ProposedPair(
            mentee_id=mentees[i].person_id,
            mentor_id=mentors[j].person_id,
            score=pair_score(mentees[i], mentors[j]),
            reasons=explain(mentees[i], mentors[j]),
            pinned=pinned,
        )
        for i, j, pinned in pairs
    ]
    matched_mentees = {i for i, _, _ in pairs}
    matched_mentors = {j for _, j, _ in pairs}
    unmatched: list[Unmatched] = []
    for i, mentee in enumerate(mentees):
        if i not in matched_mentees:
            why = (
                Why.NO_TOPICS_WANTED
                if not mentee.wanted_topics
                else _why(graph.mentee_stages[i], _MENTEE_STAGES, Why.ALL_CANDIDATES_AT_CAPACITY)
            )
            unmatched.append(Unmatched(mentee.person_id, Role.MENTEE, why, _TEXT[why]))
    for j, mentor in enumerate(mentors):
        if j not in matched_mentors:
            why = _why(graph.mentor_stages[j], _MENTOR_STAGES, Why.ALL_CANDIDATES_MATCHED_ELSEWHERE)
            unmatched.append(Unmatched(mentor.person_id, Role.MENTOR, why, _TEXT[why]))
    if timings is not None:
        timings.update(
            candidates=built - started,
            solve=solved - built,
            results=time.perf_counter() - solved,
            edges=float(graph.rows.size),
        )
    return MatchProposal(pairs=proposed, unmatched=unmatched)


def match(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    constraints: Constraints | None = None,
    *,
    k: int = DEFAULT_K,
    timings: dict[str, float] | None = None,
) -> MatchProposal:
    """The assignment of maximum total score (pins first), every pair with its reasons, every miss with why.

    ``k`` candidate mentors are kept per mentee (exact when k >= len(mentors)); ``timings``, when given, is
    filled with the seconds spent building candidates, solving and writing the results, and the edge count.
    """
    return _propose(mentees, mentors, constraints or Constraints(), k, greedy=False, timings=timings)


def greedy_assignment(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    constraints: Constraints | None = None,
    *,
    k: int = DEFAULT_K,
    timings: dict[str, float] | None = None,
) -> MatchProposal:
    """The baseline: same pins and candidate graph, each mentee in turn takes the best mentor with a free place."""
    return _propose(mentees, mentors, constraints or Constraints(), k, greedy=True, timings=timings)


# -------------------------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class Group:
    topic: str
    mentor_id: str
    members: list[ProposedPair]  # one per mentee, scored and explained like one-to-one pairs

    @property
    def score(self) -> float:
        return float(sum(member.score for member in self.members))


@dataclass(frozen=True)
class GroupProposal:
    groups: list[Group]
    unmatched: list[Unmatched]


@dataclass
class _Seat:
    mentor: Mentor
    groups_left: int = field(default=0)


def form_groups(
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    group_size: int,
    constraints: Constraints | None = None,
) -> GroupProposal:
    """Groups of exactly ``group_size`` mentees around one topic, each led by one mentor.

    Simple and greedy, with the pair score of one-to-one matching:
    1. Topics are taken by demand: the topic most still-ungrouped mentees want comes first (ties by name).
    2. For that topic, mentors who offer it, have a group left (``capacity`` counts groups here) and have the
       most eligible mentees come first; a mentee is eligible with a mentor when the mentor offers the topic
       at the level the mentee wants it or higher and the pair breaks no hard constraint.
    3. The mentor takes their ``group_size`` eligible mentees of highest pair score; fewer than that and no
       group is formed with that mentor. Repeat until no group can be formed for the topic, then next topic.
    Mentees never grouped and mentors who lead no group are returned as unmatched (code ``no_group``).
    Pins do not apply to groups.
    """
    if group_size < 1:
        raise Invalid("a group has at least one mentee", field="group_size")
    constraints = constraints or Constraints()
    _check_pool(mentees, mentors)
    seats = [_Seat(mentor, mentor.capacity) for mentor in mentors]
    left = {p.person_id: p for p in mentees}
    groups: list[Group] = []
    tried: set[str] = set()
    while True:
        demand = Counter(t for p in left.values() for t in p.wanted_topics if t not in tried)
        if not demand:
            break
        topic = min(demand, key=lambda t: (-demand[t], t))
        tried.add(topic)
        while True:
            best: tuple[int, str, _Seat, list[Mentee]] | None = None
            for seat in seats:
                if seat.groups_left == 0 or topic not in seat.mentor.offered:
                    continue
                eligible = [
                    p
                    for p in left.values()
                    if topic in p.wanted_topics
                    and seat.mentor.offered[topic] >= p.wanted_topics[topic]
                    and not pair_violations(p, seat.mentor, constraints)
                ]
                if len(eligible) >= group_size and (best is None or (-len(eligible), seat.mentor.person_id) < best[:2]):
                    best = (-len(eligible), seat.mentor.person_id, seat, eligible)
            if best is None:
                break
            _, _, seat, eligible = best
            chosen = sorted(eligible, key=lambda p: (-pair_score(p, seat.mentor), p.person_id))[:group_size]
            members = [
                ProposedPair(p.person_id, seat.mentor.person_id, pair_score(p, seat.mentor), explain(p, seat.mentor))
                for p in chosen
            ]
            groups.append(Group(topic=topic, mentor_id=seat.mentor.person_id, members=members))
            seat.groups_left -= 1
            for p in chosen:
                del left[p.person_id]
    leaders = {group.mentor_id for group in groups}
    unmatched = [Unmatched(p.person_id, Role.MENTEE, Why.NO_GROUP, _TEXT[Why.NO_GROUP]) for p in left.values()]
    unmatched += [
        Unmatched(p.person_id, Role.MENTOR, Why.NO_GROUP, _TEXT[Why.NO_GROUP])
        for p in mentors
        if p.person_id not in leaders
    ]
    return GroupProposal(groups=groups, unmatched=unmatched)
