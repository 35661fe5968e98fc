"""Reciprocal rings: find them, hold their points, park their new credits, and carry out a moderator's decision.

Every replica runs `look_for_rings`; all it writes is keyed by derived ids (the ring, each hold, each
release, each parked credit), so racing replicas and retried runs write everything once. The pricing
path is untouched: the consumer credits deeds through a ledger whose `append` asks `park_if_ring_credit`
first (see `adapters.rings.HoldingLedger`).
"""

import contextlib
import logging
from datetime import datetime

from gamification.domain.engine import HELPFUL_COMMENT_CREDIT, entry_id
from gamification.domain.ledger import Deed, LedgerEntry
from gamification.domain.rings import (
    STATUSES,
    WINDOW,
    Decision,
    Mark,
    Ring,
    Withheld,
    hold_entry,
    last_decisions,
    may_be_ring_credit,
    next_episode,
    reciprocal_pairs,
    release_entry,
)
from gamification.domain.titles import CORRECTION_TYPES, hidden_at
from gamification.service.ports import Audit, Deeds, Ledger, Rings, Rules
from shared.concurrency import ConcurrencyConflict, retry_on_conflict
from shared.errors import Invalid, NotFound

logger = logging.getLogger(__name__)


async def look_for_rings(now: datetime, deeds: Deeds, ledger: Ledger, rules: Rules, rings: Rings) -> list[Ring]:
    """The periodic job: flag new rings, hold the credits of every flagged one, finish decisions left half done.

    Returns the rings this run flagged. A credit that entered the ledger while its ring was being flagged
    (a replica's list of flagged rings is a few seconds old) is held by the next run.
    """
    window = await deeds.of_types([HELPFUL_COMMENT_CREDIT], since=now - WINDOW)
    known = await rings.all()
    open_pairs = {(ring.circle_id, ring.members) for ring in known if ring.status == "flagged"}
    flagged = []
    for evidence in reciprocal_pairs(_marks(window), now, last_decisions(known)):
        if (evidence.circle_id, evidence.members) in open_pairs:
            continue
        ring = Ring.flag(evidence, next_episode(known, evidence.circle_id, evidence.members), now)
        if await rings.flag(ring):
            flagged.append(ring)
            logger.info("ring %s flagged in circle %s", ring.ring_id, ring.circle_id)
    for ring in await rings.all() if flagged else known:
        if ring.status == "flagged":
            await hold_credits(ring, window, now, deeds, ledger, rules, rings)
        elif not ring.settled:
            await _settle(ring, now, deeds, ledger, rings)
    return flagged


async def hold_credits(
    ring: Ring, window: list[Deed], now: datetime, deeds: Deeds, ledger: Ledger, rules: Rules, rings: Rings
) -> int:
    """Hold every credit in the ledger for a mark between the ring's members; how many were newly held.

    A credit's entry id derives from (rule, rule version, mark, author), so the ones a mark earned are
    found among the author's entries about the comment by deriving them for each version of each rule that
    prices helpful marks. One already cancelled (hidden comment, or held) is left alone.
    """
    ruleset = await rules.in_force()
    pricing = [
        rule
        for _, rule in sorted(ruleset.rules.items())
        if rule.event_type == HELPFUL_COMMENT_CREDIT and rule.reverses is None and rule.subject_field
    ]
    recorded = await rings.holds_of(ring.ring_id)
    for known in recorded:  # recorded before a crash kept it out of the ledger: append it now (once)
        await ledger.append(known.entry)
    already = {known.deed_id for known in recorded}
    held = 0
    for deed in window:
        mark = Mark.of(deed)
        if mark is None or not ring.covers(mark) or mark.event_id in already:
            continue
        for rule in pricing:
            subject = deed.data.get(rule.subject_field or "")
            if subject is None:
                continue
            earned = {entry_id(rule.id, version, mark.event_id, mark.author) for version in range(1, rule.version + 1)}
            for past in await ledger.entries_about(rule.id, str(subject), mark.author):
                if past.entry_id in earned and not past.reversed and past.points > 0:
                    hold = hold_entry(ring, past.entry_id, past.points, mark.author, str(subject))
                    # Recorded first: a hold in the ledger that no record knows of would never be released.
                    await rings.record_hold(Withheld(ring.ring_id, hold, mark.event_id, mark.comment_id))
                    held += await ledger.append(hold)
    if held:
        # A moderator may have decided meanwhile, settling before these holds existed: settle again.
        loaded = await rings.load(ring.ring_id)
        if loaded is not None and loaded[0].status == "confirmed":
            await _settle(loaded[0], now, deeds, ledger, rings)
    return held


async def park_if_ring_credit(entry: LedgerEntry, rings: Rings, deeds: Deeds) -> bool:
    """True if a new entry is kept out of the ledger: a credit between the members of a flagged ring.

    An entry parked before stays out (redelivered under a flagged or reversed ring; a confirmed ring's
    parked entries are recorded by the confirmation itself).
    """
    if not may_be_ring_credit(entry):
        return False
    if await rings.is_parked(entry.id):  # by _id: an index lookup even on FerretDB
        return True
    suspects = [ring for ring in await rings.flagged() if ring.circle_id == entry.circle_id]
    if not any(entry.person_id in ring.members for ring in suspects):
        return False
    deed = await deeds.get(entry.cause_event_id)
    mark = Mark.of(deed) if deed is not None else None
    ring = next((ring for ring in suspects if mark is not None and ring.covers(mark)), None)
    if ring is None or mark is None:
        return False
    await rings.park(Withheld(ring.ring_id, entry, mark.event_id, mark.comment_id))
    # The list of flagged rings may be seconds old: if the ring was confirmed meanwhile, its confirmation may
    # have read the parked credits before this one, so it enters the ledger now.
    loaded = await rings.load(ring.ring_id)
    return loaded is None or loaded[0].status != "confirmed"


async def decide(
    ring_id: str,
    decision: Decision,
    moderator_id: str,
    reason: str | None,
    now: datetime,
    rings: Rings,
    ledger: Ledger,
    deeds: Deeds,
    audit: Audit,
) -> Ring:
    """A moderator confirms (the held points are credited again) or reverses (they stay withdrawn) a ring.

    404 for an unknown ring, 409 once decided, 403 for a moderator who is in it. Each member's audit log
    names the decision and its reason. `ledger` is the ledger itself, not the consumer's holding one: the
    parked credits a confirmation records would be parked again.
    """

    async def attempt() -> Ring:
        loaded = await rings.load(ring_id)
        if loaded is None:
            raise NotFound(f"no ring {ring_id!r}", ring_id=ring_id)
        ring, version = loaded
        decided = ring.decide(decision, moderator_id, now, reason)
        await rings.save(decided, version, announce=True)
        return decided

    decided = await retry_on_conflict(attempt, aggregate_id=ring_id)
    for member in decided.members:
        await audit.record(
            f"ring.{decision}", moderator_id, member, reason, {"ring_id": ring_id}, entry_id=f"ring:{ring_id}:{member}"
        )
    return await _settle(decided, now, deeds, ledger, rings)


async def _settle(ring: Ring, now: datetime, deeds: Deeds, ledger: Ledger, rings: Rings) -> Ring:
    """Write what a decision means for the ledger (a confirmation's releases and parked credits), then say so."""
    if ring.status == "confirmed":
        await _release(ring, hidden_at(now, await deeds.of_types(CORRECTION_TYPES)), ledger, rings)
    loaded = await rings.load(ring.ring_id)
    if loaded is None or loaded[0].settled:
        return loaded[0] if loaded is not None else ring
    settled = loaded[0].settle()
    with contextlib.suppress(ConcurrencyConflict):  # another replica settled it
        await rings.save(settled, loaded[1], announce=False)
    return settled


async def _release(ring: Ring, hidden: set[str], ledger: Ledger, rings: Rings) -> None:
    """Cancel every hold and record every parked credit of a confirmed ring, except for comments now hidden.

    A hidden comment's credit stays withheld: the hiding would have withdrawn it had it been in the ledger.
    """
    for held in await rings.holds_of(ring.ring_id):
        if held.comment_id not in hidden:
            await ledger.append(release_entry(ring, held.entry))
    for parked in await rings.parked_of(ring.ring_id):
        if parked.comment_id not in hidden:
            await ledger.append(parked.entry)


def _marks(deeds: list[Deed]) -> list[Mark]:
    return [mark for deed in deeds if (mark := Mark.of(deed)) is not None]


async def rings_to_review(status: str | None, rings: Rings) -> list[Ring]:
    """The rings in `status` (every ring if None), newest first; 422 naming `status` for an unknown one."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}; not {status!r}", field="status")
    found = [ring for ring in await rings.all() if status is None or ring.status == status]
    return sorted(found, key=lambda ring: (ring.flagged_at, ring.ring_id), reverse=True)


async def ring(ring_id: str, rings: Rings) -> Ring:
    loaded = await rings.load(ring_id)
    if loaded is None:
        raise NotFound(f"no ring {ring_id!r}", ring_id=ring_id)
    return loaded[0]
