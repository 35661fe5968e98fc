"""Pair use cases: goals, meetings with sealed notes, check-ins, final feedback, idea experiments, health.

Whatever a pair writes in confidence (meeting notes, check-in answers, feedback words) is sealed here
before the domain sees it, under a context naming the pair, so a sealed text cannot be moved to another
pair and opened there. Only the pair's members get the texts back; a curator sees that meetings took
place and how long they were.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Literal

from mentoring.domain.goals import Goal, GoalDraft, ProgrammeFrame, SmartCheck, check_goal
from mentoring.domain.pair import Experiment, Meeting, Pair, PairStatus
from mentoring.domain.programme import Stage
from mentoring.service.handlers import change, get_programme, load, new_id
from mentoring.service.ports import Ports
from shared.concurrency import retry_on_conflict
from shared.errors import Conflict, Forbidden, NotFound

logger = logging.getLogger(__name__)

Locale = Literal["ru", "en"]


@dataclass(frozen=True)
class PairView:
    pair: Pair
    as_member: bool  # False: a curator of the programme, who sees no confidential text


async def view_pair(ports: Ports, pair_id: str, viewer: str, *, admin: bool = False) -> PairView:
    pair, _ = await load(ports.pairs, pair_id, "pair")
    if pair.is_member(viewer):
        return PairView(pair, as_member=True)
    if viewer in pair.terms.curator_ids or admin:
        return PairView(pair, as_member=False)
    raise Forbidden("only the pair and its curators see this pair", pair_id=pair_id)


def notes_context(pair_id: str, meeting_id: str) -> str:
    return f"pair:{pair_id}:meeting:{meeting_id}"


def check_in_context(pair_id: str, person_id: str, month: str) -> str:
    return f"pair:{pair_id}:check-in:{person_id}:{month}"


def feedback_context(pair_id: str, person_id: str) -> str:
    return f"pair:{pair_id}:feedback:{person_id}"


def _seal(ports: Ports, text: str | None, context: str) -> str | None:
    return ports.sealer.seal(text, context) if text and text.strip() else None


# ------------------------------------------------------------------------------------------ goals


async def check_goal_draft(ports: Ports, pair_id: str, person_id: str, draft: GoalDraft, locale: Locale) -> SmartCheck:
    """The SMART letters a draft fails and why, without saving anything (for hints while typing)."""
    view = await view_pair(ports, pair_id, person_id)
    if not view.as_member:
        raise Forbidden("only the pair writes its goals", pair_id=pair_id)
    terms = view.pair.terms
    return check_goal(draft, ProgrammeFrame(terms.starts, terms.ends, terms.topics), ports.clock().date(), locale)


async def set_goal(
    ports: Ports, pair_id: str, person_id: str, draft: GoalDraft, confirmed: bool, locale: Locale
) -> tuple[Goal, SmartCheck]:
    goal_id = new_id()[:12]
    today = ports.clock().date()
    result, _ = await change(
        ports.pairs, pair_id, "pair", lambda p: p.set_goal(person_id, goal_id, draft, confirmed, today, locale)
    )
    return result


async def update_goal(ports: Ports, pair_id: str, person_id: str, goal_id: str, percent: int, status: str) -> Goal:
    goal, _ = await change(
        ports.pairs, pair_id, "pair", lambda p: p.update_goal(person_id, goal_id, percent, status, ports.clock())
    )
    return goal


# ------------------------------------------------------------------------------------------ meetings


async def schedule_meeting(ports: Ports, pair_id: str, person_id: str, starts_at: datetime, minutes: int) -> Meeting:
    meeting_id = new_id()[:12]
    meeting, _ = await change(
        ports.pairs,
        pair_id,
        "pair",
        lambda p: p.schedule_meeting(person_id, meeting_id, starts_at, minutes, ports.clock()),
    )
    return meeting


async def log_meeting(
    ports: Ports,
    pair_id: str,
    person_id: str,
    meeting_id: str,
    *,
    held_on: date,
    minutes: int,
    topics: tuple[str, ...],
    notes: str | None,
) -> Meeting:
    sealed = _seal(ports, notes, notes_context(pair_id, meeting_id))
    meeting, _ = await change(
        ports.pairs,
        pair_id,
        "pair",
        lambda p: p.log_meeting(person_id, meeting_id, held_on, minutes, topics, sealed, ports.clock()),
    )
    return meeting


async def meeting_notes(ports: Ports, pair_id: str, person_id: str, meeting_id: str) -> str | None:
    """The notes of one meeting, for a member of the pair only (a curator is refused, as anyone else)."""
    pair, _ = await load(ports.pairs, pair_id, "pair")
    if not pair.is_member(person_id):
        raise Forbidden("meeting notes are confidential to the pair", pair_id=pair_id)
    meeting = next((m for m in pair.meetings if m.id == meeting_id), None)
    if meeting is None:
        raise NotFound("this pair has no such meeting", meeting_id=meeting_id)
    if meeting.sealed_notes is None:
        return None
    return ports.sealer.open(meeting.sealed_notes, notes_context(pair_id, meeting_id))


# ------------------------------------------------------------------------------------------ pulse


async def check_in(
    ports: Ports, pair_id: str, person_id: str, month: str | None, score: int, answers: str | None
) -> None:
    month = month or ports.clock().strftime("%Y-%m")
    sealed = _seal(ports, answers, check_in_context(pair_id, person_id, month))
    await change(ports.pairs, pair_id, "pair", lambda p: p.check_in(person_id, month, score, sealed, ports.clock()))


async def give_feedback(ports: Ports, pair_id: str, person_id: str, rating: int, text: str | None) -> None:
    """Final feedback opens when the programme is closing; one answer per person."""
    pair, _ = await load(ports.pairs, pair_id, "pair")
    programme = await get_programme(ports, pair.programme_id)
    if programme.stage not in (Stage.CLOSING, Stage.CLOSED):
        raise Conflict("final feedback opens when the programme is closing", stage=programme.stage.value)
    sealed = _seal(ports, text, feedback_context(pair_id, person_id))
    await change(ports.pairs, pair_id, "pair", lambda p: p.give_feedback(person_id, rating, sealed, ports.clock()))


async def log_experiment(
    ports: Ports, pair_id: str, person_id: str, *, hypothesis: str, test: str, result: str
) -> Experiment:
    experiment_id = new_id()[:12]
    experiment, _ = await change(
        ports.pairs,
        pair_id,
        "pair",
        lambda p: p.log_experiment(person_id, experiment_id, hypothesis, test, result, ports.clock()),
    )
    return experiment


async def publish_experiment(ports: Ports, pair_id: str, person_id: str, experiment_id: str) -> Experiment:
    experiment, _ = await change(
        ports.pairs, pair_id, "pair", lambda p: p.publish_experiment(person_id, experiment_id, ports.clock())
    )
    return experiment


async def published_experiments(ports: Ports, programme_id: str) -> list[Experiment]:
    """What the programme's reverse-mentoring pairs chose to share."""
    programme = await get_programme(ports, programme_id)
    shared: list[Experiment] = []
    for pair in await pairs_of(ports, list(programme.roster)):
        shared.extend(experiment for experiment in pair.experiments if experiment.published)
    return sorted(shared, key=lambda experiment: experiment.at)


async def pairs_of(ports: Ports, pair_ids: list[str]) -> list[Pair]:
    found = []
    for pair_id in pair_ids:
        loaded = await ports.pairs.get(pair_id)
        if loaded is not None:
            found.append(loaded[0])
    return found


async def pairs_of_person(ports: Ports, person_id: str) -> list[Pair]:
    """The pairs the person is (or was) in, as mentor or mentee, the newest formed first."""
    found = [
        pair for pair in await ports.pairs.naming(person_id, "mentor_id", "mentee_ids") if pair.is_member(person_id)
    ]
    return sorted(found, key=lambda pair: (pair.formed_at, pair.id), reverse=True)


# ------------------------------------------------------------------------------------------ health


async def check_health(ports: Ports, pair_ids: list[str] | None = None) -> int:
    """Re-assess active pairs (all of them by default); how many changed their at-risk state.

    Runs periodically; each change records PairAtRisk or PairRecovered for the curators.
    """
    ids = pair_ids if pair_ids is not None else await ports.pairs.all_ids(status=PairStatus.ACTIVE.value)
    changed = 0
    for pair_id in ids:
        try:
            changed += int(await retry_on_conflict(partial(_refresh, ports, pair_id), aggregate_id=pair_id))
        except Exception:
            logger.exception("health check of pair %s failed; the next round tries again", pair_id)
    return changed


async def _refresh(ports: Ports, pair_id: str) -> bool:
    found = await ports.pairs.get(pair_id)
    if found is None:
        return False
    pair, version = found
    if not pair.refresh_health(ports.clock()):
        return False  # nothing new: no commit, so a healthy pair costs one read per round
    await ports.pairs.save(pair, version)
    return True
