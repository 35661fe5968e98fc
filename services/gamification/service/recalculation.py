"""Recalculating points after a rule change: a dry run an admin reads, then an application that compensates.

The dry run replays every stored deed under the rules in force and compares each person's replayed totals
with the ledger's. It compares "as of" a minute ago: a deed of the last minute may be stored and not yet
priced (or the other way round), and counting it on one side only would show a difference that is not one.
"""

import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from gamification.domain.ledger import former_employee_id
from gamification.domain.recalculation import NONE, Recalculation
from gamification.domain.replay import deed_order, replay, totals
from gamification.service.ports import Deeds, Ledger, People, Recalculations, Rules
from shared.errors import Conflict, NotFound

SETTLING = timedelta(minutes=1)
"""How old a deed must be to be compared: time for the live path to have priced what was stored."""


async def dry_run(
    deeds: Deeds,
    ledger: Ledger,
    rules: Rules,
    store: Recalculations,
    people: People,
    now: datetime | None = None,
    withheld: Collection[str] = frozenset(),
) -> Recalculation:
    """Replay every deed under the rules in force, compare with the ledger, and keep the differences to apply later.

    `withheld` names deeds whose credits a reciprocal ring withholds (`Rings.withheld_deeds`): the ledger holds
    them cancelled or not at all, so the replay leaves them out, or applying would pay the ring after all.
    (A held credit still counted towards its cap when later marks were priced; the replay does not count it.)
    Nobody the directory erased is listed: a compensating entry would bring their id back into the ledger.
    (Only people the ledger holds nothing for can be erased ones: erasure moves everything they had.)
    """
    computed_at = _to_milliseconds(now or datetime.now(UTC))  # what MongoDB keeps of a time
    as_of = computed_at - SETTLING
    ruleset, _ = await rules.current()  # not the cached set: the dry run names the version it priced with
    # The deeds before the ledger: a deed priced in between then shows as points to take, never to give twice.
    settled = [deed async for deed in deeds.every() if deed.at < as_of and deed.event_id not in withheld]
    settled.sort(key=deed_order)
    replayed = totals(replay(settled, ruleset))
    del settled
    current = await ledger.totals(before=as_of)
    found = Recalculation.compare(uuid.uuid4().hex, ruleset.version, computed_at, as_of, current, replayed)
    erased = [
        difference.person_id
        for difference in found.differences
        if difference.current == NONE and await _is_erased(difference.person_id, people)
    ]
    recalculation = found.leaving_out(erased)
    await store.add(recalculation)
    return recalculation


async def get(recalculation_id: str, store: Recalculations) -> Recalculation:
    found = await store.get(recalculation_id)
    if found is None:
        raise NotFound(f"no recalculation {recalculation_id!r}", recalculation_id=recalculation_id)
    return found


async def apply(
    recalculation_id: str,
    expected_ruleset_version: int,
    ledger: Ledger,
    rules: Rules,
    store: Recalculations,
    people: People,
    now: datetime | None = None,
) -> Recalculation:
    """Write the compensating entries, then mark the recalculation applied (its RecalculationApplied in its outbox).

    409 when it was applied before, when the rules changed since the dry run, or when another recalculation
    was applied under the same rule set version (its differences are already compensated). The entries are
    written before the mark: an application that stops half way is finished by a retry, whose entries
    already written are refused by their ids.
    """
    recalculation = await get(recalculation_id, store)
    ruleset, _ = await rules.current()
    applied, entries = recalculation.apply(expected_ruleset_version, ruleset.version, now or datetime.now(UTC))
    holder = await store.claim(recalculation.ruleset_version, recalculation.id)
    if holder != recalculation.id:
        raise Conflict(
            f"recalculation {holder} was already applied under rule set version {recalculation.ruleset_version}: "
            "this one's differences are compensated; dry-run again after the next rule change",
            recalculation_id=recalculation.id,
            applied_recalculation_id=holder,
        )
    for entry in entries:
        # Someone erased since the dry run: their part goes to a former employee, like a late deed's points.
        if await _is_erased(entry.person_id, people):
            entry = entry.attributed_to(former_employee_id())
        await ledger.append(entry)
    await store.mark_applied(applied)
    return applied


async def _is_erased(person_id: str, people: People) -> bool:
    found = await people.get(person_id)
    return found is not None and found.erased


def _to_milliseconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
