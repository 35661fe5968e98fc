"""The rule set in MongoDB: one versioned aggregate whose commits carry the RuleSetChanged events.

Pricing reads the rules for every event, so each process keeps the set it read for a few seconds:
another replica's edit is in force here within `CACHE_SECONDS`, this process's own at once.
"""

import contextlib
import time

from gamification.domain.engine import RuleSet, starting_rule_set
from shared.concurrency import ConcurrencyConflict
from shared.contracts.gamification import RuleSetChangedV1
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.versioned import VersionedStore

SOURCE = "/owlery/gamification"
RULESET_ID = "rules"
CACHE_SECONDS = 5.0


class MongoRules:
    def __init__(self, store: VersionedStore) -> None:
        self.store = store
        self._cached: tuple[float, RuleSet] | None = None

    async def current(self) -> tuple[RuleSet, int]:
        """The rule set and its store version; the starting set is stored on first use (once, whoever races)."""
        loaded = await self.store.load(RULESET_ID)
        if loaded is None:
            with contextlib.suppress(ConcurrencyConflict):  # another process seeded it first
                await self.save(starting_rule_set(), stored_version=0)
            loaded = await self.store.load(RULESET_ID)
            assert loaded is not None
        ruleset = RuleSet.from_state(loaded.state)
        self._cached = (time.monotonic(), ruleset)
        return ruleset, loaded.version

    async def in_force(self) -> RuleSet:
        if self._cached is not None and time.monotonic() - self._cached[0] < CACHE_SECONDS:
            return self._cached[1]
        ruleset, _ = await self.current()
        return ruleset

    async def save(self, ruleset: RuleSet, stored_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(
                RuleSetChangedV1(
                    ruleset_version=change.version,
                    rule_id=change.rule_id,
                    rule_version=change.rule_version,
                    change=change.change,
                ),
                source=SOURCE,
                correlation_id=correlation_id,
            )
            for change in ruleset.events
        ]
        await self.store.commit(RULESET_ID, stored_version, ruleset.to_state(), outbox)
        self._cached = (time.monotonic(), RuleSet.from_state(ruleset.to_state()))
