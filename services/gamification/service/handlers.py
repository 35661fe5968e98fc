"""Gamification use cases."""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gamification.domain.engine import Award, PastAwards, PastEntry, Rule, RuleSet, price, within_limits
from gamification.domain.ledger import Deed, LedgerEntry, former_employee_id
from gamification.service import badges as badge_cases
from gamification.service.ports import Badges, Deeds, Erasures, HoldsPeople, Ledger, People, Rules, Titles
from shared.concurrency import retry_on_conflict
from shared.observability import bind_correlation_id
from shared.persistence.erasures import replace_value

EXPORT_PAGE = 500


async def credit_deed(
    deed: Deed, ledger: Ledger, people: People, rules: Rules, stand_ins: Mapping[str, str] | None = None
) -> list[LedgerEntry]:
    """Award the points a deed earns under the rules in force; an entry already in the ledger is not awarded again.

    The engine decides caps, cooldowns and reversals from the ledger's history, read here first. A deed of
    someone the directory has since erased (its event was still on its way) is credited to a former
    employee: the points count in the totals, but the erased id never enters the ledger again. That former
    employee is the one `stand_ins` names for them (the one `record_deed` kept the deed with), else a fresh one.
    """
    ruleset = await rules.in_force()
    history, earlier = await _what_the_engine_needs(deed, ruleset, ledger)
    awards = price(
        deed.event_id,
        deed.event_type,
        deed.data,
        ruleset,
        lambda rule, person, since: history(rule, person, since),
        deed.at,
        lambda rule, subject, person: earlier.get((rule, subject, person), []),
    )
    awarded = []
    for award in awards:
        entry = _entry(award, deed, await _is_erased(award.person_id, people), stand_ins)
        rule = ruleset.rules[award.rule_id]
        if rule.limited:
            # Priced against what was read above; claimed against what is there now (another deed of the
            # same person may have taken the last place under the cap meanwhile).
            fits = _fits_limits(rule, entry.person_id, deed.at)
            added = await ledger.append_limited(entry, fits, rule.limits_window)
        else:
            added = await ledger.append(entry)
        if added:
            awarded.append(entry)
    return awarded


async def credit_deeds(
    arrived: Sequence[tuple[Deed, str | None]], ledger: Ledger, deeds: Deeds, people: People, rules: Rules
) -> list[LedgerEntry]:
    """Keep and credit a run of deeds (each with its correlation id) in log order, as `record_deed` then
    `credit_deed` would one by one, in a few round trips for the lot: one lookup of the people they name,
    one write of the deeds and one of the entries.

    A deed whose pricing reads the ledger (a capped or cooled-down rule, a reversal) is credited on its own,
    after the entries of the deeds before it are written, so it sees them.
    """
    ruleset = await rules.in_force()
    named = {person for deed, _ in arrived for person in _named_by_rules(deed, ruleset)}
    erased = {person for person, copy in (await people.get_many(named)).items() if copy.erased}
    kept = [_kept_without(deed, ruleset, erased) for deed, _ in arrived]
    recorded = await deeds.record_many([deed for deed, _ in kept])
    correlations = {deed.event_id: correlation for deed, correlation in arrived}
    awarded: list[LedgerEntry] = []
    waiting: list[LedgerEntry] = []
    for (deed, _), (_, stand_ins) in zip(arrived, kept, strict=True):
        stand_ins = stand_ins if deed.event_id in recorded else {}  # a redelivered deed's entries are in already
        if _reads_the_ledger(deed, ruleset):
            awarded += await ledger.append_many(waiting, correlations)
            waiting = []
            bind_correlation_id(correlations[deed.event_id])  # its entries carry its deed's correlation id
            awarded += await credit_deed(deed, ledger, people, rules, stand_ins)
            continue
        for award in price(deed.event_id, deed.event_type, deed.data, ruleset, _no_history, deed.at, _no_entries):
            waiting.append(_entry(award, deed, award.person_id in erased, stand_ins))
    awarded += await ledger.append_many(waiting, correlations)
    return awarded


def _reads_the_ledger(deed: Deed, ruleset: RuleSet) -> bool:
    return any(
        rule.limited or rule.reverses is not None
        for rule in ruleset.for_event(deed.event_type)
        if rule.holds(deed.event_type, deed.data)
    )


def _no_history(rule_id: str, person_id: str, since: datetime) -> PastAwards:
    raise AssertionError("a deed priced without the ledger met a limited rule")


def _no_entries(rule_id: str, subject: str, person_id: str) -> list[PastEntry]:
    raise AssertionError("a deed priced without the ledger met a reversal")


def _entry(award: Award, deed: Deed, erased: bool, stand_ins: Mapping[str, str] | None) -> LedgerEntry:
    circle = deed.data.get("circle_id")
    entry = LedgerEntry.of(award, restricted=deed.restricted, circle_id=circle if isinstance(circle, str) else None)
    if erased:
        return entry.attributed_to((stand_ins or {}).get(entry.person_id) or former_employee_id())
    return entry


def _fits_limits(rule: Rule, person: str, at: datetime) -> Callable[[list[datetime]], bool]:
    def fits(times: list[datetime]) -> bool:
        def history(rule_id: str, person_id: str, since: datetime) -> PastAwards:
            within = [moment for moment in times if moment >= since]
            return PastAwards(len(within), max(within, default=None))

        return within_limits(rule, person, history, at)

    return fits


async def _what_the_engine_needs(
    deed: Deed, ruleset: RuleSet, ledger: Ledger
) -> tuple[Callable[[str, str, datetime], PastAwards], dict[tuple[str, str, str], list[PastEntry]]]:
    """The history the limits need and the entries reversals cancel, read ahead (the engine does no I/O)."""
    times: dict[tuple[str, str], list[datetime]] = {}
    earlier: dict[tuple[str, str, str], list[PastEntry]] = {}
    for rule in ruleset.for_event(deed.event_type):
        if not rule.holds(deed.event_type, deed.data):
            continue
        for person in rule.credited(deed.data):
            if rule.reverses is not None:
                subject = deed.data.get(rule.reverses.subject_field)
                if subject:
                    key = (rule.reverses.rule_id, str(subject), person)
                    earlier[key] = await ledger.entries_about(*key)
            elif rule.limited:
                times[(rule.id, person)] = await ledger.awarded_since(rule.id, person, deed.at - rule.limits_window)

    def history(rule: str, person: str, since: datetime) -> PastAwards:
        within = [moment for moment in times.get((rule, person), []) if moment >= since]
        return PastAwards(len(within), max(within, default=None))

    return history, earlier


async def record_deed(deed: Deed, deeds: Deeds, people: People, rules: Rules) -> dict[str, str]:
    """Keep the deed for replays, without anyone erased; returns the stand-ins it was kept with, for `credit_deed`.

    A deed still on its way when someone was erased names them. Each person the rules read from it (credited,
    or the actor of a "not for one's own content" limit) whom the directory has erased is replaced by a fresh
    former employee before it is stored, so their id never enters the store again; pricing the deed with
    these stand-ins then credits the same former employee a replay of the stored deed credits. The deed
    itself is priced as it arrived, so its entry ids stay the ones a redelivery derives. A redelivered deed
    (stored before) is kept as it was, and no stand-ins are returned: its entries are in the ledger already.
    """
    ruleset = await rules.in_force()
    erased = {person for person in _named_by_rules(deed, ruleset) if await _is_erased(person, people)}
    kept, stand_ins = _kept_without(deed, ruleset, erased)
    recorded = await deeds.record(kept)
    return stand_ins if recorded else {}


def _kept_without(deed: Deed, ruleset: RuleSet, erased: Collection[str]) -> tuple[Deed, dict[str, str]]:
    """The deed as stored, each erased person it names replaced by a fresh former employee; and those stand-ins."""
    stand_ins: dict[str, str] = {}
    data = deed.data
    for person in dict.fromkeys(_named_by_rules(deed, ruleset)):
        if person in erased:
            stand_ins[person] = former_employee_id()
            data = replace_value(data, person, stand_ins[person])
    return (replace(deed, data=data) if stand_ins else deed), stand_ins


def _named_by_rules(deed: Deed, ruleset: RuleSet) -> list[str]:
    """The people the rules for this event type read from it: whom they credit, and the acting person."""
    named: list[str] = []
    for rule in ruleset.for_event(deed.event_type):
        for field_name in (rule.credits, rule.not_own):
            value = deed.data.get(field_name) if field_name else None
            for candidate in value if isinstance(value, list | tuple) else [value]:
                if isinstance(candidate, str) and candidate:
                    named.append(candidate)
    return named


async def _is_erased(person_id: str, people: People) -> bool:
    found = await people.get(person_id)  # by _id: an index lookup even on FerretDB
    return found is not None and found.erased


async def erase_person(
    person_id: str,
    ledger: Ledger,
    people: People,
    deeds: Deeds,
    erasures: Erasures | None = None,
    others: Sequence[HoldsPeople] = (),
) -> int:
    """Erase the person here: their entries and the deeds naming them go to one fresh former employee, their
    profile to a tombstone.

    The ledger, the deeds store and the `others` (badges, titles, rings, standings) get the same stand-in, so a
    replay of the deeds credits exactly the former employee the ledger holds; `erasures` remembers it while
    this runs, so an erasure interrupted half way resumes with it. Returns how many entries were re-attributed (0
    when run again: nothing of theirs is left, nothing of anyone's changes). The stand-in id is neither returned nor
    logged: that would link it back to the person. The tombstone comes first, so a deed credited while this runs
    already goes to a former employee.
    """
    if not await _is_erased(person_id, people):
        await people.apply_erased(person_id)
    replacement = former_employee_id()
    if erasures is not None:
        replacement = await erasures.begin(person_id, replacement)
    moved = await ledger.reattribute(person_id, replacement)
    await deeds.reattribute(person_id, replacement)
    for store in others:
        await store.reattribute(person_id, replacement)
    if erasures is not None:
        await erasures.finish(person_id)
    return moved


async def export_person(
    person_id: str, ledger: Ledger, people: People, badges: Badges | None = None, titles: Titles | None = None
) -> dict[str, Any]:
    """Everything this service holds on the person, as JSON-able data (a subject access request)."""
    held: dict[str, Any] = {}
    if badges is not None:
        held["badges"] = await badge_cases.export_badges(person_id, badges, badges)
    if titles is not None:
        held["titles"] = [
            {"scope": t.scope, "scope_id": t.scope_id, "title_month": t.title_month, "helpful_marks": t.helpful_marks}
            for t in await titles.of_person(person_id)
        ]
    entries: list[LedgerEntry] = []
    while page := await ledger.entries(person_id, EXPORT_PAGE, len(entries)):
        entries.extend(page)
        if len(page) < EXPORT_PAGE:
            break
    return {
        "service": "gamification",
        "person": await people.export(person_id),
        "balance": await ledger.balance(person_id),
        "entries": [
            {
                "id": entry.id,
                "rule": entry.rule,
                "points": entry.points,
                "awarded_at": entry.awarded_at.isoformat(),
                "cause_event_id": entry.cause_event_id,
                "cause_event_type": entry.cause_event_type,
            }
            for entry in entries
        ],
        **held,
    }


# ------------------------------------------------------------------------------------------ rules


async def edit_rule(rules: Rules, expected_version: int, rule: Rule) -> RuleSet:
    """Create or change a rule; 409 when the set changed since the admin read it (a superseded version)."""

    async def attempt() -> RuleSet:
        ruleset, stored = await rules.current()
        changed = ruleset.edit(expected_version, rule)
        await rules.save(changed, stored)
        return changed

    return await retry_on_conflict(attempt, aggregate_id="rules")


async def deactivate_rule(rules: Rules, expected_version: int, rule_id: str) -> RuleSet:
    async def attempt() -> RuleSet:
        ruleset, stored = await rules.current()
        changed = ruleset.deactivate(expected_version, rule_id)
        await rules.save(changed, stored)
        return changed

    return await retry_on_conflict(attempt, aggregate_id="rules")
