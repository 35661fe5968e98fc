"""Standings (balance, level, rank as projections of the ledger), leaderboards, opting out, and a rebuild.

`project` applies one PointsAwarded record to its person's standing: read, skip if the record's offset
is not beyond the one stored for its partition (a redelivery after a crash), else apply and replace
the document. One person's records arrive in order on one partition and each standing is written by
one consumer at a time, so the offsets make the projection exactly-once without atomic updates.

`LeaderboardCache` keeps every board of one snapshot in memory, rebuilt every few seconds from the
standings, the directory copy and the opt-outs: a read never touches the store.

`rebuild` folds every ledger entry into fresh standings. It must run with the gamification service
stopped (`python -m gamification.rebuild`): it first publishes what the outbox still holds, then takes
the end offsets of the points topics, then folds every published entry and marks every record before
those ends as applied. So each entry is counted once, by the fold, and only records of entries made
after the service starts again are applied by the consumer. A relay publishing or a consumer applying
while the rebuild runs would break that.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gamification.domain.leaderboard import Leaderboards, Member
from gamification.domain.ledger import LedgerEntry
from gamification.domain.standing import Credit, LogPosition, Standing, UnknownRule, fold, knows
from gamification.service.ports import EntryOwners, Ledger, Members, People, PublishedEntries, Rules, Standings

logger = logging.getLogger(__name__)

LogEnds = Callable[[], Awaitable[Mapping[tuple[str, int], int]]]
"""The end offset of every partition of the points topics, as (topic, partition) -> offset."""


async def project(
    credit: Credit,
    position: LogPosition,
    standings: Standings,
    rules: Rules,
    people: People,
    owners: EntryOwners,
) -> bool:
    """Apply one PointsAwarded record to its person's standing; False if it was applied before.

    Raises `UnknownRule` for an entry priced by a rule or rule version this service does not know
    (the consumer dead-letters it): counting it could never be explained nor recalculated.
    """
    if not knows(await rules.in_force(), credit.rule, credit.rule_version):
        ruleset, _ = await rules.current()  # the cached set may predate another replica's edit
        if not knows(ruleset, credit.rule, credit.rule_version):
            raise UnknownRule(f"entry {credit.entry_id} was priced by rule {credit.rule!r} v{credit.rule_version}")
    standing = await standings.get(credit.person_id)
    if standing is None:
        found = await people.get(credit.person_id)
        if found is not None and found.erased:
            # Erased after this record was published: the entry (and the standing) now belong to a stand-in.
            owner = await owners.owner_of_entry(credit.entry_id)
            if owner is None or owner == credit.person_id:
                logger.warning("points of an erased person with no entry left; not projected")
                return False
            standing = await standings.get(owner) or Standing(owner)
        else:
            standing = Standing(credit.person_id)
    if standing.applied(position):
        return False
    standing.apply(credit, position)
    await standings.save(standing)
    return True


async def project_many(
    credits: Sequence[tuple[Credit, LogPosition]],
    standings: Standings,
    rules: Rules,
    people: People,
    owners: EntryOwners,
) -> int:
    """Apply a run of PointsAwarded records, in log order, as `project` would one by one; how many standings changed.

    Each person's standing is read once and written once for the lot (a new one inserted, which is cheap).
    Raises `UnknownRule` if any record was priced by a rule this service does not know.
    """
    ruleset = await rules.in_force()
    if not all(knows(ruleset, credit.rule, credit.rule_version) for credit, _ in credits):
        ruleset, _ = await rules.current()  # the cached set may predate another replica's edit
        for credit, _ in credits:
            if not knows(ruleset, credit.rule, credit.rule_version):
                raise UnknownRule(f"entry {credit.entry_id} was priced by rule {credit.rule!r} v{credit.rule_version}")
    named = {credit.person_id for credit, _ in credits}
    held = await standings.get_many(named)
    copies = await people.get_many(named - held.keys())
    new: set[str] = set()
    changed: dict[str, Standing] = {}
    for credit, position in credits:
        standing = held.get(credit.person_id)
        if standing is None:
            copy = copies.get(credit.person_id)
            if copy is not None and copy.erased:
                # Erased after this record was published: the entry (and the standing) now belong to a stand-in.
                owner = await owners.owner_of_entry(credit.entry_id)
                if owner is None or owner == credit.person_id:
                    logger.warning("points of an erased person with no entry left; not projected")
                    continue
                standing = held.get(owner) or await standings.get(owner)
            else:
                owner = credit.person_id
            if standing is None:
                standing = Standing(owner)
                new.add(owner)
            held[owner] = standing
        if standing.applied(position):
            continue
        standing.apply(credit, position)
        changed[standing.person_id] = standing
    await standings.save_many(list(changed.values()), new & changed.keys())
    return len(changed)


# ------------------------------------------------------------------------------------- account


@dataclass(frozen=True)
class PointsAccount:
    person_id: str
    balance: int
    rank: int | None
    """All-time company rank as if the person appeared on the board; None before the first snapshot."""
    entries: list[LedgerEntry]


async def account(
    person_id: str,
    standings: Standings,
    ledger: Ledger,
    boards: "LeaderboardCache",
    limit: int = 50,
    offset: int = 0,
) -> PointsAccount:
    """Balance and rank from the projection (a moment behind the ledger); the entries from the ledger."""
    standing = await standings.get(person_id)
    snapshot = boards.latest
    rank = snapshot.rank(person_id, "all", "company", None, neighbours=0).rank if snapshot else None
    return PointsAccount(
        person_id=person_id,
        balance=standing.total if standing else 0,
        rank=rank,
        entries=await ledger.entries(person_id, limit, offset),
    )


# -------------------------------------------------------------------------------- leaderboards


class LeaderboardCache:
    """The boards of the latest snapshot, in this process's memory."""

    def __init__(self, standings: Standings, members: Members, clock: Callable[[], datetime]) -> None:
        self.standings = standings
        self.members = members
        self.clock = clock
        self.latest: Leaderboards | None = None
        self._refreshing = asyncio.Lock()

    async def current(self) -> Leaderboards:
        """The latest snapshot; the first read of a process waits for one to be built."""
        if self.latest is None:
            async with self._refreshing:
                if self.latest is None:
                    await self._build()
        assert self.latest is not None
        return self.latest

    async def refresh(self) -> Leaderboards:
        async with self._refreshing:
            return await self._build()

    async def _build(self) -> Leaderboards:
        standings = [standing async for standing in self.standings.every()]
        members: dict[str, Member] = {member.person_id: member async for member in self.members.every()}
        # Sorting every board takes about a second at 100,000 people: off the event loop, so reads go on.
        self.latest = await asyncio.to_thread(Leaderboards.build, standings, members, self.clock())
        return self.latest


async def set_visibility(person_id: str, visible: bool, members: Members) -> None:
    """Opt in or out of appearing on boards; the next snapshot shows it."""
    await members.set_visible(person_id, visible)


# ----------------------------------------------------------------------------------- rebuild


@dataclass(frozen=True)
class RebuildReport:
    entries: int
    people: int
    ends: Mapping[tuple[str, int], int]


class NotRebuilt(Exception):
    """Some ledger entries could not be published first: the standings were left as they were."""


async def rebuild(
    entries: PublishedEntries, standings: Standings, log_ends: LogEnds, publish_pending: Callable[[], Awaitable[int]]
) -> RebuildReport:
    """Replace every standing by a fold of the ledger (the service must be stopped).

    Pending entries are published first (`publish_pending` answers how many are still pending): an
    entry left pending could have a record before the ends from a publish whose confirmation a crash
    lost, and that record would then be neither folded nor applied. Then the ends are read, and every
    record before them is marked applied in every standing.
    """
    left = await publish_pending()
    if left:
        raise NotRebuilt(f"{left} ledger entries are still waiting to be published; nothing was rebuilt")
    ends = await log_ends()
    folded: dict[str, Standing] = {}
    count = 0
    batch: list[Credit] = []
    async for credit in entries.every():
        batch.append(credit)
        if len(batch) >= 10_000:
            fold(batch, folded)
            count += len(batch)
            batch = []
    fold(batch, folded)
    count += len(batch)
    for standing in folded.values():
        standing.covered_through(ends)
    await standings.replace_all(folded.values())
    return RebuildReport(entries=count, people=len(folded), ends=dict(ends))
