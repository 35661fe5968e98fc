"""Whole-pool mentor matching at scale: 10,000 mentees with 2,000 mentors in at most five seconds.

    .venv/bin/python -m bench.matching [--quick] [--seed N] [--k K]

A random pool made from a fixed seed: topics, levels, interests, languages and time zones drawn from small
vocabularies, mentor capacity 1 to 5, some people with an explicit availability, a reporting line for some
(mentors who manage some of the mentees), a few hundred vetoed pairs. Prints the pool, the time to build the
candidate graph, the time to solve it, the total, pairs matched, unmatched people by reason and whether the
five-second target was met. ``--quick`` uses 1,000 x 200.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from collections import Counter

import numpy as np

from bench.figures import Figure, at_most
from bench.figures import write as write_figures
from mentoring.domain import matching
from mentoring.domain.matching import Constraints, Mentee, Mentor

TARGET_SECONDS = 5.0
TOPICS = [f"topic-{i:02d}" for i in range(40)]
INTERESTS = [f"interest-{i:02d}" for i in range(60)]
LANGUAGES = ["en", "ru", "de", "fr", "es", "zh"]
LANGUAGE_WEIGHTS = [50, 30, 8, 5, 5, 2]
ZONES = [
    "Europe/Moscow",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Vladivostok",
    "Asia/Kolkata",
    "Asia/Singapore",
    "UTC",
]


def languages(rng: random.Random) -> frozenset[str]:
    first = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
    return frozenset({first, *rng.sample(LANGUAGES, rng.choice([0, 0, 1, 2]))})


def availability(rng: random.Random) -> frozenset[tuple[int, int]] | None:
    if rng.random() > 0.1:
        return None
    return frozenset((rng.randrange(5), rng.randrange(6, 20)) for _ in range(rng.randint(3, 12)))


def make_pool(n_mentees: int, n_mentors: int, seed: int) -> tuple[list[Mentee], list[Mentor], Constraints]:
    rng = random.Random(seed)
    mentor_ids = [f"mentor-{j}" for j in range(n_mentors)]
    mentee_ids = [f"mentee-{i}" for i in range(n_mentees)]
    mentors = [
        Mentor(
            person_id=pid,
            offered={t: rng.randint(2, 5) for t in rng.sample(TOPICS, rng.randint(2, 6))},
            interests=frozenset(rng.sample(INTERESTS, rng.randint(0, 6))),
            languages=languages(rng),
            time_zone=rng.choice(ZONES),
            availability=availability(rng),
            grade=rng.choice([None, *range(3, 12)]),
            manager_chain=tuple(rng.sample(mentor_ids, 2)) if rng.random() < 0.2 else (),
            capacity=rng.randint(1, 5),
        )
        for pid in mentor_ids
    ]
    mentees = [
        Mentee(
            person_id=pid,
            wanted_topics={t: rng.randint(1, 5) for t in rng.sample(TOPICS, rng.randint(1, 4))},
            interests=frozenset(rng.sample(INTERESTS, rng.randint(0, 6))),
            languages=languages(rng),
            time_zone=rng.choice(ZONES),
            availability=availability(rng),
            grade=rng.choice([None, *range(1, 10)]),
            # a third report (directly or one level up) to one of the mentors
            manager_chain=tuple(rng.sample(mentor_ids, 2)) if rng.random() < 0.33 else (),
        )
        for pid in mentee_ids
    ]
    vetoed = frozenset((rng.choice(mentee_ids), rng.choice(mentor_ids)) for _ in range(n_mentees // 20))
    return mentees, mentors, Constraints(vetoed=vetoed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 mentees x 200 mentors")
    parser.add_argument("--seed", type=int, default=20250106)
    parser.add_argument("--k", type=int, default=matching.DEFAULT_K, help="candidate mentors kept per mentee")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here (for python -m bench)")
    args = parser.parse_args()
    n_mentees, n_mentors = (1_000, 200) if args.quick else (10_000, 2_000)
    write_figures(args.json, run(n_mentees, n_mentors, args.seed, args.k, greedy_baseline=not args.quick))


def run(n_mentees: int, n_mentors: int, seed: int, k: int, greedy_baseline: bool) -> list[Figure]:
    """Match a pool, print the report, return the figures."""
    mentees, mentors, constraints = make_pool(n_mentees, n_mentors, seed)
    capacity = sum(m.capacity for m in mentors)
    print(f"machine: {platform.machine()} python {platform.python_version()} numpy {np.__version__}")
    print(f"pool: {n_mentees} mentees x {n_mentors} mentors (total capacity {capacity}), seed {seed}, k {k}")
    print(f"constraints: {len(constraints.vetoed)} vetoed pairs, reverse={constraints.reverse}")

    timings: dict[str, float] = {}
    start = time.perf_counter()
    proposal = matching.match(mentees, mentors, constraints, k=k, timings=timings)
    total = time.perf_counter() - start
    print(f"build candidates: {timings['candidates']:.3f} s ({int(timings.get('edges', 0))} edges)")
    print(f"solve:            {timings['solve']:.3f} s")
    print(f"reasons/results:  {timings['results']:.3f} s")
    print(f"total:            {total:.3f} s")
    print(f"pairs matched: {len(proposal.pairs)}, total score {proposal.total_score:.3f}")
    by_reason = Counter((u.role.value, u.why.value) for u in proposal.unmatched)
    print(f"unmatched: {len(proposal.unmatched)}")
    for (role, why), count in sorted(by_reason.items()):
        print(f"  {role:7s} {why:36s} {count}")
    if greedy_baseline:
        start = time.perf_counter()
        greedy = matching.greedy_assignment(mentees, mentors, constraints, k=k)
        print(
            f"greedy baseline: {len(greedy.pairs)} pairs, total score {greedy.total_score:.3f}"
            f" ({time.perf_counter() - start:.3f} s)"
        )
    verdict = "met" if total <= TARGET_SECONDS else "MISSED"
    print(f"target <= {TARGET_SECONDS:.0f} s: {verdict}")
    pool = f"{n_mentees:,} mentees x {n_mentors:,} mentors"
    return [
        Figure(
            "matching",
            f"whole-pool match, {pool}",
            total,
            "s",
            f"<= {TARGET_SECONDS:.0f} s",
            at_most(total, TARGET_SECONDS),
            note=f"candidates {timings['candidates']:.2f} s + solve {timings['solve']:.2f} s + results",
        ),
        Figure("matching", f"pairs matched, {pool}", len(proposal.pairs), note=f"of capacity {capacity}"),
    ]


if __name__ == "__main__":
    main()
