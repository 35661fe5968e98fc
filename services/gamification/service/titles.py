"""Naming the experts of a month: read the month's helpful deeds, decide, record each decision once.

Every replica runs the monthly job: a decision is a unique-key insert (its id derives from the month and
the scope), so racing replicas record it once, and its ExpertOfTheMonthNamed event goes out once.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from gamification.domain.titles import (
    CORRECTION_TYPES,
    COUNTED_TYPES,
    PUBLIC_MARK_TYPES,
    ExpertTitle,
    Month,
    experts_of_the_month,
    last_month_due,
    parse_scope,
)
from gamification.service.ports import Deeds, People, Titles

logger = logging.getLogger(__name__)

SLACK = timedelta(hours=1)


async def name_experts(month: Month | str, deeds: Deeds, people: People, titles: Titles) -> list[ExpertTitle]:
    """Decide the experts of `month` and record the decisions; returns those recorded by this call.

    A decision recorded before (by an earlier run or another replica) stands and is not returned, so a
    second run names nobody: a title is never decided twice, even if late deeds would change it.
    """
    month = Month.parse(month) if isinstance(month, str) else month
    credits = await deeds.of_types(COUNTED_TYPES, since=month.start(), until=month.end())
    # Hidden before the month and restored in it, or the other way round: every correction up to the end counts.
    corrections = await deeds.of_types(CORRECTION_TYPES, until=month.end())
    # The public side of each mark, which says if the comment is anonymous; it was stamped a moment apart.
    public = await deeds.of_types(PUBLIC_MARK_TYPES, since=month.start() - SLACK, until=month.end() + SLACK)
    departments: dict[str, str | None] = {}
    not_eligible: set[str] = set()
    for author in {deed.data.get("author_id") for deed in credits}:
        if not isinstance(author, str):
            continue
        copy = await people.get(author)  # by _id: an index lookup even on FerretDB
        if copy is not None and (copy.erased or not copy.active):
            not_eligible.add(author)  # the title is for the next month: nobody who has left holds it
        department = copy.fields.get("department") if copy is not None else None
        departments[author] = department if isinstance(department, str) else None
    decided = experts_of_the_month(month, [*credits, *public, *corrections], departments, not_eligible)
    named = [title for title in decided if await titles.name(title)]
    if named:
        logger.info("named %d experts of %s", len(named), month)
    return named


async def name_experts_when_due(
    now: datetime, grace: timedelta, deeds: Deeds, people: People, titles: Titles
) -> list[ExpertTitle]:
    """The monthly job: name the experts of the last month that ended `grace` ago, once.

    After the first complete run the month is settled, so each later round costs one lookup by id. A run
    that fails half way leaves it unsettled: the next round decides the rest (the recorded ones stand).
    """
    month = last_month_due(now, grace)
    if await titles.month_settled(str(month)):
        return []
    named = await name_experts(month, deeds, people, titles)
    await titles.settle(str(month))
    return named


@dataclass(frozen=True)
class Holder:
    title: ExpertTitle
    display_name: str | None
    """From the directory copy; None for someone it does not know or has erased."""


async def holders(
    month: str | None, scope: str | None, scope_id: str | None, now: datetime, titles: Titles, people: People
) -> list[Holder]:
    """Who holds "Expert of the month" in `month` (YYYY-MM; the current month if None), optionally in one scope.

    422 naming `month` or `scope` for a malformed one; scope_id without a scope is refused too.
    """
    title_month = Month.parse(month) if month is not None else Month.of(now)
    wanted = parse_scope(scope, scope_id)
    found = await titles.held(str(title_month), wanted, scope_id or None)
    shown = []
    for title in found:
        copy = await people.get(title.person_id)
        name = copy.fields.get("display_name") if copy is not None and not copy.erased else None
        shown.append(Holder(title, name if isinstance(name, str) else None))
    return shown
