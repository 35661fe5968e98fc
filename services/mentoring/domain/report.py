"""The programme report: counts and averages a curator (and later the outcomes area) reads.

It takes plain facts, not aggregates, so it depends on no other part of the domain: the service
gathers the facts, this module only counts. The report is anonymous by construction:

- no person id (nor pair id) ever enters it: only counts, sums and means;
- a feedback mean is shown only over at least `MIN_RESPONSES_FOR_MEAN` responses, otherwise it is
  None and marked `suppressed` (a mean of one or two answers is those people's answers);
- per-role means are shown only when *every* role that answered reaches that threshold: with the
  overall mean and one role's mean shown, the other role's mean is simple arithmetic, so hiding
  that one role alone would hide nothing.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import fmean
from typing import Any

ROLES = ("mentor", "mentee")
PAIR_STATUSES = ("preparing", "active", "ended")
STARTED_STATUSES = frozenset({"active", "ended"})  # pairs that have met or could have
DROP_OUT_END_REASONS = frozenset({"left", "rematch"})  # a pair that ended like this did not run its course
UNSPECIFIED_END_REASON = "unspecified"
MIN_RESPONSES_FOR_MEAN = 3


# --- input: plain facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantFacts:
    person_id: str  # lets the caller pass what it has; never copied into the report
    role: str  # "mentor" or "mentee"
    left: bool


@dataclass(frozen=True)
class FeedbackFacts:
    role: str  # the role of whoever answered
    rating: int


@dataclass(frozen=True)
class PairFacts:
    pair_id: str
    status: str  # "preparing", "active" or "ended"
    end_reason: str | None
    meetings: int
    minutes: int
    goals_set: int
    goals_achieved: int
    at_risk: bool
    feedback: tuple[FeedbackFacts, ...] = ()


# --- output --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadCount:
    total: int
    active: int
    left: int


@dataclass(frozen=True)
class PairCounts:
    total: int
    preparing: int
    active: int
    ended: int
    ended_by_reason: dict[str, int]  # reason -> pairs; "unspecified" when the pair ended without one


@dataclass(frozen=True)
class MeetingStats:
    pairs_counted: int  # pairs that started or ended: a preparing pair has not had its chance yet
    mean_per_pair: float
    min_per_pair: int
    max_per_pair: int
    total_hours: float


@dataclass(frozen=True)
class GoalStats:
    set: int
    achieved: int
    achieved_share: float  # 0..1; 0 when no goal was set


@dataclass(frozen=True)
class RatingStats:
    responses: int
    mean: float | None  # None when there are no responses or too few to show
    suppressed: bool  # True when there are responses but the mean is hidden to keep them anonymous


@dataclass(frozen=True)
class FeedbackStats:
    responses: int
    mean_rating: float | None
    suppressed: bool
    by_role: dict[str, RatingStats]


@dataclass(frozen=True)
class DropOuts:
    participants_left: int
    pairs_dropped: int  # pairs ended because someone left or the pair was rematched


@dataclass(frozen=True)
class ProgrammeReport:
    programme_id: str
    title: str
    stage: str
    participants: dict[str, HeadCount]  # by role, every role listed
    pairs: PairCounts
    at_risk: int  # pairs still running (preparing or active) that are flagged at risk
    meetings: MeetingStats
    goals: GoalStats
    feedback: FeedbackStats
    drop_outs: DropOuts

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON data (str, int, float, bool, None, dict)."""
        return asdict(self)


# --- the computation -----------------------------------------------------------------------------------


def programme_report(
    programme_id: str,
    title: str,
    stage: str,
    participants: Sequence[ParticipantFacts],
    pairs: Sequence[PairFacts],
) -> ProgrammeReport:
    for participant in participants:
        _require_role(participant.role)
    for pair in pairs:
        _require_consistent(pair)

    return ProgrammeReport(
        programme_id=programme_id,
        title=title,
        stage=stage,
        participants=_head_counts(participants),
        pairs=_pair_counts(pairs),
        at_risk=sum(1 for pair in pairs if pair.at_risk and pair.status != "ended"),
        meetings=_meeting_stats(pairs),
        goals=_goal_stats(pairs),
        feedback=_feedback_stats([answer for pair in pairs for answer in pair.feedback]),
        drop_outs=DropOuts(
            participants_left=sum(1 for participant in participants if participant.left),
            pairs_dropped=sum(
                1 for pair in pairs if pair.status == "ended" and pair.end_reason in DROP_OUT_END_REASONS
            ),
        ),
    )


def _head_counts(participants: Sequence[ParticipantFacts]) -> dict[str, HeadCount]:
    counts: dict[str, HeadCount] = {}
    for role in ROLES:
        in_role = [participant for participant in participants if participant.role == role]
        left = sum(1 for participant in in_role if participant.left)
        counts[role] = HeadCount(total=len(in_role), active=len(in_role) - left, left=left)
    return counts


def _pair_counts(pairs: Sequence[PairFacts]) -> PairCounts:
    by_status = Counter(pair.status for pair in pairs)
    reasons = Counter(pair.end_reason or UNSPECIFIED_END_REASON for pair in pairs if pair.status == "ended")
    return PairCounts(
        total=len(pairs),
        preparing=by_status["preparing"],
        active=by_status["active"],
        ended=by_status["ended"],
        ended_by_reason=dict(sorted(reasons.items())),
    )


def _meeting_stats(pairs: Sequence[PairFacts]) -> MeetingStats:
    meetings = [pair.meetings for pair in pairs if pair.status in STARTED_STATUSES]
    total_hours = round(sum(pair.minutes for pair in pairs) / 60, 2)
    if not meetings:
        return MeetingStats(pairs_counted=0, mean_per_pair=0.0, min_per_pair=0, max_per_pair=0, total_hours=total_hours)
    return MeetingStats(
        pairs_counted=len(meetings),
        mean_per_pair=round(fmean(meetings), 2),
        min_per_pair=min(meetings),
        max_per_pair=max(meetings),
        total_hours=total_hours,
    )


def _goal_stats(pairs: Sequence[PairFacts]) -> GoalStats:
    goals_set = sum(pair.goals_set for pair in pairs)
    achieved = sum(pair.goals_achieved for pair in pairs)
    share = round(achieved / goals_set, 3) if goals_set else 0.0
    return GoalStats(set=goals_set, achieved=achieved, achieved_share=share)


def _feedback_stats(answers: Sequence[FeedbackFacts]) -> FeedbackStats:
    for answer in answers:
        _require_role(answer.role)
    ratings_by_role = {role: [answer.rating for answer in answers if answer.role == role] for role in ROLES}
    # See the module docstring: one undersized role hides every role's mean, or it could be derived.
    roles_shown = all(not ratings or len(ratings) >= MIN_RESPONSES_FOR_MEAN for ratings in ratings_by_role.values())
    overall = _rating_stats([answer.rating for answer in answers], show=True)
    return FeedbackStats(
        responses=overall.responses,
        mean_rating=overall.mean,
        suppressed=overall.suppressed,
        by_role={role: _rating_stats(ratings, show=roles_shown) for role, ratings in ratings_by_role.items()},
    )


def _rating_stats(ratings: Sequence[int], show: bool) -> RatingStats:
    if show and len(ratings) >= MIN_RESPONSES_FOR_MEAN:
        return RatingStats(responses=len(ratings), mean=round(fmean(ratings), 2), suppressed=False)
    return RatingStats(responses=len(ratings), mean=None, suppressed=bool(ratings))


def _require_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")


def _require_consistent(pair: PairFacts) -> None:
    # Facts come from the service, not a user: a bad one is a bug upstream, hence ValueError.
    if pair.status not in PAIR_STATUSES:
        raise ValueError(f"unknown pair status {pair.status!r}: expected one of {', '.join(PAIR_STATUSES)}")
    if min(pair.meetings, pair.minutes, pair.goals_set, pair.goals_achieved) < 0:
        raise ValueError("meetings, minutes and goals cannot be negative")
    if pair.goals_achieved > pair.goals_set:
        raise ValueError("a pair cannot achieve more goals than it set")
