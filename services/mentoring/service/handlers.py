"""Programme use cases: load the programme, let it decide, save it with its events; form and end pairs.

A change that touches a programme and its pairs saves the pairs first under ids the programme chose
(deterministic, so a retry finds them made), then the programme: no multi-document transactions here.
"""

import contextlib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from mentoring.domain.model import former_employee_id
from mentoring.domain.pair import EndReason, Pair, PairStatus, PairTerms
from mentoring.domain.programme import (
    Nomination,
    Participant,
    PlannedPair,
    Profile,
    Programme,
    Proposal,
    Stage,
    Terms,
)
from mentoring.service.ports import Ports, Repository
from shared.concurrency import ConcurrencyConflict, retry_on_conflict
from shared.errors import Conflict, Invalid, NotFound

SERVICE = "mentoring"
ERASURE_PASSES = 3
MANAGER_CHAIN_DEPTH = 2  # the manager and the manager's manager: no pair inside a reporting line

A = TypeVar("A")
R = TypeVar("R")


# ------------------------------------------------------------------------------------------ plumbing


async def load(repository: Repository[A], aggregate_id: str, what: str) -> tuple[A, int]:
    found = await repository.get(aggregate_id)
    if found is None:
        raise NotFound(f"{what} {aggregate_id} does not exist", **{f"{what}_id": aggregate_id})
    return found


async def change(repository: Repository[A], aggregate_id: str, what: str, decide: Callable[[A], R]) -> tuple[R, A]:
    """Load, decide, save; on a concurrent change load again and decide again."""

    async def attempt() -> tuple[R, A]:
        aggregate, version = await load(repository, aggregate_id, what)
        before = cast(Any, aggregate).to_state()
        result = decide(aggregate)
        # A command that changed nothing (a second acknowledgement, say) writes no new version.
        if cast(Any, aggregate).events or cast(Any, aggregate).to_state() != before:
            await repository.save(aggregate, version)
        return result, aggregate

    return await retry_on_conflict(attempt, aggregate_id=aggregate_id)


async def get_programme(ports: Ports, programme_id: str) -> Programme:
    programme, _ = await load(ports.programmes, programme_id, "programme")
    return programme


def new_id() -> str:
    return uuid.uuid4().hex


# ------------------------------------------------------------------------------------------ setting up


async def create_programme(
    ports: Ports, *, title: str, kind: str, terms: Terms | None, curator_id: str, co_curators: Sequence[str] = ()
) -> Programme:
    programme = Programme.create(new_id(), title, kind, terms, [curator_id, *co_curators])
    await ports.programmes.save(programme, expected_version=0)
    return programme


async def edit_programme(ports: Ports, programme_id: str, by: str, terms: Terms, title: str | None) -> Programme:
    def decide(programme: Programme) -> None:
        programme.require_curator(by)
        programme.edit(terms, title)

    _, programme = await change(ports.programmes, programme_id, "programme", decide)
    return programme


async def advance_programme(ports: Ports, programme_id: str, by: str, stage: str) -> Programme:
    """Move the programme on; closing it ends the pairs still at work as completed."""

    def decide(programme: Programme) -> None:
        programme.require_curator(by)
        programme.advance(stage)

    _, programme = await change(ports.programmes, programme_id, "programme", decide)
    if programme.stage is Stage.CLOSED:
        for pair_id, line in list(programme.roster.items()):
            if line.active:
                await end_pair(ports, programme.id, pair_id, EndReason.COMPLETED)
        programme = await get_programme(ports, programme_id)
    return programme


async def schedule_kickoff(ports: Ports, programme_id: str, by: str, starts_at: datetime) -> Programme:
    def decide(programme: Programme) -> None:
        programme.require_curator(by)
        programme.schedule_kickoff(starts_at, ports.clock())

    _, programme = await change(ports.programmes, programme_id, "programme", decide)
    return programme


async def hold_kickoff(ports: Ports, programme_id: str, by: str) -> Programme:
    def decide(programme: Programme) -> None:
        programme.require_curator(by)
        programme.hold_kickoff(ports.clock())

    _, programme = await change(ports.programmes, programme_id, "programme", decide)
    await start_ready_pairs(ports, programme, list(programme.roster))
    return programme


async def acknowledge_preparation(ports: Ports, programme_id: str, person_id: str) -> Programme:
    _, programme = await change(
        ports.programmes, programme_id, "programme", lambda p: p.acknowledge_preparation(person_id)
    )
    await start_ready_pairs(ports, programme, programme.pairs_of(person_id))
    return programme


async def start_ready_pairs(ports: Ports, programme: Programme, pair_ids: Sequence[str]) -> None:
    """Start the given pairs that are still preparing and whose people are all ready."""
    for pair_id in pair_ids:
        line = programme.roster.get(pair_id)
        if line is None or not line.active or not programme.ready_to_start(line.member_ids):
            continue

        def start(pair: Pair) -> None:
            if pair.status is PairStatus.PREPARING:
                pair.start(ports.clock())

        try:
            await change(ports.pairs, pair_id, "pair", start)
        except NotFound:
            continue  # formed by a crashed approval: a retry of the approval forms it (and starts it)


# ------------------------------------------------------------------------------------------ people


async def _blocked(ports: Ports, person_id: str) -> None:
    if await ports.people.is_blocked(person_id):
        raise Invalid(f"person {person_id} is deactivated in the directory", field="person_id")


async def locale_of(ports: Ports, person_id: str, given: str | None) -> str:
    """The language given, else the directory's, else English."""
    if given is not None:
        return given
    person = await ports.people.get(person_id)
    return (person.locale if person is not None else None) or "en"


async def register(
    ports: Ports,
    programme_id: str,
    person_id: str,
    role: str,
    *,
    locale: str | None,
    profile: Profile | None,
    accepted_rules: bool,
    by_curator: bool,
) -> tuple[Participant, Programme]:
    await _blocked(ports, person_id)
    language = await locale_of(ports, person_id, locale)
    return await change(
        ports.programmes,
        programme_id,
        "programme",
        lambda p: p.register(person_id, role, language, profile, accepted_rules=accepted_rules, by_curator=by_curator),
    )


async def nominate(
    ports: Ports,
    programme_id: str,
    by: str,
    person_id: str,
    *,
    reason: str,
    locale: str | None,
    profile: Profile | None,
    accepted_rules: bool,
) -> Nomination:
    """Nominate yourself as a mentor (with your profile) or recommend a colleague (with a reason)."""
    await _blocked(ports, person_id)
    nomination_id = new_id()
    if person_id == by:
        if profile is None:
            raise Invalid("a self-nomination gives your mentor profile", field="profile")
        language = await locale_of(ports, person_id, locale)
        nomination, _ = await change(
            ports.programmes,
            programme_id,
            "programme",
            lambda p: p.nominate_self(nomination_id, person_id, language, profile, accepted_rules=accepted_rules),
        )
    else:
        nomination, _ = await change(
            ports.programmes, programme_id, "programme", lambda p: p.recommend(nomination_id, person_id, by, reason)
        )
    return nomination


async def consent(
    ports: Ports,
    programme_id: str,
    nomination_id: str,
    person_id: str,
    *,
    locale: str | None,
    profile: Profile,
    accepted_rules: bool,
) -> Nomination:
    language = await locale_of(ports, person_id, locale)
    nomination, _ = await change(
        ports.programmes,
        programme_id,
        "programme",
        lambda p: p.consent(nomination_id, person_id, language, profile, accepted_rules=accepted_rules),
    )
    return nomination


async def withdraw_nomination(ports: Ports, programme_id: str, nomination_id: str, person_id: str) -> Nomination:
    nomination, _ = await change(
        ports.programmes, programme_id, "programme", lambda p: p.withdraw_nomination(nomination_id, person_id)
    )
    return nomination


async def decide_nomination(ports: Ports, programme_id: str, nomination_id: str, by: str, accept: bool) -> Nomination:
    def decide(programme: Programme) -> Nomination:
        programme.require_curator(by)
        return programme.decide_nomination(nomination_id, accept)

    nomination, _ = await change(ports.programmes, programme_id, "programme", decide)
    return nomination


async def update_profile(ports: Ports, programme_id: str, person_id: str, profile: Profile) -> Participant:
    def decide(programme: Programme) -> Participant:
        programme.update_profile(person_id, profile)
        return programme.participants[person_id]

    participant, _ = await change(ports.programmes, programme_id, "programme", decide)
    return participant


async def leave(ports: Ports, programme_id: str, person_id: str) -> Programme:
    """The person leaves; each of their pairs ends gracefully (a group goes on without a mentee who left)."""
    pair_ids, programme = await change(ports.programmes, programme_id, "programme", lambda p: p.leave(person_id))
    for pair_id in pair_ids:
        line = programme.roster[pair_id]
        if person_id in line.mentee_ids and len(line.mentee_ids) > 1:
            await _mentee_leaves_group(ports, programme_id, pair_id, person_id)
        else:
            await end_pair(ports, programme_id, pair_id, EndReason.LEFT)
    return await get_programme(ports, programme_id)


async def _mentee_leaves_group(ports: Ports, programme_id: str, pair_id: str, person_id: str) -> None:
    def remove(pair: Pair) -> None:
        if person_id in pair.mentee_ids and pair.status is not PairStatus.ENDED:
            pair.remove_mentee(person_id, ports.clock())

    await change(ports.pairs, pair_id, "pair", remove)
    await change(ports.programmes, programme_id, "programme", lambda p: p.mentee_left_pair(pair_id, person_id))


async def end_pair(ports: Ports, programme_id: str, pair_id: str, reason: EndReason) -> None:
    """End the pair and free its people in the programme; safe to repeat."""

    def end(pair: Pair) -> None:
        if pair.status is not PairStatus.ENDED:
            pair.end(reason, ports.clock())

    # A pair never formed (an approval crashed half way) leaves only the roster line to close.
    with contextlib.suppress(NotFound):
        await change(ports.pairs, pair_id, "pair", end)
    await change(ports.programmes, programme_id, "programme", lambda p: p.pair_ended(pair_id, reason.value))


async def veto(ports: Ports, programme_id: str, person_id: str, other_id: str) -> None:
    await change(ports.programmes, programme_id, "programme", lambda p: p.veto(person_id, other_id))


async def set_matching_rule(
    ports: Ports, programme_id: str, by: str, mentee_id: str, mentor_id: str, rule: str
) -> None:
    def decide(programme: Programme) -> None:
        programme.require_curator(by)
        match rule:
            case "pin":
                programme.pin(mentee_id, mentor_id)
            case "forbid":
                programme.forbid(mentee_id, mentor_id)
            case "unpin":
                programme.unpin(mentee_id, mentor_id)
            case _:
                raise Invalid("rule must be one of pin, forbid, unpin", field="rule")

    await change(ports.programmes, programme_id, "programme", decide)


# ------------------------------------------------------------------------------------------ matching


async def manager_chains(ports: Ports, person_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each person's manager and manager's manager, from this service's copy of the directory."""
    known: dict[str, str | None] = {}

    async def manager_of(person_id: str) -> str | None:
        if person_id not in known:
            person = await ports.people.get(person_id)
            manager = person.fields.get("manager_id") if person is not None else None
            known[person_id] = manager if isinstance(manager, str) else None
        return known[person_id]

    chains: dict[str, tuple[str, ...]] = {}
    for person_id in person_ids:
        chain: list[str] = []
        current: str | None = person_id
        for _ in range(MANAGER_CHAIN_DEPTH):
            current = await manager_of(current) if current is not None else None
            if current is None:
                break
            chain.append(current)
        chains[person_id] = tuple(chain)
    return chains


async def propose_matching(ports: Ports, programme_id: str, by: str) -> Proposal:
    programme = await get_programme(ports, programme_id)
    programme.require_curator(by)
    chains = await manager_chains(ports, programme.active_ids())
    proposal_id = new_id()[:12]
    proposal, _ = await change(
        ports.programmes,
        programme_id,
        "programme",
        lambda p: p.propose_matching(proposal_id, chains, ports.clock()),
    )
    return proposal


async def approve_matching(ports: Ports, programme_id: str, by: str, proposal_id: str) -> list[PlannedPair]:
    """Approve the proposal: the programme records the pairs, then each pair is formed (and started if ready)."""

    def decide(programme: Programme) -> list[PlannedPair]:
        programme.require_curator(by)
        return programme.approve(proposal_id)

    planned, programme = await change(ports.programmes, programme_id, "programme", decide)
    await form_pairs(ports, programme, planned)
    return planned


async def request_mentor(ports: Ports, programme_id: str, mentee_id: str, mentor_id: str) -> str:
    request_id = new_id()[:12]
    await change(
        ports.programmes, programme_id, "programme", lambda p: p.request_mentor(request_id, mentee_id, mentor_id)
    )
    return request_id


async def answer_request(
    ports: Ports, programme_id: str, request_id: str, mentor_id: str, accept: bool
) -> PlannedPair | None:
    planned, programme = await change(
        ports.programmes, programme_id, "programme", lambda p: p.answer_request(request_id, mentor_id, accept)
    )
    if planned is not None:
        await form_pairs(ports, programme, [planned])
    return planned


def pair_terms(programme: Programme) -> PairTerms:
    terms = programme.terms
    if terms is None:
        raise Conflict("this programme has no terms yet")
    return PairTerms(
        programme_title=programme.title,
        kind=programme.kind.value,
        topics=terms.topics,
        starts=terms.starts,
        ends=terms.ends,
        cadence_days=terms.cadence_days,
        curator_ids=programme.curator_ids,
    )


async def form_pairs(ports: Ports, programme: Programme, planned: Sequence[PlannedPair]) -> None:
    """Create each planned pair under its own id; one already made (a retry) is left as it is."""
    terms = pair_terms(programme)
    now = ports.clock()
    for plan in planned:
        pair = Pair.form(plan.pair_id, programme.id, terms, plan.mentor_id, list(plan.mentee_ids), plan.via, now)
        if programme.ready_to_start(pair.member_ids):
            pair.start(now)
        try:
            await ports.pairs.save(pair, expected_version=0)
        except ConcurrencyConflict:
            continue


# ------------------------------------------------------------------------------------------ privacy


async def erase_person(person_id: str, ports: Ports) -> int:
    """Put a former employee in the person's place in every aggregate, current state and history alike.

    Returns how many aggregates changed. Safe to run again: a repeated erasure finds nobody and
    changes nothing. The person is blocked first, so nothing new can bring them back while the
    aggregates are rewritten; a pass that still finds them (a change that slipped in) erases again.
    One random stand-in per erasure, kept in `erasures` until the end, so a crash half way resumes
    with the same stand-in instead of splitting the history over two.
    """
    await ports.people.apply_erased(person_id)
    repositories: list[Repository[Any]] = [
        ports.programmes,
        ports.pairs,
        ports.concerns,
        ports.posts,
        ports.circles,
        ports.tasks,
        ports.flags,
        ports.library,
        ports.coffee,
        *([ports.knowledge] if ports.knowledge is not None else []),
        *([ports.brainstorms] if ports.brainstorms is not None else []),
        *(repository for repository in (ports.partners, ports.placements, ports.internships) if repository is not None),
    ]
    replacement: str | None = None
    changed: set[str] = set()
    for _ in range(ERASURE_PASSES):
        found = [(repository, await repository.involving(person_id)) for repository in repositories]
        if not any(ids for _, ids in found):
            if replacement is not None:
                await ports.erasures.finish(person_id)
            return len(changed)
        if replacement is None:
            replacement = await ports.erasures.begin(person_id, former_employee_id())
        for repository, ids in found:
            for aggregate_id in ids:
                if await _erase_from(repository, aggregate_id, person_id, replacement):
                    changed.add(aggregate_id)
    raise RuntimeError(f"a person is still named in mentoring after {ERASURE_PASSES} erasure passes")


async def _erase_from(repository: Repository[Any], aggregate_id: str, person_id: str, replacement: str) -> bool:
    async def attempt() -> tuple[bool, int]:
        # A normal new version: it wins or loses against concurrent changes like any other.
        found = await repository.get(aggregate_id)
        if found is None:
            return False, 0
        aggregate, version = found
        if not aggregate.erase_person(person_id, replacement):
            return False, version  # erased already (an interrupted run): only the history may remain
        await repository.save(aggregate, version)
        return True, version

    erased, history = await retry_on_conflict(attempt, aggregate_id=aggregate_id)
    # The versions before the erasure; never the newest, whose state the head caches.
    rewritten = await repository.erase_from_history(aggregate_id, person_id, replacement, history)
    return erased or rewritten > 0


async def export_person(person_id: str, ports: Ports) -> dict[str, Any]:
    """Everything mentoring holds on the person, as plain JSON-able data (a subject access request).

    Sealed texts are opened for the person who wrote them; what others wrote about them in confidence
    (a concern raised by the other member) is not theirs to read and is not exported.
    """
    programmes: list[dict[str, Any]] = []
    for programme_id in await ports.programmes.involving(person_id):
        found = await ports.programmes.get(programme_id)
        if found is None:
            continue
        programme, _ = found
        participant = programme.participants.get(person_id)
        if participant is None:
            continue
        programmes.append(
            {
                "programme_id": programme.id,
                "programme_title": programme.title,
                "kind": programme.kind.value,
                "role": participant.role.value,
                "locale": participant.locale,
                "active": participant.active,
                "profile": participant.profile.to_state() if participant.profile is not None else None,
            }
        )
    pairs: list[dict[str, Any]] = []
    for pair_id in await ports.pairs.involving(person_id):
        found_pair = await ports.pairs.get(pair_id)
        if found_pair is not None and found_pair[0].is_member(person_id):
            pair = found_pair[0]
            pairs.append(
                {
                    "pair_id": pair.id,
                    "programme_id": pair.programme_id,
                    "role": pair.role_of(person_id).value,
                    "goals": [{"text": g.text, "due": g.due.isoformat(), "progress": g.progress} for g in pair.goals],
                    "meetings": [
                        {"held_on": m.held_on.isoformat() if m.held_on else None, "minutes": m.minutes}
                        for m in pair.meetings
                    ],
                }
            )
    circles: list[dict[str, Any]] = []
    for circle_id in await ports.circles.involving(person_id):
        found_circle = await ports.circles.get(circle_id)
        if found_circle is not None and found_circle[0].is_member(person_id):
            circle = found_circle[0]
            member = circle.members[person_id]
            circles.append(
                {
                    "circle_id": circle.id,
                    "topic": circle.topic,
                    "role": member.role.value,
                    "experience": member.experience.value,
                    "coffee": person_id in circle.coffee,
                }
            )
    contributions: list[dict[str, Any]] = []
    for task_id in await ports.tasks.involving(person_id):
        found_task = await ports.tasks.get(task_id)
        if found_task is None:
            continue
        task = found_task[0]
        # Their own words, anonymous ones included: the export goes to them (or HR acting for them).
        contributions += [
            {"task_id": task.id, "kind": "solution", "id": item.id, "text": item.versions[-1].text}
            for item in task.solutions.values()
            if item.author_id == person_id
        ]
        contributions += [
            {
                "task_id": task.id,
                "kind": "comment",
                "id": item.id,
                "anonymous": item.anonymous,
                "text": item.versions[-1].text,
            }
            for item in task.comments.values()
            if item.author_id == person_id
        ]
        contributions += [
            {"task_id": task.id, "kind": "reflection", "text": item.text}
            for item in task.reflections.values()
            if item.person_id == person_id
        ]
    return {
        "service": SERVICE,
        "person_id": person_id,
        "person": await ports.people.export(person_id),
        "programmes": programmes,
        "pairs": pairs,
        "circles": circles,
        "contributions": contributions,
        "internships": await _export_internships(person_id, ports),
    }


async def _export_internships(person_id: str, ports: Ports) -> list[dict[str, Any]]:
    """Exchange internships the person was the guest, the host or the approving manager of.

    Each side gets what it wrote: the guest their goals, log and report; each side its own feedback;
    the manager the reason they gave for a decline. Never the other side's words.
    """
    if ports.internships is None:
        return []
    exported: list[dict[str, Any]] = []
    for internship_id in await ports.internships.involving(person_id):
        found = await ports.internships.get(internship_id)
        if found is None:
            continue
        internship = found[0]
        side = internship.side_of(person_id)
        role = side or ("manager" if internship.manager_id == person_id else None)
        if role is None:
            continue
        entry: dict[str, Any] = {
            "internship_id": internship.id,
            "placement_id": internship.placement_id,
            "role": role,
            "status": internship.status.value,
            "guest_unit": internship.guest_unit,
            "host_unit": internship.host_unit,
        }
        if side is not None and side in internship.feedback:
            given = internship.feedback[side]
            entry["feedback"] = {"rating": given.rating, "words": given.words}
        if role == "guest":
            report = internship.report
            entry |= {
                "goals_text": internship.goals_text,
                "goals": [{"text": g.text, "due": g.due.isoformat()} for g in internship.goals],
                "log": [{"on": e.on.isoformat(), "text": e.text} for e in internship.log],
                "report": None if report is None else {"title": report.title, "summary": report.summary},
            }
        if role == "manager" and internship.decline_reason:
            entry["decline_reason"] = internship.decline_reason
        exported.append(entry)
    return exported
